/* Holding one thread of another process with ptrace (see ptrace_thread.h): seize, interrupt, wait
 * with a timeout, registers and extended state, detach; permission problems explained. */
#include "ptrace_thread.h"

#include <cpuid.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "proc_info.h"

#define RELEASE_TIMEOUT_MS 1000
#define XSTATE_FALLBACK_SIZE 4096

int64_t ptrace_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The number after key in /proc/<id>/status; -1 when the process or the key is missing. */
static long status_number(pid_t id, const char *key)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)id);
    return proc_status_number(path, key);
}

/* kernel.yama.ptrace_scope, -1 without Yama. */
static int yama_scope(void)
{
    FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
    int scope = -1;
    if (f) {
        if (fscanf(f, "%d", &scope) != 1)
            scope = -1;
        fclose(f);
    }
    return scope;
}

/* Why PTRACE_SEIZE of tid (thread of tgid) failed with EPERM, in words a user can act on. */
static void explain_denied(pid_t tid, pid_t tgid, char *err, size_t err_len)
{
    long tracer = status_number(tid, "TracerPid:");
    if (tracer > 0) {
        char comm[64];
        proc_process_name((pid_t)tracer, comm, sizeof comm);
        snprintf(err, err_len, "%d is already traced by %ld (%s): only one debugger at a time", (int)tgid, tracer,
                 comm);
        return;
    }
    if (tgid == getpid()) {
        snprintf(err, err_len, "cannot trace podbug's own process %d", (int)tgid);
        return;
    }
    int scope = yama_scope();
    if (scope == 3) {
        snprintf(err, err_len, "no permission to trace %d: ptrace is disabled on this machine "
                 "(kernel.yama.ptrace_scope is 3)", (int)tgid);
        return;
    }
    char yama[64] = "";
    if (scope > 0)
        snprintf(yama, sizeof yama, " (kernel.yama.ptrace_scope is %d)", scope);
    long owner = status_number(tgid, "Uid:");
    char whose[80] = "";
    if (owner >= 0 && (uid_t)owner != geteuid())
        snprintf(whose, sizeof whose, " (it belongs to uid %ld, podbug runs as uid %d)", owner, (int)geteuid());
    snprintf(err, err_len, "no permission to trace %d%s: run as root or with CAP_SYS_PTRACE%s", (int)tgid, whose,
             yama);
}

static void explain_gone(pid_t tid, pid_t tgid, char *err, size_t err_len)
{
    if (tid == tgid)
        snprintf(err, err_len, "process %d exited", (int)tid);
    else
        snprintf(err, err_len, "thread %d exited", (int)tid);
}

int ptrace_thread_wait(ptrace_thread *t, int timeout_ms, int *status, char *err, size_t err_len)
{
    int64_t deadline = ptrace_now_us() + (int64_t)timeout_ms * 1000;
    long pause_ns = 20 * 1000;
    for (;;) {
        pid_t got = waitpid(t->tid, status, __WALL | WNOHANG);
        if (got == t->tid) {
            if (WIFSTOPPED(*status)) {
                t->stopped = true;
                return 0;
            }
            t->seized = t->stopped = false; /* exited or killed: nothing left to detach */
            if (WIFSIGNALED(*status))
                snprintf(err, err_len, "thread %d was killed by SIG%s", (int)t->tid,
                         sigabbrev_np(WTERMSIG(*status)) ? sigabbrev_np(WTERMSIG(*status)) : "?");
            else
                snprintf(err, err_len, "thread %d exited with status %d", (int)t->tid, WEXITSTATUS(*status));
            return -1;
        }
        if (got < 0 && errno != EINTR) {
            t->seized = t->stopped = false;
            explain_gone(t->tid, (pid_t)status_number(t->tid, "Tgid:"), err, err_len);
            return -1;
        }
        if (ptrace_now_us() >= deadline) {
            snprintf(err, err_len, "thread %d did not stop within %d ms", (int)t->tid, timeout_ms);
            return 1;
        }
        struct timespec pause = { 0, pause_ns };
        nanosleep(&pause, NULL);
        if (pause_ns < 1000 * 1000)
            pause_ns *= 2;
    }
}

int ptrace_thread_interrupt(ptrace_thread *t, int timeout_ms, char *err, size_t err_len)
{
    if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) != 0) {
        explain_gone(t->tid, (pid_t)status_number(t->tid, "Tgid:"), err, err_len);
        return -1;
    }
    int64_t deadline = ptrace_now_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        int left_ms = (int)((deadline - ptrace_now_us()) / 1000);
        int status;
        if (ptrace_thread_wait(t, left_ms > 0 ? left_ms : 0, &status, err, err_len) != 0)
            return -1;
        if (status >> 16 == PTRACE_EVENT_STOP)
            return 0;
        /* A signal being delivered: pass it on; the interrupt stops the thread right after. */
        int sig = status >> 16 == 0 ? WSTOPSIG(status) : 0;
        t->stopped = false;
        if (ptrace(PTRACE_CONT, t->tid, NULL, (void *)(uintptr_t)sig) != 0) {
            explain_gone(t->tid, (pid_t)status_number(t->tid, "Tgid:"), err, err_len);
            return -1;
        }
    }
}

int ptrace_thread_stop(ptrace_thread *t, pid_t tid, int timeout_ms, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    t->tid = tid;
    long tgid = status_number(tid, "Tgid:");
    if (tgid < 0) {
        snprintf(err, err_len, "process %d does not exist", (int)tid);
        return -1;
    }
    if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
        if (errno == EPERM)
            explain_denied(tid, (pid_t)tgid, err, err_len);
        else if (errno == ESRCH)
            explain_gone(tid, (pid_t)tgid, err, err_len);
        else
            snprintf(err, err_len, "cannot trace %d: %s", (int)tid, strerror(errno));
        return -1;
    }
    t->seized = true;
    if (ptrace_thread_interrupt(t, timeout_ms, err, err_len) != 0) {
        ptrace_thread_release(t);
        return -1;
    }
    if (ptrace(PTRACE_GETREGS, tid, NULL, &t->regs) != 0) {
        snprintf(err, err_len, "cannot read the registers of thread %d: %s", (int)tid, strerror(errno));
        ptrace_thread_release(t);
        return -1;
    }
    return 0;
}

/* Bytes of the largest XSAVE area this CPU supports (CPUID leaf 0xd). */
static size_t xstate_size(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_count(0xd, 0, &a, &b, &c, &d) && c > 0)
        return c;
    return XSTATE_FALLBACK_SIZE;
}

int ptrace_thread_save_xstate(ptrace_thread *t, char *err, size_t err_len)
{
    size_t size = xstate_size();
    uint8_t *buf = malloc(size);
    if (!buf) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    struct iovec iov = { buf, size };
    if (ptrace(PTRACE_GETREGSET, t->tid, (void *)NT_X86_XSTATE, &iov) != 0) {
        snprintf(err, err_len, "cannot read the extended registers of thread %d: %s", (int)t->tid,
                 strerror(errno));
        free(buf);
        return -1;
    }
    free(t->xstate);
    t->xstate = buf;
    t->xstate_len = iov.iov_len;
    return 0;
}

int ptrace_thread_restore(ptrace_thread *t, char *err, size_t err_len)
{
    if (ptrace(PTRACE_SETREGS, t->tid, NULL, &t->regs) != 0) {
        snprintf(err, err_len, "cannot restore the registers of thread %d: %s", (int)t->tid, strerror(errno));
        return -1;
    }
    struct iovec iov = { t->xstate, t->xstate_len };
    if (t->xstate && ptrace(PTRACE_SETREGSET, t->tid, (void *)NT_X86_XSTATE, &iov) != 0) {
        snprintf(err, err_len, "cannot restore the extended registers of thread %d: %s", (int)t->tid,
                 strerror(errno));
        return -1;
    }
    return 0;
}

void ptrace_thread_release(ptrace_thread *t)
{
    char ignored[128];
    if (t->seized && !t->stopped)
        ptrace_thread_interrupt(t, RELEASE_TIMEOUT_MS, ignored, sizeof ignored);
    if (t->seized)
        ptrace(PTRACE_DETACH, t->tid, NULL, NULL);
    free(t->xstate);
    pid_t tid = t->tid;
    memset(t, 0, sizeof *t);
    t->tid = tid;
}

static int compare_tids(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

int ptrace_process_threads(pid_t pid, pid_t *tids, size_t max, char *err, size_t err_len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    if (!dir) {
        if (errno == ENOENT)
            snprintf(err, err_len, "process %d does not exist", (int)pid);
        else
            snprintf(err, err_len, "cannot list the threads of %d: %s", (int)pid, strerror(errno));
        return -1;
    }
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) && n < max) {
        char *end;
        long tid = strtol(e->d_name, &end, 10);
        if (*end == '\0' && tid > 0)
            tids[n++] = (pid_t)tid;
    }
    closedir(dir);
    qsort(tids, n, sizeof *tids, compare_tids);
    return (int)n;
}
