/* Parsing the command line of `podbug snap` / `podbug log` (see watch_options.h): getopt_long for
 * the options, then FILE:LINE, the logpoint message and the k=v,... selector checked by hand. */
#include "watch_options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_IF = 1, OPT_SELECTOR, OPT_COUNT, OPT_DAP_PORT, OPT_JSON, OPT_HELP = 'h' };

int watch_usage_error(const watch_syntax *syntax, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "podbug %s: ", syntax->command);
    vfprintf(stderr, fmt, args);
    fprintf(stderr, " (see podbug %s --help)\n", syntax->command);
    va_end(args);
    return WATCH_OPTIONS_BAD;
}

long watch_parse_number(const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    return text[0] >= '0' && text[0] <= '9' && *end == '\0' && errno == 0 && n >= min && n <= max ? n : -1;
}

static int parse_location(const watch_syntax *syntax, const char *text, watch_options *out)
{
    const char *colon = strrchr(text, ':');
    long line = colon ? watch_parse_number(colon + 1, 1, INT_MAX) : -1;
    if (!colon || colon == text || line < 0)
        return watch_usage_error(syntax, "FILE:LINE must name a file and a line number, e.g. orders.c:44, not '%s'",
                           text);
    size_t len = (size_t)(colon - text);
    if (len >= sizeof out->file)
        return watch_usage_error(syntax, "the file name in '%.60s...' is too long", text);
    memcpy(out->file, text, len);
    out->file[len] = '\0';
    out->line = (int)line;
    return WATCH_OPTIONS_OK;
}

int watch_parse_selector(const watch_syntax *syntax, const char *text, cJSON *selector)
{
    char *copy = strdup(text);
    if (!copy)
        return watch_usage_error(syntax, "out of memory");
    int rc = WATCH_OPTIONS_OK;
    char *save = NULL;
    for (char *pair = strtok_r(copy, ",", &save); pair && rc == WATCH_OPTIONS_OK; pair = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(pair, '=');
        if (!eq || eq == pair || eq[1] == '\0')
            rc = watch_usage_error(syntax,
                                   "--selector wants LABEL=VALUE[,LABEL=VALUE...], e.g. app=checkout,namespace=shop, "
                                   "not '%s'",
                                   text);
        else if ((*eq = '\0', cJSON_GetObjectItemCaseSensitive(selector, pair)))
            rc = watch_usage_error(syntax, "--selector names the label '%s' twice", pair);
        else
            cJSON_AddStringToObject(selector, pair, eq + 1);
    }
    free(copy);
    return rc;
}

static int take_option(const watch_syntax *syntax, int option, const char *arg, void *options)
{
    watch_options *out = options;
    switch (option) {
    case OPT_IF:
        out->condition = arg;
        return WATCH_OPTIONS_OK;
    case OPT_SELECTOR:
        return watch_parse_selector(syntax, arg, out->selector);
    case OPT_COUNT:
        out->count = watch_parse_number(arg, 1, LONG_MAX);
        return out->count > 0 ? WATCH_OPTIONS_OK
                              : watch_usage_error(syntax, "--count wants a positive number, not '%s'", arg);
    case OPT_DAP_PORT:
        return watch_parse_dap_port(syntax, arg, &out->dap_port);
    case OPT_JSON:
        out->json = true;
        return WATCH_OPTIONS_OK;
    }
    return WATCH_OPTIONS_BAD;
}

int watch_parse_dap_port(const watch_syntax *syntax, const char *arg, int *port)
{
    *port = (int)watch_parse_number(arg, 1, 65535);
    return *port > 0 ? WATCH_OPTIONS_OK : watch_usage_error(syntax, "--dap-port wants 1..65535, not '%s'", arg);
}

int watch_getopt(const watch_syntax *syntax, int argc, char **argv, const struct option *longopts, watch_take_fn take,
                 void *ctx)
{
    int rc = WATCH_OPTIONS_OK;
    opterr = 0;
    optind = 1;
    for (int c; rc == WATCH_OPTIONS_OK && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1;) {
        if (c == 'h') {
            fputs(syntax->help, stdout);
            rc = WATCH_OPTIONS_HELP;
        } else if (c == ':') {
            rc = watch_usage_error(syntax, "%s needs a value", argv[optind - 1]);
        } else if (c == '?') {
            rc = watch_usage_error(syntax, "unknown option '%s'", argv[optind - 1]);
        } else {
            rc = take(syntax, c, optarg, ctx);
        }
    }
    return rc;
}

int watch_options_parse(const watch_syntax *syntax, int argc, char **argv, watch_options *out)
{
    static const struct option all[] = {
        { "if", required_argument, NULL, OPT_IF },         { "selector", required_argument, NULL, OPT_SELECTOR },
        { "count", required_argument, NULL, OPT_COUNT },   { "dap-port", required_argument, NULL, OPT_DAP_PORT },
        { "help", no_argument, NULL, OPT_HELP },           { "json", no_argument, NULL, OPT_JSON },
        { NULL, 0, NULL, 0 },
    };
    const size_t n_all = sizeof all / sizeof all[0];
    struct option longopts[sizeof all / sizeof all[0]];
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++)
        if (all[i].val != OPT_JSON || syntax->takes_json)
            longopts[n++] = all[i];

    memset(out, 0, sizeof *out);
    out->dap_port = WATCH_DEFAULT_DAP_PORT;
    out->selector = cJSON_CreateObject();
    int rc = out->selector ? watch_getopt(syntax, argc, argv, longopts, take_option, out)
                           : watch_usage_error(syntax, "out of memory");
    int operands = syntax->takes_message ? 2 : 1;
    if (rc == WATCH_OPTIONS_OK && argc - optind < operands)
        rc = watch_usage_error(syntax, "%s",
                               argc == optind ? "which FILE:LINE?" : "which MESSAGE? e.g. 'order {o->id}'");
    else if (rc == WATCH_OPTIONS_OK && argc - optind > operands)
        rc = watch_usage_error(syntax, "unexpected argument '%s'", argv[optind + operands]);
    if (rc == WATCH_OPTIONS_OK)
        rc = parse_location(syntax, argv[optind], out);
    if (rc == WATCH_OPTIONS_OK && syntax->takes_message)
        out->message = argv[optind + 1];
    if (rc != WATCH_OPTIONS_OK)
        watch_options_free(out);
    return rc;
}

void watch_options_free(watch_options *o)
{
    cJSON_Delete(o->selector);
    o->selector = NULL;
}
