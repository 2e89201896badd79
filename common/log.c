/* Leveled logging to stderr: "12:34:56.789 <prefix> <LEVEL> message", one write(2) per line
 * so that lines from different threads never interleave. Level and prefix are process-wide. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096
#define LOG_PREFIX_MAX 128

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

static atomic_int current_level = LOG_INFO;
static pthread_mutex_t prefix_lock = PTHREAD_MUTEX_INITIALIZER;
static char current_prefix[LOG_PREFIX_MAX] = "podbug";

int log_parse_level(const char *name, log_level *out)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_set_level(log_level level) { atomic_store(&current_level, (int)level); }

log_level log_get_level(void) { return (log_level)atomic_load(&current_level); }

void log_set_prefix(const char *prefix)
{
    pthread_mutex_lock(&prefix_lock);
    snprintf(current_prefix, sizeof current_prefix, "%s", prefix ? prefix : "");
    pthread_mutex_unlock(&prefix_lock);
}

/* Writes the whole buffer, retrying after interrupts and short writes. */
static void write_fully(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

void log_msg(log_level level, const char *fmt, ...)
{
    if ((int)level > atomic_load(&current_level) || (int)level < LOG_ERROR)
        return;

    int saved_errno = errno; /* callers may log before reporting errno themselves */
    struct timespec now;
    struct tm local;
    clock_gettime(CLOCK_REALTIME, &now);
    localtime_r(&now.tv_sec, &local);

    char line[LOG_LINE_MAX];
    pthread_mutex_lock(&prefix_lock);
    int used = snprintf(line, sizeof line, "%02d:%02d:%02d.%03ld %s %s ", local.tm_hour,
                        local.tm_min, local.tm_sec, now.tv_nsec / 1000000L, current_prefix,
                        level_names[level]);
    pthread_mutex_unlock(&prefix_lock);

    va_list args;
    va_start(args, fmt);
    int wanted = vsnprintf(line + used, sizeof line - (size_t)used, fmt, args);
    va_end(args);

    size_t len = (size_t)used + (wanted > 0 ? (size_t)wanted : 0);
    if (len > sizeof line - 1) {
        static const char marker[] = "...";
        len = sizeof line - 1; /* keep one byte for the newline */
        memcpy(line + len - (sizeof marker - 1), marker, sizeof marker - 1);
    }
    line[len++] = '\n';
    write_fully(STDERR_FILENO, line, len);
    errno = saved_errno;
}
