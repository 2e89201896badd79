/* The frames of the probe's parked threads as the IDE sees them (expanded by
 * thread_frames_expand.h): built on first use, dropped when the process resumes. Agent thread
 * only. */
#ifndef PODBUG_THREAD_FRAMES_H
#define PODBUG_THREAD_FRAMES_H

#include <stddef.h>
#include <sys/types.h>
#include "symbols.h"
#include "thread_frames_expand.h"
#include "value.h"

/* The expanded frames of parked thread tid. Returns the count (frames valid until
 * thread_frames_reset), or -1 when tid is not parked. */
int thread_frames_get(sym_index *symbols, pid_t tid, const stack_frame **frames);
/* The value_frame for evaluating names in frame `index` of tid. Returns 0, or -1 with err
 * ("thread 12 is not stopped", "no frame 9: the stack has 5"). */
int thread_frames_value_frame(sym_index *symbols, pid_t tid, int index, value_frame *out,
                              char *err, size_t err_len);
/* Forgets every thread's frames (the process resumed). */
void thread_frames_reset(void);

#endif
