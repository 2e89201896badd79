/* Unit tests for guarded_copy.c and its fault handling (crash_guard.c): exact copies, short counts
 * at unreadable pages, bad addresses, many threads faulting at once, and real faults outside the
 * copy still reaching the program's handler, with and without crash_guard's filters on. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crash_guard.h"
#include "guarded_copy.h"
#include "safe_mem.h"

#define PAGE 4096
#define FAULTING_THREADS 8
#define FAULTS_PER_THREAD 2000
#define CHILD_HANDLER_EXIT 42
#define BENCH_ROUNDS 1000000

static void init_guard(void)
{
    char err[256] = "";
    cr_assert_eq(guarded_copy_init(err, sizeof err), 0, "%s", err);
    cr_assert(guarded_copy_ready());
}

/* A readable page filled with a pattern, followed by a PROT_NONE page. */
static unsigned char *page_then_hole(void)
{
    unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    for (int i = 0; i < PAGE; i++)
        p[i] = (unsigned char)(i * 7 + 3);
    cr_assert_eq(mprotect(p + PAGE, PAGE, PROT_NONE), 0);
    return p;
}

Test(guarded_copy, copies_readable_memory_exactly)
{
    init_guard();
    unsigned char src[64], dst[64];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (unsigned char)(0xa0 + i);
    for (size_t offset = 0; offset < 8; offset++)
        for (size_t len = 0; len <= 40; len++) {
            memset(dst, 0x55, sizeof dst);
            cr_assert_eq(guarded_copy(dst + (offset ^ 3), (uintptr_t)(src + offset), len), len);
            cr_assert_eq(memcmp(dst + (offset ^ 3), src + offset, len), 0, "offset %zu len %zu", offset, len);
            cr_assert_eq(dst[(offset ^ 3) + len], 0x55, "no byte past len is written");
        }
}

Test(guarded_copy, stops_at_the_first_unreadable_byte)
{
    init_guard();
    unsigned char *p = page_then_hole();
    unsigned char dst[64];
    for (size_t before = 0; before <= 20; before++) {
        memset(dst, 0, sizeof dst);
        cr_assert_eq(guarded_copy(dst, (uintptr_t)(p + PAGE - before), 40), before,
                     "%zu readable bytes before the hole", before);
        cr_assert_eq(memcmp(dst, p + PAGE - before, before), 0);
    }
    munmap(p, 2 * PAGE);
}

Test(guarded_copy, bad_addresses_copy_nothing)
{
    init_guard();
    unsigned char dst[16];
    cr_assert_eq(guarded_copy(dst, 0, 8), 0, "NULL");
    cr_assert_eq(guarded_copy(dst, 0x10, 3), 0);
    cr_assert_eq(guarded_copy(dst, (uintptr_t)0xffffffff81000000u, 8), 0, "kernel address");
    cr_assert_eq(guarded_copy(dst, (uintptr_t)0x8000000000000000u, 8), 0, "non-canonical address");
}

static void *fault_repeatedly(void *arg)
{
    const unsigned char *p = arg;
    unsigned char dst[32];
    for (int i = 0; i < FAULTS_PER_THREAD; i++) {
        size_t before = (size_t)(i % 17);
        if (guarded_copy(dst, (uintptr_t)(p + PAGE - before), sizeof dst) != before ||
            memcmp(dst, p + PAGE - before, before) != 0 || guarded_copy(dst, 0, 8) != 0)
            return (void *)1;
    }
    return NULL;
}

Test(guarded_copy, many_threads_fault_at_once)
{
    init_guard();
    unsigned char *p = page_then_hole();
    pthread_t threads[FAULTING_THREADS];
    for (int i = 0; i < FAULTING_THREADS; i++)
        cr_assert_eq(pthread_create(&threads[i], NULL, fault_repeatedly, p), 0);
    for (int i = 0; i < FAULTING_THREADS; i++) {
        void *failed;
        pthread_join(threads[i], &failed);
        cr_assert_null(failed, "thread %d saw a wrong count", i);
    }
    munmap(p, 2 * PAGE);
}

#define BAD_ADDRESS 0x18
#define CRASH_GUARD_WAIT_MIN_NS 1500000000LL /* crash_guard's snapshot wait, 2 s, less a margin */

static struct timespec fault_time;  /* the child's clock just before its real fault */
static bool expect_crash_guard_wait;

static int64_t ns_since(struct timespec from)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - from.tv_sec) * 1000000000 + (now.tv_nsec - from.tv_nsec);
}

static void program_segv_handler(int signo, siginfo_t *info, void *ucontext)
{
    if (info->si_addr != (void *)BAD_ADDRESS)
        _exit(1);
    if (expect_crash_guard_wait && ns_since(fault_time) < CRASH_GUARD_WAIT_MIN_NS)
        _exit(7); /* crash_guard did not capture and wait before chaining */
    _exit(CHILD_HANDLER_EXIT);
}

static void fault_for_real(void)
{
    int *volatile bad = (int *)BAD_ADDRESS;
    clock_gettime(CLOCK_MONOTONIC, &fault_time);
    *bad = 1;
}

static void *configure_crash_guard(void *arg)
{
    /* from a thread of its own, as the agent would: the agent's own crashes never wait */
    probe_exception_filter filter = { .signal = "SIGSEGV", .mode = "snapshot" };
    probe_exceptions_set set = { .signals = &filter, .n = 1 };
    return (void *)(intptr_t)crash_guard_configure(&set, arg, 256);
}

/* In a child: installs the program's SIGSEGV handler (after or before the guard's claim), checks
 * that guarded faults never reach it, then faults for real at 0x18. Returns the child's status. */
static int child_real_fault(bool handler_first, bool crash_guard_on)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct sigaction sa = { .sa_sigaction = program_segv_handler, .sa_flags = SA_SIGINFO };
        char err[256];
        if (handler_first && sigaction(SIGSEGV, &sa, NULL) != 0)
            _exit(2);
        if (crash_guard_on) {
            pthread_t agent;
            void *rc;
            if (pthread_create(&agent, NULL, configure_crash_guard, err) != 0 ||
                pthread_join(agent, &rc) != 0 || rc != NULL)
                _exit(3);
            expect_crash_guard_wait = true;
        }
        if (guarded_copy_init(err, sizeof err) != 0)
            _exit(4);
        if (!handler_first && sigaction(SIGSEGV, &sa, NULL) != 0)
            _exit(2);
        unsigned char dst[8];
        for (int i = 0; i < 100; i++)
            if (guarded_copy(dst, BAD_ADDRESS, 8) != 0)
                _exit(5);
        fault_for_real();
        _exit(6);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return status;
}

Test(guarded_copy, a_real_fault_still_reaches_the_programs_handler)
{
    for (int first = 0; first < 2; first++) {
        int status = child_real_fault(first, false);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == CHILD_HANDLER_EXIT,
                  "handler installed %s the guard: status 0x%x", first ? "before" : "after", status);
    }
}

Test(guarded_copy, a_real_fault_without_a_handler_still_kills)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        char err[256];
        unsigned char dst[8];
        /* the default action as the program's disposition (under ASan a handler of its own) */
        if (signal(SIGSEGV, SIG_DFL) == SIG_ERR || guarded_copy_init(err, sizeof err) != 0 ||
            guarded_copy(dst, 0, 8) != 0)
            _exit(4);
        fault_for_real();
        _exit(6);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status 0x%x", status);
}

Test(guarded_copy, crash_guard_filters_and_guarded_copies_coexist, .timeout = 20)
{
    /* snapshot mode with no agent: the real crash is captured and waits out its 2 s (which the
     * program's handler checks), then goes on to the program's handler; the guarded faults
     * before it are no crashes */
    int status = child_real_fault(true, true);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == CHILD_HANDLER_EXIT, "status 0x%x", status);
}

static double ns_per_call(struct timespec a, struct timespec b, int n)
{
    return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n;
}

Test(guarded_copy, is_faster_than_process_vm_readv)
{
    init_guard();
    static volatile uint64_t word = 0x1122334455667788u;
    uint64_t out = 0, sum = 0;
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < BENCH_ROUNDS; i++) {
        guarded_copy(&out, (uintptr_t)&word, sizeof out);
        sum += out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (int i = 0; i < BENCH_ROUNDS; i++) {
        safe_mem_read((uintptr_t)&word, &out, sizeof out);
        sum += out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    double guarded = ns_per_call(t0, t1, BENCH_ROUNDS), syscall = ns_per_call(t1, t2, BENCH_ROUNDS);
    cr_log_info("8-byte read: guarded_copy %.1f ns, safe_mem_read (process_vm_readv) %.1f ns", guarded,
                syscall);
    cr_assert_eq(sum, 2 * (uint64_t)BENCH_ROUNDS * 0x1122334455667788u);
    cr_assert_lt(guarded * 10, syscall, "guarded %.1f ns vs %.1f ns", guarded, syscall);
}
