/* WebSocket client connections to the podbug server (see ws_client.h): the connect request, TLS
 * set-up and the reason for a refused certificate, and the Authorization header of the handshake. */
#include "ws_client.h"

#include <libwebsockets.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ws_client_tls_context(struct lws_context_creation_info *info, const char *ca_file)
{
    info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info->client_ssl_ca_filepath = ca_file && *ca_file ? ca_file : NULL;
}

struct lws *ws_client_connect(struct lws_context *context, const char *host, int port, const char *path,
                              const char *subprotocol, bool tls, struct lws **pwsi)
{
    struct lws_client_connect_info info;
    memset(&info, 0, sizeof info);
    info.context = context;
    info.address = host;
    info.port = port;
    info.path = path;
    info.host = host;
    info.origin = host;
    info.protocol = subprotocol;
    info.pwsi = pwsi;
    info.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
    return lws_client_connect_via_info(&info);
}

void ws_client_tls_verdict(void *x509_store_ctx, size_t preverify_ok, char *reason, size_t reason_len)
{
    if (preverify_ok)
        return;
    int error = X509_STORE_CTX_get_error(x509_store_ctx);
    snprintf(reason, reason_len, "TLS: certificate verify failed: %s", X509_verify_cert_error_string(error));
}

const char *ws_client_error_text(const void *in, bool tls)
{
    if (!in)
        return "connection error";
    if (!tls && strcmp(in, "read failed") == 0)
        return "read failed: if the server serves TLS, use wss://";
    return in;
}

int ws_client_add_bearer_token(struct lws *wsi, void *in, size_t len, const char *token)
{
    size_t value_len = strlen("Bearer ") + strlen(token);
    char *value = malloc(value_len + 1);
    if (!value)
        return -1;
    snprintf(value, value_len + 1, "Bearer %s", token);
    unsigned char **p = in, *end = *p + len;
    int rc = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, (const unsigned char *)value,
                                          (int)value_len, p, end);
    free(value);
    return rc ? -1 : 0;
}
