/* Which breakpoints at an address want a hit (see bp_conditions.h): the address table the signal
 * handler reads, per-breakpoint hit and error counts, hit condition parsing, error hand-over.
 *
 * Publication. Each address has an entry in an open-addressing table; its breakpoints form an
 * immutable `address_set` that the agent builds anew on every change and publishes with one
 * sequentially consistent store (copy on write: release, and ordered against the reader counts
 * below); the handler loads it likewise and never sees a half-built set. Entries keep their key
 * when their set goes away, so that probing chains stay intact; an entry without a set is reused
 * for another address, and the handler checks that the set it loaded names its own address.
 *
 * Reclamation. A replaced set, a removed breakpoint's program and a freed count record may still
 * be in use by a handler that loaded the old set. Handlers announce themselves in one of two
 * in-flight counters chosen by the current epoch; before freeing, the agent flips the epoch and
 * waits (sched_yield) until the old counter drains, twice, so that a handler which read a stale
 * epoch is waited for too (the scheme of SRCU). New handlers enter the other counter, so a busy
 * breakpoint cannot starve the wait; a handler in the filter never blocks (conditions are bounded
 * by COND_MAX_STEPS and read memory with system calls), so the wait ends. Everything is freed at
 * once after the wait: no retire list.
 *
 * Counts. Hit and error counts belong to the breakpoint, not the address (a line at -O2 has
 * several addresses): each slot points to its breakpoint's `bp_stats` record. */
#include "bp_conditions.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "frame_capture.h"
#include "signal_interpose.h"
#include "trap.h"

#define ADDRESS_TABLE_BITS 13
#define ADDRESS_TABLE_SIZE ((size_t)1 << ADDRESS_TABLE_BITS)
#define MAX_BREAKPOINTS TRAP_MAX_SITES

_Static_assert(ADDRESS_TABLE_SIZE >= 2 * TRAP_MAX_SITES, "address table must stay half empty");

/* One breakpoint's counts, shared by all its addresses. Agent-only fields are touched by the
 * agent alone; the handler writes the error fields once, then raises error_recorded. */
typedef struct bp_stats {
    int64_t bp_id;                  /* agent only: 0 = free */
    unsigned refs;                  /* agent only: addresses registered */
    bool reported;                  /* agent only: its error was taken */
    atomic_uint_fast64_t hits;      /* hits whose condition was true */
    atomic_uint_fast64_t errors;    /* evaluations that failed */
    const char *first_message;      /* written by the handler that saw errors go 0 -> 1 */
    uint64_t first_address;
    atomic_bool error_recorded;     /* release: first_message and first_address are set */
    logpoint_rate rate;             /* a logpoint's records per second */
    atomic_uint_fast64_t dropped;   /* a logpoint's records lost (rate limit, full ring) */
} bp_stats;

typedef struct bp_slot {
    int64_t bp_id;
    cond_program *program;          /* NULL: no condition */
    hit_condition hit;
    logpoint_site *log;             /* NULL: the breakpoint stops; else it logs and runs on */
    bp_stats *stats;
} bp_slot;

/* The breakpoints at one address. Immutable once published. */
typedef struct address_set {
    uintptr_t address;
    bool needs_registers;           /* some slot has a program */
    bool needs_cfa;                 /* some program reads the CFA */
    size_t n;
    bp_slot slots[BP_CONDITIONS_MAX_PER_ADDRESS];
} address_set;

typedef struct address_entry {
    _Atomic uintptr_t address;      /* 0: never used */
    _Atomic(const address_set *) set;
} address_entry;

static address_entry addresses[ADDRESS_TABLE_SIZE];
static bp_stats stats_table[MAX_BREAKPOINTS];
static atomic_uint reader_epoch;
static atomic_uint_fast64_t readers[2];
static atomic_uint_fast64_t first_errors;

/* ---- handler side: no allocation, no locks, no I/O -------------------------------------- */

PODBUG_HANDLER_TEXT static size_t address_hash(uintptr_t addr)
{
    return (size_t)(((uint64_t)addr * 0x9E3779B97F4A7C15ull) >> (64 - ADDRESS_TABLE_BITS));
}

PODBUG_HANDLER_TEXT static const address_set *published_set(uintptr_t addr)
{
    size_t h = address_hash(addr);
    for (size_t i = 0; i < ADDRESS_TABLE_SIZE; i++) {
        address_entry *e = &addresses[(h + i) & (ADDRESS_TABLE_SIZE - 1)];
        uintptr_t key = atomic_load_explicit(&e->address, memory_order_acquire);
        if (key == 0)
            return NULL;
        if (key == addr) {
            const address_set *set = atomic_load(&e->set); /* ordered after the reader count */
            return set && set->address == addr ? set : NULL;
        }
    }
    return NULL;
}

PODBUG_HANDLER_TEXT static bool hit_condition_holds(hit_condition hit, uint64_t count)
{
    switch (hit.op) {
    case HIT_EVERY: return true;
    case HIT_EQUAL: return count == hit.n;
    case HIT_AT_LEAST: return count >= hit.n;
    case HIT_MULTIPLE: return hit.n != 0 && count % hit.n == 0;
    }
    return false;
}

PODBUG_HANDLER_TEXT static void record_error(bp_stats *stats, const cond_error *err)
{
    if (atomic_fetch_add(&stats->errors, 1) != 0)
        return;
    stats->first_message = err->message ? err->message : "the condition failed";
    stats->first_address = err->address;
    atomic_store_explicit(&stats->error_recorded, true, memory_order_release);
    atomic_fetch_add(&first_errors, 1);
}

/* True when the slot's condition holds (no condition: always); an error counts as false. */
PODBUG_HANDLER_TEXT static bool condition_holds(const bp_slot *slot, const frame_regs *regs)
{
    if (!slot->program)
        return true;
    cond_error err = { NULL, 0 };
    cond_result r = cond_eval(slot->program, regs, &err);
    if (r == COND_ERROR)
        record_error(slot->stats, &err);
    return r == COND_TRUE;
}

/* Captures a logpoint's values unless its rate limit or the full ring drops the record. */
PODBUG_HANDLER_TEXT static void log_hit(const bp_slot *slot, const frame_regs *regs)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
    if (!logpoint_rate_admit(&slot->stats->rate, now_ns) ||
        !logpoint_capture(slot->log, slot->bp_id, regs))
        atomic_fetch_add(&slot->stats->dropped, 1);
}

PODBUG_HANDLER_TEXT size_t bp_conditions_filter(uintptr_t addr, ucontext_t *uc, int64_t *ids, size_t max)
{
    unsigned epoch = atomic_load(&reader_epoch) & 1u;
    atomic_fetch_add(&readers[epoch], 1);
    size_t n = 0;
    const address_set *set = published_set(addr);
    if (set) {
        frame_regs regs;
        if (set->needs_registers)
            frame_capture_top(uc, &regs, set->needs_cfa);
        for (size_t i = 0; i < set->n; i++) {
            const bp_slot *slot = &set->slots[i];
            if (!condition_holds(slot, &regs))
                continue;
            uint64_t count = atomic_fetch_add(&slot->stats->hits, 1) + 1;
            if (!hit_condition_holds(slot->hit, count))
                continue;
            if (slot->log)
                log_hit(slot, &regs);
            else if (n < max)
                ids[n++] = slot->bp_id;
        }
    }
    atomic_fetch_sub(&readers[epoch], 1);
    return n;
}

PODBUG_HANDLER_TEXT uint64_t bp_conditions_first_errors(void)
{
    return atomic_load_explicit(&first_errors, memory_order_acquire);
}

/* ---- hit conditions --------------------------------------------------------------------- */

static int hit_condition_error(const char *text, char *err, size_t err_len)
{
    snprintf(err, err_len, "hit condition '%s' is not a count: use N, == N, >= N, > N or %% N", text);
    return -1;
}

int hit_condition_parse(const char *text, hit_condition *out, char *err, size_t err_len)
{
    const char *p = text ? text : "";
    while (isspace((unsigned char)*p))
        p++;
    if (!*p) {
        *out = (hit_condition){ HIT_EVERY, 0 };
        return 0;
    }
    hit_condition parsed = { HIT_EQUAL, 0 };
    bool greater = false;
    if (strncmp(p, "==", 2) == 0) {
        p += 2;
    } else if (strncmp(p, ">=", 2) == 0) {
        parsed.op = HIT_AT_LEAST;
        p += 2;
    } else if (*p == '>') {
        parsed.op = HIT_AT_LEAST;
        greater = true;
        p++;
    } else if (*p == '%') {
        parsed.op = HIT_MULTIPLE;
        p++;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p))
        return hit_condition_error(text, err, err_len);
    char *end;
    errno = 0;
    unsigned long long n = strtoull(p, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (*end || errno == ERANGE || (greater && n == UINT64_MAX))
        return hit_condition_error(text, err, err_len);
    if (n == 0 && (parsed.op == HIT_EQUAL || parsed.op == HIT_MULTIPLE)) {
        snprintf(err, err_len, "hit condition '%s' needs a count of at least 1", text);
        return -1;
    }
    parsed.n = (uint64_t)n + (greater ? 1 : 0);
    *out = parsed;
    return 0;
}

/* ---- agent side ------------------------------------------------------------------------- */

/* Returns once no handler can still hold anything published before the call. */
static void wait_for_readers(void)
{
    for (int phase = 0; phase < 2; phase++) {
        unsigned old = atomic_fetch_add(&reader_epoch, 1) & 1u;
        while (atomic_load(&readers[old]) != 0)
            sched_yield();
    }
}

/* The entry holding addr, or (when create) a free one keyed to addr; NULL when none. */
static address_entry *entry_for(uintptr_t addr, bool create)
{
    size_t h = address_hash(addr);
    address_entry *reusable = NULL;
    for (size_t i = 0; i < ADDRESS_TABLE_SIZE; i++) {
        address_entry *e = &addresses[(h + i) & (ADDRESS_TABLE_SIZE - 1)];
        uintptr_t key = atomic_load_explicit(&e->address, memory_order_relaxed);
        if (key == addr)
            return e;
        if (key != 0 && !reusable && !atomic_load_explicit(&e->set, memory_order_relaxed))
            reusable = e;
        if (key == 0) {
            if (!reusable)
                reusable = e;
            break;
        }
    }
    if (!create || !reusable)
        return NULL;
    atomic_store_explicit(&reusable->address, addr, memory_order_release);
    return reusable;
}

static bp_stats *find_stats(int64_t bp_id)
{
    for (size_t i = 0; i < MAX_BREAKPOINTS; i++)
        if (stats_table[i].bp_id == bp_id)
            return &stats_table[i];
    return NULL;
}

/* The record of bp_id, claimed and zeroed when it has none yet. */
static bp_stats *claim_stats(int64_t bp_id)
{
    bp_stats *s = find_stats(bp_id);
    if (s)
        return s;
    s = find_stats(0);
    if (!s)
        return NULL;
    s->bp_id = bp_id;
    s->refs = 0;
    s->reported = false;
    atomic_store(&s->hits, 0);
    atomic_store(&s->errors, 0);
    s->first_message = NULL;
    s->first_address = 0;
    atomic_store(&s->error_recorded, false);
    atomic_store(&s->rate.due_ns, 0);
    atomic_store(&s->dropped, 0);
    return s;
}

static void release_stats(bp_stats *s)
{
    if (--s->refs == 0)
        s->bp_id = 0;
}

static void derive_needs(address_set *set)
{
    set->needs_registers = set->needs_cfa = false;
    for (size_t i = 0; i < set->n; i++) {
        const bp_slot *slot = &set->slots[i];
        if (slot->program) {
            set->needs_registers = true;
            set->needs_cfa |= cond_needs_cfa(slot->program);
        }
        if (slot->log) {
            set->needs_registers = true;
            set->needs_cfa |= slot->log->needs_cfa;
        }
    }
}

/* Publishes next (NULL: no breakpoints left) in place of the entry's set, waits until no handler
 * can hold the old one, and frees it. */
static void publish(address_entry *e, address_set *next)
{
    const address_set *old = atomic_load_explicit(&e->set, memory_order_relaxed);
    atomic_store(&e->set, next); /* ordered before the epoch flips */
    wait_for_readers();
    free((void *)old);
}

int bp_conditions_add(uintptr_t addr, int64_t bp_id, cond_program *program, hit_condition hit)
{
    return bp_conditions_add_logpoint(addr, bp_id, program, hit, NULL);
}

int bp_conditions_add_logpoint(uintptr_t addr, int64_t bp_id, cond_program *program,
                               hit_condition hit, logpoint_site *log)
{
    address_entry *e = entry_for(addr, true);
    const address_set *old = e ? atomic_load_explicit(&e->set, memory_order_relaxed) : NULL;
    address_set *next = NULL;
    bp_stats *stats = NULL;
    if (!e || (old && old->n == BP_CONDITIONS_MAX_PER_ADDRESS) ||
        !(next = calloc(1, sizeof *next)) || !(stats = claim_stats(bp_id))) {
        free(next);
        cond_free(program);
        logpoint_site_free(log);
        return -1;
    }
    if (old)
        *next = *old;
    next->address = addr;
    stats->refs++;
    next->slots[next->n++] = (bp_slot){ bp_id, program, hit, log, stats };
    derive_needs(next);
    publish(e, next);
    return 0;
}

void bp_conditions_remove(uintptr_t addr, int64_t bp_id)
{
    address_entry *e = entry_for(addr, false);
    const address_set *old = e ? atomic_load_explicit(&e->set, memory_order_relaxed) : NULL;
    if (!old)
        return;
    address_set *next = calloc(1, sizeof *next);
    if (!next)
        return; /* keeps it armed rather than freeing what a handler may run */
    next->address = addr;
    bp_slot removed[BP_CONDITIONS_MAX_PER_ADDRESS];
    size_t n_removed = 0;
    for (size_t i = 0; i < old->n; i++) {
        if (old->slots[i].bp_id == bp_id)
            removed[n_removed++] = old->slots[i];
        else
            next->slots[next->n++] = old->slots[i];
    }
    if (n_removed == 0) {
        free(next);
        return;
    }
    derive_needs(next);
    if (next->n == 0) {
        free(next);
        next = NULL;
    }
    publish(e, next);
    for (size_t i = 0; i < n_removed; i++) {
        cond_free(removed[i].program);
        logpoint_site_free(removed[i].log);
        release_stats(removed[i].stats);
    }
}

bool bp_conditions_take_error(int64_t *bp_id, char *message, size_t message_len, uint64_t *count)
{
    for (size_t i = 0; i < MAX_BREAKPOINTS; i++) {
        bp_stats *s = &stats_table[i];
        if (s->bp_id == 0 || s->reported ||
            !atomic_load_explicit(&s->error_recorded, memory_order_acquire))
            continue;
        s->reported = true;
        *bp_id = s->bp_id;
        *count = atomic_load(&s->errors);
        if (s->first_address)
            snprintf(message, message_len, "%s at 0x%" PRIx64, s->first_message, s->first_address);
        else
            snprintf(message, message_len, "%s", s->first_message);
        return true;
    }
    return false;
}

uint64_t bp_conditions_hits(int64_t bp_id)
{
    const bp_stats *s = bp_id ? find_stats(bp_id) : NULL;
    return s ? atomic_load(&s->hits) : 0;
}

uint64_t bp_conditions_take_dropped(int64_t bp_id)
{
    bp_stats *s = bp_id ? find_stats(bp_id) : NULL;
    return s ? atomic_exchange(&s->dropped, 0) : 0;
}

bool bp_conditions_take_any_dropped(int64_t *bp_id, uint64_t *dropped)
{
    for (size_t i = 0; i < MAX_BREAKPOINTS; i++) {
        bp_stats *s = &stats_table[i];
        if (s->bp_id == 0 || atomic_load(&s->dropped) == 0)
            continue;
        *bp_id = s->bp_id;
        *dropped = atomic_exchange(&s->dropped, 0);
        return true;
    }
    return false;
}
