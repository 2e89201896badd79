/* Where a variable's value is, as debuginfo.h hands it out: a DW_AT_location (or frame base)
 * as DWARF expression bytes or a location list with runtime ranges, and DW_AT_const_value. */
#ifndef PODBUG_DWARF_LOCATIONS_H
#define PODBUG_DWARF_LOCATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "debuginfo.h"
#include "debuginfo_store.h"
#include "dwarf_die.h"

typedef struct dwarf_attr_location {
    const uint8_t *expr;      /* a single expression; NULL for a list */
    size_t expr_len;
    const dloc_range *ranges; /* a list: runtime [low, high) each; the default entry (DWARF 5)
                               * comes last as [0, UINT64_MAX) */
    size_t n_ranges;
} dwarf_attr_location;

/* Reads attr (DW_AT_location, DW_AT_frame_base) of die. List entries get bias added; an entry
 * that cannot be represented is left out (no location in its range; why goes to r->problem).
 * Indexes into .debug_addr met in the expressions are resolved now and recorded in addrs
 * (index -> link-time address) for dwarf_addr_lookup. Returns false when the DIE has no such
 * attribute, it cannot be read, or no list entry is left: the variable has no location. */
bool dwarf_location_read(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr,
                         const dwarf_unit_info *unit, uint64_t bias, di_map *addrs,
                         dwarf_attr_location *out);

/* The .debug_addr resolver of dwarf_expr_env: table is a di_map filled by
 * dwarf_location_read. Pure lookup: no libdwarf, no allocation. */
bool dwarf_addr_lookup(void *table, uint64_t index, uint64_t *out);

/* DW_AT_const_value of die as the object's bytes: an integer as `size` little-endian bytes
 * (sign-extended when type_signed), a block as is. False when there is none. */
bool dwarf_const_value_read(dwarf_reader *r, Dwarf_Die die, uint64_t size, bool type_signed,
                            const uint8_t **bytes, size_t *len);

/* Whether a single expression names storage that outlives frames: a fixed address
 * (DW_OP_addr, DW_OP_addrx) or thread-local storage. */
bool dwarf_location_is_static(const uint8_t *expr, size_t len);
/* Whether it names thread-local storage (ends in DW_OP_form_tls_address or its GNU twin). */
bool dwarf_location_is_thread_local(const uint8_t *expr, size_t len);

#endif
