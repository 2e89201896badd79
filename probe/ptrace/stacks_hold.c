/* Holding every thread of a process (see stacks_hold.h): the thread list is read again after each
 * round of stops until no new thread appears (bounded), as a thread may start one meanwhile. */
#include "stacks_hold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 8192
#define FIRST_CAPACITY 64
#define MAX_ROUNDS 8

static bool is_known(const held_process *h, pid_t tid)
{
    for (size_t i = 0; i < h->count; i++)
        if (h->threads[i].ptrace.tid == tid)
            return true;
    return false;
}

/* Room for one more thread; false when out of memory. */
static bool make_room(held_process *h, size_t *capacity)
{
    if (h->count < *capacity)
        return true;
    size_t grown = *capacity ? *capacity * 2 : FIRST_CAPACITY;
    held_thread *threads = realloc(h->threads, grown * sizeof *threads);
    if (!threads)
        return false;
    h->threads = threads;
    *capacity = grown;
    return true;
}

static bool thread_exists(pid_t pid, pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d", (int)pid, (int)tid);
    return access(path, F_OK) == 0;
}

/* Appends the threads of tids not known yet, with what /proc says of them now, before any of
 * them is stopped. Returns how many, or -1 when out of memory. */
static int add_new_threads(held_process *h, size_t *capacity, const pid_t *tids, int n)
{
    int added = 0;
    for (int i = 0; i < n; i++) {
        if (is_known(h, tids[i]))
            continue;
        if (!make_room(h, capacity))
            return -1;
        held_thread *t = &h->threads[h->count++];
        *t = (held_thread){ .ptrace.tid = tids[i] };
        stacks_thread_info_read(h->pid, tids[i], &t->info);
        added++;
    }
    return added;
}

static bool any_held(const held_process *h)
{
    for (size_t i = 0; i < h->count; i++)
        if (h->threads[i].ptrace.stopped)
            return true;
    return false;
}

/* Stops thread t, or records why it is not stopped (nothing when it has exited: no problem).
 * Returns -1 with err when nothing is held yet: the reason (such as no permission) then holds
 * for every thread. */
static int stop_thread(held_process *h, held_thread *t, int timeout_ms, char *err, size_t err_len)
{
    pid_t tid = t->ptrace.tid;
    if (t->info.state == 'Z' || t->info.state == 'X')
        return 0; /* exiting: nothing to show */
    if (h->first_stop_us == 0)
        h->first_stop_us = ptrace_now_us();
    if (ptrace_thread_stop(&t->ptrace, tid, timeout_ms, t->problem, sizeof t->problem) == 0)
        return 0;
    if (!thread_exists(h->pid, tid)) {
        t->problem[0] = '\0';
        return 0;
    }
    if (!any_held(h)) {
        snprintf(err, err_len, "%s", t->problem);
        return -1;
    }
    return 0;
}

static int by_tid(const void *a, const void *b)
{
    pid_t x = ((const held_thread *)a)->ptrace.tid, y = ((const held_thread *)b)->ptrace.tid;
    return (x > y) - (x < y);
}

/* Keeps the threads held or with a problem (those that exited go), by tid. */
static void keep_known_threads(held_process *h)
{
    size_t kept = 0;
    for (size_t i = 0; i < h->count; i++)
        if (h->threads[i].ptrace.stopped || h->threads[i].problem[0])
            h->threads[kept++] = h->threads[i];
    h->count = kept;
    qsort(h->threads, h->count, sizeof *h->threads, by_tid);
}

int stacks_hold(pid_t pid, int timeout_ms, held_process *out, char *err, size_t err_len)
{
    *out = (held_process){ .pid = pid };
    pid_t *tids = malloc(MAX_THREADS * sizeof *tids);
    if (!tids) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    size_t capacity = 0;
    int failed = 0, added = 1;
    for (int round = 0; round < MAX_ROUNDS && added > 0 && !failed; round++) {
        int n = ptrace_process_threads(pid, tids, MAX_THREADS, err, err_len);
        size_t first_new = out->count;
        added = n < 0 ? 0 : add_new_threads(out, &capacity, tids, n);
        if (added < 0) {
            snprintf(err, err_len, "out of memory");
            failed = -1;
        }
        for (size_t i = first_new; i < out->count && !failed; i++)
            failed = stop_thread(out, &out->threads[i], timeout_ms, err, err_len);
    }
    free(tids);
    if (!failed && !any_held(out)) {
        snprintf(err, err_len, "process %d does not exist", (int)pid);
        failed = -1;
    }
    if (failed) {
        stacks_release(out);
        return -1;
    }
    keep_known_threads(out);
    return 0;
}

int64_t stacks_release(held_process *h)
{
    for (size_t i = 0; i < h->count; i++)
        ptrace_thread_release(&h->threads[i].ptrace);
    int64_t held_us = h->first_stop_us ? ptrace_now_us() - h->first_stop_us : 0;
    free(h->threads);
    *h = (held_process){ .pid = h->pid };
    return held_us;
}
