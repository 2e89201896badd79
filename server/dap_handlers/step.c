/* DAP "next", "stepIn" and "stepOut": one thread of a stopped process steps (probe request
 * "step") while its other threads stay stopped; answered once the probe started the step, whose
 * end arrives as a "stopped" event (reason "step", or "breakpoint" when one was reached). */
#include "handlers.h"

#include <stdlib.h>
#include <string.h>
#include "../handles.h"
#include "../probe_link.h"

typedef struct step_request {
    dap_request_ref ref;
    int tid;
} step_request;

static void on_step_reply(void *ctx, probe_peer *p, const cJSON *result, const char *error)
{
    step_request *req = ctx;
    if (!result || !p) {
        dap_respond_error(&req->ref, "%s: %s", req->ref.command, error ? error : "the process has gone");
    } else {
        fleet_release_thread(p, req->tid);
        handles_forget_frames(p->id);
        dap_respond(&req->ref, true, NULL, NULL);
    }
    free(req);
}

static void start_step(dap_session *s, const dap_request_ref *ref, const cJSON *args, const char *kind)
{
    const cJSON *granularity = cJSON_GetObjectItemCaseSensitive(args, "granularity");
    if (granularity && (!cJSON_IsString(granularity) ||
                        (strcmp(granularity->valuestring, "line") != 0 &&
                         strcmp(granularity->valuestring, "statement") != 0 &&
                         strcmp(granularity->valuestring, "instruction") != 0))) {
        dap_respond_error(ref, "%s: 'granularity' must be \"statement\", \"line\" or \"instruction\"", ref->command);
        return;
    }
    int tid;
    probe_peer *p = dap_thread_probe(s, ref, args, &tid);
    if (!p)
        return;
    if (!p->stopped) {
        dap_respond_error(ref, "%s: the process of thread %d is running (pause it first)", ref->command, tid);
        return;
    }
    step_request *req = malloc(sizeof *req);
    if (!req) {
        dap_respond_error(ref, "out of memory");
        return;
    }
    req->ref = *ref;
    req->tid = tid;
    probe_step body = { .tid = tid, .kind = (char *)kind,
                        .granularity = granularity ? granularity->valuestring : "line" };
    probe_link_request(p, PMSG_STEP, probe_step_to_json(&body), on_step_reply, req);
}

void dap_handle_next(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    start_step(s, ref, args, "over");
}

void dap_handle_step_in(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    start_step(s, ref, args, "in");
}

void dap_handle_step_out(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    start_step(s, ref, args, "out");
}
