/* Variables and scopes of one compile unit from DWARF: its globals and statics, and at a pc the
 * chain of the function and its inlined calls, with parameters and locals of enclosing blocks. */
#ifndef PODBUG_DWARF_SCOPES_H
#define PODBUG_DWARF_SCOPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "debuginfo.h"
#include "debuginfo_store.h"
#include "dwarf_die.h"
#include "dwarf_types.h"

/* What reading a compile unit needs, kept by the caller for the life of the module. */
typedef struct dwarf_unit {
    Dwarf_Off die_offset;      /* of the unit's DIE */
    dwarf_unit_info info;
    di_map addrs;              /* .debug_addr entries met in its locations (dwarf_locations) */
    bool files_read;
    const char **files;        /* line-table file names, normalised, by number - files_base */
    size_t n_files;
    uint64_t files_base;       /* 0 in DWARF 5, 1 before */
} dwarf_unit;

/* The unit's own variables: globals (DW_AT_external) and file statics, in DIE order. Unnamed
 * variables and declarations of variables defined elsewhere are left out. */
void dwarf_unit_variables(dwarf_reader *r, dwarf_types *types, dwarf_unit *unit, uint64_t bias,
                          dvar **globals, size_t *n_globals, dvar **statics, size_t *n_statics);

/* One variable DIE of the unit (name and type through origin links, location or constant value
 * from the DIE itself). False when it has no name or only declares a variable defined elsewhere. */
bool dwarf_variable_read(dwarf_reader *r, dwarf_types *types, dwarf_unit *unit, uint64_t bias,
                         Dwarf_Die die, dvar_kind kind, dvar *out);

/* The chain at link-time pc: scopes (innermost first), the frame base of the concrete function
 * at pc, and in statics/n_statics the function statics of every function of the chain.
 * Globals, bias and .debug_addr are left for the caller. False when no subprogram of the unit
 * contains pc. */
bool dwarf_scopes_at(dwarf_reader *r, dwarf_types *types, dwarf_unit *unit, uint64_t pc,
                     uint64_t bias, dscope_chain *out);

#endif
