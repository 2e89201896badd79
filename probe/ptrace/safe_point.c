/* Picks the thread an injection runs in (see safe_point.h) from /proc/N/task/T/{stat,syscall},
 * stops it, and checks its registers at the stop before accepting it. */
#include "safe_point.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "proc_info.h"

#define MAX_THREADS 4096
#define ROUNDS 5
#define ROUND_PAUSE_US (20 * 1000)
#define STOP_TIMEOUT_MS 1000

/* Calls that fail with EINTR instead of restarting when a ptrace stop interrupts them (signal(7)):
 * a thread waiting in one of them is never stopped. */
static const long eintr_on_stop[] = { SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2, SYS_rt_sigtimedwait,
                                      SYS_semop, SYS_semtimedop, SYS_io_getevents, SYS_io_pgetevents };

static bool fails_on_stop(long nr)
{
    for (size_t i = 0; i < sizeof eintr_on_stop / sizeof eintr_on_stop[0]; i++)
        if (eintr_on_stop[i] == nr)
            return true;
    return false;
}

/* rax after a stop interrupted a system call that the kernel restarts (-ERESTARTSYS and kin). */
static bool is_restart_code(long long rax)
{
    return rax == -512 || rax == -513 || rax == -514 || rax == -516;
}

/* The system call a blocked thread waits in and its user pc (/proc/N/task/T/syscall); false when
 * it is not in one or the file cannot be read. */
static bool thread_syscall(pid_t pid, pid_t tid, long *nr, unsigned long long *pc)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    unsigned long long args[8];
    return ok && sscanf(line, "%ld %llx %llx %llx %llx %llx %llx %llx %llx", nr, &args[0], &args[1], &args[2],
                        &args[3], &args[4], &args[5], &args[6], pc) == 9 && *nr >= 0;
}

/* Whether a sleeping thread is worth stopping: its call restarts, and it does not sleep inside
 * the loader (which may hold the loader's lock). Running threads are judged once stopped; one
 * that another debugger holds ('t') is tried last, for the reason it cannot be traced. */
static bool worth_stopping(pid_t pid, pid_t tid, char state, const target_libc *libc)
{
    if (state == 'R' || state == 't')
        return true;
    long nr;
    unsigned long long pc;
    return state == 'S' && thread_syscall(pid, tid, &nr, &pc) && !fails_on_stop(nr) &&
           !target_module_contains(&libc->loader, pc);
}

/* At the stop: in a system call that restarts (any pc but the loader's), or in the program's
 * own code (neither libc nor the loader). */
static bool at_safe_point(const ptrace_thread *t, const target_libc *libc)
{
    const struct user_regs_struct *r = &t->regs;
    if (target_module_contains(&libc->loader, r->rip))
        return false;
    if ((long long)r->orig_rax >= 0 && is_restart_code((long long)r->rax))
        return !fails_on_stop((long)r->orig_rax);
    return !target_module_contains(&libc->libc, r->rip);
}

/* Threads to try, best first: sleeping ones (the main thread first), then running ones. Returns
 * the count; *stopped_only tells that every live thread is stopped (state T). */
static size_t candidates(pid_t pid, pid_t wanted, const target_libc *libc, pid_t *out, size_t max,
                         bool *stopped_only, char *err, size_t err_len)
{
    pid_t tids[MAX_THREADS];
    int n = wanted ? 1 : ptrace_process_threads(pid, tids, MAX_THREADS, err, err_len);
    if (wanted)
        tids[0] = wanted;
    size_t count = 0, stopped = 0, live = 0;
    char states[MAX_THREADS];
    for (int i = 0; i < n; i++) {
        states[i] = proc_task_state(pid, tids[i]);
        live += states[i] != '?' && states[i] != 'Z' && states[i] != 'X';
        stopped += states[i] == 'T';
    }
    *stopped_only = live > 0 && stopped == live;
    const char order[] = { 'S', 'R', 't' };
    for (size_t o = 0; o < sizeof order; o++) {
        for (int i = 0; i < n && count < max; i++)
            if (states[i] == order[o] && tids[i] == pid && worth_stopping(pid, tids[i], states[i], libc))
                out[count++] = tids[i];
        for (int i = 0; i < n && count < max; i++)
            if (states[i] == order[o] && tids[i] != pid && worth_stopping(pid, tids[i], states[i], libc))
                out[count++] = tids[i];
    }
    return count;
}

static bool thread_exists(pid_t pid, pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d", (int)pid, (int)tid);
    return access(path, F_OK) == 0;
}

int safe_point_stop(pid_t pid, pid_t wanted, const target_libc *libc, ptrace_thread *t, int64_t *stopped_at_us,
                    char *err, size_t err_len)
{
    pid_t order[MAX_THREADS];
    if (wanted && !thread_exists(pid, wanted)) {
        snprintf(err, err_len, "process %d has no thread %d", (int)pid, (int)wanted);
        return -1;
    }
    bool stopped_only = false;
    for (int round = 0; round < ROUNDS; round++) {
        if (round > 0)
            usleep(ROUND_PAUSE_US);
        err[0] = '\0';
        size_t n = candidates(pid, wanted, libc, order, MAX_THREADS, &stopped_only, err, err_len);
        if (err[0])
            return -1;
        if (stopped_only) {
            snprintf(err, err_len, "process %d is stopped (state T): resume it first (kill -CONT %d)", (int)pid,
                     (int)pid);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            *stopped_at_us = ptrace_now_us();
            if (ptrace_thread_stop(t, order[i], STOP_TIMEOUT_MS, err, err_len) != 0) {
                if (thread_exists(pid, order[i]))
                    return -1; /* not a thread that went away: permission, another tracer... */
                continue;
            }
            if (at_safe_point(t, libc))
                return 0;
            ptrace_thread_release(t);
        }
    }
    if (wanted)
        snprintf(err, err_len, "thread %d of process %d is not at a safe point: it runs inside libc or the dynamic "
                 "loader, or waits in a call that a stop would interrupt with EINTR", (int)wanted, (int)pid);
    else
        snprintf(err, err_len, "no thread of process %d reached a safe point in %d tries: each runs inside libc or "
                 "the dynamic loader, or waits in a call that a stop would interrupt with EINTR (epoll_wait...); "
                 "try again", (int)pid, ROUNDS);
    return -1;
}
