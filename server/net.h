/* The server's single libwebsockets event loop: the HTTP/WebSocket vhost (/probe, /dap, /healthz,
 * /metrics, /api/pods) and the raw-TCP DAP vhost, routing each connection's events to its owner. */
#ifndef PODBUG_SERVER_NET_H
#define PODBUG_SERVER_NET_H

#include <stdint.h>
#include "options.h"

/* Puts the options' limits in force, registers the metrics, creates the context and listeners.
 * Returns 0, or -1 with a logged reason (e.g. port in use). */
int net_start(const server_options *opts);
/* Runs the loop until net_request_stop (async-signal-safe) is called. */
void net_run(void);
void net_request_stop(void);
void net_shutdown(void);
int64_t net_now_ms(void);
/* Where a probe on this machine reaches the server: ws://<listen address>:<port>/probe (127.0.0.1
 * when the server listens on every address); wss:// when the server serves TLS. */
const char *net_probe_url(void);

#endif
