/* Probe connections on the server: decodes envelopes, registers probes on hello, matches replies
 * to pending requests (ids, timeouts), passes stops, failed conditions, logpoint lines and
 * snapshots to the sessions, keeps heartbeats. */
#include "probe_link.h"

#include <stdlib.h>
#include <string.h>
#include "conn.h"
#include "dap_session.h"
#include "log.h"
#include "net.h"
#include "probe_msg.h"
#include "server_metrics.h"
#include "snapshot_threads.h"

typedef struct pending_request {
    uint64_t peer_id;
    int64_t request_id;
    int64_t deadline_ms;
    char type[32];
    probe_reply_fn fn;
    void *ctx;
    struct pending_request *next;
} pending_request;

static pending_request *pending;
static int request_timeout_ms = 3000;
static int64_t last_heartbeat_ms;

static const char *redact_patterns;

void probe_link_set_redaction(const char *patterns)
{
    redact_patterns = patterns;
}

void probe_link_set_timeout(int timeout_ms)
{
    request_timeout_ms = timeout_ms;
}

static void send_text(probe_peer *p, char *text)
{
    if (text)
        conn_send(p->conn, text, strlen(text));
    free(text);
}

int probe_link_request(probe_peer *p, const char *type, cJSON *body, probe_reply_fn fn, void *ctx)
{
    return probe_link_request_within(p, type, body, request_timeout_ms, fn, ctx);
}

int probe_link_request_within(probe_peer *p, const char *type, cJSON *body, int timeout_ms, probe_reply_fn fn,
                              void *ctx)
{
    pending_request *r = calloc(1, sizeof *r);
    char *text = r ? probe_envelope_encode(type, p->next_request_id, body) : (cJSON_Delete(body), NULL);
    if (!text) {
        free(r);
        fn(ctx, p, NULL, "out of memory");
        return -1;
    }
    r->peer_id = p->id;
    r->request_id = p->next_request_id++;
    r->deadline_ms = net_now_ms() + timeout_ms;
    snprintf(r->type, sizeof r->type, "%s", type);
    r->fn = fn;
    r->ctx = ctx;
    r->next = pending;
    pending = r;
    send_text(p, text);
    return 0;
}

/* Unlinks and returns the pending request matching (peer, id), or NULL. */
static pending_request *take_pending(uint64_t peer_id, int64_t request_id)
{
    for (pending_request **rp = &pending; *rp; rp = &(*rp)->next) {
        pending_request *r = *rp;
        if (r->peer_id == peer_id && r->request_id == request_id) {
            *rp = r->next;
            return r;
        }
    }
    return NULL;
}

/* Fails every pending request that matches: all of one peer (expired_only false) or the expired. */
static void fail_pending(uint64_t peer_id, int64_t now_ms, const char *why)
{
    pending_request **rp = &pending;
    while (*rp) {
        pending_request *r = *rp;
        bool match = peer_id ? r->peer_id == peer_id : r->deadline_ms <= now_ms;
        if (!match) {
            rp = &r->next;
            continue;
        }
        *rp = r->next;
        char msg[160];
        snprintf(msg, sizeof msg, "probe %s: %s", r->type, why);
        r->fn(r->ctx, peer_id ? NULL : fleet_find(r->peer_id), NULL, msg);
        free(r);
    }
}

void probe_link_on_open(conn *c)
{
    probe_peer *p = fleet_add(c);
    if (!p) {
        conn_close(c, "out of memory");
        return;
    }
    c->owner = p;
}

static void handle_hello(probe_peer *p, const probe_envelope *env)
{
    char err[200];
    if (p->registered) {
        send_text(p, probe_error_encode(env->id, "already registered"));
        return;
    }
    if (probe_hello_from_json(env->body, &p->hello, err, sizeof err) != 0) {
        log_warn("probe from %s sent a bad hello: %s", p->conn->peer, err);
        send_text(p, probe_error_encode(env->id, err));
        conn_close(p->conn, "bad hello");
        return;
    }
    p->registered = true;
    char name[96];
    log_info("probe %s joined (exe %s, build-id %s, namespace %s)", fleet_display_name(p, name, sizeof name),
             p->hello.exe ? p->hello.exe : "?", p->hello.build_id ? p->hello.build_id : "",
             p->hello.namespace_ ? p->hello.namespace_ : "?");
    cJSON *body = cJSON_CreateObject();
    cJSON_AddNumberToObject(body, "heartbeat_ms", PROBE_HEARTBEAT_MS);
    cJSON_AddNumberToObject(body, "probe_id", (double)p->id);
    if (redact_patterns)
        cJSON_AddStringToObject(body, "redact", redact_patterns);
    send_text(p, probe_envelope_encode(PMSG_RESULT, env->id, body));
    dap_sessions_probe_joined(p);
}

static void handle_stopped(probe_peer *p, const probe_envelope *env)
{
    char err[200];
    probe_stopped stop;
    if (probe_stopped_from_json(env->body, &stop, err, sizeof err) != 0) {
        log_warn("probe %s sent a bad stopped event: %s", p->conn->peer, err);
        return;
    }
    fleet_record_stop(p, &stop);
    server_metrics_count(PODBUG_HITS, NULL, 1);
    dap_sessions_probe_stopped(p);
}

static void handle_breakpoint_error(probe_peer *p, const probe_envelope *env)
{
    char err[200];
    probe_bp_error report;
    if (probe_bp_error_from_json(env->body, &report, err, sizeof err) != 0) {
        log_warn("probe %s sent a bad breakpoint.error event: %s", p->conn->peer, err);
        return;
    }
    dap_sessions_breakpoint_error(p, &report);
    probe_bp_error_free(&report);
}

static void handle_output(probe_peer *p, const probe_envelope *env)
{
    char err[200];
    probe_output line;
    if (probe_output_from_json(env->body, &line, err, sizeof err) != 0) {
        log_warn("probe %s sent a bad output event: %s", p->conn->peer, err);
        return;
    }
    server_metrics_count_output(&line);
    dap_sessions_logpoint_output(p, &line);
    probe_output_free(&line);
}

/* A snapshot: validated, then its body (detached from the envelope) goes to the store. An
 * invalid one is logged and dropped; the probe stays connected. */
static void handle_snapshot(probe_peer *p, probe_envelope *env, size_t len)
{
    char err[1200];
    if (probe_snapshot_validate(env->body, err, sizeof err) != 0) {
        char name[96];
        log_warn("probe %s sent an invalid snapshot (dropped): %s", fleet_display_name(p, name, sizeof name), err);
        return;
    }
    server_metrics_count_snapshot(env->body);
    cJSON *body = cJSON_DetachItemFromObjectCaseSensitive(env->root, "body");
    env->body = NULL;
    snapshot_threads_on_snapshot(p, body, len);
}

static void handle_snapshot_dropped(probe_peer *p, const probe_envelope *env)
{
    char err[200];
    probe_snapshot_dropped report;
    if (probe_snapshot_dropped_from_json(env->body, &report, err, sizeof err) != 0) {
        log_warn("probe %s sent a bad snapshot.dropped event: %s", p->conn->peer, err);
        return;
    }
    server_metrics_count(PODBUG_HITS_DROPPED, NULL, (uint64_t)report.dropped);
    snapshot_threads_on_dropped(p, &report);
    probe_snapshot_dropped_free(&report);
}

static void handle_reply(probe_peer *p, const probe_envelope *env, bool ok)
{
    pending_request *r = take_pending(p->id, env->id);
    if (!r) {
        log_debug("probe %s replied to unknown or expired request %lld", p->conn->peer, (long long)env->id);
        return;
    }
    if (ok) {
        r->fn(r->ctx, p, env->body, NULL);
    } else {
        server_metrics_count(PODBUG_ERRORS, "probe_error", 1);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(env->body, "message");
        r->fn(r->ctx, p, NULL, cJSON_IsString(m) ? m->valuestring : "the probe reported an error");
    }
    free(r);
}

void probe_link_on_message(conn *c, const char *text, size_t len)
{
    probe_peer *p = c->owner;
    if (!p)
        return;
    p->last_seen_ms = net_now_ms();
    probe_envelope env;
    char err[200];
    if (probe_envelope_decode(text, len, &env, err, sizeof err) != 0) {
        log_warn("malformed message from probe at %s: %s", c->peer, err);
        server_metrics_count(PODBUG_ERRORS, "bad_message", 1);
        send_text(p, probe_error_encode(0, err));
        conn_close(c, "malformed probe message");
        return;
    }
    if (!p->registered && strcmp(env.type, PMSG_HELLO) != 0) {
        send_text(p, probe_error_encode(env.id, "send hello first"));
        conn_close(c, "message before hello");
    } else if (strcmp(env.type, PMSG_HELLO) == 0) {
        handle_hello(p, &env);
    } else if (strcmp(env.type, PMSG_RESULT) == 0 || strcmp(env.type, PMSG_ERROR) == 0) {
        handle_reply(p, &env, strcmp(env.type, PMSG_RESULT) == 0);
    } else if (strcmp(env.type, PMSG_STOPPED) == 0) {
        handle_stopped(p, &env);
    } else if (strcmp(env.type, PMSG_BREAKPOINT_ERROR) == 0) {
        handle_breakpoint_error(p, &env);
    } else if (strcmp(env.type, PMSG_OUTPUT) == 0) {
        handle_output(p, &env);
    } else if (strcmp(env.type, PMSG_SNAPSHOT) == 0) {
        handle_snapshot(p, &env, len);
    } else if (strcmp(env.type, PMSG_SNAPSHOT_DROPPED) == 0) {
        handle_snapshot_dropped(p, &env);
    } else if (strcmp(env.type, PMSG_HEARTBEAT) == 0) {
        /* last_seen_ms is updated above */
    } else if (env.id > 0) {
        char msg[120];
        snprintf(msg, sizeof msg, "unknown message type '%.60s'", env.type);
        send_text(p, probe_error_encode(env.id, msg));
    } else {
        log_debug("ignoring unknown event '%s' from probe at %s", env.type, c->peer);
    }
    probe_envelope_free(&env);
}

void probe_link_on_close(conn *c)
{
    probe_peer *p = c->owner;
    if (!p)
        return;
    c->owner = NULL;
    if (p->registered) {
        char name[96];
        log_info("probe %s left", fleet_display_name(p, name, sizeof name));
    }
    uint64_t id = p->id;
    dap_sessions_probe_left(p);
    fleet_remove(p);
    fail_pending(id, 0, "the probe disconnected");
}

void probe_link_tick(int64_t now_ms)
{
    fail_pending(0, now_ms, "timed out");
    bool beat = now_ms - last_heartbeat_ms >= PROBE_HEARTBEAT_MS;
    if (beat)
        last_heartbeat_ms = now_ms;
    for (probe_peer *p = fleet_first(); p; p = p->next) {
        if (now_ms - p->last_seen_ms > PROBE_SILENCE_LIMIT_MS) {
            conn_close(p->conn, "no message or heartbeat for 15 s");
        } else if (beat && p->registered) {
            cJSON *body = cJSON_CreateObject();
            cJSON_AddNumberToObject(body, "time_ms", (double)now_ms);
            send_text(p, probe_envelope_encode(PMSG_HEARTBEAT, 0, body));
        }
    }
}
