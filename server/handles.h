/* DAP integer handles that name fleet objects: thread ids, unique across the fleet and stable
 * for a thread's life, and frame ids, valid until the thread's process continues. */
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
/* Frames die when their process continues; everything of a probe dies when it leaves. */
void handles_forget_frames(uint64_t probe_id);
void handles_forget_probe(uint64_t probe_id);

#endif
