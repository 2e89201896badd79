/* libwebsockets wiring of podbug-server: vhosts, protocols, one callback that turns lws events
 * into conn events for probes (probe_link), IDE sessions (dap_session) and HTTP (http_api). */
#include "net.h"

#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "auth.h"
#include "conn.h"
#include "dap_session.h"
#include "http_api.h"
#include "inject_attach.h"
#include "launch.h"
#include "listen_addr.h"
#include "log.h"
#include "metrics.h"
#include "probe_link.h"
#include "probe_msg.h"
#include "reload_run.h"
#include "server_metrics.h"
#include "session_auth.h"
#include "tls_files.h"

#define DAP_WS_SUBPROTOCOL "podbug.dap"
#define TICK_US (100 * LWS_US_PER_MS)

typedef struct per_connection {
    conn *c;
    char *http_body;       /* HTTP: response body waiting for the writeable callback */
    size_t http_len;
} per_connection;

static struct lws_context *context;
static lws_sorted_usec_list_t tick_timer;
static volatile sig_atomic_t stop_requested;
static char probe_url[320] = "ws://127.0.0.1:4700/probe";

const char *net_probe_url(void)
{
    return probe_url;
}

int64_t net_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    probe_link_tick(net_now_ms());
    dap_sessions_tick(net_now_ms());
    reload_runs_tick(net_now_ms());
    inject_attach_tick(net_now_ms());
    launch_tick(net_now_ms());
    auth_tick();
    lws_sul_schedule(context, 0, &tick_timer, on_tick, TICK_US);
}

/* The request's "Authorization" header into out ("" when it has none or it does not fit). */
static const char *authorization_of(struct lws *wsi, char *out, size_t len)
{
    if (lws_hdr_copy(wsi, out, (int)len, WSI_TOKEN_HTTP_AUTHORIZATION) <= 0)
        out[0] = '\0';
    return out;
}

static void open_conn(per_connection *pc, struct lws *wsi, conn_kind kind)
{
    pc->c = conn_create(wsi, kind);
    if (!pc->c)
        return;
    log_debug("%s connection from %s", conn_kind_name(kind), pc->c->peer);
    if (conn_refused_over_limit(pc->c))
        return;
    char authorization[AUTH_TOKEN_MAX_LEN + 64] = "";
    if (kind != CONN_DAP_TCP)
        authorization_of(wsi, authorization, sizeof authorization);
    if (kind == CONN_PROBE) {
        if (auth_admit_probe(pc->c, authorization))
            probe_link_on_open(pc->c);
    } else {
        dap_session_on_open(pc->c);
        if (pc->c->owner)
            session_auth_on_open(pc->c->owner, authorization);
    }
}

static void close_conn(per_connection *pc)
{
    if (!pc->c)
        return;
    if (pc->c->kind == CONN_PROBE)
        probe_link_on_close(pc->c);
    else
        dap_session_on_close(pc->c);
    conn_destroy(pc->c);
    pc->c = NULL;
}

static void deliver(conn *c, const char *msg, size_t len)
{
    if (!conn_admit_message(c, len))
        return;
    if (c->kind == CONN_PROBE)
        probe_link_on_message(c, msg, len);
    else
        dap_session_on_message(c, msg, len);
}

/* WebSocket: which endpoint the client asked for, by URI (lws 4.1 does not route by path). */
static int ws_kind_for(struct lws *wsi, conn_kind *kind)
{
    char uri[128] = "";
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0)
        return -1;
    if (strcmp(uri, "/probe") == 0)
        *kind = CONN_PROBE;
    else if (strcmp(uri, "/dap") == 0)
        *kind = CONN_DAP_WS;
    else
        return -1;
    return 0;
}

static void ws_receive(per_connection *pc, struct lws *wsi, const void *in, size_t len)
{
    conn *c = pc->c;
    if (!c || c->closing)
        return;
    if (lws_frame_is_binary(wsi)) {
        server_metrics_count(PODBUG_ERRORS, "bad_message", 1);
        conn_close(c, "binary frames are not part of the protocol; send JSON text frames");
        return;
    }
    const char *msg;
    size_t msg_len;
    switch (msg_assembler_add(&c->in, in, len, lws_is_final_fragment(wsi), &msg, &msg_len)) {
    case ASSEMBLE_PARTIAL:
        break;
    case ASSEMBLE_COMPLETE:
        deliver(c, msg, msg_len);
        break;
    case ASSEMBLE_TOO_BIG:
        server_metrics_count(PODBUG_ERRORS, "too_big", 1);
        conn_close(c, "message exceeds the size limit");
        break;
    case ASSEMBLE_NO_MEMORY:
        conn_close(c, "out of memory");
        break;
    }
}

static void raw_receive(conn *c, const void *in, size_t len)
{
    if (c->closing)
        return;
    if (dap_framer_feed(&c->framer, in, len) != 0) {
        conn_close(c, "out of memory");
        return;
    }
    for (;;) {
        const char *body;
        size_t body_len;
        char err[160];
        dap_frame_status st = dap_framer_next(&c->framer, &body, &body_len, err, sizeof err);
        if (st == DAP_FRAME_NEED_MORE)
            return;
        if (st == DAP_FRAME_ERROR) {
            log_warn("malformed DAP framing from %s: %s", c->peer, err);
            server_metrics_count(PODBUG_ERRORS, "bad_message", 1);
            conn_close(c, err);
            return;
        }
        deliver(c, body, body_len);
        if (c->closing)
            return;
    }
}

static int http_serve(per_connection *pc, struct lws *wsi, const char *path)
{
    http_response resp;
    char authorization[AUTH_TOKEN_MAX_LEN + 64];
    http_api_handle(path, authorization_of(wsi, authorization, sizeof authorization), &resp);
    unsigned char headers[LWS_PRE + 512], *start = headers + LWS_PRE, *p = start, *end = headers + sizeof headers;
    if (lws_add_http_common_headers(wsi, (unsigned int)resp.status, resp.content_type, resp.body_len, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end)) {
        free(resp.body);
        return 1;
    }
    pc->http_body = resp.body;
    pc->http_len = resp.body_len;
    lws_callback_on_writable(wsi);
    return 0;
}

static int http_write_body(per_connection *pc, struct lws *wsi)
{
    unsigned char *buf = malloc(LWS_PRE + pc->http_len + 1);
    if (!buf)
        return -1;
    memcpy(buf + LWS_PRE, pc->http_body, pc->http_len);
    int n = lws_write(wsi, buf + LWS_PRE, pc->http_len, LWS_WRITE_HTTP_FINAL);
    free(buf);
    free(pc->http_body);
    pc->http_body = NULL;
    if (n < (int)pc->http_len)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    per_connection *pc = user;
    conn_kind kind;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return http_serve(pc, wsi, in ? (const char *)in : "/");
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return pc->http_body ? http_write_body(pc, wsi) : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
        free(pc ? pc->http_body : NULL);
        if (pc)
            pc->http_body = NULL;
        break;

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        if (ws_kind_for(wsi, &kind) != 0) {
            log_warn("refusing WebSocket upgrade: the path must be /probe or /dap");
            return 1;
        }
        break;
    case LWS_CALLBACK_ESTABLISHED:
        if (ws_kind_for(wsi, &kind) != 0)
            return -1;
        open_conn(pc, wsi, kind);
        return pc->c ? 0 : -1;
    case LWS_CALLBACK_RECEIVE:
        ws_receive(pc, wsi, in, len);
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_RAW_WRITEABLE:
        return pc->c ? conn_on_writeable(pc->c) : 0;
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_RAW_CLOSE:
        close_conn(pc);
        break;

    case LWS_CALLBACK_RAW_ADOPT:
        open_conn(pc, wsi, CONN_DAP_TCP);
        return pc->c ? 0 : -1;
    case LWS_CALLBACK_RAW_RX:
        if (pc->c)
            raw_receive(pc->c, in, len);
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols web_protocols[] = {
    { "http", callback, sizeof(per_connection), 65536, 0, NULL, 0 },
    { PROBE_WS_SUBPROTOCOL, callback, sizeof(per_connection), 65536, 0, NULL, 0 },
    { DAP_WS_SUBPROTOCOL, callback, sizeof(per_connection), 65536, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

static const struct lws_protocols raw_protocols[] = {
    { "podbug.dap.tcp", callback, sizeof(per_connection), 65536, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void lws_log_bridge(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    log_msg(level == LLL_ERR ? LOG_ERROR : LOG_DEBUG, "lws: %.*s", (int)n, line);
}

/* With TLS, checks the certificate and key first (a bad pair refuses to start) and logs what is served. */
static int check_tls(const server_options *opts)
{
    char about[400], err[600];
    if (tls_files_check(opts->tls_cert, opts->tls_key, about, sizeof about, err, sizeof err) != 0) {
        log_error("%s", err);
        return -1;
    }
    log_info("TLS on port %d (%s)", opts->port, about);
    if (opts->dap_port && !listen_addr_is_loopback(opts->listen_addr))
        log_warn("DAP over TCP on port %d is NOT encrypted (IDEs' TCP adapters have no TLS); use --dap-port 0 "
                 "and connect IDEs over wss://%s:%d/dap or through `podbug dap`",
                 opts->dap_port, opts->listen_addr, opts->port);
    return 0;
}

int net_start(const server_options *opts)
{
    lws_set_log_level(LLL_ERR | (opts->log_level >= LOG_DEBUG ? LLL_WARN : 0), lws_log_bridge);
    server_limits_set(&opts->limits);
    if (server_metrics_init(&opts->limits, (size_t)opts->snapshot_limit) != 0) {
        log_error("out of memory registering the metrics");
        return -1;
    }

    if (opts->tls_cert && check_tls(opts) != 0)
        return -1;

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | (opts->tls_cert ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
    context = lws_create_context(&info);
    if (!context) {
        log_error("cannot create the event loop");
        return -1;
    }

    memset(&info, 0, sizeof info);
    info.vhost_name = "web";
    info.iface = opts->listen_addr;
    info.port = opts->port;
    info.protocols = web_protocols;
    /* lws serves TLS on a vhost only when its own options ask for the global init too. */
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | (opts->tls_cert ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
    info.ssl_cert_filepath = opts->tls_cert;
    info.ssl_private_key_filepath = opts->tls_key;
    if (!lws_create_vhost(context, &info)) {
        log_error("cannot listen on %s:%d (in use, or a bad address?)", opts->listen_addr, opts->port);
        return -1;
    }
    const char *ws = opts->tls_cert ? "wss" : "ws";
    log_info("listening on %s:%d (probes: %s://%s:%d/probe, DAP: %s://%s:%d/dap, /healthz, /metrics, /api/pods)",
             opts->listen_addr, opts->port, ws, opts->listen_addr, opts->port, ws, opts->listen_addr, opts->port);
    const char *addr = opts->listen_addr;
    bool any_addr = !addr || !*addr || strcmp(addr, "0.0.0.0") == 0 || strcmp(addr, "::") == 0;
    snprintf(probe_url, sizeof probe_url, "%s://%s:%d/probe", ws, any_addr ? "127.0.0.1" : addr, opts->port);

    if (opts->dap_port) {
        memset(&info, 0, sizeof info);
        info.vhost_name = "dap-tcp";
        info.iface = opts->listen_addr;
        info.port = opts->dap_port;
        info.protocols = raw_protocols;
        info.options = LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
        info.listen_accept_role = "raw-skt";
        info.listen_accept_protocol = raw_protocols[0].name;
        if (!lws_create_vhost(context, &info)) {
            log_error("cannot listen for DAP on %s:%d (in use?)", opts->listen_addr, opts->dap_port);
            return -1;
        }
        log_info("DAP over TCP on %s:%d", opts->listen_addr, opts->dap_port);
    }
    lws_sul_schedule(context, 0, &tick_timer, on_tick, TICK_US);
    return 0;
}

void net_run(void)
{
    while (!stop_requested)
        if (lws_service(context, 0) < 0)
            break;
}

void net_request_stop(void)
{
    stop_requested = 1;
    if (context)
        lws_cancel_service(context);
}

void net_shutdown(void)
{
    launch_shutdown();
    if (context)
        lws_context_destroy(context);
    context = NULL;
    metrics_reset();
}
