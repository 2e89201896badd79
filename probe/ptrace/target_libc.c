/* Finds modules of another process in its memory map and resolves their symbols to runtime
 * addresses: the file's symbol value plus the bias at which the process mapped it. */
#include "target_libc.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "reload_elf.h"

#define PAGE_MASK_4K (~(uint64_t)0xfff)

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool target_module_find(const process_maps *maps, target_module_match match, const void *wanted,
                        target_module *out)
{
    *out = (target_module){ 0 };
    for (size_t i = 0; i < maps->count; i++) {
        const process_mapping *m = &maps->mappings[i];
        if (!process_mapping_has_file(m) || !match(m->path, wanted))
            continue;
        if (!out->first) {
            out->first = m;
            out->start = m->start;
        } else if (strcmp(m->path, out->first->path) != 0) {
            continue;
        }
        out->end = m->end;
    }
    return out->first != NULL;
}

bool target_module_contains(const target_module *m, uint64_t address)
{
    return m->first && address >= m->start && address < m->end;
}

bool target_module_path_is(const char *path, const void *wanted)
{
    return strcmp(path, (const char *)wanted) == 0;
}

int target_module_symbol(const process_maps *maps, const target_module *m, const char *name, uint64_t *address,
                         char *err, size_t err_len)
{
    char path[PATH_MAX];
    if (!process_mapping_open_path(maps, m->first, path, sizeof path)) {
        snprintf(err, err_len, "the path of %s in process %d is too long", m->first->path, (int)maps->pid);
        return -1;
    }
    reload_elf file;
    if (reload_elf_map(&file, path, err, err_len) != 0)
        return -1;
    uint64_t value, low, high;
    bool found = reload_elf_find_symbol(&file, name, &value);
    reload_elf_span(&file, &low, &high);
    reload_elf_close(&file);
    if (!found) {
        snprintf(err, err_len, "no %s in %s of process %d", name, m->first->path, (int)maps->pid);
        return -1;
    }
    *address = m->start - (low & PAGE_MASK_4K) + value;
    return 0;
}

static bool is_libc(const char *path, const void *unused)
{
    const char *base = base_name(path);
    size_t len = strlen(base);
    return starts_with(base, "libc.so") || starts_with(base, "ld-musl") ||
           (starts_with(base, "libc-") && len > 3 && strcmp(base + len - 3, ".so") == 0);
}

static bool is_loader(const char *path, const void *unused)
{
    const char *base = base_name(path);
    return starts_with(base, "ld-linux") || starts_with(base, "ld-musl") || starts_with(base, "ld-2.");
}

static bool is_libdl(const char *path, const void *unused)
{
    return starts_with(base_name(path), "libdl.so") || starts_with(base_name(path), "libdl-");
}

int target_libc_find(const process_maps *maps, target_libc *out, char *err, size_t err_len)
{
    *out = (target_libc){ 0 };
    if (!target_module_find(maps, is_libc, NULL, &out->libc)) {
        snprintf(err, err_len, "process %d has no C library mapped (a statically linked program?): podbug "
                 "attach needs a dynamically linked one", (int)maps->pid);
        return -1;
    }
    if (!target_module_find(maps, is_loader, NULL, &out->loader))
        out->loader = out->libc;
    const target_module *with_dlopen = &out->libc;
    target_module libdl;
    char libc_err[256];
    if (target_module_symbol(maps, &out->libc, "dlopen", &out->dlopen, libc_err, sizeof libc_err) != 0) {
        if (!target_module_find(maps, is_libdl, NULL, &libdl) ||
            target_module_symbol(maps, &libdl, "dlopen", &out->dlopen, err, err_len) != 0) {
            snprintf(err, err_len, "%s (a glibc before 2.34 keeps it in libdl, which the program has not loaded)",
                     libc_err);
            return -1;
        }
        with_dlopen = &libdl;
    }
    return target_module_symbol(maps, with_dlopen, "dlerror", &out->dlerror, err, err_len);
}
