/* The fatal-signal handler and its configuration: which signals are caught in which mode, the
 * facts of each crash (kept per crashing thread while it waits), and the stop they cause.
 *
 * Order of actions. Our handler runs first (signal_interpose keeps it installed whatever the
 * program does with sigaction/signal). For a crash of a selected signal — a fault the kernel
 * raised (si_code > 0) or a signal the process sent itself (abort()'s tgkill: SI_TKILL) — it
 * records the facts and, in stop mode, parks the thread like a breakpoint hit: the agent stops
 * every thread and reports `stopped` with reason "exception". Once the thread runs again (the
 * debugger continued, or the probe lost its server) the signal goes on to the program's own
 * disposition, exactly as if podbug were absent: its handler if it installed one, else the default
 * action (the process dies with that signal). Signals sent by other processes, and every signal
 * while its filter is off, go straight to the program's disposition. The agent thread never
 * parks: its own crash goes straight on too.
 *
 * Snapshot mode. No plan can be compiled in a handler, so the crashing thread captures with a
 * stack-only plan (registers of every frame and the stack bytes; the agent reads locals from that
 * copy) into a snapshot slot, wakes the agent and waits, at most CRASH_WAIT_NS, on its record's
 * futex. The agent formats the snapshot, adds the crash (reason, description, exception) and every
 * other thread's frames (it stops them with the stopper for that), sends it, and once the socket
 * has taken the message (agent_after_flush) releases the thread, which then goes on to the
 * program's disposition: the process dies as it would have without podbug, after the server has
 * the snapshot.
 *
 * Reloaded code. Once a hot reload has loaded a generation, every fatal signal is claimed, and a
 * crash whose pc lies in a reloaded generation's code is handled in snapshot mode whatever the
 * filters say; its snapshot names the reload ("reload": {reload_id, module, generation}) so that
 * the server can roll that reload back elsewhere. Other crashes are handled as before.
 *
 * Guarded copies. guarded_copy_init (guarded_copy.h) claims SIGSEGV and SIGBUS with this same
 * handler; a fault raised by one of guarded_copy's loads is recovered before anything else (the
 * copy returns short) and is no crash; every other fault goes on as described above. */
#include "crash_guard.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "guarded_copy.h"
#include "proc_info.h"
#include "reload.h"
#include "safe_mem.h"
#include "signal_interpose.h"
#include "snapshot_capture.h"
#include "stopper.h"
#include "thread_frames.h"

#define CRASH_RECORDS 16            /* threads crashing at once whose facts are kept */
#define PAGE_FAULT_WRITE 0x2        /* x86 page-fault error code: the access was a write */
#define CRASH_WAIT_NS 2000000000LL  /* a crashing thread waits this long for its snapshot to leave */
#define OTHERS_STOP_TIMEOUT_MS 200  /* stopping the other threads to list their frames */
#define CRASH_SNAPSHOT_FRAMES 32
#define CRASH_SNAPSHOT_BYTES (256u * 1024u)

/* Where a crash happened with respect to hot reload. */
typedef struct reload_origin {
    bool in_reloaded_code;          /* the pc was in a reloaded generation: */
    int64_t reload_id;              /* the reload that made it, */
    const char *module;             /* the module's original path (lives for good) */
    int generation;                 /* and its number */
} reload_origin;

typedef struct crash_record {
    atomic_int tid;                 /* 0 when free; -1 while written; the crashing thread while it waits */
    atomic_uint released;           /* futex word: 1 once the agent has sent its snapshot */
    bool reported;                  /* agent: its snapshot was sent, release it after the flush */
    crash_facts facts;
    reload_origin origin;
} crash_record;

static atomic_int modes[_NSIG];      /* exception_mode per signal number */
static atomic_bool claimed[_NSIG];
static crash_record records[CRASH_RECORDS];
static _Atomic(snapshot_plan *) crash_plan; /* stack only; made once, when snapshot mode is first chosen */
static atomic_int agent_tid;          /* configure runs on the agent thread: its tid */

/* ---- handler side ---------------------------------------------------------------------- */

PODBUG_HANDLER_TEXT static bool is_crash(const siginfo_t *info)
{
    if (info->si_code > 0)
        return true; /* raised by the kernel for this thread's instruction */
    return (info->si_code == SI_TKILL || info->si_code == SI_USER) &&
           info->si_pid == (pid_t)syscall(SYS_getpid);
}

PODBUG_HANDLER_TEXT static crash_record *record_crash(int signo, const siginfo_t *info,
                                                      const ucontext_t *uc, const reload_origin *origin)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    for (size_t i = 0; i < CRASH_RECORDS; i++) {
        crash_record *r = &records[i];
        int expected = 0;
        if (!atomic_compare_exchange_strong_explicit(&r->tid, &expected, -1,
                                                     memory_order_acquire, memory_order_relaxed))
            continue;
        bool fault = info->si_code > 0;
        r->facts = (crash_facts){
            .signo = signo,
            .code = info->si_code,
            .address = fault ? (uint64_t)(uintptr_t)info->si_addr : 0,
            .write = fault && signo == SIGSEGV &&
                     (uc->uc_mcontext.gregs[REG_ERR] & PAGE_FAULT_WRITE) != 0,
            .sender_pid = fault ? 0 : info->si_pid,
            .own_pid = (int)syscall(SYS_getpid),
        };
        r->origin = *origin;
        atomic_store_explicit(&r->released, 0, memory_order_relaxed);
        atomic_store_explicit(&r->tid, tid, memory_order_release);
        return r;
    }
    return NULL; /* too many crashing threads: this one stops without details */
}

PODBUG_HANDLER_TEXT static int64_t monotonic_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Waits until the agent releases r, at most CRASH_WAIT_NS. */
PODBUG_HANDLER_TEXT static void wait_released(crash_record *r)
{
    int64_t deadline = monotonic_ns() + CRASH_WAIT_NS;
    while (!atomic_load_explicit(&r->released, memory_order_acquire)) {
        int64_t left = deadline - monotonic_ns();
        if (left <= 0)
            return;
        struct timespec timeout = { (time_t)(left / 1000000000), (long)(left % 1000000000) };
        syscall(SYS_futex, &r->released, FUTEX_WAIT_PRIVATE, 0, &timeout, NULL, 0);
    }
}

PODBUG_HANDLER_TEXT static void fatal_signal_handler(int signo, siginfo_t *info, void *ucontext)
{
    if ((signo == SIGSEGV || signo == SIGBUS) && info->si_code > 0 && guarded_copy_recover(ucontext))
        return;
    int saved_errno = errno;
    ucontext_t *uc = ucontext;
    int mode = atomic_load_explicit(&modes[signo], memory_order_acquire);
    reload_origin origin = { 0 };
    origin.in_reloaded_code = is_crash(info) &&
        reload_pc_in_new_code((uintptr_t)uc->uc_mcontext.gregs[REG_RIP], &origin.reload_id, &origin.module,
                              &origin.generation);
    if (origin.in_reloaded_code)
        mode = EXCEPTION_SNAPSHOT;
    if (mode != EXCEPTION_OFF && is_crash(info)) {
        /* the signal is blocked while this handler runs, and a guarded load faulting with
         * SIGSEGV/SIGBUS blocked kills: what follows reads by system calls */
        safe_mem_use_guarded_reads(false);
        crash_record *r = record_crash(signo, info, uc, &origin);
        const snapshot_plan *plan = atomic_load_explicit(&crash_plan, memory_order_acquire);
        if (mode == EXCEPTION_STOP)
            stopper_park_exception((uintptr_t)uc->uc_mcontext.gregs[REG_RIP], ucontext);
        else if (r && plan && (pid_t)syscall(SYS_gettid) != atomic_load(&agent_tid) &&
                 snapshot_capture(plan, CRASH_SNAPSHOT_ID, uc) >= 0)
            wait_released(r); /* the agent cannot send its own crash: it goes on at once */
        if (r)
            atomic_store_explicit(&r->tid, 0, memory_order_release);
    }
    errno = saved_errno;
    signal_interpose_chain(signo, info, ucontext);
}

/* ---- agent side ------------------------------------------------------------------------ */

static int claim_signal(int signo, char *err, size_t err_len)
{
    if (atomic_load(&claimed[signo]))
        return 0;
    sigset_t mask;
    signal_interpose_handler_mask(&mask);
    /* SA_ONSTACK: a stack overflow is only catchable on the program's alternate stack */
    if (signal_interpose_claim(signo, fatal_signal_handler, SA_ONSTACK, &mask, err, err_len) < 0)
        return -1;
    atomic_store(&claimed[signo], true);
    return 0;
}

/* The pool and the stack-only plan crash snapshots are captured with. */
static int prepare_snapshots(char *err, size_t err_len)
{
    if (atomic_load(&crash_plan))
        return 0;
    if (snapshot_pool_init(err, err_len) != 0)
        return -1;
    snapshot_limits limits = { .max_frames = CRASH_SNAPSHOT_FRAMES, .max_depth = 0,
                               .max_bytes = CRASH_SNAPSHOT_BYTES };
    snapshot_plan *plan = snapshot_plan_stack_only(&limits);
    if (!plan) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    atomic_store(&crash_plan, plan);
    return 0;
}

int crash_guard_configure(const probe_exceptions_set *set, char *err, size_t err_len)
{
    atomic_store(&agent_tid, (int)syscall(SYS_gettid));
    int wanted[_NSIG] = { 0 };
    for (size_t i = 0; i < set->n; i++) {
        int index = fatal_signal_index(set->signals[i].signal);
        int mode = exception_mode_parse(set->signals[i].mode);
        if (index < 0 || mode < 0) {
            snprintf(err, err_len, "signals[%zu]: unknown signal or mode", i);
            return -1;
        }
        int signo = fatal_signals()[index].signo;
        if (mode > wanted[signo])
            wanted[signo] = mode;
        if (mode == EXCEPTION_SNAPSHOT && prepare_snapshots(err, err_len) != 0)
            return -1;
    }
    for (int i = 0; i < FATAL_SIGNAL_COUNT; i++) {
        int signo = fatal_signals()[i].signo;
        if (wanted[signo] != EXCEPTION_OFF && claim_signal(signo, err, err_len) < 0)
            return -1;
    }
    for (int i = 0; i < FATAL_SIGNAL_COUNT; i++) {
        int signo = fatal_signals()[i].signo;
        atomic_store_explicit(&modes[signo], wanted[signo], memory_order_release);
    }
    return 0;
}

int crash_guard_watch_reloads(char *err, size_t err_len)
{
    atomic_store(&agent_tid, (int)syscall(SYS_gettid));
    if (prepare_snapshots(err, err_len) != 0)
        return -1;
    for (int i = 0; i < FATAL_SIGNAL_COUNT; i++)
        if (claim_signal(fatal_signals()[i].signo, err, err_len) < 0)
            return -1;
    return 0;
}

int guarded_copy_init(char *err, size_t err_len)
{
    if (guarded_copy_ready())
        return 0;
    if (claim_signal(SIGSEGV, err, err_len) < 0 || claim_signal(SIGBUS, err, err_len) < 0)
        return -1;
    guarded_copy_set_ready();
    return 0;
}

void crash_guard_reset(void)
{
    for (int i = 0; i < FATAL_SIGNAL_COUNT; i++)
        atomic_store_explicit(&modes[fatal_signals()[i].signo], EXCEPTION_OFF, memory_order_release);
}

static crash_record *find_record(pid_t tid)
{
    for (size_t i = 0; i < CRASH_RECORDS; i++)
        if (atomic_load_explicit(&records[i].tid, memory_order_acquire) == tid)
            return &records[i];
    return NULL;
}

bool crash_guard_describe_stop(pid_t tid, probe_stopped *stopped, char *description, size_t len)
{
    const crash_record *r = find_record(tid);
    if (r) {
        int index = fatal_signal_index_of(r->facts.signo);
        crash_describe(&r->facts, description, len);
        stopped->reason = "exception";
        stopped->description = description;
        stopped->exception = (probe_exception){
            .signal = (char *)fatal_signals()[index].name,
            .code = r->facts.code,
            .address = r->facts.address,
        };
        return true;
    }
    return false;
}

/* {"tid", "name", "frames": [{"pc", "function", "file", "line", "module"}]} of a parked thread. */
static cJSON *thread_json(sym_index *symbols, pid_t tid)
{
    static frame_regs regs[STOPPER_MAX_FRAMES];
    int n = stopper_thread_frames(tid, regs, STOPPER_MAX_FRAMES);
    stack_frame *frames;
    int count = n > 0 ? thread_frames_expand(symbols, regs, (size_t)n, &frames) : -1;
    if (count < 0)
        return NULL;
    char name[32], pc[24];
    proc_thread_name(tid, name, sizeof name);
    cJSON *thread = cJSON_CreateObject();
    cJSON_AddNumberToObject(thread, "tid", tid);
    cJSON_AddStringToObject(thread, "name", name);
    cJSON *list = cJSON_AddArrayToObject(thread, "frames");
    for (int i = 0; i < count; i++) {
        cJSON *frame = cJSON_CreateObject();
        cJSON_AddItemToArray(list, frame);
        snprintf(pc, sizeof pc, "0x%" PRIxPTR, frames[i].pc);
        cJSON_AddStringToObject(frame, "pc", pc);
        if (frames[i].function)
            cJSON_AddStringToObject(frame, "function", frames[i].function);
        if (frames[i].file)
            cJSON_AddStringToObject(frame, "file", frames[i].file);
        if (frames[i].line > 0)
            cJSON_AddNumberToObject(frame, "line", frames[i].line);
        if (frames[i].module)
            cJSON_AddStringToObject(frame, "module", frames[i].module);
    }
    free(frames);
    return thread;
}

/* Every other thread's frames: stopped for the purpose (unless a debugger has the process
 * stopped already) and resumed. */
static void add_other_threads(sym_index *symbols, pid_t crashed, cJSON *body)
{
    bool stopped_here = !stopper_is_stopped();
    if (stopped_here)
        stopper_stop_all(OTHERS_STOP_TIMEOUT_MS);
    static pid_t tids[STOPPER_MAX_THREADS];
    size_t n = stopper_parked_threads(tids, STOPPER_MAX_THREADS);
    cJSON *threads = cJSON_AddArrayToObject(body, "threads");
    for (size_t i = 0; i < n; i++) {
        cJSON *thread = tids[i] != crashed ? thread_json(symbols, tids[i]) : NULL;
        if (thread)
            cJSON_AddItemToArray(threads, thread);
    }
    if (stopped_here)
        stopper_resume_all();
}

void crash_guard_annotate_snapshot(sym_index *symbols, pid_t tid, cJSON *body)
{
    crash_record *r = find_record(tid);
    if (!r)
        return;
    char description[160], address[24];
    crash_describe(&r->facts, description, sizeof description);
    snprintf(address, sizeof address, "0x%" PRIx64, r->facts.address);
    cJSON_AddStringToObject(body, "reason", "crash");
    cJSON_AddStringToObject(body, "description", description);
    cJSON *exception = cJSON_AddObjectToObject(body, "exception");
    cJSON_AddStringToObject(exception, "signal", fatal_signals()[fatal_signal_index_of(r->facts.signo)].name);
    cJSON_AddNumberToObject(exception, "code", r->facts.code);
    cJSON_AddStringToObject(exception, "address", address);
    if (r->origin.in_reloaded_code) {
        cJSON *reload = cJSON_AddObjectToObject(body, "reload");
        cJSON_AddNumberToObject(reload, "reload_id", (double)r->origin.reload_id);
        cJSON_AddStringToObject(reload, "module", r->origin.module);
        cJSON_AddNumberToObject(reload, "generation", r->origin.generation);
    }
    add_other_threads(symbols, tid, body);
    r->reported = true;
}

void crash_guard_release_reported(void)
{
    for (size_t i = 0; i < CRASH_RECORDS; i++) {
        crash_record *r = &records[i];
        if (!r->reported)
            continue;
        r->reported = false;
        atomic_store_explicit(&r->released, 1, memory_order_release);
        syscall(SYS_futex, &r->released, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    }
}
