/* Handle tables behind DAP thread and frame ids (see handles.h): a growable array per kind,
 * searched linearly; dead entries are reused so memory stays proportional to what is alive. */
#include "handles.h"

#include <stdlib.h>

typedef struct handle {
    int id;          /* 0 = free slot */
    uint64_t probe_id;
    int tid;
    int index;
} handle;

typedef struct handle_table {
    handle *items;
    size_t n;
    size_t cap;
    int next_id;
} handle_table;

static handle_table threads = { NULL, 0, 0, 1 };
static handle_table frames = { NULL, 0, 0, 1000 };

static handle *table_add(handle_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->items[i].id == 0)
            return &t->items[i];
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        handle *grown = realloc(t->items, cap * sizeof *grown);
        if (!grown)
            return NULL;
        t->items = grown;
        t->cap = cap;
    }
    return &t->items[t->n++];
}

static const handle *table_find(const handle_table *t, int id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->items[i].id == id && id != 0)
            return &t->items[i];
    return NULL;
}

static void table_forget(handle_table *t, uint64_t probe_id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->items[i].probe_id == probe_id)
            t->items[i].id = 0;
}

int handles_thread_id(uint64_t probe_id, int tid)
{
    for (size_t i = 0; i < threads.n; i++)
        if (threads.items[i].id && threads.items[i].probe_id == probe_id && threads.items[i].tid == tid)
            return threads.items[i].id;
    handle *h = table_add(&threads);
    if (!h)
        return 0;
    *h = (handle){ threads.next_id++, probe_id, tid, 0 };
    return h->id;
}

bool handles_thread(int thread_id, uint64_t *probe_id, int *tid)
{
    const handle *h = table_find(&threads, thread_id);
    if (!h)
        return false;
    *probe_id = h->probe_id;
    *tid = h->tid;
    return true;
}

int handles_frame_id(uint64_t probe_id, int tid, int index)
{
    handle *h = table_add(&frames);
    if (!h)
        return 0;
    *h = (handle){ frames.next_id++, probe_id, tid, index };
    return h->id;
}

bool handles_frame(int frame_id, uint64_t *probe_id, int *tid, int *index)
{
    const handle *h = table_find(&frames, frame_id);
    if (!h)
        return false;
    *probe_id = h->probe_id;
    *tid = h->tid;
    *index = h->index;
    return true;
}

void handles_forget_frames(uint64_t probe_id)
{
    table_forget(&frames, probe_id);
}

void handles_forget_probe(uint64_t probe_id)
{
    table_forget(&frames, probe_id);
    table_forget(&threads, probe_id);
}
