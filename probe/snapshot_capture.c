/* The snapshot pool (see snapshot_capture.h): slots the hitting thread fills in its signal handler
 * (frames, stack, the plan's pointees) and the agent takes oldest first and gives back.
 *
 * Slots. One anonymous mapping made once (MAP_NORESERVE: a page costs memory only once written),
 * SNAPSHOT_SLOTS slots of a page-aligned header and SNAPSHOT_MAX_BYTES of data. A slot moves
 * free -> writing (a handler claimed it with a CAS) -> ready (published with release) -> taken
 * (the agent) -> free (released). Every claim draws a sequence number; snapshot_take hands out
 * the ready slot with the lowest.
 *
 * A capture. Frames first: frame_capture of the interrupted context (the trap module has already
 * moved its pc back onto the int3, as for the stopper, so frame 0's pc is the breakpoint address)
 * with one frame beyond the budget, to know whether the stack went on. Then one stack region from
 * frame 0's rsp - 128 (the red zone: the handler runs on the thread's stack, below it, so it is
 * mapped) up to the CFA of the last frame kept (unknown for the outermost frame of the stack:
 * then that frame's rsp + max_bytes / 2), cut to the byte budget. Then, with a fall-through
 * image over what was copied so far (so that variables on the stack and pointers already copied
 * cost no system call), each pointee of the plan: its pointer evaluated on frame 0's registers,
 * its bytes read (a string kept up to and including its NUL) and added as a region unless the
 * pointer is null or fails, nothing is readable there, or the bytes are already held. The budget
 * (bytes, SNAPSHOT_MAX_REGIONS) cuts the capture short: truncated. */
#include "snapshot_capture.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "cond.h"
#include "frame_capture.h"
#include "signal_interpose.h"
#include "stopper.h"

#define RED_ZONE 128u
#define PAGE 4096u

enum slot_state { SLOT_FREE, SLOT_WRITING, SLOT_READY, SLOT_TAKEN };

typedef struct slot_header {
    snapshot_raw raw;          /* first: snapshot_release finds its slot from it */
    atomic_int state;
    uint64_t sequence;
    frame_regs unwound[SNAPSHOT_MAX_FRAMES + 1]; /* frame_capture's output: one beyond the budget */
    mem_region regions[SNAPSHOT_MAX_REGIONS];
} slot_header;

#define HEADER_BYTES ((sizeof(slot_header) + PAGE - 1) / PAGE * PAGE)
#define SLOT_BYTES (HEADER_BYTES + SNAPSHOT_MAX_BYTES)

static _Atomic(uint8_t *) pool;
static atomic_uint_fast64_t next_sequence;

PODBUG_HANDLER_TEXT static slot_header *slot_at(uint8_t *slots, size_t i)
{
    return (slot_header *)(slots + i * SLOT_BYTES);
}

PODBUG_HANDLER_TEXT static uint8_t *slot_data(slot_header *slot)
{
    return (uint8_t *)slot + HEADER_BYTES;
}

PODBUG_HANDLER_TEXT static uint64_t clock_ns(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

PODBUG_HANDLER_TEXT static slot_header *claim_slot(uint8_t *slots)
{
    for (size_t i = 0; i < SNAPSHOT_SLOTS; i++) {
        slot_header *slot = slot_at(slots, i);
        int expected = SLOT_FREE;
        if (atomic_compare_exchange_strong_explicit(&slot->state, &expected, SLOT_WRITING,
                                                    memory_order_acquire, memory_order_relaxed)) {
            slot->sequence = atomic_fetch_add_explicit(&next_sequence, 1, memory_order_relaxed);
            return slot;
        }
    }
    return NULL;
}

/* A capture in progress: the slot's copy so far (a fall-through image while capturing). */
typedef struct capture {
    snapshot_raw *raw;
    mem_image image;
    mem_region *regions;
    uint8_t *data;
    size_t used;               /* bytes of data filled */
    size_t budget;             /* bytes of data allowed */
} capture;

PODBUG_HANDLER_TEXT static void add_region(capture *c, uint64_t address, size_t len)
{
    c->regions[c->image.n_regions++] = (mem_region){ address, (uint32_t)c->used, (uint32_t)len };
    c->used += len;
}

/* Frames within max_frames (1..SNAPSHOT_MAX_FRAMES), truncated when the stack went on. */
PODBUG_HANDLER_TEXT static void capture_frames(capture *c, slot_header *slot, ucontext_t *uc,
                                               uint32_t max_frames)
{
    size_t limit = max_frames < 1 ? 1 : max_frames > SNAPSHOT_MAX_FRAMES ? SNAPSHOT_MAX_FRAMES
                                                                         : max_frames;
    size_t got = (size_t)frame_capture(uc, slot->unwound, limit + 1);
    if (got > limit) {
        c->raw->truncated = true;
        got = limit;
    }
    memcpy(c->raw->frames, slot->unwound, got * sizeof slot->unwound[0]);
    c->raw->n_frames = got;
}

/* The stack the kept frames use, from frame 0's red zone up. */
PODBUG_HANDLER_TEXT static void capture_stack(capture *c)
{
    const snapshot_raw *raw = c->raw;
    uint64_t sp = raw->frames[0].reg[DWREG_RSP];
    uint64_t start = sp - RED_ZONE;
    const frame_regs *last = &raw->frames[raw->n_frames - 1];
    uint64_t end = last->cfa;
    if (end == 0) /* the outermost frame (its caller is unknown): half the budget above its sp */
        end = (frame_reg_known(last, DWREG_RSP) ? last->reg[DWREG_RSP] : sp) + c->budget / 2;
    uint64_t len = end > start ? end - start : 0;
    if (len > c->budget) {
        len = c->budget;
        c->raw->truncated = true;
    }
    size_t got = safe_mem_read_upto((uintptr_t)start, c->data, (size_t)len);
    if (got)
        add_region(c, start, got);
}

/* One pointee of the plan, unless there is nothing new to copy; false when the budget is spent. */
PODBUG_HANDLER_TEXT static bool capture_pointee(capture *c, const snapshot_pointee *pointee,
                                                const frame_regs *regs)
{
    if (c->image.n_regions == SNAPSHOT_MAX_REGIONS || c->used == c->budget) {
        c->raw->truncated = true;
        return false;
    }
    uint64_t address;
    cond_error err;
    if (cond_eval_value(pointee->pointer, regs, &address, &err) != 0 || address == 0)
        return true;
    size_t room = c->budget - c->used;
    size_t want = pointee->size < room ? pointee->size : room;
    uint8_t *to = c->data + c->used;
    size_t got = safe_mem_read_upto((uintptr_t)address, to, want);
    bool cut = want < pointee->size && got == want;
    if (pointee->is_string) {
        const uint8_t *nul = memchr(to, 0, got);
        if (nul) {
            got = (size_t)(nul - to) + 1;
            cut = false;
        }
    }
    if (got == 0 || mem_image_holds(&c->image, (uintptr_t)address, got))
        return true;
    add_region(c, address, got);
    c->raw->truncated |= cut;
    return true;
}

PODBUG_HANDLER_TEXT long snapshot_capture(const snapshot_plan *plan, int64_t bp_id, ucontext_t *uc)
{
    uint64_t started = clock_ns(CLOCK_MONOTONIC);
    uint8_t *slots = atomic_load_explicit(&pool, memory_order_acquire);
    slot_header *slot = slots && plan ? claim_slot(slots) : NULL;
    if (!slot)
        return -1;
    const snapshot_limits *limits = snapshot_plan_limits(plan);
    snapshot_raw *raw = &slot->raw;
    raw->bp_id = bp_id;
    raw->tid = (pid_t)syscall(SYS_gettid);
    raw->time_ms = clock_ns(CLOCK_REALTIME) / 1000000u;
    raw->truncated = false;
    capture c = {
        .raw = raw, .regions = slot->regions, .data = slot_data(slot),
        .budget = limits->max_bytes < SNAPSHOT_MAX_BYTES ? limits->max_bytes : SNAPSHOT_MAX_BYTES,
        .image = { .data = slot_data(slot), .regions = slot->regions, .fall_through = true },
    };
    capture_frames(&c, slot, uc, limits->max_frames);
    capture_stack(&c);
    safe_mem_use_image(&c.image);
    size_t n = snapshot_plan_pointees(plan);
    for (size_t i = 0; i < n; i++)
        if (!capture_pointee(&c, snapshot_plan_pointee(plan, i), &raw->frames[0]))
            break;
    safe_mem_use_image(NULL);
    raw->image = (mem_image){ c.data, c.regions, c.image.n_regions, false };
    raw->capture_ns = clock_ns(CLOCK_MONOTONIC) - started;
    atomic_store_explicit(&slot->state, SLOT_READY, memory_order_release);
    stopper_notify_agent();
    return (long)c.used;
}

/* ---- agent side ------------------------------------------------------------------------- */

int snapshot_pool_init(char *err, size_t err_len)
{
    if (atomic_load_explicit(&pool, memory_order_acquire))
        return 0;
    void *slots = mmap(NULL, SNAPSHOT_SLOTS * SLOT_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (slots == MAP_FAILED) {
        snprintf(err, err_len, "cannot map the snapshot pool (%zu bytes)",
                 (size_t)(SNAPSHOT_SLOTS * SLOT_BYTES));
        return -1;
    }
    uint8_t *expected = NULL;
    if (!atomic_compare_exchange_strong(&pool, &expected, slots))
        munmap(slots, SNAPSHOT_SLOTS * SLOT_BYTES); /* mapped meanwhile by another caller */
    return 0;
}

const snapshot_raw *snapshot_take(void)
{
    uint8_t *slots = atomic_load_explicit(&pool, memory_order_acquire);
    for (;;) {
        slot_header *oldest = NULL;
        for (size_t i = 0; slots && i < SNAPSHOT_SLOTS; i++) {
            slot_header *slot = slot_at(slots, i);
            if (atomic_load_explicit(&slot->state, memory_order_acquire) == SLOT_READY &&
                (!oldest || slot->sequence < oldest->sequence))
                oldest = slot;
        }
        if (!oldest)
            return NULL;
        int expected = SLOT_READY;
        if (atomic_compare_exchange_strong_explicit(&oldest->state, &expected, SLOT_TAKEN,
                                                    memory_order_acquire, memory_order_relaxed))
            return &oldest->raw;
    }
}

void snapshot_release(const snapshot_raw *s)
{
    slot_header *slot = (slot_header *)s;
    atomic_store_explicit(&slot->state, SLOT_FREE, memory_order_release);
}
