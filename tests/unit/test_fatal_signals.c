/* Unit tests for fatal signals as exception breakpoints: the filter table, crash descriptions
 * (protocol/fatal_signals), the setExceptionBreakpoints parser (server/exception_filters) and the
 * probe protocol's exceptions.set and stopped.exception round trips. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <signal.h>
#include <string.h>

#include "exception_filters.h"
#include "fatal_signals.h"
#include "probe_msg.h"

static const char *describe(crash_facts facts)
{
    static char text[160];
    crash_describe(&facts, text, sizeof text);
    return text;
}

Test(fatal_signals, table_and_modes)
{
    cr_assert_eq(fatal_signal_index("SIGSEGV"), 0);
    cr_assert_eq(fatal_signal_index("SIGABRT"), 4);
    cr_assert_eq(fatal_signal_index("SIGKILL"), -1);
    cr_assert_eq(fatal_signal_index(NULL), -1);
    cr_assert_eq(fatal_signal_index_of(SIGFPE), 2);
    cr_assert_eq(fatal_signal_index_of(SIGTERM), -1);
    cr_assert_eq(exception_mode_parse("stop"), EXCEPTION_STOP);
    cr_assert_eq(exception_mode_parse("snapshot"), EXCEPTION_SNAPSHOT);
    cr_assert_eq(exception_mode_parse("never"), -1);
    cr_assert_str_eq(exception_mode_name(EXCEPTION_SNAPSHOT), "snapshot");
}

Test(fatal_signals, describes_faults_and_sent_signals)
{
    cr_assert_str_eq(describe((crash_facts){ .signo = SIGSEGV, .code = SEGV_MAPERR, .address = 0 }),
                     "SIGSEGV: invalid read at 0x0");
    cr_assert_str_eq(describe((crash_facts){ .signo = SIGSEGV, .code = SEGV_ACCERR, .address = 0x1000, .write = true }),
                     "SIGSEGV: invalid write at 0x1000");
    cr_assert_str_eq(describe((crash_facts){ .signo = SIGFPE, .code = FPE_INTDIV, .address = 0x401136 }),
                     "SIGFPE: integer divide by zero at 0x401136");
    cr_assert_str_eq(describe((crash_facts){ .signo = SIGBUS, .code = BUS_ADRERR, .address = 0x7f00 }),
                     "SIGBUS: access beyond the end of a mapped object at 0x7f00");
    cr_assert_str_eq(describe((crash_facts){ .signo = SIGABRT, .code = SI_TKILL, .sender_pid = 42, .own_pid = 42 }),
                     "SIGABRT: abort() called");
    cr_assert_str_eq(describe((crash_facts){ .signo = SIGSEGV, .code = SI_TKILL, .sender_pid = 42, .own_pid = 42 }),
                     "SIGSEGV: raised by the process itself");
    cr_assert_str_eq(describe((crash_facts){ .signo = SIGABRT, .code = SI_USER, .sender_pid = 7, .own_pid = 42 }),
                     "SIGABRT: sent by process 7");
    char small[8];
    crash_facts f = { .signo = SIGSEGV, .code = SEGV_MAPERR };
    crash_describe(&f, small, sizeof small);
    cr_assert_str_eq(small, "SIGSEGV");
}

static int parse(const char *args_text, int modes[FATAL_SIGNAL_COUNT], char *err, size_t err_len)
{
    cJSON *args = cJSON_Parse(args_text);
    cr_assert(args, "bad JSON in the test: %s", args_text);
    int count = exception_filters_parse(args, modes, err, err_len);
    cJSON_Delete(args);
    return count;
}

Test(exception_filters, parses_filters_and_options)
{
    int modes[FATAL_SIGNAL_COUNT];
    char err[200] = "";
    cr_assert_eq(parse("{}", modes, err, sizeof err), 0);
    for (int i = 0; i < FATAL_SIGNAL_COUNT; i++)
        cr_assert_eq(modes[i], EXCEPTION_OFF);
    cr_assert_eq(parse("{\"filters\":[\"SIGABRT\"],\"filterOptions\":[{\"filterId\":\"SIGSEGV\",\"mode\":\"snapshot\"},"
                       "{\"filterId\":\"SIGFPE\"}]}", modes, err, sizeof err), 3, "%s", err);
    cr_assert_eq(modes[fatal_signal_index("SIGABRT")], EXCEPTION_STOP);
    cr_assert_eq(modes[fatal_signal_index("SIGSEGV")], EXCEPTION_SNAPSHOT);
    cr_assert_eq(modes[fatal_signal_index("SIGFPE")], EXCEPTION_STOP);
    cr_assert_eq(modes[fatal_signal_index("SIGBUS")], EXCEPTION_OFF);
    /* the same signal twice: stop wins over snapshot */
    cr_assert_eq(parse("{\"filters\":[\"SIGSEGV\"],\"filterOptions\":[{\"filterId\":\"SIGSEGV\",\"mode\":\"snapshot\"}]}",
                       modes, err, sizeof err), 2);
    cr_assert_eq(modes[0], EXCEPTION_STOP);
}

Test(exception_filters, refuses_unknown_filters_and_modes)
{
    int modes[FATAL_SIGNAL_COUNT];
    char err[200] = "";
    cr_assert_eq(parse("{\"filters\":[\"cpp_throw\"]}", modes, err, sizeof err), -1);
    cr_assert(strstr(err, "filters[0]: unknown exception filter 'cpp_throw'"), "%s", err);
    cr_assert_eq(parse("{\"filterOptions\":[{\"filterId\":\"SIGILL\",\"mode\":\"log\"}]}", modes, err, sizeof err), -1);
    cr_assert_str_eq(err, "filterOptions[0]: unknown mode 'log' (modes: stop, snapshot)");
    cr_assert_eq(parse("{\"filters\":\"SIGSEGV\"}", modes, err, sizeof err), -1);
}

Test(exception_filters, capability_lists_every_signal)
{
    cJSON *caps = exception_filters_capability();
    cr_assert_eq(cJSON_GetArraySize(caps), FATAL_SIGNAL_COUNT);
    cJSON *first = cJSON_GetArrayItem(caps, 0);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(first, "filter")), "SIGSEGV");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(first, "supportsCondition")));
    cJSON_Delete(caps);
}

Test(probe_msg_exceptions, exceptions_set_round_trip)
{
    cJSON *json = cJSON_Parse("{\"signals\":[{\"signal\":\"SIGSEGV\",\"mode\":\"snapshot\"},{\"signal\":\"SIGABRT\"}]}");
    probe_exceptions_set set;
    char err[200];
    cr_assert_eq(probe_exceptions_set_from_json(json, &set, err, sizeof err), 0, "%s", err);
    cr_assert_eq(set.n, 2);
    cr_assert_str_eq(set.signals[0].mode, "snapshot");
    cr_assert_str_eq(set.signals[1].mode, "stop");
    probe_exceptions_set_free(&set);
    cJSON_Delete(json);
    json = cJSON_Parse("{\"signals\":[{\"signal\":\"SIGTERM\"}]}");
    cr_assert_eq(probe_exceptions_set_from_json(json, &set, err, sizeof err), -1);
    cr_assert(strstr(err, "signals[0].signal"), "%s", err);
    cJSON_Delete(json);
}

Test(probe_msg_exceptions, stopped_carries_the_exception_only_when_given)
{
    probe_stopped plain = { .reason = "breakpoint", .tid = 5 };
    cJSON *json = probe_stopped_to_json(&plain);
    cr_assert_null(cJSON_GetObjectItem(json, "exception"));
    cr_assert_null(cJSON_GetObjectItem(json, "description"));
    cJSON_Delete(json);

    probe_stopped crash = { .reason = "exception", .tid = 5, .description = "SIGABRT: abort() called",
                            .exception = { .signal = "SIGABRT", .code = SI_TKILL, .address = 0 } };
    json = probe_stopped_to_json(&crash);
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(json, "exception"));
    cr_assert_str_eq(text, "{\"signal\":\"SIGABRT\",\"code\":-6,\"address\":\"0x0\"}");
    free(text);
    probe_stopped back;
    char err[200];
    cr_assert_eq(probe_stopped_from_json(json, &back, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(back.exception.signal, "SIGABRT");
    cr_assert_eq(back.exception.code, SI_TKILL);
    cr_assert_str_eq(back.description, "SIGABRT: abort() called");
    probe_stopped_free(&back);
    cJSON_Delete(json);
}
