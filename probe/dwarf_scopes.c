/* Variables and scopes of one compile unit: variable DIEs -> dvar (names and types through origins,
 * locations from the concrete DIE), unit variables, and the walk to the scopes containing a pc. */
#include "dwarf_scopes.h"

#include "dwarf_locations.h"
#include "path_match.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SCOPE_DEPTH 64 /* nested blocks and inlined calls followed below a function */

typedef struct var_reader {
    dwarf_reader *r;
    dwarf_types *types;
    dwarf_unit *unit;
    uint64_t bias;
} var_reader;

static bool type_is_signed(const dtype *t)
{
    t = dtype_strip(t);
    return (t->kind == DT_BASE || t->kind == DT_ENUM) &&
           (t->encoding == DT_ENC_SIGNED || t->encoding == DT_ENC_SIGNED_CHAR);
}

static uint32_t decl_line(dwarf_reader *r, Dwarf_Die die)
{
    Dwarf_Die holder = die_holding(r, die, DW_AT_decl_line);
    uint64_t line = 0;
    if (holder && !die_unsigned(r, holder, DW_AT_decl_line, &line))
        line = 0;
    die_release(holder, die);
    return (uint32_t)line;
}

/* Reads a variable or parameter DIE; false (and nothing to list) when it has no name. */
static bool read_variable(const var_reader *v, Dwarf_Die die, dvar_kind kind, dvar *out)
{
    dwarf_reader *r = v->r;
    *out = (dvar){ .name = die_name(r, die), .kind = kind, .load_bias = v->bias };
    if (!out->name)
        return false;
    out->type = dwarf_type_of(r, v->types, die);
    out->decl_line = decl_line(r, die);
    dwarf_attr_location location;
    if (dwarf_location_read(r, die, DW_AT_location, &v->unit->info, v->bias, &v->unit->addrs,
                            &location)) {
        out->expr = location.expr;
        out->expr_len = location.expr_len;
        out->ranges = location.ranges;
        out->n_ranges = location.n_ranges;
    } else {
        out->has_const_value =
            dwarf_const_value_read(r, die, dtype_strip(out->type)->size,
                                   type_is_signed(out->type), &out->const_bytes, &out->const_len);
    }
    return true;
}

static bool is_static_storage(const dvar *var)
{
    return var->expr && dwarf_location_is_static(var->expr, var->expr_len);
}

/* "extern int x;": the variable is defined (and listed) where its definition is. */
static bool is_declaration_only(dwarf_reader *r, Dwarf_Die die)
{
    return die_flag(r, die, DW_AT_declaration) && !die_has(r, die, DW_AT_location) &&
           !die_has(r, die, DW_AT_const_value);
}

bool dwarf_variable_read(dwarf_reader *r, dwarf_types *types, dwarf_unit *unit, uint64_t bias,
                         Dwarf_Die die, dvar_kind kind, dvar *out)
{
    var_reader v = { r, types, unit, bias };
    return !is_declaration_only(r, die) && read_variable(&v, die, kind, out);
}

static void push_variable(dwarf_reader *r, di_vec *list, const dvar *var)
{
    if (!di_vec_push(list, var, sizeof *var))
        dwarf_note_problem(r, "out of memory listing variables");
}

void dwarf_unit_variables(dwarf_reader *r, dwarf_types *types, dwarf_unit *unit, uint64_t bias,
                          dvar **globals, size_t *n_globals, dvar **statics, size_t *n_statics)
{
    var_reader v = { r, types, unit, bias };
    di_vec global_list = { 0 }, static_list = { 0 };
    Dwarf_Die cu = die_at(r, unit->die_offset);
    for (Dwarf_Die child = cu ? die_first_child(r, cu) : NULL; child;
         child = die_next_sibling(r, child)) {
        if (die_tag(r, child) != DW_TAG_variable || is_declaration_only(r, child))
            continue;
        Dwarf_Die holder = die_holding(r, child, DW_AT_external);
        bool external = holder && die_flag(r, holder, DW_AT_external);
        die_release(holder, child);
        dvar var;
        if (read_variable(&v, child, external ? DVAR_GLOBAL : DVAR_STATIC, &var))
            push_variable(r, external ? &global_list : &static_list, &var);
    }
    if (cu)
        dwarf_dealloc_die(cu);
    *globals = di_vec_to_arena(&global_list, r->arena, sizeof(dvar), n_globals);
    *statics = di_vec_to_arena(&static_list, r->arena, sizeof(dvar), n_statics);
}

/* ---- the file table, for DW_AT_call_file ---- */

static void read_files(dwarf_reader *r, dwarf_unit *unit)
{
    unit->files_read = true;
    unit->files_base = unit->info.version >= 5 ? 0 : 1;
    Dwarf_Die cu = die_at(r, unit->die_offset);
    char **names = NULL;
    Dwarf_Signed count = 0;
    if (!cu || !dwarf_call_ok(r, dwarf_srcfiles(cu, &names, &count, &r->err),
                              "reading a unit's file names")) {
        if (cu)
            dwarf_dealloc_die(cu);
        return;
    }
    unit->files = di_arena_alloc(r->arena, (size_t)count * sizeof *unit->files);
    for (Dwarf_Signed i = 0; i < count; i++) {
        if (unit->files) {
            char *copy = (char *)di_arena_strdup(r->arena, names[i]);
            if (copy)
                path_normalize(copy);
            unit->files[i] = copy;
        }
        dwarf_dealloc(r->dbg, names[i], DW_DLA_STRING);
    }
    dwarf_dealloc(r->dbg, names, DW_DLA_LIST);
    unit->n_files = unit->files ? (size_t)count : 0;
    dwarf_dealloc_die(cu);
}

static const char *file_name(dwarf_reader *r, dwarf_unit *unit, uint64_t number)
{
    if (!unit->files_read)
        read_files(r, unit);
    if (number < unit->files_base || number - unit->files_base >= unit->n_files)
        return NULL;
    return unit->files[number - unit->files_base];
}

/* ---- the walk to pc ---- */

typedef struct scope_path {
    Dwarf_Die dies[MAX_SCOPE_DEPTH]; /* the subprogram, then blocks and inlined calls */
    Dwarf_Half tags[MAX_SCOPE_DEPTH];
    size_t n;
} scope_path;

static Dwarf_Die subprogram_at(dwarf_reader *r, const dwarf_unit *unit, uint64_t pc)
{
    Dwarf_Die cu = die_at(r, unit->die_offset);
    Dwarf_Die found = NULL;
    for (Dwarf_Die child = cu ? die_first_child(r, cu) : NULL; child;
         child = die_next_sibling(r, child)) {
        if (die_tag(r, child) == DW_TAG_subprogram && die_contains(r, child, &unit->info, pc)) {
            found = child;
            break;
        }
    }
    if (cu)
        dwarf_dealloc_die(cu);
    return found;
}

/* The lexical block or inlined call among die's children that contains pc; NULL. */
static Dwarf_Die inner_scope_at(dwarf_reader *r, const dwarf_unit *unit, Dwarf_Die die,
                                uint64_t pc, Dwarf_Half *tag)
{
    for (Dwarf_Die child = die_first_child(r, die); child; child = die_next_sibling(r, child)) {
        *tag = die_tag(r, child);
        if ((*tag == DW_TAG_lexical_block || *tag == DW_TAG_inlined_subroutine) &&
            die_contains(r, child, &unit->info, pc))
            return child;
    }
    return NULL;
}

static void walk_to(dwarf_reader *r, const dwarf_unit *unit, Dwarf_Die function, uint64_t pc,
                    scope_path *path)
{
    path->dies[0] = function;
    path->tags[0] = DW_TAG_subprogram;
    path->n = 1;
    Dwarf_Half tag = 0;
    for (Dwarf_Die inner; (inner = inner_scope_at(r, unit, path->dies[path->n - 1], pc, &tag));) {
        if (path->n == MAX_SCOPE_DEPTH) {
            dwarf_note_problem(r, "blocks nested too deeply: the innermost are left out");
            dwarf_dealloc_die(inner);
            return;
        }
        path->dies[path->n] = inner;
        path->tags[path->n++] = tag;
    }
}

/* ---- building the chain ---- */

typedef struct chain_builder {
    var_reader v;
    di_vec statics; /* function statics met on the way */
} chain_builder;

static void read_params(chain_builder *b, Dwarf_Die function, dscope *scope)
{
    dwarf_reader *r = b->v.r;
    di_vec params = { 0 };
    for (Dwarf_Die child = die_first_child(r, function); child;
         child = die_next_sibling(r, child)) {
        dvar var;
        if (die_tag(r, child) == DW_TAG_formal_parameter &&
            read_variable(&b->v, child, DVAR_PARAM, &var))
            push_variable(r, &params, &var);
    }
    scope->params = di_vec_to_arena(&params, r->arena, sizeof(dvar), &scope->n_params);
}

static bool same_variable(const dvar *a, const dvar *b)
{
    return strcmp(a->name, b->name) == 0 && a->expr_len == b->expr_len &&
           memcmp(a->expr, b->expr, a->expr_len) == 0;
}

static void add_static(chain_builder *b, dvar *var)
{
    const dvar *known = (const dvar *)b->statics.items;
    for (size_t i = 0; i < b->statics.count; i++)
        if (same_variable(&known[i], var))
            return;
    var->kind = DVAR_STATIC;
    push_variable(b->v.r, &b->statics, var);
}

/* Function statics of an inlined or out-of-line copy live in its abstract origin only. */
static void read_origin_statics(chain_builder *b, Dwarf_Die die)
{
    dwarf_reader *r = b->v.r;
    Dwarf_Die origin = die_referenced(r, die, DW_AT_abstract_origin);
    if (!origin)
        return;
    for (Dwarf_Die child = die_first_child(r, origin); child;
         child = die_next_sibling(r, child)) {
        dvar var;
        if (die_tag(r, child) == DW_TAG_variable && !is_declaration_only(r, child) &&
            read_variable(&b->v, child, DVAR_STATIC, &var) && is_static_storage(&var))
            add_static(b, &var);
    }
    dwarf_dealloc_die(origin);
}

/* Variables of path->dies[begin..end), innermost first; function statics go to b->statics. */
static void read_locals(chain_builder *b, const scope_path *path, size_t begin, size_t end,
                        dscope *scope)
{
    dwarf_reader *r = b->v.r;
    di_vec locals = { 0 };
    for (size_t i = end; i-- > begin;) {
        for (Dwarf_Die child = die_first_child(r, path->dies[i]); child;
             child = die_next_sibling(r, child)) {
            dvar var;
            if (die_tag(r, child) != DW_TAG_variable || is_declaration_only(r, child) ||
                !read_variable(&b->v, child, DVAR_LOCAL, &var))
                continue;
            if (is_static_storage(&var))
                add_static(b, &var);
            else
                push_variable(r, &locals, &var);
        }
        read_origin_statics(b, path->dies[i]);
    }
    scope->locals = di_vec_to_arena(&locals, r->arena, sizeof(dvar), &scope->n_locals);
}

static void read_call_site(chain_builder *b, Dwarf_Die inlined, dscope *scope)
{
    dwarf_reader *r = b->v.r;
    uint64_t file = 0, line = 0;
    if (die_unsigned(r, inlined, DW_AT_call_file, &file))
        scope->call_file = file_name(r, b->v.unit, file);
    if (die_unsigned(r, inlined, DW_AT_call_line, &line))
        scope->call_line = (uint32_t)line;
}

/* DW_AT_frame_base of the concrete function: its expression, or the list entry at pc. */
static void read_frame_base(chain_builder *b, Dwarf_Die function, uint64_t pc,
                            dscope_chain *out)
{
    const var_reader *v = &b->v;
    dwarf_attr_location base;
    if (!dwarf_location_read(v->r, function, DW_AT_frame_base, &v->unit->info, v->bias,
                             &v->unit->addrs, &base))
        return;
    out->frame_base = base.expr;
    out->frame_base_len = base.expr_len;
    for (size_t i = 0; i < base.n_ranges && !out->frame_base; i++) {
        if (pc + v->bias >= base.ranges[i].low && pc + v->bias < base.ranges[i].high) {
            out->frame_base = base.ranges[i].expr;
            out->frame_base_len = base.ranges[i].expr_len;
        }
    }
}

static void build_scopes(chain_builder *b, const scope_path *path, dscope_chain *out)
{
    dwarf_reader *r = b->v.r;
    size_t starts[MAX_SCOPE_DEPTH], n_scopes = 0; /* where each function's part of path begins */
    for (size_t i = 0; i < path->n; i++)
        if (path->tags[i] == DW_TAG_subprogram || path->tags[i] == DW_TAG_inlined_subroutine)
            starts[n_scopes++] = i;
    dscope *scopes = di_arena_alloc(r->arena, n_scopes * sizeof *scopes);
    if (!scopes) {
        dwarf_note_problem(r, "out of memory building scopes");
        return;
    }
    for (size_t s = 0; s < n_scopes; s++) {
        size_t begin = starts[s], end = s + 1 < n_scopes ? starts[s + 1] : path->n;
        dscope *scope = &scopes[n_scopes - 1 - s]; /* innermost first */
        scope->function = die_name(r, path->dies[begin]);
        read_params(b, path->dies[begin], scope);
        read_locals(b, path, begin, end, scope);
        if (path->tags[begin] == DW_TAG_inlined_subroutine)
            read_call_site(b, path->dies[begin], scope);
    }
    out->scopes = scopes;
    out->n_scopes = n_scopes;
}

bool dwarf_scopes_at(dwarf_reader *r, dwarf_types *types, dwarf_unit *unit, uint64_t pc,
                     uint64_t bias, dscope_chain *out)
{
    *out = (dscope_chain){ 0 };
    Dwarf_Die function = subprogram_at(r, unit, pc);
    if (!function)
        return false;
    scope_path path;
    walk_to(r, unit, function, pc, &path);
    chain_builder b = { .v = { r, types, unit, bias } };
    build_scopes(&b, &path, out);
    read_frame_base(&b, function, pc, out);
    out->statics = di_vec_to_arena(&b.statics, r->arena, sizeof(dvar), &out->n_statics);
    for (size_t i = 0; i < path.n; i++)
        dwarf_dealloc_die(path.dies[i]);
    return out->n_scopes > 0;
}
