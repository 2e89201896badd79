/* Reading a reload_view (reload_view.h) from a module's DWARF with its own libdwarf
 * handle: every unit's functions, globals, file and function statics, and tag definitions. */
#include "reload_view.h"

#include "dwarf_die.h"
#include "dwarf_expr.h"
#include "dwarf_locations.h"
#include "dwarf_scopes.h"
#include "dwarf_types.h"
#include "log.h"
#include "path_match.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY_MAX 512
#define MAX_BLOCK_DEPTH 64 /* nested lexical blocks searched for function statics */

typedef struct view_builder {
    dwarf_reader r;
    dwarf_types types;
    uint64_t bias;
    size_t n_units;        /* units whose DIE was read */
    di_vec units;          /* dwarf_unit *: their .debug_addr maps, freed when reading ends */
    di_vec functions, variables, definitions;
    bool out_of_memory;    /* a list is incomplete: the view cannot be trusted */
} view_builder;

/* ---- names and keys ---- */

/* The library's file name for messages: the base name of path, or for a /proc/self/fd/N link to
 * a memfd ("/memfd:libhandlers.so (deleted)") the name the memfd was made with. */
static void module_name(const char *path, char *out, size_t len)
{
    static const char fd_dir[] = "/proc/self/fd/", memfd[] = "/memfd:", deleted[] = " (deleted)";
    char target[PATH_MAX];
    ssize_t n = strncmp(path, fd_dir, sizeof fd_dir - 1) == 0
                    ? readlink(path, target, sizeof target - 1)
                    : -1;
    if (n <= 0 || strncmp(target, memfd, sizeof memfd - 1) != 0) {
        snprintf(out, len, "%s", path_base_name(path));
        return;
    }
    target[n] = '\0';
    size_t name_len = (size_t)n - (sizeof memfd - 1);
    if (name_len >= sizeof deleted - 1 &&
        strcmp(target + n - (sizeof deleted - 1), deleted) == 0)
        name_len -= sizeof deleted - 1;
    snprintf(out, len, "%.*s", (int)name_len, target + sizeof memfd - 1);
}

/* A key formatted into the arena; NULL when out of memory or too long. */
static const char *make_key(view_builder *b, const char *format, ...)
{
    char key[KEY_MAX];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(key, sizeof key, format, args);
    va_end(args);
    return n >= 0 && (size_t)n < sizeof key ? di_arena_strdup(b->r.arena, key) : NULL;
}

bool reload_tag_key(const dtype *t, char *out, size_t len)
{
    static const char *const keywords[] = {
        [DT_STRUCT] = "struct", [DT_UNION] = "union", [DT_ENUM] = "enum",
    };
    bool tagged = t && t->name &&
                  (t->kind == DT_STRUCT || t->kind == DT_UNION || t->kind == DT_ENUM);
    if (len)
        snprintf(out, len, "%s%s%s", tagged ? keywords[t->kind] : "", tagged ? " " : "",
                 tagged ? t->name : "");
    return tagged;
}

static void push_entry(view_builder *b, di_vec *list, const void *entry, size_t size)
{
    b->out_of_memory |= !di_vec_push(list, entry, size);
}

/* ---- variables ---- */

/* The runtime address of a variable at a fixed address (DW_OP_addr, DW_OP_addrx). */
static bool fixed_address(const dvar *var, dwarf_unit *unit, uint64_t bias, uintptr_t *out)
{
    dwarf_expr_env env = {
        .load_bias = bias, .debug_addr = dwarf_addr_lookup, .debug_addr_ctx = &unit->addrs,
        .address_size = 8,
    };
    dwarf_location where;
    if (dwarf_expr_eval(var->expr, var->expr_len, &env, &where, NULL, 0) != DWARF_EXPR_OK ||
        where.n_pieces != 1 || where.pieces[0].kind != LOCATION_MEMORY)
        return false;
    *out = (uintptr_t)where.pieces[0].address;
    return true;
}

/* Lists var under key when its storage is fixed (an address, or thread-local storage). */
static void add_variable(view_builder *b, dwarf_unit *unit, const dvar *var, const char *key)
{
    if (!key || !var->expr || !dwarf_location_is_static(var->expr, var->expr_len))
        return;
    view_variable v = {
        .k.key = key, .type = var->type, .size = dtype_strip(var->type)->size,
        .is_static = var->kind == DVAR_STATIC,
        .thread_local = dwarf_location_is_thread_local(var->expr, var->expr_len),
    };
    if (!v.thread_local && !fixed_address(var, unit, b->bias, &v.address))
        return;
    v.k.identity = v.address;
    push_entry(b, &b->variables, &v, sizeof v);
}

/* Statics of a function (prefix "file.c:function"), in its body and nested blocks. */
static void read_function_statics(view_builder *b, dwarf_unit *unit, const char *prefix,
                                  Dwarf_Die scope, int depth)
{
    dwarf_reader *r = &b->r;
    for (Dwarf_Die child = die_first_child(r, scope); child; child = die_next_sibling(r, child)) {
        Dwarf_Half tag = die_tag(r, child);
        dvar var;
        if (tag == DW_TAG_lexical_block && depth < MAX_BLOCK_DEPTH)
            read_function_statics(b, unit, prefix, child, depth + 1);
        else if (tag == DW_TAG_variable &&
                 dwarf_variable_read(r, &b->types, unit, b->bias, child, DVAR_STATIC, &var))
            add_variable(b, unit, &var, make_key(b, "%s:%s", prefix, var.name));
    }
}

/* ---- functions and type definitions ---- */

/* A function with code in the module, by the DIE that names it: an out-of-line copy or clone of
 * an inlined function has its origin's signature. Functions without code (inlined everywhere, or
 * extern inline ones of headers, defined elsewhere) cannot be redirected: not listed. */
static void add_function(view_builder *b, const char *file, Dwarf_Die die)
{
    dwarf_reader *r = &b->r;
    if (!die_has(r, die, DW_AT_low_pc) && !die_has(r, die, DW_AT_ranges))
        return;
    Dwarf_Die named = die_holding(r, die, DW_AT_name);
    Dwarf_Off offset = 0;
    const char *name = named ? die_name(r, named) : NULL;
    if (name && die_offset(r, named, &offset)) {
        bool external = die_flag(r, named, DW_AT_external);
        view_function f = {
            .k = { external ? name : make_key(b, "%s:%s", file, name), offset },
            .signature = dwarf_type_at(r, &b->types, offset),
        };
        if (f.k.key)
            push_entry(b, &b->functions, &f, sizeof f);
    }
    die_release(named, die);
}

static void add_definition(view_builder *b, Dwarf_Die die)
{
    dwarf_reader *r = &b->r;
    Dwarf_Off offset = 0;
    char key[KEY_MAX];
    if (die_flag(r, die, DW_AT_declaration) || !die_offset(r, die, &offset))
        return;
    view_definition d = { .k.identity = offset, .type = dwarf_type_at(r, &b->types, offset) };
    if (reload_tag_key(d.type, key, sizeof key) && (d.k.key = make_key(b, "%s", key)))
        push_entry(b, &b->definitions, &d, sizeof d);
}

/* ---- units ---- */

static void read_unit(view_builder *b, dwarf_unit *unit, Dwarf_Die cu)
{
    dwarf_reader *r = &b->r;
    const char *path = die_name(r, cu);
    const char *file = path ? path_base_name(path) : "?";
    dvar *globals = NULL, *statics = NULL;
    size_t n_globals = 0, n_statics = 0;
    dwarf_unit_variables(r, &b->types, unit, b->bias, &globals, &n_globals, &statics, &n_statics);
    for (size_t i = 0; i < n_globals; i++)
        add_variable(b, unit, &globals[i], globals[i].name);
    for (size_t i = 0; i < n_statics; i++)
        add_variable(b, unit, &statics[i], make_key(b, "%s:%s", file, statics[i].name));
    for (Dwarf_Die child = die_first_child(r, cu); child; child = die_next_sibling(r, child)) {
        Dwarf_Half tag = die_tag(r, child);
        if (tag == DW_TAG_subprogram) {
            add_function(b, file, child);
            const char *function = die_name(r, child);
            const char *prefix = function ? make_key(b, "%s:%s", file, function) : NULL;
            if (prefix)
                read_function_statics(b, unit, prefix, child, 0);
        } else if (tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
                   tag == DW_TAG_union_type || tag == DW_TAG_enumeration_type) {
            add_definition(b, child);
        }
    }
}

static void read_units(view_builder *b)
{
    dwarf_reader *r = &b->r;
    for (;;) {
        dwarf_unit_info info;
        Dwarf_Die cu = NULL;
        if (!dwarf_next_unit(r, &info, &cu))
            break;
        if (!cu)
            continue;
        dwarf_unit *unit = di_arena_alloc(r->arena, sizeof *unit);
        if (!unit || !di_vec_push(&b->units, &unit, sizeof unit)) {
            b->out_of_memory = true;
            dwarf_dealloc_die(cu);
            break;
        }
        b->n_units++;
        unit->info = info;
        if (die_offset(r, cu, &unit->die_offset))
            read_unit(b, unit, cu);
        dwarf_dealloc_die(cu);
    }
}

/* ---- keyed lists ---- */

static int by_key(const void *a, const void *b)
{
    const view_key *x = a, *y = b;
    int order = strcmp(x->key, y->key);
    return order ? order : (x->identity > y->identity) - (x->identity < y->identity);
}

/* Sorts a list of entries starting with a view_key and keeps one entry per key: with keep_first
 * the first by identity, otherwise the key's only identity (an ambiguous key is dropped). */
static void *settle_list(view_builder *b, di_vec *list, size_t size, bool keep_first,
                         size_t *count)
{
    unsigned char *items = list->items;
    if (list->count)
        qsort(items, list->count, size, by_key);
    size_t kept = 0;
    for (size_t i = 0; i < list->count;) {
        const view_key *first = (const view_key *)(items + i * size);
        size_t end = i + 1;
        bool ambiguous = false;
        for (; end < list->count; end++) {
            const view_key *k = (const view_key *)(items + end * size);
            if (strcmp(k->key, first->key) != 0)
                break;
            ambiguous |= k->identity != first->identity;
        }
        if (keep_first || !ambiguous)
            memmove(items + kept++ * size, first, size);
        else
            log_info("reload: %s names several things in one module: left out", first->key);
        i = end;
    }
    list->count = kept;
    void *settled = di_vec_to_arena(list, b->r.arena, size, count);
    b->out_of_memory |= kept && !settled;
    return settled;
}

static const void *find_key(const void *items, size_t count, size_t size, const char *key)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const view_key *k = (const view_key *)((const unsigned char *)items + mid * size);
        int order = strcmp(key, k->key);
        if (order == 0)
            return k;
        if (order < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const view_function *reload_view_function(const reload_view *v, const char *key)
{
    return find_key(v->functions, v->n_functions, sizeof *v->functions, key);
}

const view_variable *reload_view_variable(const reload_view *v, const char *key)
{
    return find_key(v->variables, v->n_variables, sizeof *v->variables, key);
}

const dtype *reload_view_definition(const reload_view *v, const dtype *t)
{
    char key[KEY_MAX];
    if (!reload_tag_key(t, key, sizeof key))
        return NULL;
    const view_definition *d =
        find_key(v->definitions, v->n_definitions, sizeof *v->definitions, key);
    return d ? d->type : NULL;
}

/* ---- the view ---- */

/* Ends reading: libdwarf and the reading caches go, the lists move into the view. */
static void finish_reading(view_builder *b, reload_view *v, const char *name)
{
    dwarf_unit **units = (dwarf_unit **)b->units.items;
    for (size_t i = 0; i < b->units.count; i++)
        di_map_free(&units[i]->addrs);
    di_vec_free(&b->units);
    if (b->r.dbg && dwarf_finish(b->r.dbg, &b->r.err) != DW_DLV_OK)
        log_warn("reload: closing the DWARF of %s failed", name);
    dwarf_types_free(&b->types);
    if (b->r.problem[0])
        log_warn("reload: DWARF of %s: %s", name, b->r.problem);
    v->arena = b->r.arena;
    v->functions = settle_list(b, &b->functions, sizeof(view_function), false, &v->n_functions);
    v->variables = settle_list(b, &b->variables, sizeof(view_variable), false, &v->n_variables);
    v->definitions =
        settle_list(b, &b->definitions, sizeof(view_definition), true, &v->n_definitions);
}

reload_view *reload_view_read(const char *path, uintptr_t bias, char *err, size_t err_len)
{
    char name[256];
    module_name(path, name, sizeof name);
    if (access(path, R_OK) != 0) {
        snprintf(err, err_len, "cannot read %s: %s", name, strerror(errno));
        return NULL;
    }
    reload_view *v = calloc(1, sizeof *v);
    view_builder b = { .bias = bias, .r.arena = di_arena_create() };
    if (!v || !b.r.arena) {
        snprintf(err, err_len, "out of memory");
        free(v);
        di_arena_destroy(b.r.arena);
        return NULL;
    }
    int rc = dwarf_init_path(path, NULL, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL,
                             &b.r.dbg, NULL, 0, NULL, &b.r.err);
    if (rc == DW_DLV_ERROR) {
        dwarf_note_problem(&b.r, "libdwarf cannot read the file");
        b.r.dbg = NULL;
    } else if (rc == DW_DLV_OK) {
        read_units(&b);
    }
    finish_reading(&b, v, name);
    if (rc == DW_DLV_ERROR || b.n_units == 0 || b.out_of_memory) {
        if (b.out_of_memory)
            snprintf(err, err_len, "out of memory reading the debug information of %s", name);
        else if (rc == DW_DLV_ERROR)
            snprintf(err, err_len, "cannot read the debug information of %s (%s)", name,
                     b.r.problem);
        else
            snprintf(err, err_len, "%s has no debug information: build it with -g", name);
        reload_view_free(v);
        return NULL;
    }
    return v;
}

void reload_view_free(reload_view *v)
{
    if (!v)
        return;
    di_arena_destroy(v->arena);
    free(v);
}
