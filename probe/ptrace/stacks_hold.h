/* Holding every thread of another process stopped with ptrace (ptrace_thread.h) for a moment,
 * late-started threads too, releasing them together and measuring how long that took. */
#ifndef PODBUG_STACKS_HOLD_H
#define PODBUG_STACKS_HOLD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ptrace_thread.h"
#include "stacks_thread_info.h"

/* A thread of the process: held, or left running with the reason. */
typedef struct held_thread {
    ptrace_thread ptrace;              /* ptrace.stopped: held */
    stacks_thread_info info;           /* read just before it was stopped */
    char problem[200];                 /* why it is not held ("" when it is) */
} held_thread;

typedef struct held_process {
    pid_t pid;
    held_thread *threads;              /* by tid */
    size_t count;
    int64_t first_stop_us;             /* ptrace_now_us() when the first thread was asked to stop */
} held_process;

/* Stops every thread of pid, each within timeout_ms (one that does not stop, such as a thread
 * in uninterruptible sleep, is left running with a problem; one that exits is left out).
 * Returns 0, or -1 with err when no thread could be held (no permission, no such process); then
 * nothing is held. */
int stacks_hold(pid_t pid, int timeout_ms, held_process *out, char *err, size_t err_len);

/* Lets every held thread go on as if it had never stopped, and frees h. Returns how long the
 * process was held: microseconds from the first stop to the last release. */
int64_t stacks_release(held_process *h);

#endif
