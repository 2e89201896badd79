/* The podbug CLI's subcommands, one file each, dispatched from main.c. Each returns the process
 * exit status (0 only on success) and prints a one-line reason on stderr otherwise. */
#ifndef PODBUG_CLI_COMMANDS_H
#define PODBUG_CLI_COMMANDS_H

#include "server_url.h"

/* `podbug attach --pid N ...`: loads the probe into a running process (ptrace injection). */
int cli_attach(const server_url *server, int argc, char **argv);

/* `podbug pods [--json]`: the registered processes of the fleet. */
int cli_pods(const server_url *server, int argc, char **argv);

/* `podbug snap FILE:LINE ...`: a snapshot breakpoint; prints each snapshot as it arrives. */
int cli_snap(const server_url *server, int argc, char **argv);

/* `podbug log FILE:LINE MESSAGE ...`: a logpoint; prints each line as it arrives. */
int cli_log(const server_url *server, int argc, char **argv);

/* `podbug reload --lib PATH ...`: hot reload of a library in every selected process; --watch
 * PATH after every rebuild; --rollback. */
int cli_reload(const server_url *server, int argc, char **argv);

/* `podbug stacks --pid N [--json]`: every thread's stack of a process, read with ptrace. */
int cli_stacks(const server_url *server, int argc, char **argv);

/* `podbug dap`: a stdio DAP adapter forwarding to the server's DAP WebSocket. */
int cli_dap(const server_url *server, int argc, char **argv);

#endif
