/* The fleet registry: every connected probe (one per target process) with its registration,
 * its stop state and its threads. Lookup by id; iteration for fan-out; JSON for /api/pods. */
#ifndef PODBUG_FLEET_H
#define PODBUG_FLEET_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "probe_msg.h"

struct conn;

typedef struct probe_peer {
    uint64_t id;             /* server-unique, never reused */
    struct conn *conn;
    bool registered;         /* hello received */
    probe_hello hello;
    int64_t connected_ms;
    int64_t last_seen_ms;
    int64_t next_request_id;
    bool stopped;            /* the process is stopped for a debugger */
    probe_stopped stop;      /* valid while stopped: who stopped, which threads */
    struct probe_peer *next;
} probe_peer;

probe_peer *fleet_add(struct conn *c);
void fleet_remove(probe_peer *p);
probe_peer *fleet_find(uint64_t id);
probe_peer *fleet_first(void);
size_t fleet_count(void);
/* "<pod>/<pid>", the prefix of every thread name of this process. */
const char *fleet_display_name(const probe_peer *p, char *buf, size_t len);
/* Value of a label for selectors: "pod" and "namespace" are labels too. NULL when absent. */
const char *fleet_label(const probe_peer *p, const char *key);
/* Takes a stopped event (its memory too): a stop of the whole process replaces the stop state;
 * a thread stopped alone joins the threads stopped alone before it (the event names the newest). */
void fleet_record_stop(probe_peer *p, probe_stopped *stop);
/* Thread tid runs again: stopped alone, it leaves the stop (which ends with its last thread);
 * otherwise the whole process runs. Returns true when the whole process runs now. */
bool fleet_release_thread(probe_peer *p, int tid);
/* Forgets the stop state (after continue, or when the probe goes away). */
void fleet_clear_stop(probe_peer *p);
/* [{"pod":..,"namespace":..,"labels":{..},"pid":..,"exe":..,"build_id":..,"state":..}, ...] */
cJSON *fleet_to_json(void);

#endif
