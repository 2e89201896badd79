/* ELF facts of one module: its function symbols from .symtab and .dynsym (for modules without
 * DWARF, such as libc) and the GNU build-id note. Link-time addresses; the caller adds the bias. */
#ifndef PODBUG_ELF_MODULE_H
#define PODBUG_ELF_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct elf_symbol {
    uint64_t address;
    uint64_t size; /* 0 when the symbol table does not say */
    const char *name;
} elf_symbol;

typedef struct elf_symbols {
    elf_symbol *symbols; /* STT_FUNC symbols sorted by address, one per address */
    size_t count;
    char *names;         /* storage of every name above */
} elf_symbols;

/* Reads the function symbols of the ELF file at path. Returns 0, or -1 with err filled (and
 * *out empty). A file with no symbol table gives 0 and no symbols. */
int elf_symbols_load(const char *path, elf_symbols *out, char *err, size_t err_len);
/* The nearest symbol at or below address whose size covers address, or that nearest symbol if
 * its size is unknown; NULL otherwise. */
const elf_symbol *elf_symbols_find(const elf_symbols *symbols, uint64_t address);
void elf_symbols_free(elf_symbols *symbols);

/* Finds the NT_GNU_BUILD_ID note in a PT_NOTE segment's bytes (align: the segment's p_align,
 * 4 or 8) and writes its lowercase hex to hex. Returns false when there is none or hex_size
 * is too small. */
bool elf_notes_build_id(const void *notes, size_t size, size_t align, char *hex, size_t hex_size);

#endif
