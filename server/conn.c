/* Server connections: queueing outgoing messages, writing one per writeable callback, closing
 * politely. The libwebsockets callback routing lives in net.c; this file never touches sockets. */
#include "conn.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "probe_msg.h"

#define CONN_MAX_QUEUED (64u * 1024u * 1024u)

conn *conn_create(struct lws *wsi, conn_kind kind)
{
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->wsi = wsi;
    c->kind = kind;
    out_queue_init(&c->out, CONN_MAX_QUEUED);
    msg_assembler_init(&c->in, kind == CONN_PROBE ? PROBE_MAX_MESSAGE : DAP_DEFAULT_MAX_BODY);
    dap_framer_init(&c->framer, DAP_DEFAULT_MAX_BODY);
    char ip[48] = "?";
    lws_get_peer_simple(wsi, ip, sizeof ip);
    snprintf(c->peer, sizeof c->peer, "%s", ip);
    return c;
}

void conn_destroy(conn *c)
{
    if (!c)
        return;
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
        conn_close(c, "outgoing queue full (client not reading)");
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
    if (out_queue_write_next(&c->out, c->wsi, mode) != 0)
        return -1;
    if (!out_queue_empty(&c->out))
        return 0;
    if (c->closing) {
        if (c->kind != CONN_DAP_TCP)
            lws_close_reason(c->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                             (unsigned char *)c->close_reason, strlen(c->close_reason));
        return -1;
    }
    return 0;
}
