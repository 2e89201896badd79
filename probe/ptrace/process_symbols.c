/* The symbol index of another process (see process_symbols.h): a scan of /proc/N/maps that finds
 * each ELF module by its mapping at file offset 0 and reads its program headers from the file. */
#include "process_symbols.h"

#include "elf_module.h"
#include "process_maps.h"

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUILD_ID_HEX_MAX 129      /* 64 bytes of note, in hex, and the terminator */
#define MAX_PROGRAM_HEADERS 256   /* more is not an executable or library we can describe */
#define MAX_NOTES_SIZE (64 * 1024)

typedef struct elf_file {
    int fd;
    Elf64_Phdr headers[MAX_PROGRAM_HEADERS];
    size_t count;
} elf_file;

static bool read_exactly(int fd, void *buf, size_t len, off_t at)
{
    return pread(fd, buf, len, at) == (ssize_t)len;
}

/* Opens path and reads its program headers; false when it is not a 64-bit little-endian ELF
 * executable or library (a data file mapped at offset 0, say). */
static bool open_elf(const char *path, elf_file *out)
{
    out->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (out->fd < 0)
        return false;
    Elf64_Ehdr eh;
    bool ok = read_exactly(out->fd, &eh, sizeof eh, 0) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
              eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_ident[EI_DATA] == ELFDATA2LSB &&
              (eh.e_type == ET_EXEC || eh.e_type == ET_DYN) && eh.e_phentsize == sizeof(Elf64_Phdr) &&
              eh.e_phnum > 0 && eh.e_phnum <= MAX_PROGRAM_HEADERS &&
              read_exactly(out->fd, out->headers, eh.e_phnum * sizeof(Elf64_Phdr), (off_t)eh.e_phoff);
    out->count = ok ? eh.e_phnum : 0;
    if (!ok) {
        close(out->fd);
        out->fd = -1;
    }
    return ok;
}

static void read_build_id(const elf_file *elf, char hex[BUILD_ID_HEX_MAX])
{
    hex[0] = '\0';
    for (size_t i = 0; i < elf->count && !hex[0]; i++) {
        const Elf64_Phdr *ph = &elf->headers[i];
        if (ph->p_type != PT_NOTE || ph->p_filesz == 0 || ph->p_filesz > MAX_NOTES_SIZE)
            continue;
        void *notes = malloc(ph->p_filesz);
        if (notes && read_exactly(elf->fd, notes, ph->p_filesz, (off_t)ph->p_offset))
            elf_notes_build_id(notes, ph->p_filesz, ph->p_align, hex, BUILD_ID_HEX_MAX);
        free(notes);
    }
}

/* The runtime segments of a module whose first loaded segment is mapped at map_start: each
 * PT_LOAD at bias + p_vaddr. Returns the count; *bias is set. */
static size_t place_segments(const elf_file *elf, uintptr_t map_start, uintptr_t *bias,
                             sym_segment *segments)
{
    uintptr_t page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
    size_t count = 0;
    for (size_t i = 0; i < elf->count; i++) {
        const Elf64_Phdr *ph = &elf->headers[i];
        if (ph->p_type != PT_LOAD)
            continue;
        if (count == 0)
            *bias = map_start - ((uintptr_t)ph->p_vaddr & page_mask);
        segments[count++] = (sym_segment){ *bias + ph->p_vaddr, *bias + ph->p_vaddr + ph->p_memsz };
    }
    return count;
}

/* The executable's path as the process sees it; "" when it cannot be read. */
static void executable_of(pid_t pid, char *exe, size_t len)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, exe, len - 1);
    exe[n > 0 ? n : 0] = '\0';
    size_t suffix = strlen(" (deleted)"), have = strlen(exe);
    if (have > suffix && strcmp(exe + have - suffix, " (deleted)") == 0)
        exe[have - suffix] = '\0';
}

/* Adds the module mapped at m (file offset 0) when its file is an ELF module; false only when
 * out of memory. */
static bool add_mapped_module(sym_index *idx, const process_maps *maps, const process_mapping *m,
                              const char *exe)
{
    char path[PATH_MAX];
    elf_file elf;
    if (!process_mapping_open_path(maps, m, path, sizeof path) || !open_elf(path, &elf))
        return true;
    sym_segment segments[MAX_PROGRAM_HEADERS];
    uintptr_t bias = 0;
    size_t segment_count = place_segments(&elf, m->start, &bias, segments);
    char build_id[BUILD_ID_HEX_MAX];
    read_build_id(&elf, build_id);
    close(elf.fd);
    if (segment_count == 0)
        return true;
    sym_module_spec spec = { .path = path, .is_main = strcmp(m->path, exe) == 0, .bias = bias,
                             .segments = segments, .segment_count = segment_count,
                             .build_id = build_id };
    return sym_index_add_module(idx, &spec);
}

static int scan_process(sym_index *idx, pid_t pid, char *err, size_t err_len)
{
    process_maps maps;
    if (process_maps_read(pid, &maps, err, err_len) != 0)
        return -1;
    char exe[PATH_MAX];
    executable_of(pid, exe, sizeof exe);
    bool out_of_memory = false;
    for (size_t i = 0; i < maps.count && !out_of_memory; i++) {
        const process_mapping *m = &maps.mappings[i];
        if (m->offset == 0 && process_mapping_has_file(m))
            out_of_memory = !add_mapped_module(idx, &maps, m, exe);
    }
    process_maps_free(&maps);
    if (out_of_memory) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

sym_index *process_symbols_create(pid_t pid, char *err, size_t err_len)
{
    return sym_index_create_scanned(scan_process, pid, err, err_len);
}
