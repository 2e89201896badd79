/* The server's limits (message size, probes, sessions, message rate, queued bytes per connection),
 * set once from the options, and the per-connection message-rate window that enforces one of them. */
#ifndef PODBUG_SERVER_SERVER_LIMITS_H
#define PODBUG_SERVER_SERVER_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIMIT_DEFAULT_MAX_PROBES 10000
#define LIMIT_DEFAULT_MAX_SESSIONS 100
#define LIMIT_DEFAULT_MESSAGES_PER_SECOND 5000
#define LIMIT_DEFAULT_QUEUED_BYTES (64u * 1024u * 1024u)
/* A connection may send this many seconds' worth of messages at once (bursts: an IDE's many
 * requests, a probe's events after a stop). */
#define LIMIT_BURST_SECONDS 10
/* A connection over its message rate for this long (no second without a drop) is closed. */
#define LIMIT_OVER_RATE_CLOSE_MS 10000

typedef struct server_limits {
    size_t max_message_bytes;        /* --max-message-bytes: one probe or DAP message */
    size_t max_probes;               /* --max-probes: probe connections at once */
    size_t max_sessions;             /* --max-sessions: DAP connections at once */
    size_t max_messages_per_second;  /* --max-messages-per-second: per connection */
    size_t max_queued_bytes;         /* --max-queued-bytes: a connection's unsent output */
} server_limits;

/* The defaults (what --help says). */
server_limits server_limits_defaults(void);
void server_limits_set(const server_limits *limits);
/* The limits in force: the defaults until server_limits_set. */
const server_limits *server_limits_get(void);

/* A token bucket of messages for one connection: per_second refill, LIMIT_BURST_SECONDS of them
 * at most. Zero-initialised (the bucket starts full). */
typedef struct message_rate {
    bool started;
    int64_t last_ms;          /* when the bucket was last refilled */
    int64_t milli_tokens;     /* messages allowed now, in thousandths */
    int64_t over_since_ms;    /* first drop of the current run of drops */
    int64_t last_drop_ms;     /* a run ends after a second without a drop */
} message_rate;

typedef enum { RATE_ADMIT, RATE_DROP_STARTS, RATE_DROP, RATE_CLOSE } rate_verdict;

/* One more message at now_ms: admitted while the bucket has a token, else dropped
 * (RATE_DROP_STARTS for the first drop of a run, worth a log line); RATE_CLOSE once drops have
 * gone on for LIMIT_OVER_RATE_CLOSE_MS with no second free of them. */
rate_verdict message_rate_admit(message_rate *r, int64_t now_ms, size_t per_second);

#endif
