/* Tests of the DWARF index of types, variables and scopes (probe/debuginfo.h) on the fixture
 * debuginfo_fixture.c, built at run time by gcc (-O0, -O2, DWARF 4 and 5) and clang, dlopen'ed. */
#include <criterion/criterion.h>

#include "debuginfo.h"
#include "fixture_lib.h"
#include "symbols.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LOCATIONS 4
#define TEXT_MAX 256

/* ---- fixture libraries ---- */

static fixture gcc_o0 = { .name = "o0", .compile = "cc -g -O0" };
static fixture gcc_o2 = { .name = "o2", .compile = "cc -g -O2" };
static fixture gcc_o2_dwarf4 = { .name = "o2-dwarf4", .compile = "cc -gdwarf-4 -O2" };
static fixture clang_o0 = { .name = "clang", .compile = "clang -g -O0" };
static fixture *const fixtures[] = { &gcc_o0, &gcc_o2, &gcc_o2_dwarf4, &clang_o0 };

static void build(fixture *f)
{
    fixture_build(f, "debuginfo_fixture.c", "libfixture.so");
}

static void remove_fixtures(void)
{
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++)
        fixture_remove(fixtures[i]);
}

static void build_gcc_o0(void) { build(&gcc_o0); }
static void build_gcc_o2(void) { build(&gcc_o2); }
static void build_gcc_o2_dwarf4(void) { build(&gcc_o2_dwarf4); }
static void build_clang_o0(void) { build(&clang_o0); }

static void *symbol(const fixture *f, const char *name)
{
    void *address = dlsym(f->handle, name);
    cr_assert_not_null(address, "dlsym %s: %s", name, dlerror());
    return address;
}

/* The line of the fixture that carries the comment MARK:name. */
static int marked_line(const fixture *f, const char *name)
{
    char tag[64], text[TEXT_MAX];
    snprintf(tag, sizeof tag, "MARK:%s ", name);
    FILE *in = fopen(f->source, "r");
    cr_assert_not_null(in);
    int line = 0, found = 0;
    while (!found && fgets(text, sizeof text, in)) {
        line++;
        if (strstr(text, tag))
            found = line;
    }
    fclose(in);
    cr_assert(found, "no MARK:%s in %s", name, f->source);
    return found;
}

/* The code addresses of a marked line. */
static size_t resolve_mark(sym_index *idx, const fixture *f, const char *mark,
                           sym_location *out)
{
    char path[TEXT_MAX], err[512] = "";
    snprintf(path, sizeof path, "%s/debuginfo_fixture.c", f->name);
    size_t n = sym_resolve_line(idx, path, marked_line(f, mark), out, MAX_LOCATIONS, err,
                                sizeof err);
    cr_assert_gt(n, 0, "%s: %s", path, err);
    return n;
}

static sym_index *new_index(void)
{
    sym_index *idx = sym_index_create();
    cr_assert_not_null(idx);
    return idx;
}

static dscope_chain scope_at(sym_index *idx, uintptr_t pc)
{
    dscope_chain chain;
    char reason[256] = "";
    cr_assert(debuginfo_scope_at(idx, pc, false, &chain, reason, sizeof reason),
              "no scope at %#lx: %s", (unsigned long)pc, reason);
    return chain;
}

/* ---- type helpers ---- */

static const dmember *member(const dtype *t, const char *name)
{
    t = dtype_strip(t);
    for (size_t i = 0; i < t->n_members; i++)
        if (t->members[i].name && strcmp(t->members[i].name, name) == 0)
            return &t->members[i];
    cr_assert_fail("no member %s in %s", name, t->name ? t->name : "?");
    return NULL;
}

static void expect_describe(const dtype *t, const char *expected)
{
    char text[TEXT_MAX];
    cr_assert_str_eq(dtype_describe(t, text, sizeof text), expected);
}

static void expect_enumerator(const dtype *t, size_t i, const char *name, int64_t value)
{
    cr_assert_lt(i, t->n_enumerators);
    cr_assert_str_eq(t->enumerators[i].name, name);
    cr_assert_eq(t->enumerators[i].value, value, "%s = %lld", name,
                 (long long)t->enumerators[i].value);
}

/* A bitfield read the way the header describes it, from an object's bytes. */
static int64_t bitfield_value(const void *object, const dmember *m)
{
    uint64_t raw = 0;
    size_t bytes = (m->bit_offset + m->bit_size + 7) / 8;
    cr_assert_leq(bytes, sizeof raw);
    memcpy(&raw, (const char *)object + m->offset, bytes);
    raw = (raw >> m->bit_offset) & ((1ull << m->bit_size) - 1);
    const dtype *t = dtype_strip(m->type);
    bool is_signed = t->encoding == DT_ENC_SIGNED;
    if (is_signed && (raw >> (m->bit_size - 1)) & 1)
        raw |= ~0ull << m->bit_size;
    return (int64_t)raw;
}

static const dtype *find_type(sym_index *idx, uintptr_t pc, const char *name)
{
    const dtype *t = debuginfo_find_type(idx, pc, name);
    cr_assert_not_null(t, "no type %s", name);
    return t;
}

/* The layout checks shared by the DWARF 5 and DWARF 4 builds. */
static void check_request_type(const fixture *f)
{
    sym_index *idx = new_index();
    uintptr_t pc = (uintptr_t)symbol(f, "fixture_work");
    const size_t *layout = symbol(f, "fixture_layout");
    const dtype *request = find_type(idx, pc, "struct request");
    cr_assert_eq(request->kind, DT_STRUCT);
    cr_assert_str_eq(request->name, "request");
    cr_assert_eq(request->size, layout[0]);
    cr_assert_not(request->declaration);
    expect_describe(request, "struct request");

    expect_describe(member(request, "name")->type, "const char *");
    const dmember *tag = member(request, "tag");
    expect_describe(tag->type, "char [16]");
    cr_assert_eq(tag->type->size, 16);

    const dmember *area = member(request, "area");
    cr_assert_eq(area->offset, layout[1]);
    expect_describe(area->type, "struct rect");
    const dmember *size = member(area->type, "size");
    cr_assert_eq(size->offset, 8, "the nested struct follows origin");
    expect_describe(size->type, "struct point");
    cr_assert_eq(member(size->type, "y")->offset, 4);

    const dmember *payload = member(request, "payload");
    cr_assert_eq(payload->offset, layout[2]);
    cr_assert_eq(payload->type->kind, DT_UNION);
    cr_assert_eq(payload->type->size, layout[6]);
    expect_describe(payload->type, "union value");
    cr_assert_eq(member(payload->type, "d")->offset, 0);
    expect_describe(member(payload->type, "bytes")->type, "unsigned char [8]");

    const dtype *color = member(request, "color")->type;
    cr_assert_eq(color->kind, DT_ENUM);
    expect_describe(color, "enum color");
    cr_assert_eq(color->encoding, DT_ENC_UNSIGNED);
    cr_assert_eq(color->n_enumerators, 3);
    expect_enumerator(color, 0, "RED", 0);
    expect_enumerator(color, 1, "GREEN", 5);
    expect_enumerator(color, 2, "BLUE", 6);
    const dtype *trend = member(request, "trend")->type;
    cr_assert_eq(trend->encoding, DT_ENC_SIGNED);
    expect_enumerator(trend, 0, "DOWN", -1);
    expect_enumerator(trend, 2, "UP", 1);

    const dmember *corners = member(request, "corners");
    cr_assert_eq(corners->offset, layout[4]);
    cr_assert_eq(corners->type->kind, DT_ARRAY);
    cr_assert(corners->type->count_known);
    cr_assert_eq(corners->type->count, 4);
    cr_assert_eq(corners->type->size, 32);
    expect_describe(corners->type, "struct point [4]");

    const dmember *matrix = member(request, "matrix");
    cr_assert_eq(matrix->offset, layout[5]);
    cr_assert_eq(matrix->type->count, 2);
    cr_assert_eq(matrix->type->target->kind, DT_ARRAY, "two dimensions: an array of arrays");
    cr_assert_eq(matrix->type->target->count, 3);
    cr_assert_eq(matrix->type->size, 24);
    expect_describe(matrix->type, "int [2][3]");

    const dtype *handler = member(request, "handler")->type;
    cr_assert_eq(handler->kind, DT_TYPEDEF);
    expect_describe(handler, "handler_fn");
    expect_describe(dtype_strip(handler), "int (*)(int, char *)");
    const dtype *function = dtype_strip(handler)->target;
    cr_assert_eq(function->kind, DT_FUNCTION);
    cr_assert_eq(function->n_params, 2);
    expect_describe(function->params[1], "char *");
    expect_describe(function->target, "int");

    const dtype *list = member(request, "list")->type;
    expect_describe(list, "node_t *");
    const dtype *node = dtype_strip(list->target);
    expect_describe(node, "struct node");
    cr_assert_eq(dtype_strip(member(node, "next")->type)->target, node,
                 "the self-reference leads back to the same node");

    const dtype *message = dtype_strip(member(request, "message")->type)->target;
    const dtype *data = member(message, "data")->type;
    cr_assert_eq(data->kind, DT_ARRAY);
    cr_assert_not(data->count_known, "a flexible array member has no count");
    sym_index_destroy(idx);
}

static void check_bitfields(const fixture *f)
{
    sym_index *idx = new_index();
    const size_t *layout = symbol(f, "fixture_layout");
    const void *flags_object = symbol(f, "fixture_flags");
    const dtype *flags = find_type(idx, (uintptr_t)symbol(f, "fixture_work"), "struct flags");
    cr_assert_eq(flags->size, layout[7]);
    const dmember *code = member(flags, "code");
    cr_assert_eq(code->bit_size, 10);
    cr_assert_eq(8 * code->offset + code->bit_offset, 5, "code starts at bit 5");
    cr_assert_eq(bitfield_value(flags_object, member(flags, "ready")), 1);
    cr_assert_eq(bitfield_value(flags_object, member(flags, "level")), -3);
    cr_assert_eq(bitfield_value(flags_object, code), 0x2a5);
    cr_assert_eq(bitfield_value(flags_object, member(flags, "delta")), -17);
    const dmember *tail = member(flags, "tail");
    cr_assert_eq(tail->bit_size, 0);
    cr_assert_eq(tail->offset, layout[8]);
    expect_describe(member(flags, "ready")->type, "unsigned int");
    sym_index_destroy(idx);
}

Test(debuginfo, types_have_the_layout_gcc_gave_them_dwarf5, .init = build_gcc_o0,
     .fini = remove_fixtures)
{
    check_request_type(&gcc_o0);
    check_bitfields(&gcc_o0);
}

Test(debuginfo, types_have_the_layout_gcc_gave_them_dwarf4, .init = build_gcc_o2_dwarf4,
     .fini = remove_fixtures)
{
    check_request_type(&gcc_o2_dwarf4);
    check_bitfields(&gcc_o2_dwarf4);
}

/* ---- scopes ---- */

static size_t index_of(const dvar *vars, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(vars[i].name, name) == 0)
            return i;
    cr_assert_fail("no variable %s", name);
    return 0;
}

static const dvar *variable(const dvar *vars, size_t n, const char *name)
{
    return &vars[index_of(vars, n, name)];
}

static bool has_variable(const dvar *vars, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(vars[i].name, name) == 0)
            return true;
    return false;
}

/* The runtime address of a variable whose location is DW_OP_addr. */
static uintptr_t static_address(const dvar *var)
{
    cr_assert(var->expr && var->expr_len == 9 && var->expr[0] == DW_OP_addr,
              "%s is not at a fixed address", var->name);
    uint64_t link_address;
    memcpy(&link_address, var->expr + 1, sizeof link_address);
    return link_address + var->load_bias;
}

Test(debuginfo, scope_at_O0_lists_params_locals_innermost_first_and_statics,
     .init = build_gcc_o0, .fini = remove_fixtures)
{
    sym_index *idx = new_index();
    sym_location loc[MAX_LOCATIONS];
    cr_assert_eq(resolve_mark(idx, &gcc_o0, "inner_block", loc), 1);
    dscope_chain chain = scope_at(idx, loc[0].address);
    cr_assert_eq(chain.n_scopes, 1);
    const dscope *work = &chain.scopes[0];
    cr_assert_str_eq(work->function, "fixture_work");
    cr_assert_null(work->call_file);
    cr_assert_eq(work->n_params, 2);
    cr_assert_str_eq(work->params[0].name, "req");
    cr_assert_str_eq(work->params[1].name, "limit");
    expect_describe(work->params[0].type, "struct request *");
    cr_assert_eq(work->params[0].kind, DVAR_PARAM);
    cr_assert_str_eq(work->locals[0].name, "inner", "the innermost block comes first");
    size_t square = index_of(work->locals, work->n_locals, "square");
    size_t i = index_of(work->locals, work->n_locals, "i");
    size_t total = index_of(work->locals, work->n_locals, "total");
    cr_assert(square < i && i < total, "blocks from the inside out");
    cr_assert_not(has_variable(work->locals, work->n_locals, "calls"),
                  "a function static is not a local");
    cr_assert_eq(work->locals[total].decl_line, (uint32_t)marked_line(&gcc_o0, "total"));
    for (size_t k = 0; k < work->n_locals + work->n_params; k++) {
        const dvar *v = k < work->n_params ? &work->params[k] : &work->locals[k - work->n_params];
        cr_assert(v->expr && v->expr_len > 1 && v->expr[0] == DW_OP_fbreg,
                  "%s lives in the frame at -O0", v->name);
        cr_assert_null(v->ranges);
    }
    cr_assert_eq(chain.frame_base_len, 1);
    cr_assert_eq(chain.frame_base[0], DW_OP_call_frame_cfa);

    const dvar *calls = variable(chain.statics, chain.n_statics, "calls");
    cr_assert_eq(calls->kind, DVAR_STATIC);
    static_address(calls);
    const dvar *counter = variable(chain.statics, chain.n_statics, "fixture_counter");
    int *(*counter_address)(void) = (int *(*)(void))symbol(&gcc_o0, "fixture_counter_address");
    cr_assert_eq(static_address(counter), (uintptr_t)counter_address());
    const dvar *request = variable(chain.globals, chain.n_globals, "fixture_request");
    cr_assert_eq(request->kind, DVAR_GLOBAL);
    cr_assert_eq(static_address(request), (uintptr_t)symbol(&gcc_o0, "fixture_request"));
    cr_assert(has_variable(chain.globals, chain.n_globals, "fixture_flags"));
    cr_assert_not(has_variable(chain.globals, chain.n_globals, "fixture_counter"));
    cr_assert_eq(chain.load_bias, request->load_bias);

    dscope_chain again;
    char reason[128];
    cr_assert(debuginfo_scope_at(idx, loc[0].address + 1, true, &again, reason, sizeof reason));
    cr_assert_eq(again.scopes, chain.scopes, "a return address looks up pc - 1; cached");
    sym_index_destroy(idx);
}

/* Every variable of an -O2 scope is named and typed; where it has a location, the location
 * is a well-formed expression or list. */
static void check_optimized_variables(const dvar *vars, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const dvar *v = &vars[i];
        cr_assert_not_null(v->name);
        cr_assert_not_null(v->type, "%s has a type", v->name);
        cr_assert(!(v->expr && v->ranges), "%s: one kind of location", v->name);
        if (v->expr)
            cr_assert_gt(v->expr_len, 0);
        for (size_t r = 0; r < v->n_ranges; r++)
            cr_assert(v->ranges[r].low < v->ranges[r].high && v->ranges[r].expr_len > 0,
                      "%s: range %zu", v->name, r);
    }
}

/* A variable gcc folded into a constant: DW_AT_const_value as the int's bytes. */
static void expect_constant(const dvar *v, int32_t expected)
{
    cr_assert(v->has_const_value, "%s is a constant", v->name);
    cr_assert_null(v->expr);
    cr_assert_eq(v->const_len, sizeof expected);
    int32_t value;
    memcpy(&value, v->const_bytes, sizeof value);
    cr_assert_eq(value, expected, "%s = %d", v->name, value);
}

static bool located_at(const dvar *v, uintptr_t pc)
{
    if (v->expr)
        return true;
    for (size_t r = 0; r < v->n_ranges; r++)
        if (pc >= v->ranges[r].low && pc < v->ranges[r].high)
            return true;
    return false;
}

Test(debuginfo, scope_at_O2_locates_live_variables_through_location_lists,
     .init = build_gcc_o2, .fini = remove_fixtures)
{
    sym_index *idx = new_index();
    sym_location loc[MAX_LOCATIONS];
    size_t n = resolve_mark(idx, &gcc_o2, "inner_block", loc);
    for (size_t k = 0; k < n; k++) {
        dscope_chain chain = scope_at(idx, loc[k].address);
        const dscope *work = &chain.scopes[chain.n_scopes - 1];
        cr_assert_str_eq(work->function, "fixture_work");
        cr_assert_eq(work->n_params, 2);
        check_optimized_variables(work->params, work->n_params);
        check_optimized_variables(work->locals, work->n_locals);
        const dvar *limit = &work->params[1];
        cr_assert_str_eq(limit->name, "limit");
        cr_assert(located_at(limit, loc[k].address), "limit is live in the loop");
        const dvar *i = variable(work->locals, work->n_locals, "i");
        cr_assert_not_null(i->ranges, "gcc -O2 gives the loop counter a location list");
        cr_assert(located_at(i, loc[k].address), "i is live in the loop");
        cr_assert(work->params[0].ranges, "req moves: a location list");
        expect_constant(variable(work->locals, work->n_locals, "scale"), 3);
        expect_constant(variable(work->locals, work->n_locals, "offset"), -2);
        cr_assert(has_variable(chain.statics, chain.n_statics, "calls"));
        cr_assert(chain.frame_base && chain.frame_base[0] == DW_OP_call_frame_cfa);
    }
    sym_index_destroy(idx);
}

/* At the marked line inside the inlined function: its instance, then the caller. */
static void check_inlined_chain(const fixture *f)
{
    sym_index *idx = new_index();
    sym_location loc[MAX_LOCATIONS];
    cr_assert_eq(resolve_mark(idx, f, "inlined", loc), 2, "%s: one place per caller", f->name);
    for (size_t k = 0; k < 2; k++) {
        dscope_chain chain = scope_at(idx, loc[k].address);
        cr_assert_eq(chain.n_scopes, 2, "%s", f->name);
        const dscope *inlined = &chain.scopes[0], *caller = &chain.scopes[1];
        cr_assert_str_eq(inlined->function, "scaled");
        cr_assert_str_eq(caller->function, loc[k].function);
        bool in_a = strcmp(caller->function, "fixture_caller_a") == 0;
        cr_assert_eq(inlined->call_line, (uint32_t)marked_line(f, in_a ? "call_a" : "call_b"),
                     "%s: %s", f->name, caller->function);
        cr_assert_str_eq(inlined->call_file, f->source);
        cr_assert_eq(caller->call_line, 0);
        cr_assert_eq(inlined->n_params, 1);
        cr_assert_str_eq(inlined->params[0].name, "v");
        expect_describe(inlined->params[0].type, "int");
        cr_assert(has_variable(inlined->locals, inlined->n_locals, "doubled"));
        cr_assert_str_eq(caller->params[0].name, "v");
        cr_assert(has_variable(chain.statics, chain.n_statics, "uses"),
                  "%s: the inlined function's static", f->name);
        check_optimized_variables(inlined->params, inlined->n_params);
        check_optimized_variables(inlined->locals, inlined->n_locals);
    }
    sym_index_destroy(idx);
}

Test(debuginfo, inlined_function_is_its_own_scope_at_O0, .init = build_gcc_o0,
     .fini = remove_fixtures)
{
    check_inlined_chain(&gcc_o0);
}

Test(debuginfo, inlined_function_is_its_own_scope_at_O2, .init = build_gcc_o2,
     .fini = remove_fixtures)
{
    check_inlined_chain(&gcc_o2);
}

Test(debuginfo, inlined_call_file_of_dwarf4_counts_from_one, .init = build_gcc_o2_dwarf4,
     .fini = remove_fixtures)
{
    check_inlined_chain(&gcc_o2_dwarf4);
}

Test(debuginfo, no_debug_information_is_a_reason_not_a_crash)
{
    sym_index *idx = new_index();
    dscope_chain chain;
    char reason[256] = "";
    cr_assert_not(debuginfo_scope_at(idx, (uintptr_t)getpid, false, &chain, reason,
                                     sizeof reason));
    cr_assert(strstr(reason, "no debug information for libc"), "%s", reason);
    cr_assert_not(debuginfo_scope_at(idx, 16, false, &chain, reason, sizeof reason));
    cr_assert_str_eq(reason, "no loaded module contains 0x10");
    cr_assert_null(debuginfo_find_variable(idx, (uintptr_t)getpid, "no_such_variable"));
    sym_index_destroy(idx);
}

/* ---- names ---- */

Test(debuginfo, finds_variables_by_name_from_the_unit_outwards, .init = build_gcc_o0,
     .fini = remove_fixtures)
{
    sym_index *idx = new_index();
    sym_location loc[MAX_LOCATIONS];
    resolve_mark(idx, &gcc_o0, "inner_block", loc);
    uintptr_t pc = loc[0].address;
    const dvar *calls = debuginfo_find_variable(idx, pc, "calls");
    cr_assert_not_null(calls, "the function static of the function at pc");
    cr_assert_eq(calls->kind, DVAR_STATIC);
    const dvar *counter = debuginfo_find_variable(idx, pc, "fixture_counter");
    cr_assert(counter && counter->kind == DVAR_STATIC);
    const dvar *request = debuginfo_find_variable(idx, pc, "fixture_request");
    cr_assert(request && request->kind == DVAR_GLOBAL);
    expect_describe(request->type, "struct request");
    cr_assert_eq(debuginfo_find_variable(idx, (uintptr_t)fixture_source_path, "fixture_request"),
                 request, "found from another module too");
    cr_assert_null(debuginfo_find_variable(idx, pc, "no_such_variable"));
    sym_index_destroy(idx);
}

Test(debuginfo, finds_types_by_c_name, .init = build_gcc_o0, .fini = remove_fixtures)
{
    sym_index *idx = new_index();
    uintptr_t pc = (uintptr_t)symbol(&gcc_o0, "fixture_work");
    const dtype *integer = find_type(idx, pc, "int");
    cr_assert(integer->kind == DT_BASE && integer->size == 4 &&
              integer->encoding == DT_ENC_SIGNED);
    const dtype *ulong = find_type(idx, pc, "unsigned long");
    cr_assert_eq(ulong->size, 8);
    cr_assert_eq(ulong->encoding, DT_ENC_UNSIGNED);
    expect_describe(ulong, "unsigned long");
    cr_assert_eq(find_type(idx, pc, "long unsigned int"), ulong, "gcc's spelling is the same type");
    const dtype *request = find_type(idx, pc, "struct request");
    const dtype *pointer = find_type(idx, pc, "struct request *");
    cr_assert_eq(pointer->kind, DT_POINTER);
    cr_assert_eq(pointer->target, request);
    cr_assert_eq(debuginfo_pointer_to(idx, request), pointer, "pointer types are made once");
    expect_describe(find_type(idx, pc, "const char *"), "char *");
    cr_assert_eq(find_type(idx, pc, "node_t")->kind, DT_TYPEDEF);
    cr_assert_eq(find_type(idx, pc, "union value")->kind, DT_UNION);
    cr_assert_eq(find_type(idx, pc, "enum color")->n_enumerators, 3);
    cr_assert_null(debuginfo_find_type(idx, pc, "struct no_such_type"));
    cr_assert_null(debuginfo_find_type(idx, pc, "no_such_typedef"));
    cr_assert_null(debuginfo_find_type(idx, pc, "unsigned double"));
    sym_index_destroy(idx);
}

Test(debuginfo, builtin_types_exist_without_dwarf)
{
    sym_index *idx = new_index();
    const dtype *ulong = debuginfo_builtin_type(idx, "unsigned long");
    cr_assert(ulong->kind == DT_BASE && ulong->size == 8 && ulong->encoding == DT_ENC_UNSIGNED);
    cr_assert_eq(debuginfo_builtin_type(idx, "long unsigned int"), ulong);
    cr_assert_eq(debuginfo_builtin_type(idx, "char")->encoding, DT_ENC_SIGNED_CHAR);
    cr_assert_eq(debuginfo_builtin_type(idx, "unsigned char")->encoding, DT_ENC_UNSIGNED_CHAR);
    cr_assert_eq(debuginfo_builtin_type(idx, "short")->size, 2);
    cr_assert_eq(debuginfo_builtin_type(idx, "long long")->size, 8);
    cr_assert_eq(debuginfo_builtin_type(idx, "_Bool")->encoding, DT_ENC_BOOL);
    const dtype *real = debuginfo_builtin_type(idx, "double");
    cr_assert(real->encoding == DT_ENC_FLOAT && real->size == 8);
    cr_assert_eq(debuginfo_builtin_type(idx, "float")->size, 4);
    cr_assert_eq(debuginfo_builtin_type(idx, "void")->kind, DT_VOID);
    cr_assert_eq(debuginfo_builtin_type(idx, "not a type")->kind, DT_VOID);
    const dtype *int_pointer = debuginfo_pointer_to(idx, debuginfo_builtin_type(idx, "int"));
    cr_assert_not_null(int_pointer);
    expect_describe(int_pointer, "int *");
    cr_assert_eq(debuginfo_pointer_to(idx, debuginfo_builtin_type(idx, "int")), int_pointer);
    expect_describe(debuginfo_pointer_to(idx, int_pointer), "int **");
    expect_describe(debuginfo_pointer_to(idx, NULL), "void *");
    sym_index_destroy(idx);
}

Test(debuginfo, describe_spells_c_declarators)
{
    static const dtype integer = { .kind = DT_BASE, .name = "int", .size = 4 };
    static const dtype character = { .kind = DT_BASE, .name = "char", .size = 1 };
    static const dtype array = { .kind = DT_ARRAY, .target = &integer, .count = 4,
                                 .count_known = true, .size = 16 };
    static const dtype to_array = { .kind = DT_POINTER, .target = &array, .size = 8 };
    static const dtype no_params = { .kind = DT_FUNCTION, .target = &integer };
    static const dtype to_function = { .kind = DT_POINTER, .target = &no_params, .size = 8 };
    static const dtype handlers = { .kind = DT_ARRAY, .target = &to_function, .count = 2,
                                    .count_known = true };
    static const dtype to_char = { .kind = DT_POINTER, .target = &character, .size = 8 };
    static const dtype const_pointer = { .kind = DT_CONST, .target = &to_char, .size = 8 };
    static const dtype const_void = { .kind = DT_CONST };
    static const dtype to_const_void = { .kind = DT_POINTER, .target = &const_void };
    static const dtype volatile_char = { .kind = DT_VOLATILE, .target = &character };
    static const dtype const_int = { .kind = DT_CONST, .target = &integer };
    static const dtype const_ints = { .kind = DT_ARRAY, .target = &const_int, .count = 3,
                                      .count_known = true };
    static const dtype const_array = { .kind = DT_CONST, .target = &const_ints };
    static const dtype unbounded = { .kind = DT_ARRAY, .target = &character };
    static const dtype anonymous = { .kind = DT_STRUCT };
    static const dtype *const param[] = { &to_char };
    static const dtype returns_pointer = { .kind = DT_FUNCTION, .target = &to_char,
                                           .params = param, .n_params = 1 };
    expect_describe(&to_array, "int (*)[4]");
    expect_describe(&handlers, "int (*[2])(void)");
    expect_describe(&const_pointer, "char *const");
    expect_describe(&to_const_void, "const void *");
    expect_describe(&volatile_char, "volatile char");
    expect_describe(&const_array, "const int [3]");
    expect_describe(&unbounded, "char []");
    expect_describe(&anonymous, "struct {...}");
    expect_describe(&returns_pointer, "char *(char *)");
    expect_describe(NULL, "void");
    cr_assert_eq(dtype_strip(&const_pointer), &to_char);
    cr_assert_eq(dtype_strip(&const_void)->kind, DT_VOID);
    char tiny[6];
    cr_assert_str_eq(dtype_describe(&to_array, tiny, sizeof tiny), "int (");
}

/* ---- .debug_addr (clang emits DW_OP_addrx) ---- */

Test(debuginfo, debug_addr_indexes_resolve_for_clang_output, .init = build_clang_o0,
     .fini = remove_fixtures)
{
    sym_index *idx = new_index();
    sym_location loc[MAX_LOCATIONS];
    resolve_mark(idx, &clang_o0, "inner_block", loc);
    dscope_chain chain = scope_at(idx, loc[0].address);
    cr_assert_str_eq(chain.scopes[chain.n_scopes - 1].function, "fixture_work");
    const dvar *request = variable(chain.globals, chain.n_globals, "fixture_request");
    cr_assert(request->expr && request->expr_len >= 2 && request->expr[0] == DW_OP_addrx,
              "clang 14 locates globals through .debug_addr");
    cr_assert_lt(request->expr[1], 0x80, "a one-byte index");
    uint64_t address = 0;
    cr_assert(chain.debug_addr(chain.debug_addr_ctx, request->expr[1], &address));
    cr_assert_eq(address + chain.load_bias, (uintptr_t)symbol(&clang_o0, "fixture_request"));
    cr_assert_not(chain.debug_addr(chain.debug_addr_ctx, 100000, &address));
    sym_index_destroy(idx);
}

/* ---- the module extension slot of the symbol index ---- */

static int destroyed;

static void count_destroy(void *data)
{
    destroyed += *(int *)data;
}

Test(debuginfo, module_extension_is_destroyed_with_its_module, .init = build_gcc_o2,
     .fini = remove_fixtures)
{
    sym_index *idx = new_index();
    uintptr_t pc = (uintptr_t)symbol(&gcc_o2, "fixture_work");
    sym_module_info info;
    cr_assert(sym_module_at(idx, pc, &info));
    cr_assert_str_eq(info.path, gcc_o2.library);
    Dl_info loaded;
    cr_assert(dladdr((void *)pc, &loaded));
    cr_assert_eq(info.bias, (uintptr_t)loaded.dli_fbase, "a library is linked at 0");
    cr_assert_null(info.ext->data);
    bool listed = false;
    sym_module_info other;
    for (size_t i = 0; sym_module_get(idx, i, &other); i++)
        listed |= other.ext == info.ext;
    cr_assert(listed, "sym_module_get lists the module");
    static int one = 1;
    *info.ext = (sym_module_ext){ &one, count_destroy };
    dlclose(gcc_o2.handle);
    gcc_o2.handle = NULL;
    destroyed = 0;
    sym_index_refresh(idx);
    cr_assert_eq(destroyed, 1, "forgetting the module destroys its extension");
    cr_assert_not(sym_module_at(idx, pc, &info));
    sym_index_destroy(idx);
    cr_assert_eq(destroyed, 1);
}

Test(debuginfo, debug_data_lives_in_the_module_slot_until_the_index_goes, .init = build_gcc_o0,
     .fini = remove_fixtures)
{
    sym_index *idx = new_index();
    uintptr_t pc = (uintptr_t)symbol(&gcc_o0, "fixture_work");
    dscope_chain chain = scope_at(idx, pc);
    cr_assert_gt(chain.n_scopes, 0);
    sym_module_info info;
    cr_assert(sym_module_at(idx, pc, &info));
    cr_assert_not_null(info.ext->data, "debuginfo keeps its caches in the slot");
    cr_assert_not_null(info.ext->destroy);
    sym_index_destroy(idx); /* leaks or double frees show under make asan */
}
