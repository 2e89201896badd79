/* Requests about snapshot threads (stackTrace, scopes, variables, evaluate, setVariable, continue),
 * answered from the stored snapshot: nothing is asked of the probe, whose process has run on. */
#include "handlers.h"

#include <string.h>
#include "../evaluate_name.h"
#include "../handles.h"
#include "../snapshot_threads.h"

/* The snapshot if s shows it; NULL with the request answered otherwise. */
static const snapshot_record *shown_or_answer(dap_session *s, const dap_request_ref *ref, uint64_t snapshot_id,
                                              const char *what, int id)
{
    const snapshot_record *r = snapshot_threads_shown(s, snapshot_id);
    if (!r)
        dap_respond_error(ref, "%s: unknown %s %d (its snapshot was dismissed or evicted)", ref->command, what, id);
    return r;
}

static const cJSON *frames_of(const snapshot_record *r)
{
    return cJSON_GetObjectItemCaseSensitive(r->body, "frames");
}

static const char *string_of(const cJSON *o, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Elements ("[3]") are indexed children; members, pointees and variables are named. */
static bool is_indexed(const cJSON *variable)
{
    return string_of(variable, "name")[0] == '[';
}

/* The variablesReference of a stored variable's captured children (0 when none were captured),
 * and how many of them are named and indexed. */
static int children_of(uint64_t snapshot_id, const cJSON *variable, int *named, int *indexed)
{
    const cJSON *children = cJSON_GetObjectItemCaseSensitive(variable, "children");
    const cJSON *child;
    *named = *indexed = 0;
    cJSON_ArrayForEach(child, children)
        ++*(is_indexed(child) ? indexed : named);
    return *named + *indexed > 0 ? handles_snapshot_var_id(snapshot_id, children) : 0;
}

bool dap_snapshot_stack_trace(dap_session *s, const dap_request_ref *ref, int thread_id, int start_frame,
                              int levels)
{
    uint64_t id;
    if (!handles_snapshot_thread(thread_id, &id))
        return false;
    const snapshot_record *r = shown_or_answer(s, ref, id, "thread", thread_id);
    if (!r)
        return true;
    /* The stored frames are stack_trace frames with scopes: the stack_trace codec reads them. */
    cJSON *wrapper = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(wrapper, "frames", (cJSON *)frames_of(r));
    cJSON_AddNumberToObject(wrapper, "total_frames", 0);
    probe_stack_reply stack = { 0 };
    char err[200];
    if (probe_stack_reply_from_json(wrapper, &stack, err, sizeof err) != 0) {
        dap_respond_error(ref, "stackTrace: the stored snapshot is malformed: %s", err);
    } else {
        cJSON *body = cJSON_CreateObject();
        cJSON *frames = cJSON_AddArrayToObject(body, "stackFrames");
        size_t end = levels > 0 && (size_t)start_frame + (size_t)levels < stack.n ? (size_t)start_frame + (size_t)levels
                                                                                  : stack.n;
        for (size_t i = (size_t)start_frame; i < end; i++)
            cJSON_AddItemToArray(frames, dap_frame_json(s, handles_snapshot_frame_id(id, (int)i), &stack.frames[i]));
        cJSON_AddNumberToObject(body, "totalFrames", (double)stack.n);
        dap_respond(ref, true, NULL, body);
    }
    probe_stack_reply_free(&stack);
    cJSON_Delete(wrapper);
    return true;
}

bool dap_snapshot_continue(dap_session *s, const dap_request_ref *ref, int thread_id)
{
    uint64_t id;
    if (!handles_snapshot_thread(thread_id, &id))
        return false;
    if (shown_or_answer(s, ref, id, "thread", thread_id)) {
        cJSON *body = cJSON_CreateObject();
        cJSON_AddBoolToObject(body, "allThreadsContinued", false);
        dap_respond(ref, true, NULL, body);
        snapshot_threads_dismiss(s, id);
    }
    return true;
}

/* The stored frame behind a snapshot frame id; NULL with the request answered when s does not
 * show it. *snapshot_id is set when the frame id is a snapshot's; false means it is not. */
static bool snapshot_frame(dap_session *s, const dap_request_ref *ref, int frame_id, uint64_t *snapshot_id,
                           const cJSON **frame)
{
    int index;
    *frame = NULL;
    if (!handles_snapshot_frame(frame_id, snapshot_id, &index))
        return false;
    const snapshot_record *r = shown_or_answer(s, ref, *snapshot_id, "frame", frame_id);
    if (r)
        *frame = cJSON_GetArrayItem(frames_of(r), index);
    return true;
}

bool dap_snapshot_scopes(dap_session *s, const dap_request_ref *ref, int frame_id)
{
    uint64_t id;
    const cJSON *frame, *scope;
    if (!snapshot_frame(s, ref, frame_id, &id, &frame))
        return false;
    if (!frame)
        return true;
    cJSON *body = cJSON_CreateObject();
    cJSON *scopes = cJSON_AddArrayToObject(body, "scopes");
    cJSON_ArrayForEach(scope, cJSON_GetObjectItemCaseSensitive(frame, "scopes"))
    {
        const cJSON *variables = cJSON_GetObjectItemCaseSensitive(scope, "variables");
        int n = cJSON_GetArraySize(variables);
        cJSON_AddItemToArray(scopes, dap_scope_json(string_of(scope, "name"), string_of(scope, "presentation_hint"),
                                                    n > 0 ? handles_snapshot_var_id(id, variables) : 0, n, false));
    }
    dap_respond(ref, true, NULL, body);
    return true;
}

bool dap_snapshot_variables(dap_session *s, const dap_request_ref *ref, int var_id, int start, int count,
                            const char *filter)
{
    uint64_t id;
    const void *node;
    if (!handles_snapshot_var(var_id, &id, &node))
        return false;
    if (!shown_or_answer(s, ref, id, "variablesReference", var_id))
        return true;
    bool indexed_only = filter && strcmp(filter, "indexed") == 0, named_only = filter && strcmp(filter, "named") == 0;
    cJSON *body = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(body, "variables");
    const cJSON *v;
    int selected = 0, listed = 0;
    cJSON_ArrayForEach(v, (const cJSON *)node)
    {
        if ((indexed_only && !is_indexed(v)) || (named_only && is_indexed(v)) || selected++ < start)
            continue;
        if (count > 0 && listed == count)
            break;
        int named, indexed;
        int children = children_of(id, v, &named, &indexed);
        cJSON_AddItemToArray(list, dap_variable_json(string_of(v, "name"), string_of(v, "value"), string_of(v, "type"),
                                                     children, named, indexed, string_of(v, "evaluate_name")));
        listed++;
    }
    dap_respond(ref, true, NULL, body);
    return true;
}

/* The stored variable among `variables` whose evaluate_name (or name, at the top level) is the
 * expression; else the same among their captured children, depth first. */
static const cJSON *find_captured(const cJSON *variables, const char *expression, bool top_level)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, variables)
    {
        const char *evaluate_name = string_of(v, "evaluate_name");
        if ((evaluate_name && evaluate_names_match(evaluate_name, expression)) ||
            (top_level && evaluate_names_match(string_of(v, "name"), expression)))
            return v;
    }
    cJSON_ArrayForEach(v, variables)
    {
        const cJSON *found = find_captured(cJSON_GetObjectItemCaseSensitive(v, "children"), expression, false);
        if (found)
            return found;
    }
    return NULL;
}

bool dap_snapshot_evaluate(dap_session *s, const dap_request_ref *ref, int frame_id, const char *expression)
{
    uint64_t id;
    const cJSON *frame, *scope, *found = NULL;
    if (!snapshot_frame(s, ref, frame_id, &id, &frame))
        return false;
    if (!frame)
        return true;
    cJSON_ArrayForEach(scope, cJSON_GetObjectItemCaseSensitive(frame, "scopes"))
    {
        if ((found = find_captured(cJSON_GetObjectItemCaseSensitive(scope, "variables"), expression, true)))
            break;
    }
    if (!found) {
        dap_respond_error(ref, "'%.200s' was not captured in this snapshot (a snapshot holds the variables captured "
                               "at the hit; expand them, or evaluate one of their names)",
                          expression);
        return true;
    }
    int named, indexed;
    int children = children_of(id, found, &named, &indexed);
    cJSON *body = cJSON_CreateObject();
    dap_add_value_fields(body, "result", string_of(found, "value"), string_of(found, "type"), children, named,
                         indexed);
    dap_respond(ref, true, NULL, body);
    return true;
}

bool dap_snapshot_set_variable(dap_session *s, const dap_request_ref *ref, int var_id)
{
    uint64_t id;
    const void *node;
    if (!handles_snapshot_var(var_id, &id, &node))
        return false;
    dap_respond_error(ref, "setVariable: a snapshot is read-only (it is a copy taken at the hit; the process has "
                           "run on)");
    return true;
}
