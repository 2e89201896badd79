/* A minimal blocking HTTP/1.1 GET for the CLI (to the server's /api endpoints): one request,
 * Connection: close, bounded time and size. */
#ifndef PODBUG_CLI_HTTP_GET_H
#define PODBUG_CLI_HTTP_GET_H

#include <stddef.h>

#define HTTP_GET_TIMEOUT_SECONDS 5
#define HTTP_GET_MAX_BYTES (16u * 1024u * 1024u)

/* GETs path from host:port. Returns 0 with *status and a malloc'ed, NUL-terminated *body, or -1
 * with err ("cannot reach 127.0.0.1:4700: Connection refused", "no answer within 5 s"). */
int http_get(const char *host, int port, const char *path, int *status, char **body, char *err,
             size_t err_len);

#endif
