/* Writing bytes into live, executable memory of this process: /proc/self/mem (mprotect RWX
 * fallback), followed by a cross-core serialisation; and finding the mapping an address is in. */
#ifndef PODBUG_TEXT_PATCH_H
#define PODBUG_TEXT_PATCH_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* Registers for membarrier SYNC_CORE. Idempotent. On a kernel without it, writes are still
 * made (a single-byte int3 store is safe without serialisation; slots are written before any
 * thread can reach them). */
void text_patch_init(void);

/* Writes len bytes at addr as one store sequence into mapped code, then serialises every core
 * that runs this process. Never leaves the page writable without execute. Agent thread.
 * Returns 0, or -1 with err. */
int text_patch_write(uintptr_t addr, const void *bytes, size_t len, char *err, size_t err_len);

/* The same write without the serialisation, for callers that patch many places in one phase
 * (hot reload: every function entry) and then serialise once with text_patch_sync. Until then
 * another core may still run the old bytes. Agent thread. Returns 0, or -1 with err. */
int text_patch_write_unsynced(uintptr_t addr, const void *bytes, size_t len, char *err,
                              size_t err_len);
/* Serialises every core that runs this process (membarrier SYNC_CORE; nothing without it). */
void text_patch_sync(void);

typedef struct text_mapping {
    uintptr_t start, end;  /* [start, end) */
    char perms[5];         /* "r-xp" */
    char path[PATH_MAX];   /* file name, "[vdso]", or "" for anonymous memory */
} text_mapping;

/* Finds the mapping that contains addr: the loaded segment of a module (dl_iterate_phdr, its
 * ELF permissions; path "" for the executable), else the entry of /proc/self/maps. Returns 0, or
 * -1 if unmapped. */
int text_mapping_find(uintptr_t addr, text_mapping *out);

#endif
