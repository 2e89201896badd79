/* `podbug dap`'s state, shared by its two halves: dap_bridge.c (the command, the WebSocket to the
 * server, how it ends) and dap_bridge_stdio.c (stdin and stdout on the same libwebsockets loop). */
#ifndef PODBUG_CLI_DAP_BRIDGE_H
#define PODBUG_CLI_DAP_BRIDGE_H

#include <libwebsockets.h>
#include <stdbool.h>
#include "dap_framing.h"
#include "msg_assembler.h"
#include "out_queue.h"

/* Above this many bytes waiting to be written, the side that feeds them is not read. */
#define DAP_BRIDGE_BACKLOG_LIMIT (1u << 20)

typedef struct dap_bridge {
    char url[600];               /* ws://host:port/path (or wss://), for messages */
    bool tls;                    /* wss:// */
    const char *ca_file;         /* PODBUG_CA, NULL when unset (wss:// then trusts the system's CAs) */
    char tls_refusal[200];       /* why the server's certificate was refused, "" when it was not */
    const char *token;           /* PODBUG_TOKEN, NULL when unset */
    struct lws_context *context;
    struct lws *ws;              /* the server connection while it is open */
    struct lws *in_wsi;          /* stdin while it is read */
    struct lws *out_wsi;         /* stdout while it can be written */
    dap_framer from_ide;         /* stdin's Content-Length framing */
    out_queue to_server;         /* message bodies, one text frame each */
    msg_assembler from_server;
    out_queue to_ide;            /* framed messages for stdout */
    size_t to_ide_written;       /* bytes of to_ide's oldest message already on stdout */
    int stdout_flags;            /* stdout's file status flags before O_NONBLOCK, -1 until set */
    bool connected;              /* the WebSocket handshake completed */
    bool stdin_paused, ws_paused;
    bool stdin_ended;            /* EOF seen: close the WebSocket once to_server is written */
    bool closing_ws;             /* we sent the close */
    bool stdout_broken;
    char close_reason[128];      /* what the server said when it closed, "" when nothing */
    int status;                  /* the exit status once decided, -1 before */
    bool done;                   /* leave the loop */
    lws_sorted_usec_list_t give_up_timer;
    lws_sorted_usec_list_t stdout_timer; /* asks for stdout's next writeable callback */
} dap_bridge;

/* Decides the exit status (the first call wins) with a reason line on stderr (fmt NULL: none),
 * stops reading stdin, and ends the loop once stdout is written (or after a few seconds). */
void dap_bridge_finish(dap_bridge *b, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Puts stdin and stdout on the loop (at connection). Returns 0, or -1 after dap_bridge_finish. */
int dap_bridge_watch_stdio(dap_bridge *b, struct lws_vhost *vhost);
/* Puts stdout back in blocking mode, as it was. */
void dap_bridge_restore_stdout(dap_bridge *b);
/* Queues one message of the server for stdout, framed. */
void dap_bridge_to_ide(dap_bridge *b, const char *msg, size_t len);
/* Called when to_server has shrunk: reads stdin again when it was paused. */
void dap_bridge_resume_stdin(dap_bridge *b);

/* The libwebsockets protocols of stdin and stdout (raw file descriptors): names and callbacks. */
#define DAP_BRIDGE_STDIN_PROTOCOL "podbug-dap-stdin"
#define DAP_BRIDGE_STDOUT_PROTOCOL "podbug-dap-stdout"
int dap_bridge_stdin_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
int dap_bridge_stdout_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

#endif
