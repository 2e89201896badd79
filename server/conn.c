/* Server connections: queueing outgoing messages, writing one per writeable callback, closing
 * politely, and the limits of one connection (count, message rate, queued bytes). The
 * libwebsockets callback routing lives in net.c; this file never touches sockets. */
#include "conn.h"

#include <cjson/cJSON.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "net.h"
#include "server_metrics.h"

static size_t open_count[2]; /* by channel: probes, DAP clients */

conn *conn_create(struct lws *wsi, conn_kind kind)
{
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    const server_limits *limits = server_limits_get();
    c->wsi = wsi;
    c->kind = kind;
    out_queue_init(&c->out, limits->max_queued_bytes);
    msg_assembler_init(&c->in, limits->max_message_bytes);
    dap_framer_init(&c->framer, limits->max_message_bytes);
    open_count[kind != CONN_PROBE]++;
    char ip[48] = "?";
    lws_get_peer_simple(wsi, ip, sizeof ip);
    snprintf(c->peer, sizeof c->peer, "%s", ip);
    return c;
}

void conn_destroy(conn *c)
{
    if (!c)
        return;
    open_count[c->kind != CONN_PROBE]--;
    out_queue_clear(&c->out);
    msg_assembler_free(&c->in);
    dap_framer_free(&c->framer);
    free(c);
}

const char *conn_kind_name(conn_kind kind)
{
    switch (kind) {
    case CONN_PROBE: return "probe";
    case CONN_DAP_WS: return "dap-ws";
    case CONN_DAP_TCP: return "dap-tcp";
    }
    return "?";
}

static const char *channel_of(const conn *c)
{
    return c->kind == CONN_PROBE ? "probe" : "dap";
}

/* Tells a refused IDE why, as a DAP output event, before its connection closes. */
static void send_dap_notice(conn *c, const char *text)
{
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "seq", 1);
    cJSON_AddStringToObject(event, "type", "event");
    cJSON_AddStringToObject(event, "event", "output");
    cJSON *body = cJSON_AddObjectToObject(event, "body");
    cJSON_AddStringToObject(body, "category", "important");
    cJSON_AddStringToObject(body, "output", text);
    char *json = cJSON_PrintUnformatted(event);
    cJSON_Delete(event);
    if (json)
        conn_send(c, json, strlen(json));
    free(json);
}

bool conn_refused_over_limit(conn *c)
{
    const server_limits *limits = server_limits_get();
    bool probe = c->kind == CONN_PROBE;
    size_t limit = probe ? limits->max_probes : limits->max_sessions;
    if (open_count[!probe] <= limit)
        return false;
    char reason[96];
    snprintf(reason, sizeof reason, "podbug-server: %s limit of %zu reached", probe ? "probe" : "session", limit);
    log_warn("refusing %s connection from %s: %s", conn_kind_name(c->kind), c->peer, reason);
    server_metrics_count(PODBUG_ERRORS, "over_limit", 1);
    if (!probe)
        send_dap_notice(c, reason);
    conn_close(c, reason);
    return true;
}

bool conn_admit_message(conn *c, size_t len)
{
    server_metrics_count(PODBUG_BYTES_RECEIVED, channel_of(c), len);
    size_t per_second = server_limits_get()->max_messages_per_second;
    rate_verdict verdict = message_rate_admit(&c->rate, net_now_ms(), per_second);
    if (verdict == RATE_ADMIT)
        return true;
    server_metrics_count(PODBUG_ERRORS, "rate_limited", 1);
    if (verdict == RATE_DROP_STARTS)
        log_warn("%s connection from %s sends more than %zu messages per second: dropping the excess",
                 conn_kind_name(c->kind), c->peer, per_second);
    if (verdict == RATE_CLOSE) {
        char reason[120];
        snprintf(reason, sizeof reason, "podbug-server: over the limit of %zu messages per second for %d s",
                 per_second, LIMIT_OVER_RATE_CLOSE_MS / 1000);
        conn_close(c, reason);
    }
    return false;
}

/* A client whose unsent output passed --max-queued-bytes: nothing more is sent, and the
 * connection is closed now (waiting for its queue to drain would wait forever). */
static void disconnect_slow_client(conn *c)
{
    snprintf(c->close_reason, sizeof c->close_reason, "podbug-server: client too slow (%zu bytes queued)",
             c->out.bytes);
    log_warn("disconnecting %s connection from %s: %s", conn_kind_name(c->kind), c->peer, c->close_reason);
    server_metrics_count(PODBUG_ERRORS, "slow_client", 1);
    c->closing = true;
    out_queue_clear(&c->out);
    if (c->kind != CONN_DAP_TCP)
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)c->close_reason,
                         strlen(c->close_reason));
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

int conn_send(conn *c, const char *text, size_t len)
{
    if (c->closing)
        return -1;
    int rc;
    if (c->kind == CONN_DAP_TCP) {
        size_t framed_len;
        char *framed = dap_frame_encode(text, len, &framed_len);
        rc = framed ? out_queue_push(&c->out, framed, framed_len) : -1;
        free(framed);
    } else {
        rc = out_queue_push(&c->out, text, len);
    }
    if (rc != 0) {
        if (c->out.bytes + len > c->out.max_bytes)
            disconnect_slow_client(c);
        else
            conn_close(c, "out of memory");
        return -1;
    }
    lws_callback_on_writable(c->wsi);
    return 0;
}

void conn_close(conn *c, const char *reason)
{
    if (c->closing)
        return;
    c->closing = true;
    snprintf(c->close_reason, sizeof c->close_reason, "%s", reason);
    log_info("closing %s connection from %s: %s", conn_kind_name(c->kind), c->peer, reason);
    lws_callback_on_writable(c->wsi);
}

int conn_on_writeable(conn *c)
{
    enum lws_write_protocol mode = c->kind == CONN_DAP_TCP ? LWS_WRITE_RAW : LWS_WRITE_TEXT;
    size_t queued = c->out.bytes;
    if (out_queue_write_next(&c->out, c->wsi, mode) != 0)
        return -1;
    server_metrics_count(PODBUG_BYTES_SENT, channel_of(c), queued - c->out.bytes);
    if (!out_queue_empty(&c->out))
        return 0;
    if (c->closing) {
        if (c->kind != CONN_DAP_TCP)
            lws_close_reason(c->wsi, c->close_status ? (enum lws_close_status)c->close_status
                                                     : LWS_CLOSE_STATUS_POLICY_VIOLATION,
                             (unsigned char *)c->close_reason, strlen(c->close_reason));
        return -1;
    }
    return 0;
}
