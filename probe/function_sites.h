/* Function breakpoints: where a function, named as in the source (or by its ELF/linkage name),
 * gets its traps in every loaded module, after its prologue. Agent thread only. */
#ifndef PODBUG_FUNCTION_SITES_H
#define PODBUG_FUNCTION_SITES_H

#include <stddef.h>
#include "symbols.h"

/* Every out-of-line copy of the function `name` (DWARF subprograms of that name, ELF function
 * symbols of that name, in every module; static functions of several files each count), each
 * at its first address after the prologue (dwarf_module_after_prologue), or at its entry when
 * the module has no line table for it. Returns the number of locations written (at most max),
 * by address; 0 with err filled when there is none ("no function named 'nope' (searched 5
 * modules)"). Inlined copies of the function are not included. */
size_t sym_resolve_function(sym_index *idx, const char *name, sym_location *out, size_t max,
                            char *err, size_t err_len);

#endif
