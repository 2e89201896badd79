/* sigaction()/signal() interposition for the signals the probe claims, the program's recorded
 * ("chained") disposition of each, and chaining to it from our handlers without locks. */
#include "signal_interpose.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KERNEL_SIGSET_BYTES 8 /* the kernel's signal mask: bit n-1 for signal n */
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000 /* set by libc for its signal return trampoline */
#endif

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef sighandler_t (*signal_fn)(int, sighandler_t);

/* The program's disposition of a claimed signal, written under a sequence lock (odd while a
 * writer holds it) so that handlers read it without blocking. */
typedef struct claim {
    atomic_bool claimed;
    atomic_uint seq;
    _Atomic uintptr_t handler; /* sa_handler or sa_sigaction, SIG_DFL and SIG_IGN included */
    atomic_int flags;
    _Atomic uint64_t mask;
} claim;

typedef struct program_action {
    uintptr_t handler;
    int flags;
    uint64_t mask;
} program_action;

static claim claims[_NSIG];
static _Atomic(sigaction_fn) real_sigaction_fn;
static _Atomic(signal_fn) real_signal_fn;

/* defined by the linker around the section, in this module */
extern const char __start_podbug_handler_text[] __attribute__((visibility("hidden")));
extern const char __stop_podbug_handler_text[] __attribute__((visibility("hidden")));

static sigaction_fn real_sigaction(void)
{
    sigaction_fn fn = atomic_load(&real_sigaction_fn);
    if (!fn) {
        fn = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
        atomic_store(&real_sigaction_fn, fn);
    }
    return fn;
}

static signal_fn real_signal(void)
{
    signal_fn fn = atomic_load(&real_signal_fn);
    if (!fn) {
        fn = (signal_fn)dlsym(RTLD_NEXT, "signal");
        atomic_store(&real_signal_fn, fn);
    }
    return fn;
}

/* Resolve early: a handler that restores SIG_DFL must not be the first to call dlsym. */
__attribute__((constructor)) static void resolve_real_functions(void)
{
    real_sigaction();
    real_signal();
}

PODBUG_HANDLER_TEXT static uint64_t signal_bit(int signo)
{
    return (uint64_t)1 << (signo - 1);
}

static uint64_t mask_from_sigset(const sigset_t *set)
{
    uint64_t mask = 0;
    for (int signo = 1; signo < _NSIG; signo++)
        if (sigismember(set, signo) == 1)
            mask |= signal_bit(signo);
    return mask;
}

static void sigset_from_mask(uint64_t mask, sigset_t *set)
{
    sigemptyset(set);
    for (int signo = 1; signo < _NSIG; signo++)
        if (mask & signal_bit(signo))
            sigaddset(set, signo);
}

PODBUG_HANDLER_TEXT static void lock_claim(claim *c)
{
    for (;;) {
        unsigned seq = atomic_load_explicit(&c->seq, memory_order_relaxed);
        if (!(seq & 1) && atomic_compare_exchange_weak_explicit(&c->seq, &seq, seq + 1,
                                                                memory_order_acquire,
                                                                memory_order_relaxed))
            break;
        syscall(SYS_sched_yield);
    }
    atomic_thread_fence(memory_order_release);
}

PODBUG_HANDLER_TEXT static void unlock_claim(claim *c)
{
    atomic_fetch_add_explicit(&c->seq, 1, memory_order_release);
}

/* Caller holds the claim's lock. */
PODBUG_HANDLER_TEXT static void store_action(claim *c, program_action action)
{
    atomic_store_explicit(&c->handler, action.handler, memory_order_relaxed);
    atomic_store_explicit(&c->flags, action.flags, memory_order_relaxed);
    atomic_store_explicit(&c->mask, action.mask, memory_order_relaxed);
}

/* Caller holds the claim's lock, or checks the sequence around the call. */
PODBUG_HANDLER_TEXT static program_action load_action(claim *c)
{
    program_action action = {
        .handler = atomic_load_explicit(&c->handler, memory_order_relaxed),
        .flags = atomic_load_explicit(&c->flags, memory_order_relaxed),
        .mask = atomic_load_explicit(&c->mask, memory_order_relaxed),
    };
    return action;
}

PODBUG_HANDLER_TEXT static program_action read_action(claim *c)
{
    for (;;) {
        unsigned before = atomic_load_explicit(&c->seq, memory_order_acquire);
        program_action action = load_action(c);
        atomic_thread_fence(memory_order_acquire);
        if (!(before & 1) && atomic_load_explicit(&c->seq, memory_order_relaxed) == before)
            return action;
        syscall(SYS_sched_yield);
    }
}

static program_action action_from_sigaction(const struct sigaction *sa)
{
    program_action action = {
        .handler = (sa->sa_flags & SA_SIGINFO) ? (uintptr_t)sa->sa_sigaction
                                               : (uintptr_t)sa->sa_handler,
        .flags = sa->sa_flags & ~SA_RESTORER, /* libc's own business */
        .mask = mask_from_sigset(&sa->sa_mask),
    };
    return action;
}

static void sigaction_from_action(program_action action, struct sigaction *sa)
{
    memset(sa, 0, sizeof *sa);
    if (action.flags & SA_SIGINFO)
        sa->sa_sigaction = (void (*)(int, siginfo_t *, void *))action.handler;
    else
        sa->sa_handler = (sighandler_t)action.handler;
    sa->sa_flags = action.flags;
    sigset_from_mask(action.mask, &sa->sa_mask);
}

/* Claim updates run with every signal blocked, so no handler can interrupt a writer on its
 * own thread and wait for it forever. */
static void block_all_signals(sigset_t *saved)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, saved);
}

int signal_interpose_claim(int signo, signal_interpose_handler handler, int flags,
                           const sigset_t *mask, char *err, size_t err_len)
{
    sigaction_fn real = real_sigaction();
    if (signo <= 0 || signo >= _NSIG || !real) {
        snprintf(err, err_len, signo <= 0 || signo >= _NSIG ? "invalid signal number %d"
                 : "cannot find libc's sigaction to claim signal %d", signo);
        return -1;
    }
    struct sigaction ours, previous;
    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = handler;
    ours.sa_flags = flags | SA_SIGINFO;
    ours.sa_mask = *mask;

    claim *c = &claims[signo];
    sigset_t saved;
    block_all_signals(&saved);
    lock_claim(c);
    int rc = real(signo, &ours, &previous);
    if (rc == 0 && !atomic_load(&c->claimed)) {
        store_action(c, action_from_sigaction(&previous));
        atomic_store(&c->claimed, true);
    }
    unlock_claim(c);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (rc < 0) {
        snprintf(err, err_len, "cannot install the probe's handler for signal %d: %s", signo,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* The program's view of a claimed signal: it reads and replaces only its own disposition. */
static int program_sigaction(claim *c, const struct sigaction *act, struct sigaction *oldact)
{
    sigset_t saved;
    block_all_signals(&saved);
    lock_claim(c);
    if (oldact)
        sigaction_from_action(load_action(c), oldact);
    if (act)
        store_action(c, action_from_sigaction(act));
    unlock_claim(c);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    return 0;
}

int sigaction(int signo, const struct sigaction *act, struct sigaction *oldact)
{
    if (signo > 0 && signo < _NSIG && atomic_load(&claims[signo].claimed))
        return program_sigaction(&claims[signo], act, oldact);
    sigaction_fn real = real_sigaction();
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    return real(signo, act, oldact);
}

sighandler_t signal(int signo, sighandler_t handler)
{
    if (signo > 0 && signo < _NSIG && atomic_load(&claims[signo].claimed)) {
        /* glibc's signal(): BSD semantics */
        struct sigaction act, old;
        memset(&act, 0, sizeof act);
        act.sa_handler = handler;
        sigemptyset(&act.sa_mask);
        sigaddset(&act.sa_mask, signo);
        act.sa_flags = SA_RESTART;
        program_sigaction(&claims[signo], &act, &old);
        return old.sa_handler;
    }
    signal_fn real = real_signal();
    if (!real) {
        errno = ENOSYS;
        return SIG_ERR;
    }
    return real(signo, handler);
}

PODBUG_HANDLER_TEXT static bool default_is_ignore(int signo)
{
    return signo == SIGCHLD || signo == SIGURG || signo == SIGWINCH || signo == SIGCONT;
}

/* Restores SIG_DFL and re-raises; the signal is delivered (and kills) once our handler returns,
 * also when the interrupted code had it blocked. */
PODBUG_HANDLER_TEXT static void apply_default_action(int signo, ucontext_t *uc)
{
    if (default_is_ignore(signo))
        return;
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction_fn real = atomic_load(&real_sigaction_fn);
    if (real)
        real(signo, &dfl, NULL);
    *(uint64_t *)&uc->uc_sigmask &= ~signal_bit(signo);
    syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), signo);
}

PODBUG_HANDLER_TEXT void signal_interpose_chain(int signo, siginfo_t *info, void *ucontext)
{
    claim *c = &claims[signo];
    program_action action = read_action(c);
    bool kernel_generated = info->si_code > 0; /* a fault or trap cannot be ignored */
    if (action.handler == (uintptr_t)SIG_IGN && !kernel_generated)
        return;
    if (action.handler == (uintptr_t)SIG_IGN || action.handler == (uintptr_t)SIG_DFL) {
        apply_default_action(signo, ucontext);
        return;
    }
    if (action.flags & SA_RESETHAND) {
        program_action reset = {.handler = (uintptr_t)SIG_DFL};
        lock_claim(c);
        store_action(c, reset);
        unlock_claim(c);
    }
    /* the mask the kernel would have set for the program's handler */
    ucontext_t *uc = ucontext;
    uint64_t during = *(const uint64_t *)&uc->uc_sigmask | action.mask |
                      ((action.flags & SA_NODEFER) ? 0 : signal_bit(signo));
    uint64_t saved;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &during, &saved, KERNEL_SIGSET_BYTES);
    if (action.flags & SA_SIGINFO)
        ((void (*)(int, siginfo_t *, void *))action.handler)(signo, info, ucontext);
    else
        ((void (*)(int))action.handler)(signo);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &saved, NULL, KERNEL_SIGSET_BYTES);
}

void signal_interpose_handler_mask(sigset_t *out)
{
    static const int synchronous[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
    sigfillset(out);
    for (size_t i = 0; i < sizeof synchronous / sizeof synchronous[0]; i++)
        sigdelset(out, synchronous[i]);
}

bool signal_interpose_in_handler_text(uintptr_t addr)
{
    return addr >= (uintptr_t)__start_podbug_handler_text &&
           addr < (uintptr_t)__stop_podbug_handler_text;
}

bool signal_interpose_queue(pid_t tid, int signo, uint64_t cookie)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = signo;
    info.si_code = SI_QUEUE;
    info.si_pid = getpid();
    info.si_uid = getuid();
    info.si_value.sival_ptr = (void *)(uintptr_t)cookie;
    return syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, signo, &info) == 0 || errno != ESRCH;
}
