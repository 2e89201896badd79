/* Binding a freshly loaded library to the running module's state before any of its code can run:
 * GOT slots and data pointers, RIP-relative references of its code, or the library's own hook. */
#ifndef PODBUG_RELOAD_RELINK_H
#define PODBUG_RELOAD_RELINK_H

#include <stddef.h>
#include <stdint.h>
#include "elf_module.h"
#include "reload_compat.h"
#include "reload_elf.h"

/* A variable of the new library whose storage [from, from + size) is not used: its code and data
 * refer to `to` instead (the running module's storage of that variable). */
typedef struct reload_binding {
    uintptr_t from;
    uint64_t size;
    uintptr_t to;
} reload_binding;

/* The hook (probe/include/podbug_reload.h) and what it is given. */
typedef void *(*reload_symbol_fn)(const char *name);
typedef int (*reload_state_hook)(reload_symbol_fn old_symbol);

typedef struct reload_relink_request {
    const reload_elf *elf;              /* the new library's file */
    uintptr_t bias;                     /* where it is loaded */
    const elf_symbols *functions;       /* its function symbols (link-time addresses) */
    const reload_variable *variables;   /* present in both; old_address: the storage the running
                                         * code uses now */
    size_t n_variables;
    reload_state_hook hook;             /* the library's podbug_reload_state, or NULL */
    reload_symbol_fn old_symbol;        /* what the hook is given */
} reload_relink_request;

typedef struct reload_relink_result {
    reload_binding *bindings;           /* the variables carried */
    size_t n_bindings;
    char **warnings;                    /* "thread-local variable 'x' starts fresh in the new code" */
    size_t n_warnings;
} reload_relink_result;

/* Binds the new library (its code not yet reachable) to the running storage:
 * - every variable present in both except thread-local ones (with a hook: the non-static ones)
 *   is carried: GLOB_DAT / 64 relocations that resolved to the library's own definition, RELATIVE
 *   data pointers into it and RIP-relative operands of its functions' instructions are rewritten
 *   to the running storage (same offset);
 * - with a hook, it is called last, once; nonzero refuses ("refused: the library's
 *   podbug_reload_state returned 3").
 * Returns 0, or -1 with err (a reference out of rel32 reach, undecodable code, a write that
 * failed, the hook's refusal); the library must then be unloaded. Agent thread. */
int reload_relink(const reload_relink_request *req, reload_relink_result *out, char *err, size_t err_len);
void reload_relink_result_free(reload_relink_result *r);

#endif
