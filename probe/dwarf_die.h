/* Reading DIEs for the debug-info index: the per-module reader (libdwarf handle, arena, first
 * problem met), attribute readers that handle gcc 12's forms, origin links and address ranges. */
#ifndef PODBUG_DWARF_DIE_H
#define PODBUG_DWARF_DIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dwarf.h>
#include <libdwarf.h>
#include "debuginfo_store.h"

typedef struct dwarf_reader {
    Dwarf_Debug dbg;
    Dwarf_Error err;       /* the pending error of the last failed call */
    di_arena *arena;       /* owns everything built from this module's DWARF */
    char problem[256];     /* the first problem met, "" when none */
} dwarf_reader;

/* What reading a unit's DIEs needs to know about the unit. */
typedef struct dwarf_unit_info {
    Dwarf_Half version;
    Dwarf_Half offset_size;   /* 4 for 32-bit DWARF, 8 for 64-bit */
    uint64_t base_address;    /* DW_AT_low_pc of the unit: base of DWARF 4 range lists */
} dwarf_unit_info;

/* Reads the next compile unit's header into info and the unit's DIE into *cu (NULL when it cannot
 * be read; free with dwarf_dealloc_die), with its DW_AT_low_pc as info->base_address. False after
 * the last unit, or when a header cannot be read (recorded as a problem). */
bool dwarf_next_unit(dwarf_reader *r, dwarf_unit_info *info, Dwarf_Die *cu);

/* Records the first problem (with libdwarf's message when one is pending) and frees the
 * pending Dwarf_Error: every failed libdwarf call is followed by exactly one of these. */
void dwarf_note_problem(dwarf_reader *r, const char *what);
/* True when rc is DW_DLV_OK; DW_DLV_ERROR is recorded as a problem about `what`. */
bool dwarf_call_ok(dwarf_reader *r, int rc, const char *what);

Dwarf_Half die_tag(dwarf_reader *r, Dwarf_Die die);              /* 0 when unreadable */
bool die_offset(dwarf_reader *r, Dwarf_Die die, Dwarf_Off *out); /* .debug_info offset */
Dwarf_Die die_at(dwarf_reader *r, Dwarf_Off offset);             /* NULL when unreadable */
Dwarf_Die die_first_child(dwarf_reader *r, Dwarf_Die die);       /* NULL when none */
/* The next sibling; frees die. NULL at the end. */
Dwarf_Die die_next_sibling(dwarf_reader *r, Dwarf_Die die);

bool die_has(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr);
/* The attribute, NULL when absent or unreadable; free with dwarf_dealloc_attribute. */
Dwarf_Attribute die_attribute(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr);
Dwarf_Half attribute_form(dwarf_reader *r, Dwarf_Attribute a);      /* 0 when unreadable */
bool die_flag(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr); /* false when absent */
/* Constants, including DW_FORM_implicit_const. False when absent or not a constant. */
bool die_unsigned(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr, uint64_t *out);
bool die_signed(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr, int64_t *out);
/* A reference attribute as a .debug_info offset. */
bool die_reference(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr, Dwarf_Off *out);
/* The DIE a reference attribute points to; NULL when absent. Free with dwarf_dealloc_die. */
Dwarf_Die die_referenced(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr);

/* The DIE that carries attr: die itself, else the DIE its DW_AT_abstract_origin or
 * DW_AT_specification links lead to (gcc's concrete copies name neither their name nor their
 * type). NULL when none. Release the result with die_release(result, die). */
Dwarf_Die die_holding(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr);
void die_release(Dwarf_Die held, Dwarf_Die die);
/* DW_AT_name (through origin links), copied into the arena; NULL when none. */
const char *die_name(dwarf_reader *r, Dwarf_Die die);

/* Calls visit for every [low, high) (link-time) of DW_AT_low_pc/DW_AT_high_pc or DW_AT_ranges;
 * visit returns false to stop. Returns whether the DIE has code ranges at all. */
typedef bool (*die_range_visit)(void *ctx, uint64_t low, uint64_t high);
bool die_ranges(dwarf_reader *r, Dwarf_Die die, const dwarf_unit_info *unit,
                die_range_visit visit, void *ctx);
bool die_contains(dwarf_reader *r, Dwarf_Die die, const dwarf_unit_info *unit, uint64_t pc);

#endif
