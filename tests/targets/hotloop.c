/* A target for the condition benchmarks: each stdin line "N" calls handle() N times in a tight
 * loop and prints the wall time per call; tests mark the breakpoint line with a BP comment. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct req {
    int id;
    int amount;
};

volatile long total;

__attribute__((noinline)) void handle(struct req *r)
{
    total += r->amount; /* BP:hot */
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(void)
{
    printf("ready pid=%d\n", (int)getpid());
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        long n = atol(line);
        struct req r = { 0, 100 };
        double start = now_ns();
        for (long i = 0; i < n; i++) {
            r.id = (int)i;
            handle(&r);
        }
        printf("ns_per_call %.1f calls %ld\n", (now_ns() - start) / (n > 0 ? n : 1), n);
        fflush(stdout);
    }
    return 0;
}
