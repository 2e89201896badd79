/* Unit tests for snapshot plans and captures (probe/snapshot_plan.c, probe/snapshot_capture.c):
 * plans compiled at breakpoints of snapshot_capture_fixture.c (built at run time at -O0 and -O2),
 * captures made in the SIGTRAP handler of a real breakpoint and from getcontext(), the pool's
 * slots, order and limits. */
#include <criterion/criterion.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "fixture_lib.h"
#include "snapshot_capture.h"
#include "snapshot_plan.h"
#include "symbols.h"
#include "trap.h"

#define TEXT_MAX 512
#define MARKER 0x5eedfacecafe1234

static fixture o0 = { .name = "o0", .compile = "cc -g -O0" };
static fixture o2 = { .name = "o2", .compile = "cc -g -O2" };

static void build(fixture *f)
{
    fixture_build(f, "snapshot_capture_fixture.c", "libcapturefixture.so");
}
static void build_o0(void) { build(&o0); }
static void build_o2(void) { build(&o2); }
static void remove_o0(void) { fixture_remove(&o0); }
static void remove_o2(void) { fixture_remove(&o2); }

/* The breakpoint address of the line tagged MARK:name. */
static uintptr_t marked_site(sym_index *idx, const fixture *f, const char *name)
{
    char text[TEXT_MAX], path[TEXT_MAX], tag[64], err[TEXT_MAX] = "";
    snprintf(tag, sizeof tag, "MARK:%s ", name);
    FILE *in = fopen(f->source, "r");
    cr_assert_not_null(in);
    int line = 0, mark = 0;
    while (!mark && fgets(text, sizeof text, in)) {
        line++;
        if (strstr(text, tag))
            mark = line;
    }
    fclose(in);
    cr_assert(mark, "no MARK:%s in %s", name, f->source);
    snprintf(path, sizeof path, "%s/snapshot_capture_fixture.c", f->name);
    sym_location where;
    cr_assert_eq(sym_resolve_line(idx, path, mark, &where, 1, err, sizeof err), 1, "%s: %s", path,
                 err);
    return where.address;
}

static snapshot_plan *plan_at(sym_index *idx, uintptr_t pc, uint32_t max_frames, uint32_t max_depth,
                              uint32_t max_bytes)
{
    snapshot_limits limits = { max_frames, max_depth, max_bytes };
    char err[TEXT_MAX] = "";
    snapshot_plan *plan = snapshot_plan_compile(idx, pc, &limits, err, sizeof err);
    cr_assert_not_null(plan, "%s", err);
    return plan;
}

static size_t find_expression(const snapshot_plan *plan, const char *text)
{
    for (size_t i = 0; i < snapshot_plan_pointees(plan); i++)
        if (strcmp(snapshot_plan_expression(plan, i), text) == 0)
            return i;
    cr_assert_fail("no pointee '%s' in the plan", text);
    return 0;
}

static void expect_expressions(const snapshot_plan *plan, const char *const *expected, size_t n)
{
    size_t got = snapshot_plan_pointees(plan);
    for (size_t i = 0; i < got && i < n; i++)
        cr_expect_str_eq(snapshot_plan_expression(plan, i), expected[i], "pointee %zu", i);
    cr_assert_eq(got, n, "%zu pointees, expected %zu", got, n);
}

static void *symbol(const fixture *f, const char *name)
{
    void *p = dlsym(f->handle, name);
    cr_assert_not_null(p, "no %s in the fixture", name);
    return p;
}

/* ---- plans ---- */

/* At MARK:process, two hops: the variables' pointers, then those of what they point to, in
 * declaration order (arrays: first elements only; void and function pointers skipped). */
static const char *const process_depth2[] = {
    "o", "note", "who",
    "o->customer", "o->items[0].owner", "o->items[1].owner", "o->items[2].owner",
    "o->items[3].owner", "o->next", "o->grid", "o->payer",
    "who->name",
};

Test(snapshot_plan, lists_pointers_breadth_first_with_their_sizes, .init = build_o0,
     .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    uintptr_t site = marked_site(idx, &o0, "process");
    snapshot_plan *plan = plan_at(idx, site, 20, 2, 65536);
    expect_expressions(plan, process_depth2, sizeof process_depth2 / sizeof process_depth2[0]);

    const snapshot_pointee *o = snapshot_plan_pointee(plan, find_expression(plan, "o"));
    cr_assert_eq(o->size, *(size_t *)symbol(&o0, "capture_fixture_order_size"));
    cr_assert_not(o->is_string);
    const snapshot_pointee *note = snapshot_plan_pointee(plan, find_expression(plan, "note"));
    cr_assert(note->is_string);
    cr_assert_eq(note->size, SNAPSHOT_STRING_MAX);
    cr_assert_eq(snapshot_plan_pointee(plan, find_expression(plan, "o->grid"))->size,
                 4 * sizeof(int), "a pointer to an array copies the array");
    cr_assert_eq(snapshot_plan_pointee(plan, find_expression(plan, "who"))->size, 16);
    cr_assert(snapshot_plan_pointee(plan, find_expression(plan, "who->name"))->is_string);
    cr_assert_eq(snapshot_plan_limits(plan)->max_depth, 2);
    snapshot_plan_free(plan);
    sym_index_destroy(idx);
}

Test(snapshot_plan, depth_bounds_the_hops, .init = build_o0, .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    uintptr_t site = marked_site(idx, &o0, "process");
    snapshot_plan *none = plan_at(idx, site, 20, 0, 65536);
    cr_assert_eq(snapshot_plan_pointees(none), 0);
    snapshot_plan *one = plan_at(idx, site, 20, 1, 65536);
    expect_expressions(one, process_depth2, 3);
    snapshot_plan *three = plan_at(idx, site, 20, 3, 65536);
    find_expression(three, "o->next->customer");
    find_expression(three, "o->customer->name");
    find_expression(three, "o->items[1].owner->name");
    snapshot_plan_free(none);
    snapshot_plan_free(one);
    snapshot_plan_free(three);
    sym_index_destroy(idx);
}

Test(snapshot_plan, caps_at_64_pointees_shallow_ones_first, .init = build_o0, .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    snapshot_plan *plan = plan_at(idx, marked_site(idx, &o0, "tree"), 20, 4, 65536);
    cr_assert_eq(snapshot_plan_pointees(plan), SNAPSHOT_PLAN_MAX_POINTEES);
    size_t by_hops[4] = { 0 }; /* a tree node has 4 pointers: 1, 4, 16, then 64 would follow */
    size_t previous = 0;
    for (size_t i = 0; i < snapshot_plan_pointees(plan); i++) {
        size_t arrows = 0;
        for (const char *s = snapshot_plan_expression(plan, i); (s = strstr(s, "->")); s += 2)
            arrows++;
        cr_assert_geq(arrows, previous, "'%s' after a deeper pointee",
                      snapshot_plan_expression(plan, i));
        previous = arrows;
        by_hops[arrows]++;
    }
    cr_assert_eq(by_hops[0], 1);
    cr_assert_eq(by_hops[1], 4);
    cr_assert_eq(by_hops[2], 16);
    cr_assert_eq(by_hops[3], 64 - 21);
    cr_assert_str_eq(snapshot_plan_expression(plan, 21), "root->left->left->left");
    snapshot_plan_free(plan);
    sym_index_destroy(idx);
}

Test(snapshot_plan, a_shadowed_name_is_planned_once, .init = build_o0, .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    snapshot_plan *plan = plan_at(idx, marked_site(idx, &o0, "shadow"), 20, 1, 65536);
    static const char *const expected[] = { "c" };
    expect_expressions(plan, expected, 1);
    snapshot_plan_free(plan);
    sym_index_destroy(idx);
}

Test(snapshot_plan, covers_the_scopes_an_inlined_call_is_inside, .init = build_o0,
     .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    snapshot_plan *plan = plan_at(idx, marked_site(idx, &o0, "inlined"), 20, 1, 65536);
    static const char *const expected[] = { "c", "label", "o" }; /* o: the caller's */
    expect_expressions(plan, expected, 3);
    snapshot_plan_free(plan);
    sym_index_destroy(idx);
}

Test(snapshot_plan, optimized_code_keeps_what_compiles, .init = build_o2, .fini = remove_o2)
{
    sym_index *idx = sym_index_create();
    snapshot_plan *plan = plan_at(idx, marked_site(idx, &o2, "process"), 20, 2, 65536);
    size_t n = snapshot_plan_pointees(plan);
    cr_assert_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (size_t k = 0; k < sizeof process_depth2 / sizeof process_depth2[0]; k++)
            known |= strcmp(snapshot_plan_expression(plan, i), process_depth2[k]) == 0;
        cr_assert(known, "unexpected pointee '%s'", snapshot_plan_expression(plan, i));
    }
    snapshot_plan_free(plan);
    sym_index_destroy(idx);
}

Test(snapshot_plan, code_without_debug_information_has_no_pointees)
{
    sym_index *idx = sym_index_create();
    snapshot_plan *plan = plan_at(idx, (uintptr_t)getpid, 20, 2, 65536);
    cr_assert_eq(snapshot_plan_pointees(plan), 0);
    snapshot_plan_free(plan);
    sym_index_destroy(idx);
}

/* ---- captures at a real breakpoint ---- */

static uintptr_t site;
static snapshot_plan *site_plan;
static long captured;
static pid_t hit_tid;

static void on_hit(uintptr_t addr, void *ucontext)
{
    if (addr != site)
        return;
    hit_tid = (pid_t)syscall(SYS_gettid);
    captured = snapshot_capture(site_plan, 42, ucontext);
}

typedef long (*run_fn)(int count);

static void *call_fixture(void *arg)
{
    run_fn run = (run_fn)arg;
    run(0);
    return NULL;
}

/* Arms MARK:mark with a plan of these limits, runs the fixture in a thread, and returns the
 * snapshot it captured. */
static const snapshot_raw *capture_at(sym_index *idx, const fixture *f, const char *mark,
                                      snapshot_limits limits)
{
    char err[TEXT_MAX] = "";
    cr_assert_eq(snapshot_pool_init(err, sizeof err), 0, "%s", err);
    site = marked_site(idx, f, mark);
    site_plan = snapshot_plan_compile(idx, site, &limits, err, sizeof err);
    cr_assert_not_null(site_plan, "%s", err);
    cr_assert_eq(trap_init(err, sizeof err), 0, "trap_init: %s", err);
    trap_set_hit_handler(on_hit);
    cr_assert_eq(trap_arm(site, err, sizeof err), 0, "trap_arm: %s", err);
    pthread_t thread;
    cr_assert_eq(pthread_create(&thread, NULL, call_fixture, symbol(f, "capture_fixture_run")), 0);
    pthread_join(thread, NULL);
    cr_assert_eq(trap_disarm(site), 0);
    cr_assert_geq(captured, 0, "the capture failed");
    const snapshot_raw *s = snapshot_take();
    cr_assert_not_null(s, "no snapshot was captured");
    cr_assert_null(snapshot_take(), "one hit, one snapshot");
    return s;
}

/* The region that starts at address, or NULL. */
static const mem_region *region_at(const snapshot_raw *s, uint64_t address)
{
    for (size_t i = 0; i < s->image.n_regions; i++)
        if (s->image.regions[i].address == address)
            return &s->image.regions[i];
    return NULL;
}

static void expect_copy(const snapshot_raw *s, const void *object, size_t len, const char *what)
{
    const mem_region *r = region_at(s, (uintptr_t)object);
    cr_assert_not_null(r, "%s was not copied", what);
    cr_assert_eq(r->len, len, "%s: %u bytes copied, expected %zu", what, r->len, len);
    cr_assert_eq(memcmp(s->image.data + r->offset, object, len), 0, "%s: wrong bytes", what);
}

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

Test(snapshot_capture, a_hit_copies_frames_stack_and_pointees, .init = build_o0, .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    uint64_t before = now_ms();
    const snapshot_raw *s = capture_at(idx, &o0, "process", (snapshot_limits){ 20, 2, 65536 });
    cr_assert_eq(s->bp_id, 42);
    cr_assert_eq(s->tid, hit_tid);
    cr_assert(s->time_ms >= before && s->time_ms <= now_ms());
    cr_assert_gt(s->capture_ns, 0);
    cr_assert_not(s->truncated);
    cr_assert_not(s->image.fall_through);

    /* Frames: the breakpoint itself, then the fixture's callers. */
    cr_assert_geq(s->n_frames, 3);
    cr_assert_eq(s->frames[0].reg[DWREG_RIP], site);
    sym_info info;
    cr_assert(sym_lookup(idx, s->frames[1].reg[DWREG_RIP], true, &info) && info.function);
    cr_assert_str_eq(info.function, "capture_fixture_run");
    cr_assert_eq(s->frames[0].cfa, s->frames[1].reg[DWREG_RSP]);

    /* The stack: from frame 0's red zone up past the outermost frame (whose CFA is unknown: the
     * thread's first), with the local in it. */
    const mem_region *stack = &s->image.regions[0];
    cr_assert_eq(stack->address, s->frames[0].reg[DWREG_RSP] - 128);
    cr_assert_eq(s->frames[s->n_frames - 1].cfa, 0);
    cr_assert_gt(stack->address + stack->len, s->frames[s->n_frames - 1].reg[DWREG_RSP]);
    long marker = MARKER;
    cr_assert_not_null(memmem(s->image.data + stack->offset, stack->len, &marker, sizeof marker),
                       "the local 'marker' is not in the stack copy");

    /* Pointees: structs whole, strings up to their NUL, an array whole. */
    const struct { int id; const char *name; } *alice = symbol(&o0, "capture_fixture_alice");
    expect_copy(s, symbol(&o0, "capture_fixture_first"),
                *(size_t *)symbol(&o0, "capture_fixture_order_size"), "*o");
    expect_copy(s, alice, 16, "*who");
    expect_copy(s, alice->name, sizeof "alice", "who->name");
    expect_copy(s, symbol(&o0, "capture_fixture_grid"), 4 * sizeof(int), "*o->grid");
    expect_copy(s, symbol(&o0, "capture_fixture_second"),
                *(size_t *)symbol(&o0, "capture_fixture_order_size"), "*o->next");
    const mem_region *note = NULL;
    for (size_t i = 0; i < s->image.n_regions && !note; i++)
        if (strcmp((const char *)s->image.data + s->image.regions[i].offset, "urgent") == 0)
            note = &s->image.regions[i];
    cr_assert_not_null(note, "the string 'urgent' was not copied");
    cr_assert_eq(note->len, sizeof "urgent");
    size_t total = 0;
    for (size_t i = 0; i < s->image.n_regions; i++)
        total += s->image.regions[i].len;
    cr_assert_eq((size_t)captured, total, "the capture reports the bytes it copied");

    /* The copy answers alone: the plan's pointers come out of it again, what it lacks misses. */
    safe_mem_use_image(&s->image);
    uint64_t pointer = 0;
    cond_error err;
    const snapshot_pointee *o = snapshot_plan_pointee(site_plan, find_expression(site_plan, "o"));
    cr_assert_eq(cond_eval_value(o->pointer, &s->frames[0], &pointer, &err), 0, "%s", err.message);
    cr_assert_eq(pointer, (uintptr_t)symbol(&o0, "capture_fixture_first"));
    long copy;
    uintptr_t global = (uintptr_t)symbol(&o0, "capture_fixture_marker");
    cr_assert_eq(safe_mem_read(global, &copy, sizeof copy), -1,
                 "a global nothing points to was not copied");
    cr_assert(safe_mem_image_missed());
    safe_mem_use_image(NULL);
    snapshot_release(s);
    snapshot_plan_free(site_plan);
    sym_index_destroy(idx);
}

Test(snapshot_capture, an_inlined_call_copies_its_callers_pointees_too, .init = build_o0,
     .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    const snapshot_raw *s = capture_at(idx, &o0, "inlined", (snapshot_limits){ 20, 1, 65536 });
    const struct { int id; const char *name; } *alice = symbol(&o0, "capture_fixture_alice");
    expect_copy(s, alice, 16, "*c");
    expect_copy(s, alice->name, sizeof "alice", "label");
    expect_copy(s, symbol(&o0, "capture_fixture_first"),
                *(size_t *)symbol(&o0, "capture_fixture_order_size"), "the caller's *o");
    snapshot_release(s);
    snapshot_plan_free(site_plan);
    sym_index_destroy(idx);
}

Test(snapshot_capture, memory_already_copied_is_not_copied_again, .init = build_o0,
     .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    const snapshot_raw *s = capture_at(idx, &o0, "local", (snapshot_limits){ 20, 1, 65536 });
    static const char *const expected[] = { "mine.name", "self" };
    expect_expressions(site_plan, expected, 2);
    cr_assert_eq(s->image.n_regions, 2, "the stack and the string: *self is in the stack copy");
    const mem_region *name = &s->image.regions[1];
    cr_assert_eq(name->len, sizeof "mine");
    cr_assert_str_eq((const char *)s->image.data + name->offset, "mine");
    snapshot_release(s);
    snapshot_plan_free(site_plan);
    sym_index_destroy(idx);
}

Test(snapshot_capture, optimized_code_is_captured_too, .init = build_o2, .fini = remove_o2)
{
    sym_index *idx = sym_index_create();
    const snapshot_raw *s = capture_at(idx, &o2, "process", (snapshot_limits){ 20, 2, 65536 });
    cr_assert_eq(s->frames[0].reg[DWREG_RIP], site);
    cr_assert_geq(s->n_frames, 3);
    expect_copy(s, symbol(&o2, "capture_fixture_first"),
                *(size_t *)symbol(&o2, "capture_fixture_order_size"), "*o");
    snapshot_release(s);
    snapshot_plan_free(site_plan);
    sym_index_destroy(idx);
}

Test(snapshot_capture, max_frames_cuts_the_frames_and_their_stack, .init = build_o0,
     .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    const snapshot_raw *s = capture_at(idx, &o0, "process", (snapshot_limits){ 1, 0, 65536 });
    cr_assert_eq(s->n_frames, 1);
    cr_assert(s->truncated, "the stack went on");
    cr_assert_neq(s->frames[0].cfa, 0, "the frame beyond the budget still gives the CFA");
    cr_assert_eq(s->image.n_regions, 1, "depth 0: the stack only");
    cr_assert_eq(s->image.regions[0].address + s->image.regions[0].len, s->frames[0].cfa);
    snapshot_release(s);
    snapshot_plan_free(site_plan);
    sym_index_destroy(idx);
}

/* ---- the pool, with captures of getcontext() contexts ---- */

/* A plan that copies the stack only (depth 0). */
static snapshot_plan *empty_plan(uint32_t max_bytes)
{
    sym_index *idx = sym_index_create();
    snapshot_plan *plan = plan_at(idx, (uintptr_t)empty_plan, 64, 0, max_bytes);
    cr_assert_eq(snapshot_plan_pointees(plan), 0);
    sym_index_destroy(idx);
    return plan;
}

static void init_pool(void)
{
    char err[TEXT_MAX] = "";
    cr_assert_eq(snapshot_pool_init(err, sizeof err), 0, "%s", err);
    cr_assert_eq(snapshot_pool_init(err, sizeof err), 0, "a second init keeps the pool");
}

Test(snapshot_pool, nothing_is_captured_before_the_pool_is_mapped)
{
    snapshot_plan *plan = empty_plan(4096);
    ucontext_t uc;
    getcontext(&uc);
    cr_assert_eq(snapshot_capture(plan, 1, &uc), -1);
    cr_assert_null(snapshot_take());
    snapshot_plan_free(plan);
}

Test(snapshot_pool, a_context_is_captured_with_its_stack)
{
    init_pool();
    snapshot_plan *plan = empty_plan(65536);
    volatile long local = MARKER;
    ucontext_t uc;
    getcontext(&uc);
    long bytes = snapshot_capture(plan, 5, &uc);
    cr_assert_gt(bytes, 0);
    const snapshot_raw *s = snapshot_take();
    cr_assert_not_null(s);
    cr_assert_eq(s->tid, (pid_t)syscall(SYS_gettid));
    cr_assert_eq(s->frames[0].reg[DWREG_RSP], (uint64_t)uc.uc_mcontext.gregs[REG_RSP]);
    cr_assert_geq(s->n_frames, 2);
    cr_assert_eq(s->image.n_regions, 1);
    cr_assert_eq((long)s->image.regions[0].len, bytes);
    long marker = local;
    cr_assert_not_null(memmem(s->image.data, s->image.regions[0].len, &marker, sizeof marker));
    snapshot_release(s);
    snapshot_plan_free(plan);
}

static long deep_capture;

/* Recurses `depth` times with a kilobyte of stack each, then captures. */
static __attribute__((noinline)) void capture_deep(const snapshot_plan *plan, int depth)
{
    volatile char frame_filler[1024];
    frame_filler[0] = (char)depth;
    if (depth > 0) {
        capture_deep(plan, depth - 1);
        frame_filler[0]++; /* keeps the frame alive across the call */
        return;
    }
    ucontext_t uc;
    getcontext(&uc);
    deep_capture = snapshot_capture(plan, 6, &uc);
}

Test(snapshot_pool, the_byte_budget_cuts_the_stack)
{
    init_pool();
    snapshot_plan *plan = empty_plan(4096);
    capture_deep(plan, 10);
    cr_assert_eq(deep_capture, 4096, "captured %ld bytes", deep_capture);
    const snapshot_raw *s = snapshot_take();
    cr_assert_not_null(s);
    cr_assert(s->truncated);
    cr_assert_eq(s->image.regions[0].len, 4096);
    snapshot_release(s);
    snapshot_plan_free(plan);
}

Test(snapshot_pool, a_full_pool_drops_and_slots_come_back_oldest_first)
{
    init_pool();
    snapshot_plan *plan = empty_plan(4096);
    ucontext_t uc;
    getcontext(&uc);
    for (int i = 0; i < SNAPSHOT_SLOTS; i++)
        cr_assert_gt(snapshot_capture(plan, i, &uc), 0);
    cr_assert_eq(snapshot_capture(plan, 99, &uc), -1, "every slot is in use");

    const snapshot_raw *first = snapshot_take();
    const snapshot_raw *second = snapshot_take();
    cr_assert_eq(first->bp_id, 0);
    cr_assert_eq(second->bp_id, 1);
    cr_assert_eq(snapshot_capture(plan, 100, &uc), -1, "taken slots are still in use");
    snapshot_release(second);
    snapshot_release(first);
    cr_assert_gt(snapshot_capture(plan, 100, &uc), 0);
    cr_assert_gt(snapshot_capture(plan, 101, &uc), 0);
    int64_t expected[] = { 2, 3, 4, 5, 6, 7, 100, 101 };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        const snapshot_raw *s = snapshot_take();
        cr_assert_not_null(s);
        cr_assert_eq(s->bp_id, expected[i], "snapshot %zu is %lld", i, (long long)s->bp_id);
        snapshot_release(s);
    }
    cr_assert_null(snapshot_take());
    snapshot_plan_free(plan);
}
