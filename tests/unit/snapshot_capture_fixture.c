/* Fixture for test_snapshot_capture (built at run time at -O0 and -O2, lines found by MARK: tags):
 * pointers into structs, lists, arrays, strings and the stack; a wide tree; shadowing; inlining. */
#include <stddef.h>

struct customer {
    int id;
    const char *name;
};

struct item {
    long price;
    struct customer *owner;
};

struct order {
    int id;
    struct customer *customer;
    struct item items[6];        /* an array of structs: only its first elements are walked */
    void *opaque;                /* never followed */
    int (*callback)(int);        /* never followed */
    struct order *next;
    int (*grid)[4];              /* a pointer to an array: the whole array is copied */
    union {                      /* an anonymous member */
        struct customer *payer;
        long payer_code;
    };
};

struct tnode {
    long value;
    struct tnode *left, *right, *up, *side;
};

struct customer capture_fixture_alice = { 1, "alice" };
struct customer capture_fixture_bob = { 2, "bob" };
int capture_fixture_grid[4] = { 1, 2, 3, 4 };
struct order capture_fixture_second = { .id = 8, .customer = &capture_fixture_bob };
struct order capture_fixture_first = {
    .id = 7, .customer = &capture_fixture_alice,
    .items = { { 100, &capture_fixture_alice }, { 200, &capture_fixture_bob } },
    .next = &capture_fixture_second, .grid = &capture_fixture_grid,
    .payer = &capture_fixture_bob,
};
struct tnode capture_fixture_tree_root = { 1, &capture_fixture_tree_root, NULL, NULL, NULL };
const size_t capture_fixture_order_size = sizeof(struct order);
const long capture_fixture_marker = 0x5eedfacecafe1234;
volatile long capture_fixture_sink;

__attribute__((noipa)) void capture_fixture_consume(long v)
{
    capture_fixture_sink += v;
}

__attribute__((noipa)) long capture_fixture_process(struct order *o, const char *note, int count)
{
    long marker = capture_fixture_marker + count; /* a known local on the stack at -O0 */
    struct customer *who = o->customer;
    capture_fixture_consume(marker + note[0]); /* MARK:process */
    return who->id + o->id + marker;
}

__attribute__((noipa)) long capture_fixture_tree(struct tnode *root)
{
    capture_fixture_consume(root->value); /* MARK:tree */
    return root->value;
}

__attribute__((noipa)) long capture_fixture_shadow(struct customer *c)
{
    long sum = c->id;
    {
        struct customer *c = &capture_fixture_bob; /* shadows the parameter */
        capture_fixture_consume(sum + c->id); /* MARK:shadow */
        sum += c->id;
    }
    return sum;
}

__attribute__((noipa)) long capture_fixture_local(int id)
{
    struct customer mine = { id, "mine" };
    struct customer *self = &mine; /* points into the stack, which is copied anyway */
    capture_fixture_consume(self->id); /* MARK:local */
    return mine.id;
}

static inline __attribute__((always_inline)) long describe(struct customer *c)
{
    const char *label = c->name;
    capture_fixture_consume(label[0]); /* MARK:inlined */
    return c->id;
}

__attribute__((noipa)) long capture_fixture_outer(struct order *o)
{
    return describe(o->customer) + o->id;
}

/* Runs every function once. */
long capture_fixture_run(int count)
{
    return capture_fixture_process(&capture_fixture_first, "urgent", count) +
           capture_fixture_tree(&capture_fixture_tree_root) +
           capture_fixture_shadow(&capture_fixture_alice) + capture_fixture_local(count) +
           capture_fixture_outer(&capture_fixture_first);
}
