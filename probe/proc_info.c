/* Reads /proc/self for the probe's registration and thread names (see proc_info.h).
 * Start time = boot time (/proc/stat btime) + the process's starttime in clock ticks. */
#include "proc_info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int64_t proc_start_time_ms(void)
{
    long long btime = 0;
    char line[256];
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "btime %lld", &btime) == 1)
            break;
    fclose(f);

    char stat[1024];
    f = fopen("/proc/self/stat", "re");
    if (!f)
        return 0;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    /* Fields after the command name (which may contain spaces) start after the last ')'. */
    const char *p = strrchr(stat, ')');
    unsigned long long start_ticks = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                     &start_ticks) != 1)
        return 0;
    long hz = sysconf(_SC_CLK_TCK);
    return btime * 1000 + (int64_t)(start_ticks * 1000 / (unsigned long long)(hz > 0 ? hz : 100));
}

/* The first line of the file at path, without its newline, into buf; "?" when unreadable. */
static void read_first_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "re");
    if (!f || !fgets(buf, (int)len, f)) {
        snprintf(buf, len, "?");
    } else {
        buf[strcspn(buf, "\n")] = '\0';
    }
    if (f)
        fclose(f);
}

void proc_thread_name(pid_t tid, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tid);
    read_first_line(path, buf, len);
}

void proc_process_name(pid_t pid, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    read_first_line(path, buf, len);
}

long proc_status_number(const char *path, const char *key)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char line[256];
    long value = -1;
    size_t key_len = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, key_len) == 0) {
            value = strtol(line + key_len, NULL, 10);
            break;
        }
    fclose(f);
    return value;
}

char proc_task_state(pid_t pid, pid_t tid)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return '?';
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *paren = strrchr(stat, ')');
    return paren && paren[1] == ' ' ? paren[2] : '?';
}
