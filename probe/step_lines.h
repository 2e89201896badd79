/* Line-table facts a step needs about one pc: its line, whether an is_stmt row starts there, and
 * the address range around it in which no is_stmt row of another line starts. Agent thread. */
#ifndef PODBUG_STEP_LINES_H
#define PODBUG_STEP_LINES_H

#include <stdbool.h>
#include <stdint.h>
#include "dwarf_lines.h"
#include "symbols.h"

typedef struct step_line {
    bool known;          /* a row with a file and a line covers pc */
    const char *file;
    int line;
    bool at_stmt_start;  /* an is_stmt row starts exactly at pc */
    bool shared_start;   /* is_stmt rows of several lines start at pc (code with no prologue) */
    uint64_t low, high;  /* [low, high) holds pc; no is_stmt row of another line starts inside */
} step_line;

/* In one module's line table (link-time addresses). Without a row: known false, low == high. */
void step_line_in_module(const dwarf_module *module, uint64_t pc, step_line *out);

/* For a runtime pc (runtime addresses in out); a module without DWARF gives known false. */
void step_line_at(sym_index *symbols, uintptr_t pc, step_line *out);

#endif
