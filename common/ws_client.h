/* Opening a libwebsockets WebSocket client connection to the podbug server and adding the
 * handshake's bearer token: shared by the probe's agent and `podbug dap`. */
#ifndef PODBUG_WS_CLIENT_H
#define PODBUG_WS_CLIENT_H

#include <stddef.h>

struct lws;
struct lws_context;

/* Starts connecting to ws://host:port/path, asking for subprotocol (NULL: none; the connection is
 * then served by the context's first protocol). When pwsi is not NULL, lws keeps *pwsi up to date
 * (NULL once the attempt failed). Returns the connection, or NULL when the attempt could not even start. */
struct lws *ws_client_connect(struct lws_context *context, const char *host, int port, const char *path,
                              const char *subprotocol, struct lws **pwsi);

/* For LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER, given that callback's in and len: adds
 * "Authorization: Bearer <token>". Returns 0, or -1 when it does not fit (the handshake must fail). */
int ws_client_add_bearer_token(struct lws *wsi, void *in, size_t len, const char *token);

#endif
