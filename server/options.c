/* Parses podbug-server's command line into server_options and prints --help.
 * Every flag has a default so that `podbug-server` alone serves on loopback. */
#include "options.h"

#include <getopt.h>
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
    "  --version              print the version and exit\n"
    "  --help                 print this help and exit\n";

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
    enum { OPT_LISTEN = 1, OPT_PORT, OPT_DAP_PORT, OPT_LOG_LEVEL, OPT_PROBE_TIMEOUT, OPT_SNAPSHOT_LIMIT, OPT_VERSION,
           OPT_HELP };
    static const struct option longopts[] = {
        { "listen", required_argument, NULL, OPT_LISTEN },
        { "port", required_argument, NULL, OPT_PORT },
        { "dap-port", required_argument, NULL, OPT_DAP_PORT },
        { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
        { "probe-timeout-ms", required_argument, NULL, OPT_PROBE_TIMEOUT },
        { "snapshot-limit", required_argument, NULL, OPT_SNAPSHOT_LIMIT },
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
    return OPTIONS_RUN;
}
