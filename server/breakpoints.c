/* Breakpoint fan-out (see breakpoints.h): diffing a source's breakpoints, one breakpoints.set /
 * breakpoints.clear per probe, merging the probes' answers into one DAP state per breakpoint, the
 * end of a breakpoint's life in a probe (switched off) or everywhere (expired), and the sending
 * side of canary arming (canary.c decides). */
#include "breakpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "net.h"
#include "probe_link.h"

/* The breakpoint modes (the breakpointModes capability); the first is the default. */
static const struct {
    const char *mode, *label, *description;
} modes[] = {
    { "stop", "Stop", "stop the process at the breakpoint" },
    { "snapshot", "Snapshot", "capture the stack and variables and let the process run on" },
};
#define N_MODES (sizeof modes / sizeof modes[0])

static int64_t next_bp_id = 1;
static uint64_t next_placement = 1;

/* One round of breakpoints.set to several probes, answered (or evented) when all replied. */
typedef struct bp_batch {
    uint64_t session_id;
    bool has_ref;            /* answer a setBreakpoints request... */
    dap_request_ref ref;
    bool send_events;        /* ...or report each breakpoint with a "breakpoint" event */
    int outstanding;
    int64_t *ids;            /* the breakpoints concerned, in DAP order */
    size_t n_ids;
} bp_batch;

/* One breakpoints.set of a batch: to one probe, with its own breakpoints. */
typedef struct bp_reply_ctx {
    bp_batch *batch;
    uint64_t probe_id;
    char probe_name[96];
    uint64_t placement;      /* a canary placement (see canary.h), or 0: a fleet-wide set */
    size_t n_ids;
    int64_t ids[];           /* the breakpoints sent */
} bp_reply_ctx;

static session_bp *find_bp(const dap_session *s, int64_t id)
{
    for (session_bp *b = s ? s->breakpoints : NULL; b; b = b->next)
        if (b->id == id)
            return b;
    return NULL;
}

const session_bp *breakpoints_find(const dap_session *s, int64_t id)
{
    return find_bp(s, id);
}

cJSON *breakpoints_modes_capability(void)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i < N_MODES; i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddItemToArray(list, m);
        cJSON_AddStringToObject(m, "mode", modes[i].mode);
        cJSON_AddStringToObject(m, "label", modes[i].label);
        cJSON_AddStringToObject(m, "description", modes[i].description);
        cJSON *applies = cJSON_AddArrayToObject(m, "appliesTo");
        cJSON_AddItemToArray(applies, cJSON_CreateString("source"));
    }
    return list;
}

bool breakpoints_owned(const dap_session *s, int64_t id)
{
    return find_bp(s, id) != NULL;
}

static void free_bp(session_bp *b)
{
    free(b->ide_path);
    free(b->build_path);
    free(b->function);
    free(b->mode);
    free(b->condition);
    free(b->hit_condition);
    free(b->log_message);
    free(b->bound);
    free(b->bound_path);
    free(b->trap_reason);
    free(b->failure);
    free(b->switched_off);
    free(b->refused);
    canary_reset(&b->canary);
    free(b);
}

static bool unbind(session_bp *b, uint64_t probe_id)
{
    for (size_t i = 0; i < b->n_bound; i++) {
        if (b->bound[i] == probe_id) {
            b->n_bound--;
            b->bound[i] = b->bound[b->n_bound];
            b->bound_path[i] = b->bound_path[b->n_bound];
            return true;
        }
    }
    return false;
}

static void bind(session_bp *b, uint64_t probe_id, bp_path path)
{
    for (size_t i = 0; i < b->n_bound; i++) {
        if (b->bound[i] == probe_id) {
            b->bound_path[i] = (uint8_t)path;
            return;
        }
    }
    if (b->n_bound == b->cap_bound) {
        size_t cap = b->cap_bound ? b->cap_bound * 2 : 4;
        uint64_t *grown = realloc(b->bound, cap * sizeof *grown);
        if (grown)
            b->bound = grown;
        uint8_t *grown_path = realloc(b->bound_path, cap * sizeof *grown_path);
        if (grown_path)
            b->bound_path = grown_path;
        if (!grown || !grown_path)
            return;
        b->cap_bound = cap;
    }
    b->bound_path[b->n_bound] = (uint8_t)path;
    b->bound[b->n_bound++] = probe_id;
}

/* How the probe armed st's locations: fast when all are "fast"; trap when one is a trap with a
 * reason (the fast path was wanted), whose reason goes to b->trap_reason named after the probe. */
static bp_path path_of(session_bp *b, const char *probe_name, const probe_bp_state *st)
{
    size_t fast = 0;
    for (size_t i = 0; i < st->n_locations; i++) {
        const probe_location *l = &st->locations[i];
        if (l->path && strcmp(l->path, "fast") == 0) {
            fast++;
        } else if (l->path_reason) {
            free(b->trap_reason);
            size_t len = strlen(probe_name) + strlen(l->path_reason) + 3;
            b->trap_reason = malloc(len);
            if (b->trap_reason)
                snprintf(b->trap_reason, len, "%s: %s", probe_name, l->path_reason);
            return BP_PATH_TRAP;
        }
    }
    return fast > 0 && fast == st->n_locations ? BP_PATH_FAST : BP_PATH_PLAIN;
}

/* "", " (fast)", " (trap: pod/1: why)" or " (fast in 2, trap in 1: pod/1: why)" for the paths of
 * b's bound probes. */
static void describe_paths(const session_bp *b, char *out, size_t len)
{
    size_t count[3] = { 0 };
    for (size_t i = 0; i < b->n_bound; i++)
        count[b->bound_path[i]]++;
    const char *why = b->trap_reason ? b->trap_reason : "no reason given";
    out[0] = '\0';
    if (count[BP_PATH_TRAP] == 0 && count[BP_PATH_FAST] > 0)
        snprintf(out, len, count[BP_PATH_PLAIN] ? " (fast in %zu)" : " (fast)", count[BP_PATH_FAST]);
    else if (count[BP_PATH_TRAP] > 0 && count[BP_PATH_FAST] == 0)
        snprintf(out, len, " (trap: %s)", why);
    else if (count[BP_PATH_TRAP] > 0)
        snprintf(out, len, " (fast in %zu, trap in %zu: %s)", count[BP_PATH_FAST], count[BP_PATH_TRAP], why);
}

static void set_failure(session_bp *b, const char *probe_name, const char *why)
{
    free(b->failure);
    size_t len = strlen(probe_name) + strlen(why) + 3;
    b->failure = malloc(len);
    if (b->failure)
        snprintf(b->failure, len, "%s: %s", probe_name, why);
}

/* The processes s sees other than probe_id. */
static size_t others_seen(const dap_session *s, uint64_t probe_id)
{
    size_t n = 0;
    for (const probe_peer *p = fleet_first(); p; p = p->next)
        n += p->id != probe_id && dap_session_sees(s, p);
    return n;
}

static cJSON *bp_to_dap(const dap_session *s, const session_bp *b)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)b->id);
    cJSON_AddBoolToObject(o, "verified", b->n_bound > 0);
    char msg[600];
    size_t others = b->canary.phase == CANARY_WATCHING ? others_seen(s, b->canary.probe_id) : 0;
    if (b->refused)
        snprintf(msg, sizeof msg, "%s", b->refused);
    else if (canary_message(&b->canary, others, s->canary.window_ms, msg, sizeof msg))
        ; /* the canary's state says it all */
    else if (b->n_bound == 0)
        snprintf(msg, sizeof msg, "%s",
                 b->switched_off ? b->switched_off
                 : b->failure    ? b->failure
                                 : "no process matching the selector yet");
    else {
        char paths[300];
        describe_paths(b, paths, sizeof paths);
        snprintf(msg, sizeof msg, "armed in %zu process%s%s%s%s%s%s", b->n_bound, b->n_bound == 1 ? "" : "es", paths,
                 b->failure ? "; not in " : "", b->failure ? b->failure : "", b->switched_off ? "; " : "",
                 b->switched_off ? b->switched_off : "");
    }
    if (b->function && b->n_bound > 0) {
        size_t len = strlen(msg);
        snprintf(msg + len, sizeof msg - len, " (after the prologue of every copy of '%.200s'; inlined copies are not covered)",
                 b->function);
    }
    cJSON_AddStringToObject(o, "message", msg);
    if (b->function)
        return o;
    cJSON_AddNumberToObject(o, "line", b->line);
    cJSON *src = cJSON_AddObjectToObject(o, "source");
    const char *base = strrchr(b->ide_path, '/');
    cJSON_AddStringToObject(src, "name", base ? base + 1 : b->ide_path);
    cJSON_AddStringToObject(src, "path", b->ide_path);
    return o;
}

static void send_changed(dap_session *s, const session_bp *b)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "reason", "changed");
    cJSON_AddItemToObject(body, "breakpoint", bp_to_dap(s, b));
    dap_send_event(s, "breakpoint", body);
}

static void finish_batch(bp_batch *batch)
{
    dap_session *s = dap_session_find(batch->session_id);
    if (s && batch->has_ref) {
        cJSON *body = cJSON_CreateObject();
        cJSON *list = cJSON_AddArrayToObject(body, "breakpoints");
        for (size_t i = 0; i < batch->n_ids; i++) {
            session_bp *b = find_bp(s, batch->ids[i]);
            if (b)
                cJSON_AddItemToArray(list, bp_to_dap(s, b));
        }
        dap_respond(&batch->ref, true, NULL, body);
    } else if (s && batch->send_events) {
        for (size_t i = 0; i < batch->n_ids; i++) {
            session_bp *b = find_bp(s, batch->ids[i]);
            if (b)
                send_changed(s, b);
        }
    }
    free(batch->ids);
    free(batch);
}

/* A batch is answered when its last request is done; whoever sends requests holds it meanwhile
 * (outstanding + 1), so that no early reply finishes it. */
static void batch_release(bp_batch *batch)
{
    if (--batch->outstanding == 0)
        finish_batch(batch);
}

static void on_clear_reply(void *ctx, probe_peer *peer, const cJSON *result, const char *error)
{
    if (error)
        log_warn("clearing breakpoints: %s", error);
}

static void clear_in(probe_peer *p, const int64_t *ids, size_t n)
{
    probe_bp_clear clear = { (int64_t *)ids, n };
    cJSON *body = n ? probe_bp_clear_to_json(&clear) : NULL;
    if (body)
        probe_link_request(p, PMSG_BREAKPOINTS_CLEAR, body, on_clear_reply, NULL);
}

static void send_clear(dap_session *s, const int64_t *ids, size_t n)
{
    for (probe_peer *p = fleet_first(); p; p = p->next)
        if (dap_session_sees(s, p))
            clear_in(p, ids, n);
}

static cJSON *specs_json(const dap_session *s, const int64_t *ids, size_t n)
{
    probe_bp_set set = { calloc(n ? n : 1, sizeof(probe_bp_spec)), 0 };
    if (!set.breakpoints)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const session_bp *b = find_bp(s, ids[i]);
        if (b && !b->refused)
            set.breakpoints[set.n++] = (probe_bp_spec){
                b->id, b->build_path, b->line, b->mode, b->condition, b->hit_condition, b->log_message,
                budgets_for_breakpoint(&s->budgets, strcmp(b->mode, "snapshot") == 0, b->log_message != NULL),
                b->function, s->stop_all, s->fast_breakpoints
            };
    }
    cJSON *json = probe_bp_set_to_json(&set);
    free(set.breakpoints); /* the strings belong to the session's breakpoints */
    return json;
}

static void on_set_reply(void *ctx_ptr, probe_peer *peer, const cJSON *result, const char *error);

/* Sends ids to p as one request of batch (placement: see bp_reply_ctx). Returns false when out of
 * memory (nothing sent). */
static bool send_set(dap_session *s, bp_batch *batch, probe_peer *p, const int64_t *ids, size_t n,
                     uint64_t placement)
{
    bp_reply_ctx *ctx = calloc(1, sizeof *ctx + n * sizeof ctx->ids[0]);
    cJSON *body = ctx ? specs_json(s, ids, n) : NULL;
    if (!body) {
        free(ctx);
        return false;
    }
    ctx->batch = batch;
    ctx->probe_id = p->id;
    fleet_display_name(p, ctx->probe_name, sizeof ctx->probe_name);
    ctx->placement = placement;
    ctx->n_ids = n;
    memcpy(ctx->ids, ids, n * sizeof ids[0]);
    batch->outstanding++;
    probe_link_request(p, PMSG_BREAKPOINTS_SET, body, on_set_reply, ctx);
    return true;
}

/* Sends the batch's breakpoints that wait for a canary (UNPLACED) to the next candidate after
 * after_id, all in one request; with no candidate left they stay UNPLACED. */
static void place_canaries(dap_session *s, bp_batch *batch, uint64_t after_id)
{
    int64_t *ids = calloc(batch->n_ids ? batch->n_ids : 1, sizeof *ids);
    size_t n = 0;
    for (size_t i = 0; ids && i < batch->n_ids; i++) {
        const session_bp *b = find_bp(s, batch->ids[i]);
        if (b && !b->refused && b->canary.phase == CANARY_UNPLACED)
            ids[n++] = b->id;
    }
    probe_peer *p = n ? canary_candidate(s, after_id) : NULL;
    uint64_t placement = next_placement++;
    for (size_t i = 0; p && i < n; i++)
        canary_ask(&find_bp(s, ids[i])->canary, p, placement);
    if (p && !send_set(s, batch, p, ids, n, placement))
        for (size_t i = 0; i < n; i++)
            canary_unplaced(&find_bp(s, ids[i])->canary);
    free(ids);
}

/* Whether a reply speaks for b: a placement still waiting for it, or a fleet-wide set of a
 * breakpoint the canary does not hold back. */
static bool reply_concerns(const session_bp *b, const bp_reply_ctx *ctx)
{
    if (!b || b->refused)
        return false;
    return ctx->placement ? canary_awaits(&b->canary, ctx->placement) : !canary_holds_back(&b->canary);
}

static void on_set_reply(void *ctx_ptr, probe_peer *peer, const cJSON *result, const char *error)
{
    bp_reply_ctx *ctx = ctx_ptr;
    bp_batch *batch = ctx->batch;
    dap_session *s = dap_session_find(batch->session_id);
    probe_bp_result res = { 0 };
    char err[200] = "";
    if (result && probe_bp_result_from_json(result, &res, err, sizeof err) != 0)
        error = err;
    size_t n_unplaced = 0;
    for (size_t i = 0; s && i < ctx->n_ids; i++) {
        session_bp *b = find_bp(s, ctx->ids[i]);
        if (!reply_concerns(b, ctx))
            continue;
        const probe_bp_state *st = NULL;
        for (size_t j = 0; !error && j < res.n; j++)
            if (res.breakpoints[j].id == b->id)
                st = &res.breakpoints[j];
        if (st && st->verified) {
            bind(b, ctx->probe_id, path_of(b, ctx->probe_name, st));
            if (ctx->placement) {
                canary_placed(&b->canary, net_now_ms(), s->canary.window_ms);
                log_info("DAP session %llu: breakpoint %lld armed in its canary %s", (unsigned long long)s->id,
                         (long long)b->id, ctx->probe_name);
            }
        } else {
            unbind(b, ctx->probe_id);
            set_failure(b, ctx->probe_name,
                        error ? error : st && st->message ? st->message : "the probe did not report it");
            if (ctx->placement) {
                canary_unplaced(&b->canary);
                ctx->ids[n_unplaced++] = b->id;
            }
        }
    }
    if (n_unplaced > 0) {
        if (error && peer)
            clear_in(peer, ctx->ids, n_unplaced); /* a request that failed may still have armed them */
        place_canaries(s, batch, ctx->probe_id);
    }
    probe_bp_result_free(&res);
    free(ctx);
    batch_release(batch);
}

/* Sends the batch's breakpoints that go fleet-wide (not refused, not held back by a canary) to
 * every probe the session sees, or only to `only`, except probe except_id. */
static void fan_out(dap_session *s, bp_batch *batch, probe_peer *only, uint64_t except_id)
{
    int64_t *ids = calloc(batch->n_ids ? batch->n_ids : 1, sizeof *ids);
    size_t n = 0;
    for (size_t i = 0; ids && i < batch->n_ids; i++) {
        const session_bp *b = find_bp(s, batch->ids[i]);
        if (b && !b->refused && !canary_holds_back(&b->canary))
            ids[n++] = b->id;
    }
    for (probe_peer *p = fleet_first(); n && p; p = p->next)
        if ((!only || p == only) && p->id != except_id && dap_session_sees(s, p))
            send_set(s, batch, p, ids, n, 0);
    free(ids);
}

/* Frees a detached list of breakpoints and removes them from every probe the session sees. */
static void release_all(dap_session *s, session_bp *list)
{
    size_t n = 0;
    for (session_bp *b = list; b; b = b->next)
        n++;
    int64_t *ids = calloc(n ? n : 1, sizeof *ids);
    size_t count = 0;
    while (list) {
        session_bp *b = list;
        list = b->next;
        if (ids)
            ids[count++] = b->id;
        free_bp(b);
    }
    if (ids)
        send_clear(s, ids, count);
    free(ids);
}

static bp_batch *new_batch(const dap_session *s, size_t max_ids)
{
    bp_batch *batch = calloc(1, sizeof *batch);
    if (!batch)
        return NULL;
    batch->ids = calloc(max_ids ? max_ids : 1, sizeof *batch->ids);
    if (!batch->ids) {
        free(batch);
        return NULL;
    }
    batch->session_id = s->id;
    return batch;
}

/* A source breakpoint at ide_path:line, or (ide_path NULL) a breakpoint on function. */
static session_bp *new_bp(dap_session *s, const char *ide_path, int line, const char *function)
{
    session_bp *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->id = next_bp_id++;
    if (ide_path) {
        b->ide_path = strdup(ide_path);
        b->build_path = source_map_to_build(&s->map, ide_path);
    } else {
        b->function = strdup(function);
    }
    b->mode = strdup(modes[0].mode);
    b->line = line;
    if (!(ide_path ? b->ide_path && b->build_path : b->function != NULL) || !b->mode) {
        free_bp(b);
        return NULL;
    }
    return b;
}

/* The SourceBreakpoint's optional string `name` ("" counts as absent). Returns 0 with *out
 * (borrowed, may be NULL), or -1 when it is not a string. */
static int optional_string(const cJSON *bp, const char *name, const char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(bp, name);
    *out = NULL;
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsString(item))
        return -1;
    if (item->valuestring[0])
        *out = item->valuestring;
    return 0;
}

/* Replaces *field with a copy of text (NULL clears it). Returns 0, or -1 when out of memory. */
static int set_text(char **field, const char *text)
{
    char *copy = text ? strdup(text) : NULL;
    if (text && !copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

static bool same_text(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

static bool is_known_mode(const char *mode)
{
    for (size_t i = 0; i < N_MODES; i++)
        if (strcmp(modes[i].mode, mode) == 0)
            return true;
    return false;
}

/* Why an unknown mode is refused, naming the modes there are. */
static char *unknown_mode_message(const char *mode)
{
    char text[300];
    int n = snprintf(text, sizeof text, "unknown breakpoint mode '%.80s': podbug's modes are", mode);
    for (size_t i = 0; i < N_MODES && n > 0 && (size_t)n < sizeof text; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "%s \"%s\"", i ? " and" : "", modes[i].mode);
    return strdup(text);
}

/* Snapshot breakpoints and logpoints expire; stop breakpoints do not. */
static int64_t expiry_of(const dap_session *s, const session_bp *b)
{
    if (strcmp(b->mode, "snapshot") != 0 && !b->log_message)
        return 0;
    return net_now_ms() + (int64_t)s->budgets.expiry_seconds * 1000;
}

/* Takes the requested mode, condition, hit condition and log message. A new or changed breakpoint
 * is armed afresh: its expiry restarts and an earlier refusal (expiry) no longer holds. Returns 1
 * when it is new or changed, 0 when not, -1 when out of memory. */
static int set_spec(const dap_session *s, session_bp *b, bool is_new, const cJSON *requested_bp)
{
    const char *mode, *condition, *hit_condition, *log_message;
    optional_string(requested_bp, "mode", &mode);
    optional_string(requested_bp, "condition", &condition);
    optional_string(requested_bp, "hitCondition", &hit_condition);
    optional_string(requested_bp, "logMessage", &log_message);
    if (!mode || b->function)
        mode = modes[0].mode; /* a function breakpoint stops: DAP gives it no mode or message */
    if (b->function)
        log_message = NULL;
    bool changed = is_new || strcmp(b->mode, mode) != 0 || !same_text(b->condition, condition) ||
                   !same_text(b->hit_condition, hit_condition) || !same_text(b->log_message, log_message);
    if ((set_text(&b->mode, mode) | set_text(&b->condition, condition) | set_text(&b->hit_condition, hit_condition) |
         set_text(&b->log_message, log_message)) != 0)
        return -1;
    if (!changed)
        return 0;
    free(b->refused);
    b->refused = is_known_mode(mode) ? NULL : unknown_mode_message(mode);
    b->expires_ms = expiry_of(s, b);
    return 1;
}

/* Checks the types of the requested breakpoints' fields (command names the request in errors; a
 * source breakpoint needs a line, a function breakpoint a name). Answers ref and returns false
 * when one is wrong. */
static bool requested_valid(const dap_request_ref *ref, const char *command, bool functions, const cJSON *requested)
{
    static const char *const optional[] = { "condition", "hitCondition", "logMessage", "mode" };
    size_t n_req = cJSON_IsArray(requested) ? (size_t)cJSON_GetArraySize(requested) : 0;
    for (size_t i = 0; i < n_req; i++) {
        const cJSON *bp = cJSON_GetArrayItem(requested, (int)i);
        const cJSON *line = cJSON_GetObjectItemCaseSensitive(bp, "line");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(bp, "name");
        const char *text;
        if (!functions && (!cJSON_IsNumber(line) || line->valuedouble < 1)) {
            dap_respond_error(ref, "%s: breakpoints[%zu].line must be a positive integer", command, i);
            return false;
        }
        if (functions && (!cJSON_IsString(name) || !name->valuestring[0])) {
            dap_respond_error(ref, "%s: breakpoints[%zu].name must be a function's name", command, i);
            return false;
        }
        for (size_t k = 0; k < sizeof optional / sizeof optional[0]; k++) {
            if (optional_string(bp, optional[k], &text) != 0) {
                dap_respond_error(ref, "%s: breakpoints[%zu].%s must be a string", command, i, optional[k]);
                return false;
            }
        }
    }
    return true;
}

/* Whether b belongs to the group a set request replaces: the source breakpoints of ide_path, or
 * (ide_path NULL) the function breakpoints. */
static bool in_group(const session_bp *b, const char *ide_path)
{
    return ide_path ? b->ide_path && strcmp(b->ide_path, ide_path) == 0 : b->function != NULL;
}

/* Whether b is what requested_bp asks for: the same line, or the same function. */
static bool same_place(const session_bp *b, const char *ide_path, const cJSON *requested_bp)
{
    if (ide_path)
        return b->line == cJSON_GetObjectItemCaseSensitive(requested_bp, "line")->valueint;
    return strcmp(b->function, cJSON_GetObjectItemCaseSensitive(requested_bp, "name")->valuestring) == 0;
}

/* setBreakpoints of one source (ide_path) or setFunctionBreakpoints (ide_path NULL): the group's
 * breakpoints are replaced by the requested ones, diffed, fanned out, and ref is answered. */
static void replace_group(dap_session *s, const dap_request_ref *ref, const char *ide_path, const cJSON *requested)
{
    if (!requested_valid(ref, ide_path ? "setBreakpoints" : "setFunctionBreakpoints", !ide_path, requested))
        return;
    size_t n_req = cJSON_IsArray(requested) ? (size_t)cJSON_GetArraySize(requested) : 0;
    /* Take the group's breakpoints out of the session list; keep those requested again. */
    session_bp *old = NULL, **tail = &s->breakpoints;
    while (*tail) {
        session_bp *b = *tail;
        if (in_group(b, ide_path)) {
            *tail = b->next;
            b->next = old;
            old = b;
        } else {
            tail = &b->next;
        }
    }
    bp_batch *batch = new_batch(s, n_req);
    if (!batch) {
        dap_respond_error(ref, "out of memory");
        return;
    }
    batch->has_ref = true;
    batch->ref = *ref;
    for (size_t i = 0; i < n_req; i++) {
        const cJSON *requested_bp = cJSON_GetArrayItem(requested, (int)i);
        session_bp *b = NULL;
        for (session_bp **pp = &old; *pp; pp = &(*pp)->next) {
            if (same_place(*pp, ide_path, requested_bp)) {
                b = *pp;
                *pp = b->next;
                break;
            }
        }
        bool is_new = !b;
        if (!b && ide_path)
            b = new_bp(s, ide_path, cJSON_GetObjectItemCaseSensitive(requested_bp, "line")->valueint, NULL);
        else if (!b)
            b = new_bp(s, NULL, 0, cJSON_GetObjectItemCaseSensitive(requested_bp, "name")->valuestring);
        if (!b)
            continue;
        int changed = set_spec(s, b, is_new, requested_bp);
        if (changed < 0) {
            b->next = old; /* out of memory: removed like the breakpoints no longer requested */
            old = b;
            continue;
        }
        /* A canary decides on a new or changed breakpoint, and retries one no process bound. */
        bool canary_starts = s->canary.window_ms && !b->refused && (changed || b->canary.phase == CANARY_UNPLACED);
        if (changed && !is_new && (b->refused || canary_starts))
            send_clear(s, &b->id, 1); /* out of the probes: an unknown mode, or until its canary passes */
        /* Every probe answers again: failures are those of this round. */
        free(b->failure);
        b->failure = NULL;
        free(b->switched_off);
        b->switched_off = NULL;
        if (b->refused || canary_starts)
            b->n_bound = 0;
        if (changed)
            canary_reset(&b->canary);
        if (canary_starts)
            canary_unplaced(&b->canary); /* placed below */
        b->next = NULL;
        *tail = b;
        tail = &b->next;
        batch->ids[batch->n_ids++] = b->id;
    }
    release_all(s, old);
    batch->outstanding = 1;
    fan_out(s, batch, NULL, 0);
    place_canaries(s, batch, 0);
    batch_release(batch);
}

void breakpoints_set_source(dap_session *s, const dap_request_ref *ref, const char *ide_path,
                            const cJSON *requested)
{
    replace_group(s, ref, ide_path, requested);
}

void breakpoints_set_functions(dap_session *s, const dap_request_ref *ref, const cJSON *requested)
{
    replace_group(s, ref, NULL, requested);
}

const char *breakpoints_stop_reason(const dap_session *s, const char *probe_reason, const int64_t *ids, size_t n)
{
    if (!probe_reason || strcmp(probe_reason, "breakpoint") != 0)
        return probe_reason;
    size_t functions = 0, owned = 0;
    for (size_t i = 0; i < n; i++) {
        const session_bp *b = find_bp(s, ids[i]);
        owned += b != NULL;
        functions += b && b->function;
    }
    return owned > 0 && functions == owned ? "function breakpoint" : probe_reason;
}

/* What a process that joins gets: the fleet-wide breakpoints, and a try as the canary of those
 * no process bound; not those whose canary is deciding or failed. */
static bool goes_to_joiner(const session_bp *b)
{
    return !b->refused && (b->canary.phase == CANARY_NONE || b->canary.phase == CANARY_UNPLACED);
}

void breakpoints_probe_joined(dap_session *s, probe_peer *p)
{
    size_t n = 0;
    for (session_bp *b = s->breakpoints; b; b = b->next)
        n += goes_to_joiner(b);
    if (n == 0)
        return;
    bp_batch *batch = new_batch(s, n);
    if (!batch)
        return;
    batch->send_events = true;
    for (session_bp *b = s->breakpoints; b; b = b->next)
        if (goes_to_joiner(b))
            batch->ids[batch->n_ids++] = b->id;
    batch->outstanding = 1;
    fan_out(s, batch, p, 0);
    place_canaries(s, batch, p->id - 1);
    batch_release(batch);
}

/* A breach in b's canary: b stays out of the other processes and out of the canary (cleared there
 * when it still runs), until the user changes it; the session hears why. */
static void canary_breached(dap_session *s, session_bp *b, probe_peer *still_running, const char *why)
{
    canary_fail(&b->canary, why);
    b->n_bound = 0;
    if (still_running)
        clear_in(still_running, &b->id, 1);
    char failure[600], text[1000];
    canary_message(&b->canary, 0, s->canary.window_ms, failure, sizeof failure);
    log_info("DAP session %llu: breakpoint %lld: %s", (unsigned long long)s->id, (long long)b->id, failure);
    send_changed(s, b);
    char place[300];
    const char *slash = b->ide_path ? strrchr(b->ide_path, '/') : NULL;
    if (b->function)
        snprintf(place, sizeof place, "function %.200s", b->function);
    else
        snprintf(place, sizeof place, "%.200s:%d", slash ? slash + 1 : b->ide_path, b->line);
    snprintf(text, sizeof text,
             "podbug: %s; breakpoint %lld (%s) is kept from the other processes until it is changed\n",
             failure, (long long)b->id, place);
    dap_send_console(s, text);
}

void breakpoints_probe_left(dap_session *s, const probe_peer *p)
{
    for (session_bp *b = s->breakpoints; b; b = b->next) {
        if (canary_is_in(&b->canary, p->id))
            canary_breached(s, b, NULL, "the process exited");
        else if (unbind(b, p->id))
            send_changed(s, b);
    }
}

bool breakpoints_switched_off(dap_session *s, probe_peer *p, const probe_bp_error *report)
{
    session_bp *b = find_bp(s, report->id);
    if (!b)
        return false;
    if (canary_is_in(&b->canary, p->id)) {
        char why[520];
        snprintf(why, sizeof why, "switched off: %s", report->message);
        canary_breached(s, b, p, why);
        return true;
    }
    char name[96];
    fleet_display_name(p, name, sizeof name);
    size_t len = strlen(name) + strlen(report->message) + 32;
    char *text = malloc(len);
    if (text) {
        snprintf(text, len, "switched off in %s: %s", name, report->message);
        free(b->switched_off);
        b->switched_off = text;
    }
    unbind(b, p->id);
    send_changed(s, b);
    return true;
}

void breakpoints_expire(dap_session *s, int64_t now_ms)
{
    for (session_bp *b = s->breakpoints; b; b = b->next) {
        if (b->refused || !b->expires_ms || now_ms < b->expires_ms)
            continue;
        char duration[32], text[120];
        snprintf(text, sizeof text, "expired after %s (budgets.expirySeconds)",
                 budgets_format_duration(s->budgets.expiry_seconds, duration, sizeof duration));
        if (!(b->refused = strdup(text)))
            continue; /* out of memory: try again at the next tick */
        log_info("DAP session %llu: breakpoint %lld %s", (unsigned long long)s->id, (long long)b->id, text);
        b->n_bound = 0;
        canary_reset(&b->canary);
        send_clear(s, &b->id, 1);
        send_changed(s, b);
    }
}

void breakpoints_promote_canaries(dap_session *s, int64_t now_ms)
{
    for (session_bp *b = s->breakpoints; b; b = b->next) {
        if (b->refused || !canary_due(&b->canary, now_ms))
            continue;
        bp_batch *batch = new_batch(s, 1);
        if (!batch)
            continue; /* out of memory: try again at the next tick */
        char window[32];
        log_info("DAP session %llu: breakpoint %lld ran %s in its canary %s without a breach; arming it everywhere",
                 (unsigned long long)s->id, (long long)b->id,
                 canary_format_window(s->canary.window_ms, window, sizeof window), b->canary.probe_name);
        uint64_t canary = b->canary.probe_id;
        canary_reset(&b->canary);
        batch->send_events = true;
        batch->ids[batch->n_ids++] = b->id;
        batch->outstanding = 1;
        fan_out(s, batch, NULL, canary);
        batch_release(batch);
    }
}

void breakpoints_remove_all(dap_session *s)
{
    session_bp *all = s->breakpoints;
    s->breakpoints = NULL;
    release_all(s, all);
}
