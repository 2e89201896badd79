/* Copying from own memory with plain loads that may fault: a fault inside the copy is turned
 * into a short count by the probe's SIGSEGV/SIGBUS handler, never a crash. Nanoseconds per read,
 * for the fast breakpoint path (process_vm_readv costs a microsecond). */
#ifndef PODBUG_GUARDED_COPY_H
#define PODBUG_GUARDED_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Claims SIGSEGV and SIGBUS through signal_interpose (once; crash_guard's handling and the
 * program's own handlers keep working: a fault anywhere else is handled exactly as before) so
 * that faults inside guarded_copy are recovered. Idempotent. Returns 0, or -1 with err. Agent. */
int guarded_copy_init(char *err, size_t err_len);

/* True once guarded_copy_init succeeded: only then may guarded_copy be called. */
bool guarded_copy_ready(void);
/* For guarded_copy_init, which lives in crash_guard.c (the owner of the SIGSEGV/SIGBUS handler,
 * so that guarded_copy.c links without the probe's signal machinery): faults are recovered now. */
void guarded_copy_set_ready(void);

/* Copies len bytes from src into dst with ordinary loads; returns the number of bytes copied
 * before the first fault (len when all were readable). Async-signal-safe, no system call. The
 * calling thread must not block SIGSEGV/SIGBUS (a fault with them blocked kills the process). */
size_t guarded_copy(void *dst, uintptr_t src, size_t len);

/* For the fault handlers: when the faulting pc of uc lies inside guarded_copy, points the context
 * at its recovery path (which returns the bytes copied so far) and returns true. */
bool guarded_copy_recover(void *ucontext);

#endif
