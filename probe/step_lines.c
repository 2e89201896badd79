/* Line rows around a pc for stepping (see step_lines.h): the row that covers it, and the rows
 * before and after it that a line step may cross without stopping (same line, or not is_stmt). */
#include "step_lines.h"

#include <string.h>

static bool same_line(const dwarf_line_row *a, const char *file, int line)
{
    return a->file && file && (int)a->line == line && (a->file == file || strcmp(a->file, file) == 0);
}

/* True when a step may run over the start of row r without stopping. */
static bool crossable(const dwarf_line_row *r, uint32_t sequence, const char *file, int line)
{
    return !r->end_sequence && r->sequence == sequence && (!r->is_stmt || same_line(r, file, line));
}

void step_line_in_module(const dwarf_module *module, uint64_t pc, step_line *out)
{
    *out = (step_line){ .low = pc, .high = pc };
    const dwarf_line_row *row = dwarf_module_row_at(module, pc);
    if (!row || !row->file || row->line == 0)
        return;
    size_t k = (size_t)(row - module->rows);
    out->known = true;
    out->file = row->file;
    out->line = (int)row->line;
    for (size_t j = k + 1; j-- > 0 && module->rows[j].address == pc;) {
        const dwarf_line_row *r = &module->rows[j];
        if (!r->is_stmt || r->end_sequence)
            continue;
        out->at_stmt_start = true;
        out->shared_start |= !same_line(r, out->file, out->line);
    }
    size_t first = k;
    while (first > 0 && crossable(&module->rows[first - 1], row->sequence, row->file, out->line))
        first--;
    size_t last = k + 1;
    while (last < module->row_count && crossable(&module->rows[last], row->sequence, row->file, out->line))
        last++;
    out->low = module->rows[first].address;
    out->high = last < module->row_count ? module->rows[last].address : pc + 1;
}

void step_line_at(sym_index *symbols, uintptr_t pc, step_line *out)
{
    *out = (step_line){ .low = pc, .high = pc };
    sym_module_info here, info;
    if (!sym_module_at(symbols, pc, &here))
        return;
    for (size_t i = 0; sym_module_get(symbols, i, &info); i++) {
        const dwarf_module *dwarf;
        const struct elf_symbols *elf;
        if (info.path != here.path || !sym_module_tables(symbols, i, &info, &dwarf, &elf))
            continue;
        step_line_in_module(dwarf, pc - info.bias, out);
        if (out->known) {
            out->low += info.bias;
            out->high += info.bias;
        } else {
            out->low = out->high = pc;
        }
        return;
    }
}
