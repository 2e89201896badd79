/* Stopping the one thread of another process where an injector may call libc and ld.so: blocked in
 * a call that restarts after a stop (main thread first), or running in the program's own code. */
#ifndef PODBUG_SAFE_POINT_H
#define PODBUG_SAFE_POINT_H

#include <stdint.h>
#include <sys/types.h>
#include "ptrace_thread.h"
#include "target_libc.h"

/* Stops such a thread of process pid (only thread `wanted` when nonzero), trying every thread a
 * few times. Returns 0 with t stopped (registers saved) and *stopped_at_us the moment its stop was
 * asked for, or -1 with err: a permission problem, "process 4242 is stopped (state T): ...", "no
 * thread of process 4242 reached a safe point ...". */
int safe_point_stop(pid_t pid, pid_t wanted, const target_libc *libc, ptrace_thread *t, int64_t *stopped_at_us,
                    char *err, size_t err_len);

#endif
