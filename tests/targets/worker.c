/* A small multithreaded "service" for podbug's tests: worker threads handle requests in a loop.
 * Lines marked "BP:<name>" are where tests set breakpoints; tests find them by that marker. */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct request {
    int id;
    int amount;
    const char *user;
};

long requests_handled;   /* read by tests through the probe later; updated atomically */

__attribute__((noinline)) int compute_fee(const struct request *req)
{
    int fee = req->amount / 100; /* BP:compute_fee */
    if (fee > 40)
        fee = 40;
    return fee + 1;
}

__attribute__((noinline)) int handle_request(struct request *req)
{
    int fee = compute_fee(req); /* BP:handle_request */
    __atomic_add_fetch(&requests_handled, 1, __ATOMIC_RELAXED);
    return fee;
}

static unsigned interval_us = 20000;

static void sleep_interval(void)
{
    /* Sleep the whole interval even when a signal interrupts it. */
    struct timespec left = { interval_us / 1000000, (long)(interval_us % 1000000) * 1000 };
    while (nanosleep(&left, &left) != 0)
        ;
}

static void *worker_main(void *arg)
{
    int index = (int)(intptr_t)arg;
    char name[16];
    snprintf(name, sizeof name, "worker-%d", index);
    pthread_setname_np(pthread_self(), name);
    for (int i = 0;; i++) {
        struct request req = { .id = i, .amount = (i * 37 + index * 1000) % 5000, .user = "alice" };
        handle_request(&req);
        sleep_interval();
    }
    return NULL;
}

/* "stdin" mode: the main thread handles one request per input line, so that a test or a
 * benchmark decides exactly when the breakpointed code runs. */
static void serve_stdin(void)
{
    char line[256];
    for (int i = 0; fgets(line, sizeof line, stdin); i++) {
        struct request req = { .id = i, .amount = atoi(line), .user = "stdin" };
        printf("fee %d\n", handle_request(&req));
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    if (argc > 2)
        interval_us = (unsigned)atoi(argv[2]);
    bool from_stdin = argc > 3 && strcmp(argv[3], "stdin") == 0;
    if (threads < 0 || threads > 64 || (threads == 0 && !from_stdin)) {
        fprintf(stderr, "usage: %s [threads 0..64] [interval_us] [stdin]\n", argv[0]);
        return 2;
    }
    for (int i = 0; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker_main, (void *)(intptr_t)i) != 0) {
            perror("pthread_create");
            return 1;
        }
    }
    printf("ready pid=%d threads=%d\n", (int)getpid(), threads);
    fflush(stdout);
    if (from_stdin) {
        serve_stdin();
        return 0;
    }
    for (;;)
        pause();
}
