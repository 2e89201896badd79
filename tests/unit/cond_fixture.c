/* Fixture library for test_cond: a function whose parameters, locals and a global conditions
 * read at a breakpoint. The test builds it at run time (-O0, -O2) and finds lines by MARK: tags. */
#include <stddef.h>

struct inner {
    int depth;
    const char *label;
};

struct req {
    int id;
    unsigned int flags;
    long amount;
    char name[16];
    int counts[4];
    struct inner inner;   /* a nested struct */
    struct req *next;     /* NULL in the second request */
    unsigned char small;
    signed int level : 5;
    unsigned int code : 9;
    double ratio;
};

int cond_fixture_global = 42;
volatile long cond_fixture_sink;

static struct req follower = { .id = 2, .name = "carol" };

struct req cond_fixture_requests[2] = {
    { .id = 12, .flags = 6, .amount = -5, .name = "alice", .counts = { 10, 20, 30, 40 },
      .inner = { 3, "deep" }, .next = &follower, .small = 200, .level = -3, .code = 300,
      .ratio = 0.25 },
    { .id = 7, .flags = 1, .amount = 1000, .name = "bob", .counts = { 1, 2, 3, 4 },
      .inner = { 0, "flat" }, .next = NULL, .small = 1, .level = 5, .code = 7, .ratio = 2.5 },
};

__attribute__((noipa)) int cond_fixture_opaque(int v)
{
    return v + 1;
}

__attribute__((noipa)) void cond_fixture_consume(long v)
{
    cond_fixture_sink += v;
}

__attribute__((noipa)) long cond_fixture_check(struct req *r, int limit, const char *user)
{
    int before = cond_fixture_opaque(limit); /* dead at the mark at -O2: optimized out there */
    cond_fixture_consume(before);
    int scaled = limit * 3;
    cond_fixture_consume(scaled + r->id + user[0]); /* MARK:check */
    cond_fixture_consume(r->amount + r->counts[limit & 3] + r->inner.depth);
    return scaled + limit + (r->next ? r->next->id : 0) + (long)r->small;
}

/* Calls the function on request `which` (0 or 1) with its limit and user. */
long cond_fixture_run(int which)
{
    static const int limits[] = { 7, 200 };
    static const char *const users[] = { "admin", "root" };
    return cond_fixture_check(&cond_fixture_requests[which], limits[which], users[which]);
}
