/* `podbug dap`'s stdio side: reads DAP messages from stdin (Content-Length framing) into the
 * queue for the server, and writes the server's messages to stdout without ever blocking. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dap_bridge.h"

#define READ_CHUNK 65536

static dap_bridge *bridge_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

void dap_bridge_resume_stdin(dap_bridge *b)
{
    if (b->stdin_paused && b->in_wsi && b->status < 0 && b->to_server.bytes <= DAP_BRIDGE_BACKLOG_LIMIT) {
        b->stdin_paused = false;
        lws_rx_flow_control(b->in_wsi, 1);
    }
}

/* Moves every complete message from the framer to the server's queue. Returns -1 after
 * dap_bridge_finish (malformed framing). */
static int forward_messages(dap_bridge *b)
{
    for (;;) {
        const char *body;
        size_t body_len;
        char err[160];
        switch (dap_framer_next(&b->from_ide, &body, &body_len, err, sizeof err)) {
        case DAP_FRAME_NEED_MORE:
            return 0;
        case DAP_FRAME_ERROR:
            dap_bridge_finish(b, 1, "malformed DAP message on stdin: %s", err);
            return -1;
        case DAP_FRAME_MESSAGE:
            if (out_queue_push(&b->to_server, body, body_len) != 0) {
                dap_bridge_finish(b, 1, "out of memory");
                return -1;
            }
            lws_callback_on_writable(b->ws);
            break;
        }
    }
}

static void end_of_input(dap_bridge *b)
{
    if (b->from_ide.len > b->from_ide.consumed) {
        dap_bridge_finish(b, 1, "malformed DAP message on stdin: it ends inside a message");
        return;
    }
    b->stdin_ended = true;
    lws_callback_on_writable(b->ws); /* closes the WebSocket once the queue is written */
}

/* One read of stdin. Returns 1 when it brought data, 0 when there is nothing now, -1 when stdin
 * is done (end of input, or an error after dap_bridge_finish). */
static int read_stdin(dap_bridge *b)
{
    char buf[READ_CHUNK];
    ssize_t n;
    do
        n = read(STDIN_FILENO, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n < 0) {
        dap_bridge_finish(b, 1, "cannot read stdin: %s", strerror(errno));
        return -1;
    }
    if (n == 0) {
        end_of_input(b);
        return -1;
    }
    if (dap_framer_feed(&b->from_ide, buf, (size_t)n) != 0) {
        dap_bridge_finish(b, 1, "out of memory");
        return -1;
    }
    if (forward_messages(b) != 0)
        return -1;
    if (b->to_server.bytes > DAP_BRIDGE_BACKLOG_LIMIT && b->in_wsi && !b->stdin_paused) {
        b->stdin_paused = true;
        lws_rx_flow_control(b->in_wsi, 0);
    }
    return 1;
}

int dap_bridge_stdin_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    dap_bridge *b = bridge_of(wsi);
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        if (b->status >= 0)
            return -1;
        return read_stdin(b) < 0 ? -1 : 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        b->in_wsi = NULL;
        /* lws closes a hung-up pipe without reading it to the end (always so while reading is
         * paused): what the IDE wrote before it closed is read here, and cannot block. */
        while (b->status < 0 && !b->stdin_ended && read_stdin(b) > 0)
            ;
        if (b->status < 0 && !b->stdin_ended)
            end_of_input(b);
        break;
    default:
        break;
    }
    return 0;
}

static void stdout_failed(dap_bridge *b, const char *why)
{
    b->stdout_broken = true;
    out_queue_clear(&b->to_ide);
    b->to_ide_written = 0;
    if (!b->stdin_ended)
        dap_bridge_finish(b, 1, "cannot write to stdout: %s", why);
    else if (b->status >= 0) /* after the end of stdin, an IDE that is gone misses nothing */
        b->done = true;
}

static void ask_stdout_writeable(lws_sorted_usec_list_t *sul)
{
    dap_bridge *b = lws_container_of(sul, dap_bridge, stdout_timer);
    if (b->out_wsi)
        lws_callback_on_writable(b->out_wsi);
}

/* Writes what stdout takes now; asks to be called again for the rest. */
static void write_stdout(dap_bridge *b)
{
    unsigned char *msg;
    size_t len;
    while (out_queue_peek(&b->to_ide, &msg, &len)) {
        ssize_t n = write(STDOUT_FILENO, msg + b->to_ide_written, len - b->to_ide_written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            /* lws drops a raw file's POLLOUT after its writeable callback: ask from outside it. */
            lws_sul_schedule(b->context, 0, &b->stdout_timer, ask_stdout_writeable, 1);
            break;
        }
        if (n < 0) {
            stdout_failed(b, strerror(errno));
            return;
        }
        b->to_ide_written += (size_t)n;
        if (b->to_ide_written == len) {
            out_queue_pop(&b->to_ide);
            b->to_ide_written = 0;
        }
    }
    if (b->ws_paused && b->ws && b->to_ide.bytes <= DAP_BRIDGE_BACKLOG_LIMIT) {
        b->ws_paused = false;
        lws_rx_flow_control(b->ws, 1);
    }
    if (b->status >= 0 && out_queue_empty(&b->to_ide))
        b->done = true; /* the end was decided and waited for stdout */
}

void dap_bridge_to_ide(dap_bridge *b, const char *msg, size_t len)
{
    size_t framed_len;
    char *framed = dap_frame_encode(msg, len, &framed_len);
    if (!framed || out_queue_push(&b->to_ide, framed, framed_len) != 0) {
        free(framed);
        dap_bridge_finish(b, 1, "out of memory");
        return;
    }
    free(framed);
    lws_callback_on_writable(b->out_wsi);
    if (b->to_ide.bytes > DAP_BRIDGE_BACKLOG_LIMIT && !b->ws_paused) {
        b->ws_paused = true;
        lws_rx_flow_control(b->ws, 0);
    }
}

int dap_bridge_stdout_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    dap_bridge *b = bridge_of(wsi);
    switch (reason) {
    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
        write_stdout(b);
        break;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        b->out_wsi = NULL;
        if (!b->stdout_broken)
            stdout_failed(b, "the reader closed it");
        break;
    default:
        break;
    }
    return 0;
}

static struct lws *watch_fd(struct lws_vhost *vhost, int fd, const char *protocol)
{
    lws_sock_file_fd_type desc = { .filefd = fd };
    return lws_adopt_descriptor_vhost(vhost, LWS_ADOPT_RAW_FILE_DESC, desc, protocol, NULL);
}

int dap_bridge_watch_stdio(dap_bridge *b, struct lws_vhost *vhost)
{
    b->stdout_flags = fcntl(STDOUT_FILENO, F_GETFL);
    if (b->stdout_flags < 0 || fcntl(STDOUT_FILENO, F_SETFL, b->stdout_flags | O_NONBLOCK) != 0) {
        dap_bridge_finish(b, 1, "stdout: %s", strerror(errno));
        return -1;
    }
    b->out_wsi = watch_fd(vhost, STDOUT_FILENO, DAP_BRIDGE_STDOUT_PROTOCOL);
    b->in_wsi = watch_fd(vhost, STDIN_FILENO, DAP_BRIDGE_STDIN_PROTOCOL);
    if (!b->out_wsi || !b->in_wsi) {
        dap_bridge_finish(b, 1, "cannot watch %s", b->in_wsi ? "stdout" : "stdin");
        return -1;
    }
    /* stdout is only written; on a terminal it would also look readable. */
    lws_rx_flow_control(b->out_wsi, 0);
    return 0;
}

void dap_bridge_restore_stdout(dap_bridge *b)
{
    if (b->stdout_flags >= 0)
        fcntl(STDOUT_FILENO, F_SETFL, b->stdout_flags);
}
