/* The server's memory of hot reloads: reload id -> the library's name, the session that asked, and
 * the processes whose running generation it made (for all-or-nothing and crash rollback). Bounded. */
#ifndef PODBUG_RELOADS_H
#define PODBUG_RELOADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fleet.h"

/* Reloads remembered at most; the oldest is forgotten first. */
#define RELOADS_KEPT 64

/* A process across probe reconnections: "<pod>/<pid>" and its start time. */
typedef struct reload_process {
    char name[96];
    int64_t start_ms;
} reload_process;

reload_process reload_process_of(const probe_peer *p);
bool reload_process_is(const reload_process *proc, const probe_peer *p);
/* The connected probe of proc, or NULL. */
probe_peer *reload_process_probe(const reload_process *proc);

/* One process where a reload was applied: the module (path) it replaced and the generation it made. */
typedef struct reload_applied {
    reload_process process;
    char *module;
    int generation;
    bool undoing;          /* a reload.rollback of this generation is in flight */
} reload_applied;

typedef struct reload_record {
    int64_t id;            /* the reload_id sent to the probes: 1, 2, 3 ... never reused */
    char *name;            /* the library's file name */
    uint64_t session_id;   /* the session that asked for it */
    reload_applied *applied;
    size_t n_applied;
} reload_record;

/* Remembers a new reload (forgetting the oldest beyond RELOADS_KEPT). NULL when out of memory. */
const reload_record *reloads_begin(const char *name, uint64_t session_id);
const reload_record *reloads_find(int64_t id);

/* Reload id made `generation` of module run in proc. Returns 0, or -1 when out of memory or the
 * reload is forgotten. */
int reloads_applied(int64_t id, const reload_process *proc, const char *module, int generation);
/* A rollback in proc left `generation` of module running: the reloads that made a later generation
 * there are no longer applied. */
void reloads_rolled_back(const reload_process *proc, const char *module, int generation);
/* Whether reload id made the generation running in proc now (none made a later one there since)
 * and no rollback of it is in flight. */
bool reloads_running_in(int64_t id, const reload_process *proc);
/* A rollback of reload id in proc was sent (undoing true) or failed (undoing false). */
void reloads_set_undoing(int64_t id, const reload_process *proc, bool undoing);

/* Forgets every reload (ids keep growing). */
void reloads_clear(void);

#endif
