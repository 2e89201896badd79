/* Thread facts from /proc/pid/task/tid (see stacks_thread_info.h), and x86-64 system call names
 * for the calls threads usually wait in. */
#include "stacks_thread_info.h"

#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

static void read_first_line(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    if (!fgets(buf, (int)len, f))
        buf[0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

void stacks_thread_info_read(pid_t pid, pid_t tid, stacks_thread_info *out)
{
    char path[80], stat[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    read_first_line(path, out->name, sizeof out->name);
    if (!out->name[0])
        snprintf(out->name, sizeof out->name, "?");
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    read_first_line(path, stat, sizeof stat);
    /* The state follows the name, which may hold spaces and parentheses: after the last ')'. */
    const char *end_of_name = strrchr(stat, ')');
    out->state = end_of_name && end_of_name[1] == ' ' && end_of_name[2] ? end_of_name[2] : '?';
}

static const struct {
    long number;
    const char *name;
} waiting_calls[] = {
    { SYS_read, "read" }, { SYS_write, "write" }, { SYS_poll, "poll" },
    { SYS_select, "select" }, { SYS_ioctl, "ioctl" }, { SYS_pread64, "pread64" },
    { SYS_readv, "readv" }, { SYS_writev, "writev" }, { SYS_sched_yield, "sched_yield" },
    { SYS_pause, "pause" }, { SYS_nanosleep, "nanosleep" }, { SYS_accept, "accept" },
    { SYS_connect, "connect" }, { SYS_sendto, "sendto" }, { SYS_recvfrom, "recvfrom" },
    { SYS_sendmsg, "sendmsg" }, { SYS_recvmsg, "recvmsg" }, { SYS_wait4, "wait4" },
    { SYS_msgrcv, "msgrcv" }, { SYS_semop, "semop" }, { SYS_flock, "flock" },
    { SYS_fsync, "fsync" }, { SYS_rt_sigsuspend, "rt_sigsuspend" },
    { SYS_rt_sigtimedwait, "rt_sigtimedwait" }, { SYS_futex, "futex" },
    { SYS_epoll_wait, "epoll_wait" }, { SYS_clock_nanosleep, "clock_nanosleep" },
    { SYS_waitid, "waitid" }, { SYS_pselect6, "pselect6" }, { SYS_ppoll, "ppoll" },
    { SYS_epoll_pwait, "epoll_pwait" }, { SYS_accept4, "accept4" },
    { SYS_recvmmsg, "recvmmsg" }, { SYS_io_getevents, "io_getevents" },
    { SYS_io_uring_enter, "io_uring_enter" }, { SYS_epoll_pwait2, "epoll_pwait2" },
};

void stacks_syscall_at_stop(const struct user_regs_struct *regs, char *buf, size_t len)
{
    /* orig_rax is the number of the call the thread is in, -1 when it stopped in user code. */
    long number = (long)regs->orig_rax;
    buf[0] = '\0';
    if (number < 0)
        return;
    for (size_t i = 0; i < sizeof waiting_calls / sizeof waiting_calls[0]; i++)
        if (waiting_calls[i].number == number) {
            snprintf(buf, len, "%s", waiting_calls[i].name);
            return;
        }
    snprintf(buf, len, "syscall %ld", number);
}
