/* Command-line options of podbug-server: defaults, parsing and --help text.
 * The flags are a fixed contract (see DESIGN.md section 3). */
#ifndef PODBUG_SERVER_OPTIONS_H
#define PODBUG_SERVER_OPTIONS_H

#include <stdio.h>
#include "server_limits.h"
#include "log.h"

typedef struct server_options {
    const char *listen_addr;   /* --listen, default 127.0.0.1 */
    int port;                  /* --port: HTTP + WebSocket (/probe, /dap, /healthz, /api/pods) */
    int dap_port;              /* --dap-port: DAP over TCP with Content-Length framing; 0 = off */
    log_level log_level;       /* --log-level */
    int probe_timeout_ms;      /* --probe-timeout-ms: how long a request to a probe may take */
    int snapshot_limit;        /* --snapshot-limit: snapshots kept (oldest evicted first) */
    const char *redact;        /* --redact: name patterns every probe adds to its own; NULL none */
    const char *tls_cert;      /* --tls-cert: PEM certificate (chain) for --port; NULL: plain */
    const char *tls_key;       /* --tls-key: its PEM private key; set exactly when tls_cert is */
    const char *token_file;    /* --token-file: tokens and roles (auth_tokens.h); NULL: loopback only */
    server_limits limits;      /* --max-message-bytes, --max-probes, --max-sessions,
                                * --max-messages-per-second, --max-queued-bytes */
} server_options;

typedef enum { OPTIONS_RUN, OPTIONS_EXIT_OK, OPTIONS_EXIT_ERROR } options_result;

/* Parses argv. --help / --version print to out and return OPTIONS_EXIT_OK; a bad flag prints a
 * one-line reason to err and returns OPTIONS_EXIT_ERROR. */
options_result server_options_parse(int argc, char **argv, server_options *opts, FILE *out, FILE *err);

#endif
