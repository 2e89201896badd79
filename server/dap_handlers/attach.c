/* DAP "attach": selects the processes this session debugs (selector, pid), records sourceMap,
 * stopAll, budgets and canary (the session options launch takes too), then sends "initialized" so
 * that the IDE sends its breakpoints. With "inject": true and a pid that has no probe yet,
 * inject_attach loads one first. */
#include "handlers.h"

#include <stdio.h>
#include "../fleet.h"
#include "../inject_attach.h"
#include "../launch.h"
#include "../session_auth.h"
#include "log.h"

int dap_session_options_parse(const cJSON *args, const cJSON *selector_json, const cJSON *pid_json,
                              dap_session_options *out, char *err, size_t err_len)
{
    if (selector_parse(selector_json, pid_json, &out->sel, err, err_len) != 0)
        return -1;
    if (source_map_parse(cJSON_GetObjectItemCaseSensitive(args, "sourceMap"), &out->map, err, err_len) != 0) {
        selector_free(&out->sel);
        return -1;
    }
    const cJSON *stop_all = cJSON_GetObjectItemCaseSensitive(args, "stopAll");
    const cJSON *fast = cJSON_GetObjectItemCaseSensitive(args, "fastBreakpoints");
    int rc = 0;
    if ((stop_all && !cJSON_IsBool(stop_all)) || (fast && !cJSON_IsBool(fast))) {
        snprintf(err, err_len, "'%s' must be true or false", stop_all && !cJSON_IsBool(stop_all) ? "stopAll" : "fastBreakpoints");
        rc = -1;
    } else if (budgets_parse(cJSON_GetObjectItemCaseSensitive(args, "budgets"), &out->budgets, err, err_len) != 0 ||
               canary_parse(cJSON_GetObjectItemCaseSensitive(args, "canary"), &out->canary, err, err_len) != 0) {
        rc = -1;
    }
    if (rc != 0) {
        dap_session_options_free(out);
        return -1;
    }
    out->stop_all = stop_all ? cJSON_IsTrue(stop_all) : true;
    out->fast_breakpoints = fast ? cJSON_IsTrue(fast) : true;
    return 0;
}

void dap_session_options_free(dap_session_options *o)
{
    selector_free(&o->sel);
    source_map_free(&o->map);
}

void dap_session_attach_with(dap_session *s, dap_session_options *o)
{
    s->sel = o->sel;
    s->map = o->map;
    s->budgets = o->budgets;
    s->canary = o->canary;
    s->stop_all = o->stop_all;
    s->fast_breakpoints = o->fast_breakpoints;
    s->attached = true;
}

void dap_handle_attach(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    if (s->attached || launch_owned_by(s)) {
        dap_respond_error(ref, "this session is already attached");
        return;
    }
    if (!session_auth_attach(s, ref, args))
        return;
    if (inject_attach_take(s, ref, args))
        return;
    char err[400];
    dap_session_options options;
    if (dap_session_options_parse(args, cJSON_GetObjectItemCaseSensitive(args, "selector"),
                                  cJSON_GetObjectItemCaseSensitive(args, "pid"), &options, err, sizeof err) != 0) {
        dap_respond_error(ref, "attach: %s", err);
        return;
    }
    dap_session_attach_with(s, &options);

    size_t matching = 0;
    for (probe_peer *p = fleet_first(); p; p = p->next)
        if (dap_session_sees(s, p))
            matching++;
    char what[200];
    selector_describe(&s->sel, what, sizeof what);
    log_info("DAP session %llu attached to %s (%zu process%s now)", (unsigned long long)s->id, what, matching,
             matching == 1 ? "" : "es");
    dap_respond(ref, true, NULL, NULL);

    char text[300];
    snprintf(text, sizeof text, "podbug: attached to %s: %zu process%s now, more as they start\n", what, matching,
             matching == 1 ? "" : "es");
    dap_send_console(s, text);
    dap_send_event(s, "initialized", NULL);
}
