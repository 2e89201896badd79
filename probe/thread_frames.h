/* The frames of a stopped thread (or of a snapshot) as the IDE sees them: each physical frame
 * expanded into its inlined calls (innermost first), each with its pc, registers, location and
 * debug scope. A stopped thread's are built on first use, dropped when the process resumes.
 * Agent thread only. */
#ifndef PODBUG_THREAD_FRAMES_H
#define PODBUG_THREAD_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "debuginfo.h"
#include "frame_regs.h"
#include "symbols.h"
#include "value.h"

typedef struct stack_frame {
    uintptr_t pc;              /* frame 0: where it stopped; above: the return address */
    bool is_return_address;
    size_t physical;           /* index of the machine frame */
    size_t scope_level;        /* 0 = innermost inlined call of that machine frame */
    const char *function;      /* NULL when unknown */
    const char *file;          /* NULL when no line information */
    int line;
    const char *module;
    bool has_chain;            /* chain is valid (the frame's code has DWARF) */
    dscope_chain chain;
    const frame_regs *regs;    /* the machine frame's registers */
} stack_frame;

/* Expands n machine frames (regs[0] where the thread stopped, then its callers) into stack
 * frames, innermost first; each frame's regs points into regs, which must outlive them. Returns
 * the count and *out (malloc'ed: the caller frees it), or -1 when out of memory. */
int thread_frames_expand(sym_index *symbols, const frame_regs *regs, size_t n, stack_frame **out);
/* The value_frame for evaluating names in one expanded frame of thread tid; writable_registers
 * lets register writes reach the thread (only its top machine frame, while it is parked). */
void thread_frames_value_frame_at(sym_index *symbols, const stack_frame *frame, pid_t tid,
                                  bool writable_registers, value_frame *out);

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
