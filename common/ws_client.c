/* WebSocket client connections to the podbug server (see ws_client.h): the connect request and
 * the Authorization header of the handshake. */
#include "ws_client.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lws *ws_client_connect(struct lws_context *context, const char *host, int port, const char *path,
                              const char *subprotocol, struct lws **pwsi)
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
    return lws_client_connect_via_info(&info);
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
