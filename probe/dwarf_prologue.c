/* The prologue rule of function breakpoints (see dwarf_prologue.h), on the rows and ranges
 * dwarf_lines read: binary searches over address-sorted tables, no allocation. */
#include "dwarf_prologue.h"

#include <stddef.h>

bool dwarf_module_range_from(const dwarf_module *module, uint64_t entry, uint64_t *end)
{
    size_t lo = 0, hi = module->range_count;
    while (lo < hi) { /* first range with low >= entry */
        size_t mid = lo + (hi - lo) / 2;
        if (module->ranges[mid].low < entry)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == module->range_count || module->ranges[lo].low != entry)
        return false;
    *end = module->ranges[lo].high;
    return true;
}

uint64_t dwarf_module_after_prologue(const dwarf_module *module, uint64_t entry, uint64_t end)
{
    const dwarf_line_row *at_entry = dwarf_module_row_at(module, entry);
    if (!at_entry)
        return entry;
    for (size_t i = dwarf_module_first_row_above(module, entry); i < module->row_count; i++) {
        const dwarf_line_row *row = &module->rows[i];
        if (row->address >= end || row->sequence != at_entry->sequence || row->end_sequence)
            break;
        if (row->is_stmt)
            return row->address;
    }
    return entry;
}
