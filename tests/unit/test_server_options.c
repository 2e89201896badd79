/* Unit tests for server/options: defaults, every flag, the exact one-line reasons for bad values,
 * --help and --version. Output and error streams are captured with open_memstream. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

typedef struct parse_run {
    options_result result;
    server_options opts;
    char *out;
    char *err;
} parse_run;

/* Parses "podbug-server" followed by args (NULL-terminated), capturing what it prints. */
static parse_run parse_args(char **args)
{
    char *argv[16] = { "podbug-server" };
    int argc = 1;
    for (; args[argc - 1]; argc++) {
        cr_assert_lt(argc, 15, "too many arguments for this helper");
        argv[argc] = args[argc - 1];
    }
    parse_run run = { 0 };
    size_t out_len, err_len;
    FILE *out = open_memstream(&run.out, &out_len);
    FILE *err = open_memstream(&run.err, &err_len);
    cr_assert(out && err);
    run.result = server_options_parse(argc, argv, &run.opts, out, err);
    fclose(out);
    fclose(err);
    return run;
}

#define PARSE(...) parse_args((char *[]){ __VA_ARGS__, NULL })

static void parse_run_free(parse_run *run)
{
    free(run->out);
    free(run->err);
}

/* Expects the arguments to be refused with exactly this line on the error stream and nothing on out. */
static void expect_refused(parse_run run, const char *line)
{
    cr_expect_eq(run.result, OPTIONS_EXIT_ERROR);
    cr_expect_str_eq(run.err, line);
    cr_expect_str_empty(run.out);
    parse_run_free(&run);
}

Test(server_options, defaults_serve_on_loopback)
{
    char *none[] = { NULL };
    parse_run run = parse_args(none);
    cr_assert_eq(run.result, OPTIONS_RUN);
    cr_expect_str_eq(run.opts.listen_addr, "127.0.0.1");
    cr_expect_eq(run.opts.port, 4700);
    cr_expect_eq(run.opts.dap_port, 4711);
    cr_expect_eq(run.opts.log_level, LOG_INFO);
    cr_expect_eq(run.opts.probe_timeout_ms, 3000);
    cr_expect_str_empty(run.out);
    cr_expect_str_empty(run.err);
    parse_run_free(&run);
}

Test(server_options, every_flag_is_applied)
{
    parse_run run = PARSE("--listen", "0.0.0.0", "--port", "8080", "--dap-port", "9090", "--log-level", "debug",
                          "--probe-timeout-ms", "250");
    cr_assert_eq(run.result, OPTIONS_RUN);
    cr_expect_str_eq(run.opts.listen_addr, "0.0.0.0");
    cr_expect_eq(run.opts.port, 8080);
    cr_expect_eq(run.opts.dap_port, 9090);
    cr_expect_eq(run.opts.log_level, LOG_DEBUG);
    cr_expect_eq(run.opts.probe_timeout_ms, 250);
    cr_expect_str_empty(run.err);
    parse_run_free(&run);
}

Test(server_options, equals_form_is_accepted)
{
    parse_run run = PARSE("--port=5000", "--log-level=warn");
    cr_assert_eq(run.result, OPTIONS_RUN);
    cr_expect_eq(run.opts.port, 5000);
    cr_expect_eq(run.opts.log_level, LOG_WARN);
    parse_run_free(&run);
}

Test(server_options, port_range_edges)
{
    parse_run low = PARSE("--port", "1", "--dap-port", "65535");
    cr_expect_eq(low.result, OPTIONS_RUN);
    cr_expect_eq(low.opts.port, 1);
    cr_expect_eq(low.opts.dap_port, 65535);
    parse_run_free(&low);

    parse_run high = PARSE("--port", "65535");
    cr_expect_eq(high.result, OPTIONS_RUN);
    cr_expect_eq(high.opts.port, 65535);
    parse_run_free(&high);
}

Test(server_options, dap_port_zero_disables_dap_over_tcp)
{
    parse_run run = PARSE("--dap-port", "0");
    cr_expect_eq(run.result, OPTIONS_RUN);
    cr_expect_eq(run.opts.dap_port, 0);
    parse_run_free(&run);
}

Test(server_options, bad_port_values_are_refused)
{
    expect_refused(PARSE("--port", "0"), "podbug-server: --port takes a port number 1..65535, not '0'\n");
    expect_refused(PARSE("--port", "65536"), "podbug-server: --port takes a port number 1..65535, not '65536'\n");
    expect_refused(PARSE("--port", "-1"), "podbug-server: --port takes a port number 1..65535, not '-1'\n");
    expect_refused(PARSE("--port", "80x"), "podbug-server: --port takes a port number 1..65535, not '80x'\n");
    expect_refused(PARSE("--port", ""), "podbug-server: --port takes a port number 1..65535, not ''\n");
}

Test(server_options, bad_dap_port_values_are_refused)
{
    expect_refused(PARSE("--dap-port", "65536"), "podbug-server: --dap-port takes 0..65535, not '65536'\n");
    expect_refused(PARSE("--dap-port", "-1"), "podbug-server: --dap-port takes 0..65535, not '-1'\n");
    expect_refused(PARSE("--dap-port", "tcp"), "podbug-server: --dap-port takes 0..65535, not 'tcp'\n");
}

Test(server_options, log_levels)
{
    static const struct { const char *name; log_level level; } levels[] = {
        { "error", LOG_ERROR }, { "warn", LOG_WARN }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
    };
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        parse_run run = PARSE("--log-level", (char *)levels[i].name);
        cr_expect_eq(run.result, OPTIONS_RUN, "%s", levels[i].name);
        cr_expect_eq(run.opts.log_level, levels[i].level, "%s", levels[i].name);
        parse_run_free(&run);
    }
    expect_refused(PARSE("--log-level", "verbose"),
                   "podbug-server: --log-level takes error, warn, info or debug, not 'verbose'\n");
}

Test(server_options, probe_timeout_range)
{
    parse_run low = PARSE("--probe-timeout-ms", "10");
    cr_expect_eq(low.result, OPTIONS_RUN);
    cr_expect_eq(low.opts.probe_timeout_ms, 10);
    parse_run_free(&low);

    parse_run high = PARSE("--probe-timeout-ms", "600000");
    cr_expect_eq(high.result, OPTIONS_RUN);
    cr_expect_eq(high.opts.probe_timeout_ms, 600000);
    parse_run_free(&high);

    expect_refused(PARSE("--probe-timeout-ms", "9"), "podbug-server: --probe-timeout-ms takes 10..600000, not '9'\n");
    expect_refused(PARSE("--probe-timeout-ms", "600001"),
                   "podbug-server: --probe-timeout-ms takes 10..600000, not '600001'\n");
    expect_refused(PARSE("--probe-timeout-ms", "1s"), "podbug-server: --probe-timeout-ms takes 10..600000, not '1s'\n");
    expect_refused(PARSE("--probe-timeout-ms", ""), "podbug-server: --probe-timeout-ms takes 10..600000, not ''\n");
}

Test(server_options, missing_value_is_named)
{
    expect_refused(PARSE("--port"), "podbug-server: option '--port' needs a value (see --help)\n");
    expect_refused(PARSE("--log-level"), "podbug-server: option '--log-level' needs a value (see --help)\n");
}

Test(server_options, unknown_long_option_is_named)
{
    expect_refused(PARSE("--verbose"), "podbug-server: unknown option '--verbose' (see --help)\n");
}

/* Fails today: see the report. getopt sets optopt to the letter of an unknown short option, so the
 * message says the option "needs a value". */
Test(server_options, unknown_short_option_is_named)
{
    expect_refused(PARSE("-x"), "podbug-server: unknown option '-x' (see --help)\n");
}

Test(server_options, unexpected_positional_argument)
{
    expect_refused(PARSE("serve"), "podbug-server: unexpected argument 'serve' (see --help)\n");
    expect_refused(PARSE("--port", "5000", "extra"), "podbug-server: unexpected argument 'extra' (see --help)\n");
}

Test(server_options, only_the_first_bad_flag_is_reported)
{
    parse_run run = PARSE("--port", "0", "--dap-port", "-5");
    cr_expect_eq(run.result, OPTIONS_EXIT_ERROR);
    cr_expect_str_eq(run.err, "podbug-server: --port takes a port number 1..65535, not '0'\n");
    parse_run_free(&run);
}

Test(server_options, limits_default_and_apply)
{
    char *none[] = { NULL };
    parse_run defaults = parse_args(none);
    cr_expect_eq(defaults.opts.limits.max_message_bytes, 32u * 1024u * 1024u);
    cr_expect_eq(defaults.opts.limits.max_probes, 10000);
    cr_expect_eq(defaults.opts.limits.max_sessions, 100);
    cr_expect_eq(defaults.opts.limits.max_messages_per_second, LIMIT_DEFAULT_MESSAGES_PER_SECOND);
    cr_expect_eq(defaults.opts.limits.max_queued_bytes, 64u * 1024u * 1024u);
    parse_run_free(&defaults);

    parse_run run = PARSE("--max-message-bytes", "1024", "--max-probes", "1", "--max-sessions", "2",
                          "--max-messages-per-second", "3", "--max-queued-bytes", "4096");
    cr_assert_eq(run.result, OPTIONS_RUN, "%s", run.err);
    cr_expect_eq(run.opts.limits.max_message_bytes, 1024);
    cr_expect_eq(run.opts.limits.max_probes, 1);
    cr_expect_eq(run.opts.limits.max_sessions, 2);
    cr_expect_eq(run.opts.limits.max_messages_per_second, 3);
    cr_expect_eq(run.opts.limits.max_queued_bytes, 4096);
    parse_run_free(&run);
}

Test(server_options, bad_limits_are_refused)
{
    expect_refused(PARSE("--max-probes", "0"), "podbug-server: --max-probes takes a whole number 1..1000000, not '0'\n");
    expect_refused(PARSE("--max-sessions", "-1"),
                   "podbug-server: --max-sessions takes a whole number 1..100000, not '-1'\n");
    expect_refused(PARSE("--max-message-bytes", "1k"),
                   "podbug-server: --max-message-bytes takes a whole number 1024..1073741824, not '1k'\n");
    expect_refused(PARSE("--max-messages-per-second", ""),
                   "podbug-server: --max-messages-per-second takes a whole number 1..10000000, not ''\n");
    expect_refused(PARSE("--max-queued-bytes", "4095"),
                   "podbug-server: --max-queued-bytes takes a whole number 4096..68719476736, not '4095'\n");
}

Test(server_options, help_mentions_every_flag)
{
    parse_run run = PARSE("--help");
    cr_assert_eq(run.result, OPTIONS_EXIT_OK);
    cr_expect_str_empty(run.err);
    static const char *flags[] = { "--listen", "--port", "--dap-port", "--log-level", "--probe-timeout-ms",
                                   "--max-message-bytes", "--max-probes", "--max-sessions",
                                   "--max-messages-per-second", "--max-queued-bytes", "--version", "--help" };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        cr_expect_not_null(strstr(run.out, flags[i]), "--help does not mention %s", flags[i]);
    cr_expect_not_null(strstr(run.out, "usage: podbug-server"));
    parse_run_free(&run);
}

Test(server_options, version_prints_one_line)
{
    parse_run run = PARSE("--version");
    cr_assert_eq(run.result, OPTIONS_EXIT_OK);
    cr_expect_eq(strncmp(run.out, "podbug-server ", 14), 0, "%s", run.out);
    cr_expect_eq(strchr(run.out, '\n'), run.out + strlen(run.out) - 1, "%s", run.out);
    cr_expect_str_empty(run.err);
    parse_run_free(&run);
}

Test(server_options, parses_again_from_a_clean_state)
{
    parse_run first = PARSE("--port", "5000");
    cr_expect_eq(first.opts.port, 5000);
    parse_run_free(&first);
    char *none[] = { NULL };
    parse_run second = parse_args(none);
    cr_expect_eq(second.result, OPTIONS_RUN);
    cr_expect_eq(second.opts.port, 4700);
    parse_run_free(&second);
}

Test(server_options, tls_certificate_and_key_go_together)
{
    char *none[] = { NULL };
    parse_run plain = parse_args(none);
    cr_expect_null(plain.opts.tls_cert);
    cr_expect_null(plain.opts.tls_key);
    parse_run_free(&plain);
    parse_run run = PARSE("--tls-cert", "server.pem", "--tls-key", "server.key");
    cr_assert_eq(run.result, OPTIONS_RUN, "%s", run.err);
    cr_expect_str_eq(run.opts.tls_cert, "server.pem");
    cr_expect_str_eq(run.opts.tls_key, "server.key");
    parse_run_free(&run);
    expect_refused(PARSE("--tls-cert", "server.pem"),
                   "podbug-server: --tls-cert needs --tls-key too (the certificate and its key go together)\n");
    expect_refused(PARSE("--tls-key", "server.key"),
                   "podbug-server: --tls-key needs --tls-cert too (the certificate and its key go together)\n");
    parse_run help = PARSE("--help");
    cr_expect_not_null(strstr(help.out, "--tls-cert FILE"));
    cr_expect_not_null(strstr(help.out, "--tls-key FILE"));
    cr_expect_not_null(strstr(help.out, "PODBUG_CA"));
    parse_run_free(&help);
}
