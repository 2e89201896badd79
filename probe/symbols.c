/* Symbol index of a process: the loaded modules a scan lists (dl_iterate_phdr for the own
 * process), each read lazily (DWARF through dwarf_lines, ELF symbols through elf_module), and the
 * queries on top of them. */
#include "symbols.h"

#include "dwarf_lines.h"
#include "elf_module.h"
#include "log.h"
#include "path_match.h"

#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUILD_ID_HEX_MAX 129 /* 64 bytes of note, in hex, and the terminator */

/* One copy of every string the index hands out, alive until the index is destroyed. */
typedef struct string_pool {
    char **slots; /* open addressing; capacity is a power of two, at most half full */
    size_t capacity, count;
} string_pool;

typedef struct module {
    const char *path; /* interned */
    uintptr_t bias;   /* runtime address minus link-time address */
    sym_segment *segments;
    size_t segment_count;
    uint64_t link_low, link_high; /* link-time span of the PT_LOAD segments */
    bool dwarf_read, elf_read, seen;
    char build_id[BUILD_ID_HEX_MAX]; /* "" when it has none */
    dwarf_module dwarf;
    elf_symbols elf;
    sym_module_ext ext; /* higher layers' data, destroyed with the module */
    sym_module_ext frame_ext; /* the call-frame information's (cfa_rule.c), likewise */
} module;

struct sym_index {
    string_pool strings;
    module *modules;
    size_t module_count;
    const char *main_path; /* interned; "" when the executable is not indexed */
    char build_id[BUILD_ID_HEX_MAX];
    sym_module_scan scan;  /* lists the modules of process pid */
    pid_t pid;
    int added;             /* modules added by the scan under way */
};

/* ---- string pool ---- */

static size_t hash_text(const char *text)
{
    uint64_t hash = 1469598103934665603u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        hash = (hash ^ *p) * 1099511628211u;
    return (size_t)hash;
}

static char **pool_slot(char **slots, size_t capacity, const char *text)
{
    size_t i = hash_text(text) & (capacity - 1);
    while (slots[i] && strcmp(slots[i], text) != 0)
        i = (i + 1) & (capacity - 1);
    return &slots[i];
}

static bool pool_grow(string_pool *pool)
{
    size_t capacity = pool->capacity ? pool->capacity * 2 : 256;
    char **slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < pool->capacity; i++)
        if (pool->slots[i])
            *pool_slot(slots, capacity, pool->slots[i]) = pool->slots[i];
    free(pool->slots);
    pool->slots = slots;
    pool->capacity = capacity;
    return true;
}

static const char *pool_intern(void *pool_ptr, const char *text)
{
    string_pool *pool = pool_ptr;
    if ((pool->count + 1) * 2 > pool->capacity && !pool_grow(pool))
        return NULL;
    char **slot = pool_slot(pool->slots, pool->capacity, text);
    if (!*slot) {
        *slot = strdup(text);
        if (!*slot)
            return NULL;
        pool->count++;
    }
    return *slot;
}

static void pool_free(string_pool *pool)
{
    for (size_t i = 0; i < pool->capacity; i++)
        free(pool->slots[i]);
    free(pool->slots);
}

/* ---- modules ---- */

static void module_free(module *m)
{
    if (m->ext.destroy)
        m->ext.destroy(m->ext.data);
    if (m->frame_ext.destroy)
        m->frame_ext.destroy(m->frame_ext.data);
    free(m->segments);
    dwarf_module_free(&m->dwarf);
    elf_symbols_free(&m->elf);
}

static void ensure_dwarf(sym_index *idx, module *m)
{
    if (m->dwarf_read)
        return;
    m->dwarf_read = true;
    char problem[256];
    dwarf_module_read(m->path, m->link_low, m->link_high, pool_intern, &idx->strings, &m->dwarf,
                      problem, sizeof problem);
    if (problem[0])
        log_warn("symbols: DWARF of %s: %s", m->path, problem);
}

static void ensure_elf(module *m)
{
    if (m->elf_read)
        return;
    m->elf_read = true;
    char problem[256];
    if (elf_symbols_load(m->path, &m->elf, problem, sizeof problem) != 0)
        log_warn("symbols: ELF symbols of %s: %s", m->path, problem);
}

static module *module_at(sym_index *idx, uintptr_t address)
{
    for (size_t i = 0; i < idx->module_count; i++) {
        module *m = &idx->modules[i];
        for (size_t s = 0; s < m->segment_count; s++)
            if (address >= m->segments[s].start && address < m->segments[s].end)
                return m;
    }
    return NULL;
}

typedef struct function_info {
    const char *name; /* interned; NULL when unknown */
    bool has_entry;
    uint64_t entry; /* link-time */
} function_info;

/* The function containing a link-time address: DWARF first, else the ELF symbol table. */
static function_info function_at(sym_index *idx, module *m, uint64_t address)
{
    ensure_dwarf(idx, m);
    const dwarf_function *f = dwarf_module_function_at(&m->dwarf, address);
    if (f && f->name)
        return (function_info){ f->name, true, f->entry };
    ensure_elf(m);
    const elf_symbol *s = elf_symbols_find(&m->elf, address);
    if (s)
        return (function_info){ pool_intern(&idx->strings, s->name), true, s->address };
    if (f)
        return (function_info){ NULL, true, f->entry };
    return (function_info){ 0 };
}

/* ---- filling the index: scans add modules ---- */

bool sym_index_keep_module(sym_index *idx, const char *path, uintptr_t bias)
{
    for (size_t i = 0; i < idx->module_count; i++) {
        module *m = &idx->modules[i];
        if (m->bias == bias && strcmp(m->path, path) == 0) {
            m->seen = true;
            return true;
        }
    }
    return false;
}

static bool describe_segments(module *m, const sym_module_spec *spec)
{
    m->segments = calloc(spec->segment_count ? spec->segment_count : 1, sizeof *m->segments);
    if (!m->segments)
        return false;
    m->segment_count = spec->segment_count;
    m->link_low = UINT64_MAX;
    for (size_t i = 0; i < spec->segment_count; i++) {
        sym_segment s = spec->segments[i];
        m->segments[i] = s;
        if (s.start - m->bias < m->link_low)
            m->link_low = s.start - m->bias;
        if (s.end - m->bias > m->link_high)
            m->link_high = s.end - m->bias;
    }
    return true;
}

bool sym_index_add_module(sym_index *idx, const sym_module_spec *spec)
{
    if (sym_index_keep_module(idx, spec->path, spec->bias))
        return true;
    const char *path = pool_intern(&idx->strings, spec->path);
    module *grown = path ? realloc(idx->modules, (idx->module_count + 1) * sizeof *grown) : NULL;
    if (!grown)
        return false;
    idx->modules = grown;
    module *m = &idx->modules[idx->module_count];
    *m = (module){ .path = path, .bias = spec->bias, .seen = true };
    snprintf(m->build_id, sizeof m->build_id, "%s", spec->build_id);
    if (!describe_segments(m, spec))
        return false;
    if (spec->is_main) {
        idx->main_path = path;
        snprintf(idx->build_id, sizeof idx->build_id, "%s", spec->build_id);
    }
    idx->module_count++;
    idx->added++;
    return true;
}

/* Drops modules that were unloaded (dlclose) since the last scan. */
static void forget_unseen_modules(sym_index *idx)
{
    size_t kept = 0;
    for (size_t i = 0; i < idx->module_count; i++) {
        module *m = &idx->modules[i];
        if (m->seen)
            idx->modules[kept++] = *m;
        else
            module_free(m);
    }
    idx->module_count = kept;
}

/* Runs the index's scan; returns how many modules it added, or -1 with err. */
static int scan_modules(sym_index *idx, char *err, size_t err_len)
{
    for (size_t i = 0; i < idx->module_count; i++)
        idx->modules[i].seen = false;
    idx->added = 0;
    if (idx->scan(idx, idx->pid, err, err_len) != 0)
        return -1;
    forget_unseen_modules(idx);
    return idx->added;
}

sym_index *sym_index_create_scanned(sym_module_scan scan, pid_t pid, char *err, size_t err_len)
{
    sym_index *idx = calloc(1, sizeof *idx);
    if (!idx) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    *idx = (sym_index){ .main_path = "", .scan = scan, .pid = pid };
    if (scan_modules(idx, err, err_len) < 0) {
        sym_index_destroy(idx);
        return NULL;
    }
    return idx;
}

void sym_index_destroy(sym_index *idx)
{
    if (!idx)
        return;
    for (size_t i = 0; i < idx->module_count; i++)
        module_free(&idx->modules[i]);
    free(idx->modules);
    pool_free(&idx->strings);
    free(idx);
}

int sym_index_refresh(sym_index *idx)
{
    char err[256];
    int added = scan_modules(idx, err, sizeof err);
    if (added < 0)
        log_warn("symbols: indexing the loaded modules failed: %s", err);
    return added < 0 ? 0 : added;
}

/* ---- the own process's modules: dl_iterate_phdr ---- */

/* Path of the executable, "" when /proc/self/exe cannot be read. */
static void executable_path(char path[PATH_MAX])
{
    ssize_t n = readlink("/proc/self/exe", path, PATH_MAX - 1);
    if (n <= 0) {
        log_warn("symbols: cannot read /proc/self/exe (%s); the executable is not indexed",
                 strerror(errno));
        n = 0;
    }
    path[n] = '\0';
}

static void read_build_id(char build_id[BUILD_ID_HEX_MAX], const struct dl_phdr_info *info)
{
    build_id[0] = '\0';
    for (int i = 0; i < info->dlpi_phnum && !build_id[0]; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_NOTE)
            elf_notes_build_id((const void *)(info->dlpi_addr + ph->p_vaddr), ph->p_memsz,
                               ph->p_align, build_id, BUILD_ID_HEX_MAX);
    }
}

typedef struct own_scan {
    sym_index *idx;
    size_t position; /* of the module dl_iterate_phdr reports now; 0 is the executable */
    bool out_of_memory;
} own_scan;

static int visit_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    own_scan *s = data;
    sym_index *idx = s->idx;
    bool is_executable = s->position++ == 0;
    char path[PATH_MAX];
    if (is_executable) {
        if (idx->main_path[0])
            snprintf(path, sizeof path, "%s", idx->main_path);
        else
            executable_path(path);
    } else {
        /* Known already: no file system look-up on every refresh. The vdso and anything else
         * without a readable file is left out. */
        if (!info->dlpi_name[0] || sym_index_keep_module(idx, info->dlpi_name, info->dlpi_addr) ||
            access(info->dlpi_name, R_OK) != 0)
            return 0;
        snprintf(path, sizeof path, "%s", info->dlpi_name);
    }
    if (!path[0])
        return 0;
    sym_segment segments[info->dlpi_phnum ? info->dlpi_phnum : 1];
    size_t segment_count = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            uintptr_t start = info->dlpi_addr + ph->p_vaddr;
            segments[segment_count++] = (sym_segment){ start, start + ph->p_memsz };
        }
    }
    char build_id[BUILD_ID_HEX_MAX];
    read_build_id(build_id, info);
    sym_module_spec spec = { .path = path, .is_main = is_executable, .bias = info->dlpi_addr,
                             .segments = segments, .segment_count = segment_count,
                             .build_id = build_id };
    s->out_of_memory = !sym_index_add_module(idx, &spec);
    return s->out_of_memory;
}

static int scan_own_process(sym_index *idx, pid_t pid, char *err, size_t err_len)
{
    (void)pid;
    own_scan s = { .idx = idx };
    dl_iterate_phdr(visit_module, &s);
    if (s.out_of_memory) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

sym_index *sym_index_create(void)
{
    char err[64];
    return sym_index_create_scanned(scan_own_process, getpid(), err, sizeof err);
}

/* ---- source line -> addresses ---- */

/* The line-table path that matches query best, or NULL with err filled. */
static const char *match_source_file(sym_index *idx, const char *path, const char *query,
                                     char *err, size_t err_len)
{
    const char *best = NULL, *rival = NULL;
    size_t best_score = 0;
    for (size_t i = 0; i < idx->module_count; i++) {
        module *m = &idx->modules[i];
        ensure_dwarf(idx, m);
        for (size_t f = 0; f < m->dwarf.file_count; f++) {
            const char *file = m->dwarf.files[f].file;
            size_t score = path_suffix_match(file, query);
            if (score > best_score) {
                best_score = score;
                best = file;
                rival = NULL;
            } else if (score > 0 && score == best_score && file != best && !rival) {
                rival = file;
            }
        }
    }
    if (!best)
        snprintf(err, err_len, "no source file matching '%s' in the executable or its libraries",
                 path);
    else if (rival)
        snprintf(err, err_len, "'%s' is ambiguous: it matches %s and %s; give more of the path",
                 path, best, rival);
    return rival ? NULL : best;
}

static const dwarf_file_lines *file_lines(const module *m, const char *file)
{
    for (size_t f = 0; f < m->dwarf.file_count; f++)
        if (m->dwarf.files[f].file == file)
            return &m->dwarf.files[f];
    return NULL;
}

/* Code of one line in one function (or, outside known functions, one sequence). */
typedef struct line_group {
    module *module;
    const dwarf_function *function;
    uint32_t sequence;
    uint64_t address; /* lowest link-time address of the group */
} line_group;

typedef struct group_list {
    line_group *items;
    size_t count, capacity;
} group_list;

static bool add_to_group(group_list *groups, module *m, const dwarf_line_row *row)
{
    const dwarf_function *function = dwarf_module_function_at(&m->dwarf, row->address);
    for (size_t g = 0; g < groups->count; g++) {
        line_group *group = &groups->items[g];
        bool same = group->module == m && group->function == function &&
                    (function || group->sequence == row->sequence);
        if (same) {
            if (row->address < group->address)
                group->address = row->address;
            return true;
        }
    }
    if (groups->count == groups->capacity) {
        size_t capacity = groups->capacity ? groups->capacity * 2 : 8;
        line_group *grown = realloc(groups->items, capacity * sizeof *grown);
        if (!grown)
            return false;
        groups->items = grown;
        groups->capacity = capacity;
    }
    groups->items[groups->count++] = (line_group){ m, function, row->sequence, row->address };
    return true;
}

static int by_runtime_address(const void *a, const void *b)
{
    const line_group *x = a, *y = b;
    uintptr_t ax = x->module->bias + x->address, ay = y->module->bias + y->address;
    return (ax > ay) - (ax < ay);
}

static void report_no_code(sym_index *idx, const char *file, const char *path, uint32_t line,
                           char *err, size_t err_len)
{
    uint32_t below = 0, above = 0;
    for (size_t i = 0; i < idx->module_count; i++) {
        const module *m = &idx->modules[i];
        const dwarf_file_lines *lines = file_lines(m, file);
        if (!lines)
            continue;
        uint32_t b, a;
        dwarf_module_nearest_lines(&m->dwarf, lines, line, &b, &a);
        if (b > below)
            below = b;
        if (a && (!above || a < above))
            above = a;
    }
    if (below && above)
        snprintf(err, err_len, "no code at %s:%u; nearest lines with code: %u, %u", path, line,
                 below, above);
    else if (below || above)
        snprintf(err, err_len, "no code at %s:%u; nearest line with code: %u", path, line,
                 below ? below : above);
    else
        snprintf(err, err_len, "no code at %s:%u", path, line);
}

/* Groups the is_stmt rows of file:line of every module; false when out of memory. */
static bool group_line_rows(sym_index *idx, const char *file, uint32_t line, group_list *groups)
{
    for (size_t i = 0; i < idx->module_count; i++) {
        module *m = &idx->modules[i];
        const dwarf_file_lines *lines = file_lines(m, file);
        size_t first = 0;
        size_t n = lines ? dwarf_module_line_rows(&m->dwarf, lines, line, &first) : 0;
        for (size_t r = first; r < first + n; r++)
            if (!add_to_group(groups, m, &m->dwarf.rows[m->dwarf.stmt_rows[r]]))
                return false;
    }
    return true;
}

size_t sym_resolve_line(sym_index *idx, const char *path, int line, sym_location *out,
                        size_t max, char *err, size_t err_len)
{
    if (!path || !*path || line <= 0) {
        snprintf(err, err_len, "invalid source location '%s:%d'", path ? path : "", line);
        return 0;
    }
    char *query = strdup(path);
    if (!query) {
        snprintf(err, err_len, "out of memory");
        return 0;
    }
    path_normalize(query);
    const char *file = match_source_file(idx, path, query, err, err_len);
    free(query);
    if (!file)
        return 0;
    group_list groups = { 0 };
    if (!group_line_rows(idx, file, (uint32_t)line, &groups)) {
        snprintf(err, err_len, "out of memory");
        free(groups.items);
        return 0;
    }
    if (groups.count == 0) {
        report_no_code(idx, file, path, (uint32_t)line, err, err_len);
        return 0;
    }
    qsort(groups.items, groups.count, sizeof *groups.items, by_runtime_address);
    size_t written = groups.count < max ? groups.count : max;
    for (size_t g = 0; g < written; g++) {
        const line_group *group = &groups.items[g];
        out[g] = (sym_location){
            .address = group->module->bias + group->address,
            .function = function_at(idx, group->module, group->address).name,
            .file = file,
            .line = line,
        };
    }
    free(groups.items);
    return written;
}

/* ---- address -> function, file, line ---- */

bool sym_lookup(sym_index *idx, uintptr_t pc, bool is_return_address, sym_info *out)
{
    *out = (sym_info){ 0 };
    uintptr_t address = is_return_address ? pc - 1 : pc;
    module *m = module_at(idx, address);
    if (!m)
        return false;
    uint64_t link_address = address - m->bias;
    function_info function = function_at(idx, m, link_address);
    out->module = m->path;
    out->function = function.name;
    out->function_start = function.has_entry ? m->bias + function.entry : 0;
    const dwarf_line_row *row = dwarf_module_row_at(&m->dwarf, link_address);
    if (row && row->file) {
        out->file = row->file;
        out->line = (int)row->line;
    }
    return true;
}

/* ---- address -> the code of its function ---- */

/* Adds [low, high) to out when there is room; returns the new count. */
static size_t add_range(sym_range *out, size_t n, size_t max, uintptr_t low, uintptr_t high)
{
    if (n < max)
        out[n] = (sym_range){ low, high };
    return n + 1;
}

/* The ELF symbol of m named name, or NULL. */
static const elf_symbol *elf_symbol_named(const module *m, const char *name, size_t name_len)
{
    for (size_t i = 0; i < m->elf.count; i++) {
        const elf_symbol *s = &m->elf.symbols[i];
        if (strncmp(s->name, name, name_len) == 0 && s->name[name_len] == '\0')
            return s;
    }
    return NULL;
}

size_t sym_function_ranges(sym_index *idx, uintptr_t pc, sym_range *out, size_t max)
{
    module *m = module_at(idx, pc);
    if (!m)
        return 0;
    uint64_t link_address = pc - m->bias;
    ensure_dwarf(idx, m);
    const dwarf_function *f = dwarf_module_function_at(&m->dwarf, link_address);
    size_t n = 0;
    if (f) {
        size_t function = (size_t)(f - m->dwarf.functions);
        for (size_t i = 0; i < m->dwarf.range_count; i++)
            if (m->dwarf.ranges[i].function == function)
                n = add_range(out, n, max, m->bias + m->dwarf.ranges[i].low,
                              m->bias + m->dwarf.ranges[i].high);
        return n;
    }
    ensure_elf(m);
    const elf_symbol *s = elf_symbols_find(&m->elf, link_address);
    if (!s || s->size == 0 || link_address >= s->address + s->size)
        return 0;
    /* the hot part NAME and the part gcc split off, NAME.cold, whichever pc is in */
    size_t base_len = strlen(s->name);
    static const char cold[] = ".cold";
    if (base_len > sizeof cold - 1 && strcmp(s->name + base_len - (sizeof cold - 1), cold) == 0)
        base_len -= sizeof cold - 1;
    char name[256];
    snprintf(name, sizeof name, "%.*s%s", (int)base_len, s->name, cold);
    const elf_symbol *hot = elf_symbol_named(m, s->name, base_len);
    const elf_symbol *split = elf_symbol_named(m, name, strlen(name));
    if (hot && hot->size)
        n = add_range(out, n, max, m->bias + hot->address, m->bias + hot->address + hot->size);
    if (split && split->size)
        n = add_range(out, n, max, m->bias + split->address,
                      m->bias + split->address + split->size);
    return n;
}

/* ---- modules for higher layers ---- */

static void describe_module(module *m, sym_module_info *out)
{
    *out = (sym_module_info){ .path = m->path, .bias = m->bias, .ext = &m->ext, .frame_ext = &m->frame_ext,
                              .build_id = m->build_id,
                              .low = m->bias + m->link_low, .high = m->bias + m->link_high,
                              .symbols = !m->dwarf_read || !m->elf_read ? SYM_NOT_READ_YET
                                         : m->dwarf.row_count || m->dwarf.function_count ? SYM_DEBUG_INFO
                                         : m->elf.count ? SYM_SYMBOLS_ONLY : SYM_NONE };
}

bool sym_module_at(sym_index *idx, uintptr_t pc, sym_module_info *out)
{
    module *m = module_at(idx, pc);
    if (m)
        describe_module(m, out);
    return m != NULL;
}

bool sym_module_get(sym_index *idx, size_t i, sym_module_info *out)
{
    if (i >= idx->module_count)
        return false;
    describe_module(&idx->modules[i], out);
    return true;
}

bool sym_module_tables(sym_index *idx, size_t i, sym_module_info *info, const dwarf_module **dwarf,
                       const elf_symbols **elf)
{
    if (i >= idx->module_count)
        return false;
    module *m = &idx->modules[i];
    ensure_dwarf(idx, m);
    ensure_elf(m);
    describe_module(m, info);
    *dwarf = &m->dwarf;
    *elf = &m->elf;
    return true;
}

const char *sym_main_build_id(sym_index *idx)
{
    return idx->build_id;
}

const char *sym_main_path(sym_index *idx)
{
    return idx->main_path;
}
