/* Reading the ELF file of a library taking part in a hot reload (see reload_elf.h). Every offset
 * the file gives is checked against its size: the bytes come from the network. */
#include "reload_elf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf_module.h"

/* [offset, offset + len) lies inside the file. */
static bool in_file(const reload_elf *e, uint64_t offset, uint64_t len)
{
    return offset <= e->size && len <= e->size - offset;
}

int reload_elf_parse(reload_elf *e, const void *bytes, size_t size, char *err, size_t err_len)
{
    *e = (reload_elf){ .bytes = bytes, .size = size };
    Elf64_Ehdr eh;
    if (size < sizeof eh)
        goto not_a_library;
    memcpy(&eh, bytes, sizeof eh);
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 || eh.e_type != ET_DYN ||
        eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff % _Alignof(Elf64_Phdr) != 0 ||
        !in_file(e, eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr)))
        goto not_a_library;
    e->phdrs = (const Elf64_Phdr *)(e->bytes + eh.e_phoff);
    e->n_phdrs = eh.e_phnum;
    return 0;
not_a_library:
    snprintf(err, err_len, "the library is not an x86-64 shared library (ELF64, ET_DYN)");
    return -1;
}

int reload_elf_map(reload_elf *e, const char *path, char *err, size_t err_len)
{
    *e = (reload_elf){ 0 };
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
        snprintf(err, err_len, "cannot read %s: %s", path, fd < 0 ? strerror(errno) : "empty file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    void *mapping = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (mapping == MAP_FAILED) {
        snprintf(err, err_len, "cannot map %s: %s", path, strerror(errno));
        return -1;
    }
    if (reload_elf_parse(e, mapping, (size_t)st.st_size, err, err_len) != 0) {
        munmap(mapping, (size_t)st.st_size);
        *e = (reload_elf){ 0 };
        return -1;
    }
    e->mapping = mapping;
    return 0;
}

void reload_elf_close(reload_elf *e)
{
    if (e->mapping)
        munmap(e->mapping, e->size);
    *e = (reload_elf){ 0 };
}

const uint8_t *reload_elf_bytes_at(const reload_elf *e, uint64_t vaddr, uint64_t len)
{
    for (size_t i = 0; i < e->n_phdrs; i++) {
        const Elf64_Phdr *ph = &e->phdrs[i];
        if (ph->p_type != PT_LOAD || vaddr < ph->p_vaddr || vaddr - ph->p_vaddr > ph->p_filesz ||
            len > ph->p_filesz - (vaddr - ph->p_vaddr))
            continue;
        uint64_t offset = ph->p_offset + (vaddr - ph->p_vaddr);
        return in_file(e, offset, len) ? e->bytes + offset : NULL;
    }
    return NULL;
}

void reload_elf_span(const reload_elf *e, uint64_t *low, uint64_t *high)
{
    *low = UINT64_MAX;
    *high = 0;
    for (size_t i = 0; i < e->n_phdrs; i++) {
        const Elf64_Phdr *ph = &e->phdrs[i];
        if (ph->p_type != PT_LOAD)
            continue;
        if (ph->p_vaddr < *low)
            *low = ph->p_vaddr;
        if (ph->p_vaddr + ph->p_memsz > *high)
            *high = ph->p_vaddr + ph->p_memsz;
    }
    if (*low > *high)
        *low = *high = 0;
}

uint64_t reload_elf_code_end(const reload_elf *e, uint64_t vaddr)
{
    for (size_t i = 0; i < e->n_phdrs; i++) {
        const Elf64_Phdr *ph = &e->phdrs[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && vaddr >= ph->p_vaddr &&
            vaddr - ph->p_vaddr < ph->p_memsz)
            return ph->p_vaddr + ph->p_memsz;
    }
    return 0;
}

void reload_elf_build_id(const reload_elf *e, char *hex, size_t hex_size)
{
    hex[0] = '\0';
    for (size_t i = 0; i < e->n_phdrs && !hex[0]; i++) {
        const Elf64_Phdr *ph = &e->phdrs[i];
        if (ph->p_type == PT_NOTE && in_file(e, ph->p_offset, ph->p_filesz))
            elf_notes_build_id(e->bytes + ph->p_offset, ph->p_filesz, ph->p_align, hex, hex_size);
    }
}

int reload_elf_dynamic_read(const reload_elf *e, reload_elf_dynamic *out, char *err, size_t err_len)
{
    *out = (reload_elf_dynamic){ 0 };
    const Elf64_Phdr *dynamic = NULL;
    for (size_t i = 0; i < e->n_phdrs; i++)
        if (e->phdrs[i].p_type == PT_DYNAMIC)
            dynamic = &e->phdrs[i];
    if (!dynamic)
        return 0;
    if (!in_file(e, dynamic->p_offset, dynamic->p_filesz) || dynamic->p_offset % _Alignof(Elf64_Dyn) != 0)
        goto outside;
    const Elf64_Dyn *d = (const Elf64_Dyn *)(e->bytes + dynamic->p_offset);
    size_t n = dynamic->p_filesz / sizeof *d;
    uint64_t rela = 0, relasz = 0, symtab = 0, strtab = 0, strsz = 0, soname = UINT64_MAX;
    for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
        switch (d[i].d_tag) {
        case DT_RELA: rela = d[i].d_un.d_ptr; break;
        case DT_RELASZ: relasz = d[i].d_un.d_val; break;
        case DT_SYMTAB: symtab = d[i].d_un.d_ptr; break;
        case DT_STRTAB: strtab = d[i].d_un.d_ptr; break;
        case DT_STRSZ: strsz = d[i].d_un.d_val; break;
        case DT_SONAME: soname = d[i].d_un.d_val; break;
        default: break;
        }
    }
    if (relasz) {
        out->rela = (const Elf64_Rela *)reload_elf_bytes_at(e, rela, relasz);
        if (!out->rela || (uintptr_t)out->rela % _Alignof(Elf64_Rela) != 0)
            goto outside;
        out->n_rela = relasz / sizeof(Elf64_Rela);
    }
    if (strsz) {
        out->strtab = (const char *)reload_elf_bytes_at(e, strtab, strsz);
        if (!out->strtab)
            goto outside;
        out->strsz = strsz;
    }
    if (symtab) {
        out->symtab = (const Elf64_Sym *)reload_elf_bytes_at(e, symtab, sizeof(Elf64_Sym));
        if (!out->symtab || (uintptr_t)out->symtab % _Alignof(Elf64_Sym) != 0)
            goto outside;
    }
    if (soname < strsz && memchr(out->strtab + soname, '\0', strsz - soname))
        out->soname = out->strtab + soname;
    return 0;
outside:
    *out = (reload_elf_dynamic){ 0 };
    snprintf(err, err_len, "the library's dynamic section points outside the file");
    return -1;
}

const Elf64_Sym *reload_elf_dynamic_symbol(const reload_elf *e, const reload_elf_dynamic *d, uint32_t index,
                                           const char **name)
{
    *name = "";
    if (!d->symtab)
        return NULL;
    uint64_t offset = (uint64_t)((const uint8_t *)d->symtab - e->bytes) + (uint64_t)index * sizeof(Elf64_Sym);
    if (!in_file(e, offset, sizeof(Elf64_Sym)))
        return NULL;
    const Elf64_Sym *sym = &d->symtab[index];
    if (sym->st_name < d->strsz && memchr(d->strtab + sym->st_name, '\0', d->strsz - sym->st_name))
        *name = d->strtab + sym->st_name;
    return sym;
}

/* Looks name up in one symbol table section; updates *found / *value, false on a conflict. */
static bool search_table(const reload_elf *e, const Elf64_Shdr *table, const Elf64_Shdr *strings,
                         const char *name, bool *found, uint64_t *value)
{
    if (!in_file(e, table->sh_offset, table->sh_size) || !in_file(e, strings->sh_offset, strings->sh_size) ||
        table->sh_offset % _Alignof(Elf64_Sym) != 0)
        return true;
    const Elf64_Sym *syms = (const Elf64_Sym *)(e->bytes + table->sh_offset);
    const char *names = (const char *)(e->bytes + strings->sh_offset);
    size_t n = table->sh_size / sizeof *syms;
    size_t name_len = strlen(name);
    for (size_t i = 0; i < n; i++) {
        int type = ELF64_ST_TYPE(syms[i].st_info);
        if ((type != STT_FUNC && type != STT_OBJECT) || syms[i].st_shndx == SHN_UNDEF ||
            syms[i].st_name >= strings->sh_size || strings->sh_size - syms[i].st_name <= name_len ||
            memcmp(names + syms[i].st_name, name, name_len + 1) != 0)
            continue;
        if (*found && *value != syms[i].st_value)
            return false;
        *found = true;
        *value = syms[i].st_value;
    }
    return true;
}

bool reload_elf_find_symbol(const reload_elf *e, const char *name, uint64_t *value)
{
    Elf64_Ehdr eh;
    memcpy(&eh, e->bytes, sizeof eh);
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff % _Alignof(Elf64_Shdr) != 0 ||
        !in_file(e, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr)))
        return false;
    const Elf64_Shdr *sections = (const Elf64_Shdr *)(e->bytes + eh.e_shoff);
    bool found = false;
    for (size_t i = 0; i < eh.e_shnum; i++) {
        const Elf64_Shdr *s = &sections[i];
        if ((s->sh_type == SHT_SYMTAB || s->sh_type == SHT_DYNSYM) && s->sh_link < eh.e_shnum &&
            !search_table(e, s, &sections[s->sh_link], name, &found, value))
            return false;
    }
    return found;
}
