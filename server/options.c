/* Parses podbug-server's command line into server_options and prints --help.
 * Every flag has a default so that `podbug-server` alone serves on loopback. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "snapshot_store.h"

#define PODBUG_VERSION "0.1.0"

static const char usage[] =
    "usage: podbug-server [options]\n"
    "\n"
    "Coordinates podbug probes (inside target processes) and debug adapter clients (IDEs).\n"
    "\n"
    "  --listen ADDR          address to listen on (default 127.0.0.1)\n"
    "  --port N               HTTP and WebSocket port (default 4700): /probe for probes,\n"
    "                         /dap for DAP over WebSocket, /healthz, /api/pods\n"
    "  --dap-port N           DAP over plain TCP with Content-Length framing (default 4711;\n"
    "                         0 disables it)\n"
    "  --log-level LEVEL      error, warn, info (default) or debug\n"
    "  --probe-timeout-ms N   how long a request to a probe may take (default 3000)\n"
    "  --snapshot-limit N     snapshots kept in memory (default 1000; also at most 64 MiB);\n"
    "                         the oldest are evicted first\n"
    "  --max-message-bytes N  largest message accepted from a probe or IDE (default 33554432,\n"
    "                         32 MiB); a bigger one closes that connection\n"
    "  --max-probes N         probe connections at once (default 10000); the next is closed\n"
    "                         with the reason \"podbug-server: probe limit of N reached\"\n"
    "  --max-sessions N       DAP (IDE) connections at once (default 100), likewise\n"
    "  --max-messages-per-second N\n"
    "                         messages a connection may send per second (default 5000, in\n"
    "                         bursts of up to 10 s worth); the excess is dropped and counted,\n"
    "                         and a connection dropping messages for 10 s is closed\n"
    "  --max-queued-bytes N   unsent output a connection may queue (default 67108864, 64 MiB);\n"
    "                         a client that does not read past it is disconnected\n"
    "  --redact PATTERNS      comma-separated name patterns (case-insensitive substrings, '*'\n"
    "                         for any characters) that every probe adds to its own redaction\n"
    "                         (PODBUG_REDACT): their values never leave the process\n"
    "  --tls-cert FILE        serve --port with TLS only (wss://, https://): the PEM certificate,\n"
    "                         its chain after it; needs --tls-key. Probes verify it against\n"
    "                         PODBUG_CA (a PEM CA bundle) or the system's CAs. The --dap-port\n"
    "                         stays plain TCP\n"
    "  --tls-key FILE         the certificate's PEM private key (unencrypted)\n"
    "  --token-file FILE      who may connect: one 'TOKEN ROLE[,ROLE...] [NAME]' per line ('#'\n"
    "                         comments), tokens of 16+ characters, the file readable by its owner\n"
    "                         only; re-read on SIGHUP. Roles: probe (a probe registers, with\n"
    "                         PODBUG_TOKEN), debug (a DAP session attaches or launches, with the\n"
    "                         'token' argument or the WebSocket's 'Authorization: Bearer';\n"
    "                         /api/pods), reload (podbug/reload and rollback, on top of debug),\n"
    "                         secrets (the session sees values the probes redact). /metrics takes\n"
    "                         any token, /healthz none. Without it the server accepts everyone\n"
    "                         but only listens on loopback\n"
    "  --version              print the version and exit\n"
    "  --help                 print this help and exit\n"
    "\n"
    "GET /metrics serves Prometheus text: probes, sessions, breakpoints, hits, snapshots, reloads,\n"
    "errors, bytes, and every limit above as a podbug_limit_* gauge.\n";

/* The --max-* flags, in the order of their option ids (from OPT_MAX_MESSAGE_BYTES on). */
typedef struct limit_flag {
    const char *name;
    size_t min;
    size_t max;
    size_t offset;   /* of the field in server_limits */
} limit_flag;

static const limit_flag limit_flags[] = {
    { "max-message-bytes", 1024, (size_t)1 << 30, offsetof(server_limits, max_message_bytes) },
    { "max-probes", 1, 1000000, offsetof(server_limits, max_probes) },
    { "max-sessions", 1, 100000, offsetof(server_limits, max_sessions) },
    { "max-messages-per-second", 1, 10000000, offsetof(server_limits, max_messages_per_second) },
    { "max-queued-bytes", 4096, (size_t)1 << 36, offsetof(server_limits, max_queued_bytes) },
};

/* A limit: a whole number in [min, max]; prints the reason to err when it is not. */
static int parse_limit(const limit_flag *flag, const char *text, server_limits *limits, FILE *err)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*text == '\0' || *text == '-' || *end != '\0' || errno != 0 || v < flag->min || v > flag->max) {
        fprintf(err, "podbug-server: --%s takes a whole number %zu..%zu, not '%s'\n", flag->name, flag->min,
                flag->max, text);
        return -1;
    }
    *(size_t *)((char *)limits + flag->offset) = (size_t)v;
    return 0;
}

static int parse_port(const char *text, int allow_zero, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < (allow_zero ? 0 : 1) || v > 65535)
        return -1;
    *out = (int)v;
    return 0;
}

options_result server_options_parse(int argc, char **argv, server_options *opts, FILE *out, FILE *err)
{
    enum { OPT_LISTEN = 1, OPT_PORT, OPT_DAP_PORT, OPT_LOG_LEVEL, OPT_PROBE_TIMEOUT, OPT_SNAPSHOT_LIMIT, OPT_MAX_MESSAGE_BYTES,
           OPT_MAX_PROBES, OPT_MAX_SESSIONS, OPT_MAX_MESSAGES_PER_SECOND, OPT_MAX_QUEUED_BYTES, OPT_REDACT,
           OPT_TLS_CERT, OPT_TLS_KEY, OPT_TOKEN_FILE, OPT_VERSION, OPT_HELP };
    static const struct option longopts[] = {
        { "listen", required_argument, NULL, OPT_LISTEN },
        { "port", required_argument, NULL, OPT_PORT },
        { "dap-port", required_argument, NULL, OPT_DAP_PORT },
        { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
        { "probe-timeout-ms", required_argument, NULL, OPT_PROBE_TIMEOUT },
        { "snapshot-limit", required_argument, NULL, OPT_SNAPSHOT_LIMIT },
        { "max-message-bytes", required_argument, NULL, OPT_MAX_MESSAGE_BYTES },
        { "max-probes", required_argument, NULL, OPT_MAX_PROBES },
        { "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
        { "max-messages-per-second", required_argument, NULL, OPT_MAX_MESSAGES_PER_SECOND },
        { "max-queued-bytes", required_argument, NULL, OPT_MAX_QUEUED_BYTES },
        { "redact", required_argument, NULL, OPT_REDACT },
        { "tls-cert", required_argument, NULL, OPT_TLS_CERT },
        { "tls-key", required_argument, NULL, OPT_TLS_KEY },
        { "token-file", required_argument, NULL, OPT_TOKEN_FILE },
        { "version", no_argument, NULL, OPT_VERSION },
        { "help", no_argument, NULL, OPT_HELP },
        { NULL, 0, NULL, 0 },
    };
    opts->listen_addr = "127.0.0.1";
    opts->port = 4700;
    opts->dap_port = 4711;
    opts->log_level = LOG_INFO;
    opts->probe_timeout_ms = 3000;
    opts->snapshot_limit = SNAPSHOT_STORE_DEFAULT_COUNT;
    opts->redact = NULL;
    opts->tls_cert = NULL;
    opts->tls_key = NULL;
    opts->token_file = NULL;
    opts->limits = server_limits_defaults();

    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_LISTEN:
            opts->listen_addr = optarg;
            break;
        case OPT_PORT:
            if (parse_port(optarg, 0, &opts->port) != 0) {
                fprintf(err, "podbug-server: --port takes a port number 1..65535, not '%s'\n", optarg);
                return OPTIONS_EXIT_ERROR;
            }
            break;
        case OPT_DAP_PORT:
            if (parse_port(optarg, 1, &opts->dap_port) != 0) {
                fprintf(err, "podbug-server: --dap-port takes 0..65535, not '%s'\n", optarg);
                return OPTIONS_EXIT_ERROR;
            }
            break;
        case OPT_LOG_LEVEL:
            if (log_parse_level(optarg, &opts->log_level) != 0) {
                fprintf(err, "podbug-server: --log-level takes error, warn, info or debug, not '%s'\n", optarg);
                return OPTIONS_EXIT_ERROR;
            }
            break;
        case OPT_PROBE_TIMEOUT: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 10 || v > 600000) {
                fprintf(err, "podbug-server: --probe-timeout-ms takes 10..600000, not '%s'\n", optarg);
                return OPTIONS_EXIT_ERROR;
            }
            opts->probe_timeout_ms = (int)v;
            break;
        }
        case OPT_SNAPSHOT_LIMIT: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 1 || v > 1000000) {
                fprintf(err, "podbug-server: --snapshot-limit takes 1..1000000, not '%s'\n", optarg);
                return OPTIONS_EXIT_ERROR;
            }
            opts->snapshot_limit = (int)v;
            break;
        }
        case OPT_MAX_MESSAGE_BYTES:
        case OPT_MAX_PROBES:
        case OPT_MAX_SESSIONS:
        case OPT_MAX_MESSAGES_PER_SECOND:
        case OPT_MAX_QUEUED_BYTES:
            if (parse_limit(&limit_flags[c - OPT_MAX_MESSAGE_BYTES], optarg, &opts->limits, err) != 0)
                return OPTIONS_EXIT_ERROR;
            break;
        case OPT_REDACT:
            if (strspn(optarg, ", ") == strlen(optarg)) {
                fprintf(err, "podbug-server: --redact takes comma-separated patterns, not '%s'\n", optarg);
                return OPTIONS_EXIT_ERROR;
            }
            opts->redact = optarg;
            break;
        case OPT_TLS_CERT:
            opts->tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            opts->tls_key = optarg;
            break;
        case OPT_TOKEN_FILE:
            opts->token_file = optarg;
            break;
        case OPT_VERSION:
            fprintf(out, "podbug-server %s\n", PODBUG_VERSION);
            return OPTIONS_EXIT_OK;
        case OPT_HELP:
            fputs(usage, out);
            return OPTIONS_EXIT_OK;
        default:
            if (optopt >= OPT_LISTEN && optopt <= OPT_HELP)
                fprintf(err, "podbug-server: option '%s' needs a value (see --help)\n", argv[optind - 1]);
            else
                fprintf(err, "podbug-server: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return OPTIONS_EXIT_ERROR;
        }
    }
    if (optind < argc) {
        fprintf(err, "podbug-server: unexpected argument '%s' (see --help)\n", argv[optind]);
        return OPTIONS_EXIT_ERROR;
    }
    if (!opts->tls_cert != !opts->tls_key) {
        fprintf(err, "podbug-server: %s needs %s too (the certificate and its key go together)\n",
                opts->tls_cert ? "--tls-cert" : "--tls-key", opts->tls_cert ? "--tls-key" : "--tls-cert");
        return OPTIONS_EXIT_ERROR;
    }
    return OPTIONS_RUN;
}
