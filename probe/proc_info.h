/* Facts about the own process that the probe reports: start time, thread names.
 * Read from /proc; agent thread only. */
#ifndef PODBUG_PROC_INFO_H
#define PODBUG_PROC_INFO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Process start, ms since the epoch (0 when /proc cannot tell). */
int64_t proc_start_time_ms(void);
/* The thread's name (comm) into buf; "?" when it has gone. */
void proc_thread_name(pid_t tid, char *buf, size_t len);

#endif
