/* Unit tests for cfa_rule.c: the CFA rule at function entries and at call sites inside fixture
 * functions built at -O0 and -O2, checked against the CFA libunwind finds there (the caller's sp);
 * expressions, addresses without call-frame information and registers not known in a frame. */
#include <criterion/criterion.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "cfa_rule.h"
#include "fixture_lib.h"

typedef int (*cfa_probe)(int);
typedef int (*fixture_fn)(cfa_probe probe, int n);

static fixture gcc_o0 = { .name = "cfa-o0", .compile = "cc -g -O0" };
static fixture gcc_o2 = { .name = "cfa-o2", .compile = "cc -g -O2" };
static fixture gcc_eh = { .name = "cfa-eh", .compile = "cc -g -O2 -fexceptions" };

/* What the probe saw of the fixture function's frame (the frame above its own). */
static struct {
    uintptr_t ip;          /* the return address into the fixture function */
    frame_regs regs;       /* its rsp and rbp */
    uint64_t caller_sp;    /* its CFA, as libunwind unwinds it */
} seen;

static int __attribute__((noinline)) unwind_probe(int n)
{
    unw_context_t context;
    unw_cursor_t cursor;
    unw_word_t ip, sp, bp, caller_sp;
    cr_assert_eq(unw_getcontext(&context), 0);
    cr_assert_eq(unw_init_local(&cursor, &context), 0);
    cr_assert_gt(unw_step(&cursor), 0);
    cr_assert_eq(unw_get_reg(&cursor, UNW_REG_IP, &ip), 0);
    cr_assert_eq(unw_get_reg(&cursor, UNW_X86_64_RSP, &sp), 0);
    cr_assert_eq(unw_get_reg(&cursor, UNW_X86_64_RBP, &bp), 0);
    cr_assert_gt(unw_step(&cursor), 0);
    cr_assert_eq(unw_get_reg(&cursor, UNW_REG_SP, &caller_sp), 0);
    seen.ip = ip;
    seen.regs = (frame_regs){ .valid = 1u << DWREG_RSP | 1u << DWREG_RBP };
    seen.regs.reg[DWREG_RSP] = sp;
    seen.regs.reg[DWREG_RBP] = bp;
    seen.caller_sp = caller_sp;
    return n;
}

static fixture_fn fixture_function(fixture *f, const char *name)
{
    fixture_fn fn = (fixture_fn)dlsym(f->handle, name);
    cr_assert_not_null(fn, "%s", name);
    return fn;
}

static void rule_at(sym_index *symbols, uintptr_t pc, cfa_rule *rule)
{
    char err[256] = "";
    cr_assert_eq(cfa_rule_at(symbols, pc, rule, err, sizeof err), 0, "0x%lx: %s", (unsigned long)pc, err);
}

/* Calls the fixture's cfa_fixture_work through the probe; checks the rule at the call against
 * libunwind's CFA and the expected register + offset. */
static void check_call_site(fixture *f, int regno, int64_t offset)
{
    fixture_build(f, "cfa_fixture.c", "libcfa.so");
    sym_index *symbols = sym_index_create();
    cr_assert_not_null(symbols);
    fixture_fn work = fixture_function(f, "cfa_fixture_work");
    cfa_rule rule;
    rule_at(symbols, (uintptr_t)work, &rule);
    cr_assert(rule.regno == DWREG_RSP && rule.offset == 8, "at the entry: reg %d + %lld", rule.regno,
              (long long)rule.offset);
    cr_assert_eq(work(unwind_probe, 5), 20);
    rule_at(symbols, seen.ip - 1, &rule); /* the call instruction, as an unwinder looks it up */
    cr_assert(rule.regno == regno && rule.offset == offset, "at the call: reg %d + %lld", rule.regno,
              (long long)rule.offset);
    frame_regs regs = seen.regs;
    cr_assert(cfa_rule_apply(&rule, &regs));
    cr_assert_eq(regs.cfa, seen.caller_sp, "rule 0x%lx, libunwind 0x%lx", (unsigned long)regs.cfa,
                 (unsigned long)seen.caller_sp);
    cfa_rule second;
    rule_at(symbols, seen.ip - 1, &second); /* from the module's cache */
    cr_assert(second.regno == rule.regno && second.offset == rule.offset);
    sym_index_destroy(symbols);
    fixture_remove(f);
}

Test(cfa_rule, o0_frame_pointer_after_the_prologue)
{
    check_call_site(&gcc_o0, DWREG_RBP, 16);
}

Test(cfa_rule, o2_stack_pointer_after_a_push)
{
    check_call_site(&gcc_o2, DWREG_RSP, 16);
}

Test(cfa_rule, an_expression_cfa_is_refused)
{
    fixture_build(&gcc_o0, "cfa_fixture.c", "libcfa.so");
    sym_index *symbols = sym_index_create();
    fixture_fn realigned = fixture_function(&gcc_o0, "cfa_fixture_realigned");
    cr_assert_eq(realigned(unwind_probe, 3), 7);
    cfa_rule rule;
    char err[256] = "", expected[64];
    cr_assert_eq(cfa_rule_at(symbols, seen.ip - 1, &rule, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "the CFA at 0x%lx is a DWARF expression", (unsigned long)(seen.ip - 1));
    cr_assert_str_eq(err, expected);
    sym_index_destroy(symbols);
    fixture_remove(&gcc_o0);
}

Test(cfa_rule, addresses_without_call_frame_information)
{
    fixture_build(&gcc_o2, "cfa_fixture.c", "libcfa.so");
    sym_index *symbols = sym_index_create();
    uintptr_t data = (uintptr_t)dlsym(gcc_o2.handle, "cfa_fixture_data");
    cr_assert_neq(data, 0);
    cfa_rule rule;
    char err[256] = "";
    cr_assert_eq(cfa_rule_at(symbols, data, &rule, err, sizeof err), -1);
    cr_assert(strstr(err, "no call-frame information covers") && strstr(err, "libcfa.so"), "%s", err);
    cr_assert_eq(cfa_rule_at(symbols, 0x10, &rule, err, sizeof err), -1);
    cr_assert_str_eq(err, "no loaded module contains 0x10");
    sym_index_destroy(symbols);
    fixture_remove(&gcc_o2);
}

/* Whether cfa_fixture_cleanup, built by f, has a landing pad (cfa_fixture_work never has). */
static bool cleanup_has_landing_pads(fixture *f)
{
    fixture_build(f, "cfa_fixture.c", "libcfa.so");
    sym_index *symbols = sym_index_create();
    bool has = cfa_rule_has_landing_pads(symbols, (uintptr_t)fixture_function(f, "cfa_fixture_cleanup"));
    cr_assert_eq(cfa_rule_has_landing_pads(symbols, (uintptr_t)fixture_function(f, "cfa_fixture_work")), false);
    sym_index_destroy(symbols);
    fixture_remove(f);
    return has;
}

Test(cfa_rule, a_cleanup_built_with_exceptions_has_a_landing_pad)
{
    cr_assert(cleanup_has_landing_pads(&gcc_eh));
}

Test(cfa_rule, a_cleanup_built_without_exceptions_has_none)
{
    cr_assert_not(cleanup_has_landing_pads(&gcc_o2));
}

Test(cfa_rule, the_test_programs_own_code)
{
    sym_index *symbols = sym_index_create();
    cfa_rule rule;
    rule_at(symbols, (uintptr_t)unwind_probe, &rule);
    cr_assert(rule.regno == DWREG_RSP && rule.offset == 8);
    sym_index_destroy(symbols);
}

Test(cfa_rule, apply_needs_the_rules_register)
{
    frame_regs regs = { .valid = 1u << DWREG_RSP };
    regs.reg[DWREG_RSP] = 0x7000;
    cfa_rule by_rbp = { .regno = DWREG_RBP, .offset = 16 };
    cr_assert_not(cfa_rule_apply(&by_rbp, &regs));
    cr_assert_eq(regs.cfa, 0);
    cfa_rule by_rsp = { .regno = DWREG_RSP, .offset = 24 };
    cr_assert(cfa_rule_apply(&by_rsp, &regs));
    cr_assert_eq(regs.cfa, 0x7018);
}

Test(cfa_rule, a_module_without_debug_information_has_its_eh_frame)
{
    /* libc is stripped of DWARF; its .eh_frame is in the loaded file */
    uintptr_t getpid_address = (uintptr_t)dlsym(RTLD_DEFAULT, "getpid");
    cr_assert_neq(getpid_address, 0);
    sym_index *symbols = sym_index_create();
    cfa_rule rule;
    rule_at(symbols, getpid_address, &rule);
    cr_assert(rule.regno == DWREG_RSP && rule.offset == 8, "reg %d + %lld", rule.regno, (long long)rule.offset);
    sym_index_destroy(symbols);
}
