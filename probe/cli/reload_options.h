/* The command line of `podbug reload`: --lib PATH, --watch PATH or --rollback [--lib PATH |
 * --name NAME], with --selector, --canary, --canary-seconds, --json, --dap-port and --help. */
#ifndef PODBUG_CLI_RELOAD_OPTIONS_H
#define PODBUG_CLI_RELOAD_OPTIONS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include "watch_options.h"

typedef enum reload_mode { RELOAD_ONCE, RELOAD_WATCH, RELOAD_ROLLBACK } reload_mode;

typedef struct reload_options {
    reload_mode mode;
    bool rollback;            /* --rollback (mode ROLLBACK once parsed) */
    const char *lib;          /* the library file (ONCE, WATCH; ROLLBACK: names the module), from argv */
    const char *name;         /* --name (ROLLBACK), from argv; NULL: the module reloaded last */
    cJSON *selector;          /* --selector k=v,... as an object; empty = every process attached */
    bool canary;              /* --canary, or --canary-seconds given */
    double canary_seconds;    /* -1 when not given (the server's default) */
    int dap_port;
    bool json;
} reload_options;

extern const watch_syntax reload_syntax;

/* argv[0] is "reload". Returns WATCH_OPTIONS_OK with *out (free it with reload_options_free),
 * WATCH_OPTIONS_HELP after printing the help, or WATCH_OPTIONS_BAD after one line on stderr. */
int reload_options_parse(int argc, char **argv, reload_options *out);
void reload_options_free(reload_options *o);

/* The library's file name: --name, else the last component of --lib; NULL when neither. */
const char *reload_options_name(const reload_options *o);

#endif
