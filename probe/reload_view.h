/* The DWARF view of one module for hot reload (reload_compat.h's reload_view): its functions'
 * signatures, its variables with fixed storage and its struct/union/enum definitions, by key. */
#ifndef PODBUG_RELOAD_VIEW_H
#define PODBUG_RELOAD_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "debuginfo.h"
#include "debuginfo_store.h"
#include "reload_compat.h"

/* What every entry of a view starts with: its key, and what tells two entries of one key apart
 * (a key met twice with different identities is ambiguous and left out of the view). */
typedef struct view_key {
    const char *key;
    uint64_t identity;
} view_key;

typedef struct view_function {
    view_key k;               /* the name; "file.c:name" for a static function; identity: the
                               * offset of the DIE that names it (clones share their origin's) */
    const dtype *signature;   /* DT_FUNCTION: return and parameter types */
} view_function;

typedef struct view_variable {
    view_key k;               /* as reload_variable's key; identity: the address */
    const dtype *type;
    uintptr_t address;        /* runtime; 0 for a thread-local */
    uint64_t size;
    bool is_static, thread_local;
} view_variable;

typedef struct view_definition {
    view_key k;               /* "struct request", "union value", "enum color" */
    const dtype *type;        /* the module's first definition of that tag */
} view_definition;

struct reload_view {
    di_arena *arena;          /* owns everything below */
    view_function *functions; /* sorted by key */
    size_t n_functions;
    view_variable *variables; /* sorted by key */
    size_t n_variables;
    view_definition *definitions; /* sorted by key */
    size_t n_definitions;
};

/* NULL when the view has no (unambiguous) entry of that key. */
const view_function *reload_view_function(const reload_view *v, const char *key);
const view_variable *reload_view_variable(const reload_view *v, const char *key);
/* The definition of a struct, union or enum named like t (a declaration's definition elsewhere
 * in the module); NULL when the module has none or t has no tag. */
const dtype *reload_view_definition(const reload_view *v, const dtype *t);

/* "struct request" for a struct, union or enum with a tag; false (out = "") otherwise. */
bool reload_tag_key(const dtype *t, char *out, size_t len);

#endif
