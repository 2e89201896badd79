/* Registry of connected probes (see fleet.h). A list is enough at this scale; ids are never
 * reused so that asynchronous replies can find out that their probe has gone. */
#include "fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net.h"

static probe_peer *peers;
static size_t peer_count;
static uint64_t next_peer_id = 1;

probe_peer *fleet_add(struct conn *c)
{
    probe_peer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->id = next_peer_id++;
    p->conn = c;
    p->connected_ms = p->last_seen_ms = net_now_ms();
    p->next_request_id = 1;
    p->next = peers;
    peers = p;
    peer_count++;
    return p;
}

void fleet_remove(probe_peer *p)
{
    for (probe_peer **pp = &peers; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            peer_count--;
            break;
        }
    }
    probe_hello_free(&p->hello);
    probe_stopped_free(&p->stop);
    free(p);
}

probe_peer *fleet_find(uint64_t id)
{
    for (probe_peer *p = peers; p; p = p->next)
        if (p->id == id)
            return p;
    return NULL;
}

probe_peer *fleet_first(void)
{
    return peers;
}

size_t fleet_count(void)
{
    return peer_count;
}

const char *fleet_display_name(const probe_peer *p, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%d", p->hello.pod ? p->hello.pod : "?", p->hello.pid);
    return buf;
}

const char *fleet_label(const probe_peer *p, const char *key)
{
    if (strcmp(key, "pod") == 0)
        return p->hello.pod;
    if (strcmp(key, "namespace") == 0)
        return p->hello.namespace_;
    for (size_t i = 0; i < p->hello.n_labels; i++)
        if (strcmp(p->hello.labels[i].key, key) == 0)
            return p->hello.labels[i].value;
    return NULL;
}

void fleet_clear_stop(probe_peer *p)
{
    probe_stopped_free(&p->stop);
    memset(&p->stop, 0, sizeof p->stop);
    p->stopped = false;
}

void fleet_record_stop(probe_peer *p, probe_stopped *stop)
{
    bool joins = p->stopped && !p->stop.all_threads_stopped && !stop->all_threads_stopped;
    probe_thread *threads = joins ? realloc(stop->threads, (stop->n_threads + p->stop.n_threads + 1) *
                                                               sizeof *threads)
                                  : NULL;
    if (threads) {
        stop->threads = threads;
        for (size_t i = 0; i < p->stop.n_threads; i++) {
            probe_thread *old = &p->stop.threads[i];
            bool listed = false;
            for (size_t k = 0; k < stop->n_threads; k++)
                listed |= stop->threads[k].tid == old->tid;
            if (!listed) {
                stop->threads[stop->n_threads++] = *old;
                old->name = NULL; /* moved */
            }
        }
    }
    fleet_clear_stop(p);
    p->stop = *stop;
    p->stopped = true;
}

bool fleet_release_thread(probe_peer *p, int tid)
{
    if (!p->stopped || p->stop.all_threads_stopped) {
        fleet_clear_stop(p);
        return true;
    }
    probe_stopped *stop = &p->stop;
    for (size_t i = 0; i < stop->n_threads; i++) {
        if (stop->threads[i].tid != tid)
            continue;
        free(stop->threads[i].name);
        memmove(&stop->threads[i], &stop->threads[i + 1], (stop->n_threads - i - 1) * sizeof *stop->threads);
        stop->n_threads--;
        break;
    }
    if (stop->n_threads == 0) {
        fleet_clear_stop(p);
        return true;
    }
    if (stop->tid == tid)
        stop->tid = stop->threads[0].tid;
    return false;
}

cJSON *fleet_to_json(void)
{
    cJSON *list = cJSON_CreateArray();
    if (!list)
        return NULL;
    for (probe_peer *p = peers; p; p = p->next) {
        if (!p->registered)
            continue;
        cJSON *item = probe_hello_to_json(&p->hello);
        if (!item)
            continue;
        cJSON_AddStringToObject(item, "state", p->stopped ? "stopped" : "running");
        cJSON_AddNumberToObject(item, "connected_for_ms", (double)(net_now_ms() - p->connected_ms));
        cJSON_AddItemToArray(list, item);
    }
    return list;
}
