/* Parsing `podbug reload`'s command line (see reload_options.h): getopt_long, then the rules that
 * tie the modes together; the selector and numbers are read as for snap and log. */
#include "reload_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: podbug reload --lib PATH [--selector k=v,...] [--canary] [--canary-seconds N] [--json]\n"
    "       podbug reload --watch PATH [--selector k=v,...] [--canary] [--canary-seconds N] [--json]\n"
    "       podbug reload --rollback [--lib PATH | --name NAME] [--selector k=v,...] [--json]\n"
    "                     [--server URL] [--dap-port N]\n"
    "\n"
    "Hot reload: sends a rebuilt shared library through the server to every process matching the\n"
    "selector (default: all); each swaps the functions that changed in place and keeps its state.\n"
    "All or nothing: if any process refuses or fails, those that reloaded are rolled back.\n"
    "Prints one line per process as it answers (pod/pid, status, what changed, time taken), then a\n"
    "summary. Exit status 0 only when every process reloaded.\n"
    "\n"
    "  --lib PATH           the rebuilt library (its file name, e.g. libhandlers.so, names the\n"
    "                       module it replaces); at most 16 MiB\n"
    "  --watch PATH         wait, and reload PATH each time it is rebuilt (written or renamed into\n"
    "                       place, then quiet for 200 ms); runs until Ctrl-C or SIGTERM, prints\n"
    "                       crashes in reloaded code meanwhile; a failed reload does not end it\n"
    "  --rollback           back to the previous code of the module named by --lib's file name or\n"
    "                       --name (default: the module reloaded last)\n"
    "  --name NAME          with --rollback: the module's file name, e.g. libhandlers.so\n"
    "  --selector k=v,...   only the processes with these labels (namespace and pod count as labels)\n"
    "  --canary             reload one process first and the others only if it stays healthy\n"
    "                       (connected, no crash in the new code) for 10 s\n"
    "  --canary-seconds N   that time, 0..3600 (implies --canary)\n"
    "  --json               print the server's answer as one JSON object per reload\n"
    "  --server URL         the podbug server (default ws://127.0.0.1:4700); its DAP port is used\n"
    "  --dap-port N         the server's DAP port (default 4711)\n"
    "\n"
    "A crash in reloaded code rolls that reload back in every other process; the crash and its\n"
    "stack are printed (--watch) and reported to every IDE attached.\n";

const watch_syntax reload_syntax = { .command = "reload", .help = help, .takes_message = false, .takes_json = true };

enum { OPT_LIB = 1, OPT_WATCH, OPT_ROLLBACK, OPT_NAME, OPT_SELECTOR, OPT_CANARY, OPT_CANARY_SECONDS, OPT_JSON,
       OPT_DAP_PORT, OPT_HELP = 'h' };

static int take_canary_seconds(const char *arg, reload_options *out)
{
    char *end;
    double seconds = strtod(arg, &end);
    if (end == arg || *end != '\0' || !(seconds >= 0 && seconds <= 3600))
        return watch_usage_error(&reload_syntax, "--canary-seconds wants a number 0..3600, not '%s'", arg);
    out->canary = true;
    out->canary_seconds = seconds;
    return WATCH_OPTIONS_OK;
}

/* The options as they are read, and how often --lib and --watch came. */
typedef struct reading {
    reload_options *out;
    int given_lib, given_watch;
} reading;

static int take_option(const watch_syntax *syntax, int option, const char *arg, void *ctx)
{
    reading *r = ctx;
    reload_options *out = r->out;
    switch (option) {
    case OPT_LIB: out->lib = arg; r->given_lib++; return WATCH_OPTIONS_OK;
    case OPT_WATCH: out->lib = arg; out->mode = RELOAD_WATCH; r->given_watch++; return WATCH_OPTIONS_OK;
    case OPT_ROLLBACK: out->rollback = true; return WATCH_OPTIONS_OK;
    case OPT_NAME: out->name = arg; return WATCH_OPTIONS_OK;
    case OPT_SELECTOR: return watch_parse_selector(syntax, arg, out->selector);
    case OPT_CANARY: out->canary = true; return WATCH_OPTIONS_OK;
    case OPT_CANARY_SECONDS: return take_canary_seconds(arg, out);
    case OPT_JSON: out->json = true; return WATCH_OPTIONS_OK;
    case OPT_DAP_PORT: return watch_parse_dap_port(syntax, arg, &out->dap_port);
    }
    return WATCH_OPTIONS_BAD;
}

/* What the options say together, once all are read. */
static int check_combination(int given_lib, int given_watch, const reload_options *o)
{
    if (given_lib + given_watch > 1 || (given_watch && o->rollback))
        return watch_usage_error(&reload_syntax, "give one of --lib PATH, --watch PATH or --rollback");
    if (o->mode == RELOAD_WATCH && o->name)
        return watch_usage_error(&reload_syntax, "--name goes with --rollback only");
    if (o->rollback) {
        if (o->canary)
            return watch_usage_error(&reload_syntax, "a rollback has no canary");
        if (o->lib && o->name)
            return watch_usage_error(&reload_syntax, "--rollback takes --lib PATH or --name NAME, not both");
        return WATCH_OPTIONS_OK;
    }
    if (o->name)
        return watch_usage_error(&reload_syntax, "--name goes with --rollback; to reload, give --lib PATH");
    if (!o->lib)
        return watch_usage_error(&reload_syntax, "which library? give --lib PATH (or --watch PATH, or --rollback)");
    return WATCH_OPTIONS_OK;
}

int reload_options_parse(int argc, char **argv, reload_options *out)
{
    static const struct option longopts[] = {
        { "lib", required_argument, NULL, OPT_LIB },           { "watch", required_argument, NULL, OPT_WATCH },
        { "rollback", no_argument, NULL, OPT_ROLLBACK },       { "name", required_argument, NULL, OPT_NAME },
        { "selector", required_argument, NULL, OPT_SELECTOR }, { "canary", no_argument, NULL, OPT_CANARY },
        { "canary-seconds", required_argument, NULL, OPT_CANARY_SECONDS },
        { "json", no_argument, NULL, OPT_JSON },               { "dap-port", required_argument, NULL, OPT_DAP_PORT },
        { "help", no_argument, NULL, OPT_HELP },               { NULL, 0, NULL, 0 },
    };
    memset(out, 0, sizeof *out);
    out->mode = RELOAD_ONCE;
    out->canary_seconds = -1;
    out->dap_port = WATCH_DEFAULT_DAP_PORT;
    out->selector = cJSON_CreateObject();
    reading r = { out, 0, 0 };
    int rc = out->selector ? watch_getopt(&reload_syntax, argc, argv, longopts, take_option, &r)
                           : watch_usage_error(&reload_syntax, "out of memory");
    if (rc == WATCH_OPTIONS_OK && optind < argc)
        rc = watch_usage_error(&reload_syntax, "unexpected argument '%s'", argv[optind]);
    if (rc == WATCH_OPTIONS_OK)
        rc = check_combination(r.given_lib, r.given_watch, out);
    if (rc == WATCH_OPTIONS_OK && out->rollback)
        out->mode = RELOAD_ROLLBACK;
    if (rc != WATCH_OPTIONS_OK)
        reload_options_free(out);
    return rc;
}

void reload_options_free(reload_options *o)
{
    cJSON_Delete(o->selector);
    o->selector = NULL;
}

const char *reload_options_name(const reload_options *o)
{
    if (o->name)
        return o->name;
    if (!o->lib)
        return NULL;
    const char *slash = strrchr(o->lib, '/');
    return slash ? slash + 1 : o->lib;
}
