/* Answers the server's HTTP endpoints from the fleet registry, session list, snapshot store and
 * metrics. /healthz is for liveness probes; /metrics for Prometheus; /api/pods for `podbug pods`. */
#include "http_api.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "auth.h"
#include "dap_session.h"
#include "fleet.h"
#include "metrics.h"
#include "snapshot_store.h"

static void set_text(http_response *out, int status, const char *content_type, char *body)
{
    out->status = status;
    out->content_type = content_type;
    out->body = body;
    out->body_len = body ? strlen(body) : 0;
}

void http_api_handle(const char *path, const char *authorization, http_response *out)
{
    const char *refusal = auth_http_refusal(path, authorization);
    if (refusal) {
        set_text(out, 401, "text/plain", strdup(refusal));
    } else if (strcmp(path, "/healthz") == 0) {
        char *body = malloc(160);
        if (body)
            snprintf(body, 160, "{\"status\":\"ok\",\"probes\":%zu,\"sessions\":%zu,\"snapshots\":%zu,\"snapshot_bytes\":%zu}\n",
                     fleet_count(), dap_session_count(), snapshot_store_count(), snapshot_store_bytes());
        set_text(out, 200, "application/json", body);
    } else if (strcmp(path, "/metrics") == 0) {
        set_text(out, 200, "text/plain; version=0.0.4", metrics_render());
    } else if (strcmp(path, "/api/pods") == 0) {
        cJSON *pods = fleet_to_json();
        char *body = pods ? cJSON_PrintUnformatted(pods) : NULL;
        cJSON_Delete(pods);
        set_text(out, 200, "application/json", body);
    } else {
        char *body = malloc(160);
        if (body)
            snprintf(body, 160, "{\"error\":\"no such endpoint: %.80s (try /healthz, /metrics or /api/pods)\"}\n", path);
        set_text(out, 404, "application/json", body);
    }
    if (!out->body) {
        out->status = 500;
        out->body_len = 0;
    }
}
