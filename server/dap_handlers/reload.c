/* Custom DAP request "podbug/reload": validates the arguments, picks the processes the session sees
 * that match its selector, and starts the reload (or rollback) that answers it (reload_run.c). */
#include "handlers.h"

#include <stdlib.h>
#include "../reload_run.h"

void dap_handle_reload(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    if (!s->attached || s->detached) {
        dap_respond_error(ref, "podbug/reload: attach first: the reload goes to the processes the session debugs");
        return;
    }
    char err[400];
    reload_args parsed;
    if (reload_args_parse(args, &parsed, err, sizeof err) != 0) {
        dap_respond_error(ref, "podbug/reload: %s", err);
        return;
    }
    size_t n = 0;
    for (probe_peer *p = fleet_first(); p; p = p->next)
        n += dap_session_sees(s, p) && selector_matches(&parsed.narrow, p);
    probe_peer **targets = calloc(n ? n : 1, sizeof *targets);
    const probe_peer *busy = NULL;
    size_t k = 0;
    for (probe_peer *p = fleet_first(); targets && p && k < n; p = p->next) {
        if (!dap_session_sees(s, p) || !selector_matches(&parsed.narrow, p))
            continue;
        targets[k++] = p;
        if (!busy && reload_run_busy(p))
            busy = p;
    }
    char attached[200], narrowed[200], name[96];
    if (!targets) {
        dap_respond_error(ref, "podbug/reload: out of memory");
    } else if (n == 0) {
        selector_describe(&s->sel, attached, sizeof attached);
        selector_describe(&parsed.narrow, narrowed, sizeof narrowed);
        dap_respond_error(ref, "podbug/reload: no process matches (the session is attached to %s; 'selector': %s)",
                          attached, parsed.narrow.n_labels ? narrowed : "none");
    } else if (busy) {
        dap_respond_error(ref, "podbug/reload: %s is in a reload still in progress; try again when it is over",
                          fleet_display_name(busy, name, sizeof name));
    } else {
        reload_run_start(s, ref, &parsed, targets, n);
    }
    reload_args_free(&parsed);
    free(targets);
}
