/* Custom DAP request "podbug/pods": the registered processes of the whole fleet, with their
 * labels and state, and which of them this session sees. */
#include "handlers.h"

#include "../fleet.h"

void dap_handle_pods(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    cJSON *pods = fleet_to_json();
    if (!pods) {
        dap_respond_error(ref, "out of memory");
        return;
    }
    /* fleet_to_json lists registered probes in fleet order: mark the ones this session sees. */
    cJSON *item = pods->child;
    for (probe_peer *p = fleet_first(); p && item; p = p->next) {
        if (!p->registered)
            continue;
        cJSON_AddBoolToObject(item, "attached", dap_session_sees(s, p));
        item = item->next;
    }
    cJSON *body = cJSON_CreateObject();
    cJSON_AddItemToObject(body, "pods", pods);
    dap_respond(ref, true, NULL, body);
}
