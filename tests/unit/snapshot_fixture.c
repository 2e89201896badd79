/* Fixture for test_snapshot_report (built at run time at -O0, lines found by MARK: tags): an order
 * passed down run -> process -> weigh (inlined), and a large local array of orders. */
#include <stddef.h>

#define BATCH 120

struct item {
    int qty;
    long price;
};

struct order {
    int id;
    long amount;
    struct item *item;
    struct order *next;
    const char *note;
    int codes[3];
};

volatile long snapshot_fixture_sink;

static inline __attribute__((always_inline)) long weigh(struct order *o, int factor)
{
    long weight = o->amount * factor;
    snapshot_fixture_sink += weight; /* MARK:inlined */
    return weight;
}

__attribute__((noinline)) long snapshot_fixture_process(struct order *o, int factor)
{
    int count = factor + 1;
    return weigh(o, count) + count; /* MARK:call_weigh */
}

__attribute__((noinline)) long snapshot_fixture_run(struct order *o)
{
    return snapshot_fixture_process(o, 2); /* MARK:call_process */
}

__attribute__((noinline)) long snapshot_fixture_batch(struct item *shared)
{
    struct order batch[BATCH];
    for (int i = 0; i < BATCH; i++)
        batch[i] = (struct order){ .id = i, .item = shared, .next = &batch[i] };
    snapshot_fixture_sink += batch[BATCH - 1].id; /* MARK:batch */
    return snapshot_fixture_sink;
}
