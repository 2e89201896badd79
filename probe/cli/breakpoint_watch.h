/* What `podbug snap` and `podbug log` share: attach over DAP with a selector, set one breakpoint,
 * say why it is not armed, hand each event to the subcommand, and clean up after --count items or
 * on SIGINT/SIGTERM (remove the breakpoint, disconnect). */
#ifndef PODBUG_CLI_BREAKPOINT_WATCH_H
#define PODBUG_CLI_BREAKPOINT_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include "dap_client.h"
#include "server_url.h"
#include "watch_options.h"

#define WATCH_REQUEST_TIMEOUT_MS 15000

typedef struct breakpoint_watch breakpoint_watch;

typedef struct watch_command {
    watch_syntax syntax;
    const char *mode; /* the breakpoint's DAP mode ("snapshot"); NULL for a logpoint (logMessage) */
    /* Called for every DAP event: returns true when the event was one of the command's items and it
     * printed it (counted against --count); false leaves the event to the shared handling (output
     * to stderr, breakpoint state). A failure to print an item is reported by the command itself. */
    bool (*on_event)(breakpoint_watch *w, const cJSON *event);
} watch_command;

struct breakpoint_watch {
    const watch_command *cmd;
    watch_options opt;
    dap_client *dap;
    int64_t bp_id;    /* the server's id of our breakpoint */
    bool armed;       /* verified in at least one process */
};

/* Runs a subcommand from its argv (argv[0] is its name) until done; returns the exit status:
 * 0 after --count items or an interruption, 1 when the server cannot be reached or fails, 2 on a
 * usage error. */
int breakpoint_watch_run(const watch_command *cmd, const server_url *server, int argc, char **argv);

/* Prints "podbug CMD: " + the formatted text + newline on stderr. */
__attribute__((format(printf, 2, 3))) void breakpoint_watch_note(const breakpoint_watch *w, const char *fmt, ...);

#endif
