/* A target for the stepping tests: a "stepper" thread calls a leaf function, a recursive one and
 * an always-inlined one in a loop, an "other" thread calls its own function; with the argument "spin" the main thread only
 * spins in a loop (for pause). Tests find lines by their STEP: markers. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

volatile int sink;
volatile unsigned long spins;

__attribute__((noipa)) int leaf(int x)
{
    int y = x * 2 + 1; /* STEP:leaf_first */
    sink += y;
    return y + 1;
}

__attribute__((noipa)) int fact(int n)
{
    if (n <= 1) /* STEP:fact_first */
        return 1;
    int below = fact(n - 1); /* STEP:fact_call */
    sink += below;           /* STEP:fact_after */
    return n * below;
}

/* Inlined at -O0 too: its lines are an inlined frame of stepper_main. */
static inline __attribute__((always_inline)) int twice_plus(int x)
{
    int doubled = x * 2; /* STEP:inline_first */
    sink += doubled;     /* STEP:inline_second */
    return doubled + 1;
}

__attribute__((noipa)) void other_work(int round)
{
    sink += round; /* STEP:other */
}

static void *stepper_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "stepper");
    for (;;) {
        int a = leaf(sink & 7); /* STEP:call_leaf */
        sink += a;              /* STEP:after_leaf */
        sink += fact(4);        /* STEP:call_fact */
        int t = twice_plus(sink & 3); /* STEP:call_inline */
        sink += t;                    /* STEP:after_inline */
        usleep(2000);
    }
    return NULL;
}

static void *other_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "other");
    for (int round = 0;; round++) {
        other_work(round);
        usleep(2000);
    }
    return NULL;
}

__attribute__((noipa)) void spin_forever(void)
{
    for (;;)
        spins++; /* STEP:spin */
}

int main(int argc, char **argv)
{
    printf("ready pid=%d\n", (int)getpid());
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "spin") == 0)
        spin_forever();
    pthread_t stepper, other;
    pthread_create(&stepper, NULL, stepper_main, NULL);
    pthread_create(&other, NULL, other_main, NULL);
    pthread_join(stepper, NULL);
    return 0;
}
