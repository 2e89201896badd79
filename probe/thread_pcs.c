/* Sampling the pcs of the process's threads (see thread_pcs.h): the sample signal's handler and
 * its answer table, the threads' states and sleeping pcs from /proc/self/task, bounded waiting.
 *
 * A request carries a cookie (magic, round, slot) in rt_tgsigqueueinfo's value, so the handler
 * tells our requests from the program's own uses of the signal. Every answer is one 64-bit store
 * of (round << 48 | pc) into the slot, made only when its round is newer than the slot's: a late
 * answer to an earlier round can never pass for the current one. */
#include "thread_pcs.h"

#include "signal_interpose.h"
#include "stopper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define SAMPLE_COOKIE_MAGIC 0x70637321u /* "pcs!" */
#define ROUND_BITS 16
#define ROUND_MASK ((1u << ROUND_BITS) - 1)
#define PC_BITS 48
#define PC_MASK (((uint64_t)1 << PC_BITS) - 1) /* user addresses fit in 47 bits */
#define WAIT_SLICE_NS 500000L                  /* between checks for threads that exited */

_Static_assert(THREAD_PCS_MAX <= (1 << 16), "a slot index fits the cookie's low 16 bits");

static _Atomic uint64_t answers[THREAD_PCS_MAX];
static atomic_uint answer_wakeups; /* futex word: bumped by every answer */
static unsigned last_round;
static int sample_signal;
static pthread_mutex_t sample_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- handler side: no allocation, no locks, no I/O --------------------------------------- */

PODBUG_HANDLER_TEXT static bool round_is_newer(unsigned round, unsigned than)
{
    return (int16_t)(uint16_t)(round - than) > 0;
}

PODBUG_HANDLER_TEXT static void record_answer(uint64_t cookie, const ucontext_t *uc)
{
    unsigned round = (unsigned)(cookie >> ROUND_BITS) & ROUND_MASK;
    size_t slot = (size_t)(cookie & 0xffff);
    if (slot >= THREAD_PCS_MAX)
        return;
    uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP] & PC_MASK;
    uint64_t answer = ((uint64_t)round << PC_BITS) | pc;
    uint64_t seen = atomic_load_explicit(&answers[slot], memory_order_relaxed);
    while (round_is_newer(round, (unsigned)(seen >> PC_BITS)) &&
           !atomic_compare_exchange_weak_explicit(&answers[slot], &seen, answer,
                                                  memory_order_release, memory_order_relaxed))
        ;
    atomic_fetch_add_explicit(&answer_wakeups, 1, memory_order_release);
    syscall(SYS_futex, &answer_wakeups, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

PODBUG_HANDLER_TEXT static void sample_signal_handler(int signo, siginfo_t *info, void *ucontext)
{
    int saved_errno = errno;
    uint64_t cookie = (uint64_t)(uintptr_t)info->si_value.sival_ptr;
    bool ours = info->si_code == SI_QUEUE && info->si_pid == (pid_t)syscall(SYS_getpid) &&
                (cookie >> 32) == SAMPLE_COOKIE_MAGIC;
    if (ours)
        record_answer(cookie, ucontext);
    else
        signal_interpose_chain(signo, info, ucontext);
    errno = saved_errno;
}

/* ---- agent side ------------------------------------------------------------------------- */

static int claim_sample_signal(char *err, size_t err_len)
{
    if (sample_signal)
        return 0;
    sigset_t mask;
    signal_interpose_handler_mask(&mask);
    int signo = SIGRTMIN + 6;
    if (signal_interpose_claim(signo, sample_signal_handler, SA_RESTART, &mask, err, err_len) < 0)
        return -1;
    sample_signal = signo;
    return 0;
}

/* Reads a small /proc file of thread tid into buf (NUL-terminated); false when it is gone. */
static bool read_task_file(pid_t tid, const char *name, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)tid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return true;
}

/* The state letter of /proc/self/task/T/stat (after "tid (comm) "), 0 when the thread is gone. */
static char task_state(pid_t tid)
{
    char stat[512];
    if (!read_task_file(tid, "stat", stat, sizeof stat))
        return 0;
    const char *comm_end = strrchr(stat, ')');
    return comm_end && comm_end[1] == ' ' ? comm_end[2] : 0;
}

/* The user pc of a thread blocked in the kernel: the last field of /proc/self/task/T/syscall
 * ("nr args... sp pc", or "-1 sp pc"). False when it reads "running" (it woke up meanwhile);
 * true with pc 0 when the file cannot be read. */
static bool sleeping_pc(pid_t tid, uintptr_t *pc)
{
    char line[256];
    *pc = 0;
    if (!read_task_file(tid, "syscall", line, sizeof line))
        return true;
    if (strncmp(line, "running", 7) == 0)
        return false;
    const char *last = strrchr(line, ' ');
    *pc = last ? (uintptr_t)strtoull(last + 1, NULL, 16) : 0;
    return true;
}

/* Sends the sample request of round for slot; false when the thread is gone. */
static bool request_sample(pid_t tid, unsigned round, size_t slot)
{
    uint64_t cookie = ((uint64_t)SAMPLE_COOKIE_MAGIC << 32) | ((uint64_t)round << ROUND_BITS) | slot;
    return signal_interpose_queue(tid, sample_signal, cookie);
}

/* Lists thread tid as sleeping, or signals it (slot = its index in out). */
static void add_thread(thread_pcs *out, pid_t tid, unsigned round)
{
    char state = task_state(tid);
    if (state == 0 || state == 'Z' || state == 'X')
        return; /* exited */
    thread_pc *t = &out->threads[out->count];
    *t = (thread_pc){.tid = tid, .state = THREAD_PC_SLEEPING};
    if (state != 'S' || !sleeping_pc(tid, &t->pc)) {
        /* a value older than this round, which no late answer can replace by an equal one */
        atomic_store(&answers[out->count], (uint64_t)((round - 1) & ROUND_MASK) << PC_BITS);
        if (!request_sample(tid, round, out->count))
            return;
        t->state = THREAD_PC_SILENT; /* until it answers */
    }
    out->count++;
}

static int request_all(thread_pcs *out, unsigned round, char *err, size_t err_len)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir) {
        snprintf(err, err_len, "cannot list the process's threads: %s", strerror(errno));
        return -1;
    }
    pid_t self = (pid_t)syscall(SYS_gettid);
    struct dirent *entry;
    int rc = 0;
    while (rc == 0 && (entry = readdir(dir))) {
        pid_t tid = (pid_t)atoi(entry->d_name);
        if (tid <= 0 || tid == self || stopper_thread_parked(tid))
            continue;
        if (out->count == THREAD_PCS_MAX) {
            snprintf(err, err_len, "more than %d threads to sample", THREAD_PCS_MAX);
            rc = -1;
        } else {
            add_thread(out, tid, round);
        }
    }
    closedir(dir);
    return rc;
}

/* Takes the answers of round; returns how many signalled threads have not answered. */
static size_t collect_answers(thread_pcs *out, unsigned round)
{
    size_t missing = 0;
    for (size_t i = 0; i < out->count; i++) {
        thread_pc *t = &out->threads[i];
        if (t->state != THREAD_PC_SILENT || t->tid == 0)
            continue;
        uint64_t answer = atomic_load_explicit(&answers[i], memory_order_acquire);
        if ((answer >> PC_BITS) == round) {
            t->state = THREAD_PC_RUNNING;
            t->pc = (uintptr_t)(answer & PC_MASK);
        } else {
            missing++;
        }
    }
    return missing;
}

/* Marks (tid 0) the silent threads that have exited. */
static void forget_exited(thread_pcs *out)
{
    for (size_t i = 0; i < out->count; i++) {
        thread_pc *t = &out->threads[i];
        if (t->state == THREAD_PC_SILENT && t->tid != 0 && task_state(t->tid) == 0)
            t->tid = 0;
    }
}

static void drop_forgotten(thread_pcs *out)
{
    size_t kept = 0;
    for (size_t i = 0; i < out->count; i++)
        if (out->threads[i].tid != 0)
            out->threads[kept++] = out->threads[i];
    out->count = kept;
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void wait_for_answers(thread_pcs *out, unsigned round, int timeout_ms)
{
    int64_t deadline = monotonic_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        unsigned seen = atomic_load_explicit(&answer_wakeups, memory_order_acquire);
        int64_t left = deadline - monotonic_ns();
        if (collect_answers(out, round) == 0 || left <= 0)
            break;
        long slice = left < WAIT_SLICE_NS ? (long)left : WAIT_SLICE_NS;
        struct timespec wait = {0, slice};
        if (syscall(SYS_futex, &answer_wakeups, FUTEX_WAIT_PRIVATE, seen, &wait, NULL, 0) < 0 &&
            errno == ETIMEDOUT)
            forget_exited(out);
    }
    drop_forgotten(out);
}

int thread_pcs_sample(thread_pcs *out, int timeout_ms, char *err, size_t err_len)
{
    pthread_mutex_lock(&sample_lock);
    out->count = 0;
    int rc = claim_sample_signal(err, err_len);
    if (rc == 0) {
        unsigned round = ++last_round & ROUND_MASK;
        rc = request_all(out, round, err, err_len);
        if (rc == 0)
            wait_for_answers(out, round, timeout_ms);
    }
    pthread_mutex_unlock(&sample_lock);
    return rc;
}
