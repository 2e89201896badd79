/* `podbug snap FILE:LINE`: a snapshot breakpoint across the selected pods; each snapshot that
 * arrives (a stopped snapshot thread) is read, printed as text or one JSON line, and dismissed. */
#include <stdio.h>
#include <stdlib.h>
#include "breakpoint_watch.h"
#include "commands.h"
#include "json_fields.h"
#include "snapshot_fetch.h"
#include "snapshot_text.h"

static const char help[] =
    "usage: podbug snap FILE:LINE [--if COND] [--selector k=v,...] [--count N] [--json]\n"
    "                   [--server URL] [--dap-port N]\n"
    "\n"
    "Sets a snapshot breakpoint at FILE:LINE in every process matching the selector (default: all):\n"
    "each hit captures the stack and variables while the process runs on. Prints each snapshot as\n"
    "it arrives: a header (snapshot N of bp ID, pod/pid, thread, time), then every frame with its\n"
    "arguments and locals, nested members to 3 levels.\n"
    "\n"
    "  --if COND        capture only when the C condition holds, e.g. 'o->amount > 100'\n"
    "  --selector k=v,...  only the pods with these labels (namespace and pod count as labels)\n"
    "  --count N        exit after N snapshots (default: until Ctrl-C or SIGTERM)\n"
    "  --json           one JSON object per snapshot per line\n"
    "  --server URL     the podbug server (default ws://127.0.0.1:4700); its DAP port is used\n"
    "  --dap-port N     the server's DAP port (default 4711)\n"
    "\n"
    "Not armed yet (no matching pod, or the line or condition does not compile) is said on stderr;\n"
    "podbug snap keeps waiting for a pod where it arms. On exit the breakpoint is removed.\n";

static bool is_snapshot_stop(const cJSON *event, int *thread_id)
{
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(event, "body");
    *thread_id = (int)json_number(body, "threadId", 0);
    return json_string_is(event, "event", "stopped") && json_string_is(body, "reason", "snapshot") && *thread_id > 0;
}

static bool print_snapshot(breakpoint_watch *w, const cJSON *event)
{
    int thread_id;
    if (!is_snapshot_stop(event, &thread_id))
        return false;
    char err[600];
    cJSON *snap = snapshot_fetch(w->dap, w->bp_id, thread_id, err, sizeof err);
    if (snap && w->opt.json) {
        char *line = cJSON_PrintUnformatted(snap);
        if (line)
            puts(line);
        free(line);
    } else if (snap) {
        snapshot_text_print(stdout, snap);
    } else {
        breakpoint_watch_note(w, "cannot read snapshot thread %d: %s", thread_id, err);
    }
    fflush(stdout);
    cJSON_Delete(snap);
    cJSON *args = cJSON_CreateObject(); /* continue dismisses the snapshot thread */
    cJSON_AddNumberToObject(args, "threadId", thread_id);
    if (dap_client_request(w->dap, "continue", args, WATCH_REQUEST_TIMEOUT_MS, NULL, err, sizeof err) != 0)
        breakpoint_watch_note(w, "cannot dismiss snapshot thread %d: %s", thread_id, err);
    return snap != NULL;
}

static const watch_command snap_command = {
    .syntax = { .command = "snap", .help = help, .takes_message = false, .takes_json = true },
    .mode = "snapshot",
    .on_event = print_snapshot,
};

int cli_snap(const server_url *server, int argc, char **argv)
{
    return breakpoint_watch_run(&snap_command, server, argc, argv);
}
