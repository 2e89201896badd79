/* Handle tables behind DAP thread ids, frame ids and variables references (see handles.h): one
 * growable array per kind, searched linearly; dead slots are reused so memory follows what lives. */
#include "handles.h"

#include <stdlib.h>

typedef struct handle {
    int id;          /* 0 = free slot */
    uint64_t probe_id; /* 0 for the handles of a stored snapshot */
    int tid;
    int index;
    int64_t probe_ref; /* variables references: the probe's own reference */
    uint64_t snapshot_id; /* the handles of a stored snapshot: which one (probe_id 0) */
    const void *node;  /* snapshot variables references: the stored scope or variable */
} handle;

typedef struct handle_table {
    handle *items;
    size_t n;
    size_t cap;
    int next_id;
} handle_table;

static handle_table threads = { NULL, 0, 0, 1 };
static handle_table frames = { NULL, 0, 0, 1000 };
static handle_table vars = { NULL, 0, 0, 1 };

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

static void table_forget(handle_table *t, uint64_t probe_id, uint64_t snapshot_id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->items[i].probe_id == probe_id && t->items[i].snapshot_id == snapshot_id)
            t->items[i].id = 0;
}

/* The id of the live handle equal to key (all but its id), or of a new one; 0 when out of memory. */
static int table_intern(handle_table *t, handle key)
{
    for (size_t i = 0; i < t->n; i++) {
        const handle *h = &t->items[i];
        if (h->id && h->probe_id == key.probe_id && h->tid == key.tid && h->index == key.index &&
            h->probe_ref == key.probe_ref && h->snapshot_id == key.snapshot_id && h->node == key.node)
            return h->id;
    }
    handle *h = table_add(t);
    if (!h)
        return 0;
    *h = key;
    h->id = t->next_id++;
    return h->id;
}

/* A live handle of a process (not of a snapshot), or NULL. */
static const handle *find_live(const handle_table *t, int id)
{
    const handle *h = table_find(t, id);
    return h && h->probe_id ? h : NULL;
}

/* A handle of a stored snapshot, or NULL. */
static const handle *find_snapshot(const handle_table *t, int id)
{
    const handle *h = table_find(t, id);
    return h && !h->probe_id ? h : NULL;
}

int handles_thread_id(uint64_t probe_id, int tid)
{
    return table_intern(&threads, (handle){ .probe_id = probe_id, .tid = tid });
}

bool handles_thread(int thread_id, uint64_t *probe_id, int *tid)
{
    const handle *h = find_live(&threads, thread_id);
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
    *h = (handle){ .id = frames.next_id++, .probe_id = probe_id, .tid = tid, .index = index };
    return h->id;
}

bool handles_frame(int frame_id, uint64_t *probe_id, int *tid, int *index)
{
    const handle *h = find_live(&frames, frame_id);
    if (!h)
        return false;
    *probe_id = h->probe_id;
    *tid = h->tid;
    *index = h->index;
    return true;
}

int handles_var_id(uint64_t probe_id, int64_t probe_ref)
{
    return probe_ref > 0 ? table_intern(&vars, (handle){ .probe_id = probe_id, .probe_ref = probe_ref }) : 0;
}

bool handles_var(int var_id, uint64_t *probe_id, int64_t *probe_ref)
{
    const handle *h = find_live(&vars, var_id);
    if (!h)
        return false;
    *probe_id = h->probe_id;
    *probe_ref = h->probe_ref;
    return true;
}

void handles_forget_frames(uint64_t probe_id)
{
    table_forget(&frames, probe_id, 0);
    table_forget(&vars, probe_id, 0);
}

void handles_forget_probe(uint64_t probe_id)
{
    handles_forget_frames(probe_id);
    table_forget(&threads, probe_id, 0);
}

int handles_snapshot_thread_id(uint64_t snapshot_id)
{
    return table_intern(&threads, (handle){ .snapshot_id = snapshot_id });
}

bool handles_snapshot_thread(int thread_id, uint64_t *snapshot_id)
{
    const handle *h = find_snapshot(&threads, thread_id);
    if (!h)
        return false;
    *snapshot_id = h->snapshot_id;
    return true;
}

int handles_snapshot_frame_id(uint64_t snapshot_id, int index)
{
    return table_intern(&frames, (handle){ .snapshot_id = snapshot_id, .index = index });
}

bool handles_snapshot_frame(int frame_id, uint64_t *snapshot_id, int *index)
{
    const handle *h = find_snapshot(&frames, frame_id);
    if (!h)
        return false;
    *snapshot_id = h->snapshot_id;
    *index = h->index;
    return true;
}

int handles_snapshot_var_id(uint64_t snapshot_id, const void *node)
{
    return table_intern(&vars, (handle){ .snapshot_id = snapshot_id, .node = node });
}

bool handles_snapshot_var(int var_id, uint64_t *snapshot_id, const void **node)
{
    const handle *h = find_snapshot(&vars, var_id);
    if (!h)
        return false;
    *snapshot_id = h->snapshot_id;
    *node = h->node;
    return true;
}

void handles_forget_snapshot(uint64_t snapshot_id)
{
    table_forget(&threads, 0, snapshot_id);
    table_forget(&frames, 0, snapshot_id);
    table_forget(&vars, 0, snapshot_id);
}
