/* A target for the fast breakpoint path: worker threads call small functions in tight loops (a
 * short function, a line starting with a global's load, a loop body, a switch) and print a checksum
 * of their results; stdin "run THREADS N" runs N iterations in each of THREADS threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 8

struct item {
    int id;
    long weight;
};

long scale = 3;
long table[16] = {5, 3, 8, 1, 9, 2, 7, 4, 6, 0, 11, 13, 12, 10, 15, 14};
volatile long sink;

__attribute__((noinline)) int short_add(int a, int b)
{
    return a + b; /* BP:short */
}

__attribute__((noinline)) long weigh(const struct item *it, int i)
{
    long factor = scale; /* BP:rip */
    long w = table[i & 15] * it->weight * factor;
    return w + it->id;
}

__attribute__((noinline)) long loop_sum(const struct item *items, int n)
{
    long s = 0;
    for (int k = 0; k < n; k++) {
        s += items[k].weight * k; /* BP:loop */
    }
    return s;
}

__attribute__((noinline)) int classify(int v)
{
    int r = v * 3; /* BP:switch */
    switch (v & 7) {
    case 0: sink += r; break;
    case 1: sink ^= r; break;
    case 2: sink -= r * 5; break;
    case 3: sink += r >> 2; break;
    case 4: sink |= r & 0xff; break;
    case 5: sink += r * r; break;
    case 6: sink = sink * 3 + r; break;
    default: sink -= 7; break;
    }
    return r & 0xfff;
}

struct run {
    long thread;
    long iterations;
    long result;
};

static void *worker(void *arg)
{
    struct run *run = arg;
    struct item items[8];
    for (int k = 0; k < 8; k++)
        items[k] = (struct item){ k, k * 2 + run->thread };
    long acc = 0;
    for (long i = 0; i < run->iterations; i++) {
        struct item it = { (int)i, i % 7 + run->thread };
        acc += short_add((int)i, (int)run->thread);
        acc += weigh(&it, (int)i);
        if ((i & 63) == 0)
            acc ^= classify((int)i);
        if ((i & 255) == 0)
            acc += loop_sum(items, 8);
    }
    run->result = acc;
    return NULL;
}

int main(void)
{
    printf("ready pid=%d\n", (int)getpid());
    fflush(stdout);
    char line[128];
    while (fgets(line, sizeof line, stdin)) {
        long threads = 0, iterations = 0;
        if (sscanf(line, "run %ld %ld", &threads, &iterations) != 2 || threads < 1 || threads > MAX_THREADS) {
            printf("usage: run THREADS N\n");
            fflush(stdout);
            continue;
        }
        struct run runs[MAX_THREADS];
        pthread_t ids[MAX_THREADS];
        for (long t = 0; t < threads; t++) {
            runs[t] = (struct run){ t, iterations, 0 };
            pthread_create(&ids[t], NULL, worker, &runs[t]);
        }
        unsigned long checksum = 0;
        for (long t = 0; t < threads; t++) {
            pthread_join(ids[t], NULL);
            checksum = checksum * 1000003u + (unsigned long)runs[t].result;
        }
        printf("checksum %lu\n", checksum);
        fflush(stdout);
    }
    return 0;
}
