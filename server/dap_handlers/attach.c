/* DAP "attach": selects the processes this session debugs (selector, pid), records sourceMap,
 * stopAll, budgets and canary, then sends "initialized" so that the IDE sends its breakpoints.
 * With "inject": true and a pid that has no probe yet, inject_attach loads one first. */
#include "handlers.h"

#include <stdio.h>
#include "../fleet.h"
#include "../inject_attach.h"
#include "log.h"

void dap_handle_attach(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    if (s->attached) {
        dap_respond_error(ref, "this session is already attached");
        return;
    }
    if (inject_attach_take(s, ref, args))
        return;
    char err[400];
    selector sel;
    source_map map;
    if (selector_parse(cJSON_GetObjectItemCaseSensitive(args, "selector"),
                       cJSON_GetObjectItemCaseSensitive(args, "pid"), &sel, err, sizeof err) != 0) {
        dap_respond_error(ref, "attach: %s", err);
        return;
    }
    if (source_map_parse(cJSON_GetObjectItemCaseSensitive(args, "sourceMap"), &map, err, sizeof err) != 0) {
        selector_free(&sel);
        dap_respond_error(ref, "attach: %s", err);
        return;
    }
    const cJSON *stop_all = cJSON_GetObjectItemCaseSensitive(args, "stopAll");
    session_budgets budgets;
    canary_options canary;
    const char *refusal = NULL;
    if (stop_all && !cJSON_IsBool(stop_all))
        refusal = "'stopAll' must be true or false";
    else if (budgets_parse(cJSON_GetObjectItemCaseSensitive(args, "budgets"), &budgets, err, sizeof err) != 0)
        refusal = err;
    else if (canary_parse(cJSON_GetObjectItemCaseSensitive(args, "canary"), &canary, err, sizeof err) != 0)
        refusal = err;
    if (refusal) {
        selector_free(&sel);
        source_map_free(&map);
        dap_respond_error(ref, "attach: %s", refusal);
        return;
    }
    s->sel = sel;
    s->map = map;
    s->budgets = budgets;
    s->canary = canary;
    s->stop_all = stop_all ? cJSON_IsTrue(stop_all) : true;
    s->attached = true;

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
