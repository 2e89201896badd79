/* DAP "threads": one entry per running process ("<pod>/<pid> <program>"), one per stopped thread
 * ("<pod>/<pid> <thread name>": all of a stopped process, or those stopped alone next to the
 * process entry), so hundreds of pods stay usable; then the session's snapshot threads. */
#include "handlers.h"

#include <stdio.h>
#include <string.h>
#include "../handles.h"
#include "../snapshot_threads.h"

static void add_thread(cJSON *list, int id, const char *prefix, const char *name)
{
    char text[256];
    snprintf(text, sizeof text, "%s %s", prefix, name);
    cJSON *t = cJSON_CreateObject();
    cJSON_AddNumberToObject(t, "id", id);
    cJSON_AddStringToObject(t, "name", text);
    cJSON_AddItemToArray(list, t);
}

void dap_handle_threads(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    cJSON *body = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(body, "threads");
    for (probe_peer *p = fleet_first(); p; p = p->next) {
        if (!dap_session_sees(s, p))
            continue;
        char prefix[96];
        fleet_display_name(p, prefix, sizeof prefix);
        bool listed_pid = false;
        if (p->stopped) {
            for (size_t i = 0; i < p->stop.n_threads; i++) {
                const probe_thread *t = &p->stop.threads[i];
                add_thread(list, handles_thread_id(p->id, t->tid), prefix, t->name ? t->name : "?");
                listed_pid |= t->tid == p->hello.pid;
            }
        }
        if (!listed_pid && (!p->stopped || !p->stop.all_threads_stopped || p->stop.n_threads == 0)) {
            const char *exe = p->hello.exe ? p->hello.exe : "?";
            const char *base = strrchr(exe, '/');
            add_thread(list, handles_thread_id(p->id, p->hello.pid), prefix, base ? base + 1 : exe);
        }
    }
    snapshot_threads_list(s, list);
    dap_respond(ref, true, NULL, body);
}
