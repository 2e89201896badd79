/* What a hot reload must keep: the DWARF view of a module (functions' signatures, struct and union
 * layouts, variables with fixed addresses) and the comparison of a running module with its rebuild. */
#ifndef PODBUG_RELOAD_COMPAT_H
#define PODBUG_RELOAD_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct reload_view reload_view;

/* Reads the DWARF of the ELF file at path (a module loaded at bias: runtime = link-time + bias).
 * NULL with err when the file has no DWARF ("libhandlers.so has no debug information: build it
 * with -g") or cannot be read. Agent thread (libdwarf). */
reload_view *reload_view_read(const char *path, uintptr_t bias, char *err, size_t err_len);
void reload_view_free(reload_view *v);

/* A variable with a fixed address in both modules, matched by key: "name" for a global,
 * "file.c:name" for a file static, "file.c:function:name" for a function's static (file is the
 * unit's file name without directories). */
typedef struct reload_variable {
    const char *key;
    uintptr_t old_address, new_address; /* runtime */
    uint64_t size;
    bool is_static;          /* file or function static (no external linkage) */
    bool thread_local;       /* DW_OP_form_tls_address / GNU_push_tls_address: cannot be carried */
} reload_variable;

typedef struct reload_comparison {
    bool compatible;
    char reason[1024];       /* when not: every incompatibility, "; "-separated, most important
                              * first: "struct request changed layout: size 8 -> 16; member id: int
                              * at 0 -> long at 0; member extra added at 12" */
    reload_variable *variables; /* variables present in both (malloc'ed) */
    size_t n_variables;
} reload_comparison;

/* Compares the running module's view with the new library's: struct/union types (by tag, those
 * reachable from the signatures and variables compared, through pointers, arrays, typedefs and
 * members) must have the same size and members (name, offset, type); functions present in both
 * (by name) the same return and parameter types; variables present in both the same type.
 * Functions and variables only in one side are allowed. Fills out; free with
 * reload_comparison_free. Returns 0, or -1 when out of memory. */
int reload_compare(const reload_view *running, const reload_view *rebuilt, reload_comparison *out);
void reload_comparison_free(reload_comparison *c);

#endif
