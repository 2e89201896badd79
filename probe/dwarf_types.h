/* The dtype graph of debuginfo.h: built from a module's type DIEs (cached by DIE offset, cycles
 * through pointers allowed), synthesised base and pointer types, and C spelling of names. */
#ifndef PODBUG_DWARF_TYPES_H
#define PODBUG_DWARF_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include "debuginfo.h"
#include "debuginfo_store.h"
#include "dwarf_die.h"

typedef struct dwarf_types {
    di_map by_offset;  /* DIE offset -> dtype */
    di_map pointers;   /* address of the target dtype (0: void) -> its pointer type */
    di_vec building;   /* nodes made by the current dwarf_type_at, for sizes derived late */
    int depth;
} dwarf_types;

/* The type the DIE at offset describes (a function's DIE: its DT_FUNCTION signature). Never
 * NULL: a type that cannot be read gives a placeholder base type named "<unknown type>" (and the
 * reason is in r->problem). */
const dtype *dwarf_type_at(dwarf_reader *r, dwarf_types *types, Dwarf_Off offset);
/* The DW_AT_type of a variable, member or function DIE (through origin links); NULL = void. */
const dtype *dwarf_type_of(dwarf_reader *r, dwarf_types *types, Dwarf_Die die);
/* The pointer type to target (NULL = void), made once in arena. NULL when out of memory. */
const dtype *dwarf_pointer_type(di_arena *arena, dwarf_types *types, const dtype *target);
void dwarf_types_free(dwarf_types *types);

/* The canonical spelling of a C base type ("long unsigned int", "unsigned long int" ->
 * "unsigned long"; "signed" -> "int"). False when name is not a base type spelling. */
bool dtype_base_name(const char *name, char *out, size_t len);
/* A base type made without DWARF, by C name in any spelling; NULL for other names. */
const dtype *dtype_builtin(const char *name);

#endif
