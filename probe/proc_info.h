/* Facts read from /proc: the own process's start time and thread names (what the probe reports),
 * status fields and names of any process (who traces a process). Not for signal handlers. */
#ifndef PODBUG_PROC_INFO_H
#define PODBUG_PROC_INFO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Process start, ms since the epoch (0 when /proc cannot tell). */
int64_t proc_start_time_ms(void);
/* The thread's name (comm) into buf; "?" when it has gone. */
void proc_thread_name(pid_t tid, char *buf, size_t len);
/* The name (comm) of process pid into buf; "?" when it has gone. */
void proc_process_name(pid_t pid, char *buf, size_t len);
/* The state letter of thread tid of process pid ('R', 'S', 'D', 'T', 'Z'...; /proc/pid/task/tid/stat);
 * '?' when it has gone. */
char proc_task_state(pid_t pid, pid_t tid);
/* The number after key ("TracerPid:", "Tgid:") in the status file at path ("/proc/42/status",
 * "/proc/thread-self/status"); -1 when the file or the key is missing. */
long proc_status_number(const char *path, const char *key);

#endif
