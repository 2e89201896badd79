/* Unit tests for the condition compiler and machine (probe/cond_*.c): conditions compiled at a
 * real breakpoint of cond_fixture.c (built at run time at -O0 and -O2, dlopen'ed), evaluated in
 * the SIGTRAP handler as the stopper would, checked against the expected truth and against
 * expr_eval on the same registers while the hitting thread is parked; compile errors exactly. */
#include <criterion/criterion.h>

#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cond.h"
#include "fixture_lib.h"
#include "debuginfo.h"
#include "expr.h"
#include "frame_capture.h"
#include "symbols.h"
#include "trap.h"
#include "value.h"

#define TEXT_MAX 512
#define MAX_PROGRAMS 64
#define TIMED_ROUNDS 20000
#define WAIT_LIMIT_NS (10 * 1000000000LL)
#define ERROR (-1)   /* an expected truth: the condition fails at run time */

/* ---- the fixture library ---- */

static fixture o0 = { .name = "o0", .compile = "cc -g -O0" };
static fixture o2 = { .name = "o2", .compile = "cc -g -O2" };

static void build(fixture *f)
{
    fixture_build(f, "cond_fixture.c", "libcondfixture.so");
}

static void build_o0(void) { build(&o0); }
static void build_o2(void) { build(&o2); }
static void remove_o0(void) { fixture_remove(&o0); }
static void remove_o2(void) { fixture_remove(&o2); }

/* The breakpoint address of the line tagged MARK:check. */
static uintptr_t check_site(sym_index *idx, const fixture *f)
{
    char text[TEXT_MAX], path[TEXT_MAX], err[TEXT_MAX] = "";
    FILE *in = fopen(f->source, "r");
    cr_assert_not_null(in);
    int line = 0, mark = 0;
    while (!mark && fgets(text, sizeof text, in)) {
        line++;
        if (strstr(text, "MARK:check"))
            mark = line;
    }
    fclose(in);
    cr_assert(mark, "no MARK:check in %s", f->source);
    snprintf(path, sizeof path, "%s/cond_fixture.c", f->name);
    sym_location where;
    cr_assert_eq(sym_resolve_line(idx, path, mark, &where, 1, err, sizeof err), 1, "%s: %s",
                 path, err);
    return where.address;
}

/* ---- the hit: evaluating every program in the handler, parked until the test is done ---- */

typedef struct hit_record {
    frame_regs regs;
    cond_result result;
    cond_error error;
} hit_record;

static cond_program *programs[MAX_PROGRAMS];
static hit_record records[MAX_PROGRAMS];
static size_t n_programs;
static uintptr_t site;
/* Timed false conditions: one on the frame (a register or the live stack), one through memory
 * that safe_mem reads. */
static const char *const timed_texts[2] = { "limit > 100", "r->amount > 1000" };
static size_t timed[2];
static int64_t timed_eval_ns[2], timed_capture_ns;
static atomic_int hit_state;        /* 0 waiting, 1 parked with records, 2 released */

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The production path: frame-0 registers (with the CFA only when the program needs it), then
 * the program; plus timings of both for the report. */
static void on_hit(uintptr_t addr, void *ucontext)
{
    if (addr != site)
        return;
    for (size_t i = 0; i < n_programs; i++) {
        frame_capture_top(ucontext, &records[i].regs, cond_needs_cfa(programs[i]));
        records[i].result = cond_eval(programs[i], &records[i].regs, &records[i].error);
    }
    cond_error ignored;
    frame_regs regs;
    for (int t = 0; t < 2; t++) {
        int64_t start = now_ns();
        for (int i = 0; i < TIMED_ROUNDS; i++)
            cond_eval(programs[timed[t]], &records[timed[t]].regs, &ignored);
        timed_eval_ns[t] = (now_ns() - start) / TIMED_ROUNDS;
    }
    int64_t start = now_ns();
    for (int i = 0; i < TIMED_ROUNDS; i++)
        frame_capture_top(ucontext, &regs, true);
    timed_capture_ns = (now_ns() - start) / TIMED_ROUNDS;
    atomic_store(&hit_state, 1);
    while (atomic_load(&hit_state) != 2)
        sched_yield();
}

typedef long (*run_fn)(int which);

typedef struct caller {
    run_fn run;
    int which;
    long result;
} caller;

static void *call_fixture(void *arg)
{
    caller *c = arg;
    c->result = c->run(c->which);
    return NULL;
}

static void wait_for_state(int state)
{
    int64_t deadline = now_ns() + WAIT_LIMIT_NS;
    while (atomic_load(&hit_state) != state) {
        cr_assert_lt(now_ns(), deadline, "the breakpoint was not hit");
        sched_yield();
    }
}

/* ---- conditions and their expected truths ---- */

typedef struct cond_case {
    const char *text;
    int truth[2];          /* for request 0 and request 1: 1, 0 or ERROR */
    const char *error;     /* the run-time error's message, for ERROR */
} cond_case;

/* Request 0: id 12, flags 6, amount -5, name "alice", counts {10, 20, 30, 40}, inner {3, "deep"},
 * next -> {id 2}, small 200, level -3, code 300, ratio 0.25; limit 7, user "admin", scaled 21.
 * Request 1: id 7, flags 1, amount 1000, name "bob", counts {1, 2, 3, 4}, inner {0, "flat"},
 * next NULL, small 1, level 5, code 7, ratio 2.5; limit 200, user "root", scaled 600. */
static const cond_case common_cases[] = {
    { "limit == 7", { 1, 0 }, NULL },
    { "limit > 100", { 0, 1 }, NULL },
    { "scaled == 21", { 1, 0 }, NULL },
    { "r->id == 12", { 1, 0 }, NULL },
    { "r->amount < 0", { 1, 0 }, NULL },
    { "r->amount > 1000", { 0, 0 }, NULL },
    { "r->flags & 4", { 1, 0 }, NULL },
    { "r->flags >> 1 == 3", { 1, 0 }, NULL },
    { "~r->flags == -7", { 1, 0 }, NULL },
    { "r->name[0] == 'a'", { 1, 0 }, NULL },
    { "r->counts[2] == 30", { 1, 0 }, NULL },
    { "r->counts[limit % 4] == 40", { 1, 0 }, NULL },
    { "(r->counts + 1)[1] == 30", { 1, 0 }, NULL },
    { "&r->counts[3] - &r->counts[0] == 3", { 1, 1 }, NULL },
    { "r->inner.depth == 3", { 1, 0 }, NULL },
    { "((struct req *)r)->inner.label[1] == 'e'", { 1, 0 }, NULL },
    { "$streq(r->inner.label, \"deep\")", { 1, 0 }, NULL },
    { "$streq(user, \"admin\")", { 1, 0 }, NULL },
    { "$streq(r->name, \"alice\")", { 1, 0 }, NULL },
    { "!$streq(user, \"root\")", { 1, 0 }, NULL },
    { "*user == 'a'", { 1, 0 }, NULL },
    { "r->next && r->next->id == 2", { 1, 0 }, NULL },
    { "r->next == 0", { 0, 1 }, NULL },
    { "(unsigned int)r->amount > 1000", { 1, 0 }, NULL },
    { "-r->amount == 5", { 1, 0 }, NULL },
    { "r->amount * 2 + limit == -3", { 1, 0 }, NULL },
    { "0u - 1 > 0 && limit - 8 < 0", { 1, 0 }, NULL },
    { "(limit << 28) < 0", { 0, 1 }, NULL },
    { "(char)(r->id + 244) == 0", { 1, 0 }, NULL },
    { "limit < 10 ? r->id : 0", { 1, 0 }, NULL },
    { "cond_fixture_global == 42 && limit < 10", { 1, 0 }, NULL },
    { "cond_fixture_global == 1 || r->small == 200", { 1, 0 }, NULL },
    { "r->level == -3", { 1, 0 }, NULL },
    { "r->code == 300", { 1, 0 }, NULL },
    { "r->ratio > 0.5", { 0, 1 }, NULL },
    { "r->ratio * 4 == 1", { 1, 0 }, NULL },
    { "-7 / 2 == -3 && -7 % 2 == -1 && r->id % 5 == 2", { 1, 1 }, NULL },
    { "$rip != 0 && $sp != 0", { 1, 1 }, NULL },
    { "(limit % 4)[r->counts] == 40", { 1, 0 }, NULL },
    { "1[user] == 'd'", { 1, 0 }, NULL },
    { "(limit < 10 ? r->amount : 0) < 0", { 1, 0 }, NULL },
    { "(float)r->ratio == 0.25f + 0", { 1, 0 }, NULL },
    { "(int)r->ratio == 2", { 0, 1 }, NULL },
    { "(_Bool)r->small + (_Bool)0 == 1", { 1, 1 }, NULL },
    { "$streq(\"x\", \"x\") && !$streq(r->name, \"alic\")", { 1, 1 }, NULL },
    { "r->next->id == 2", { 1, ERROR }, "cannot dereference a null pointer" },
    { "$streq(r->name, r->next->name)", { 0, ERROR }, "cannot dereference a null pointer" },
    { "$streq((char *)0, \"x\")", { ERROR, ERROR }, "$streq: argument 1 is a null pointer" },
    { "r->name[limit - 3] == 'e'", { 1, ERROR }, "index is out of bounds" },
    { "limit / (limit - 200) == 0", { 1, ERROR }, "division by zero" },
    { "*(int *)16 == 0", { ERROR, ERROR }, "cannot read memory" },
};

/* Where -O0 and -O2 differ: a register variable has no address. */
static const cond_case o0_cases[] = {
    { "&scaled != 0", { 1, 1 }, NULL },
    { "before == 8", { 1, 0 }, NULL },
};
static const cond_case o2_cases[] = {
    { "&scaled != 0", { ERROR, ERROR }, "cannot take the address of a register" },
};

typedef struct case_list {
    const cond_case *cases;
    size_t n;
} case_list;

/* The truth expr_eval gives on the frame, or ERROR with its message in err. */
static int reference_truth(const value_frame *f, const char *text, char *err, size_t err_len)
{
    expr_node *e = expr_parse(text, err, err_len);
    cr_assert_not_null(e, "'%s' does not parse: %s", text, err);
    value v;
    int status = expr_eval(e, f, &v, err, err_len);
    expr_free(e);
    if (status != 0)
        return ERROR;
    if (value_is_float(&v)) {
        double d;
        cr_assert_eq(value_as_double(f, &v, &d, err, err_len), 0, "'%s': %s", text, err);
        return d != 0;
    }
    uint64_t u;
    cr_assert_eq(value_as_uint(f, &v, &u, err, err_len), 0, "'%s': %s", text, err);
    return u != 0;
}

static void compile_all(sym_index *idx, const case_list *lists, size_t n_lists)
{
    n_programs = 0;
    for (size_t l = 0; l < n_lists; l++) {
        for (size_t i = 0; i < lists[l].n; i++) {
            char err[TEXT_MAX] = "";
            const char *text = lists[l].cases[i].text;
            cr_assert_lt(n_programs, MAX_PROGRAMS);
            programs[n_programs] = cond_compile(idx, site, text, err, sizeof err);
            cr_assert_not_null(programs[n_programs], "'%s' does not compile: %s", text, err);
            cr_assert_gt(cond_length(programs[n_programs]), 0);
            for (int t = 0; t < 2; t++)
                if (strcmp(text, timed_texts[t]) == 0)
                    timed[t] = n_programs;
            n_programs++;
        }
    }
}

/* Checks every record of a hit on request `which` against expectations and expr_eval. */
static void check_records(sym_index *idx, const case_list *lists, size_t n_lists, int which)
{
    dscope_chain chain;
    char reason[TEXT_MAX];
    cr_assert(debuginfo_scope_at(idx, site, false, &chain, reason, sizeof reason), "%s", reason);
    size_t k = 0;
    for (size_t l = 0; l < n_lists; l++) {
        for (size_t i = 0; i < lists[l].n; i++, k++) {
            const cond_case *c = &lists[l].cases[i];
            const hit_record *r = &records[k];
            int got = r->result == COND_ERROR ? ERROR : r->result == COND_TRUE;
            cr_expect_eq(got, c->truth[which], "request %d: '%s' gave %d (%s), expected %d",
                         which, c->text, got, r->error.message ? r->error.message : "",
                         c->truth[which]);
            if (got == ERROR && c->truth[which] == ERROR)
                cr_expect_str_eq(r->error.message, c->error, "request %d: '%s'", which, c->text);
            value_frame f = { .symbols = idx, .pc = site, .regs = &r->regs, .chain = &chain };
            char err[TEXT_MAX] = "";
            int reference = reference_truth(&f, c->text, err, sizeof err);
            cr_expect_eq(got, reference, "request %d: '%s': cond_eval %d, expr_eval %d (%s)",
                         which, c->text, got, reference, err);
        }
    }
}

static void check_conditions(const fixture *f, const case_list *level_cases)
{
    char err[TEXT_MAX] = "";
    sym_index *idx = sym_index_create();
    cr_assert_not_null(idx);
    site = check_site(idx, f);
    const case_list lists[] = { { common_cases, sizeof common_cases / sizeof common_cases[0] },
                                *level_cases };
    compile_all(idx, lists, 2);

    run_fn run = (run_fn)dlsym(f->handle, "cond_fixture_run");
    cr_assert_not_null(run);
    long expected[2] = { run(0), run(1) };
    cr_assert_eq(trap_init(err, sizeof err), 0, "trap_init: %s", err);
    trap_set_hit_handler(on_hit);
    cr_assert_eq(trap_arm(site, err, sizeof err), 0, "trap_arm: %s", err);
    for (int which = 0; which < 2; which++) {
        atomic_store(&hit_state, 0);
        caller c = { .run = run, .which = which };
        pthread_t thread;
        cr_assert_eq(pthread_create(&thread, NULL, call_fixture, &c), 0);
        wait_for_state(1);
        check_records(idx, lists, 2, which);
        atomic_store(&hit_state, 2);
        pthread_join(thread, NULL);
        cr_assert_eq(c.result, expected[which], "the fixture's result changed under conditions");
        printf("cond %s: false conditions take %lld ns ('%s') and %lld ns ('%s') per "
               "cond_eval; frame_capture_top with the CFA %lld ns\n", f->name,
               (long long)timed_eval_ns[0], timed_texts[0], (long long)timed_eval_ns[1],
               timed_texts[1], (long long)timed_capture_ns);
    }
    cr_assert_eq(trap_disarm(site), 0);
    for (size_t i = 0; i < n_programs; i++)
        cond_free(programs[i]);
    sym_index_destroy(idx);
}

Test(cond, conditions_at_O0_agree_with_expectations_and_expr_eval, .init = build_o0,
     .fini = remove_o0)
{
    case_list level = { o0_cases, sizeof o0_cases / sizeof o0_cases[0] };
    check_conditions(&o0, &level);
}

Test(cond, conditions_at_O2_agree_with_expectations_and_expr_eval, .init = build_o2,
     .fini = remove_o2)
{
    case_list level = { o2_cases, sizeof o2_cases / sizeof o2_cases[0] };
    check_conditions(&o2, &level);
}

/* ---- compile errors ---- */

typedef struct error_case {
    const char *text;
    const char *error;
} error_case;

static const error_case compile_errors[] = {
    { "amout == 1", "no variable named 'amout' in scope" },
    { "r->amout > 0", "no member 'amout' in 'struct req'" },
    { "(limit > 1", "expected ')' at column 11" },
    { "*r", "a condition must be a number or a pointer, not 'struct req'" },
    { "r->inner", "a condition must be a number or a pointer, not 'struct inner'" },
    { "r.id == 1", "cannot use '.' on a value of type 'struct req *'" },
    { "(struct nosuch *)r != 0", "unknown type 'struct nosuch'" },
    { "r->counts[4] == 0", "index 4 is out of bounds for 'int [4]'" },
    { "$streq(limit, \"x\")", "$streq: argument 1 is not a string (its type is 'int')" },
    { "$streq(user)", "$streq takes 2 arguments, not 1" },
    { "$nosuch == 1", "unknown builtin '$nosuch'" },
    { "r->ratio % 2", "invalid operands to '%' (a floating-point number and an integer)" },
    { "r - 1.5", "invalid operands to '-' (a pointer and a floating-point number)" },
    { "&r->level != 0", "cannot take the address of a bitfield" },
    { "&5 != 0", "cannot take the address of a computed value" },
    { "$streq(user, \"0123456789012345678901234567890123456789012345678901234567890123\")",
      "string literal is too long (at most 63 characters)" },
};

static void check_compile_errors(const fixture *f)
{
    sym_index *idx = sym_index_create();
    cr_assert_not_null(idx);
    site = check_site(idx, f);
    for (size_t i = 0; i < sizeof compile_errors / sizeof compile_errors[0]; i++) {
        char err[TEXT_MAX] = "";
        cond_program *p = cond_compile(idx, site, compile_errors[i].text, err, sizeof err);
        cr_expect_null(p, "'%s' compiled", compile_errors[i].text);
        cr_expect_str_eq(err, compile_errors[i].error, "'%s'", compile_errors[i].text);
        cond_free(p);
    }
    sym_index_destroy(idx);
}

Test(cond, compile_errors_at_O0_name_the_problem, .init = build_o0, .fini = remove_o0)
{
    check_compile_errors(&o0);
}

Test(cond, compile_errors_at_O2_name_the_problem, .init = build_o2, .fini = remove_o2)
{
    check_compile_errors(&o2);
}

Test(cond, a_variable_without_a_location_at_the_breakpoint_does_not_compile, .init = build_o2,
     .fini = remove_o2)
{
    sym_index *idx = sym_index_create();
    site = check_site(idx, &o2);
    char err[TEXT_MAX] = "";
    cr_assert_null(cond_compile(idx, site, "before == 8", err, sizeof err));
    cr_assert_str_eq(err, "'before' is optimized out at this breakpoint");
    sym_index_destroy(idx);
}

/* The machine runs at most COND_MAX_STEPS instructions; jumps only go forward, so a program
 * that is longer is refused when it is compiled. The parser allows trees 64 deep, so the long
 * condition nests three operators of different precedence: 12 x 12 x 12 ones. */
Test(cond, a_condition_longer_than_the_step_limit_does_not_compile, .init = build_o0,
     .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    site = check_site(idx, &o0);
    static char text[4096];
    size_t len = 0, leaves = 0;
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < 12; j++)
            for (int k = 0; k < 12; k++, leaves++)
                len += (size_t)snprintf(text + len, sizeof text - len, "%s1",
                                        !leaves ? "" : k ? "&" : j ? "^" : "|");
    char err[TEXT_MAX] = "";
    cr_assert_null(cond_compile(idx, site, text, err, sizeof err));
    /* every 1 pushes; every operator computes and truncates to int; then the return */
    char expected[TEXT_MAX];
    snprintf(expected, sizeof expected, "the condition is too long: %zu instructions, at most %d",
             leaves + 2 * (leaves - 1) + 1, COND_MAX_STEPS);
    cr_assert_str_eq(err, expected);
    sym_index_destroy(idx);
}

Test(cond, the_cfa_is_needed_only_for_frame_relative_locations, .init = build_o2,
     .fini = remove_o2)
{
    sym_index *idx = sym_index_create();
    site = check_site(idx, &o2);
    char err[TEXT_MAX] = "";
    cond_program *in_register = cond_compile(idx, site, "limit > 100", err, sizeof err);
    cond_program *global = cond_compile(idx, site, "cond_fixture_global == 42", err, sizeof err);
    cr_assert(in_register && global, "%s", err);
    cr_assert_not(cond_needs_cfa(in_register), "limit is in a register at -O2");
    cr_assert_not(cond_needs_cfa(global));
    cond_free(in_register);
    cond_free(global);
    sym_index_destroy(idx);
}

Test(cond, locals_at_O0_need_the_cfa_of_the_frame_base, .init = build_o0, .fini = remove_o0)
{
    sym_index *idx = sym_index_create();
    site = check_site(idx, &o0);
    char err[TEXT_MAX] = "";
    cond_program *local = cond_compile(idx, site, "limit > 100", err, sizeof err);
    cr_assert_not_null(local, "%s", err);
    cr_assert(cond_needs_cfa(local), "-O0 locals are DW_OP_fbreg of DW_OP_call_frame_cfa");
    cond_free(local);
    sym_index_destroy(idx);
}

Test(cond, evaluation_without_a_program_or_registers_is_an_error)
{
    cond_error error;
    frame_regs regs = { .valid = 0 };
    cr_assert_eq(cond_eval(NULL, &regs, &error), COND_ERROR);
    cr_assert_not_null(error.message);
    char err[TEXT_MAX] = "";
    cr_assert_null(cond_compile(NULL, 0, "1", err, sizeof err));
    cr_assert_str_eq(err, "no symbols to compile the condition against");
}
