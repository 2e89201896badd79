/* Where a function's body starts according to its line table: the address a function
 * breakpoint uses so that the arguments are in place when it is hit (gdb's rule). */
#ifndef PODBUG_DWARF_PROLOGUE_H
#define PODBUG_DWARF_PROLOGUE_H

#include <stdint.h>
#include "dwarf_lines.h"

/* The function's code range [entry, *end) that starts at entry (link-time): false when no
 * DWARF function range starts there. */
bool dwarf_module_range_from(const dwarf_module *module, uint64_t entry, uint64_t *end);

/* The first address after the prologue of the function whose code range [entry, end) starts at
 * entry: the first is_stmt row with an address above entry and below end, in the sequence that
 * holds entry (gcc emits no prologue_end at -O2, and at -O0 this row is the first line of the
 * body). The entry itself when no such row exists (a function of one instruction, or no line
 * table). */
uint64_t dwarf_module_after_prologue(const dwarf_module *module, uint64_t entry, uint64_t end);

#endif
