/* The command line shared by `podbug snap` and `podbug log`: FILE:LINE [MESSAGE], --if, --selector,
 * --count, --dap-port, --json, --help; usage errors as one line on stderr. */
#ifndef PODBUG_CLI_WATCH_OPTIONS_H
#define PODBUG_CLI_WATCH_OPTIONS_H

#include <cjson/cJSON.h>
#include <getopt.h>
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

/* Pieces other commands' option parsing shares. watch_getopt runs getopt_long over argv (argv[0]
 * is the subcommand): -h/--help prints syntax->help (WATCH_OPTIONS_HELP), a missing value or an
 * unknown option is a usage error, any other option goes to take (which returns WATCH_OPTIONS_OK
 * or a usage error). Stops at the first failure; optind is then at the first operand. */
typedef int (*watch_take_fn)(const watch_syntax *syntax, int option, const char *arg, void *ctx);
int watch_getopt(const watch_syntax *syntax, int argc, char **argv, const struct option *longopts, watch_take_fn take,
                 void *ctx);
/* A usage error: one line on stderr ("podbug CMD: <text> (see podbug CMD --help)"); returns
 * WATCH_OPTIONS_BAD. */
__attribute__((format(printf, 2, 3))) int watch_usage_error(const watch_syntax *syntax, const char *fmt, ...);
/* A decimal number in [min, max]; -1 when text is anything else. */
long watch_parse_number(const char *text, long min, long max);
/* --dap-port's value into *port. Returns WATCH_OPTIONS_OK or a usage error. */
int watch_parse_dap_port(const watch_syntax *syntax, const char *arg, int *port);
/* "k=v,k=v" added to the selector object; an empty text adds nothing (every pod). Returns
 * WATCH_OPTIONS_OK or a usage error. */
int watch_parse_selector(const watch_syntax *syntax, const char *text, cJSON *selector);

#endif
