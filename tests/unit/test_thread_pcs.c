/* Unit tests for thread_pcs.c in this process: a spinning thread is sampled inside its loop, a
 * thread blocked in read() is listed as sleeping and its read is not interrupted, and the
 * program's own handler of the sample signal still gets the program's signals. */
#include <criterion/criterion.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "thread_pcs.h"

#define TIMEOUT_MS 1000

/* spin_while_set(int *flag): loops while *flag != 0; [spin_while_set, spin_while_set_end) */
extern char spin_while_set[], spin_while_set_end[];
__asm__(".text\n"
        ".globl spin_while_set\n"
        "spin_while_set:\n"
        "1:  movl (%rdi), %eax\n"
        "    testl %eax, %eax\n"
        "    jnz 1b\n"
        "    ret\n"
        "spin_while_set_end:\n");

static atomic_int spinning_tid;

static void *spin(void *flag)
{
    atomic_store(&spinning_tid, (int)syscall(SYS_gettid));
    ((void (*)(volatile int *))(uintptr_t)spin_while_set)(flag);
    return NULL;
}

static const thread_pc *find_thread(const thread_pcs *sample, pid_t tid)
{
    for (size_t i = 0; i < sample->count; i++)
        if (sample->threads[i].tid == tid)
            return &sample->threads[i];
    return NULL;
}

static thread_pcs sample;

static void take_sample(void)
{
    char err[256] = "";
    cr_assert_eq(thread_pcs_sample(&sample, TIMEOUT_MS, err, sizeof err), 0, "sample: %s", err);
}

Test(thread_pcs, a_spinning_thread_is_sampled_inside_its_loop)
{
    volatile int flag = 1;
    pthread_t thread;
    pthread_create(&thread, NULL, spin, (void *)&flag);
    while (atomic_load(&spinning_tid) == 0)
        sched_yield();
    pid_t tid = atomic_load(&spinning_tid);

    for (int round = 0; round < 20; round++) {
        take_sample();
        const thread_pc *t = find_thread(&sample, tid);
        cr_assert_not_null(t, "the spinning thread is not listed");
        cr_assert_eq(t->state, THREAD_PC_RUNNING, "round %d: state %d", round, t->state);
        if (round > 0) /* the first sample may catch it on its way in */
            cr_assert(t->pc >= (uintptr_t)spin_while_set && t->pc < (uintptr_t)spin_while_set_end,
                      "pc 0x%lx outside the loop", (unsigned long)t->pc);
    }
    cr_assert_null(find_thread(&sample, (pid_t)syscall(SYS_gettid)), "the caller is sampled");
    flag = 0;
    pthread_join(thread, NULL);
}

typedef struct reader {
    int fd;
    atomic_int tid;
    ssize_t result;
    int error;
    char data[8];
} reader;

static void *read_pipe(void *arg)
{
    reader *r = arg;
    atomic_store(&r->tid, (int)syscall(SYS_gettid));
    r->result = read(r->fd, r->data, sizeof r->data);
    r->error = r->result < 0 ? errno : 0;
    return NULL;
}

static char state_of(pid_t tid)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "re");
    cr_assert_not_null(f);
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    char *end = strrchr(stat, ')');
    return end ? end[2] : '?';
}

Test(thread_pcs, a_thread_blocked_in_read_sleeps_undisturbed)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    reader r = {.fd = fds[0]};
    pthread_t thread;
    pthread_create(&thread, NULL, read_pipe, &r);
    while (atomic_load(&r.tid) == 0 || state_of(atomic_load(&r.tid)) != 'S')
        usleep(1000);

    for (int round = 0; round < 10; round++) {
        take_sample();
        const thread_pc *t = find_thread(&sample, atomic_load(&r.tid));
        cr_assert_not_null(t, "the reader is not listed");
        cr_assert_eq(t->state, THREAD_PC_SLEEPING, "state %d", t->state);
        cr_assert_neq(t->pc, 0, "no pc read from /proc for the sleeping thread");
    }
    cr_assert_eq(write(fds[1], "hello", 5), 5);
    pthread_join(thread, NULL);
    cr_assert_eq(r.result, 5, "read returned %zd (errno %d)", r.result, r.error);
    cr_assert_eq(memcmp(r.data, "hello", 5), 0);
    close(fds[0]);
    close(fds[1]);
}

static volatile sig_atomic_t program_signals;

static void program_handler(int signo)
{
    (void)signo;
    program_signals++;
}

Test(thread_pcs, the_programs_own_handler_of_the_signal_still_runs)
{
    take_sample(); /* claims the signal */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = program_handler;
    cr_assert_eq(sigaction(SIGRTMIN + 6, &sa, NULL), 0);
    raise(SIGRTMIN + 6);
    cr_assert_eq(program_signals, 1);
    take_sample();
    cr_assert_eq(program_signals, 1, "a sample request reached the program");
}
