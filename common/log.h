/* Leveled logging to stderr shared by the server, the probe and the CLI.
 * One process-wide level and prefix; safe from any thread, never from a signal handler. */
#ifndef PODBUG_LOG_H
#define PODBUG_LOG_H

typedef enum { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level;

/* "error" | "warn" | "info" | "debug" -> level; returns 0 on success, -1 if unknown. */
int log_parse_level(const char *name, log_level *out);
void log_set_level(log_level level);
log_level log_get_level(void);
/* Text printed before every line, e.g. "podbug-server" or "podbug-probe[1234]". Copied. */
void log_set_prefix(const char *prefix);
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
