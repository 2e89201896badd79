/* Breakpoint cost per hit: a small function called plainly, then with an armed breakpoint at its
 * entry whose hit resumes at once. Prints a table; writes the rows as JSON to argv[1] if given. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "stopper.h"
#include "trap.h"

#define CALIBRATION_SECONDS 0.05
#define MEASURE_SECONDS 1.0

typedef struct row {
    const char *name;
    double ns_per_op;
    long iterations;
} row;

static volatile long sink;

__attribute__((noinline, noclone)) long small_function(long x)
{
    __asm__ volatile("" ::: "memory");
    return x * 3 + 1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double seconds_for(long calls)
{
    double start = now_seconds();
    long acc = 0;
    for (long i = 0; i < calls; i++)
        acc += small_function(i);
    sink = acc;
    return now_seconds() - start;
}

/* Runs in its own thread: the main thread plays the agent, whose traps are never reported. */
static void *measure(void *arg)
{
    row *r = arg;
    long calls = 1000;
    double elapsed;
    while ((elapsed = seconds_for(calls)) < CALIBRATION_SECONDS)
        calls *= 2;
    r->iterations = (long)((double)calls * MEASURE_SECONDS / elapsed) + 1;
    r->ns_per_op = seconds_for(r->iterations) * 1e9 / (double)r->iterations;
    return NULL;
}

static void run_row(row *r)
{
    pthread_t thread;
    pthread_create(&thread, NULL, measure, r);
    pthread_join(thread, NULL);
}

static int fail(const char *what, const char *err)
{
    fprintf(stderr, "bench_trap: %s: %s\n", what, err);
    return 1;
}

static void print_and_save(const row *rows, size_t count, const char *json_path)
{
    printf("%-48s %12s %10s\n", "name", "ns/hit", "ratio");
    for (size_t i = 0; i < count; i++)
        printf("%-48s %12.1f %10.1f\n", rows[i].name, rows[i].ns_per_op,
               rows[i].ns_per_op / rows[0].ns_per_op);
    if (!json_path)
        return;
    FILE *out = fopen(json_path, "w");
    if (!out) {
        fprintf(stderr, "bench_trap: cannot write %s: %s\n", json_path, strerror(errno));
        return;
    }
    fprintf(out, "[\n");
    for (size_t i = 0; i < count; i++)
        fprintf(out,
                "  {\"name\": \"%s\", \"ns_per_op\": %.2f, \"ratio\": %.2f, "
                "\"iterations\": %ld}%s\n",
                rows[i].name, rows[i].ns_per_op, rows[i].ns_per_op / rows[0].ns_per_op,
                rows[i].iterations, i + 1 < count ? "," : "");
    fprintf(out, "]\n");
    fclose(out);
}

int main(int argc, char **argv)
{
    char err[256] = "";
    row rows[] = {
        {.name = "plain call"},
        {.name = "breakpoint hit, no hit handler"},
        {.name = "breakpoint hit, stop mode disabled"},
    };
    uintptr_t entry = (uintptr_t)small_function;

    run_row(&rows[0]);

    if (trap_init(err, sizeof err) < 0)
        return fail("trap_init", err);
    if (trap_arm(entry, err, sizeof err) < 0)
        return fail("trap_arm", err);
    run_row(&rows[1]);

    int notify[2];
    if (pipe(notify) < 0)
        return fail("pipe", strerror(errno));
    if (stopper_init(notify[1], (pid_t)syscall(SYS_gettid), err, sizeof err) < 0)
        return fail("stopper_init", err);
    stopper_set_enabled(false);
    run_row(&rows[2]);
    trap_disarm(entry);

    print_and_save(rows, sizeof rows / sizeof rows[0], argc > 1 ? argv[1] : NULL);
    return 0;
}
