/* Unit tests for common/log: level names, filtering, the line format, truncation of long
 * messages, and whole lines from concurrent threads. Each test captures stderr in a file. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LINE_PATTERN "^[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "

static FILE *captured;

/* Points fd 2 at a temporary file for the rest of the test (each test runs in its own process). */
static void capture_stderr(void)
{
    captured = tmpfile();
    cr_assert_not_null(captured);
    cr_assert_neq(dup2(fileno(captured), STDERR_FILENO), -1);
}

/* Everything written to stderr so far, NUL-terminated; the caller frees it. */
static char *captured_text(void)
{
    long size = lseek(STDERR_FILENO, 0, SEEK_CUR);
    char *text = calloc(1, (size_t)size + 1);
    cr_assert_eq(pread(STDERR_FILENO, text, (size_t)size, 0), size);
    return text;
}

static void expect_matches(const char *text, const char *pattern)
{
    regex_t re;
    cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE), 0);
    cr_expect_eq(regexec(&re, text, 0, NULL, 0), 0, "\"%s\" does not match %s", text, pattern);
    regfree(&re);
}

Test(log, parses_level_names)
{
    static const struct { const char *name; log_level level; } names[] = {
        { "error", LOG_ERROR }, { "warn", LOG_WARN }, { "info", LOG_INFO },
        { "debug", LOG_DEBUG }, { "DEBUG", LOG_DEBUG },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        log_level level = (log_level)-1;
        cr_expect_eq(log_parse_level(names[i].name, &level), 0, "%s", names[i].name);
        cr_expect_eq(level, names[i].level, "%s", names[i].name);
    }
    log_level untouched = LOG_WARN;
    cr_expect_eq(log_parse_level("verbose", &untouched), -1);
    cr_expect_eq(log_parse_level(NULL, &untouched), -1);
    cr_expect_eq(untouched, LOG_WARN);
}

Test(log, default_level_is_info_and_can_be_changed)
{
    cr_expect_eq(log_get_level(), LOG_INFO);
    log_set_level(LOG_DEBUG);
    cr_expect_eq(log_get_level(), LOG_DEBUG);
}

Test(log, line_has_time_prefix_level_and_message)
{
    capture_stderr();
    log_info("listening on port %d", 4700);
    log_set_prefix("podbug-probe[12]");
    log_error("lost %s", "server");
    char *text = captured_text();
    expect_matches(text, LINE_PATTERN "podbug INFO listening on port 4700\n" "[0-9:.]{12} "
                         "podbug-probe\\[12\\] ERROR lost server\n$");
    free(text);
}

Test(log, messages_below_the_level_are_dropped)
{
    capture_stderr();
    log_set_level(LOG_WARN);
    log_debug("hidden debug");
    log_info("hidden info");
    log_warn("shown");
    char *text = captured_text();
    expect_matches(text, LINE_PATTERN "podbug WARN shown\n$");
    free(text);
}

Test(log, long_messages_are_cut_but_keep_their_newline)
{
    capture_stderr();
    char *big = malloc(10000);
    memset(big, 'x', 9999);
    big[9999] = '\0';
    log_info("%s", big);
    char *text = captured_text();
    size_t len = strlen(text);
    cr_expect_eq(len, 4096);
    cr_expect_str_eq(text + len - 4, "...\n");
    free(text);
    free(big);
}

#define THREADS 4
#define LINES_PER_THREAD 300

static void *log_many(void *arg)
{
    for (int i = 0; i < LINES_PER_THREAD; i++)
        log_info("thread %ld line %d %s", (long)(intptr_t)arg, i, "padding-padding-padding");
    return NULL;
}

Test(log, concurrent_lines_never_interleave)
{
    capture_stderr();
    pthread_t threads[THREADS];
    for (intptr_t t = 0; t < THREADS; t++)
        cr_assert_eq(pthread_create(&threads[t], NULL, log_many, (void *)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    char *text = captured_text();
    regex_t re;
    cr_assert_eq(regcomp(&re, LINE_PATTERN "podbug INFO thread [0-9] line [0-9]+ padding-padding-padding$",
                         REG_EXTENDED | REG_NOSUB), 0);
    int lines = 0;
    for (char *save, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cr_expect_eq(regexec(&re, line, 0, NULL, 0), 0, "garbled line: %s", line);
        lines++;
    }
    cr_expect_eq(lines, THREADS * LINES_PER_THREAD);
    regfree(&re);
    free(text);
}
