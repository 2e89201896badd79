/* The prologue rule of function breakpoints (probe/dwarf_prologue.c) on hand-made line tables:
 * -O0 shapes (entry row, then the body's first line), -O2 shapes and the fallbacks to the entry. */
#include <criterion/criterion.h>
#include "dwarf_prologue.h"

#define ROW(addr, ln, seq, stmt, end) { .address = (addr), .file = "/src/a.c", .line = (ln), \
                                        .sequence = (seq), .is_stmt = (stmt), .end_sequence = (end) }

/* f at [0x1000, 0x1040): entry row line 10, a non-stmt row, the body at 0x1008 line 11. g at
 * [0x1040, 0x1044): one row. h at [0x1050, 0x1060) in another sequence, ending early. */
static dwarf_line_row rows[] = {
    ROW(0x1000, 10, 1, true, false),
    ROW(0x1004, 10, 1, false, false),
    ROW(0x1008, 11, 1, true, false),
    ROW(0x1020, 12, 1, true, false),
    ROW(0x1040, 20, 1, true, false),
    ROW(0x1044, 0, 1, false, true),
    ROW(0x1050, 30, 2, true, false),
    ROW(0x1052, 0, 2, false, true),
    ROW(0x1054, 31, 3, true, false),
    ROW(0x1060, 0, 3, false, true),
};
static dwarf_function functions[] = { { "f", 0x1000 }, { "g", 0x1040 }, { "h", 0x1050 } };
static dwarf_function_range ranges[] = { { 0x1000, 0x1040, 0 }, { 0x1040, 0x1044, 1 }, { 0x1050, 0x1060, 2 } };
static const dwarf_module module = {
    .rows = rows, .row_count = sizeof rows / sizeof rows[0],
    .functions = functions, .function_count = 3,
    .ranges = ranges, .range_count = 3,
};

Test(dwarf_prologue, the_first_statement_row_after_the_entry)
{
    uint64_t end;
    cr_assert(dwarf_module_range_from(&module, 0x1000, &end));
    cr_expect_eq(end, 0x1040);
    cr_expect_eq(dwarf_module_after_prologue(&module, 0x1000, end), 0x1008, "skips the non-stmt row");
}

Test(dwarf_prologue, the_entry_when_the_function_has_one_row)
{
    uint64_t end;
    cr_assert(dwarf_module_range_from(&module, 0x1040, &end));
    cr_expect_eq(dwarf_module_after_prologue(&module, 0x1040, end), 0x1040, "the next row is past its end");
}

Test(dwarf_prologue, never_crosses_into_another_sequence)
{
    uint64_t end;
    cr_assert(dwarf_module_range_from(&module, 0x1050, &end));
    cr_expect_eq(dwarf_module_after_prologue(&module, 0x1050, end), 0x1050);
}

Test(dwarf_prologue, no_range_or_no_rows)
{
    uint64_t end = 0;
    cr_expect_not(dwarf_module_range_from(&module, 0x1008, &end), "not a function's start");
    cr_expect_not(dwarf_module_range_from(&module, 0x2000, &end));
    cr_expect_eq(dwarf_module_after_prologue(&module, 0x3000, 0x3010), 0x3000, "no line table there");
    const dwarf_module empty = { 0 };
    cr_expect_eq(dwarf_module_after_prologue(&empty, 0x1000, 0x1040), 0x1000);
}
