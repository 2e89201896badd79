/* Where every other thread of this process is executing right now: a running thread is asked with
 * a signal whose handler records its interrupted pc; a thread asleep in a system call is left alone. */
#ifndef PODBUG_THREAD_PCS_H
#define PODBUG_THREAD_PCS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define THREAD_PCS_MAX 1024

typedef enum thread_pc_state {
    THREAD_PC_RUNNING,  /* answered the signal: pc is where it was interrupted */
    THREAD_PC_SLEEPING, /* in interruptible sleep ('S'), inside a system call, not signalled: pc
                         * is its user pc from /proc/self/task/T/syscall (0 when unreadable) */
    THREAD_PC_SILENT,   /* signalled but no answer in time (it blocks the signal, or is stopped):
                         * pc unknown (0) */
} thread_pc_state;

typedef struct thread_pc {
    pid_t tid;
    thread_pc_state state;
    uintptr_t pc;
} thread_pc;

typedef struct thread_pcs {
    size_t count;
    thread_pc threads[THREAD_PCS_MAX];
} thread_pcs;

/* Samples every thread of the process except the caller and the threads the stopper has parked
 * (they stay where they stopped until resumed): threads in interruptible sleep are read from
 * /proc, the others get the sample signal (SIGRTMIN+6, claimed through signal_interpose on first
 * use, SA_RESTART; the program's own uses of it are chained) and are waited for at most
 * timeout_ms. Threads that exit meanwhile are left out. Returns 0, or -1 with err (/proc
 * unreadable, the signal cannot be claimed, more than THREAD_PCS_MAX threads). Agent thread. */
int thread_pcs_sample(thread_pcs *out, int timeout_ms, char *err, size_t err_len);

#endif
