/* Exception filter fan-out (see exception_filters.h): the capability, parsing a session's choice,
 * the per-probe union across sessions (stop wins over snapshot for a signal) sent as exceptions.set. */
#include "exception_filters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "probe_link.h"

cJSON *exception_filters_capability(void)
{
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; list && i < FATAL_SIGNAL_COUNT; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddItemToArray(list, f);
        cJSON_AddStringToObject(f, "filter", fatal_signals()[i].name);
        cJSON_AddStringToObject(f, "label", fatal_signals()[i].label);
        cJSON_AddBoolToObject(f, "default", false);
        cJSON_AddBoolToObject(f, "supportsCondition", false);
    }
    return list;
}

void exception_filters_add_modes(cJSON *modes)
{
    cJSON *m;
    cJSON_ArrayForEach(m, modes) {
        if (exception_mode_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "mode"))) < 0)
            continue;
        cJSON *applies = cJSON_GetObjectItemCaseSensitive(m, "appliesTo");
        cJSON_AddItemToArray(applies, cJSON_CreateString("exception"));
    }
}

static int choose(int modes[FATAL_SIGNAL_COUNT], const char *filter, const char *mode_text,
                  const char *where, char *err, size_t err_len)
{
    int index = fatal_signal_index(filter);
    int mode = mode_text ? exception_mode_parse(mode_text) : EXCEPTION_STOP;
    if (index < 0) {
        snprintf(err, err_len, "%s: unknown exception filter '%s' (podbug offers SIGSEGV, SIGBUS, "
                 "SIGFPE, SIGILL and SIGABRT)", where, filter ? filter : "");
        return -1;
    }
    if (mode < 0) {
        snprintf(err, err_len, "%s: unknown mode '%s' (modes: stop, snapshot)", where, mode_text);
        return -1;
    }
    if (mode > modes[index])
        modes[index] = mode;
    return 0;
}

int exception_filters_parse(const cJSON *args, int modes[FATAL_SIGNAL_COUNT], char *err, size_t err_len)
{
    memset(modes, 0, sizeof(int) * FATAL_SIGNAL_COUNT);
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(args, "filters");
    const cJSON *options = cJSON_GetObjectItemCaseSensitive(args, "filterOptions");
    if ((filters && !cJSON_IsArray(filters)) || (options && !cJSON_IsArray(options))) {
        snprintf(err, err_len, "'filters' and 'filterOptions' must be arrays");
        return -1;
    }
    int count = 0;
    char where[48];
    const cJSON *item;
    cJSON_ArrayForEach(item, filters) {
        snprintf(where, sizeof where, "filters[%d]", count);
        if (choose(modes, cJSON_GetStringValue(item), NULL, where, err, err_len) != 0)
            return -1;
        count++;
    }
    int n = 0;
    cJSON_ArrayForEach(item, options) {
        snprintf(where, sizeof where, "filterOptions[%d]", n++);
        const cJSON *mode = cJSON_GetObjectItemCaseSensitive(item, "mode");
        if (mode && !cJSON_IsString(mode)) {
            snprintf(err, err_len, "%s.mode: expected a string", where);
            return -1;
        }
        if (choose(modes, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "filterId")),
                   cJSON_GetStringValue(mode), where, err, err_len) != 0)
            return -1;
        count++;
    }
    return count;
}

/* One setExceptionBreakpoints: answered once every probe it went to has replied (or failed), so
 * that the filters are in force when the IDE hears back. */
typedef struct set_batch {
    dap_request_ref ref;
    int filters;             /* one verified Breakpoint per filter in the answer */
    int outstanding;         /* replies awaited, plus one while sending */
} set_batch;

static void batch_done(set_batch *b)
{
    if (--b->outstanding > 0)
        return;
    cJSON *body = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(body, "breakpoints");
    for (int i = 0; i < b->filters; i++) {
        cJSON *bp = cJSON_CreateObject();
        cJSON_AddBoolToObject(bp, "verified", true);
        cJSON_AddItemToArray(list, bp);
    }
    dap_respond(&b->ref, true, NULL, body);
    free(b);
}

static void on_exceptions_set_reply(void *ctx, probe_peer *p, const cJSON *result, const char *error)
{
    if (error)
        log_warn("exceptions.set in probe %llu: %s", p ? (unsigned long long)p->id : 0ULL, error);
    if (ctx)
        batch_done(ctx);
}

/* Sends p the union of the choices of the sessions that see it; with `always` false, nothing
 * when that union is empty (a new probe catches nothing by default). batch (may be NULL) awaits
 * the reply. */
static void send_union(probe_peer *p, bool always, set_batch *batch)
{
    int modes[FATAL_SIGNAL_COUNT] = { 0 };
    for (dap_session *s = dap_session_first(); s; s = s->next)
        if (dap_session_sees(s, p))
            for (int i = 0; i < FATAL_SIGNAL_COUNT; i++)
                if (s->exception_modes[i] > modes[i])
                    modes[i] = s->exception_modes[i];
    cJSON *body = cJSON_CreateObject();
    cJSON *signals = cJSON_AddArrayToObject(body, "signals");
    for (int i = 0; i < FATAL_SIGNAL_COUNT; i++) {
        if (modes[i] == EXCEPTION_OFF)
            continue;
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "signal", fatal_signals()[i].name);
        cJSON_AddStringToObject(entry, "mode", exception_mode_name(modes[i]));
        cJSON_AddItemToArray(signals, entry);
    }
    if (!always && cJSON_GetArraySize(signals) == 0) {
        cJSON_Delete(body);
        return;
    }
    if (batch)
        batch->outstanding++;
    probe_link_request(p, PMSG_EXCEPTIONS_SET, body, on_exceptions_set_reply, batch);
}

static void send_to_seen(const dap_session *s, set_batch *batch)
{
    for (probe_peer *p = fleet_first(); p; p = p->next)
        if (p->registered && s->attached && selector_matches(&s->sel, p))
            send_union(p, true, batch);
}

void exception_filters_set(dap_session *s, const dap_request_ref *ref, const int modes[FATAL_SIGNAL_COUNT],
                           int filters)
{
    memcpy(s->exception_modes, modes, sizeof s->exception_modes);
    set_batch *batch = calloc(1, sizeof *batch);
    if (!batch) {
        dap_respond_error(ref, "setExceptionBreakpoints: out of memory");
        return;
    }
    *batch = (set_batch){ .ref = *ref, .filters = filters, .outstanding = 1 };
    send_to_seen(s, batch);
    batch_done(batch);
}

void exception_filters_probe_joined(probe_peer *p)
{
    send_union(p, false, NULL);
}

void exception_filters_session_gone(dap_session *s)
{
    memset(s->exception_modes, 0, sizeof s->exception_modes);
    send_to_seen(s, NULL);
}
