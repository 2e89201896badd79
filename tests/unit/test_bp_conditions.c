/* Unit tests for bp_conditions.c: hit condition parsing (exact errors), hit counting per
 * breakpoint, and conditions compiled by cond_compile against this binary, run on a made-up
 * signal context; runtime errors counted, treated as false and handed over once. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <unistd.h>
#include <stdatomic.h>
#include <string.h>
#include <ucontext.h>

#include "bp_conditions.h"
#include "cond.h"
#include "symbols.h"

#define ERR_LEN 256
#define SITE_A ((uintptr_t)0x1000)
#define SITE_B ((uintptr_t)0x2000)

/* ---- hit_condition_parse ---- */

static const struct {
    const char *text;
    hit_condition_op op;
    uint64_t n;
} good_hit_conditions[] = {
    { "", HIT_EVERY, 0 },
    { "   ", HIT_EVERY, 0 },
    { "5", HIT_EQUAL, 5 },
    { " 5 ", HIT_EQUAL, 5 },
    { "== 5", HIT_EQUAL, 5 },
    { "==5", HIT_EQUAL, 5 },
    { ">= 4", HIT_AT_LEAST, 4 },
    { ">=0", HIT_AT_LEAST, 0 },
    { "> 5", HIT_AT_LEAST, 6 },
    { "% 2", HIT_MULTIPLE, 2 },
    { "%10", HIT_MULTIPLE, 10 },
};

static const struct {
    const char *text;
    const char *error;
} bad_hit_conditions[] = {
    { "abc", "hit condition 'abc' is not a count: use N, == N, >= N, > N or % N" },
    { "5x", "hit condition '5x' is not a count: use N, == N, >= N, > N or % N" },
    { "-1", "hit condition '-1' is not a count: use N, == N, >= N, > N or % N" },
    { "= 5", "hit condition '= 5' is not a count: use N, == N, >= N, > N or % N" },
    { "< 5", "hit condition '< 5' is not a count: use N, == N, >= N, > N or % N" },
    { ">=", "hit condition '>=' is not a count: use N, == N, >= N, > N or % N" },
    { "5 5", "hit condition '5 5' is not a count: use N, == N, >= N, > N or % N" },
    { "99999999999999999999", "hit condition '99999999999999999999' is not a count: use N, == N, >= N, > N or % N" },
    { "> 18446744073709551615", "hit condition '> 18446744073709551615' is not a count: use N, == N, >= N, > N or % N" },
    { "0", "hit condition '0' needs a count of at least 1" },
    { "% 0", "hit condition '% 0' needs a count of at least 1" },
};

Test(hit_condition_parse, accepts_every_form)
{
    for (size_t i = 0; i < sizeof good_hit_conditions / sizeof good_hit_conditions[0]; i++) {
        hit_condition hit = { HIT_EQUAL, 12345 };
        char err[ERR_LEN] = "";
        cr_expect_eq(hit_condition_parse(good_hit_conditions[i].text, &hit, err, sizeof err), 0,
                     "'%s': %s", good_hit_conditions[i].text, err);
        cr_expect_eq(hit.op, good_hit_conditions[i].op, "op of '%s'", good_hit_conditions[i].text);
        cr_expect_eq(hit.n, good_hit_conditions[i].n, "n of '%s'", good_hit_conditions[i].text);
    }
}

Test(hit_condition_parse, rejects_what_is_not_a_count_with_an_exact_message)
{
    for (size_t i = 0; i < sizeof bad_hit_conditions / sizeof bad_hit_conditions[0]; i++) {
        hit_condition hit;
        char err[ERR_LEN] = "";
        cr_expect_eq(hit_condition_parse(bad_hit_conditions[i].text, &hit, err, sizeof err), -1,
                     "accepted '%s'", bad_hit_conditions[i].text);
        cr_expect_str_eq(err, bad_hit_conditions[i].error);
    }
}

/* ---- hit counting with unconditioned breakpoints (no registers needed) ---- */

static hit_condition parse(const char *text)
{
    hit_condition hit;
    char err[ERR_LEN];
    cr_assert_eq(hit_condition_parse(text, &hit, err, sizeof err), 0, "%s", err);
    return hit;
}

/* Runs `calls` hits at addr; wanted[k] is the id reported on hit k+1 (0: none). */
static void expect_hits(uintptr_t addr, size_t calls, const int64_t *wanted)
{
    for (size_t k = 0; k < calls; k++) {
        int64_t ids[BP_CONDITIONS_MAX_PER_ADDRESS];
        size_t n = bp_conditions_filter(addr, NULL, ids, BP_CONDITIONS_MAX_PER_ADDRESS);
        if (wanted[k]) {
            cr_expect_eq(n, 1, "hit %zu: %zu ids", k + 1, n);
            cr_expect_eq(n ? ids[0] : 0, wanted[k], "hit %zu", k + 1);
        } else {
            cr_expect_eq(n, 0, "hit %zu should run on", k + 1);
        }
    }
}

Test(bp_conditions, hit_conditions_count_exactly)
{
    static const struct {
        const char *hit;
        int64_t wanted[6];
    } cases[] = {
        { "", { 7, 7, 7, 7, 7, 7 } },
        { "3", { 0, 0, 7, 0, 0, 0 } },
        { ">= 4", { 0, 0, 0, 7, 7, 7 } },
        { "> 4", { 0, 0, 0, 0, 7, 7 } },
        { "% 2", { 0, 7, 0, 7, 0, 7 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(bp_conditions_add(SITE_A, 7, NULL, parse(cases[i].hit)), 0);
        expect_hits(SITE_A, 6, cases[i].wanted);
        cr_expect_eq(bp_conditions_hits(7), 6, "'%s' counts every hit", cases[i].hit);
        bp_conditions_remove(SITE_A, 7);
        cr_expect_eq(bp_conditions_hits(7), 0, "a removed breakpoint has no count");
    }
}

Test(bp_conditions, an_address_without_breakpoints_wants_no_hit)
{
    int64_t ids[4];
    cr_expect_eq(bp_conditions_filter(SITE_A, NULL, ids, 4), 0);
    cr_assert_eq(bp_conditions_add(SITE_A, 1, NULL, parse("")), 0);
    cr_expect_eq(bp_conditions_filter(SITE_B, NULL, ids, 4), 0);
    bp_conditions_remove(SITE_A, 1);
    cr_expect_eq(bp_conditions_filter(SITE_A, NULL, ids, 4), 0);
}

Test(bp_conditions, breakpoints_at_one_address_count_apart)
{
    cr_assert_eq(bp_conditions_add(SITE_A, 1, NULL, parse("2")), 0);
    cr_assert_eq(bp_conditions_add(SITE_A, 2, NULL, parse("% 3")), 0);
    int64_t ids[4];
    size_t expected_counts[] = { 0, 1, 1, 0, 0, 1 };
    for (size_t k = 0; k < 6; k++)
        cr_expect_eq(bp_conditions_filter(SITE_A, NULL, ids, 4), expected_counts[k], "hit %zu", k + 1);
    cr_expect_eq(bp_conditions_hits(1), 6);
    cr_expect_eq(bp_conditions_hits(2), 6);
    /* Removing one leaves the other counting on. */
    bp_conditions_remove(SITE_A, 1);
    for (size_t k = 7; k <= 9; k++)
        cr_expect_eq(bp_conditions_filter(SITE_A, NULL, ids, 4), k == 9, "hit %zu", k);
    cr_expect_eq(bp_conditions_hits(2), 9);
}

Test(bp_conditions, one_breakpoint_at_two_addresses_shares_its_count)
{
    cr_assert_eq(bp_conditions_add(SITE_A, 5, NULL, parse("3")), 0);
    cr_assert_eq(bp_conditions_add(SITE_B, 5, NULL, parse("3")), 0);
    int64_t ids[4];
    cr_expect_eq(bp_conditions_filter(SITE_A, NULL, ids, 4), 0);
    cr_expect_eq(bp_conditions_filter(SITE_B, NULL, ids, 4), 0);
    cr_expect_eq(bp_conditions_filter(SITE_A, NULL, ids, 4), 1, "the third hit of the breakpoint");
    cr_expect_eq(bp_conditions_hits(5), 3);
    bp_conditions_remove(SITE_A, 5);
    cr_expect_eq(bp_conditions_hits(5), 3, "still registered at the other address");
}

Test(bp_conditions, an_address_holds_a_limited_number_of_breakpoints)
{
    for (int64_t id = 1; id <= BP_CONDITIONS_MAX_PER_ADDRESS; id++)
        cr_assert_eq(bp_conditions_add(SITE_A, id, NULL, parse("")), 0);
    cr_expect_eq(bp_conditions_add(SITE_A, 99, NULL, parse("")), -1);
    int64_t ids[BP_CONDITIONS_MAX_PER_ADDRESS];
    cr_expect_eq(bp_conditions_filter(SITE_A, NULL, ids, 3), 3, "at most max ids are written");
    cr_expect_eq(bp_conditions_filter(SITE_A, NULL, ids, BP_CONDITIONS_MAX_PER_ADDRESS),
                 BP_CONDITIONS_MAX_PER_ADDRESS);
}

static atomic_bool filtering;
static atomic_int bad_ids;

static void *filter_loop(void *arg)
{
    int64_t ids[BP_CONDITIONS_MAX_PER_ADDRESS];
    while (atomic_load(&filtering)) {
        size_t n = bp_conditions_filter(SITE_A, NULL, ids, BP_CONDITIONS_MAX_PER_ADDRESS);
        for (size_t i = 0; i < n; i++)
            if (ids[i] != 1 && ids[i] != 2)
                atomic_fetch_add(&bad_ids, 1);
    }
    return NULL;
}

/* Handlers keep filtering while the agent replaces and frees what they read (under `make asan`
 * a use after free would be reported). */
Test(bp_conditions, changes_while_handlers_filter_are_safe)
{
    atomic_store(&filtering, true);
    pthread_t threads[2];
    for (size_t i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&threads[i], NULL, filter_loop, NULL), 0);
    cr_assert_eq(bp_conditions_add(SITE_A, 1, NULL, parse("")), 0);
    /* Make sure the handlers are running before the agent starts changing the table. */
    for (int wait = 0; wait < 2000 && bp_conditions_hits(1) == 0; wait++)
        usleep(1000);
    cr_assert_gt(bp_conditions_hits(1), 0, "the handler threads never ran");
    for (int round = 0; round < 2000; round++) {
        cr_assert_eq(bp_conditions_add(SITE_A, 2, NULL, parse("% 3")), 0);
        bp_conditions_remove(SITE_A, 2);
    }
    atomic_store(&filtering, false);
    for (size_t i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    cr_expect_eq(atomic_load(&bad_ids), 0);
}

/* ---- real conditions, compiled against this binary's DWARF ---- */

struct tier { int level; };
struct order {
    int id;
    int amount;
    const char *user;
    int items[3];
    struct tier *tier;
};

/* The breakpoint site: at its first instruction the argument is in rdi. */
__attribute__((noipa)) int bp_conditions_test_site(const struct order *o)
{
    return o->amount + o->items[1];
}

static sym_index *symbols;

static void open_symbols(void)
{
    symbols = sym_index_create();
    cr_assert_not_null(symbols);
}

static void close_symbols(void)
{
    sym_index_destroy(symbols);
}

static uintptr_t site(void)
{
    return (uintptr_t)bp_conditions_test_site;
}

static void add_condition(int64_t id, const char *text, const char *hit)
{
    char err[ERR_LEN] = "";
    cond_program *p = cond_compile(symbols, site(), text, err, sizeof err);
    cr_assert_not_null(p, "'%s' did not compile: %s", text, err);
    cr_assert_eq(bp_conditions_add(site(), id, p, parse(hit)), 0);
}

/* The ids wanted when the thread stops at the site with o as its argument. */
static size_t hit_with(const struct order *o, int64_t *ids)
{
    static uint64_t stack[64];
    ucontext_t uc;
    memset(&uc, 0, sizeof uc);
    uc.uc_mcontext.gregs[REG_RIP] = (greg_t)site();
    uc.uc_mcontext.gregs[REG_RSP] = (greg_t)(uintptr_t)&stack[32];
    uc.uc_mcontext.gregs[REG_RDI] = (greg_t)(uintptr_t)o;
    return bp_conditions_filter(site(), &uc, ids, BP_CONDITIONS_MAX_PER_ADDRESS);
}

static struct tier gold = { 2 };
static const struct order orders[] = {
    { 1, 250, "alice", { 1, 2, 3 }, &gold },
    { 2, 50, "bob", { 0, 5, 1 }, &gold },
    { 3, 120, "carol", { 4, 4, 4 }, NULL },
    { 4, 80, "bob", { 2, 5, 0 }, NULL },
    { 5, 300, "bob", { 1, 1, 1 }, &gold },
};
#define N_ORDERS (sizeof orders / sizeof orders[0])

TestSuite(bp_conditions_compiled, .init = open_symbols, .fini = close_symbols);

Test(bp_conditions_compiled, conditions_over_ints_strings_arrays_and_pointers)
{
    static const struct {
        const char *condition;
        bool wanted[N_ORDERS];
    } cases[] = {
        { "o->amount > 100", { true, false, true, false, true } },
        { "o->amount > 1000", { false, false, false, false, false } },
        { "$streq(o->user, \"bob\")", { false, true, false, true, true } },
        { "$streq(o->user, \"dave\")", { false, false, false, false, false } },
        { "o->items[1] == 5", { false, true, false, true, false } },
        { "o->tier == 0", { false, false, true, true, false } },
        { "o->tier != 0 && o->tier->level == 2 && o->id != 1", { false, true, false, false, true } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        add_condition(10 + (int64_t)i, cases[i].condition, "");
        size_t stops = 0;
        for (size_t k = 0; k < N_ORDERS; k++) {
            int64_t ids[BP_CONDITIONS_MAX_PER_ADDRESS];
            size_t n = hit_with(&orders[k], ids);
            cr_expect_eq(n, cases[i].wanted[k], "'%s' on order %d", cases[i].condition, orders[k].id);
            if (n)
                cr_expect_eq(ids[0], 10 + (int64_t)i);
            stops += cases[i].wanted[k];
        }
        cr_expect_eq(bp_conditions_hits(10 + (int64_t)i), stops,
                     "'%s': only true conditions count as hits", cases[i].condition);
        bp_conditions_remove(site(), 10 + (int64_t)i);
    }
}

Test(bp_conditions_compiled, the_hit_condition_counts_hits_whose_condition_is_true)
{
    add_condition(1, "$streq(o->user, \"bob\")", "2");
    add_condition(2, "o->amount > 100", ">= 2");
    int64_t ids[BP_CONDITIONS_MAX_PER_ADDRESS];
    /* bob: orders 2, 4, 5 (the 2nd is order 4); over 100: orders 1, 3, 5 (from the 2nd on). */
    size_t expected_n[N_ORDERS] = { 0, 0, 1, 1, 1 };
    int64_t expected_first[N_ORDERS] = { 0, 0, 2, 1, 2 };
    for (size_t k = 0; k < N_ORDERS; k++) {
        size_t n = hit_with(&orders[k], ids);
        cr_expect_eq(n, expected_n[k], "order %d", orders[k].id);
        if (n && expected_n[k])
            cr_expect_eq(ids[0], expected_first[k], "order %d", orders[k].id);
    }
    cr_expect_eq(bp_conditions_hits(1), 3);
    cr_expect_eq(bp_conditions_hits(2), 3);
}

Test(bp_conditions_compiled, a_failing_condition_is_false_counted_and_reported_once)
{
    add_condition(4, "o->tier->level == 2", "");
    add_condition(5, "o->amount > 0", "");
    uint64_t first_errors = bp_conditions_news();
    int64_t ids[BP_CONDITIONS_MAX_PER_ADDRESS];
    const struct order *no_tier = &orders[2];
    for (int k = 0; k < 5; k++) {
        cr_expect_eq(hit_with(no_tier, ids), 1, "only the sound condition wants the hit");
        cr_expect_eq(ids[0], 5);
    }
    cr_expect_eq(bp_conditions_news(), first_errors + 1, "one first error, not five");
    cr_expect_eq(bp_conditions_hits(4), 0);

    int64_t id = 0;
    char message[ERR_LEN] = "";
    uint64_t count = 0;
    cr_assert(bp_conditions_take_error(&id, message, sizeof message, &count));
    cr_expect_eq(id, 4);
    cr_expect_str_eq(message, "cannot dereference a null pointer");
    cr_expect_eq(count, 5);
    cr_expect_not(bp_conditions_take_error(&id, message, sizeof message, &count), "reported once");

    cr_expect_eq(hit_with(&orders[0], ids), 2, "a good order passes both");
    cr_expect_not(bp_conditions_take_error(&id, message, sizeof message, &count));
}

/* A condition that eats more than its CPU budget is switched off (skipped from then on) and
 * handed over once with the measured cost; a cheap one at the same site keeps working. */
Test(bp_conditions_compiled, a_condition_over_its_cpu_budget_is_switched_off)
{
    char err[ERR_LEN] = "";
    cond_program *p = cond_compile(symbols, site(), "o->amount > 100", err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    bp_filter greedy = { .action = BP_STOP, .program = p, .hit = parse(""),
                         .budget = { .per_second = 1, .bytes_per_second = 1024, .cpu_percent = 1 } };
    cr_assert_eq(bp_conditions_register(site(), 21, &greedy), 0);
    add_condition(22, "o->amount > 0", "");
    uint64_t news = bp_conditions_news();
    int64_t ids[BP_CONDITIONS_MAX_PER_ADDRESS];
    /* Back to back evaluations use ~100% of a core: 1% with a 2 s burst overflows after ~20 ms. */
    size_t hits = 0;
    for (int k = 0; k < 2000000 && bp_conditions_news() == news; k++)
        hits += hit_with(&orders[0], ids) == 2;
    cr_assert_eq(bp_conditions_news(), news + 1, "switched off once");
    uint64_t counted = bp_conditions_hits(21);
    cr_expect_eq(hit_with(&orders[0], ids), 1, "the switched-off breakpoint is skipped");
    cr_expect_eq(ids[0], 22);
    cr_expect_eq(bp_conditions_hits(21), counted, "no more hits counted");

    int64_t id = 0;
    char why[ERR_LEN] = "";
    cr_assert(bp_conditions_take_switched_off(&id, why, sizeof why));
    cr_expect_eq(id, 21);
    cr_expect(strstr(why, "over its budget of 1% of a core") != NULL, "%s", why);
    cr_expect(strstr(why, "evaluations") != NULL, "%s", why);
    cr_expect_not(bp_conditions_take_switched_off(&id, why, sizeof why), "handed over once");
    cr_expect_gt(hits, 10u);
}

/* A step limit lower than what the condition needs makes every evaluation a run-time error. */
Test(bp_conditions_compiled, the_step_limit_is_a_runtime_error)
{
    char err[ERR_LEN] = "";
    cond_program *p = cond_compile(symbols, site(), "o->amount > 1 && o->amount > 2 && o->amount > 3",
                                   err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    cond_set_step_limit(p, 3);
    cr_assert_eq(bp_conditions_add(site(), 23, p, parse("")), 0);
    int64_t ids[BP_CONDITIONS_MAX_PER_ADDRESS];
    cr_expect_eq(hit_with(&orders[0], ids), 0);
    int64_t id = 0;
    char message[ERR_LEN] = "";
    uint64_t count = 0;
    cr_assert(bp_conditions_take_error(&id, message, sizeof message, &count));
    cr_expect_eq(id, 23);
    cr_expect_str_eq(message, "step limit exceeded");
}

/* Formatted logpoint text is charged to bytes_per_second by the agent; over it, lines drop. */
Test(bp_conditions, log_bytes_over_the_budget_are_dropped_and_counted)
{
    bp_filter log = { .action = BP_LOG, .hit = { HIT_EVERY, 0 },
                      .budget = { .per_second = 100, .bytes_per_second = 1024, .cpu_percent = 10 } };
    cr_assert_eq(bp_conditions_register(SITE_B, 31, &log), 0);
    size_t admitted = 0;
    for (int i = 0; i < 20; i++)
        admitted += bp_conditions_admit_log_bytes(31, 100);
    cr_expect_eq(admitted, 10, "a burst of one second: 1024 bytes, ten lines of 100");
    cr_expect_eq(bp_conditions_take_dropped(31), 10);
    int64_t id;
    uint64_t dropped;
    cr_expect_not(bp_conditions_take_any_dropped(BP_LOG, &id, &dropped), "taken already");
    bp_conditions_remove(SITE_B, 31);
}
