/* Snapshots captured in the hitting thread's signal handler into a preallocated pool of slots
 * (registers of every frame, stack bytes, the plan's pointees), handed to the agent to format. */
#ifndef PODBUG_SNAPSHOT_CAPTURE_H
#define PODBUG_SNAPSHOT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ucontext.h>
#include "frame_regs.h"
#include "safe_mem.h"
#include "snapshot_plan.h"

#define SNAPSHOT_SLOTS 8                 /* snapshots waiting for the agent at most */
#define SNAPSHOT_MAX_FRAMES 64
#define SNAPSHOT_MAX_REGIONS 256
#define SNAPSHOT_MAX_BYTES (1u << 20)    /* the largest settable max_bytes */

/* One captured snapshot; read-only for the agent between snapshot_take and snapshot_release. */
typedef struct snapshot_raw {
    int64_t bp_id;
    pid_t tid;
    uint64_t time_ms;         /* CLOCK_REALTIME at the hit, ms since the epoch */
    uint64_t capture_ns;      /* the hitting thread's time inside snapshot_capture */
    bool truncated;           /* a budget cut it short: frames, bytes or regions */
    size_t n_frames;
    frame_regs frames[SNAPSHOT_MAX_FRAMES]; /* as frame_capture gives them: frame 0 complete */
    mem_image image;          /* the copied memory (fall_through false) */
} snapshot_raw;

/* Agent: maps the pool on first use (SNAPSHOT_SLOTS slots of SNAPSHOT_MAX_BYTES, touched only as
 * used). Returns 0, or -1 with err. */
int snapshot_pool_init(char *err, size_t err_len);

/* Handler: captures a snapshot of the interrupted context uc (its pc already moved back onto the
 * breakpoint, as the trap module passes it) for breakpoint bp_id with plan into a free slot and
 * wakes the agent (stopper_notify_agent). Regions: the stack first (frame 0's rsp - 128 up to the
 * last kept frame's CFA), then one per pointee copied. Returns the bytes of memory captured, or -1
 * when the pool is not mapped, plan is NULL or no slot is free (the caller counts it as
 * dropped). */
long snapshot_capture(const snapshot_plan *plan, int64_t bp_id, ucontext_t *uc);

/* Agent: the oldest captured snapshot not yet taken, or NULL. */
const snapshot_raw *snapshot_take(void);
/* Agent: gives its slot back to the pool. */
void snapshot_release(const snapshot_raw *s);

#endif
