/* Unit tests for site_safety.c and sym_function_ranges: hand-written functions of this file (ELF
 * symbols only) and a fixture library built at -O0 and -O2 (DWARF ranges, AVX, a switch, .cold). */
#include <criterion/criterion.h>

#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "elf_module.h"
#include "fixture_lib.h"
#include "function_sites.h"
#include "site_safety.h"
#include "trap.h"

/* ---- hand-written functions (no DWARF: their ELF symbols and sizes) --------------------- */

int branch_into(int x);    /* mov (2), add (3): a loop jumps back to +2 */
int indirect_jump(int x);  /* mov (2), add (3), then jmp *%rsi */
int call_middle(int x);    /* call *%rsi (2), add (3) */
int call_last(int x);      /* xor (2), call (5) at +2 */
int short_end(int x);      /* mov (2), ret (1): 3 bytes, then alignment padding */
int short_tight(int x);    /* mov (2), ret (1), and tight_next right after it */
int tight_next(int x);
int short_fall(int x);     /* mov (2), nop (1), then padding: its flow does not end */
int elf_split(int x);      /* test (2), js elf_split.cold; +4: mov, ret */
extern char elf_split_cold[] __asm__("elf_split.cold");
#define FUNCTION(name) ".p2align 4\n.type " #name ",@function\n" #name ":\n"
#define END(name) ".size " #name ", .-" #name "\n"
__asm__(".text\n"
        FUNCTION(branch_into)
        "    movl %edi, %eax\n"
        "1:  addl $1, %eax\n"
        "    cmpl $100, %eax\n"
        "    jl 1b\n"
        "    ret\n"
        END(branch_into)
        FUNCTION(indirect_jump)
        "    movl %edi, %eax\n"
        "    addl $1, %eax\n"
        "    jmp *%rsi\n"
        END(indirect_jump)
        FUNCTION(call_middle)
        "    call *%rsi\n"
        "    addl $1, %eax\n"
        "    ret\n"
        END(call_middle)
        FUNCTION(call_last)
        "    xorl %eax, %eax\n"
        "    call short_end\n"
        "    ret\n"
        END(call_last)
        FUNCTION(short_end)
        "    movl %edi, %eax\n"
        "    ret\n"
        END(short_end)
        FUNCTION(short_tight)
        "    movl %edi, %eax\n"
        "    ret\n"
        END(short_tight)
        ".type tight_next,@function\n"
        "tight_next:\n"
        "    movl %edi, %eax\n"
        "    ret\n"
        END(tight_next)
        FUNCTION(short_fall)
        "    movl %edi, %eax\n"
        "    nop\n"
        END(short_fall)
        FUNCTION(elf_split)
        "    testl %edi, %edi\n"
        "    js elf_split.cold\n"
        "2:  movl %edi, %eax\n"
        "    ret\n"
        END(elf_split)
        ".type elf_split.cold,@function\n"
        "elf_split.cold:\n"
        "    negl %edi\n"
        "    jmp 2b\n"
        ".size elf_split.cold, .-elf_split.cold\n");

static sym_index *symbols;

static void open_index(void)
{
    symbols = sym_index_create();
    cr_assert_not_null(symbols);
}

static void close_index(void)
{
    sym_index_destroy(symbols);
}

/* Checks the site; returns the reason ("" when safe) and fills *out. */
static const char *check(uintptr_t addr, site_range *out)
{
    static char reason[256];
    reason[0] = '\0';
    int rc = site_safety_check(symbols, addr, out, reason, sizeof reason);
    cr_assert_eq(rc, reason[0] ? -1 : 0, "rc %d with reason \"%s\"", rc, reason);
    return reason;
}

static void expect_refused(uintptr_t addr, const char *part1, const char *part2)
{
    site_range r;
    const char *reason = check(addr, &r);
    cr_assert(reason[0], "0x%lx was found safe", (unsigned long)addr);
    cr_assert(strstr(reason, part1) && strstr(reason, part2),
              "reason \"%s\" lacks \"%s\" or \"%s\"", reason, part1, part2);
}

/* Decodes from addr: the instructions covering 5 bytes must be exactly those of r. */
static void expect_replaced_right(uintptr_t addr, const site_range *r)
{
    cr_assert_eq(r->address, addr);
    cr_assert_geq(r->length, SITE_JUMP_SIZE);
    cr_assert_leq(r->n_insns, SITE_MAX_INSNS);
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    size_t covered = 0;
    for (size_t i = 0; i < r->n_insns; i++) {
        cr_assert_lt(covered, SITE_JUMP_SIZE, "instruction %zu is one too many", i);
        ZydisDecodedInstruction insn;
        cr_assert(ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(
            &decoder, NULL, (const void *)(addr + covered), 15, &insn)));
        cr_assert_eq(r->insn_length[i], insn.length, "instruction %zu: %u bytes, not %u", i,
                     r->insn_length[i], insn.length);
        covered += insn.length;
    }
    cr_assert_eq(covered, r->length);
    cr_assert_eq(memcmp(r->original, (const void *)addr, r->length), 0);
}

TestSuite(site_safety, .init = open_index, .fini = close_index);

Test(site_safety, a_call_as_last_instruction_is_accepted)
{
    site_range r;
    const char *reason = check((uintptr_t)call_last, &r);
    cr_assert_eq(reason[0], '\0', "refused: %s", reason);
    cr_assert_eq(r.n_insns, 2);
    cr_assert_eq(r.length, 7);
    expect_replaced_right((uintptr_t)call_last, &r);
}

Test(site_safety, a_branch_into_the_replaced_bytes_is_refused)
{
    expect_refused((uintptr_t)branch_into, "jump at", "(branch_into+0x");
    expect_refused((uintptr_t)branch_into, "targets the replaced bytes", "");
    site_range r;
    const char *reason = check((uintptr_t)branch_into + 2, &r); /* the loop head itself is fine */
    cr_assert_eq(reason[0], '\0', "refused: %s", reason);
}

Test(site_safety, an_indirect_jump_anywhere_is_refused)
{
    expect_refused((uintptr_t)indirect_jump, "'indirect_jump' has an indirect jump at "
                   "indirect_jump+0x5", "its targets are unknown");
}

Test(site_safety, a_call_in_the_middle_is_refused)
{
    expect_refused((uintptr_t)call_middle, "the call at call_middle+0x0",
                   "would return inside the replaced bytes");
}

Test(site_safety, a_short_function_takes_the_padding_after_its_return)
{
    site_range r;
    cr_assert_str_eq(check((uintptr_t)short_end, &r), "");
    cr_assert_eq(r.length, SITE_JUMP_SIZE, "the jump covers the padding");
    cr_assert_eq(r.n_insns, 2, "only the function's mov and ret are relocated");
    cr_assert_eq(r.insn_length[0] + r.insn_length[1], 3);
    cr_assert_eq(memcmp(r.original, (const void *)(uintptr_t)short_end, SITE_JUMP_SIZE), 0);
}

Test(site_safety, a_function_end_too_close_is_refused)
{
    expect_refused((uintptr_t)short_tight, "the function ends 3 bytes after the breakpoint at "
                   "short_tight+0x0", "not padding");
    expect_refused((uintptr_t)short_fall, "the function ends 3 bytes after the breakpoint at "
                   "short_fall+0x0", "not padding");
    expect_refused((uintptr_t)short_end + 1, "not the start of an instruction", "");
}

Test(site_safety, no_symbol_no_site)
{
    static const char data[64] = "";
    expect_refused((uintptr_t)data, "no symbol with a size covers", "");
}

Test(site_safety, elf_only_functions_include_their_cold_part)
{
    sym_range ranges[4];
    for (int from_cold = 0; from_cold < 2; from_cold++) {
        uintptr_t pc = from_cold ? (uintptr_t)elf_split_cold : (uintptr_t)elf_split;
        cr_assert_eq(sym_function_ranges(symbols, pc, ranges, 4), 2);
        cr_assert_eq(ranges[0].low, (uintptr_t)elf_split, "the hot part comes first");
        cr_assert_eq(ranges[1].low, (uintptr_t)elf_split_cold);
        cr_assert_eq(ranges[1].high - ranges[1].low, 4, "negl + jmp rel8");
    }
    /* the cold part jumps back to +4, inside the bytes a jump at the entry replaces */
    expect_refused((uintptr_t)elf_split, "(elf_split.cold+0x2) targets the replaced bytes", "");
}

Test(site_safety, breakpoints_inside_the_range_are_refused_but_not_at_the_site)
{
    char err[256] = "";
    cr_assert_eq(trap_init(err, sizeof err), 0, "trap_init: %s", err);
    uintptr_t site = (uintptr_t)call_last;
    cr_assert_eq(trap_arm(site, err, sizeof err), 0, "%s", err);
    site_range r;
    const char *reason = check(site, &r);
    cr_assert_eq(reason[0], '\0', "refused: %s", reason);
    cr_assert_eq(r.original[0], 0x31, "the site's int3 was read instead of its xor");
    cr_assert_eq(trap_arm(site + 2, err, sizeof err), 0, "%s", err);
    expect_refused(site, "a breakpoint is armed at call_last+0x2, inside the replaced bytes", "");
    cr_assert_eq(trap_disarm(site + 2), 0);
    cr_assert_eq(trap_disarm(site), 0);
}

/* ---- the fixture library at -O0 and -O2 ------------------------------------------------- */

static fixture gcc_o0 = {.name = "o0", .compile = "cc -g -O0"};
static fixture gcc_o2 = {.name = "o2", .compile = "cc -g -O2"};

static void build(fixture *f)
{
    fixture_build(f, "site_safety_fixture.c", "libsites.so");
    open_index();
}

static void remove_fixture(fixture *f)
{
    close_index();
    fixture_remove(f);
}

static void build_o0(void) { build(&gcc_o0); }
static void build_o2(void) { build(&gcc_o2); }
static void remove_o0(void) { remove_fixture(&gcc_o0); }
static void remove_o2(void) { remove_fixture(&gcc_o2); }

static uintptr_t symbol(const fixture *f, const char *name)
{
    void *address = dlsym(f->handle, name);
    cr_assert_not_null(address, "dlsym %s: %s", name, dlerror());
    return (uintptr_t)address;
}

/* The function's breakpoint (after its prologue) and every line start of it is safe. */
static void check_safe_lines(const fixture *f)
{
    sym_location where[4];
    char err[256] = "";
    cr_assert_eq(sym_resolve_function(symbols, "safe_line", where, 4, err, sizeof err), 1, "%s",
                 err);
    site_range r;
    const char *reason = check(where[0].address, &r);
    cr_assert_eq(reason[0], '\0', "safe_line's breakpoint refused: %s", reason);
    expect_replaced_right(where[0].address, &r);
    sym_range range;
    cr_assert_eq(sym_function_ranges(symbols, where[0].address, &range, 1), 1);
    cr_assert_eq(range.low, symbol(f, "safe_line"));
    sym_info info;
    cr_assert(sym_lookup(symbols, where[0].address, false, &info) && info.line > 0);
    sym_location next;
    cr_assert_eq(sym_resolve_line(symbols, info.file, info.line + 1, &next, 1, err, sizeof err),
                 1, "%s", err);
    reason = check(next.address, &r);
    cr_assert_eq(reason[0], '\0', "the next line refused: %s", reason);
    expect_replaced_right(next.address, &r);
}

Test(site_safety_o0, a_straight_line_is_safe, .init = build_o0, .fini = remove_o0)
{
    check_safe_lines(&gcc_o0);
}

Test(site_safety_o2, a_straight_line_is_safe, .init = build_o2, .fini = remove_o2)
{
    check_safe_lines(&gcc_o2);
}

Test(site_safety_o0, an_avx_function_is_refused, .init = build_o0, .fini = remove_o0)
{
    expect_refused(symbol(&gcc_o0, "add_vectors"), "'add_vectors' uses AVX registers",
                   "which the fast path does not save");
}

Test(site_safety_o2, an_avx_function_is_refused, .init = build_o2, .fini = remove_o2)
{
    expect_refused(symbol(&gcc_o2, "add_vectors"), "'add_vectors' uses AVX registers",
                   "which the fast path does not save");
}

Test(site_safety_o0, a_switch_is_refused, .init = build_o0, .fini = remove_o0)
{
    expect_refused(symbol(&gcc_o0, "dispatch"), "'dispatch' has an indirect jump at dispatch+0x",
                   "(a switch table?): its targets are unknown");
}

Test(site_safety_o2, a_switch_is_refused, .init = build_o2, .fini = remove_o2)
{
    expect_refused(symbol(&gcc_o2, "dispatch"), "'dispatch' has an indirect jump at dispatch+0x",
                   "(a switch table?): its targets are unknown");
}

/* The instruction starts of [range.low, range.high). */
static size_t instruction_starts(sym_range range, uintptr_t *out, size_t max)
{
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    size_t n = 0;
    for (uintptr_t at = range.low; at < range.high && n < max; n++) {
        ZydisDecodedInstruction insn;
        cr_assert(ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, NULL, (const void *)at,
                                                             range.high - at, &insn)));
        out[n] = at;
        at += insn.length;
    }
    return n;
}

Test(site_safety_o2, a_branch_from_the_cold_part_into_the_range_is_refused, .init = build_o2,
     .fini = remove_o2)
{
    elf_symbols elf;
    char err[256] = "";
    cr_assert_eq(elf_symbols_load(gcc_o2.library, &elf, err, sizeof err), 0, "%s", err);
    bool has_cold = false;
    for (size_t i = 0; i < elf.count; i++)
        has_cold |= strcmp(elf.symbols[i].name, "split.cold") == 0;
    elf_symbols_free(&elf);
    cr_assert(has_cold, "premise: gcc -O2 split off split.cold");

    uintptr_t entry = symbol(&gcc_o2, "split");
    sym_range ranges[4];
    cr_assert_eq(sym_function_ranges(symbols, entry, ranges, 4), 2, "DWARF covers both parts");
    sym_range cold = ranges[0].low <= entry && entry < ranges[0].high ? ranges[1] : ranges[0];
    sym_range hot = ranges[0].low <= entry && entry < ranges[0].high ? ranges[0] : ranges[1];

    /* every site whose replaced bytes hold the cold part's jump target inside is refused, by
     * naming that jump; at least one such site exists */
    uintptr_t starts[256];
    size_t n = instruction_starts(hot, starts, 256);
    size_t refused_for_cold = 0;
    for (size_t i = 0; i < n; i++) {
        site_range r;
        const char *reason = check(starts[i], &r);
        uintptr_t from;
        const char *at = strstr(reason, "jump at 0x");
        if (at && sscanf(at, "jump at 0x%" SCNxPTR, &from) == 1 && from >= cold.low &&
            from < cold.high) {
            cr_assert(strstr(reason, "targets the replaced bytes"), "%s", reason);
            refused_for_cold++;
        }
    }
    cr_assert_gt(refused_for_cold, 0, "no site was refused for the cold part's jump back");
}
