/* Function calls run in a stopped thread of another process (see remote_call.h): registers set
 * for the call, PTRACE_CONT until the return to address 0 faults, held signals, exact restore. */
#include "remote_call.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define RED_ZONE 128
#define EFLAGS_TF 0x100u
#define EFLAGS_DF 0x400u
#define INTERRUPT_TIMEOUT_MS 1000
#define PAGE_SIZE_4K 4096u

int remote_call_begin(remote_call *c, ptrace_thread *t, char *err, size_t err_len)
{
    memset(c, 0, sizeof *c);
    c->thread = t;
    c->scratch = t->regs.rsp - RED_ZONE;
    return ptrace_thread_save_xstate(t, err, err_len);
}

static int write_target(pid_t tid, uint64_t address, const void *bytes, size_t len, char *err, size_t err_len)
{
    struct iovec local = { (void *)bytes, len }, remote = { (void *)(uintptr_t)address, len };
    ssize_t n = process_vm_writev(tid, &local, 1, &remote, 1, 0);
    if (n != (ssize_t)len) {
        snprintf(err, err_len, "cannot write to the stack of thread %d at %#llx: %s", (int)tid,
                 (unsigned long long)address, n < 0 ? strerror(errno) : "short write");
        return -1;
    }
    return 0;
}

uint64_t remote_call_push(remote_call *c, const void *bytes, size_t len, char *err, size_t err_len)
{
    uint64_t at = (c->scratch - len) & ~(uint64_t)15;
    if (write_target(c->thread->tid, at, bytes, len, err, err_len) != 0)
        return 0;
    c->scratch = at;
    return at;
}

uint64_t remote_call_push_string(remote_call *c, const char *s, char *err, size_t err_len)
{
    return remote_call_push(c, s, strlen(s) + 1, err, err_len);
}

/* A fault the called code caused itself (the kernel raised it for an instruction), as opposed to
 * a signal sent to the program. */
static bool is_own_fault(const siginfo_t *si)
{
    int sig = si->si_signo;
    return (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP) && si->si_code > 0;
}

static int resume(ptrace_thread *t, int sig, char *err, size_t err_len)
{
    if (ptrace(PTRACE_CONT, t->tid, NULL, (void *)(uintptr_t)sig) != 0) {
        snprintf(err, err_len, "cannot resume thread %d: %s", (int)t->tid, strerror(errno));
        return -1;
    }
    t->stopped = false;
    return 0;
}

/* Sets up the registers for function(args) with a return address of 0 below c->scratch. */
static int enter_call(remote_call *c, uint64_t function, const uint64_t *args, size_t n_args, char *err,
                      size_t err_len)
{
    ptrace_thread *t = c->thread;
    struct user_regs_struct regs = t->regs;
    uint64_t return_slot = (c->scratch & ~(uint64_t)15) - 8, zero = 0;
    if (write_target(t->tid, return_slot, &zero, sizeof zero, err, err_len) != 0)
        return -1;
    unsigned long long *arg_regs[6] = { &regs.rdi, &regs.rsi, &regs.rdx, &regs.rcx, &regs.r8, &regs.r9 };
    for (size_t i = 0; i < n_args; i++)
        *arg_regs[i] = args[i];
    regs.rsp = return_slot;
    regs.rip = function;
    regs.rax = 0;
    regs.orig_rax = (unsigned long long)-1;
    regs.eflags &= ~(unsigned long long)(EFLAGS_TF | EFLAGS_DF);
    if (ptrace(PTRACE_SETREGS, t->tid, NULL, &regs) != 0) {
        snprintf(err, err_len, "cannot set the registers of thread %d: %s", (int)t->tid, strerror(errno));
        return -1;
    }
    return resume(t, 0, err, err_len);
}

/* At a signal-delivery-stop of the call: 1 when the call returned (*result set), -1 with err when it
 * faulted, 0 when the signal is the program's (held, or passed on when too many are held). */
static int on_signal(remote_call *c, uint64_t *result, char *err, size_t err_len)
{
    ptrace_thread *t = c->thread;
    siginfo_t si;
    struct user_regs_struct now;
    if (ptrace(PTRACE_GETSIGINFO, t->tid, NULL, &si) != 0 || ptrace(PTRACE_GETREGS, t->tid, NULL, &now) != 0) {
        snprintf(err, err_len, "cannot read the state of thread %d: %s", (int)t->tid, strerror(errno));
        return -1;
    }
    if (is_own_fault(&si)) {
        if (si.si_signo == SIGSEGV && now.rip == 0) {
            *result = now.rax;
            return 1;
        }
        snprintf(err, err_len, "the call crashed with SIG%s at %#llx", sigabbrev_np(si.si_signo),
                 (unsigned long long)now.rip);
        return -1;
    }
    int pass = 0;
    if (c->n_held < REMOTE_CALL_MAX_HELD_SIGNALS)
        c->held[c->n_held++] = si;
    else {
        pass = si.si_signo;
        c->n_passed++;
    }
    return resume(t, pass, err, err_len) == 0 ? 0 : -1;
}

int remote_call_run(remote_call *c, uint64_t function, const uint64_t *args, size_t n_args, int timeout_ms,
                    uint64_t *result, char *err, size_t err_len)
{
    ptrace_thread *t = c->thread;
    if (n_args > 6) {
        snprintf(err, err_len, "a remote call takes at most 6 arguments");
        return -1;
    }
    if (enter_call(c, function, args, n_args, err, err_len) != 0)
        return -1;
    c->at_signal_stop = false;
    int64_t deadline = ptrace_now_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        int left_ms = (int)((deadline - ptrace_now_us()) / 1000), status;
        int rc = ptrace_thread_wait(t, left_ms > 0 ? left_ms : 0, &status, err, err_len);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            ptrace_thread_interrupt(t, INTERRUPT_TIMEOUT_MS, err, err_len);
            snprintf(err, err_len, "the call did not return within %d ms", timeout_ms);
            return -1;
        }
        if (status >> 16 != 0) {
            /* A group-stop (the program was stopped meanwhile): the call goes on; the thread
             * stops with its process again once it is detached. */
            if (resume(t, 0, err, err_len) != 0)
                return -1;
            continue;
        }
        c->at_signal_stop = true;
        int outcome = on_signal(c, result, err, err_len);
        if (outcome != 0)
            return outcome > 0 ? 0 : -1;
        c->at_signal_stop = false;
    }
}

/* Delivers held signal si as if it arrived now: from a signal-delivery-stop with its siginfo
 * (the thread is stopped again right after), otherwise queued to the thread (its siginfo then
 * says it came from us). */
static int deliver_held(remote_call *c, const siginfo_t *si, char *err, size_t err_len)
{
    ptrace_thread *t = c->thread;
    if (!c->at_signal_stop) {
        if (syscall(SYS_tkill, t->tid, si->si_signo) == 0)
            return 0;
        snprintf(err, err_len, "cannot deliver SIG%s to thread %d: %s", sigabbrev_np(si->si_signo), (int)t->tid,
                 strerror(errno));
        return -1;
    }
    if (ptrace(PTRACE_SETSIGINFO, t->tid, NULL, si) != 0 || resume(t, si->si_signo, err, err_len) != 0)
        return -1;
    c->at_signal_stop = false;
    if (ptrace_thread_interrupt(t, INTERRUPT_TIMEOUT_MS, err, err_len) != 0) {
        char why[200];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, err_len, "SIG%s, sent to the program during the attach and delivered after it: %s",
                 sigabbrev_np(si->si_signo), why);
        return -1;
    }
    return 0;
}

int remote_call_end(remote_call *c, char *err, size_t err_len)
{
    ptrace_thread *t = c->thread;
    if (!t->seized) {
        snprintf(err, err_len, "thread %d is gone", (int)t->tid);
        return -1;
    }
    if (ptrace_thread_restore(t, err, err_len) != 0)
        return -1;
    for (size_t i = 0; i < c->n_held; i++)
        if (deliver_held(c, &c->held[i], err, err_len) != 0)
            return -1;
    if (c->n_held > 0 && t->stopped) {
        /* The thread moved on (into a handler): what it has now is what it resumes with. */
        ptrace(PTRACE_GETREGS, t->tid, NULL, &t->regs);
        free(t->xstate);
        t->xstate = NULL;
        t->xstate_len = 0;
    }
    return 0;
}

int remote_read_string(pid_t pid, uint64_t address, char *out, size_t out_len)
{
    size_t got = 0;
    if (out_len == 0)
        return -1;
    while (got + 1 < out_len) {
        uint64_t at = address + got;
        size_t chunk = PAGE_SIZE_4K - (size_t)(at % PAGE_SIZE_4K);
        if (chunk > out_len - 1 - got)
            chunk = out_len - 1 - got;
        struct iovec local = { out + got, chunk }, remote = { (void *)(uintptr_t)at, chunk };
        if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)chunk)
            return -1;
        void *nul = memchr(out + got, '\0', chunk);
        if (nul)
            return 0;
        got += chunk;
    }
    out[got] = '\0';
    return 0;
}
