/* The command line shared by `podbug snap` and `podbug log`: FILE:LINE [MESSAGE], --if, --selector,
 * --count, --dap-port, --json, --help; usage errors as one line on stderr. */
#ifndef PODBUG_CLI_WATCH_OPTIONS_H
#define PODBUG_CLI_WATCH_OPTIONS_H

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>

#define WATCH_DEFAULT_DAP_PORT 4711

/* What one subcommand accepts. */
typedef struct watch_syntax {
    const char *command;  /* "snap": messages start "podbug snap: " */
    const char *help;     /* printed by --help */
    bool takes_message;   /* FILE:LINE MESSAGE (a logpoint) rather than FILE:LINE */
    bool takes_json;      /* --json */
} watch_syntax;

typedef struct watch_options {
    char file[PATH_MAX];     /* FILE of FILE:LINE, as given (the server matches trailing components) */
    int line;
    const char *message;     /* the logpoint's MESSAGE (takes_message only), from argv */
    const char *condition;   /* --if COND, NULL when none; from argv */
    cJSON *selector;         /* --selector k=v,... as an object of label -> value; empty = every pod */
    long count;              /* stop after this many; 0 = until interrupted */
    int dap_port;            /* --dap-port, default WATCH_DEFAULT_DAP_PORT */
    bool json;               /* --json */
} watch_options;

enum { WATCH_OPTIONS_OK = 0, WATCH_OPTIONS_HELP = 1, WATCH_OPTIONS_BAD = 2 };

/* argv[0] is the subcommand's name. Returns WATCH_OPTIONS_OK with *out (free it with
 * watch_options_free), WATCH_OPTIONS_HELP after printing the help, or WATCH_OPTIONS_BAD after one
 * line on stderr ("podbug snap: FILE:LINE must end in a line number, e.g. orders.c:44, not 'x'"). */
int watch_options_parse(const watch_syntax *syntax, int argc, char **argv, watch_options *out);
void watch_options_free(watch_options *o);

#endif
