/* Capturing a stopped context's frames (registers per frame) from a signal's ucontext with
 * libunwind, and changing a register of that context. Async-signal-safe: no allocation, no locks. */
#ifndef PODBUG_FRAME_CAPTURE_H
#define PODBUG_FRAME_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>
#include "frame_regs.h"

/* frames[0] is the context itself, every register valid (its pc is where the thread stopped);
 * frames[i>0] hold rip, rsp and the callee-saved registers libunwind recovered; a frame's cfa is
 * its caller's rsp. Returns the number of frames written (at least 1). */
int frame_capture(ucontext_t *uc, frame_regs *frames, size_t max);
/* Only frame 0; with_cfa unwinds one step to learn its cfa (0 when it cannot). */
void frame_capture_top(ucontext_t *uc, frame_regs *top, bool with_cfa);
/* Sets a general register (DWARF number) of the context the thread will resume with. */
void frame_capture_set_register(ucontext_t *uc, int regno, uint64_t value);

#endif
