/* The probe's claim on signals the program may also handle (SIGTRAP, the stop signal): our
 * handler stays installed, and the program's own disposition is recorded and chained to. */
#ifndef PODBUG_SIGNAL_INTERPOSE_H
#define PODBUG_SIGNAL_INTERPOSE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Every function that runs inside the probe's signal handlers is placed in this section, so
 * that no breakpoint can be armed on code the SIGTRAP handler itself executes. */
#define PODBUG_HANDLER_TEXT __attribute__((section("podbug_handler_text")))

typedef void (*signal_interpose_handler)(int signo, siginfo_t *info, void *ucontext);

/* Installs handler for signo (SA_SIGINFO | flags, blocking mask while it runs) and records the
 * program's disposition of that moment as the chained one. From then on the program's
 * sigaction()/signal() calls for signo (this module exports both, so they interpose libc's
 * whether the probe is preloaded or linked in) only change and report the chained disposition.
 * Claiming again replaces our handler and keeps the chained one. Returns 0, or -1 with err. */
int signal_interpose_claim(int signo, signal_interpose_handler handler, int flags,
                           const sigset_t *mask, char *err, size_t err_len);

/* Async-signal-safe, from our handler for a signal that is not ours: applies the program's
 * disposition as the kernel would have (its handler with its mask and flags, ignore, or the
 * default action by restoring SIG_DFL and re-raising). */
void signal_interpose_chain(int signo, siginfo_t *info, void *ucontext);

/* The mask our handlers run with: every signal except the synchronous faults (SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGTRAP), so that a thread parked in a handler takes no asynchronous signal
 * until it resumes. */
void signal_interpose_handler_mask(sigset_t *out);

/* Queues signo to thread tid of this process with cookie as its si_value (SI_QUEUE, from our own
 * pid), so that our handler tells the probe's requests from the program's uses of the signal.
 * Returns false only when the thread is gone (ESRCH). */
bool signal_interpose_queue(pid_t tid, int signo, uint64_t cookie);

/* True when addr lies in code placed with PODBUG_HANDLER_TEXT. */
bool signal_interpose_in_handler_text(uintptr_t addr);

#endif
