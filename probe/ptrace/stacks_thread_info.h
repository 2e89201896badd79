/* What /proc says about a thread of another process (its name and scheduler state), and the name
 * of the system call a held thread is in, for `podbug stacks`. */
#ifndef PODBUG_STACKS_THREAD_INFO_H
#define PODBUG_STACKS_THREAD_INFO_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/user.h>

#define STACKS_THREAD_NAME_MAX 32

typedef struct stacks_thread_info {
    char name[STACKS_THREAD_NAME_MAX]; /* comm; "?" when the thread has gone */
    char state;                        /* 'R', 'S', 'D', 'T', 't', 'Z'...; '?' when gone */
} stacks_thread_info;

/* Reads /proc/pid/task/tid/comm and stat. */
void stacks_thread_info_read(pid_t pid, pid_t tid, stacks_thread_info *out);

/* The system call a thread held by ptrace was in when it stopped ("futex", or "syscall 435" for
 * one this table does not name), into buf; "" when it was running user code. */
void stacks_syscall_at_stop(const struct user_regs_struct *regs, char *buf, size_t len);

#endif
