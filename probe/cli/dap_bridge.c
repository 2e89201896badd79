/* `podbug dap`: a stdio DAP adapter for IDEs that spawn one. It owns the WebSocket to the server's
 * /dap endpoint (one DAP message per text frame), the event loop and how the bridge ends. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "dap_bridge.h"
#include "ws_client.h"

#define DAP_PATH "/dap"
#define GIVE_UP_SECONDS 5 /* for stdout, once the end is decided */

static const char help[] =
    "usage: podbug dap [--server URL]\n"
    "\n"
    "A Debug Adapter Protocol adapter on stdin and stdout, for IDEs that spawn one: each message\n"
    "read from stdin (Content-Length framing) goes to the server's DAP WebSocket (the URL, default\n"
    "ws://127.0.0.1:4700, with the path /dap when it has none); each message of the server comes\n"
    "out on stdout. Diagnostics go to stderr. PODBUG_TOKEN, when set, is sent in the handshake as\n"
    "'Authorization: Bearer <token>'. With wss:// the server's certificate is verified against\n"
    "PODBUG_CA (a PEM CA bundle) when set, else the system's CAs.\n"
    "Exit status: 0 when stdin ends; 1 when the server cannot be reached or closes the connection,\n"
    "or stdin is not DAP.\n";

static void give_up(lws_sorted_usec_list_t *sul)
{
    lws_container_of(sul, dap_bridge, give_up_timer)->done = true;
}

void dap_bridge_finish(dap_bridge *b, int status, const char *fmt, ...)
{
    if (b->status < 0) {
        b->status = status;
        if (fmt) {
            va_list ap;
            va_start(ap, fmt);
            fputs("podbug dap: ", stderr);
            vfprintf(stderr, fmt, ap);
            fputc('\n', stderr);
            va_end(ap);
        }
        if (b->in_wsi && !b->stdin_paused) {
            b->stdin_paused = true;
            lws_rx_flow_control(b->in_wsi, 0);
        }
        lws_sul_schedule(b->context, 0, &b->give_up_timer, give_up, GIVE_UP_SECONDS * LWS_US_PER_SEC);
    }
    if (out_queue_empty(&b->to_ide) || b->stdout_broken)
        b->done = true;
}

static void receive(dap_bridge *b, struct lws *wsi, const void *in, size_t len)
{
    const char *msg;
    size_t msg_len;
    switch (msg_assembler_add(&b->from_server, in, len, lws_is_final_fragment(wsi), &msg, &msg_len)) {
    case ASSEMBLE_PARTIAL:
        break;
    case ASSEMBLE_COMPLETE:
        if (b->status < 0 && !b->stdout_broken)
            dap_bridge_to_ide(b, msg, msg_len);
        break;
    case ASSEMBLE_TOO_BIG:
        dap_bridge_finish(b, 1, "the server sent a message over %u bytes", DAP_DEFAULT_MAX_BODY);
        break;
    case ASSEMBLE_NO_MEMORY:
        dap_bridge_finish(b, 1, "out of memory");
        break;
    }
}

/* Writes the next message for the server. After the end of stdin, the connection is closed in the
 * writeable callback after the last message's, when lws has sent all of it; returning -1 only
 * once lets lws finish the close handshake, so that the server reads everything before the
 * socket closes (closing it with the server's answers unread would reset it). */
static int write_to_server(dap_bridge *b, struct lws *wsi)
{
    if (b->closing_ws)
        return 0; /* lws sends the close frame, then reads until the server answers it */
    if (b->stdin_ended && out_queue_empty(&b->to_server)) {
        b->closing_ws = true;
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    if (out_queue_write_next(&b->to_server, wsi, LWS_WRITE_TEXT) != 0) {
        dap_bridge_finish(b, 1, "lost the server at %s while writing to it", b->url);
        return -1;
    }
    dap_bridge_resume_stdin(b);
    if (b->stdin_ended)
        lws_callback_on_writable(wsi);
    return 0;
}

static void server_gone(dap_bridge *b)
{
    if (!b->ws)
        return;
    b->ws = NULL;
    if (b->stdin_ended)
        dap_bridge_finish(b, 0, NULL);
    else
        dap_bridge_finish(b, 1, "the server at %s closed the connection%s%s", b->url,
                          b->close_reason[0] ? ": " : "", b->close_reason);
}

/* The server's close frame: a 2-byte status, then the reason text. */
static void keep_close_reason(dap_bridge *b, const char *in, size_t len)
{
    if (len > 2)
        snprintf(b->close_reason, sizeof b->close_reason, "%.*s", (int)(len - 2), in + 2);
}

static int server_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    dap_bridge *b = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if (b->token && ws_client_add_bearer_token(wsi, in, len, b->token) != 0) {
            dap_bridge_finish(b, 1, "PODBUG_TOKEN is too long for the handshake");
            return -1;
        }
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        b->connected = true;
        return dap_bridge_watch_stdio(b, lws_get_vhost(wsi));
    case LWS_CALLBACK_CLIENT_RECEIVE:
        receive(b, wsi, in, len);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return b->status < 0 ? write_to_server(b, wsi) : 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        keep_close_reason(b, in, len);
        break;
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
        ws_client_tls_verdict(user, len, b->tls_refusal, sizeof b->tls_refusal);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (b->tls_refusal[0])
            dap_bridge_finish(b, 1, "cannot reach the server at %s: %s (PODBUG_CA=%s)", b->url, b->tls_refusal,
                              b->ca_file ? b->ca_file : "unset: the system's CAs");
        else
            dap_bridge_finish(b, 1, "cannot reach the server at %s: %s", b->url, ws_client_error_text(in, b->tls));
        b->ws = NULL;
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        server_gone(b);
        break;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
    case LWS_CALLBACK_WSI_DESTROY:
        /* A server that accepts TCP but never upgrades ends here, with neither of the above. */
        if (wsi == b->ws && !b->connected)
            dap_bridge_finish(b, 1, "the server at %s did not complete the WebSocket handshake", b->url);
        else if (wsi == b->ws)
            server_gone(b);
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    { "podbug-dap-ws", server_callback, 0, 65536, 0, NULL, 0 },
    { DAP_BRIDGE_STDIN_PROTOCOL, dap_bridge_stdin_callback, 0, 0, 0, NULL, 0 },
    { DAP_BRIDGE_STDOUT_PROTOCOL, dap_bridge_stdout_callback, 0, 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Returns 0 to run, 1 after --help, 2 after a usage error (printed). */
static int parse_options(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(help, stdout);
        return 1;
    }
    if (argc > 1) {
        fprintf(stderr, "podbug dap: unexpected '%s' (podbug dap [--server URL])\n", argv[1]);
        return 2;
    }
    return 0;
}

static int run(dap_bridge *b, const server_url *server)
{
    lws_set_log_level(0, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = b;
    b->tls = server->tls;
    if (b->tls)
        ws_client_tls_context(&info, b->ca_file);
    b->context = lws_create_context(&info);
    if (!b->context) {
        fprintf(stderr, "podbug dap: cannot create the network context\n");
        return 1;
    }
    const char *path = server->path[0] && strcmp(server->path, "/") != 0 ? server->path : DAP_PATH;
    snprintf(b->url, sizeof b->url, "%s%s:%d%s", server_url_scheme(server), server->host, server->port, path);
    b->ws = ws_client_connect(b->context, server->host, server->port, path, NULL, server->tls, NULL);
    if (!b->ws)
        dap_bridge_finish(b, 1, "cannot reach the server at %s", b->url);
    while (!b->done) {
        if (lws_service(b->context, 0) < 0) {
            dap_bridge_finish(b, 1, "the event loop failed");
            break;
        }
    }
    dap_bridge_restore_stdout(b);
    lws_context_destroy(b->context);
    return b->status;
}

int cli_dap(const server_url *server, int argc, char **argv)
{
    int rc = parse_options(argc, argv);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    dap_bridge b;
    memset(&b, 0, sizeof b);
    b.status = -1;
    b.stdout_flags = -1;
    const char *token = getenv("PODBUG_TOKEN");
    b.token = token && *token ? token : NULL;
    const char *ca_file = getenv("PODBUG_CA");
    b.ca_file = ca_file && *ca_file ? ca_file : NULL;
    dap_framer_init(&b.from_ide, DAP_DEFAULT_MAX_BODY);
    out_queue_init(&b.to_server, 0);
    msg_assembler_init(&b.from_server, DAP_DEFAULT_MAX_BODY);
    out_queue_init(&b.to_ide, 0);
    rc = run(&b, server);
    dap_framer_free(&b.from_ide);
    out_queue_clear(&b.to_server);
    msg_assembler_free(&b.from_server);
    out_queue_clear(&b.to_ide);
    return rc;
}
