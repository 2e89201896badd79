/* The server's side of probe protocol v1: registration, requests to probes with ids and
 * timeouts, replies, events (stopped, heartbeat), and liveness of every probe connection. */
#ifndef PODBUG_PROBE_LINK_H
#define PODBUG_PROBE_LINK_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include "fleet.h"

struct conn;

#define PROBE_HEARTBEAT_MS 5000
#define PROBE_SILENCE_LIMIT_MS 15000

void probe_link_set_timeout(int timeout_ms);
/* Name patterns sent to every probe in its welcome (`redact`, PROBE_PROTOCOL.md 4.1); NULL none. */
void probe_link_set_redaction(const char *patterns);

void probe_link_on_open(struct conn *c);
void probe_link_on_message(struct conn *c, const char *text, size_t len);
void probe_link_on_close(struct conn *c);
/* Expires requests, sends heartbeats, drops silent probes. Called by the loop's timer. */
void probe_link_tick(int64_t now_ms);

/* Called exactly once per request: with the reply's body on success; with result NULL and an
 * error text when the probe answered "error", timed out or disconnected (peer is then NULL). */
typedef void (*probe_reply_fn)(void *ctx, probe_peer *peer, const cJSON *result, const char *error);

/* Sends a request; takes ownership of body. Returns 0, or -1 (fn already called with the error). */
int probe_link_request(probe_peer *p, const char *type, cJSON *body, probe_reply_fn fn, void *ctx);
/* The same with its own timeout instead of the server's --probe-timeout-ms (a reload takes seconds). */
int probe_link_request_within(probe_peer *p, const char *type, cJSON *body, int timeout_ms, probe_reply_fn fn,
                              void *ctx);

#endif
