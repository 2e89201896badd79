/* One client connection of the server (probe, DAP over WebSocket, DAP over TCP): its outgoing
 * queue, inbound reassembly/framing, and what it belongs to. Owned by the event loop in net.c. */
#ifndef PODBUG_SERVER_CONN_H
#define PODBUG_SERVER_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include "dap_framing.h"
#include "server_limits.h"
#include "msg_assembler.h"
#include "out_queue.h"

struct lws;

typedef enum { CONN_PROBE, CONN_DAP_WS, CONN_DAP_TCP } conn_kind;

typedef struct conn {
    struct lws *wsi;
    conn_kind kind;
    out_queue out;
    msg_assembler in;     /* WebSocket message reassembly */
    dap_framer framer;    /* DAP over TCP: Content-Length framing */
    void *owner;          /* probe_peer * or dap_session *, by kind */
    char peer[64];        /* "ip:port" for log lines */
    char close_reason[120];
    unsigned short close_status;  /* WebSocket close code; 0: policy violation (1008) */
    bool closing;         /* close after the queued messages are written */
    message_rate rate;    /* --max-messages-per-second */
} conn;

/* Sizes come from the limits in force (server_limits_get). */
conn *conn_create(struct lws *wsi, conn_kind kind);
/* At open: true when the connection is one probe or DAP client too many; it is then closed with
 * the reason "podbug-server: probe limit of N reached" (or session), and must not be used further. */
bool conn_refused_over_limit(conn *c);
/* For every message received: counts its bytes and applies the message rate. False when the
 * message must be dropped (counted; a connection over the rate for too long is also closed). */
bool conn_admit_message(conn *c, size_t len);
void conn_destroy(conn *c);
/* Queues one message (DAP over TCP gets its Content-Length header here) and asks for a
 * writeable callback. A client that does not read fills its queue past --max-queued-bytes: it is
 * then sent nothing more and disconnected at once ("podbug-server: client too slow"). */
int conn_send(conn *c, const char *text, size_t len);
/* Closes the connection once what is queued has been written. The reason is logged. */
void conn_close(conn *c, const char *reason);
/* Writes the next queued message. Returns -1 when the connection must close now. */
int conn_on_writeable(conn *c);
const char *conn_kind_name(conn_kind kind);

#endif
