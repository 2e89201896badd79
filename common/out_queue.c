/* FIFO of outgoing messages for one libwebsockets connection (see out_queue.h).
 * Each buffer carries LWS_PRE spare bytes before the payload, as lws_write requires. */
#include "out_queue.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

struct out_msg {
    out_msg *next;
    size_t len;
    unsigned char data[]; /* LWS_PRE spare bytes, then the payload */
};

void out_queue_init(out_queue *q, size_t max_bytes)
{
    q->head = q->tail = NULL;
    q->bytes = 0;
    q->max_bytes = max_bytes;
}

void out_queue_clear(out_queue *q)
{
    while (q->head)
        out_queue_pop(q);
}

int out_queue_push(out_queue *q, const void *data, size_t len)
{
    if (q->max_bytes && q->bytes + len > q->max_bytes)
        return -1;
    out_msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m)
        return -1;
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, data, len);
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->bytes += len;
    return 0;
}

bool out_queue_empty(const out_queue *q)
{
    return q->head == NULL;
}

bool out_queue_peek(out_queue *q, unsigned char **payload, size_t *len)
{
    if (!q->head)
        return false;
    *payload = q->head->data + LWS_PRE;
    *len = q->head->len;
    return true;
}

void out_queue_pop(out_queue *q)
{
    out_msg *m = q->head;
    if (!m)
        return;
    q->head = m->next;
    if (!q->head)
        q->tail = NULL;
    q->bytes -= m->len;
    free(m);
}

int out_queue_write_next(out_queue *q, struct lws *wsi, int mode)
{
    unsigned char *payload;
    size_t len;
    if (!out_queue_peek(q, &payload, &len))
        return 0;
    if (lws_write(wsi, payload, len, (enum lws_write_protocol)mode) < (int)len)
        return -1;
    out_queue_pop(q);
    if (!out_queue_empty(q))
        lws_callback_on_writable(wsi);
    return 0;
}
