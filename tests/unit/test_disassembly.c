/* The backward-decoding logic of disassemble (probe/disassembly.c): instruction starts before an
 * address, found by decoding forward from a known boundary, and single instructions' text. */
#include <criterion/criterion.h>
#include "disassembly.h"

/* push rbp; mov rbp, rsp; mov eax, 0x2a; nop; pop rbp; ret */
static const uint8_t code[] = { 0x55, 0x48, 0x89, 0xe5, 0xb8, 0x2a, 0x00, 0x00, 0x00, 0x90, 0x5d, 0xc3 };
#define BASE 0x401000u

Test(disassembly, starts_before_an_address_oldest_first)
{
    uint64_t out[8];
    size_t n = disasm_boundaries_before(code, sizeof code, BASE, BASE + 10, out, 8);
    cr_assert_eq(n, 4);
    uint64_t expected[] = { BASE, BASE + 1, BASE + 4, BASE + 9 };
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(out[i], expected[i], "start %zu", i);
}

Test(disassembly, only_the_last_max_starts)
{
    uint64_t out[2];
    size_t n = disasm_boundaries_before(code, sizeof code, BASE, BASE + 11, out, 2);
    cr_assert_eq(n, 2);
    cr_expect_eq(out[0], BASE + 9);
    cr_expect_eq(out[1], BASE + 10);
    uint64_t three[3];
    n = disasm_boundaries_before(code, sizeof code, BASE, BASE + 12, three, 3);
    cr_assert_eq(n, 3);
    cr_expect_eq(three[0], BASE + 9);
    cr_expect_eq(three[1], BASE + 10);
    cr_expect_eq(three[2], BASE + 11);
}

Test(disassembly, nothing_before_the_start)
{
    uint64_t out[4];
    cr_expect_eq(disasm_boundaries_before(code, sizeof code, BASE, BASE, out, 4), 0);
}

Test(disassembly, one_instruction_and_bad_bytes)
{
    char text[128];
    cr_expect_eq(disasm_one(code + 4, sizeof code - 4, BASE + 4, text, sizeof text), 5);
    cr_expect_str_eq(text, "mov eax, 0x2A");
    static const uint8_t bad[] = { 0x0f, 0xff };
    cr_expect_eq(disasm_one(bad, 1, BASE, text, sizeof text), 0);
    cr_expect_str_eq(text, "(bad)");
}
