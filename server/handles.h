/* DAP integer handles that name fleet objects: thread ids, unique across the fleet and stable
 * for a thread's life; frame ids and variables references, valid until the process continues. */
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

#endif
