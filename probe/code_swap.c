/* The three phases of a live code swap (see code_swap.h): redirect int3s, waiting for the
 * threads (sampled, sleeping or parked) to leave the old bytes, tail then first byte. */
#include "code_swap.h"

#include "ool_slots.h"
#include "stopper.h"
#include "text_patch.h"
#include "thread_pcs.h"
#include "trap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RETRY_PAUSE_NS 200000L

/* Writes bytes [first, first + len) of every swap's before or after image (len 0: up to each
 * swap's end), without serialising; returns how many swaps were written (n when all were). */
static size_t write_images(code_swap *s, size_t n, bool after, size_t first, size_t len,
                           char *err, size_t err_len)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *image = after ? s[i].after : s[i].before;
        size_t count = len ? len : s[i].length - first;
        if (text_patch_write_unsynced(s[i].address + first, image + first, count, err,
                                      err_len) < 0)
            return i;
    }
    return n;
}

/* Puts back the first byte under every armed redirect, serialises, retires them (a redirect
 * whose byte cannot be written stays armed: retired, its int3 would trap forever). */
static void disarm_redirects(code_swap *s, size_t n)
{
    char ignored[128];
    for (size_t i = 0; i < n; i++)
        if (s[i].armed && text_patch_write_unsynced(s[i].address, s[i].before, 1, ignored,
                                                    sizeof ignored) < 0)
            s[i].armed = false;
    text_patch_sync();
    for (size_t i = 0; i < n; i++)
        if (s[i].armed) {
            trap_retire_redirect(s[i].address);
            s[i].armed = false;
        }
}

static int arm_redirects(code_swap *s, size_t n, char *err, size_t err_len)
{
    for (size_t i = 0; i < n; i++) {
        char why[160];
        if (trap_arm_redirect(s[i].address, s[i].trap_target, why, sizeof why) < 0) {
            snprintf(err, err_len, "cannot patch %s bytes: %s", s[i].name, why);
            return -1;
        }
        s[i].armed = true;
    }
    text_patch_sync();
    return 0;
}

/* The swap whose old instructions contain pc (bytes 1..), or NULL. */
static const code_swap *swap_inside(const code_swap *s, size_t n, uintptr_t pc)
{
    for (size_t i = 0; i < n; i++)
        if (s[i].before_runs && pc > s[i].address && pc < s[i].address + s[i].length)
            return &s[i];
    return NULL;
}

/* A thread that keeps a swap from finishing, and the swap it is inside (NULL: a slot). */
typedef struct blocker {
    const thread_pc *thread;
    const code_swap *swap;
} blocker;

/* Whether thread t stops the swap: it did not answer, is inside old bytes, or (avoid_slots)
 * runs in an out-of-line slot, whose jump back may land inside. */
static bool blocks(const thread_pc *t, const code_swap *s, size_t n, bool avoid_slots,
                   blocker *out)
{
    *out = (blocker){.thread = t};
    if (t->state == THREAD_PC_SILENT)
        return true;
    if (!t->pc)
        return false;
    out->swap = swap_inside(s, n, t->pc);
    return out->swap || (avoid_slots && ool_slot_contains(t->pc));
}

static void describe_blocker(const blocker *b, int timeout_ms, char *err, size_t err_len)
{
    int tid = (int)b->thread->tid;
    if (b->thread->state == THREAD_PC_SILENT)
        snprintf(err, err_len, "thread %d did not answer the pc sample within %d ms", tid,
                 timeout_ms);
    else if (b->swap)
        snprintf(err, err_len, "thread %d stays inside %s bytes (pc 0x%" PRIxPTR ") after %d ms",
                 tid, b->swap->name, b->thread->pc, timeout_ms);
    else
        snprintf(err, err_len, "thread %d stays in an out-of-line breakpoint slot (pc 0x%"
                 PRIxPTR ") after %d ms", tid, b->thread->pc, timeout_ms);
}

/* A thread parked by the stopper stays where it is until resumed: inside old bytes, the swap
 * cannot finish now. */
static int check_parked(const code_swap *s, size_t n, char *err, size_t err_len)
{
    static pid_t tids[STOPPER_MAX_THREADS];
    size_t count = stopper_parked_threads(tids, STOPPER_MAX_THREADS);
    for (size_t i = 0; i < count; i++) {
        frame_regs top;
        const code_swap *inside;
        if (stopper_thread_frames(tids[i], &top, 1) == 1 &&
            (inside = swap_inside(s, n, top.reg[DWREG_RIP]))) {
            snprintf(err, err_len, "thread %d is stopped inside %s bytes (pc 0x%" PRIx64 ")",
                     (int)tids[i], inside->name, top.reg[DWREG_RIP]);
            return -1;
        }
    }
    return 0;
}

static bool any_runs(const code_swap *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i].before_runs)
            return true;
    return false;
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Phase 2: samples the threads until none blocks, at most timeout_ms. */
static int wait_until_outside(const code_swap *s, size_t n, bool avoid_slots, int timeout_ms,
                              char *err, size_t err_len)
{
    if (!any_runs(s, n))
        return 0;
    if (check_parked(s, n, err, err_len) < 0)
        return -1;
    thread_pcs *sample = malloc(sizeof *sample);
    if (!sample) {
        snprintf(err, err_len, "out of memory sampling the threads");
        return -1;
    }
    int64_t deadline = monotonic_ns() + (int64_t)timeout_ms * 1000000;
    int rc = -1;
    for (;;) {
        int64_t left_ms = (deadline - monotonic_ns()) / 1000000;
        if (thread_pcs_sample(sample, left_ms > 0 ? (int)left_ms : 1, err, err_len) < 0)
            break;
        blocker b = {0};
        bool blocked = false;
        for (size_t i = 0; i < sample->count && !blocked; i++)
            blocked = blocks(&sample->threads[i], s, n, avoid_slots, &b);
        if (!blocked) {
            rc = 0;
            break;
        }
        if (monotonic_ns() >= deadline) {
            describe_blocker(&b, timeout_ms, err, err_len);
            break;
        }
        struct timespec pause = {0, RETRY_PAUSE_NS};
        nanosleep(&pause, NULL);
    }
    free(sample);
    return rc;
}

/* Phase 3. Tails that cannot be written are put back; a first byte that cannot be written
 * (where the int3 was written a moment ago) keeps its redirect int3, which stays correct. */
static int commit(code_swap *s, size_t n, char *err, size_t err_len)
{
    char ignored[128];
    if (write_images(s, n, true, 1, 0, err, err_len) < n) {
        write_images(s, n, false, 1, 0, ignored, sizeof ignored);
        disarm_redirects(s, n);
        return -1;
    }
    text_patch_sync();
    size_t written = write_images(s, n, true, 0, 1, err, err_len);
    text_patch_sync();
    for (size_t i = 0; i < written; i++) {
        trap_retire_redirect(s[i].address);
        s[i].armed = false;
        s[i].done = true;
    }
    return written == n ? 0 : -1;
}

int code_swap_apply(code_swap *swaps, size_t n, bool avoid_slots, int timeout_ms, char *err,
                    size_t err_len)
{
    if (trap_init(err, err_len) < 0)
        return -1;
    if (n == 0)
        return 0;
    if (arm_redirects(swaps, n, err, err_len) < 0 ||
        wait_until_outside(swaps, n, avoid_slots, timeout_ms, err, err_len) < 0) {
        disarm_redirects(swaps, n);
        return -1;
    }
    return commit(swaps, n, err, err_len);
}
