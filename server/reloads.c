/* The reloads the server remembers (see reloads.h): a list from oldest to newest, at most
 * RELOADS_KEPT long, each with the processes where it is applied. Linear lookups suit its size. */
#include "reloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reload_node {
    reload_record record;
    size_t capacity;
    struct reload_node *newer;
} reload_node;

static reload_node *oldest, *newest;
static size_t node_count;
static int64_t next_reload_id = 1;

reload_process reload_process_of(const probe_peer *p)
{
    reload_process proc;
    fleet_display_name(p, proc.name, sizeof proc.name);
    proc.start_ms = p->hello.start_time_ms;
    return proc;
}

static bool same_process(const reload_process *a, const reload_process *b)
{
    return a->start_ms == b->start_ms && strcmp(a->name, b->name) == 0;
}

bool reload_process_is(const reload_process *proc, const probe_peer *p)
{
    reload_process other = reload_process_of(p);
    return p->registered && same_process(proc, &other);
}

probe_peer *reload_process_probe(const reload_process *proc)
{
    for (probe_peer *p = fleet_first(); p; p = p->next)
        if (reload_process_is(proc, p))
            return p;
    return NULL;
}

static void free_node(reload_node *n)
{
    for (size_t i = 0; i < n->record.n_applied; i++)
        free(n->record.applied[i].module);
    free(n->record.applied);
    free(n->record.name);
    free(n);
}

const reload_record *reloads_begin(const char *name, uint64_t session_id)
{
    reload_node *n = calloc(1, sizeof *n);
    char *copy = strdup(name);
    if (!n || !copy) {
        free(n);
        free(copy);
        return NULL;
    }
    n->record.id = next_reload_id++;
    n->record.name = copy;
    n->record.session_id = session_id;
    if (newest)
        newest->newer = n;
    else
        oldest = n;
    newest = n;
    if (++node_count > RELOADS_KEPT) {
        reload_node *gone = oldest;
        oldest = gone->newer;
        node_count--;
        free_node(gone);
    }
    return &n->record;
}

static reload_node *find_node(int64_t id)
{
    for (reload_node *n = oldest; n; n = n->newer)
        if (n->record.id == id)
            return n;
    return NULL;
}

const reload_record *reloads_find(int64_t id)
{
    reload_node *n = find_node(id);
    return n ? &n->record : NULL;
}

int reloads_applied(int64_t id, const reload_process *proc, const char *module, int generation)
{
    reload_node *n = find_node(id);
    if (!n)
        return -1;
    if (n->record.n_applied == n->capacity) {
        size_t capacity = n->capacity ? n->capacity * 2 : 8;
        reload_applied *grown = realloc(n->record.applied, capacity * sizeof *grown);
        if (!grown)
            return -1;
        n->record.applied = grown;
        n->capacity = capacity;
    }
    char *copy = strdup(module);
    if (!copy)
        return -1;
    n->record.applied[n->record.n_applied++] =
        (reload_applied){ .process = *proc, .module = copy, .generation = generation };
    return 0;
}

void reloads_rolled_back(const reload_process *proc, const char *module, int generation)
{
    for (reload_node *n = oldest; n; n = n->newer) {
        reload_record *r = &n->record;
        for (size_t i = 0; i < r->n_applied;) {
            reload_applied *a = &r->applied[i];
            if (a->generation > generation && same_process(&a->process, proc) && strcmp(a->module, module) == 0) {
                free(a->module);
                r->applied[i] = r->applied[--r->n_applied];
            } else {
                i++;
            }
        }
    }
}

/* The entry of reload id in proc, or NULL. */
static reload_applied *applied_in(int64_t id, const reload_process *proc)
{
    reload_node *n = find_node(id);
    for (size_t i = 0; n && i < n->record.n_applied; i++)
        if (same_process(&n->record.applied[i].process, proc))
            return &n->record.applied[i];
    return NULL;
}

bool reloads_running_in(int64_t id, const reload_process *proc)
{
    const reload_applied *mine = applied_in(id, proc);
    if (!mine || mine->undoing)
        return false;
    for (reload_node *n = oldest; n; n = n->newer)
        for (size_t i = 0; i < n->record.n_applied; i++) {
            const reload_applied *a = &n->record.applied[i];
            if (a->generation > mine->generation && same_process(&a->process, proc) &&
                strcmp(a->module, mine->module) == 0)
                return false;
        }
    return true;
}

void reloads_set_undoing(int64_t id, const reload_process *proc, bool undoing)
{
    reload_applied *a = applied_in(id, proc);
    if (a)
        a->undoing = undoing;
}

void reloads_clear(void)
{
    while (oldest) {
        reload_node *n = oldest;
        oldest = n->newer;
        free_node(n);
    }
    newest = NULL;
    node_count = 0;
}
