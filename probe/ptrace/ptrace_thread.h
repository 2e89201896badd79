/* Holding threads of another process with ptrace: seize, interrupt to a stop, read and write their
 * registers (general and extended state), resume, detach; errors explained for the user. */
#ifndef PODBUG_PTRACE_THREAD_H
#define PODBUG_PTRACE_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/* A thread we hold. regs/xstate are what it had when it stopped (restore them exactly). */
typedef struct ptrace_thread {
    pid_t tid;
    bool seized;
    bool stopped;
    struct user_regs_struct regs;   /* at the stop */
    uint8_t *xstate;                /* NT_X86_XSTATE at the stop (malloc'ed), NULL when not read */
    size_t xstate_len;
} ptrace_thread;

/* PTRACE_SEIZE tid (PTRACE_O_EXITKILL is NOT set: the target must survive us), then
 * PTRACE_INTERRUPT and waits (waitpid __WALL, at most timeout_ms) for its stop, and reads its
 * registers. On failure err says why in words a user can act on: "no permission to trace 4242:
 * run as root or with CAP_SYS_PTRACE (kernel.yama.ptrace_scope is 1)", "4242 is already traced by
 * 777 (gdb)", "process 4242 does not exist", "thread 4243 exited". Returns 0 or -1. */
int ptrace_thread_stop(ptrace_thread *t, pid_t tid, int timeout_ms, char *err, size_t err_len);

/* Reads NT_X86_XSTATE into t->xstate (needed before running code in the thread). 0 or -1. */
int ptrace_thread_save_xstate(ptrace_thread *t, char *err, size_t err_len);

/* Writes back exactly the registers (and xstate when saved) of the stop. 0 or -1. */
int ptrace_thread_restore(ptrace_thread *t, char *err, size_t err_len);

/* Detaches (the thread resumes as if never stopped: a system call it was in restarts or goes on)
 * and frees what t holds. Safe on a thread that was never seized or has exited. */
void ptrace_thread_release(ptrace_thread *t);

/* Every tid of process pid (from /proc/pid/task), at most max. Returns the count, -1 with err when
 * the process does not exist. */
int ptrace_process_threads(pid_t pid, pid_t *tids, size_t max, char *err, size_t err_len);

/* Waits at most timeout_ms for the next stop of a seized thread that runs (waitpid __WALL, status
 * as waitpid gives it): 0 (t->stopped is then true), 1 on timeout, -1 with err when the thread
 * exited (t is then no longer seized). */
int ptrace_thread_wait(ptrace_thread *t, int timeout_ms, int *status, char *err, size_t err_len);

/* Stops a seized thread that runs (after a PTRACE_CONT): PTRACE_INTERRUPT, then waits at most
 * timeout_ms for that stop, passing on to the thread any signal delivered meanwhile. 0 or -1. */
int ptrace_thread_interrupt(ptrace_thread *t, int timeout_ms, char *err, size_t err_len);

/* Monotonic clock in microseconds, for reporting how long a target was stopped. */
int64_t ptrace_now_us(void);

#endif
