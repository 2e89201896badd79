/* Function calls run in a stopped thread of another process: arguments and strings below its red
 * zone, the call and its result, then its registers, extended state and held signals given back. */
#ifndef PODBUG_REMOTE_CALL_H
#define PODBUG_REMOTE_CALL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ptrace_thread.h"

#define REMOTE_CALL_MAX_HELD_SIGNALS 32

typedef struct remote_call {
    ptrace_thread *thread;
    uint64_t scratch;      /* lowest byte pushed so far; below the red zone of the saved rsp */
    siginfo_t held[REMOTE_CALL_MAX_HELD_SIGNALS]; /* the program's signals that came during calls */
    size_t n_held;
    size_t n_passed;       /* delivered during a call because held was full */
    bool at_signal_stop;   /* the thread stands in a signal-delivery-stop (after a call) */
} remote_call;

/* Prepares calls in t (stopped by ptrace_thread_stop, registers saved there): saves its extended
 * state too. Returns 0, or -1 with err. */
int remote_call_begin(remote_call *c, ptrace_thread *t, char *err, size_t err_len);

/* Copies len bytes onto the thread's stack, below the red zone and below anything pushed before,
 * 16-byte aligned. Returns their address in the target, or 0 with err. */
uint64_t remote_call_push(remote_call *c, const void *bytes, size_t len, char *err, size_t err_len);
uint64_t remote_call_push_string(remote_call *c, const char *s, char *err, size_t err_len);

/* Calls function(args[0], ..., args[n_args - 1]) (at most 6 integer or pointer arguments) in the
 * thread: a return address of 0 is pushed, so the call ends with a SIGSEGV at pc 0, whose rax is
 * the result. No system call restart applies to the call itself (orig_rax is -1). A signal meant
 * for the program that arrives meanwhile is held for remote_call_end. Returns 0 with *result, or
 * -1 with err: the process exited, the call faulted ("SIGSEGV at 0x7f...12"), or it did not return
 * within timeout_ms (the thread is then stopped again where it was). */
int remote_call_run(remote_call *c, uint64_t function, const uint64_t *args, size_t n_args, int timeout_ms,
                    uint64_t *result, char *err, size_t err_len);

/* Writes back the registers and extended state of the stop exactly (so that a system call the
 * thread was in completes or restarts as it would have without us), then delivers each held
 * signal with its original siginfo, as if it arrived now; the thread stays stopped, ready for
 * ptrace_thread_release. Returns 0, or -1 with err (a held signal ended the process, say). */
int remote_call_end(remote_call *c, char *err, size_t err_len);

/* Reads a NUL-terminated string at address of process pid into out (cut to out_len - 1).
 * Returns 0, or -1 when the address is unreadable. */
int remote_read_string(pid_t pid, uint64_t address, char *out, size_t out_len);

#endif
