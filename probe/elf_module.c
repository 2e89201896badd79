/* ELF facts of one module: its function symbols from .symtab and .dynsym (for modules without
 * DWARF, such as libc) and the GNU build-id note. Link-time addresses; the caller adds the bias. */
#include "elf_module.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A symbol while collecting: its name is an offset into the growing name buffer. */
typedef struct collected_symbol {
    uint64_t address;
    uint64_t size;
    size_t name_offset;
    int rank; /* lower is the better name when several symbols share an address */
} collected_symbol;

typedef struct collector {
    collected_symbol *symbols;
    size_t count, capacity;
    char *names;
    size_t names_len, names_capacity;
} collector;

/* Prefer "getpid" over "__getpid" and global over weak over local symbols. */
static int name_rank(const char *name, unsigned char binding)
{
    int underscores = 0;
    while (name[underscores] == '_')
        underscores++;
    int binding_rank = binding == STB_GLOBAL ? 0 : binding == STB_WEAK ? 1 : 2;
    return underscores * 4 + binding_rank;
}

static int collect(collector *c, const GElf_Sym *sym, const char *name)
{
    size_t name_size = strlen(name) + 1;
    if (c->count == c->capacity) {
        size_t capacity = c->capacity ? c->capacity * 2 : 256;
        collected_symbol *grown = realloc(c->symbols, capacity * sizeof *grown);
        if (!grown)
            return -1;
        c->symbols = grown;
        c->capacity = capacity;
    }
    if (c->names_len + name_size > c->names_capacity) {
        size_t capacity = c->names_capacity ? c->names_capacity * 2 : 4096;
        while (capacity < c->names_len + name_size)
            capacity *= 2;
        char *grown = realloc(c->names, capacity);
        if (!grown)
            return -1;
        c->names = grown;
        c->names_capacity = capacity;
    }
    memcpy(c->names + c->names_len, name, name_size);
    c->symbols[c->count++] = (collected_symbol){
        .address = sym->st_value,
        .size = sym->st_size,
        .name_offset = c->names_len,
        .rank = name_rank(name, GELF_ST_BIND(sym->st_info)),
    };
    c->names_len += name_size;
    return 0;
}

static int collect_table(collector *c, Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data || shdr->sh_entsize == 0)
        return 0;
    size_t count = shdr->sh_size / shdr->sh_entsize;
    for (size_t i = 0; i < count; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, (int)i, &sym))
            break;
        if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
            continue;
        const char *name = elf_strptr(elf, shdr->sh_link, sym.st_name);
        if (!name || !*name)
            continue;
        if (collect(c, &sym, name) != 0)
            return -1;
    }
    return 0;
}

static int by_address_then_rank(const void *a, const void *b)
{
    const collected_symbol *x = a, *y = b;
    if (x->address != y->address)
        return x->address < y->address ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* Sorts, keeps the best-named symbol per address and turns name offsets into pointers. */
static int finish(collector *c, elf_symbols *out)
{
    qsort(c->symbols, c->count, sizeof *c->symbols, by_address_then_rank);
    out->symbols = malloc((c->count ? c->count : 1) * sizeof *out->symbols);
    if (!out->symbols)
        return -1;
    out->names = c->names;
    c->names = NULL;
    for (size_t i = 0; i < c->count; i++) {
        const collected_symbol *s = &c->symbols[i];
        if (out->count > 0 && out->symbols[out->count - 1].address == s->address)
            continue;
        out->symbols[out->count++] = (elf_symbol){
            .address = s->address,
            .size = s->size,
            .name = out->names + s->name_offset,
        };
    }
    return 0;
}

int elf_symbols_load(const char *path, elf_symbols *out, char *err, size_t err_len)
{
    *out = (elf_symbols){ 0 };
    if (elf_version(EV_CURRENT) == EV_NONE) {
        snprintf(err, err_len, "libelf: %s", elf_errmsg(-1));
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!elf || elf_kind(elf) != ELF_K_ELF) {
        snprintf(err, err_len, "%s is not an ELF file%s%s", path, elf ? "" : ": ",
                 elf ? "" : elf_errmsg(-1));
        if (elf)
            elf_end(elf);
        close(fd);
        return -1;
    }
    collector c = { 0 };
    int rc = 0;
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn && rc == 0; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) && (shdr.sh_type == SHT_SYMTAB || shdr.sh_type == SHT_DYNSYM))
            rc = collect_table(&c, elf, scn, &shdr);
    }
    if (rc == 0)
        rc = finish(&c, out);
    if (rc != 0) {
        snprintf(err, err_len, "out of memory reading the symbols of %s", path);
        elf_symbols_free(out);
    }
    free(c.symbols);
    free(c.names);
    elf_end(elf);
    close(fd);
    return rc;
}

const elf_symbol *elf_symbols_find(const elf_symbols *symbols, uint64_t address)
{
    size_t lo = 0, hi = symbols->count; /* first symbol above address */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (symbols->symbols[mid].address <= address)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const elf_symbol *nearest = &symbols->symbols[lo - 1];
    if (nearest->size == 0 || address - nearest->address < nearest->size)
        return nearest;
    return NULL;
}

void elf_symbols_free(elf_symbols *symbols)
{
    free(symbols->symbols);
    free(symbols->names);
    *symbols = (elf_symbols){ 0 };
}

static size_t align_up(size_t n, size_t align)
{
    return (n + align - 1) / align * align;
}

bool elf_notes_build_id(const void *notes, size_t size, size_t align, char *hex, size_t hex_size)
{
    if (align != 8)
        align = 4;
    const unsigned char *p = notes;
    size_t offset = 0;
    while (size - offset >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr header;
        memcpy(&header, p + offset, sizeof header);
        size_t name_at = offset + sizeof header;
        size_t desc_at = name_at + align_up(header.n_namesz, align);
        size_t next = desc_at + align_up(header.n_descsz, align);
        if (desc_at > size || header.n_descsz > size - desc_at)
            return false;
        bool is_gnu = header.n_namesz == 4 && memcmp(p + name_at, "GNU", 4) == 0;
        if (is_gnu && header.n_type == NT_GNU_BUILD_ID) {
            if (header.n_descsz == 0 || hex_size < header.n_descsz * 2 + 1)
                return false;
            for (size_t i = 0; i < header.n_descsz; i++)
                snprintf(hex + i * 2, 3, "%02x", p[desc_at + i]);
            return true;
        }
        if (next <= offset || next > size)
            return false;
        offset = next;
    }
    return false;
}
