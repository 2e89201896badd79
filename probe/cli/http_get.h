/* A minimal blocking HTTP/1.1 GET for the CLI (to the server's /api endpoints): one request,
 * Connection: close, bounded time and size; HTTPS when the server URL is wss:// (PODBUG_CA). */
#ifndef PODBUG_CLI_HTTP_GET_H
#define PODBUG_CLI_HTTP_GET_H

#include <stddef.h>
#include "server_url.h"

#define HTTP_GET_TIMEOUT_SECONDS 5
#define HTTP_GET_MAX_BYTES (16u * 1024u * 1024u)

/* GETs path from the server's host:port, over TLS when server->tls (verified against PODBUG_CA, else
 * the system's CAs), with PODBUG_TOKEN (when set) as "Authorization: Bearer". Returns 0 with *status and a malloc'ed, NUL-terminated *body, or -1 with err
 * ("cannot reach 127.0.0.1:4700: Connection refused", "no answer within 5 s", "TLS with ..."). */
int http_get(const server_url *server, const char *path, int *status, char **body, char *err, size_t err_len);

#endif
