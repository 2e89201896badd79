/* A stack as the IDE sees it: machine frames expanded into their inlined calls, innermost first,
 * each with its pc, location and debug scope. No process state. Agent thread only. */
#ifndef PODBUG_THREAD_FRAMES_EXPAND_H
#define PODBUG_THREAD_FRAMES_EXPAND_H

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
/* The value_frame for evaluating names in one expanded frame of thread tid; set_register lets
 * register writes reach the thread (only for its top machine frame, while it is held), NULL
 * makes them fail. */
void thread_frames_value_frame_at(sym_index *symbols, const stack_frame *frame, pid_t tid,
                                  value_register_setter set_register, value_frame *out);

#endif
