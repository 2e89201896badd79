/* Resolving function breakpoints (see function_sites.h): a search by name over each module's
 * DWARF functions and ELF symbols, then the prologue rule of dwarf_prologue.c. */
#include "function_sites.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dwarf_lines.h"
#include "dwarf_prologue.h"
#include "elf_module.h"

typedef struct site_list {
    sym_location *items;
    size_t count, max;
    size_t found; /* entries found, including those past max */
} site_list;

static bool already_listed(const site_list *sites, uintptr_t entry_runtime, const uintptr_t *entries)
{
    for (size_t i = 0; i < sites->count; i++)
        if (entries[i] == entry_runtime)
            return true;
    return false;
}

/* Adds the breakpoint site of the function entered at link-time entry in module (info, dwarf). */
static void add_site(site_list *sites, uintptr_t *entries, const sym_module_info *info,
                     const dwarf_module *dwarf, uint64_t entry, const char *name)
{
    uintptr_t entry_runtime = info->bias + entry;
    if (already_listed(sites, entry_runtime, entries))
        return;
    sites->found++;
    if (sites->count == sites->max)
        return;
    uint64_t end, address = entry;
    if (dwarf_module_range_from(dwarf, entry, &end))
        address = dwarf_module_after_prologue(dwarf, entry, end);
    const dwarf_line_row *row = dwarf_module_row_at(dwarf, address);
    entries[sites->count] = entry_runtime;
    sites->items[sites->count++] = (sym_location){
        .address = info->bias + address,
        .function = name,
        .file = row ? row->file : NULL,
        .line = row && row->file ? (int)row->line : 0,
    };
}

static int by_address(const void *a, const void *b)
{
    const sym_location *x = a, *y = b;
    return (x->address > y->address) - (x->address < y->address);
}

size_t sym_resolve_function(sym_index *idx, const char *name, sym_location *out, size_t max,
                            char *err, size_t err_len)
{
    uintptr_t *entries = calloc(max ? max : 1, sizeof *entries);
    if (!entries) {
        snprintf(err, err_len, "out of memory");
        return 0;
    }
    site_list sites = { out, 0, max, 0 };
    sym_module_info info;
    const dwarf_module *dwarf;
    const elf_symbols *elf;
    size_t modules = 0;
    for (size_t m = 0; sym_module_tables(idx, m, &info, &dwarf, &elf); m++, modules++) {
        for (size_t f = 0; f < dwarf->function_count; f++)
            if (dwarf->functions[f].name && strcmp(dwarf->functions[f].name, name) == 0)
                add_site(&sites, entries, &info, dwarf, dwarf->functions[f].entry, dwarf->functions[f].name);
        for (size_t s = 0; s < elf->count; s++)
            if (strcmp(elf->symbols[s].name, name) == 0)
                add_site(&sites, entries, &info, dwarf, elf->symbols[s].address, elf->symbols[s].name);
    }
    free(entries);
    if (sites.count == 0)
        snprintf(err, err_len, "no function named '%s' (searched %zu module%s)", name, modules,
                 modules == 1 ? "" : "s");
    qsort(out, sites.count, sizeof *out, by_address);
    return sites.count;
}
