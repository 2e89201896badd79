/* Unit tests for fast_sites.c, trampoline.c and fast_entry.c in this process: fast breakpoints on
 * lines of fast_fixture.c (built at -O0 and -O2) with conditions compiled by cond_compile, called
 * millions of times: results as without them, hit counts exact, the hit's registers those of the
 * trap path, xmm registers kept, bytes restored exactly, an unsafe site on the trap path with its
 * reason, arming and disarming and breakpoints changing under 4 hammering threads, stopping them
 * all (never inside a trampoline); and the cost of a false condition. */
#define UNW_LOCAL_ONLY
#include <criterion/criterion.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>

#include "bp_conditions.h"
#include "cond.h"
#include "disassembly.h"
#include "fast_sites.h"
#include "fixture_lib.h"
#include "frame_capture.h"
#include "signal_interpose.h"
#include "site_safety.h"
#include "stopper.h"
#include "trap.h"

#define ERR_LEN 512
#define MILLION 1000000
#define BP_ID 11

/* ---- the fixture library ---------------------------------------------------------------- */

static fixture o0 = { .name = "o0", .compile = "cc -g -O0" };
static fixture o2 = { .name = "o2", .compile = "cc -g -O2" };
static sym_index *symbols;

typedef int (*short_fn)(int);
typedef long (*loop_fn)(int);
typedef double (*float_fn)(double, double, int);
typedef long (*frame_fn)(long, long);

/* ---- the hit handler: the stopper's filtering, and what the hit saw ---------------------- */

static atomic_long handler_calls, wanted_hits;
static frame_regs last_frames[2];
static atomic_int last_frame_count;
static atomic_uintptr_t last_address;

static void on_hit(uintptr_t addr, void *ucontext)
{
    int64_t ids[BP_CONDITIONS_MAX_PER_ADDRESS];
    atomic_fetch_add(&handler_calls, 1);
    if (bp_conditions_filter(addr, ucontext, ids, BP_CONDITIONS_MAX_PER_ADDRESS) == 0)
        return;
    atomic_fetch_add(&wanted_hits, 1);
    atomic_store(&last_address, addr);
    atomic_store(&last_frame_count, frame_capture(ucontext, last_frames, 2));
}

static void setup(fixture *f)
{
    char err[ERR_LEN];
    fixture_build(f, "fast_fixture.c", "libfastfixture.so");
    symbols = sym_index_create();
    cr_assert_not_null(symbols);
    cr_assert_eq(trap_init(err, sizeof err), 0, "trap_init: %s", err);
    trap_set_hit_handler(on_hit);
}

static void setup_o0(void) { setup(&o0); }
static void setup_o2(void) { setup(&o2); }
static void teardown(void)
{
    breakpoint_site_disarm_all();
    sym_index_destroy(symbols);
    fixture_remove(&o0);
    fixture_remove(&o2);
}

/* The address of the line tagged MARK:<tag> in f's copy of the fixture. */
static uintptr_t mark_address(const fixture *f, const char *tag)
{
    char text[512], path[512], err[ERR_LEN] = "", wanted[64];
    snprintf(wanted, sizeof wanted, "MARK:%s ", tag);
    FILE *in = fopen(f->source, "r");
    cr_assert_not_null(in);
    int line = 0, mark = 0;
    while (!mark && fgets(text, sizeof text, in)) {
        line++;
        if (strstr(text, wanted))
            mark = line;
    }
    fclose(in);
    cr_assert(mark, "no %s in %s", wanted, f->source);
    snprintf(path, sizeof path, "%s/fast_fixture.c", f->name);
    sym_location where;
    cr_assert_eq(sym_resolve_line(symbols, path, mark, &where, 1, err, sizeof err), 1, "%s: %s",
                 path, err);
    return where.address;
}

static void *fixture_symbol(const fixture *f, const char *name)
{
    void *p = dlsym(f->handle, name);
    cr_assert_not_null(p, "%s: %s", name, dlerror());
    return p;
}

/* A stop breakpoint with a condition, allowed a whole core (the tests call the function millions
 * of times in a row: the default 10% would switch it off, under a sanitizer sooner). */
static void add_condition(uintptr_t addr, int64_t id, const char *text)
{
    char err[ERR_LEN] = "";
    cond_program *p = cond_compile(symbols, addr, text, err, sizeof err);
    cr_assert_not_null(p, "'%s' did not compile: %s", text, err);
    bp_filter f = { .action = BP_STOP, .program = p, .hit = { HIT_EVERY, 0 },
                    .budget = bp_budget_default(BP_STOP) };
    f.budget.cpu_percent = 100;
    cr_assert_eq(bp_conditions_register(addr, id, &f), 0);
}

/* Arms addr, asserting the fast path; returns it. */
static void arm_fast(uintptr_t addr)
{
    char why[ERR_LEN] = "", err[ERR_LEN] = "";
    site_path path;
    cr_assert_eq(breakpoint_site_arm(symbols, addr, true, &path, why, sizeof why, err, sizeof err),
                 0, "arm: %s", err);
    cr_assert_eq(path, SITE_PATH_FAST, "0x%lx took the trap path: %s", (unsigned long)addr, why);
    cr_assert_str_empty(why);
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---- results, counts and bytes ---------------------------------------------------------- */

/* A million calls of the short function (at -O2 the site is its entry, whose first instruction
 * is a RIP-relative load) with a condition true every 1000th: same results as unpatched, every
 * true hit reaches the handler once, at the breakpoint address. */
static void check_short(const fixture *f)
{
    short_fn fn = (short_fn)fixture_symbol(f, "fast_fixture_short");
    uintptr_t addr = mark_address(f, "short");
    if (f == &o2)
        cr_assert_eq(addr, (uintptr_t)fn, "at -O2 the line is the function's entry");
    uint8_t before[SITE_MAX_REPLACED], after[SITE_MAX_REPLACED];
    memcpy(before, (const void *)addr, sizeof before);
    long expected = 0, got = 0;
    for (int i = 0; i < MILLION; i++)
        expected += fn(i);
    add_condition(addr, BP_ID, "x % 1000 == 0");
    arm_fast(addr);
    cr_assert_neq(memcmp(before, (const void *)addr, SITE_JUMP_SIZE), 0, "no jump was written");
    uint8_t seen[SITE_MAX_REPLACED];
    cr_assert_eq(disasm_read_original(addr, seen, sizeof seen), sizeof seen);
    cr_assert_eq(memcmp(seen, before, sizeof seen), 0, "reads must show the program's bytes");
    uint64_t fast_before = fast_sites_hit_count();
    for (int i = 0; i < MILLION; i++)
        got += fn(i);
    cr_assert_eq(got, expected, "results changed under the breakpoint");
    uint64_t through = fast_sites_hit_count() - fast_before;
    cr_assert(through > MILLION - 64 && through <= MILLION, "every call went through the "
              "trampoline (%lu counted, by batches of 64)", (unsigned long)through);
    cr_assert_eq(bp_conditions_hits(BP_ID), MILLION / 1000, "hits: %lu",
                 (unsigned long)bp_conditions_hits(BP_ID));
    cr_assert_eq(atomic_load(&wanted_hits), MILLION / 1000, "wanted: %ld", atomic_load(&wanted_hits));
    cr_assert_eq(atomic_load(&handler_calls), MILLION / 1000, "only true hits trap");
    cr_assert_eq(atomic_load(&last_address), addr);
    cr_assert_eq(last_frames[0].reg[DWREG_RIP], addr, "the hit's rip is the breakpoint address");
    cr_assert_eq(breakpoint_site_disarm(addr), 0);
    memcpy(after, (const void *)addr, sizeof after);
    cr_assert_eq(memcmp(before, after, sizeof before), 0, "disarm restores the exact bytes");
    bp_conditions_remove(addr, BP_ID);
}

/* A loop body: the same sums; the path taken is reported (at -O2 a branch may target it). */
static void check_loop(const fixture *f)
{
    loop_fn fn = (loop_fn)fixture_symbol(f, "fast_fixture_loop");
    uintptr_t addr = mark_address(f, "loop");
    long expected = fn(MILLION);
    add_condition(addr, BP_ID, "i == 999999");
    char why[ERR_LEN] = "", err[ERR_LEN] = "";
    site_path path;
    cr_assert_eq(breakpoint_site_arm(symbols, addr, true, &path, why, sizeof why, err, sizeof err), 0,
                 "%s", err);
    cr_log_info("%s loop body: %s %s", f->name, path == SITE_PATH_FAST ? "fast" : "trap", why);
    cr_assert(path == SITE_PATH_FAST || why[0], "a trap path says why");
    cr_assert_eq(fn(MILLION), expected);
    cr_assert_eq(bp_conditions_hits(BP_ID), 1);
    cr_assert_eq(atomic_load(&wanted_hits), 1);
    cr_assert_eq(breakpoint_site_disarm(addr), 0);
    bp_conditions_remove(addr, BP_ID);
}

/* A RIP-relative load with doubles live across the site: the same results (xmm kept). */
static void check_float(const fixture *f)
{
    float_fn fn = (float_fn)fixture_symbol(f, "fast_fixture_float");
    uintptr_t addr = mark_address(f, "float");
    double expected[64];
    for (int i = 0; i < 64; i++)
        expected[i] = fn(i * 0.5 + 1.0, 3.25 - i, i);
    add_condition(addr, BP_ID, "k == 63");
    arm_fast(addr);
    for (int round = 0; round < 1000; round++)
        for (int i = 0; i < 64; i++) {
            double got = fn(i * 0.5 + 1.0, 3.25 - i, i);
            cr_assert(memcmp(&got, &expected[i], sizeof got) == 0, "call %d: %g, not %g", i, got,
                      expected[i]);
        }
    cr_assert_eq(bp_conditions_hits(BP_ID), 1000);
    cr_assert_eq(breakpoint_site_disarm(addr), 0);
    bp_conditions_remove(addr, BP_ID);
}

Test(fast_sites_o0, results_counts_and_bytes, .init = setup_o0, .fini = teardown) { check_short(&o0); }
Test(fast_sites_o2, results_counts_and_bytes, .init = setup_o2, .fini = teardown) { check_short(&o2); }
Test(fast_sites_o0, a_loop_body, .init = setup_o0, .fini = teardown) { check_loop(&o0); }
Test(fast_sites_o2, a_loop_body, .init = setup_o2, .fini = teardown) { check_loop(&o2); }
Test(fast_sites_o0, xmm_kept_over_a_rip_relative_site, .init = setup_o0, .fini = teardown) { check_float(&o0); }
Test(fast_sites_o2, xmm_kept_over_a_rip_relative_site, .init = setup_o2, .fini = teardown) { check_float(&o2); }

/* ---- the hit's registers: as on the trap path ------------------------------------------- */

/* Calls fn(5, 9) with rbx = 0x1111, rbp = 0x0b0b, r12 = 0x1212 .. r15 = 0x1515 (callee-saved: the site sees
 * them unless the function changed them first), keeping the caller's. */
long call_with_known_registers(frame_fn fn);
__asm__(".text\n.p2align 4\n.globl call_with_known_registers\n"
        ".type call_with_known_registers,@function\n"
        "call_with_known_registers:\n"
        "    .cfi_startproc\n"
        "    push %rbx\n    .cfi_adjust_cfa_offset 8\n"
        "    push %r12\n    .cfi_adjust_cfa_offset 8\n"
        "    push %r13\n    .cfi_adjust_cfa_offset 8\n"
        "    push %r14\n    .cfi_adjust_cfa_offset 8\n"
        "    push %r15\n    .cfi_adjust_cfa_offset 8\n"
        "    push %rbp\n    .cfi_adjust_cfa_offset 8\n"
        "    sub $8, %rsp\n    .cfi_adjust_cfa_offset 8\n"
        "    mov %rdi, %rax\n"
        "    mov $0x0b0b, %rbp\n"
        "    mov $0x1111, %rbx\n    mov $0x1212, %r12\n    mov $0x1313, %r13\n"
        "    mov $0x1414, %r14\n    mov $0x1515, %r15\n"
        "    mov $5, %edi\n    mov $9, %esi\n"
        "    call *%rax\n"
        "    add $8, %rsp\n    .cfi_adjust_cfa_offset -8\n"
        "    pop %rbp\n    .cfi_adjust_cfa_offset -8\n"
        "    pop %r15\n    .cfi_adjust_cfa_offset -8\n"
        "    pop %r14\n    .cfi_adjust_cfa_offset -8\n"
        "    pop %r13\n    .cfi_adjust_cfa_offset -8\n"
        "    pop %r12\n    .cfi_adjust_cfa_offset -8\n"
        "    pop %rbx\n    .cfi_adjust_cfa_offset -8\n"
        "    ret\n"
        "    .cfi_endproc\n"
        ".size call_with_known_registers, .-call_with_known_registers\n");

static void capture(frame_fn fn, uintptr_t addr, bool fast, frame_regs out[2])
{
    char why[ERR_LEN] = "", err[ERR_LEN] = "";
    site_path path;
    cr_assert_eq(breakpoint_site_arm(symbols, addr, fast, &path, why, sizeof why, err, sizeof err), 0,
                 "%s", err);
    cr_assert_eq(path, fast ? SITE_PATH_FAST : SITE_PATH_TRAP, "%s", why);
    atomic_store(&last_frame_count, 0);
    cr_assert_eq(call_with_known_registers(fn), 5 * 7 + 9 - 5);
    cr_assert_eq(atomic_load(&last_frame_count), 2, "the hit unwinds to the caller");
    memcpy(out, last_frames, 2 * sizeof *out);
    cr_assert_eq(breakpoint_site_disarm(addr), 0);
}

static void check_registers(const fixture *f)
{
    frame_fn fn = (frame_fn)fixture_symbol(f, "fast_fixture_frame");
    uintptr_t addr = mark_address(f, "frame");
    add_condition(addr, BP_ID, "x == 5");
    frame_regs fast[2], trap[2];
    capture(fn, addr, true, fast);
    capture(fn, addr, false, trap);
    static const int compared[] = { DWREG_RIP, DWREG_RSP, DWREG_RBP, DWREG_RBX, DWREG_RDI,
                                    DWREG_RSI, DWREG_R12, DWREG_R13, DWREG_R14, DWREG_R15 };
    for (size_t i = 0; i < sizeof compared / sizeof compared[0]; i++)
        cr_assert_eq(fast[0].reg[compared[i]], trap[0].reg[compared[i]], "%s: 0x%lx on the fast "
                     "path, 0x%lx on the trap path", frame_reg_name(compared[i]),
                     (unsigned long)fast[0].reg[compared[i]], (unsigned long)trap[0].reg[compared[i]]);
    cr_assert_eq(fast[0].reg[DWREG_RIP], addr);
    cr_assert_eq(fast[0].reg[DWREG_RDI], 5, "the program's rdi at the site");
    cr_assert_eq(fast[0].reg[DWREG_R12], 0x1212, "the program's r12 at the site");
    cr_assert_eq(fast[0].reg[DWREG_R15], 0x1515, "the program's r15 at the site");
    cr_assert_eq(fast[1].reg[DWREG_RBX], 0x1111, "the caller's rbx, unwound");
    cr_assert_eq(fast[0].cfa, trap[0].cfa, "the frame's CFA");
    cr_assert_eq(fast[1].reg[DWREG_RIP], trap[1].reg[DWREG_RIP], "the caller's pc");
    cr_assert_eq(bp_conditions_hits(BP_ID), 2);
    bp_conditions_remove(addr, BP_ID);
}

Test(fast_sites_o0, the_hit_sees_the_registers_of_the_trap_path, .init = setup_o0, .fini = teardown) { check_registers(&o0); }
Test(fast_sites_o2, the_hit_sees_the_registers_of_the_trap_path, .init = setup_o2, .fini = teardown) { check_registers(&o2); }

/* ---- refusals and the process-wide switch ----------------------------------------------- */

/* mov (2), then a loop whose head is at +2: a jump at the entry would cover it. */
int fast_branch_into(int x);
__asm__(".text\n.p2align 4\n.globl fast_branch_into\n.type fast_branch_into,@function\n"
        "fast_branch_into:\n"
        "    movl %edi, %eax\n"
        "1:  addl $1, %eax\n"
        "    cmpl $100, %eax\n"
        "    jl 1b\n"
        "    ret\n"
        ".size fast_branch_into, .-fast_branch_into\n");

Test(fast_sites_o0, an_unsafe_site_takes_the_trap_path_with_the_reason, .init = setup_o0, .fini = teardown)
{
    uintptr_t addr = (uintptr_t)fast_branch_into;
    char why[ERR_LEN] = "", err[ERR_LEN] = "";
    site_path path;
    cr_assert_eq(breakpoint_site_arm(symbols, addr, true, &path, why, sizeof why, err, sizeof err), 0,
                 "%s", err);
    cr_assert_eq(path, SITE_PATH_TRAP);
    cr_assert(strstr(why, "targets the replaced bytes"), "why: %s", why);
    cr_assert(trap_is_armed(addr));
    cr_assert_eq(fast_branch_into(1), 100);
    cr_assert_eq(atomic_load(&handler_calls), 1, "the trap site counts the hit");
    cr_assert_eq(breakpoint_site_disarm(addr), 0);
    cr_assert_not(trap_is_armed(addr));
}

Test(fast_sites_o0, the_process_switch_forces_traps, .init = setup_o0, .fini = teardown)
{
    uintptr_t addr = mark_address(&o0, "short");
    fast_sites_allow(false);
    char why[ERR_LEN] = "", err[ERR_LEN] = "";
    site_path path;
    cr_assert_eq(breakpoint_site_arm(symbols, addr, true, &path, why, sizeof why, err, sizeof err), 0,
                 "%s", err);
    cr_assert_eq(path, SITE_PATH_TRAP);
    cr_assert(strstr(why, "PODBUG_BREAKPOINTS=trap"), "why: %s", why);
    cr_assert_eq(breakpoint_site_disarm(addr), 0);
    fast_sites_allow(true);
}

/* A breakpoint inside the bytes a fast site replaced turns that site into a trap site. */
Test(fast_sites_o0, a_breakpoint_inside_replaced_bytes_demotes_the_fast_site, .init = setup_o0, .fini = teardown)
{
    short_fn fn = (short_fn)fixture_symbol(&o0, "fast_fixture_short");
    uintptr_t addr = mark_address(&o0, "short");
    arm_fast(addr);
    uint8_t first[16];
    cr_assert_eq(disasm_read_original(addr, first, sizeof first), sizeof first);
    char text[64];
    size_t len = disasm_one(first, sizeof first, addr, text, sizeof text);
    cr_assert(len > 0 && len < SITE_JUMP_SIZE + 10);
    if (len >= SITE_JUMP_SIZE)
        return; /* the first instruction covers the jump: nothing starts inside */
    char why[ERR_LEN] = "", err[ERR_LEN] = "";
    site_path path;
    cr_assert_eq(breakpoint_site_arm(symbols, addr + len, false, &path, why, sizeof why, err,
                                     sizeof err), 0, "%s", err);
    cr_assert(trap_is_armed(addr) && trap_is_armed(addr + len));
    cr_assert_not(fast_sites_overlap(addr, 1));
    cr_assert_eq(fn(4), 4 * 3 + 1);
    cr_assert_eq(atomic_load(&handler_calls), 2);
    cr_assert_eq(breakpoint_site_disarm(addr), 0);
    cr_assert_eq(breakpoint_site_disarm(addr + len), 0);
}

/* A step's internal trap site at a fast site's address (a return address): its int3 covers the
 * jump's first byte and runs the jump out of line; the fast site removed meanwhile keeps its jump
 * until the trap site is gone, then the program's bytes come back. */
Test(fast_sites_o2, a_step_trap_site_over_a_fast_jump, .init = setup_o2, .fini = teardown)
{
    short_fn fn = (short_fn)fixture_symbol(&o2, "fast_fixture_short");
    uintptr_t addr = mark_address(&o2, "short");
    uint8_t before[SITE_MAX_REPLACED];
    memcpy(before, (const void *)addr, sizeof before);
    add_condition(addr, BP_ID, "x == 3");
    arm_fast(addr);
    char err[ERR_LEN] = "";
    cr_assert_eq(trap_arm(addr, err, sizeof err), 0, "%s", err);
    cr_assert_eq(fn(3), 10);
    cr_assert_eq(atomic_load(&wanted_hits), 1, "the trap site's hit evaluates the breakpoint");
    cr_assert_eq(breakpoint_site_disarm(addr), 0);
    cr_assert_eq(fn(3), 10);
    cr_assert_eq(trap_disarm(addr), 0);
    cr_assert_eq(fn(3), 10);
    cr_assert_eq(breakpoint_site_disarm(addr + 1), -1, "nothing is armed there");
    cr_assert_eq(memcmp(before, (const void *)addr, sizeof before), 0, "the program's bytes are back");
    bp_conditions_remove(addr, BP_ID);
}

/* ---- patching under load ---------------------------------------------------------------- */

typedef struct hammer {
    short_fn fn;
    atomic_bool *stop;
    long calls, mismatches;
} hammer;

static void *hammer_thread(void *arg)
{
    hammer *h = arg;
    while (!atomic_load_explicit(h->stop, memory_order_relaxed)) {
        for (int i = 0; i < 1000; i++)
            if (h->fn(i) != i * 3 + 1)
                h->mismatches++;
        h->calls += 1000;
    }
    return NULL;
}

/* Four threads calling fn in a loop until crew_finish. */
typedef struct crew {
    atomic_bool stop;
    hammer h[4];
    pthread_t threads[4];
} crew;

static void crew_start(crew *c, short_fn fn)
{
    atomic_init(&c->stop, false);
    for (int i = 0; i < 4; i++) {
        c->h[i] = (hammer){ .fn = fn, .stop = &c->stop };
        cr_assert_eq(pthread_create(&c->threads[i], NULL, hammer_thread, &c->h[i]), 0);
    }
}

/* Stops and joins the threads; every result they computed was right. Returns their calls. */
static long crew_finish(crew *c)
{
    atomic_store(&c->stop, true);
    long calls = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(c->threads[i], NULL);
        cr_assert_eq(c->h[i].mismatches, 0, "thread %d computed wrong results", i);
        calls += c->h[i].calls;
    }
    return calls;
}

static void check_patching_under_load(const fixture *f)
{
    short_fn fn = (short_fn)fixture_symbol(f, "fast_fixture_short");
    uintptr_t addr = mark_address(f, "short");
    uint8_t before[SITE_MAX_REPLACED];
    memcpy(before, (const void *)addr, sizeof before);
    add_condition(addr, BP_ID, "x % 100 == 7");
    static crew c;
    crew_start(&c, fn);
    int fast = 0;
    for (int cycle = 0; cycle < 1000; cycle++) {
        char why[ERR_LEN] = "", err[ERR_LEN] = "";
        site_path path;
        cr_assert_eq(breakpoint_site_arm(symbols, addr, true, &path, why, sizeof why, err,
                                         sizeof err), 0, "cycle %d: %s", cycle, err);
        fast += path == SITE_PATH_FAST;
        cr_assert_eq(breakpoint_site_disarm(addr), 0);
    }
    long calls = crew_finish(&c);
    cr_log_info("%s: %d of 1000 cycles fast, %ld calls meanwhile", f->name, fast, calls);
    cr_assert_gt(fast, 900, "patching rarely times out");
    cr_assert_eq(memcmp(before, (const void *)addr, sizeof before), 0, "bytes restored");
    cr_assert_eq((uint64_t)atomic_load(&wanted_hits), bp_conditions_hits(BP_ID),
                 "every true hit reached the handler once");
    cr_assert_eq(atomic_load(&handler_calls), atomic_load(&wanted_hits));
    bp_conditions_remove(addr, BP_ID);
}

/* Breakpoints added and removed at a site 4 threads run through (their sets published and freed
 * while the fast path reads them): no crash, results and the other breakpoint's counts exact. */
static void check_changes_under_load(const fixture *f)
{
    short_fn fn = (short_fn)fixture_symbol(f, "fast_fixture_short");
    uintptr_t addr = mark_address(f, "short");
    add_condition(addr, BP_ID, "x % 100 == 7");
    arm_fast(addr);
    static crew c;
    crew_start(&c, fn);
    for (int round = 0; round < 2000; round++) {
        add_condition(addr, BP_ID + 1, round % 2 ? "x < 0" : "x == -5");
        bp_conditions_remove(addr, BP_ID + 1);
    }
    crew_finish(&c);
    cr_assert_gt(bp_conditions_hits(BP_ID), 0);
    cr_assert_eq((uint64_t)atomic_load(&wanted_hits), bp_conditions_hits(BP_ID));
    cr_assert_eq(breakpoint_site_disarm(addr), 0);
    bp_conditions_remove(addr, BP_ID);
}

Test(fast_sites_o2, breakpoints_change_while_four_threads_run_through, .init = setup_o2, .fini = teardown, .timeout = 120)
{
    check_changes_under_load(&o2);
}

Test(fast_sites_o0, four_threads_through_1000_arm_disarm_cycles, .init = setup_o0, .fini = teardown, .timeout = 120)
{
    check_patching_under_load(&o0);
}
Test(fast_sites_o2, four_threads_through_1000_arm_disarm_cycles, .init = setup_o2, .fini = teardown, .timeout = 120)
{
    check_patching_under_load(&o2);
}

/* ---- stopping every thread: never parked inside a trampoline or its C entry ------------- */

static void check_stop_all(const fixture *f)
{
    char err[ERR_LEN] = "";
    int notify[2];
    cr_assert_eq(pipe2(notify, O_NONBLOCK | O_CLOEXEC), 0);
    cr_assert_eq(stopper_init(notify[1], (pid_t)syscall(SYS_gettid), err, sizeof err), 0, "%s", err);
    short_fn fn = (short_fn)fixture_symbol(f, "fast_fixture_short");
    uintptr_t addr = mark_address(f, "short");
    add_condition(addr, BP_ID, "x < 0");
    arm_fast(addr);
    static crew c;
    crew_start(&c, fn);
    for (int round = 0; round < 100; round++) {
        int64_t t0 = now_ns();
        int parked = stopper_stop_all(2000);
        cr_assert_eq(parked, 4, "round %d: every thread parked (%d after %ld us)", round, parked,
                     (long)(now_ns() - t0) / 1000);
        pid_t tids[8];
        size_t n = stopper_parked_threads(tids, 8);
        for (size_t i = 0; i < n; i++) {
            frame_regs frames[4];
            int count = stopper_thread_frames(tids[i], frames, 4);
            uintptr_t pc = frames[0].reg[DWREG_RIP];
            cr_assert_not(fast_sites_in_trampoline(pc), "round %d: parked in a trampoline", round);
            cr_assert_not(signal_interpose_in_handler_text(pc), "round %d: parked in the C entry",
                          round);
            cr_assert_geq(count, 2, "round %d: the stack unwinds from 0x%lx", round,
                          (unsigned long)pc);
        }
        stopper_resume_all();
        struct timespec pause = { 0, 2000000 }; /* the threads run on a moment between stops */
        nanosleep(&pause, NULL);
    }
    crew_finish(&c);
    cr_assert_eq(breakpoint_site_disarm(addr), 0);
    bp_conditions_remove(addr, BP_ID);
}

Test(fast_sites_o0, stop_all_never_parks_a_thread_inside_a_trampoline, .init = setup_o0, .fini = teardown, .timeout = 120)
{
    check_stop_all(&o0);
}
Test(fast_sites_o2, stop_all_never_parks_a_thread_inside_a_trampoline, .init = setup_o2, .fini = teardown, .timeout = 120)
{
    check_stop_all(&o2);
}

/* ---- the cost of a false condition ------------------------------------------------------ */

static double ns_per_call(short_fn fn, int calls)
{
    long sink = 0;
    int64_t start = now_ns();
    for (int i = 0; i < calls; i++)
        sink += fn(i);
    int64_t spent = now_ns() - start;
    cr_assert_neq(sink, 1); /* keeps the calls */
    return (double)spent / calls;
}

Test(fast_sites_o2, a_false_condition_costs_nanoseconds, .init = setup_o2, .fini = teardown)
{
    short_fn fn = (short_fn)fixture_symbol(&o2, "fast_fixture_short");
    uintptr_t addr = mark_address(&o2, "short");
    double plain = ns_per_call(fn, 10 * MILLION);
    add_condition(addr, BP_ID, "x == -1");
    arm_fast(addr);
    ns_per_call(fn, MILLION); /* warm */
    double fast = ns_per_call(fn, 10 * MILLION);
    cr_assert_eq(breakpoint_site_disarm(addr), 0);
    char why[ERR_LEN] = "", err[ERR_LEN] = "";
    site_path path;
    cr_assert_eq(breakpoint_site_arm(symbols, addr, false, &path, why, sizeof why, err, sizeof err), 0);
    double trap = ns_per_call(fn, 100000);
    cr_assert_eq(breakpoint_site_disarm(addr), 0);
    fprintf(stderr, "false condition 'x == -1' per call: plain %.1f ns, fast %.1f ns (%.1f over plain), "
            "trap %.0f ns\n", plain, fast, fast - plain, trap);
    cr_assert_lt(fast - plain, 1000.0, "the fast path takes no trap");
    cr_assert_lt(fast, trap / 4, "the fast path is several times cheaper than a trap (a sanitizer "
                 "slows the condition more than the trap)");
    cr_assert_eq(bp_conditions_hits(BP_ID), 0);
}
