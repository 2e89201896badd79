/* DAP "pause": stops every thread of the process that owns the thread (probe request "pause");
 * the probe then reports "stopped" with reason "pause" for that thread. Processes in other pods
 * run on; pausing a stopped process succeeds at once. */
#include "handlers.h"

#include <stdlib.h>
#include "../probe_link.h"

typedef struct pause_request {
    dap_request_ref ref;
} pause_request;

static void on_pause_reply(void *ctx, probe_peer *p, const cJSON *result, const char *error)
{
    pause_request *req = ctx;
    if (!result || !p)
        dap_respond_error(&req->ref, "pause: %s", error ? error : "the process has gone");
    else
        dap_respond(&req->ref, true, NULL, NULL);
    free(req);
}

void dap_handle_pause(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    int tid;
    probe_peer *p = dap_thread_probe(s, ref, args, &tid);
    if (!p)
        return;
    if (p->stopped) {
        dap_respond(ref, true, NULL, NULL);
        return;
    }
    pause_request *req = malloc(sizeof *req);
    if (!req) {
        dap_respond_error(ref, "out of memory");
        return;
    }
    req->ref = *ref;
    probe_pause body = { .tid = tid };
    probe_link_request(p, PMSG_PAUSE, probe_pause_to_json(&body), on_pause_reply, req);
}
