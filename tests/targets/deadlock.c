/* A program that deadlocks for sure, for `podbug stacks`: "lock-a" and "lock-b" wait for each
 * other's mutex while "ticker" counts on; "status" on stdin prints the count ("ticks N"). */

/* A barrier makes each lock thread hold its first mutex before taking the second. Lines marked
 * "STACK:<name>" are where the stacks must show the threads waiting; tests find them by marker.
 * Usage: deadlock [threads]: threads in all (at least 4, default 4); the others sleep. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t first_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t second_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t each_holds_one; /* lock-a, lock-b and main */
static long ticks;
int last_order; /* written after the (never reached) end of the deadlock */

struct lock_plan {
    const char *name;
    int order;
    pthread_mutex_t *first, *second;
};

static inline __attribute__((always_inline)) void wait_for(pthread_mutex_t *second)
{
    pthread_mutex_lock(second); /* STACK:wait_for */
}

__attribute__((noinline)) void take_both(int order, pthread_mutex_t *first, pthread_mutex_t *second)
{
    pthread_mutex_lock(first);
    pthread_barrier_wait(&each_holds_one);
    wait_for(second); /* STACK:take_both */
    last_order = order;
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
}

static void *lock_thread(void *arg)
{
    const struct lock_plan *plan = arg;
    pthread_setname_np(pthread_self(), plan->name);
    take_both(plan->order, plan->first, plan->second); /* STACK:lock_thread */
    printf("%s got both locks\n", plan->name);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec left = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep(&left, &left) != 0)
        ;
}

static void *ticker_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "ticker");
    for (;;) {
        sleep_ms(10);
        __atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void *sleeper_thread(void *arg)
{
    char name[16];
    snprintf(name, sizeof name, "sleeper-%d", (int)(intptr_t)arg);
    pthread_setname_np(pthread_self(), name);
    for (;;)
        sleep_ms(50);
    return NULL;
}

static void start(void *(*body)(void *), void *arg)
{
    pthread_t thread;
    if (pthread_create(&thread, NULL, body, arg) != 0) {
        perror("pthread_create");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    if (threads < 4 || threads > 64) {
        fprintf(stderr, "usage: %s [threads 4..64]\n", argv[0]);
        return 2;
    }
    static struct lock_plan a = { "lock-a", 1, &first_lock, &second_lock };
    static struct lock_plan b = { "lock-b", 2, &second_lock, &first_lock };
    pthread_barrier_init(&each_holds_one, NULL, 3);
    start(lock_thread, &a);
    start(lock_thread, &b);
    start(ticker_thread, NULL);
    for (int i = 4; i < threads; i++)
        start(sleeper_thread, (void *)(intptr_t)(i - 3));
    pthread_barrier_wait(&each_holds_one);
    printf("ready %d\n", (int)getpid());
    fflush(stdout);

    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "status", 6) == 0)
            printf("ticks %ld\n", __atomic_load_n(&ticks, __ATOMIC_RELAXED));
        fflush(stdout);
    }
    for (;;) /* stdin closed: live on, deadlocked */
        pause();
}
