/* The server's small HTTP API: /healthz, /metrics (Prometheus text) and /api/pods (JSON list of
 * connected probes). Pure functions of the registry: no sockets here. */
#ifndef PODBUG_HTTP_API_H
#define PODBUG_HTTP_API_H

#include <stddef.h>

typedef struct http_response {
    int status;
    const char *content_type;
    char *body;        /* malloc'ed; the caller frees */
    size_t body_len;
} http_response;

/* authorization: the request's Authorization header ("" or NULL when none); see auth.h. */
void http_api_handle(const char *path, const char *authorization, http_response *out);

#endif
