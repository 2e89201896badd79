/* A small blocking DAP client for the CLI over the server's plain-TCP DAP port: requests numbered
 * by seq and awaited one at a time, events queued meanwhile and read in order with a timeout. */
#ifndef PODBUG_CLI_DAP_CLIENT_H
#define PODBUG_CLI_DAP_CLIENT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define DAP_CLIENT_CONNECT_TIMEOUT_SECONDS 5

typedef struct dap_client dap_client;

/* Connects to host:port. NULL with err ("cannot connect to the server's DAP port 127.0.0.1:4711:
 * Connection refused") when that fails. */
dap_client *dap_client_connect(const char *host, int port, char *err, size_t err_len);
/* Closes the connection and frees every queued event. */
void dap_client_close(dap_client *c);

/* Sends `command` with args (taken over; NULL for none) and waits up to timeout_ms for its
 * response, queueing the events that arrive first. Returns 0 with *body (the response's body, a
 * detached copy the caller deletes; NULL when it has none), or -1 with err: the response's message
 * when it failed, or what went wrong with the connection or the time. */
int dap_client_request(dap_client *c, const char *command, cJSON *args, int timeout_ms, cJSON **body,
                       char *err, size_t err_len);
/* The same, returning the whole response (success or not) in *response, which the caller deletes;
 * -1 with err only when the connection or the time fails. */
int dap_client_call(dap_client *c, const char *command, cJSON *args, int timeout_ms, cJSON **response, char *err,
                    size_t err_len);

/* Events that arrive while a request awaits its response go to fn as they come (it must not keep
 * or delete them) instead of the queue; fn NULL queues them again. */
typedef void (*dap_event_fn)(void *ctx, const cJSON *event);
void dap_client_on_event(dap_client *c, dap_event_fn fn, void *ctx);

/* The next event (queued first, then from the connection): 1 with *event (the whole message, the
 * caller deletes it), 0 when none came within timeout_ms or a signal interrupted the wait, -1 with
 * err when the connection is closed or broken. */
int dap_client_next_event(dap_client *c, int timeout_ms, cJSON **event, char *err, size_t err_len);

#endif
