/* Modules of another process found in its memory map (libc, the dynamic loader, any library by
 * path) and the runtime addresses of their symbols, read from their files as we can open them. */
#ifndef PODBUG_TARGET_LIBC_H
#define PODBUG_TARGET_LIBC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "process_maps.h"

/* One module of the process: every mapping of one file. */
typedef struct target_module {
    const process_mapping *first; /* its lowest mapping (in the maps it was found in) */
    uintptr_t start, end;         /* from its lowest mapping's start to its highest one's end */
} target_module;

/* Whether path (a mapped file as the process sees it) is the module wanted. */
typedef bool (*target_module_match)(const char *path, const void *wanted);

/* The first module of maps whose path satisfies match; false when none does. */
bool target_module_find(const process_maps *maps, target_module_match match, const void *wanted,
                        target_module *out);
bool target_module_contains(const target_module *m, uint64_t address);

/* The runtime address of the symbol called name in module m (.dynsym or .symtab of its file).
 * Returns 0, or -1 with err ("no dlopen in /usr/lib/x86_64-linux-gnu/libc.so.6 of process 4242"). */
int target_module_symbol(const process_maps *maps, const target_module *m, const char *name, uint64_t *address,
                         char *err, size_t err_len);

/* Matches for target_module_find: a path equal to wanted (a string). */
bool target_module_path_is(const char *path, const void *wanted);

/* What an injector needs of the process's C library. */
typedef struct target_libc {
    target_module libc;
    target_module loader;  /* ld.so; libc itself when one file is both (musl) */
    uint64_t dlopen;       /* dlopen(path, mode) and dlerror() as the process would call them */
    uint64_t dlerror;
} target_libc;

/* Finds libc, the loader, dlopen and dlerror (in libc, or in libdl for a glibc before 2.34).
 * Returns 0, or -1 with err: "process 4242 has no C library mapped (a statically linked
 * program?)", "no dlopen in ... of process 4242". */
int target_libc_find(const process_maps *maps, target_libc *out, char *err, size_t err_len);

#endif
