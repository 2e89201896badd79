/* DAP integer handles that name fleet objects: thread ids, unique across the fleet and stable
 * for a thread's life; frame ids and variables references, valid until the process continues.
 * Stored snapshots get handles of their own kind from the same number spaces (never a live one's). */
#ifndef PODBUG_HANDLES_H
#define PODBUG_HANDLES_H

#include <stdbool.h>
#include <stdint.h>

/* The DAP thread id of (probe, tid); allocated on first use, the same id every time after. */
int handles_thread_id(uint64_t probe_id, int tid);
bool handles_thread(int thread_id, uint64_t *probe_id, int *tid);
/* A new frame id for frame `index` of (probe, tid). */
int handles_frame_id(uint64_t probe_id, int tid, int index);
bool handles_frame(int frame_id, uint64_t *probe_id, int *tid, int *index);
/* The DAP variablesReference of probe-side reference probe_ref (> 0) of a probe: the same id for
 * the same pair until it is forgotten. 0 when probe_ref is not positive (no children). */
int handles_var_id(uint64_t probe_id, int64_t probe_ref);
bool handles_var(int var_id, uint64_t *probe_id, int64_t *probe_ref);
/* Frames and variables references die when their process continues; everything of a probe dies when it leaves. */
void handles_forget_frames(uint64_t probe_id);
void handles_forget_probe(uint64_t probe_id);

/* Snapshot threads: the DAP thread id of stored snapshot snapshot_id (the same id every time),
 * its frames (index into its frames) and its variables references (one per stored node: a scope
 * or a variable with children). The *_id functions return 0 when out of memory. */
int handles_snapshot_thread_id(uint64_t snapshot_id);
bool handles_snapshot_thread(int thread_id, uint64_t *snapshot_id);
int handles_snapshot_frame_id(uint64_t snapshot_id, int index);
bool handles_snapshot_frame(int frame_id, uint64_t *snapshot_id, int *index);
int handles_snapshot_var_id(uint64_t snapshot_id, const void *node);
bool handles_snapshot_var(int var_id, uint64_t *snapshot_id, const void **node);
/* Every handle of a snapshot dies when it is dismissed or evicted. */
void handles_forget_snapshot(uint64_t snapshot_id);

#endif
