/* The program of the hot-reload tests, benchmark and demo: worker threads call handle() of
 * libhandlers.so in a tight loop, check every result against the known versions' and report.
 *
 * Two builds of this file (see the Makefile): reload_app is linked with version 1 (DT_NEEDED) and
 * runs as `reload_app linked`; reload_app_unlinked has no such link and runs as
 * `reload_app_unlinked dlopen LIBRARY`, loading it with dlopen(RTLD_NOW | RTLD_LOCAL) and calling
 * through the function pointers dlsym gave. Options: --threads N (workers, 4), --ids N (request ids
 * cycle through 0..N-1, 1000), --status-ms N (50), --pin CPU (the workers run on that CPU only).
 *
 * Output: "ready pid=P mode=M threads=N", then every status period one line
 *   calls=N total=G here=S last=R bad=B fn_static=F results=R0,R1,... switched_ns=T maxgap_ns=M
 * calls: handle() calls made (workers and main); total, here, fn_static: the library's global,
 * file static and function static counters; last: worker 0's last result (with no workers, the
 * last "call" command's); bad: results no version gives; results: each worker's last result;
 * switched_ns: CLOCK_MONOTONIC time when a worker last saw its result change (the latest of all);
 * maxgap_ns: the longest time between two consecutive calls of any worker since the previous line.
 * A stdin line "call" (or "call ID": a request with that id) makes the main thread call handle()
 * once and print "result=R". On SIGTERM, SIGINT or the end of stdin (when stdin is a pipe or a
 * socket) the workers stop and are joined, and the last line is
 * "final calls=N total=G here=S bad=B fn_static=F". */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "handlers.h"

/* Weak: reload_app_unlinked is linked without libhandlers.so, and these are then null. */
#pragma weak handle
#pragma weak handlers_total
#pragma weak handlers_here
#pragma weak handlers_calls

#define MAX_WORKERS 64
#define REQUEST_AMOUNT 10

typedef struct handlers_api {
    int (*handle)(const struct request *r);
    long (*total)(void);
    long (*here)(void);
    long (*calls)(void);
} handlers_api;

typedef struct worker {
    _Alignas(64) pthread_t thread; /* one cache line each: the counters are written every call */
    int index;
    atomic_long calls, bad, max_gap_ns, changed_ns;
    atomic_int last;
} worker;

static handlers_api api;
static worker workers[MAX_WORKERS];
static int worker_count = 4;
static long id_range = 1000;
static long status_ms = 50;
static int pin_cpu = -1;
static atomic_bool stopping;
static volatile sig_atomic_t stop_requested;

static long monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static bool known_result(int result)
{
    return result == HANDLERS_V1_RESULT(REQUEST_AMOUNT) || result == HANDLERS_V2_RESULT(REQUEST_AMOUNT) ||
           result == HANDLERS_V3_RESULT(REQUEST_AMOUNT);
}

static void *work(void *arg)
{
    worker *w = arg;
    char name[16];
    snprintf(name, sizeof name, "handler-%d", w->index);
    pthread_setname_np(pthread_self(), name);
    if (pin_cpu >= 0) {
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        CPU_SET(pin_cpu, &cpus);
        if (pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus) != 0)
            fprintf(stderr, "reload_app: cannot pin %s to CPU %d\n", name, pin_cpu);
    }
    long calls = 0, bad = 0, previous_ns = 0;
    int last = 0;
    while (!atomic_load_explicit(&stopping, memory_order_relaxed)) {
        struct request req = { .id = (int)(calls % id_range), .amount = REQUEST_AMOUNT };
        int result = api.handle(&req);
        long now = monotonic_ns();
        if (!known_result(result))
            atomic_store_explicit(&w->bad, ++bad, memory_order_relaxed);
        if (result != last) {
            last = result;
            atomic_store_explicit(&w->last, result, memory_order_relaxed);
            atomic_store_explicit(&w->changed_ns, now, memory_order_relaxed);
        }
        if (previous_ns && now - previous_ns > atomic_load_explicit(&w->max_gap_ns, memory_order_relaxed))
            atomic_store_explicit(&w->max_gap_ns, now - previous_ns, memory_order_relaxed);
        previous_ns = now;
        atomic_store_explicit(&w->calls, ++calls, memory_order_relaxed);
    }
    return NULL;
}

/* The main thread's own calls ("call" on stdin). */
static long main_calls, main_bad;
static int main_last;

static void call_once(int id)
{
    struct request req = { .id = id, .amount = REQUEST_AMOUNT };
    main_last = api.handle(&req);
    main_calls++;
    if (!known_result(main_last))
        main_bad++;
    printf("result=%d\n", main_last);
}

static void sum_workers(long *calls, long *bad)
{
    *calls = main_calls;
    *bad = main_bad;
    for (int i = 0; i < worker_count; i++) {
        *calls += atomic_load_explicit(&workers[i].calls, memory_order_relaxed);
        *bad += atomic_load_explicit(&workers[i].bad, memory_order_relaxed);
    }
}

static void print_status(void)
{
    long calls, bad, switched_ns = 0, max_gap_ns = 0;
    sum_workers(&calls, &bad);
    char results[MAX_WORKERS * 12] = "";
    size_t used = 0;
    for (int i = 0; i < worker_count; i++) {
        worker *w = &workers[i];
        used += (size_t)snprintf(results + used, sizeof results - used, "%s%d", i ? "," : "",
                                 atomic_load_explicit(&w->last, memory_order_relaxed));
        long changed = atomic_load_explicit(&w->changed_ns, memory_order_relaxed);
        long gap = atomic_exchange_explicit(&w->max_gap_ns, 0, memory_order_relaxed);
        switched_ns = changed > switched_ns ? changed : switched_ns;
        max_gap_ns = gap > max_gap_ns ? gap : max_gap_ns;
    }
    int last = worker_count ? atomic_load_explicit(&workers[0].last, memory_order_relaxed) : main_last;
    printf("calls=%ld total=%ld here=%ld last=%d bad=%ld fn_static=%ld results=%s switched_ns=%ld "
           "maxgap_ns=%ld\n",
           calls, api.total(), api.here(), last, bad, api.calls(), results, switched_ns, max_gap_ns);
}

/* Reads what stdin has; runs each complete "call [ID]" line. False at the end of stdin. */
static bool read_commands(void)
{
    static char pending[256];
    static size_t used;
    ssize_t n = read(STDIN_FILENO, pending + used, sizeof pending - 1 - used);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0)
        return false;
    used += (size_t)n;
    pending[used] = '\0';
    char *line = pending, *newline;
    while ((newline = strchr(line, '\n'))) {
        *newline = '\0';
        if (strcmp(line, "call") == 0)
            call_once((int)(main_calls % id_range));
        else if (strncmp(line, "call ", 5) == 0)
            call_once(atoi(line + 5));
        line = newline + 1;
    }
    used = strlen(line);
    memmove(pending, line, used + 1);
    if (used == sizeof pending - 1)
        used = 0; /* a line this long is no command */
    return true;
}

/* Waits until the next status line is due, running commands meanwhile; false when it is time to
 * stop. stdin counts only when it is a pipe or a socket: /dev/null or a terminal never ends the
 * program. */
static bool wait_status_period(bool watch_stdin)
{
    long due = monotonic_ns() + status_ms * 1000000L;
    for (long left; !stop_requested && (left = due - monotonic_ns()) > 0;) {
        if (!watch_stdin) {
            struct timespec ts = { left / 1000000000L, left % 1000000000L };
            nanosleep(&ts, NULL);
            continue;
        }
        struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
        int ready = poll(&in, 1, (int)((left + 999999) / 1000000));
        if (ready > 0 && !read_commands())
            return false;
    }
    return !stop_requested;
}

static void on_stop_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

static void usage_error(const char *why)
{
    fprintf(stderr, "reload_app: %s\nusage: reload_app linked [options] | reload_app_unlinked dlopen LIBRARY "
                    "[options]\noptions: --threads N (0..%d) --ids N --status-ms N --pin CPU\n", why, MAX_WORKERS);
    exit(2);
}

static long number_option(const char *name, const char *text, long low, long high)
{
    char *end;
    errno = 0;
    long value = text ? strtol(text, &end, 10) : 0;
    if (!text || errno || *end || end == text || value < low || value > high) {
        char why[128];
        snprintf(why, sizeof why, "%s takes a number from %ld to %ld", name, low, high);
        usage_error(why);
    }
    return value;
}

static void *required_symbol(void *library, const char *name)
{
    void *address = dlsym(library, name);
    if (!address) {
        fprintf(stderr, "reload_app: the library has no %s\n", name);
        exit(2);
    }
    return address;
}

/* Fills api for the mode; argv[next] is the first option after the mode's arguments. */
static int load_handlers(int argc, char **argv)
{
    bool linked = handle != NULL;
    if (argc > 1 && strcmp(argv[1], "linked") == 0) {
        if (!linked)
            usage_error("this build is not linked with libhandlers.so: use reload_app (linked)");
        api = (handlers_api){ handle, handlers_total, handlers_here, handlers_calls };
        return 2;
    }
    if (argc > 2 && strcmp(argv[1], "dlopen") == 0) {
        if (linked)
            usage_error("this build is linked with libhandlers.so: dlopen mode needs reload_app_unlinked");
        void *library = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
        if (!library) {
            fprintf(stderr, "reload_app: %s\n", dlerror());
            exit(2);
        }
        api.handle = (int (*)(const struct request *))required_symbol(library, "handle");
        api.total = (long (*)(void))required_symbol(library, "handlers_total");
        api.here = (long (*)(void))required_symbol(library, "handlers_here");
        api.calls = (long (*)(void))required_symbol(library, "handlers_calls");
        return 3;
    }
    usage_error("the first argument is the mode: linked, or dlopen LIBRARY");
    return 0;
}

int main(int argc, char **argv)
{
    int next = load_handlers(argc, argv);
    for (int i = next; i < argc; i += 2) {
        if (strcmp(argv[i], "--threads") == 0)
            worker_count = (int)number_option("--threads", argv[i + 1], 0, MAX_WORKERS);
        else if (strcmp(argv[i], "--ids") == 0)
            id_range = number_option("--ids", argv[i + 1], 1, INT_MAX);
        else if (strcmp(argv[i], "--status-ms") == 0)
            status_ms = number_option("--status-ms", argv[i + 1], 1, 3600000);
        else if (strcmp(argv[i], "--pin") == 0)
            pin_cpu = (int)number_option("--pin", argv[i + 1], 0, CPU_SETSIZE - 1);
        else
            usage_error("unknown option");
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* The workers never take SIGTERM or SIGINT: the main thread does, and stops them. */
    struct sigaction stop = { .sa_handler = on_stop_signal };
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGINT, &stop, NULL);
    sigset_t stop_signals, previous;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
    for (int i = 0; i < worker_count; i++) {
        workers[i].index = i;
        if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0) {
            fprintf(stderr, "reload_app: cannot start worker %d\n", i);
            return 1;
        }
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);

    struct stat in;
    bool watch_stdin = fstat(STDIN_FILENO, &in) == 0 && (S_ISFIFO(in.st_mode) || S_ISSOCK(in.st_mode));
    printf("ready pid=%d mode=%s threads=%d\n", (int)getpid(), argv[1], worker_count);
    while (wait_status_period(watch_stdin))
        print_status();

    atomic_store(&stopping, true);
    for (int i = 0; i < worker_count; i++)
        pthread_join(workers[i].thread, NULL);
    long calls, bad;
    sum_workers(&calls, &bad);
    printf("final calls=%ld total=%ld here=%ld bad=%ld fn_static=%ld\n", calls, api.total(), api.here(), bad,
           api.calls());
    return 0;
}
