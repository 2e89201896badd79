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
 * Counts and budgets. Hit and error counts, rate limits and the CPU budget belong to the
 * breakpoint, not the address (a line at -O2 has several addresses): each slot points to its
 * breakpoint's `bp_stats` record.
 *
 * The fast path (a trampoline's C entry) announces itself in fast_readers' per-thread records
 * instead of the in-flight counters (a locked add there costs more than a false condition), and
 * runs the same evaluation without a ucontext: logpoints
 * capture there; the stop and snapshot breakpoints that want the hit are left in the thread's
 * verdict, which the trap path that follows (the trampoline's int3, same thread, same address)
 * takes instead of evaluating again, so that each hit is counted once. Its CPU budget is charged
 * by sampling: one evaluation in FAST_CPU_SAMPLE per thread is timed (two clock reads cost more
 * than a false condition) and charged FAST_CPU_SAMPLE times over. */
#include "bp_conditions.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fast_readers.h"
#include "frame_capture.h"
#include "probe_msg.h"
#include "rate_limit.h"
#include "signal_interpose.h"
#include "snapshot_capture.h"
#include "trap.h"

#define ADDRESS_TABLE_BITS 13
#define ADDRESS_TABLE_SIZE ((size_t)1 << ADDRESS_TABLE_BITS)
#define MAX_BREAKPOINTS TRAP_MAX_SITES

_Static_assert(ADDRESS_TABLE_SIZE >= 2 * TRAP_MAX_SITES, "address table must stay half empty");

/* The CPU budget's burst: this much wall time of allowance (2 s at the budget's rate). */
#define CPU_BURST_NS (2 * RATE_SECOND_NS)
/* The fast path times one evaluation in this many (a power of two), and charges at most this
 * much for one (a thread preempted while timed would otherwise be charged 64 preemptions). */
#define FAST_CPU_SAMPLE 64u
#define FAST_CPU_SAMPLE_MAX_NS 100000u

/* One breakpoint's counts, shared by all its addresses. Agent-only fields are touched by the
 * agent alone; the handler writes the error fields once, then raises error_recorded. */
typedef struct bp_stats {
    int64_t bp_id;                  /* agent only: 0 = free */
    unsigned refs;                  /* agent only: addresses registered */
    bool reported;                  /* agent only: its error was taken */
    bool off_reported;              /* agent only: its switch-off was taken */
    bp_action action;               /* set by the agent before the first publication */
    bp_budget budget;
    atomic_uint_fast64_t hits;      /* hits whose condition was true */
    atomic_uint_fast64_t errors;    /* evaluations that failed */
    const char *first_message;      /* written by the handler that saw errors go 0 -> 1 */
    uint64_t first_address;
    atomic_bool error_recorded;     /* release: first_message and first_address are set */
    rate_limit rate;                /* lines or snapshots per second */
    rate_limit bytes_rate;          /* their bytes per second */
    atomic_uint_fast64_t dropped;   /* lines or snapshots lost (rate limits, full ring or pool) */
    rate_limit cpu;                 /* condition CPU: allowance spent at 100 / cpu_percent per ns */
    atomic_uint_fast64_t cpu_ns;    /* condition CPU in all */
    atomic_uint_fast64_t evaluations;
    atomic_bool switched_off;       /* overran the CPU budget: skipped from then on */
} bp_stats;

typedef struct bp_slot {
    int64_t bp_id;
    bp_action action;
    cond_program *program;          /* NULL: no condition */
    hit_condition hit;
    logpoint_site *log;             /* BP_LOG */
    snapshot_plan *snapshot;        /* BP_SNAPSHOT */
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
static size_t stats_end; /* agent only: no record at or past this index is in use */
static atomic_uint reader_epoch;
static atomic_uint_fast64_t readers[2];
static atomic_uint_fast64_t news;

/* The fast path's verdict for the trap path that follows on this thread. */
typedef struct fast_verdict {
    uintptr_t address;              /* 0: none */
    size_t n;
    int64_t ids[BP_CONDITIONS_MAX_PER_ADDRESS]; /* stop and snapshot breakpoints wanting the hit */
} fast_verdict;
static __thread __attribute__((tls_model("initial-exec"))) fast_verdict verdict;
static __thread __attribute__((tls_model("initial-exec"))) unsigned fast_evaluations;

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
    atomic_fetch_add(&news, 1);
}

/* Charges evaluations' time to the CPU budget; the first overrun switches the breakpoint off. */
PODBUG_HANDLER_TEXT static void charge_cpu(bp_stats *stats, uint64_t now_ns, uint64_t spent_ns,
                                           unsigned evaluations)
{
    atomic_fetch_add_explicit(&stats->cpu_ns, spent_ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&stats->evaluations, evaluations, memory_order_relaxed);
    uint64_t allowance = spent_ns * 100u / stats->budget.cpu_percent;
    if (!rate_limit_charge(&stats->cpu, now_ns, allowance, CPU_BURST_NS) &&
        !atomic_exchange(&stats->switched_off, true))
        atomic_fetch_add(&news, 1);
}

/* True when the slot's condition holds (no condition: always); an error counts as false. The
 * fast path times one evaluation in FAST_CPU_SAMPLE. */
PODBUG_HANDLER_TEXT static bool condition_holds(const bp_slot *slot, const frame_regs *regs,
                                                bool fast)
{
    if (!slot->program)
        return true;
    cond_error err = { NULL, 0 };
    cond_result r;
    unsigned weight = fast ? FAST_CPU_SAMPLE : 1;
    if (fast && (++fast_evaluations & (FAST_CPU_SAMPLE - 1)) != 0) {
        r = cond_eval(slot->program, regs, &err);
    } else {
        uint64_t start = rate_now_ns();
        r = cond_eval(slot->program, regs, &err);
        uint64_t end = rate_now_ns();
        uint64_t spent = fast && end - start > FAST_CPU_SAMPLE_MAX_NS ? FAST_CPU_SAMPLE_MAX_NS
                                                                       : end - start;
        charge_cpu(slot->stats, end, spent * weight, weight);
    }
    if (r == COND_ERROR)
        record_error(slot->stats, &err);
    return r == COND_TRUE;
}

/* Captures a logpoint's values unless its rate limit or the full ring drops the record. */
PODBUG_HANDLER_TEXT static void log_hit(const bp_slot *slot, const frame_regs *regs)
{
    bp_stats *stats = slot->stats;
    if (!rate_limit_admit(&stats->rate, rate_now_ns(), rate_cost_ns(1, stats->budget.per_second),
                          RATE_SECOND_NS) ||
        !logpoint_capture(slot->log, slot->bp_id, regs))
        atomic_fetch_add(&stats->dropped, 1);
}

/* Captures a snapshot unless its rate limits or a full pool drop it; its bytes are charged after. */
PODBUG_HANDLER_TEXT static void snapshot_hit(const bp_slot *slot, ucontext_t *uc)
{
    bp_stats *stats = slot->stats;
    uint64_t now = rate_now_ns();
    long bytes = -1;
    if (rate_limit_open(&stats->bytes_rate, now, RATE_SECOND_NS) &&
        rate_limit_admit(&stats->rate, now, rate_cost_ns(1, stats->budget.per_second), RATE_SECOND_NS))
        bytes = snapshot_capture(slot->snapshot, slot->bp_id, uc);
    if (bytes < 0) {
        atomic_fetch_add(&stats->dropped, 1);
        return;
    }
    rate_limit_charge(&stats->bytes_rate, now,
                      rate_cost_ns((uint64_t)bytes, stats->budget.bytes_per_second), RATE_SECOND_NS);
}

/* One hit's evaluation of set, shared by both paths: conditions, hit conditions and counts;
 * logpoints capture here. A stop that wants the hit writes its id to ids; a snapshot captures
 * now on the trap path (uc), or writes its id too on the fast path (uc NULL), for the trap path
 * that follows to capture. Returns the ids written. */
PODBUG_HANDLER_TEXT static size_t evaluate(const address_set *set, const frame_regs *regs,
                                           ucontext_t *uc, int64_t *ids, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < set->n; i++) {
        const bp_slot *slot = &set->slots[i];
        if (atomic_load_explicit(&slot->stats->switched_off, memory_order_relaxed) ||
            !condition_holds(slot, regs, uc == NULL))
            continue;
        uint64_t count = atomic_fetch_add(&slot->stats->hits, 1) + 1;
        if (!hit_condition_holds(slot->hit, count))
            continue;
        if (slot->action == BP_LOG)
            log_hit(slot, regs);
        else if (slot->action == BP_SNAPSHOT && uc)
            snapshot_hit(slot, uc);
        else if (n < max)
            ids[n++] = slot->bp_id;
    }
    return n;
}

PODBUG_HANDLER_TEXT static bool in_verdict(int64_t bp_id)
{
    for (size_t i = 0; i < verdict.n; i++)
        if (verdict.ids[i] == bp_id)
            return true;
    return false;
}

/* The trap path after a fast hit: the verdict's snapshots are captured, its stops returned. */
PODBUG_HANDLER_TEXT static size_t take_verdict(const address_set *set, ucontext_t *uc,
                                               int64_t *ids, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < set->n; i++) {
        const bp_slot *slot = &set->slots[i];
        if (!in_verdict(slot->bp_id))
            continue;
        if (slot->action == BP_SNAPSHOT)
            snapshot_hit(slot, uc);
        else if (slot->action == BP_STOP && n < max)
            ids[n++] = slot->bp_id;
    }
    return n;
}

PODBUG_HANDLER_TEXT size_t bp_conditions_filter(uintptr_t addr, ucontext_t *uc, int64_t *ids, size_t max)
{
    unsigned epoch = atomic_load(&reader_epoch) & 1u;
    atomic_fetch_add(&readers[epoch], 1);
    size_t n = 0;
    const address_set *set = published_set(addr);
    bool decided = verdict.address == addr; /* else none, or a nested hit's: evaluate */
    verdict.address = 0;
    if (set && decided) {
        n = take_verdict(set, uc, ids, max);
    } else if (set) {
        frame_regs regs;
        if (set->needs_registers)
            frame_capture_top(uc, &regs, set->needs_cfa);
        n = evaluate(set, &regs, uc, ids, max);
    }
    atomic_fetch_sub(&readers[epoch], 1);
    return n;
}

PODBUG_HANDLER_TEXT bool bp_conditions_filter_fast(uintptr_t addr, const frame_regs *regs)
{
    fast_read_section section;
    fast_readers_enter(&section);
    verdict.address = 0; /* one left by a hit whose trap path did not run (hits disabled) */
    const address_set *set = published_set(addr);
    size_t n = set ? evaluate(set, regs, NULL, verdict.ids, BP_CONDITIONS_MAX_PER_ADDRESS) : 0;
    if (n > 0) {
        verdict.n = n;
        verdict.address = addr;
    }
    fast_readers_leave(&section);
    return n > 0;
}

PODBUG_HANDLER_TEXT void bp_conditions_fast_pass(uintptr_t addr)
{
    verdict.n = 0;
    verdict.address = addr;
}

PODBUG_HANDLER_TEXT bool bp_conditions_need_cfa(uintptr_t addr)
{
    fast_read_section section;
    fast_readers_enter(&section);
    const address_set *set = published_set(addr);
    bool needs = set && set->needs_cfa;
    fast_readers_leave(&section);
    return needs;
}

PODBUG_HANDLER_TEXT uint64_t bp_conditions_news(void)
{
    return atomic_load_explicit(&news, memory_order_acquire);
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

/* Returns once no handler (nor fast-path section) can still hold anything published before
 * the call. */
static void wait_for_readers(void)
{
    for (int phase = 0; phase < 2; phase++) {
        unsigned old = atomic_fetch_add(&reader_epoch, 1) & 1u;
        while (atomic_load(&readers[old]) != 0)
            sched_yield();
    }
    fast_readers_wait();
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

/* The record of bp_id; with bp_id 0, a free one (past the records in use when none is free
 * below: scans stay as short as the records in use). */
static bp_stats *find_stats(int64_t bp_id)
{
    for (size_t i = 0; i < stats_end; i++)
        if (stats_table[i].bp_id == bp_id)
            return &stats_table[i];
    if (bp_id != 0 || stats_end == MAX_BREAKPOINTS)
        return NULL;
    return &stats_table[stats_end++];
}

/* The record of bp_id, claimed and zeroed (with f's action and budget) when it has none yet. */
static bp_stats *claim_stats(int64_t bp_id, const bp_filter *f)
{
    bp_stats *s = find_stats(bp_id);
    if (s)
        return s;
    s = find_stats(0);
    if (!s)
        return NULL;
    s->bp_id = bp_id;
    s->refs = 0;
    s->reported = s->off_reported = false;
    s->action = f->action;
    s->budget = f->budget;
    atomic_store(&s->hits, 0);
    atomic_store(&s->errors, 0);
    s->first_message = NULL;
    s->first_address = 0;
    atomic_store(&s->error_recorded, false);
    atomic_store(&s->rate.due_ns, 0);
    atomic_store(&s->bytes_rate.due_ns, 0);
    atomic_store(&s->dropped, 0);
    atomic_store(&s->cpu.due_ns, 0);
    atomic_store(&s->cpu_ns, 0);
    atomic_store(&s->evaluations, 0);
    atomic_store(&s->switched_off, false);
    return s;
}

static void release_stats(bp_stats *s)
{
    if (--s->refs != 0)
        return;
    s->bp_id = 0;
    while (stats_end > 0 && stats_table[stats_end - 1].bp_id == 0)
        stats_end--;
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

bp_budget bp_budget_default(bp_action action)
{
    bool snapshot = action == BP_SNAPSHOT;
    return (bp_budget){
        .per_second = snapshot ? PROBE_DEFAULT_SNAPSHOTS_PER_SECOND : PROBE_DEFAULT_LOG_PER_SECOND,
        .bytes_per_second = snapshot ? PROBE_DEFAULT_SNAPSHOT_BYTES_PER_SECOND
                                     : PROBE_DEFAULT_LOG_BYTES_PER_SECOND,
        .cpu_percent = PROBE_DEFAULT_CPU_PERCENT,
    };
}

int bp_conditions_add(uintptr_t addr, int64_t bp_id, cond_program *program, hit_condition hit)
{
    bp_filter f = { .action = BP_STOP, .program = program, .hit = hit,
                    .budget = bp_budget_default(BP_STOP) };
    return bp_conditions_register(addr, bp_id, &f);
}

static void free_filter_parts(cond_program *program, logpoint_site *log, snapshot_plan *snapshot)
{
    cond_free(program);
    logpoint_site_free(log);
    snapshot_plan_free(snapshot);
}

int bp_conditions_register(uintptr_t addr, int64_t bp_id, const bp_filter *f)
{
    address_entry *e = entry_for(addr, true);
    const address_set *old = e ? atomic_load_explicit(&e->set, memory_order_relaxed) : NULL;
    address_set *next = NULL;
    bp_stats *stats = NULL;
    if (!e || (old && old->n == BP_CONDITIONS_MAX_PER_ADDRESS) ||
        !(next = calloc(1, sizeof *next)) || !(stats = claim_stats(bp_id, f))) {
        free(next);
        free_filter_parts(f->program, f->log, f->snapshot);
        return -1;
    }
    if (old)
        *next = *old;
    next->address = addr;
    stats->refs++;
    next->slots[next->n++] = (bp_slot){ bp_id, f->action, f->program, f->hit, f->log, f->snapshot, stats };
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
        free_filter_parts(removed[i].program, removed[i].log, removed[i].snapshot);
        release_stats(removed[i].stats);
    }
}

bool bp_conditions_take_error(int64_t *bp_id, char *message, size_t message_len, uint64_t *count)
{
    for (size_t i = 0; i < stats_end; i++) {
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

bool bp_conditions_take_any_dropped(bp_action action, int64_t *bp_id, uint64_t *dropped)
{
    for (size_t i = 0; i < stats_end; i++) {
        bp_stats *s = &stats_table[i];
        if (s->bp_id == 0 || s->action != action || atomic_load(&s->dropped) == 0)
            continue;
        *bp_id = s->bp_id;
        *dropped = atomic_exchange(&s->dropped, 0);
        return true;
    }
    return false;
}

bool bp_conditions_take_switched_off(int64_t *bp_id, char *why, size_t why_len)
{
    for (size_t i = 0; i < stats_end; i++) {
        bp_stats *s = &stats_table[i];
        if (s->bp_id == 0 || s->off_reported || !atomic_load(&s->switched_off))
            continue;
        s->off_reported = true;
        *bp_id = s->bp_id;
        uint64_t cpu_ns = atomic_load(&s->cpu_ns), evaluations = atomic_load(&s->evaluations);
        snprintf(why, why_len,
                 "its condition used %.1f ms of CPU in %" PRIu64 " evaluations (%.1f us each), over "
                 "its budget of %" PRIu32 "%% of a core",
                 (double)cpu_ns / 1e6, evaluations,
                 evaluations ? (double)cpu_ns / 1e3 / (double)evaluations : 0.0, s->budget.cpu_percent);
        return true;
    }
    return false;
}

bool bp_conditions_admit_log_bytes(int64_t bp_id, size_t bytes)
{
    bp_stats *s = bp_id ? find_stats(bp_id) : NULL;
    if (!s)
        return true;
    if (rate_limit_admit(&s->bytes_rate, rate_now_ns(),
                         rate_cost_ns(bytes, s->budget.bytes_per_second), RATE_SECOND_NS))
        return true;
    atomic_fetch_add(&s->dropped, 1);
    return false;
}
