/* The ELF file of a library taking part in a hot reload, read from its bytes: loaded segments by
 * link-time address, the dynamic section (relocations, symbols, DT_SONAME), symbols by name. */
#ifndef PODBUG_RELOAD_ELF_H
#define PODBUG_RELOAD_ELF_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct reload_elf {
    const uint8_t *bytes;     /* the whole file */
    size_t size;
    const Elf64_Phdr *phdrs;
    size_t n_phdrs;
    void *mapping;            /* set when reload_elf_map mapped the file: unmapped on close */
} reload_elf;

/* Checks that bytes (kept by the caller while e is used) hold an x86-64 shared library. Returns 0,
 * or -1 with err ("the library is not an x86-64 shared library"). */
int reload_elf_parse(reload_elf *e, const void *bytes, size_t size, char *err, size_t err_len);
/* Maps the file at path read-only and parses it. Returns 0, or -1 with err. */
int reload_elf_map(reload_elf *e, const char *path, char *err, size_t err_len);
void reload_elf_close(reload_elf *e);

/* The file bytes of [vaddr, vaddr + len) (link-time), or NULL when they are not all in one loaded
 * segment's file part. */
const uint8_t *reload_elf_bytes_at(const reload_elf *e, uint64_t vaddr, uint64_t len);
/* Link-time span of the loaded segments [low, high). */
void reload_elf_span(const reload_elf *e, uint64_t *low, uint64_t *high);
/* End (link-time) of the executable segment holding vaddr; 0 when none holds it. */
uint64_t reload_elf_code_end(const reload_elf *e, uint64_t vaddr);
/* The hex GNU build-id into hex ("" when the file has none). */
void reload_elf_build_id(const reload_elf *e, char *hex, size_t hex_size);

typedef struct reload_elf_dynamic {
    const Elf64_Rela *rela;   /* DT_RELA: the relocations ld.so applies at load (not the PLT's) */
    size_t n_rela;
    const Elf64_Sym *symtab;  /* DT_SYMTAB */
    const char *strtab;       /* DT_STRTAB, DT_STRSZ bytes */
    size_t strsz;
    const char *soname;       /* DT_SONAME, NULL when absent */
} reload_elf_dynamic;

/* Reads the dynamic section. A file without one gives all fields empty. Returns 0, or -1 with err
 * when the section points outside the file. */
int reload_elf_dynamic_read(const reload_elf *e, reload_elf_dynamic *out, char *err, size_t err_len);
/* Dynamic symbol index (from a relocation's r_info), or NULL when it lies outside the file; *name
 * is its name ("" when unreadable). */
const Elf64_Sym *reload_elf_dynamic_symbol(const reload_elf *e, const reload_elf_dynamic *d, uint32_t index,
                                           const char **name);

/* The one defined function or object symbol called name in .symtab or .dynsym (the same symbol in
 * both counts once): true with its link-time value, false when there is none or several differ. */
bool reload_elf_find_symbol(const reload_elf *e, const char *name, uint64_t *value);

#endif
