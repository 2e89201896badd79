/* Opening a libwebsockets WebSocket client connection to the podbug server (ws:// or wss://, the
 * server's certificate verified), explaining a refused certificate, and adding the handshake's
 * bearer token: shared by the probe's agent and `podbug dap`. */
#ifndef PODBUG_WS_CLIENT_H
#define PODBUG_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct lws;
struct lws_context;
struct lws_context_creation_info;

/* For a client context that connects with TLS: OpenSSL initialised, and the server's certificate
 * verified against the PEM CA bundle ca_file (NULL or "": the system's trust store). */
void ws_client_tls_context(struct lws_context_creation_info *info, const char *ca_file);

/* Starts connecting to ws://host:port/path (wss:// when tls: the certificate and host name are
 * verified; the context was set up by ws_client_tls_context), asking for subprotocol (NULL: none;
 * the connection is then served by the context's first protocol). When pwsi is not NULL, lws keeps
 * *pwsi up to date (NULL once the attempt failed). Returns the connection, or NULL when the attempt
 * could not even start. */
struct lws *ws_client_connect(struct lws_context *context, const char *host, int port, const char *path,
                              const char *subprotocol, bool tls, struct lws **pwsi);

/* For LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION, given that callback's user (the
 * X509_STORE_CTX) and len (OpenSSL's verdict): when the server's certificate is refused, writes
 * "TLS: certificate verify failed: <OpenSSL's reason>" to reason (what the connection error that
 * follows does not say); leaves it alone otherwise. */
void ws_client_tls_verdict(void *x509_store_ctx, size_t preverify_ok, char *reason, size_t reason_len);

/* For LWS_CALLBACK_CLIENT_CONNECTION_ERROR, given that callback's in (NULL or lws's text) and whether
 * the connection was wss://: the reason to print. lws says only "read failed" when a TLS port drops a
 * plain client, so that one gets "read failed: if the server serves TLS, use wss://". */
const char *ws_client_error_text(const void *in, bool tls);

/* For LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER, given that callback's in and len: adds
 * "Authorization: Bearer <token>". Returns 0, or -1 when it does not fit (the handshake must fail). */
int ws_client_add_bearer_token(struct lws *wsi, void *in, size_t len, const char *token);

#endif
