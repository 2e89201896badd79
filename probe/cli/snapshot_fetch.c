/* Fetching a snapshot thread over DAP (see snapshot_fetch.h): its identity from podbug/snapshots,
 * then frames, scopes and variables, children fetched to a fixed nesting with a request budget. */
#include "snapshot_fetch.h"

#include <stdbool.h>
#include <stdio.h>
#include "breakpoint_watch.h"
#include "json_fields.h"

typedef struct fetch {
    dap_client *dap;
    int requests_left;
    char *err;
    size_t err_len;
} fetch;

/* Sends a request whose arguments are built by the caller; 0 with *body, or -1 with f->err. */
static int request(fetch *f, const char *command, cJSON *args, cJSON **body)
{
    return dap_client_request(f->dap, command, args, WATCH_REQUEST_TIMEOUT_MS, body, f->err, f->err_len);
}

static void copy_item(cJSON *to, const char *to_key, const cJSON *from, const char *from_key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(from, from_key);
    if (item)
        cJSON_AddItemToObject(to, to_key, cJSON_Duplicate(item, true));
}

/* Who and when: the podbug/snapshots entry shown as thread_id. */
static int describe(fetch *f, int64_t bp_id, int thread_id, cJSON *snap)
{
    cJSON *args = cJSON_CreateObject(), *body;
    cJSON_AddNumberToObject(args, "breakpointId", (double)bp_id);
    if (request(f, "podbug/snapshots", args, &body) != 0)
        return -1;
    const cJSON *entry, *found = NULL;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(body, "snapshots"))
        if (json_number(entry, "threadId", 0) == thread_id)
            found = entry;
    if (found) {
        copy_item(snap, "snapshot", found, "sequence");
        cJSON_AddNumberToObject(snap, "breakpoint", (double)bp_id);
        copy_item(snap, "pod", found, "pod");
        copy_item(snap, "pid", found, "pid");
        copy_item(snap, "tid", found, "tid");
        copy_item(snap, "thread", found, "thread");
        copy_item(snap, "time", found, "time");
        copy_item(snap, "time_ms", found, "timeMs");
    } else {
        snprintf(f->err, f->err_len, "snapshot thread %d is not among the stored snapshots of breakpoint %lld",
                 thread_id, (long long)bp_id);
    }
    cJSON_Delete(body);
    return found ? 0 : -1;
}

/* The children of variablesReference ref as VARs; `levels` is how many nesting levels they and
 * their descendants may still take. A pointee ("*p", shown on its pointer's line) takes none.
 * Grandchildren are fetched while the request budget lasts. NULL with f->err when a request fails. */
static cJSON *fetch_variables(fetch *f, int ref, int levels)
{
    f->requests_left--;
    cJSON *args = cJSON_CreateObject(), *body;
    cJSON_AddNumberToObject(args, "variablesReference", ref);
    cJSON_AddNumberToObject(args, "start", 0);
    cJSON_AddNumberToObject(args, "count", SNAPSHOT_FETCH_CHILDREN);
    if (request(f, "variables", args, &body) != 0)
        return NULL;
    cJSON *out = cJSON_CreateArray();
    const cJSON *v;
    int n = 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(body, "variables")) {
        if (n++ == SNAPSHOT_FETCH_CHILDREN)
            break;
        const char *name = json_string(v, "name", "?");
        cJSON *var = cJSON_CreateObject();
        cJSON_AddStringToObject(var, "name", name);
        cJSON_AddStringToObject(var, "value", json_string(v, "value", ""));
        if (json_string(v, "type", NULL))
            cJSON_AddStringToObject(var, "type", json_string(v, "type", NULL));
        int child_levels = name[0] == '*' ? levels : levels - 1;
        int child_ref = (int)json_number(v, "variablesReference", 0);
        cJSON *children = NULL;
        if (child_ref > 0 && child_levels > 0 && f->requests_left > 0 &&
            !(children = fetch_variables(f, child_ref, child_levels))) {
            cJSON_Delete(var);
            cJSON_Delete(out);
            out = NULL;
            break;
        }
        int shown = children ? cJSON_GetArraySize(children) : 0;
        int total = (int)(json_number(v, "namedVariables", 0) + json_number(v, "indexedVariables", 0));
        if (shown > 0)
            cJSON_AddItemToObject(var, "children", children);
        else
            cJSON_Delete(children);
        if (shown > 0 && total > shown)
            cJSON_AddNumberToObject(var, "more", total - shown);
        cJSON_AddItemToArray(out, var);
    }
    cJSON_Delete(body);
    return out;
}

/* The scopes of a frame worth printing: not registers, not expensive (globals). */
static int fetch_scopes(fetch *f, int frame_id, cJSON *frame)
{
    cJSON *args = cJSON_CreateObject(), *body;
    cJSON_AddNumberToObject(args, "frameId", frame_id);
    if (request(f, "scopes", args, &body) != 0)
        return -1;
    cJSON *scopes = cJSON_AddArrayToObject(frame, "scopes");
    const cJSON *sc;
    cJSON_ArrayForEach(sc, cJSON_GetObjectItemCaseSensitive(body, "scopes")) {
        int ref = (int)json_number(sc, "variablesReference", 0);
        if (json_string_is(sc, "presentationHint", "registers") || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sc, "expensive")) ||
            ref <= 0)
            continue;
        cJSON *vars = fetch_variables(f, ref, SNAPSHOT_FETCH_LEVELS);
        if (!vars) {
            cJSON_Delete(body);
            return -1;
        }
        cJSON *scope = cJSON_CreateObject();
        cJSON_AddStringToObject(scope, "name", json_string(sc, "name", "?"));
        cJSON_AddItemToObject(scope, "variables", vars);
        cJSON_AddItemToArray(scopes, scope);
    }
    cJSON_Delete(body);
    return 0;
}

static int fetch_frames(fetch *f, int thread_id, cJSON *snap)
{
    cJSON *args = cJSON_CreateObject(), *body;
    cJSON_AddNumberToObject(args, "threadId", thread_id);
    cJSON_AddNumberToObject(args, "startFrame", 0);
    cJSON_AddNumberToObject(args, "levels", SNAPSHOT_FETCH_FRAMES);
    if (request(f, "stackTrace", args, &body) != 0)
        return -1;
    cJSON *frames = cJSON_AddArrayToObject(snap, "frames");
    const cJSON *sf;
    int rc = 0;
    cJSON_ArrayForEach(sf, cJSON_GetObjectItemCaseSensitive(body, "stackFrames")) {
        cJSON *frame = cJSON_CreateObject();
        cJSON_AddItemToArray(frames, frame);
        cJSON_AddStringToObject(frame, "name", json_string(sf, "name", "?"));
        const char *path = json_string(cJSON_GetObjectItemCaseSensitive(sf, "source"), "path", NULL);
        if (path) {
            cJSON_AddStringToObject(frame, "source", path);
            cJSON_AddNumberToObject(frame, "line", json_number(sf, "line", 0));
        }
        if ((rc = fetch_scopes(f, (int)json_number(sf, "id", 0), frame)) != 0)
            break;
    }
    cJSON_Delete(body);
    return rc;
}

cJSON *snapshot_fetch(dap_client *dap, int64_t bp_id, int thread_id, char *err, size_t err_len)
{
    fetch f = { dap, SNAPSHOT_FETCH_REQUESTS, err, err_len };
    cJSON *snap = cJSON_CreateObject();
    if (describe(&f, bp_id, thread_id, snap) != 0 || fetch_frames(&f, thread_id, snap) != 0) {
        cJSON_Delete(snap);
        return NULL;
    }
    return snap;
}
