/* Unit tests for remote_call.c on a forked child blocked in read(): functions called in it return
 * their results (arguments, strings, the child's own state), a crashing call and a process exiting
 * during a call are reported, a signal that arrives during a call reaches the program's handler
 * afterwards, and the child's read completes with its data as if nothing happened. */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child_fixture.h"
#include "ptrace/remote_call.h"

#define STOP_TIMEOUT_MS 2000
#define CALL_TIMEOUT_MS 5000

/* Called in the child (a fork: the same addresses as here). */
static volatile sig_atomic_t usr1_count;
static long called_with;

static long remember_sum(long a, long b, long c)
{
    called_with = a + b + c;
    return called_with;
}

static long sleep_then_count_signals(void)
{
    struct timespec ts = { 0, 300 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    return usr1_count;
}

static void on_usr1(int sig)
{
    usr1_count++;
}

typedef struct child_report {
    long rc;
    int error;
    long called_with;
    int usr1_count;
    char data[8];
} child_report;

static pid_t child;
static int data_fds[2], report_fds[2];
static ptrace_thread thread;
static remote_call call;

/* A child blocked in read() on a pipe; it reports the read and its state when the read ends. */
static void start_child(void)
{
    cr_assert_eq(pipe(data_fds), 0);
    cr_assert_eq(pipe(report_fds), 0);
    child = fork();
    if (child == 0) {
        struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
        sigaction(SIGUSR1, &sa, NULL);
        child_report r = { 0 };
        r.rc = read(data_fds[0], r.data, sizeof r.data - 1);
        r.error = errno;
        r.called_with = called_with;
        r.usr1_count = usr1_count;
        if (write(report_fds[1], &r, sizeof r) != (ssize_t)sizeof r)
            _exit(2);
        _exit(0);
    }
    child_wait_until_sleeping(child);
    char err[256] = "";
    cr_assert_eq(ptrace_thread_stop(&thread, child, STOP_TIMEOUT_MS, err, sizeof err), 0, "stop: %s", err);
    cr_assert_eq(remote_call_begin(&call, &thread, err, sizeof err), 0, "begin: %s", err);
}

static void end_call_and_release(void)
{
    char err[256] = "";
    cr_assert_eq(remote_call_end(&call, err, sizeof err), 0, "end: %s", err);
    ptrace_thread_release(&thread);
}

/* Feeds the child's read and collects its report. */
static child_report finish_child(void)
{
    cr_assert_eq(write(data_fds[1], "abc", 3), 3);
    child_report r;
    cr_assert_eq(read(report_fds[0], &r, sizeof r), (ssize_t)sizeof r, "the child did not report");
    int status;
    waitpid(child, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child ended with status %#x", status);
    return r;
}

static uint64_t address_of(const void *fn)
{
    return (uint64_t)(uintptr_t)fn;
}

Test(remote_call, a_call_returns_its_result_and_the_child_goes_on_exactly)
{
    start_child();
    char err[256] = "";
    uint64_t result = 0;
    uint64_t args[3] = { 1, 20, 300 };
    cr_assert_eq(remote_call_run(&call, address_of(remember_sum), args, 3, CALL_TIMEOUT_MS, &result, err, sizeof err),
                 0, "%s", err);
    cr_expect_eq(result, 321);
    cr_assert_eq(remote_call_run(&call, address_of(getpid), NULL, 0, CALL_TIMEOUT_MS, &result, err, sizeof err), 0,
                 "%s", err);
    cr_expect_eq((pid_t)result, child);
    uint64_t text = remote_call_push_string(&call, "seventeen chars..", err, sizeof err);
    cr_assert_neq(text, 0, "%s", err);
    cr_assert_lt(text, thread.regs.rsp - 128, "strings go below the red zone");
    cr_assert_eq(remote_call_run(&call, address_of(strlen), &text, 1, CALL_TIMEOUT_MS, &result, err, sizeof err), 0,
                 "%s", err);
    cr_expect_eq(result, 17);
    char back[32];
    cr_assert_eq(remote_read_string(child, text, back, sizeof back), 0);
    cr_expect_str_eq(back, "seventeen chars..");
    end_call_and_release();
    child_report r = finish_child();
    cr_expect_eq(r.rc, 3, "read returned %ld (errno %d)", r.rc, r.error);
    cr_expect_str_eq(r.data, "abc");
    cr_expect_eq(r.called_with, 321, "the call ran in the child");
}

Test(remote_call, a_call_that_crashes_is_reported_and_the_child_survives)
{
    start_child();
    char err[256] = "";
    uint64_t result;
    cr_assert_eq(remote_call_run(&call, 0x10, NULL, 0, CALL_TIMEOUT_MS, &result, err, sizeof err), -1);
    cr_expect_str_eq(err, "the call crashed with SIGSEGV at 0x10");
    end_call_and_release();
    child_report r = finish_child();
    cr_expect_eq(r.rc, 3);
    cr_expect_str_eq(r.data, "abc");
}

Test(remote_call, a_signal_that_arrives_during_a_call_reaches_the_program_afterwards)
{
    start_child();
    pid_t sender = fork();
    if (sender == 0) {
        usleep(100 * 1000);
        kill(child, SIGUSR1);
        _exit(0);
    }
    char err[256] = "";
    uint64_t result = 99;
    cr_assert_eq(remote_call_run(&call, address_of(sleep_then_count_signals), NULL, 0, CALL_TIMEOUT_MS, &result, err,
                                 sizeof err),
                 0, "%s", err);
    waitpid(sender, NULL, 0);
    cr_expect_eq(result, 0, "the handler did not run during the call");
    cr_expect_eq(call.n_held, 1);
    end_call_and_release();
    child_report r = finish_child();
    cr_expect_eq(r.usr1_count, 1, "the handler ran once afterwards");
    cr_expect_eq(r.rc, 3, "read returned %ld (errno %d)", r.rc, r.error);
    cr_expect_str_eq(r.data, "abc");
}

Test(remote_call, a_process_that_exits_during_a_call_is_reported)
{
    start_child();
    char err[256] = "";
    uint64_t result, status = 7;
    cr_assert_eq(remote_call_run(&call, address_of(_exit), &status, 1, CALL_TIMEOUT_MS, &result, err, sizeof err), -1);
    char expected[64];
    snprintf(expected, sizeof expected, "thread %d exited with status 7", (int)child);
    cr_expect_str_eq(err, expected);
    cr_expect_not(thread.seized);
    cr_expect_eq(remote_call_end(&call, err, sizeof err), -1);
    ptrace_thread_release(&thread);
    waitpid(child, NULL, 0);
}
