/* Unit tests for ptrace_thread.c on forked children: a child stopped inside nanosleep or a blocking
 * read and then restored and released finishes its call as if never stopped (no EINTR, the full
 * sleep, every byte); errors name the problem (no such process, no permission, another tracer). */
#include <criterion/criterion.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child_fixture.h"
#include "ptrace/ptrace_thread.h"

#define STOP_TIMEOUT_MS 2000

/* What a child reports about its call: the call's return value, errno, and how long it took. */
typedef struct call_report {
    long rc;
    int error;
    int64_t elapsed_us;
    char data[16];
} call_report;

static void report(int fd, const call_report *r)
{
    if (write(fd, r, sizeof *r) != (ssize_t)sizeof *r)
        _exit(2);
    _exit(0);
}

static call_report collect(int fd, pid_t child)
{
    call_report r;
    cr_assert_eq(read(fd, &r, sizeof r), (ssize_t)sizeof r, "the child did not report");
    int status;
    waitpid(child, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return r;
}

/* Stops pid, keeps it stopped for hold_ms with its registers saved, restores and releases it. */
static void stop_hold_release(pid_t pid, int hold_ms, long expected_syscall)
{
    ptrace_thread t;
    char err[256] = "";
    cr_assert_eq(ptrace_thread_stop(&t, pid, STOP_TIMEOUT_MS, err, sizeof err), 0, "stop: %s", err);
    cr_assert(t.seized && t.stopped);
    cr_assert_eq((long)t.regs.orig_rax, expected_syscall, "stopped in syscall %lld", (long long)t.regs.orig_rax);
    cr_assert_eq(ptrace_thread_save_xstate(&t, err, sizeof err), 0, "xstate: %s", err);
    cr_assert_gt(t.xstate_len, 512u);
    usleep((useconds_t)hold_ms * 1000);
    cr_assert_eq(ptrace_thread_restore(&t, err, sizeof err), 0, "restore: %s", err);
    ptrace_thread_release(&t);
    cr_assert_not(t.seized);
    cr_assert_null(t.xstate);
}

Test(ptrace_thread, a_nanosleep_stopped_and_released_sleeps_its_full_time_without_eintr)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t child = fork();
    if (child == 0) {
        int64_t start = ptrace_now_us();
        struct timespec ts = { 0, 600 * 1000 * 1000 };
        call_report r = { .rc = nanosleep(&ts, NULL) };
        r.error = errno;
        r.elapsed_us = ptrace_now_us() - start;
        report(fds[1], &r);
    }
    child_wait_until_sleeping(child);
    stop_hold_release(child, 100, SYS_clock_nanosleep);
    call_report r = collect(fds[0], child);
    cr_expect_eq(r.rc, 0, "nanosleep returned %ld (errno %d)", r.rc, r.error);
    cr_expect_geq(r.elapsed_us, 600 * 1000, "slept %lld us", (long long)r.elapsed_us);
}

Test(ptrace_thread, a_blocking_read_stopped_and_released_gets_its_bytes_without_eintr)
{
    int data[2], result[2];
    cr_assert_eq(pipe(data), 0);
    cr_assert_eq(pipe(result), 0);
    pid_t child = fork();
    if (child == 0) {
        call_report r = { 0 };
        r.rc = read(data[0], r.data, sizeof r.data - 1);
        r.error = errno;
        report(result[1], &r);
    }
    child_wait_until_sleeping(child);
    stop_hold_release(child, 50, SYS_read);
    cr_assert_eq(write(data[1], "hello", 5), 5);
    call_report r = collect(result[0], child);
    cr_expect_eq(r.rc, 5, "read returned %ld (errno %d)", r.rc, r.error);
    cr_expect_str_eq(r.data, "hello");
}

Test(ptrace_thread, a_process_that_does_not_exist_is_named)
{
    ptrace_thread t;
    char err[256] = "";
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    cr_assert_eq(ptrace_thread_stop(&t, child, STOP_TIMEOUT_MS, err, sizeof err), -1);
    char expected[64];
    snprintf(expected, sizeof expected, "process %d does not exist", (int)child);
    cr_expect_str_eq(err, expected);
    cr_expect_not(t.seized);
    ptrace_thread_release(&t);
}

Test(ptrace_thread, threads_of_a_process_are_listed)
{
    pid_t tids[64];
    char err[256] = "";
    int n = ptrace_process_threads(getpid(), tids, 64, err, sizeof err);
    cr_assert_geq(n, 1, "%s", err);
    cr_expect_eq(tids[0], getpid());
    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    waitpid(gone, NULL, 0);
    cr_expect_eq(ptrace_process_threads(gone, tids, 64, err, sizeof err), -1);
    cr_expect(strstr(err, "does not exist"), "%s", err);
}

/* Has a child (without privileges when asked) try to stop target; its error text into err. */
static void stop_from_child(pid_t target, bool drop_privileges, char *err, size_t err_len)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t child = fork();
    if (child == 0) {
        if (drop_privileges && (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
                                setresuid(65534, 65534, 65534) != 0))
            _exit(3);
        ptrace_thread t;
        char text[256] = "";
        if (ptrace_thread_stop(&t, target, STOP_TIMEOUT_MS, text, sizeof text) == 0)
            snprintf(text, sizeof text, "stopped");
        ptrace_thread_release(&t);
        if (write(fds[1], text, strlen(text) + 1) < 0)
            _exit(2);
        _exit(0);
    }
    ssize_t n = read(fds[0], err, err_len - 1);
    cr_assert_gt(n, 0, "the child could not report");
    err[n] = '\0';
    waitpid(child, NULL, 0);
    close(fds[0]);
    close(fds[1]);
}

Test(ptrace_thread, without_permission_the_error_says_what_is_missing)
{
    if (geteuid() != 0)
        cr_skip_test("needs root to drop privileges");
    pid_t sleeper = fork();
    if (sleeper == 0) {
        pause();
        _exit(0);
    }
    char err[256];
    stop_from_child(sleeper, true, err, sizeof err);
    kill(sleeper, SIGKILL);
    waitpid(sleeper, NULL, 0);
    cr_expect(strstr(err, "no permission to trace") && strstr(err, "CAP_SYS_PTRACE"), "%s", err);
}

Test(ptrace_thread, a_process_traced_by_someone_else_names_its_tracer)
{
    pid_t sleeper = fork();
    if (sleeper == 0) {
        pause();
        _exit(0);
    }
    ptrace_thread held;
    char err[256] = "";
    cr_assert_eq(ptrace_thread_stop(&held, sleeper, STOP_TIMEOUT_MS, err, sizeof err), 0, "%s", err);
    stop_from_child(sleeper, false, err, sizeof err);
    ptrace_thread_release(&held);
    kill(sleeper, SIGKILL);
    waitpid(sleeper, NULL, 0);
    char expected[64];
    snprintf(expected, sizeof expected, "%d is already traced by %d", (int)sleeper, (int)getpid());
    cr_expect(strstr(err, expected), "%s", err);
}
