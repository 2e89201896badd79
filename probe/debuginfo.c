/* Types, variables and scopes from DWARF (debuginfo.h): per module, in its sym_index slot, the
 * libdwarf handle, compile units by address, and caches of chains, variables and type names. */
#include "debuginfo.h"

#include "debuginfo_store.h"
#include "dwarf_die.h"
#include "dwarf_locations.h"
#include "dwarf_scopes.h"
#include "dwarf_types.h"
#include "log.h"
#include "path_match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_NAME_MAX 256

typedef struct named_type {
    const char *name;   /* base types: canonical spelling (dtype_base_name) */
    Dwarf_Half tag;
    Dwarf_Off offset;
    bool declaration;
} named_type;

typedef struct unit {
    dwarf_unit dwarf;
    bool variables_read;
    dvar *globals, *statics;
    size_t n_globals, n_statics;
    bool types_indexed;
    named_type *types;
    size_t n_types;
} unit;

typedef struct unit_range {
    uint64_t low, high; /* link-time [low, high) */
    size_t unit;        /* index in units */
} unit_range;

typedef struct debug_module {
    const char *path;   /* owned by the symbol index, which outlives this */
    uint64_t bias;
    dwarf_reader reader;
    dwarf_types types;
    bool opened;
    char unavailable[512]; /* why there is no DWARF; "" when there is */
    bool problem_logged;
    unit *units;        /* in the arena */
    size_t n_units;
    unit_range *ranges; /* in the arena, by low */
    size_t n_ranges;
    di_map chains;      /* link-time pc -> dscope_chain */
} debug_module;

/* ---- the module extension ---- */

static void destroy_module(void *data)
{
    debug_module *m = data;
    for (size_t i = 0; i < m->n_units; i++)
        di_map_free(&m->units[i].dwarf.addrs);
    if (m->reader.dbg && dwarf_finish(m->reader.dbg, &m->reader.err) != DW_DLV_OK)
        log_warn("debuginfo: closing the DWARF of %s failed", m->path);
    dwarf_types_free(&m->types);
    di_map_free(&m->chains);
    di_arena_destroy(m->reader.arena);
    free(m);
}

/* Logs the first problem met in a module's DWARF, once. */
static void log_problem(debug_module *m)
{
    if (m->reader.problem[0] && !m->problem_logged) {
        m->problem_logged = true;
        log_warn("debuginfo: DWARF of %s: %s", m->path, m->reader.problem);
    }
}

/* The module's debug data, made on first use (without reading DWARF yet); NULL when out of
 * memory. */
static debug_module *module_of(const sym_module_info *info)
{
    if (info->ext->data)
        return info->ext->data;
    debug_module *m = calloc(1, sizeof *m);
    if (!m || !(m->reader.arena = di_arena_create())) {
        free(m);
        return NULL;
    }
    m->path = info->path;
    m->bias = info->bias;
    info->ext->data = m;
    info->ext->destroy = destroy_module;
    return m;
}

typedef struct range_collector {
    di_vec *ranges;
    size_t unit;
    bool out_of_memory;
} range_collector;

static bool collect_range(void *ctx, uint64_t low, uint64_t high)
{
    range_collector *c = ctx;
    unit_range range = { low, high, c->unit };
    c->out_of_memory |= !di_vec_push(c->ranges, &range, sizeof range);
    return true;
}

static int by_low(const void *a, const void *b)
{
    const unit_range *x = a, *y = b;
    return (x->low > y->low) - (x->low < y->low);
}

/* Records the unit's DIE offset and code ranges; frees die. */
static void read_unit(dwarf_reader *r, Dwarf_Die die, unit *u, size_t index, di_vec *ranges)
{
    if (die_offset(r, die, &u->dwarf.die_offset)) {
        range_collector c = { ranges, index, false };
        die_ranges(r, die, &u->dwarf.info, collect_range, &c);
        if (c.out_of_memory)
            dwarf_note_problem(r, "out of memory reading unit ranges");
    }
    dwarf_dealloc_die(die);
}

static void read_units(debug_module *m)
{
    dwarf_reader *r = &m->reader;
    di_vec units = { 0 }, ranges = { 0 };
    for (;;) {
        unit u = { 0 };
        Dwarf_Die die = NULL;
        if (!dwarf_next_unit(r, &u.dwarf.info, &die))
            break;
        if (!di_vec_push(&units, &u, sizeof u)) {
            dwarf_note_problem(r, "out of memory reading compile units");
            if (die)
                dwarf_dealloc_die(die);
            break;
        }
        if (die)
            read_unit(r, die, (unit *)units.items + units.count - 1, units.count - 1, &ranges);
    }
    m->units = di_vec_to_arena(&units, r->arena, sizeof(unit), &m->n_units);
    if (m->n_units == 0)
        ranges.count = 0;
    if (ranges.count)
        qsort(ranges.items, ranges.count, sizeof(unit_range), by_low);
    m->ranges = di_vec_to_arena(&ranges, r->arena, sizeof(unit_range), &m->n_ranges);
}

/* Opens the module's DWARF on first use; false (with m->unavailable) when it has none. */
static bool open_dwarf(debug_module *m)
{
    if (m->opened)
        return !m->unavailable[0];
    m->opened = true;
    dwarf_reader *r = &m->reader;
    int rc = dwarf_init_path(m->path, NULL, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL,
                             &r->dbg, NULL, 0, NULL, &r->err);
    if (rc == DW_DLV_ERROR) {
        dwarf_note_problem(r, "libdwarf cannot read the file");
        snprintf(m->unavailable, sizeof m->unavailable,
                 "cannot read the debug information of %s (%s)", path_base_name(m->path),
                 r->problem);
        r->dbg = NULL;
        return false;
    }
    if (rc == DW_DLV_OK)
        read_units(m);
    if (m->n_units == 0) {
        snprintf(m->unavailable, sizeof m->unavailable, "no debug information for %s",
                 path_base_name(m->path));
        return false;
    }
    log_problem(m);
    return true;
}

/* The module containing runtime address pc, with its DWARF open; NULL with reason. */
static debug_module *module_at(sym_index *idx, uintptr_t pc, char *reason, size_t reason_len)
{
    sym_module_info info;
    if (!sym_module_at(idx, pc, &info)) {
        snprintf(reason, reason_len, "no loaded module contains 0x%lx", (unsigned long)pc);
        return NULL;
    }
    debug_module *m = module_of(&info);
    if (!m) {
        snprintf(reason, reason_len, "out of memory");
        return NULL;
    }
    if (!open_dwarf(m)) {
        snprintf(reason, reason_len, "%s", m->unavailable);
        return NULL;
    }
    return m;
}

static unit *unit_at(debug_module *m, uint64_t link_pc)
{
    size_t lo = 0, hi = m->n_ranges; /* first range with low > link_pc */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->ranges[mid].low <= link_pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i-- > 0;)
        if (link_pc < m->ranges[i].high)
            return &m->units[m->ranges[i].unit];
    return NULL;
}

static void read_unit_variables(debug_module *m, unit *u)
{
    if (u->variables_read)
        return;
    u->variables_read = true;
    dwarf_unit_variables(&m->reader, &m->types, &u->dwarf, m->bias, &u->globals, &u->n_globals,
                         &u->statics, &u->n_statics);
    log_problem(m);
}

/* ---- scopes ---- */

/* The chain's statics: the functions' own, then the unit's. */
static bool join_statics(debug_module *m, const unit *u, dscope_chain *chain)
{
    size_t n = chain->n_statics + u->n_statics;
    if (n == chain->n_statics)
        return true;
    dvar *joined = di_arena_alloc(m->reader.arena, n * sizeof *joined);
    if (!joined)
        return false;
    if (chain->n_statics)
        memcpy(joined, chain->statics, chain->n_statics * sizeof *joined);
    memcpy(joined + chain->n_statics, u->statics, u->n_statics * sizeof *joined);
    chain->statics = joined;
    chain->n_statics = n;
    return true;
}

bool debuginfo_scope_at(sym_index *idx, uintptr_t pc, bool is_return_address, dscope_chain *out,
                        char *reason, size_t reason_len)
{
    uintptr_t address = is_return_address ? pc - 1 : pc;
    debug_module *m = module_at(idx, address, reason, reason_len);
    if (!m)
        return false;
    uint64_t link_pc = address - m->bias;
    const dscope_chain *cached = di_map_get(&m->chains, link_pc);
    if (cached) {
        *out = *cached;
        return true;
    }
    unit *u = unit_at(m, link_pc);
    dscope_chain chain;
    if (!u || !dwarf_scopes_at(&m->reader, &m->types, &u->dwarf, link_pc, m->bias, &chain)) {
        log_problem(m);
        snprintf(reason, reason_len, "no function in the debug information of %s contains 0x%lx",
                 path_base_name(m->path), (unsigned long)pc);
        return false;
    }
    read_unit_variables(m, u);
    chain.globals = u->globals;
    chain.n_globals = u->n_globals;
    chain.load_bias = m->bias;
    chain.debug_addr = dwarf_addr_lookup;
    chain.debug_addr_ctx = &u->dwarf.addrs;
    dscope_chain *stored = join_statics(m, u, &chain)
                               ? di_arena_copy(m->reader.arena, &chain, sizeof chain)
                               : NULL;
    if (!stored || !di_map_put(&m->chains, link_pc, stored)) {
        snprintf(reason, reason_len, "out of memory");
        return false;
    }
    log_problem(m);
    *out = *stored;
    return true;
}

/* ---- variables by name ---- */

static const dvar *find_in(const dvar *vars, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(vars[i].name, name) == 0)
            return &vars[i];
    return NULL;
}

typedef enum { SEARCH_GLOBALS, SEARCH_STATICS } search_kind;

/* Variables of kind `what` in every unit of every module with DWARF. */
static const dvar *find_everywhere(sym_index *idx, const char *name, search_kind what)
{
    sym_module_info info;
    for (size_t i = 0; sym_module_get(idx, i, &info); i++) {
        debug_module *m = module_of(&info);
        if (!m || !open_dwarf(m))
            continue;
        for (size_t k = 0; k < m->n_units; k++) {
            unit *u = &m->units[k];
            read_unit_variables(m, u);
            const dvar *found = what == SEARCH_GLOBALS ? find_in(u->globals, u->n_globals, name)
                                                       : find_in(u->statics, u->n_statics, name);
            if (found)
                return found;
        }
    }
    return NULL;
}

const dvar *debuginfo_find_variable(sym_index *idx, uintptr_t pc, const char *name)
{
    dscope_chain chain;
    char reason[256];
    if (debuginfo_scope_at(idx, pc, false, &chain, reason, sizeof reason)) {
        const dvar *found = find_in(chain.statics, chain.n_statics, name);
        if (!found)
            found = find_in(chain.globals, chain.n_globals, name);
        if (found)
            return found;
    } else {
        debug_module *m = module_at(idx, pc, reason, sizeof reason);
        unit *u = m ? unit_at(m, pc - m->bias) : NULL;
        if (u) {
            read_unit_variables(m, u);
            const dvar *found = find_in(u->statics, u->n_statics, name);
            if (!found)
                found = find_in(u->globals, u->n_globals, name);
            if (found)
                return found;
        }
    }
    const dvar *found = find_everywhere(idx, name, SEARCH_GLOBALS);
    return found ? found : find_everywhere(idx, name, SEARCH_STATICS);
}

/* ---- types by name ---- */

static bool is_named_type_tag(Dwarf_Half tag)
{
    return tag == DW_TAG_base_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
           tag == DW_TAG_enumeration_type || tag == DW_TAG_typedef;
}

/* The unit's top-level named types, read once. */
static void index_types(debug_module *m, unit *u)
{
    if (u->types_indexed)
        return;
    u->types_indexed = true;
    dwarf_reader *r = &m->reader;
    di_vec types = { 0 };
    Dwarf_Die cu = die_at(r, u->dwarf.die_offset);
    for (Dwarf_Die child = cu ? die_first_child(r, cu) : NULL; child;
         child = die_next_sibling(r, child)) {
        named_type t = { .tag = die_tag(r, child) };
        if (!is_named_type_tag(t.tag) || !die_offset(r, child, &t.offset))
            continue;
        t.name = die_name(r, child);
        char canonical[TYPE_NAME_MAX];
        if (t.name && t.tag == DW_TAG_base_type &&
            dtype_base_name(t.name, canonical, sizeof canonical))
            t.name = di_arena_strdup(r->arena, canonical);
        t.declaration = die_flag(r, child, DW_AT_declaration);
        if (t.name && !di_vec_push(&types, &t, sizeof t))
            dwarf_note_problem(r, "out of memory indexing type names");
    }
    if (cu)
        dwarf_dealloc_die(cu);
    u->types = di_vec_to_arena(&types, r->arena, sizeof(named_type), &u->n_types);
    log_problem(m);
}

/* A C type name taken apart: "const struct req *" -> tag structure_type, "req", 1 pointer. */
typedef struct type_query {
    Dwarf_Half tag;
    char name[TYPE_NAME_MAX];
    int pointers;
} type_query;

static bool parse_type_name(const char *text, type_query *q)
{
    char copy[TYPE_NAME_MAX];
    if (snprintf(copy, sizeof copy, "%s", text) >= (int)sizeof copy)
        return false;
    *q = (type_query){ .tag = DW_TAG_typedef };
    char *end = copy + strlen(copy);
    while (end > copy && (end[-1] == ' ' || end[-1] == '*'))
        q->pointers += *--end == '*';
    *end = '\0';
    static const struct { const char *keyword; Dwarf_Half tag; } tags[] = {
        { "struct", DW_TAG_structure_type },
        { "union", DW_TAG_union_type },
        { "enum", DW_TAG_enumeration_type },
    };
    char words[TYPE_NAME_MAX] = "";
    size_t n_words = 0;
    char *save = NULL;
    for (char *word = strtok_r(copy, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
        if (strcmp(word, "const") == 0 || strcmp(word, "volatile") == 0)
            continue;
        bool is_tag = false;
        for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
            if (n_words == 0 && strcmp(word, tags[i].keyword) == 0) {
                q->tag = tags[i].tag;
                is_tag = true;
            }
        }
        if (is_tag)
            continue;
        if (n_words++)
            strcat(words, " ");
        strcat(words, word);
    }
    if (n_words == 0)
        return false;
    if (q->tag == DW_TAG_typedef && dtype_base_name(words, q->name, sizeof q->name)) {
        q->tag = DW_TAG_base_type;
        return true;
    }
    snprintf(q->name, sizeof q->name, "%s", words);
    return n_words == 1;
}

typedef struct type_match {
    debug_module *module;
    Dwarf_Off offset;
    bool found, declaration;
} type_match;

/* Looks in one unit; a definition ends the search, a declaration is kept as a fallback. */
static bool match_in_unit(debug_module *m, unit *u, const type_query *q, type_match *best)
{
    index_types(m, u);
    for (size_t i = 0; i < u->n_types; i++) {
        const named_type *t = &u->types[i];
        if (t->tag != q->tag || strcmp(t->name, q->name) != 0)
            continue;
        if (!best->found || (best->declaration && !t->declaration))
            *best = (type_match){ m, t->offset, true, t->declaration };
        if (!t->declaration)
            return true;
    }
    return false;
}

static bool match_in_module(debug_module *m, const type_query *q, type_match *best)
{
    for (size_t i = 0; i < m->n_units; i++)
        if (match_in_unit(m, &m->units[i], q, best))
            return true;
    return false;
}

static void find_named_type(sym_index *idx, uintptr_t pc, const type_query *q,
                            type_match *best)
{
    char reason[256];
    debug_module *home = module_at(idx, pc, reason, sizeof reason);
    unit *u = home ? unit_at(home, pc - home->bias) : NULL;
    if ((u && match_in_unit(home, u, q, best)) || (home && match_in_module(home, q, best)))
        return;
    sym_module_info info;
    for (size_t i = 0; sym_module_get(idx, i, &info); i++) {
        debug_module *m = module_of(&info);
        if (m && m != home && open_dwarf(m) && match_in_module(m, q, best))
            return;
    }
}

const dtype *debuginfo_find_type(sym_index *idx, uintptr_t pc, const char *name)
{
    type_query q;
    if (!parse_type_name(name, &q))
        return NULL;
    type_match best = { 0 };
    find_named_type(idx, pc, &q, &best);
    const dtype *t = NULL;
    if (best.found) {
        t = dwarf_type_at(&best.module->reader, &best.module->types, best.offset);
        log_problem(best.module);
    } else if (q.tag == DW_TAG_base_type) {
        t = dtype_builtin(q.name);
    }
    for (int i = 0; t && i < q.pointers; i++)
        t = debuginfo_pointer_to(idx, t);
    return t;
}

/* ---- synthesised types ---- */

/* The module whose arena holds t; for types made without DWARF (builtins), the executable's. */
static debug_module *owner_of(sym_index *idx, const dtype *t)
{
    sym_module_info info, fallback = { 0 };
    for (size_t i = 0; sym_module_get(idx, i, &info); i++) {
        debug_module *m = info.ext->data;
        if (t && m && di_arena_owns(m->reader.arena, t))
            return m;
        if (i == 0 || strcmp(info.path, sym_main_path(idx)) == 0)
            fallback = info;
    }
    return fallback.ext ? module_of(&fallback) : NULL;
}

const dtype *debuginfo_pointer_to(sym_index *idx, const dtype *t)
{
    debug_module *m = owner_of(idx, t);
    return m ? dwarf_pointer_type(m->reader.arena, &m->types, t) : NULL;
}

const dtype *debuginfo_builtin_type(sym_index *idx, const char *name)
{
    (void)idx;
    const dtype *t = dtype_builtin(name);
    return t ? t : dtype_builtin("void"); /* not a base type name: void, which has no value */
}
