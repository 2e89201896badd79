/* A connection's outgoing message queue for libwebsockets: FIFO of buffers that reserve LWS_PRE
 * bytes in front, bounded in bytes; one message is written per writeable callback. */
#ifndef PODBUG_OUT_QUEUE_H
#define PODBUG_OUT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct lws;
typedef struct out_msg out_msg;

typedef struct out_queue {
    out_msg *head;
    out_msg *tail;
    size_t bytes;      /* payload bytes queued */
    size_t max_bytes;  /* 0 = unbounded */
} out_queue;

void out_queue_init(out_queue *q, size_t max_bytes);
void out_queue_clear(out_queue *q);
/* Copies len bytes in. Returns 0, or -1 when out of memory or the queue would exceed max_bytes. */
int out_queue_push(out_queue *q, const void *data, size_t len);
bool out_queue_empty(const out_queue *q);
/* The oldest message: *payload points at its bytes, with LWS_PRE writable bytes before it
 * (what lws_write needs). Returns false when empty. */
bool out_queue_peek(out_queue *q, unsigned char **payload, size_t *len);
void out_queue_pop(out_queue *q);
/* For a writeable callback: writes the oldest message with lws_write(mode, an enum
 * lws_write_protocol), drops it, and asks for the next writeable callback while messages remain.
 * Returns 0 (also when empty), or -1 when the write failed (the connection must close). */
int out_queue_write_next(out_queue *q, struct lws *wsi, int mode);

#endif
