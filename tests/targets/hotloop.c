/* A target for the condition and snapshot benchmarks: each stdin line "N" calls handle() N times
 * in a tight loop, "deep N" calls it N times at the bottom of ten nested calls, and each prints the
 * wall time per call; tests mark the breakpoint lines with BP comments. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Ten frames, each with an argument and two locals, above handle_deep. */
__attribute__((noinline)) int descend(int level, struct req *r)
{
    int below = level * 3;
    long mark = total + level;
    if (level == 0) {
        total += r->amount; /* BP:deep */
        return (int)mark;
    }
    int got = descend(level - 1, r);
    total ^= got; /* after the call: it stays a real call at -O2 */
    return below + (int)(mark & 1);
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
        bool deep = strncmp(line, "deep ", 5) == 0;
        long n = atol(deep ? line + 5 : line);
        struct req r = { 0, 100 };
        double start = now_ns();
        for (long i = 0; i < n; i++) {
            r.id = (int)i;
            if (deep)
                descend(9, &r);
            else
                handle(&r);
        }
        printf("ns_per_call %.1f calls %ld\n", (now_ns() - start) / (n > 0 ? n : 1), n);
        fflush(stdout);
    }
    return 0;
}
