/* Stop mode: parking threads in signal handlers on a futex generation counter, the per-thread
 * records of parked threads with their stacks, the queue of breakpoint events, resume.
 *
 * The stop signal is SIGRTMIN+5 unless PODBUG_STOP_SIGNAL names another signal number. The
 * agent sends it with rt_tgsigqueueinfo and a cookie (magic + stop generation), so that the
 * handler tells our requests from the program's own uses of that signal (chained to the
 * program) and ignores a request that arrives after the stop it belonged to has ended.
 *
 * A stop is a generation of the shared 32-bit counter `generation`: the process is stopped
 * while stopped_generation == generation, and resume increments the counter and wakes every
 * futex waiter. A thread is parked when its record says so for the current generation.
 *
 * Hits: the breakpoints at the site filter every hit first (conditions and hit conditions, in
 * the hitting thread); a hit no breakpoint wants returns at once and the thread runs on, with no
 * event and no wake-up (except the one that tells the agent a condition failed for the first
 * time, so that it reports it).
 *
 * Events: every wanted hit queues one event tagged with its generation, with the ids of the
 * breakpoints that wanted it, including hits by threads that reach a breakpoint while the process
 * is already stopping; all of them park.
 * stopper_take_event returns the current stop's events in hit order and drops older ones: the
 * agent reports the first as the stop reason and may report or discard the rest. The queue
 * holds MAX_EVENTS unreported hits; beyond that a hit still parks but is not queued. Hits are
 * honoured only while enabled (the default; the agent disables them when the probe is
 * disconnected).
 *
 * A thread whose stop request finds it inside a fast breakpoint's trampoline or C entry (no
 * unwind information there) does not park: it remembers the stop (declined_stop), counts itself
 * in `declined` and returns. Its next trampoline call leaves through the exit int3 (where the
 * thread has the program's registers at the breakpoint address) and parks there; stop_all also
 * asks every thread not parked yet again shortly after.
 *
 * Known limitations: a thread that blocks the stop signal (a sigwait() thread, say) keeps
 * running until it unblocks it (stop_all does not wait for it once it sleeps, and waits for it
 * until the timeout while it is runnable; the request stays pending), and
 * a nanosleep interrupted by the stop signal returns EINTR to the program. */
#define UNW_LOCAL_ONLY
#include "stopper.h"

#include "bp_conditions.h"
#include "fast_sites.h"
#include "frame_capture.h"
#include "signal_interpose.h"
#include "stepper.h"
#include "trap.h"

#include <dirent.h>
#include <errno.h>
#include <libunwind.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define MAX_EVENTS 64
#define STOP_COOKIE_MAGIC 0x70646267ull /* "pdbg" */
#define STOP_POLL_NS 1000000L

_Static_assert(STOP_EVENT_MAX_IDS == BP_CONDITIONS_MAX_PER_ADDRESS, "an event holds every id of a site");

enum event_state { EVENT_FREE, EVENT_WRITING, EVENT_READY };

typedef struct thread_record {
    atomic_int tid;           /* 0 when free; claimed by a thread while it is parked */
    atomic_int parked;
    atomic_int released;      /* woken alone (a step) while the others stay parked */
    atomic_uint generation;   /* the stop it parked for */
    ucontext_t *context;      /* the parked thread's interrupted context (on its stack) */
    int frame_count;
    frame_regs frames[STOPPER_MAX_FRAMES];
} thread_record;

typedef struct event_slot {
    atomic_int state;
    unsigned generation;
    uint64_t sequence;
    stop_event event;
} event_slot;

static thread_record records[STOPPER_MAX_THREADS];
static event_slot events[MAX_EVENTS];
static atomic_uint_fast64_t event_sequence;
static atomic_uint generation;                    /* the stop; resume increments it */
static atomic_uint wake_sequence;                 /* futex word: bumped by every wake-up */
static atomic_uint stopped_generation = UINT_MAX; /* == generation while stopped */
static atomic_bool enabled = true;
static atomic_uint declined;                      /* stop requests answered from a trampoline */
/* The stop (+ 1) this thread declined inside a trampoline; 0: none. */
static __thread __attribute__((tls_model("initial-exec"))) unsigned declined_stop;
static atomic_int notify_fd = -1;
static pid_t agent_tid;
static int stop_signal;

/* ---- handler side: no allocation, no locks; I/O is the one notify byte ------------------- */

PODBUG_HANDLER_TEXT static pid_t current_tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

PODBUG_HANDLER_TEXT static thread_record *claim_record(pid_t tid)
{
    size_t start = (size_t)tid % STOPPER_MAX_THREADS;
    for (size_t i = 0; i < STOPPER_MAX_THREADS; i++) {
        thread_record *r = &records[(start + i) % STOPPER_MAX_THREADS];
        int expected = 0;
        if (atomic_compare_exchange_strong_explicit(&r->tid, &expected, tid,
                                                    memory_order_acquire, memory_order_relaxed))
            return r;
    }
    return NULL; /* more parked threads than records: parks unlisted */
}

PODBUG_HANDLER_TEXT static void notify_agent(void)
{
    int fd = atomic_load_explicit(&notify_fd, memory_order_relaxed);
    if (fd >= 0) {
        static const char wake = 'b';
        ssize_t written = write(fd, &wake, 1);
        (void)written; /* a full pipe already holds a wake-up */
    }
}

PODBUG_HANDLER_TEXT void stopper_notify_agent(void)
{
    notify_agent();
}

PODBUG_HANDLER_TEXT static void queue_event(pid_t tid, uintptr_t address, const int64_t *ids,
                                            size_t n_ids, unsigned stop)
{
    for (size_t i = 0; i < MAX_EVENTS; i++) {
        event_slot *e = &events[i];
        int expected = EVENT_FREE;
        if (!atomic_compare_exchange_strong_explicit(&e->state, &expected, EVENT_WRITING,
                                                     memory_order_acquire, memory_order_relaxed))
            continue;
        e->generation = stop;
        e->sequence = atomic_fetch_add_explicit(&event_sequence, 1, memory_order_relaxed);
        e->event.tid = tid;
        e->event.address = address;
        e->event.n_ids = n_ids;
        for (size_t k = 0; k < n_ids; k++)
            e->event.ids[k] = ids[k];
        atomic_store_explicit(&e->state, EVENT_READY, memory_order_release);
        return;
    }
}

/* Records this thread's stack and waits until the stop `stop` ends. */
PODBUG_HANDLER_TEXT static void park(ucontext_t *uc, unsigned stop, bool notify)
{
    thread_record *r = claim_record(current_tid());
    if (r) {
        r->context = uc;
        r->frame_count = frame_capture(uc, r->frames, STOPPER_MAX_FRAMES);
        atomic_store_explicit(&r->generation, stop, memory_order_relaxed);
        atomic_store_explicit(&r->parked, 1, memory_order_release);
    }
    if (notify)
        notify_agent();
    for (;;) {
        unsigned seen = atomic_load_explicit(&wake_sequence, memory_order_acquire);
        if (atomic_load_explicit(&generation, memory_order_acquire) != stop ||
            (r && atomic_load_explicit(&r->released, memory_order_acquire)))
            break;
        syscall(SYS_futex, &wake_sequence, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
    }
    if (r) {
        atomic_store_explicit(&r->released, 0, memory_order_relaxed);
        atomic_store_explicit(&r->parked, 0, memory_order_relaxed);
        atomic_store_explicit(&r->tid, 0, memory_order_release);
    }
}

/* Queues this thread's event (a hit, or a fatal signal without ids) and parks it until the
 * stop ends. */
PODBUG_HANDLER_TEXT static void stop_here(uintptr_t address, const int64_t *ids, size_t n_ids,
                                          void *ucontext)
{
    unsigned stop = atomic_load_explicit(&generation, memory_order_acquire);
    queue_event(current_tid(), address, ids, n_ids, stop);
    atomic_store_explicit(&stopped_generation, stop, memory_order_release);
    park(ucontext, stop, true);
}

/* A thread that declined the current stop in a trampoline parks now, at a breakpoint address. */
PODBUG_HANDLER_TEXT static void park_if_declined(void *ucontext)
{
    unsigned asked = declined_stop;
    declined_stop = 0;
    if (asked && asked - 1 == atomic_load_explicit(&generation, memory_order_acquire) &&
        asked - 1 == atomic_load_explicit(&stopped_generation, memory_order_acquire))
        park(ucontext, asked - 1, false);
}

PODBUG_HANDLER_TEXT bool stopper_stop_declined(void)
{
    unsigned asked = declined_stop;
    if (asked && (asked - 1 != atomic_load_explicit(&generation, memory_order_acquire) ||
                  asked - 1 != atomic_load_explicit(&stopped_generation, memory_order_acquire)))
        declined_stop = asked = 0; /* that stop has ended */
    return asked != 0;
}

PODBUG_HANDLER_TEXT static void on_breakpoint_hit(uintptr_t addr, void *ucontext)
{
    if (!atomic_load_explicit(&enabled, memory_order_acquire))
        return;
    int64_t ids[STOP_EVENT_MAX_IDS];
    uint64_t errors_before = bp_conditions_news();
    size_t n_ids = bp_conditions_filter(addr, ucontext, ids, STOP_EVENT_MAX_IDS);
    if (n_ids == 0) {
        if (bp_conditions_news() != errors_before)
            notify_agent();
        stepper_on_site(addr, ucontext);
        park_if_declined(ucontext);
        return;
    }
    declined_stop = 0;
    stepper_end_at_breakpoint(ucontext);
    stop_here(addr, ids, n_ids, ucontext);
}

PODBUG_HANDLER_TEXT bool stopper_park_exception(uintptr_t pc, void *ucontext)
{
    if (!atomic_load_explicit(&enabled, memory_order_acquire) || current_tid() == agent_tid)
        return false;
    stop_here(pc, NULL, 0, ucontext);
    return true;
}

PODBUG_HANDLER_TEXT void stopper_park_here(void *ucontext)
{
    unsigned stop = atomic_load_explicit(&generation, memory_order_acquire);
    atomic_store_explicit(&stopped_generation, stop, memory_order_release);
    park(ucontext, stop, true);
}

PODBUG_HANDLER_TEXT static void stop_signal_handler(int signo, siginfo_t *info, void *ucontext)
{
    int saved_errno = errno;
    uint64_t cookie = (uint64_t)(uintptr_t)info->si_value.sival_ptr;
    bool ours = info->si_code == SI_QUEUE && info->si_pid == (pid_t)syscall(SYS_getpid) &&
                (cookie >> 32) == STOP_COOKIE_MAGIC;
    if (!ours) {
        signal_interpose_chain(signo, info, ucontext);
    } else {
        unsigned stop = (unsigned)cookie;
        ucontext_t *uc = ucontext;
        /* a late request, for a stop that has ended, is dropped */
        bool current = stop == atomic_load_explicit(&generation, memory_order_acquire) &&
                       stop == atomic_load_explicit(&stopped_generation, memory_order_acquire);
        if (current && fast_sites_thread_inside((uintptr_t)uc->uc_mcontext.gregs[REG_RIP])) {
            declined_stop = stop + 1;
            atomic_fetch_add_explicit(&declined, 1, memory_order_release); /* asked again */
        } else if (current) {
            park(ucontext, stop, false);
        }
    }
    errno = saved_errno;
}

/* ---- agent side ------------------------------------------------------------------------- */

static int choose_stop_signal(char *err, size_t err_len)
{
    const char *text = getenv("PODBUG_STOP_SIGNAL");
    if (!text || !*text)
        return SIGRTMIN + 5;
    char *end;
    long signo = strtol(text, &end, 10);
    bool reserved = signo == SIGKILL || signo == SIGSTOP || signo == SIGTRAP ||
                    signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE;
    if (*end || signo <= 0 || signo >= _NSIG || reserved) {
        snprintf(err, err_len, "PODBUG_STOP_SIGNAL=%s is not a usable signal number", text);
        return -1;
    }
    return (int)signo;
}

/* libunwind's first use initialises global state (locks, allocation): do it here, not in a
 * handler, and keep its caches per thread (UNW_CACHE_NONE takes the loader lock per frame). */
static void warm_unwinder(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    unw_context_t context;
    unw_cursor_t cursor;
    unw_getcontext(&context);
    if (unw_init_local(&cursor, &context) == 0)
        while (unw_step(&cursor) > 0)
            ;
}

int stopper_init(int fd, pid_t agent, char *err, size_t err_len)
{
    int signo = choose_stop_signal(err, err_len);
    if (signo < 0 || trap_init(err, err_len) < 0)
        return -1;
    warm_unwinder();
    sigset_t mask;
    signal_interpose_handler_mask(&mask);
    if (signal_interpose_claim(signo, stop_signal_handler, SA_RESTART, &mask, err, err_len) < 0)
        return -1;
    stop_signal = signo;
    agent_tid = agent;
    atomic_store(&notify_fd, fd);
    trap_ignore_thread(agent);
    trap_set_hit_handler(on_breakpoint_hit);
    trap_set_trace_handler(stepper_on_trace);
    return 0;
}

void stopper_set_enabled(bool on)
{
    atomic_store_explicit(&enabled, on, memory_order_release);
}

bool stopper_take_event(stop_event *out)
{
    unsigned stop = atomic_load_explicit(&generation, memory_order_acquire);
    event_slot *first = NULL;
    for (size_t i = 0; i < MAX_EVENTS; i++) {
        event_slot *e = &events[i];
        if (atomic_load_explicit(&e->state, memory_order_acquire) != EVENT_READY)
            continue;
        if (e->generation != stop)
            atomic_store_explicit(&e->state, EVENT_FREE, memory_order_release); /* an old stop's */
        else if (!first || e->sequence < first->sequence)
            first = e;
    }
    if (!first)
        return false;
    *out = first->event;
    atomic_store_explicit(&first->state, EVENT_FREE, memory_order_release);
    return true;
}

/* Parked for stop and not woken alone (a released thread is on its way out of park). */
static bool still_parked(const thread_record *r, unsigned stop)
{
    return atomic_load_explicit(&r->parked, memory_order_acquire) &&
           !atomic_load_explicit(&r->released, memory_order_acquire) &&
           atomic_load_explicit(&r->generation, memory_order_relaxed) == stop;
}

static const thread_record *parked_record(pid_t tid, unsigned stop)
{
    for (size_t i = 0; i < STOPPER_MAX_THREADS; i++) {
        const thread_record *r = &records[i];
        if (atomic_load_explicit(&r->tid, memory_order_acquire) == tid && still_parked(r, stop))
            return r;
    }
    return NULL;
}

static size_t collect_parked(unsigned stop, pid_t *tids, size_t max)
{
    size_t count = 0;
    for (size_t i = 0; i < STOPPER_MAX_THREADS; i++) {
        const thread_record *r = &records[i];
        pid_t tid = atomic_load_explicit(&r->tid, memory_order_acquire);
        if (tid && still_parked(r, stop)) {
            if (tids && count < max)
                tids[count] = tid;
            count++;
        }
    }
    return count;
}

/* Sends the stop request for `stop`; false when the thread is gone. */
static bool send_stop_request(pid_t tid, unsigned stop)
{
    return signal_interpose_queue(tid, stop_signal, (STOP_COOKIE_MAGIC << 32) | stop);
}

static bool contains(const pid_t *tids, size_t count, pid_t tid)
{
    for (size_t i = 0; i < count; i++)
        if (tids[i] == tid)
            return true;
    return false;
}

static bool access_task(pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)tid);
    return access(path, F_OK) == 0;
}

/* False when the thread is gone, or sleeps blocking the stop signal (a sigwait() thread, say):
 * it cannot park until it unblocks it, so stop_all does not wait for it. A thread inside our
 * handlers blocks it too, on its way to park by itself: during the first BLOCKED_GRACE_NS of a
 * stop every live thread is waited for, and after that every runnable one (a thread preempted in
 * our handler, or one that declined in a trampoline and parks at its next call, is runnable). */
#define BLOCKED_GRACE_NS (20 * 1000000L)
static bool can_park(pid_t tid, bool in_grace)
{
    if (in_grace)
        return access_task(tid);
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    FILE *status = fopen(path, "re");
    if (!status)
        return false;
    unsigned long long blocked = 0;
    char state = '?';
    while (fgets(line, sizeof line, status)) {
        sscanf(line, "State: %c", &state);
        if (sscanf(line, "SigBlk: %llx", &blocked) == 1)
            break;
    }
    fclose(status);
    return state == 'R' || !((blocked >> (stop_signal - 1)) & 1);
}

/* One pass over /proc/self/task: requests a stop from every thread not yet asked (threads
 * created meanwhile included). Returns how many live threads are still expected to park. */
static size_t request_stops(unsigned stop, pid_t *asked, size_t *asked_count, bool in_grace)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        return 0;
    size_t pending = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        pid_t tid = (pid_t)atoi(entry->d_name);
        if (tid <= 0 || tid == agent_tid || parked_record(tid, stop))
            continue;
        if (!contains(asked, *asked_count, tid)) {
            if (*asked_count == STOPPER_MAX_THREADS || !send_stop_request(tid, stop))
                continue;
            asked[(*asked_count)++] = tid;
        }
        pending += can_park(tid, in_grace);
    }
    closedir(dir);
    return pending;
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int stopper_stop_all(int timeout_ms)
{
    unsigned stop = atomic_load_explicit(&generation, memory_order_acquire);
    atomic_store_explicit(&stopped_generation, stop, memory_order_release);
    static pid_t asked[STOPPER_MAX_THREADS];
    size_t asked_count = 0;
    unsigned declined_seen = atomic_load_explicit(&declined, memory_order_acquire);
    int64_t start = monotonic_ns();
    int64_t deadline = start + (int64_t)timeout_ms * 1000000;
    while (request_stops(stop, asked, &asked_count, monotonic_ns() - start < BLOCKED_GRACE_NS) > 0 &&
           monotonic_ns() < deadline) {
        unsigned now = atomic_load_explicit(&declined, memory_order_acquire);
        if (now != declined_seen) { /* a thread in a trampoline: ask the unparked ones again */
            declined_seen = now;
            asked_count = 0;
        }
        struct timespec pause = {0, STOP_POLL_NS};
        nanosleep(&pause, NULL);
    }
    return (int)collect_parked(stop, NULL, 0);
}

size_t stopper_parked_threads(pid_t *tids, size_t max)
{
    size_t count = collect_parked(atomic_load(&generation), tids, max);
    return count < max ? count : max;
}

bool stopper_thread_parked(pid_t tid)
{
    return parked_record(tid, atomic_load(&generation)) != NULL;
}

int stopper_thread_frames(pid_t tid, frame_regs *frames, size_t max)
{
    const thread_record *r = parked_record(tid, atomic_load(&generation));
    if (!r)
        return -1;
    size_t count = (size_t)r->frame_count < max ? (size_t)r->frame_count : max;
    memcpy(frames, r->frames, count * sizeof *frames);
    return (int)count;
}

int stopper_set_register(pid_t tid, int regno, uint64_t value)
{
    thread_record *r = (thread_record *)parked_record(tid, atomic_load(&generation));
    if (!r || regno < 0 || regno >= FRAME_REG_COUNT || regno == DWREG_RIP || regno == DWREG_RSP)
        return -1;
    frame_capture_set_register(r->context, regno, value);
    r->frames[0].reg[regno] = value;
    return 0;
}

bool stopper_is_stopped(void)
{
    return atomic_load_explicit(&stopped_generation, memory_order_acquire) ==
           atomic_load_explicit(&generation, memory_order_acquire);
}

static void wake_parked(void)
{
    atomic_fetch_add_explicit(&wake_sequence, 1, memory_order_release);
    syscall(SYS_futex, &wake_sequence, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void stopper_resume_all(void)
{
    atomic_fetch_add_explicit(&generation, 1, memory_order_release);
    wake_parked();
}

int stopper_resume_thread(pid_t tid)
{
    thread_record *r = (thread_record *)parked_record(tid, atomic_load(&generation));
    if (!r)
        return -1;
    atomic_store_explicit(&r->released, 1, memory_order_release);
    wake_parked();
    return 0;
}

#define EFLAGS_TRAP_FLAG 0x100

int stopper_set_trace_flag(pid_t tid, bool on)
{
    thread_record *r = (thread_record *)parked_record(tid, atomic_load(&generation));
    if (!r)
        return -1;
    greg_t *flags = &r->context->uc_mcontext.gregs[REG_EFL];
    *flags = on ? (*flags | EFLAGS_TRAP_FLAG) : (*flags & ~(greg_t)EFLAGS_TRAP_FLAG);
    return 0;
}
