/* The podbug command line: global options (--server), then one subcommand from commands.h.
 * Exit status 0 only on success; otherwise a one-line reason on stderr. */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "server_url.h"

static const char usage[] =
    "usage: podbug COMMAND [options] [--server URL]\n"
    "\n"
    "  --server URL   the podbug server, before or after the command (default ws://127.0.0.1:4700;\n"
    "                 wss://HOST:PORT for a server with TLS)\n"
    "\n"
    "commands:\n"
    "  attach --pid N [--pod NAME] [--namespace NS] [--labels k=v,...] [--json]\n"
    "                 load the probe into a running process without a restart (ptrace);\n"
    "                 it then registers with the server\n"
    "  pods [--json]  list the processes registered with the server: pod, namespace, pid,\n"
    "                 state (running or stopped), executable and labels\n"
    "  snap FILE:LINE [--if COND] [--selector k=v,...] [--count N] [--json] [--dap-port N]\n"
    "                 set a snapshot breakpoint and print each snapshot (stack and variables)\n"
    "                 as it arrives; the processes run on\n"
    "  log FILE:LINE MESSAGE [--if COND] [--selector k=v,...] [--count N] [--dap-port N]\n"
    "                 set a logpoint ('order {o->id}') and print each line as it arrives\n"
    "  reload --lib PATH [--selector k=v,...] [--canary] [--canary-seconds N] [--json] [--dap-port N]\n"
    "                 hot reload: swap the rebuilt library's changed functions into every\n"
    "                 matching process, all or nothing; one line per process, then a summary\n"
    "  reload --watch PATH [...]\n"
    "                 reload PATH each time it is rebuilt, until Ctrl-C\n"
    "  reload --rollback [--lib PATH | --name NAME] [--selector k=v,...]\n"
    "                 back to the code that ran before the last reload\n"
    "  stacks --pid N [--json]\n"
    "                 every thread's stack of process N with arguments, read with ptrace\n"
    "                 (nothing is loaded into it; it is stopped for a moment)\n"
    "  dap [--server URL]\n"
    "                 a DAP adapter on stdin and stdout for IDEs that spawn one; forwards every\n"
    "                 message to the server's DAP WebSocket (URL + /dap)\n"
    "\n"
    "PODBUG_TOKEN, when set, is the token the commands present to a server with --token-file\n"
    "(attach hands it to the probe it loads). PODBUG_CA, when set, is the PEM CA bundle that\n"
    "verifies a wss:// server's certificate (default: the system's CAs; attach hands it on too).\n"
    "podbug COMMAND --help tells more about one command.\n";

static const struct {
    const char *name;
    int (*run)(const server_url *server, int argc, char **argv);
} commands[] = {
    { "attach", cli_attach },
    { "pods", cli_pods },
    { "snap", cli_snap },
    { "log", cli_log },
    { "reload", cli_reload },
    { "stacks", cli_stacks },
    { "dap", cli_dap },
};

/* Takes --server URL / --server=URL out of argv wherever it stands (before or after the command,
 * as every subcommand accepts it). Returns the new argc; *url is the last one given. */
static int take_server_option(int argc, char **argv, const char **url, char *err, size_t err_len)
{
    int kept = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0) {
            if (i + 1 == argc) {
                snprintf(err, err_len, "--server needs a URL, e.g. ws://127.0.0.1:4700");
                return -1;
            }
            *url = argv[++i];
        } else if (strncmp(argv[i], "--server=", 9) == 0) {
            *url = argv[i] + 9;
        } else {
            argv[kept++] = argv[i];
        }
    }
    argv[kept] = NULL;
    return kept;
}

int main(int argc, char **argv)
{
    const char *url = "ws://127.0.0.1:4700";
    char err[300];
    argc = take_server_option(argc, argv, &url, err, sizeof err);
    if (argc < 0) {
        fprintf(stderr, "podbug: %s\n", err);
        return 2;
    }
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc == 1 || argv[1][0] == '-') {
        fprintf(stderr, argc == 1 ? "podbug: which command? (see podbug --help)\n"
                                  : "podbug: unknown option '%s' (see podbug --help)\n", argv[1]);
        return 2;
    }
    server_url server;
    if (server_url_parse(url, "--server", &server, err, sizeof err) != 0) {
        fprintf(stderr, "podbug: %s\n", err);
        return 2;
    }
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
        if (strcmp(commands[c].name, argv[1]) == 0)
            return commands[c].run(&server, argc - 1, argv + 1);
    fprintf(stderr, "podbug: unknown command '%s' (see podbug --help)\n", argv[1]);
    return 2;
}
