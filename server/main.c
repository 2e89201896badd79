/* podbug-server entry point: parses options, starts the event loop, stops cleanly on SIGINT or
 * SIGTERM. Everything else lives in the modules net, probe_link, dap_session and friends. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "auth.h"
#include "log.h"
#include "net.h"
#include "options.h"
#include "probe_link.h"
#include "snapshot_threads.h"

static void on_stop_signal(int sig)
{
    (void)sig;
    net_request_stop();
}

static void on_reload_signal(int sig)
{
    (void)sig;
    auth_request_reload();
}

int main(int argc, char **argv)
{
    server_options opts;
    switch (server_options_parse(argc, argv, &opts, stdout, stderr)) {
    case OPTIONS_EXIT_OK:
        return 0;
    case OPTIONS_EXIT_ERROR:
        return 2;
    case OPTIONS_RUN:
        break;
    }
    log_set_prefix("podbug-server");
    log_set_level(opts.log_level);
    probe_link_set_timeout(opts.probe_timeout_ms);
    probe_link_set_redaction(opts.redact);
    snapshot_threads_init((size_t)opts.snapshot_limit, 0);
    char auth_err[512];
    if (auth_start(opts.token_file, opts.listen_addr, auth_err, sizeof auth_err) != 0) {
        fprintf(stderr, "podbug-server: %s\n", auth_err);
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_reload_signal;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (net_start(&opts) != 0) {
        net_shutdown();
        auth_stop();
        return 1;
    }
    net_run();
    log_info("shutting down");
    net_shutdown();
    snapshot_store_clear();
    auth_stop();
    return 0;
}
