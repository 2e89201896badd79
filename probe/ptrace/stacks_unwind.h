/* Unwinding a held thread of another process into machine frames (registers per frame) with
 * libunwind's remote API and libunwind-ptrace's unwind tables, located before the stop. */
#ifndef PODBUG_STACKS_UNWIND_H
#define PODBUG_STACKS_UNWIND_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/user.h>
#include "frame_regs.h"
#include "symbols.h"

typedef struct stacks_unwinder stacks_unwinder;

/* An unwinder for the threads of process pid, whose modules symbols lists: each module's unwind
 * table is located now (reading the process's map and the module's file), so that unwinding a
 * stopped thread only reads its memory; what it learns is cached across threads. NULL when out
 * of memory. */
stacks_unwinder *stacks_unwinder_create(pid_t pid, sym_index *symbols);
void stacks_unwinder_destroy(stacks_unwinder *u);
/* Drops the memory read so far (the unwinder keeps what it reads while the process is held; one
 * unwinder at a time): call it once the process is held, before unwinding. */
void stacks_unwinder_forget_memory(stacks_unwinder *u);

/* frames[0] is the thread as it stopped (every register valid); frames[i>0] hold rip, rsp and the
 * callee-saved registers libunwind recovered, as the probe's frame_capture does; a frame's cfa is
 * its caller's rsp. Returns the number of frames written (at least 1, at most max). */
int stacks_unwind(stacks_unwinder *u, const struct user_regs_struct *regs, frame_regs *frames,
                  size_t max);

#endif
