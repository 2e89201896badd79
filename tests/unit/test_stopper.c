/* Unit tests for stopper.c in this process: the test's main thread is the agent; worker threads
 * hit a breakpoint, get stopped, show their stacks, and run on after resume. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bp_conditions.h"
#include "stopper.h"
#include "trap.h"

#define SPINNERS 3
#define EVENT_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 2000
#define CALLER_SIZE 512 /* generous upper bound of hitter_loop's code size */

typedef struct worker {
    atomic_int tid;
    atomic_long count;
    pthread_t thread;
} worker;

static atomic_bool running;
static int notify_pipe[2];

__attribute__((noinline, noclone)) long hit_target(long x)
{
    __asm__ volatile("" ::: "memory");
    return x + 1;
}

__attribute__((noinline, noclone)) void spin_work(void)
{
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline, noclone)) void *hitter_loop(void *arg)
{
    worker *w = arg;
    atomic_store(&w->tid, (int)syscall(SYS_gettid));
    while (atomic_load_explicit(&running, memory_order_relaxed)) {
        long next = hit_target(atomic_load_explicit(&w->count, memory_order_relaxed));
        atomic_store_explicit(&w->count, next, memory_order_relaxed);
    }
    return NULL;
}

static void *spinner_loop(void *arg)
{
    worker *w = arg;
    atomic_store(&w->tid, (int)syscall(SYS_gettid));
    while (atomic_load_explicit(&running, memory_order_relaxed)) {
        spin_work();
        atomic_fetch_add_explicit(&w->count, 1, memory_order_relaxed);
    }
    return NULL;
}

static void init_stopper(void)
{
    char err[256] = "";
    cr_assert_eq(pipe2(notify_pipe, O_NONBLOCK | O_CLOEXEC), 0);
    cr_assert_eq(stopper_init(notify_pipe[1], (pid_t)syscall(SYS_gettid), err, sizeof err), 0,
                 "stopper_init: %s", err);
}

static void start(worker *w, void *(*loop)(void *))
{
    atomic_store(&w->tid, 0);
    atomic_store(&w->count, 0);
    cr_assert_eq(pthread_create(&w->thread, NULL, loop, w), 0);
    while (atomic_load(&w->tid) == 0)
        sched_yield();
}

static void stop_and_join(worker *workers, size_t count)
{
    atomic_store(&running, false);
    for (size_t i = 0; i < count; i++)
        pthread_join(workers[i].thread, NULL);
}

static bool wait_for_notification(void)
{
    struct pollfd p = {.fd = notify_pipe[0], .events = POLLIN};
    if (poll(&p, 1, EVENT_TIMEOUT_MS) != 1)
        return false;
    char drain[64];
    while (read(notify_pipe[0], drain, sizeof drain) > 0)
        ;
    return true;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0)
        ;
}

static int task_count(void)
{
    DIR *dir = opendir("/proc/self/task");
    cr_assert(dir);
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)))
        count += entry->d_name[0] != '.';
    closedir(dir);
    return count;
}

static int threads_blocking_stop_signal(void)
{
    DIR *dir = opendir("/proc/self/task");
    cr_assert(dir);
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (entry->d_name[0] == '.')
            continue;
        char path[300], line[128];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", entry->d_name);
        FILE *status = fopen(path, "r");
        unsigned long long blocked = 0;
        while (status && fgets(line, sizeof line, status))
            if (sscanf(line, "SigBlk: %llx", &blocked) == 1)
                break;
        if (status)
            fclose(status);
        count += (blocked >> (SIGRTMIN + 5 - 1)) & 1;
    }
    closedir(dir);
    return count;
}

static bool is_parked(pid_t tid)
{
    pid_t tids[STOPPER_MAX_THREADS];
    size_t count = stopper_parked_threads(tids, STOPPER_MAX_THREADS);
    for (size_t i = 0; i < count; i++)
        if (tids[i] == tid)
            return true;
    return false;
}

static void arm(uintptr_t site)
{
    char err[256] = "";
    cr_assert_eq(bp_conditions_add(site, 1, NULL, (hit_condition){ HIT_EVERY, 0 }), 0);
    cr_assert_eq(trap_arm(site, err, sizeof err), 0, "trap_arm: %s", err);
}

Test(stopper, hit_parks_the_thread_and_stop_all_parks_the_rest)
{
    init_stopper();
    int helpers_blocking = threads_blocking_stop_signal();
    atomic_store(&running, true);
    worker workers[1 + SPINNERS];
    worker *hitter = &workers[0];
    for (int i = 1; i <= SPINNERS; i++)
        start(&workers[i], spinner_loop);
    uintptr_t site = (uintptr_t)hit_target;
    arm(site);
    start(hitter, hitter_loop);

    cr_assert(wait_for_notification(), "no hit was notified");
    cr_assert(stopper_is_stopped());
    stop_event event;
    cr_assert(stopper_take_event(&event));
    cr_assert_eq(event.tid, atomic_load(&hitter->tid));
    cr_assert_eq(event.address, site);
    cr_assert_not(stopper_take_event(&event), "one hit, one event");

    /* every thread but the agent and the helpers that block the stop signal (Criterion has
     * one, counted before any worker existed) */
    int parkable = task_count() - 1 - helpers_blocking;
    cr_assert_geq(parkable, 1 + SPINNERS);
    cr_assert_eq(stopper_stop_all(STOP_TIMEOUT_MS), parkable);
    for (int i = 0; i <= SPINNERS; i++)
        cr_assert(is_parked(atomic_load(&workers[i].tid)), "worker %d is not parked", i);
    cr_assert_not(is_parked((pid_t)syscall(SYS_gettid)), "the agent must never park");

    long counts[1 + SPINNERS];
    for (int i = 0; i <= SPINNERS; i++)
        counts[i] = atomic_load(&workers[i].count);
    sleep_ms(50);
    for (int i = 0; i <= SPINNERS; i++)
        cr_assert_eq(atomic_load(&workers[i].count), counts[i], "worker %d ran while stopped", i);

    static frame_regs frames[STOPPER_MAX_FRAMES];
    int n_frames = stopper_thread_frames(atomic_load(&hitter->tid), frames, STOPPER_MAX_FRAMES);
    cr_assert_geq(n_frames, 2);
    cr_assert_eq(frames[0].reg[DWREG_RIP], site, "frame 0 must be the breakpoint");
    cr_assert_eq(frames[0].valid, (1u << FRAME_REG_COUNT) - 1, "frame 0 has every register");
    uintptr_t caller_pc = frames[1].reg[DWREG_RIP];
    cr_assert(caller_pc > (uintptr_t)hitter_loop && caller_pc < (uintptr_t)hitter_loop + CALLER_SIZE,
              "frame 1 (0x%lx) is not in the caller", (unsigned long)caller_pc);
    cr_assert(frame_reg_known(&frames[1], DWREG_RSP) && frame_reg_known(&frames[1], DWREG_RBX));
    cr_assert_not(frame_reg_known(&frames[1], DWREG_RAX), "caller-saved registers are unknown above frame 0");
    cr_assert_eq(frames[0].cfa, frames[1].reg[DWREG_RSP], "a frame's CFA is its caller's sp");
    cr_assert_eq(stopper_set_register(atomic_load(&hitter->tid), DWREG_RIP, 0), -1, "rip is not writable");
    for (int i = 1; i <= SPINNERS; i++)
        cr_assert_geq(stopper_thread_frames(atomic_load(&workers[i].tid), frames, STOPPER_MAX_FRAMES),
                      3, "spinner %d", i);

    /* the hitter stays parked inside its trap: removing the site now must not matter */
    cr_assert_eq(trap_disarm(site), 0);
    stopper_resume_all();
    cr_assert_not(stopper_is_stopped());
    cr_assert_eq(stopper_thread_frames(atomic_load(&hitter->tid), frames, STOPPER_MAX_FRAMES), -1);
    sleep_ms(50);
    for (int i = 0; i <= SPINNERS; i++)
        cr_assert_gt(atomic_load(&workers[i].count), counts[i], "worker %d did not resume", i);
    stop_and_join(workers, 1 + SPINNERS);
}

Test(stopper, every_hitting_thread_parks_and_queues_its_event)
{
    init_stopper();
    atomic_store(&running, true);
    uintptr_t site = (uintptr_t)hit_target;
    arm(site);
    worker hitters[2];
    start(&hitters[0], hitter_loop);
    start(&hitters[1], hitter_loop);

    stop_event events[2];
    int taken = 0;
    for (int waited = 0; taken < 2 && waited < EVENT_TIMEOUT_MS; waited += 10) {
        taken += stopper_take_event(&events[taken]);
        if (taken < 2)
            sleep_ms(10);
    }
    cr_assert_eq(taken, 2, "both hits must be queued");
    cr_assert_neq(events[0].tid, events[1].tid);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(events[i].address, site);
        cr_assert(is_parked(atomic_load(&hitters[i].tid)), "hitter %d is not parked", i);
    }
    cr_assert_eq(trap_disarm(site), 0);
    stopper_resume_all();
    stop_and_join(hitters, 2);
    cr_assert_gt(atomic_load(&hitters[0].count), 0);
    cr_assert_gt(atomic_load(&hitters[1].count), 0);
}

Test(stopper, stop_all_without_a_hit_pauses_and_resumes)
{
    init_stopper();
    atomic_store(&running, true);
    worker spinners[SPINNERS];
    for (int i = 0; i < SPINNERS; i++)
        start(&spinners[i], spinner_loop);
    cr_assert_not(stopper_is_stopped());
    cr_assert_geq(stopper_stop_all(STOP_TIMEOUT_MS), SPINNERS);
    cr_assert(stopper_is_stopped());
    stop_event event;
    cr_assert_not(stopper_take_event(&event), "a pause is not a breakpoint hit");
    long before = atomic_load(&spinners[0].count);
    stopper_resume_all();
    sleep_ms(50);
    cr_assert_gt(atomic_load(&spinners[0].count), before);
    cr_assert_eq(stopper_parked_threads(NULL, 0), 0);
    stop_and_join(spinners, SPINNERS);
}

Test(stopper, disabled_hits_run_on)
{
    init_stopper();
    stopper_set_enabled(false);
    atomic_store(&running, true);
    uintptr_t site = (uintptr_t)hit_target;
    arm(site);
    uint64_t hits = trap_hit_count();
    worker hitter;
    start(&hitter, hitter_loop);
    while (atomic_load(&hitter.count) < 1000)
        sched_yield();
    stop_and_join(&hitter, 1);
    cr_assert_geq(trap_hit_count() - hits, 1000);
    cr_assert_not(stopper_is_stopped());
    stop_event event;
    cr_assert_not(stopper_take_event(&event));
    char byte;
    cr_assert_eq(read(notify_pipe[0], &byte, 1), -1, "nothing may be notified");
    cr_assert_eq(trap_disarm(site), 0);
}

static atomic_int program_handler_calls;

static void program_handler(int signo)
{
    (void)signo;
    atomic_fetch_add(&program_handler_calls, 1);
}

Test(stopper, program_use_of_the_stop_signal_is_chained)
{
    init_stopper();
    int stop_signal = SIGRTMIN + 5;
    cr_assert_neq(signal(stop_signal, program_handler), SIG_ERR);
    raise(stop_signal);
    cr_assert_eq(atomic_load(&program_handler_calls), 1);
    cr_assert_not(stopper_is_stopped());
}

Test(stopper, rejects_an_unusable_stop_signal_from_the_environment)
{
    setenv("PODBUG_STOP_SIGNAL", "9", 1);
    char err[256] = "";
    cr_assert_eq(stopper_init(-1, (pid_t)syscall(SYS_gettid), err, sizeof err), -1);
    cr_assert(strstr(err, "PODBUG_STOP_SIGNAL"), "message: %s", err);
}
