/* The dtype graph: nodes from type DIEs (cached before their parts are read, so cycles end), sizes
 * derived once a build settles, synthesised base and pointer types, and C spelling of types. */
#include "dwarf_types.h"

#include <stdio.h>
#include <string.h>

#define POINTER_SIZE 8
#define MAX_TYPE_DEPTH 256     /* nested type DIEs followed while building one type */
#define MAX_ARRAY_DIMENSIONS 16
#define MAX_DESCRIBE_DEPTH 32
#define DESCRIBE_MAX 512
#define BASE_NAME_MAX 64

static const dtype unknown_type = {
    .kind = DT_BASE, .name = "<unknown type>", .encoding = DT_ENC_OTHER
};
static const dtype void_type = { .kind = DT_VOID, .name = "void" };

static const dtype builtins[] = {
    { .kind = DT_BASE, .name = "char", .size = 1, .encoding = DT_ENC_SIGNED_CHAR },
    { .kind = DT_BASE, .name = "signed char", .size = 1, .encoding = DT_ENC_SIGNED_CHAR },
    { .kind = DT_BASE, .name = "unsigned char", .size = 1, .encoding = DT_ENC_UNSIGNED_CHAR },
    { .kind = DT_BASE, .name = "short", .size = 2, .encoding = DT_ENC_SIGNED },
    { .kind = DT_BASE, .name = "unsigned short", .size = 2, .encoding = DT_ENC_UNSIGNED },
    { .kind = DT_BASE, .name = "int", .size = 4, .encoding = DT_ENC_SIGNED },
    { .kind = DT_BASE, .name = "unsigned int", .size = 4, .encoding = DT_ENC_UNSIGNED },
    { .kind = DT_BASE, .name = "long", .size = 8, .encoding = DT_ENC_SIGNED },
    { .kind = DT_BASE, .name = "unsigned long", .size = 8, .encoding = DT_ENC_UNSIGNED },
    { .kind = DT_BASE, .name = "long long", .size = 8, .encoding = DT_ENC_SIGNED },
    { .kind = DT_BASE, .name = "unsigned long long", .size = 8, .encoding = DT_ENC_UNSIGNED },
    { .kind = DT_BASE, .name = "float", .size = 4, .encoding = DT_ENC_FLOAT },
    { .kind = DT_BASE, .name = "double", .size = 8, .encoding = DT_ENC_FLOAT },
    { .kind = DT_BASE, .name = "long double", .size = 16, .encoding = DT_ENC_FLOAT },
    { .kind = DT_BASE, .name = "_Bool", .size = 1, .encoding = DT_ENC_BOOL },
    { .kind = DT_VOID, .name = "void" },
};

/* ---- base type names ---- */

typedef struct base_words {
    int is_unsigned, is_signed, shorts, longs, ints, chars, floats, doubles, bools, voids,
        int128s;
} base_words;

static bool count_word(base_words *w, const char *word)
{
    static const struct { const char *word; size_t field; } words[] = {
        { "unsigned", offsetof(base_words, is_unsigned) },
        { "signed", offsetof(base_words, is_signed) },
        { "short", offsetof(base_words, shorts) },
        { "long", offsetof(base_words, longs) },
        { "int", offsetof(base_words, ints) },
        { "char", offsetof(base_words, chars) },
        { "float", offsetof(base_words, floats) },
        { "double", offsetof(base_words, doubles) },
        { "_Bool", offsetof(base_words, bools) },
        { "void", offsetof(base_words, voids) },
        { "__int128", offsetof(base_words, int128s) },
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcmp(word, words[i].word) == 0) {
            (*(int *)((char *)w + words[i].field))++;
            return true;
        }
    }
    return false;
}

/* The spelling for a valid combination of words, NULL for an invalid one. */
static const char *spell_base(const base_words *w)
{
    bool sign = w->is_unsigned || w->is_signed;
    int others = w->chars + w->floats + w->doubles + w->bools + w->voids + w->int128s;
    if (w->is_unsigned > 1 || w->is_signed > 1 || (w->is_unsigned && w->is_signed) ||
        w->shorts > 1 || w->longs > 2 || w->ints > 1 || others > 1 ||
        (w->shorts && w->longs))
        return NULL;
    bool no_int_words = !w->shorts && !w->longs && !w->ints;
    if (w->chars)
        return no_int_words ? (w->is_unsigned ? "unsigned char"
                                              : w->is_signed ? "signed char" : "char")
                            : NULL;
    if (w->floats || w->bools || w->voids)
        return !sign && no_int_words ? (w->floats ? "float" : w->bools ? "_Bool" : "void")
                                     : NULL;
    if (w->doubles)
        return !sign && !w->shorts && !w->ints && w->longs < 2
                   ? (w->longs ? "long double" : "double")
                   : NULL;
    if (w->int128s)
        return no_int_words ? (w->is_unsigned ? "unsigned __int128" : "__int128") : NULL;
    if (!sign && !w->shorts && !w->longs && !w->ints)
        return NULL;
    static const char *const spellings[2][4] = {
        { "int", "long", "long long", "short" },
        { "unsigned int", "unsigned long", "unsigned long long", "unsigned short" },
    };
    return spellings[w->is_unsigned][w->shorts ? 3 : w->longs];
}

bool dtype_base_name(const char *name, char *out, size_t len)
{
    char words[BASE_NAME_MAX];
    if (strlen(name) >= sizeof words)
        return false;
    strcpy(words, name);
    base_words w = { 0 };
    char *save = NULL;
    for (char *word = strtok_r(words, " \t", &save); word; word = strtok_r(NULL, " \t", &save))
        if (!count_word(&w, word))
            return false;
    const char *spelling = spell_base(&w);
    if (!spelling || strlen(spelling) >= len)
        return false;
    strcpy(out, spelling);
    return true;
}

const dtype *dtype_builtin(const char *name)
{
    char canonical[BASE_NAME_MAX];
    if (!dtype_base_name(name, canonical, sizeof canonical))
        return NULL;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i].name, canonical) == 0)
            return &builtins[i];
    return NULL;
}

/* ---- building nodes from DIEs ---- */

/* A node, cached under offset (0: not cached) before anything it refers to is read. */
static dtype *new_node(dwarf_reader *r, dwarf_types *types, Dwarf_Off offset, dtype_kind kind)
{
    dtype *t = di_arena_alloc(r->arena, sizeof *t);
    if (!t || (offset && !di_map_put(&types->by_offset, offset, t)) ||
        !di_vec_push(&types->building, &t, sizeof t)) {
        dwarf_note_problem(r, "out of memory reading types");
        return NULL;
    }
    t->kind = kind;
    return t;
}

static uint64_t byte_size(dwarf_reader *r, Dwarf_Die die)
{
    uint64_t size = 0;
    return die_unsigned(r, die, DW_AT_byte_size, &size) ? size : 0;
}

static dtype_encoding encoding_of(uint64_t ate)
{
    switch (ate) {
    case DW_ATE_signed: return DT_ENC_SIGNED;
    case DW_ATE_unsigned: return DT_ENC_UNSIGNED;
    case DW_ATE_signed_char: return DT_ENC_SIGNED_CHAR;
    case DW_ATE_unsigned_char: return DT_ENC_UNSIGNED_CHAR;
    case DW_ATE_boolean: return DT_ENC_BOOL;
    case DW_ATE_float: return DT_ENC_FLOAT;
    default: return DT_ENC_OTHER;
    }
}

static const dtype *build_base(dwarf_reader *r, dwarf_types *types, Dwarf_Die die,
                               Dwarf_Off offset)
{
    dtype *t = new_node(r, types, offset, DT_BASE);
    if (!t)
        return &unknown_type;
    t->name = die_name(r, die);
    char canonical[BASE_NAME_MAX];
    if (t->name && dtype_base_name(t->name, canonical, sizeof canonical))
        t->name = di_arena_strdup(r->arena, canonical);
    t->size = byte_size(r, die);
    uint64_t ate = 0;
    t->encoding = die_unsigned(r, die, DW_AT_encoding, &ate) ? encoding_of(ate) : DT_ENC_OTHER;
    return t;
}

/* Pointers, typedefs, const, volatile: a name or size of their own and a target. */
static const dtype *build_wrapper(dwarf_reader *r, dwarf_types *types, Dwarf_Die die,
                                  Dwarf_Off offset, dtype_kind kind)
{
    dtype *t = new_node(r, types, offset, kind);
    if (!t)
        return &unknown_type;
    if (kind == DT_TYPEDEF)
        t->name = die_name(r, die);
    if (kind == DT_POINTER)
        t->size = die_has(r, die, DW_AT_byte_size) ? byte_size(r, die) : POINTER_SIZE;
    t->target = dwarf_type_of(r, types, die);
    return t;
}

/* Bits from the least significant bit of byte 0 of the struct -> the header's convention:
 * the byte offset of the member's storage unit (its type's size, aligned) and bits from there;
 * a field straddling such a unit (packed structs) is placed from the byte holding its first bit. */
static void place_bitfield(dmember *m, uint64_t first_bit, uint64_t bit_size)
{
    uint64_t unit = dtype_strip(m->type)->size;
    if (unit == 0)
        unit = 1;
    uint64_t offset = first_bit / (8 * unit) * unit;
    if (first_bit - 8 * offset + bit_size > 8 * unit)
        offset = first_bit / 8;
    m->offset = offset;
    m->bit_offset = (uint32_t)(first_bit - 8 * offset);
    m->bit_size = (uint32_t)bit_size;
}

static bool read_member(dwarf_reader *r, dwarf_types *types, Dwarf_Die die, dmember *m)
{
    *m = (dmember){ .name = die_name(r, die), .type = dwarf_type_of(r, types, die) };
    uint64_t location = 0;
    if (die_has(r, die, DW_AT_data_member_location) &&
        !die_unsigned(r, die, DW_AT_data_member_location, &location)) {
        dwarf_note_problem(r, "a member whose location is not a constant is left out");
        return false;
    }
    uint64_t bit_size = 0;
    if (!die_unsigned(r, die, DW_AT_bit_size, &bit_size) || bit_size == 0) {
        m->offset = location;
        return true;
    }
    uint64_t first_bit = 0;
    int64_t from_msb = 0;
    if (die_unsigned(r, die, DW_AT_data_bit_offset, &first_bit)) {
        /* DWARF 4+: bits from the start of the struct (gcc 12, DWARF 5) */
    } else if (die_signed(r, die, DW_AT_bit_offset, &from_msb)) {
        /* DWARF 2/3: bits from the most significant bit of a storage unit at `location` */
        uint64_t storage = byte_size(r, die);
        if (storage == 0)
            storage = dtype_strip(m->type)->size;
        first_bit = 8 * (location + storage) - (uint64_t)from_msb - bit_size;
    } else {
        dwarf_note_problem(r, "a bitfield without a bit offset is left out");
        return false;
    }
    place_bitfield(m, first_bit, bit_size);
    return true;
}

static const dtype *build_record(dwarf_reader *r, dwarf_types *types, Dwarf_Die die,
                                 Dwarf_Off offset, dtype_kind kind)
{
    dtype *t = new_node(r, types, offset, kind);
    if (!t)
        return &unknown_type;
    t->name = die_name(r, die);
    t->size = byte_size(r, die);
    t->declaration = die_flag(r, die, DW_AT_declaration);
    di_vec members = { 0 };
    for (Dwarf_Die child = die_first_child(r, die); child; child = die_next_sibling(r, child)) {
        dmember m;
        if (die_tag(r, child) == DW_TAG_member && read_member(r, types, child, &m) &&
            !di_vec_push(&members, &m, sizeof m))
            dwarf_note_problem(r, "out of memory reading struct members");
    }
    t->members = di_vec_to_arena(&members, r->arena, sizeof(dmember), &t->n_members);
    return t;
}

static dtype_encoding enum_encoding(dwarf_reader *r, dwarf_types *types, Dwarf_Die die,
                                    bool *known)
{
    *known = true;
    uint64_t ate = 0;
    if (die_has(r, die, DW_AT_type)) {
        const dtype *underlying = dtype_strip(dwarf_type_of(r, types, die));
        ate = underlying->encoding == DT_ENC_SIGNED || underlying->encoding == DT_ENC_SIGNED_CHAR
                  ? DW_ATE_signed
                  : DW_ATE_unsigned;
    } else if (!die_unsigned(r, die, DW_AT_encoding, &ate)) {
        *known = false; /* decided by the values */
    }
    return ate == DW_ATE_signed || ate == DW_ATE_signed_char ? DT_ENC_SIGNED : DT_ENC_UNSIGNED;
}

static const dtype *build_enum(dwarf_reader *r, dwarf_types *types, Dwarf_Die die,
                               Dwarf_Off offset)
{
    dtype *t = new_node(r, types, offset, DT_ENUM);
    if (!t)
        return &unknown_type;
    t->name = die_name(r, die);
    t->size = byte_size(r, die);
    t->declaration = die_flag(r, die, DW_AT_declaration);
    bool encoding_known = false;
    t->encoding = enum_encoding(r, types, die, &encoding_known);
    bool is_signed = t->encoding == DT_ENC_SIGNED || !encoding_known;
    bool any_negative = false;
    di_vec enumerators = { 0 };
    for (Dwarf_Die child = die_first_child(r, die); child; child = die_next_sibling(r, child)) {
        if (die_tag(r, child) != DW_TAG_enumerator)
            continue;
        denumerator e = { .name = die_name(r, child) };
        uint64_t u = 0;
        bool ok = is_signed ? die_signed(r, child, DW_AT_const_value, &e.value)
                            : die_unsigned(r, child, DW_AT_const_value, &u);
        if (!is_signed)
            e.value = (int64_t)u;
        any_negative |= e.value < 0;
        if (ok && e.name && !di_vec_push(&enumerators, &e, sizeof e))
            dwarf_note_problem(r, "out of memory reading enumerators");
    }
    if (!encoding_known)
        t->encoding = any_negative ? DT_ENC_SIGNED : DT_ENC_UNSIGNED;
    t->enumerators =
        di_vec_to_arena(&enumerators, r->arena, sizeof(denumerator), &t->n_enumerators);
    return t;
}

typedef struct dimension {
    uint64_t count;
    bool known;
} dimension;

static dimension read_dimension(dwarf_reader *r, Dwarf_Die subrange)
{
    dimension d = { 0 };
    int64_t upper = 0, lower = 0;
    if (die_unsigned(r, subrange, DW_AT_count, &d.count)) {
        d.known = true;
    } else if (die_signed(r, subrange, DW_AT_upper_bound, &upper)) {
        if (!die_signed(r, subrange, DW_AT_lower_bound, &lower))
            lower = 0;
        d.count = upper >= lower ? (uint64_t)(upper - lower) + 1 : 0;
        d.known = true;
    }
    return d; /* no constant bound: a flexible array member, "int a[]" or a VLA */
}

/* An array of n dimensions is an array of arrays; the DIE's node is the outermost. */
static const dtype *build_array(dwarf_reader *r, dwarf_types *types, Dwarf_Die die,
                                Dwarf_Off offset)
{
    dtype *outer = new_node(r, types, offset, DT_ARRAY);
    if (!outer)
        return &unknown_type;
    dimension dims[MAX_ARRAY_DIMENSIONS];
    size_t n = 0;
    for (Dwarf_Die child = die_first_child(r, die); child; child = die_next_sibling(r, child)) {
        if (die_tag(r, child) != DW_TAG_subrange_type)
            continue;
        if (n < MAX_ARRAY_DIMENSIONS)
            dims[n] = read_dimension(r, child);
        n++;
    }
    if (n > MAX_ARRAY_DIMENSIONS) {
        dwarf_note_problem(r, "an array with too many dimensions is cut to its first ones");
        n = MAX_ARRAY_DIMENSIONS;
    }
    if (n == 0)
        dims[n++] = (dimension){ 0 };
    const dtype *element = dwarf_type_of(r, types, die);
    for (size_t i = n; i-- > 0;) {
        dtype *t = i == 0 ? outer : new_node(r, types, 0, DT_ARRAY);
        if (!t)
            return &unknown_type;
        t->kind = DT_ARRAY;
        t->target = element;
        t->count = dims[i].count;
        t->count_known = dims[i].known;
        element = t;
    }
    return outer;
}

static const dtype *build_function(dwarf_reader *r, dwarf_types *types, Dwarf_Die die,
                                   Dwarf_Off offset)
{
    dtype *t = new_node(r, types, offset, DT_FUNCTION);
    if (!t)
        return &unknown_type;
    t->target = dwarf_type_of(r, types, die);
    di_vec params = { 0 };
    for (Dwarf_Die child = die_first_child(r, die); child; child = die_next_sibling(r, child)) {
        if (die_tag(r, child) != DW_TAG_formal_parameter)
            continue;
        const dtype *param = dwarf_type_of(r, types, child);
        if (!di_vec_push(&params, &param, sizeof param))
            dwarf_note_problem(r, "out of memory reading function parameters");
    }
    t->params = di_vec_to_arena(&params, r->arena, sizeof(const dtype *), &t->n_params);
    return t;
}

static const dtype *build_other(dwarf_reader *r, dwarf_types *types, Dwarf_Die die,
                                Dwarf_Off offset, dtype_kind kind)
{
    dtype *t = new_node(r, types, offset, kind);
    if (!t)
        return &unknown_type;
    t->name = die_name(r, die);
    if (!t->name)
        t->name = kind == DT_VOID ? "void" : "<unsupported type>";
    t->size = byte_size(r, die);
    t->encoding = DT_ENC_OTHER;
    return t;
}

static const dtype *build_from_die(dwarf_reader *r, dwarf_types *types, Dwarf_Die die,
                                   Dwarf_Off offset)
{
    switch (die_tag(r, die)) {
    case DW_TAG_base_type:
        return build_base(r, types, die, offset);
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type:
        return build_wrapper(r, types, die, offset, DT_POINTER);
    case DW_TAG_typedef:
        return build_wrapper(r, types, die, offset, DT_TYPEDEF);
    case DW_TAG_const_type:
        return build_wrapper(r, types, die, offset, DT_CONST);
    case DW_TAG_volatile_type:
        return build_wrapper(r, types, die, offset, DT_VOLATILE);
    case DW_TAG_restrict_type:
    case DW_TAG_atomic_type: {
        /* qualifiers without a dtype kind: the type they qualify */
        const dtype *target = dwarf_type_of(r, types, die);
        return target ? target : &void_type;
    }
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
        return build_record(r, types, die, offset, DT_STRUCT);
    case DW_TAG_union_type:
        return build_record(r, types, die, offset, DT_UNION);
    case DW_TAG_enumeration_type:
        return build_enum(r, types, die, offset);
    case DW_TAG_array_type:
        return build_array(r, types, die, offset);
    case DW_TAG_subroutine_type:
    case DW_TAG_subprogram: /* a function's own DIE: its signature */
        return build_function(r, types, die, offset);
    case DW_TAG_unspecified_type:
        return build_other(r, types, die, offset, DT_VOID);
    case 0:
        return &unknown_type;
    default:
        return build_other(r, types, die, offset, DT_BASE);
    }
}

/* Sizes that depend on other nodes (typedef, qualifiers, arrays), computed once every node of
 * the build exists: a node's target may have been incomplete when the node was made. */
static void settle_sizes(dwarf_types *types)
{
    dtype **nodes = (dtype **)types->building.items;
    size_t count = types->building.count;
    for (size_t pass = 0; pass <= count; pass++) {
        bool changed = false;
        for (size_t i = 0; i < count; i++) {
            dtype *t = nodes[i];
            uint64_t size = t->size;
            if (t->kind == DT_TYPEDEF || t->kind == DT_CONST || t->kind == DT_VOLATILE)
                size = t->target ? t->target->size : 0;
            else if (t->kind == DT_ARRAY)
                size = t->count_known && t->target ? t->count * t->target->size : 0;
            changed |= size != t->size;
            t->size = size;
        }
        if (!changed)
            break;
    }
    di_vec_free(&types->building);
}

const dtype *dwarf_type_at(dwarf_reader *r, dwarf_types *types, Dwarf_Off offset)
{
    const dtype *cached = di_map_get(&types->by_offset, offset);
    if (cached)
        return cached;
    if (types->depth >= MAX_TYPE_DEPTH) {
        dwarf_note_problem(r, "types nested too deeply");
        return &unknown_type;
    }
    const dtype *t = &unknown_type;
    types->depth++;
    Dwarf_Die die = die_at(r, offset);
    if (die) {
        t = build_from_die(r, types, die, offset);
        dwarf_dealloc_die(die);
    }
    if (--types->depth == 0)
        settle_sizes(types);
    if (!di_map_get(&types->by_offset, offset))
        di_map_put(&types->by_offset, offset, (void *)t); /* restrict, atomic, failures */
    return t;
}

const dtype *dwarf_type_of(dwarf_reader *r, dwarf_types *types, Dwarf_Die die)
{
    Dwarf_Die holder = die_holding(r, die, DW_AT_type);
    if (!holder)
        return NULL;
    Dwarf_Off offset = 0;
    const dtype *t = die_reference(r, holder, DW_AT_type, &offset)
                         ? dwarf_type_at(r, types, offset)
                         : &unknown_type;
    die_release(holder, die);
    return t;
}

const dtype *dwarf_pointer_type(di_arena *arena, dwarf_types *types, const dtype *target)
{
    uint64_t key = (uintptr_t)target;
    dtype *pointer = di_map_get(&types->pointers, key);
    if (pointer)
        return pointer;
    pointer = di_arena_alloc(arena, sizeof *pointer);
    if (!pointer || !di_map_put(&types->pointers, key, pointer))
        return NULL;
    *pointer = (dtype){ .kind = DT_POINTER, .size = POINTER_SIZE, .target = target };
    return pointer;
}

void dwarf_types_free(dwarf_types *types)
{
    di_map_free(&types->by_offset);
    di_map_free(&types->pointers);
    di_vec_free(&types->building);
}

/* ---- stripping and spelling ---- */

const dtype *dtype_strip(const dtype *t)
{
    for (int i = 0; t && i < MAX_TYPE_DEPTH; i++) {
        if (t->kind != DT_TYPEDEF && t->kind != DT_CONST && t->kind != DT_VOLATILE)
            return t;
        t = t->target;
    }
    return t ? t : &void_type;
}

static void prepend(char *text, size_t size, const char *prefix)
{
    size_t n = strlen(prefix), used = strlen(text);
    if (n >= size)
        n = size - 1;
    if (used + n >= size)
        used = size - 1 - n;
    memmove(text + n, text, used);
    memcpy(text, prefix, n);
    text[n + used] = '\0';
}

static void append(char *text, size_t size, const char *suffix)
{
    size_t used = strlen(text);
    snprintf(text + used, size - used, "%s", suffix);
}

static void describe(const dtype *t, char *buf, size_t len, int depth);

static void describe_params(const dtype *f, char *out, size_t size, int depth)
{
    snprintf(out, size, "(%s", f->n_params ? "" : "void");
    for (size_t i = 0; i < f->n_params; i++) {
        char param[DESCRIBE_MAX];
        describe(f->params[i], param, sizeof param, depth + 1);
        append(out, size, i ? ", " : "");
        append(out, size, param);
    }
    append(out, size, ")");
}

/* The type's own name where the declarator ends: "int", "struct req", "size_t". */
static void spell_leaf(const dtype *t, char *out, size_t size)
{
    static const char *const keywords[] = {
        [DT_STRUCT] = "struct ", [DT_UNION] = "union ", [DT_ENUM] = "enum ",
    };
    switch (t->kind) {
    case DT_STRUCT:
    case DT_UNION:
    case DT_ENUM:
        snprintf(out, size, "%s%s", keywords[t->kind], t->name ? t->name : "{...}");
        break;
    default:
        snprintf(out, size, "%s", t->name ? t->name : t->kind == DT_VOID ? "void" : "?");
    }
}

/* Walks from the outermost type inwards, building the declarator around the name position
 * ("(*)[4]"), and ends at the type that names the rest ("int"). */
static void describe(const dtype *t, char *buf, size_t len, int depth)
{
    char declarator[DESCRIBE_MAX] = "", qualifiers[32] = "";
    for (; depth < MAX_DESCRIBE_DEPTH; depth++) {
        if (!t)
            t = &void_type;
        if (t->kind == DT_CONST || t->kind == DT_VOLATILE) {
            /* gcc qualifies both an array and its elements: say it once */
            const char *word = t->kind == DT_CONST ? "const " : "volatile ";
            if (!strstr(qualifiers, word))
                prepend(qualifiers, sizeof qualifiers, word);
            t = t->target;
        } else if (t->kind == DT_POINTER) {
            /* qualifiers met above a pointer qualify the pointer: "char *const" */
            size_t n = strlen(qualifiers);
            if (n)
                qualifiers[n - 1] = declarator[0] ? ' ' : '\0';
            prepend(declarator, sizeof declarator, qualifiers);
            prepend(declarator, sizeof declarator, "*");
            qualifiers[0] = '\0';
            const dtype *target = t->target;
            if (target && (target->kind == DT_ARRAY || target->kind == DT_FUNCTION)) {
                prepend(declarator, sizeof declarator, "(");
                append(declarator, sizeof declarator, ")");
            }
            t = target;
        } else if (t->kind == DT_ARRAY) {
            char bound[32] = "[]";
            if (t->count_known)
                snprintf(bound, sizeof bound, "[%llu]", (unsigned long long)t->count);
            append(declarator, sizeof declarator, bound);
            t = t->target;
        } else if (t->kind == DT_FUNCTION) {
            char params[DESCRIBE_MAX];
            describe_params(t, params, sizeof params, depth);
            append(declarator, sizeof declarator, params);
            t = t->target;
        } else {
            break;
        }
    }
    char leaf[DESCRIBE_MAX];
    if (depth < MAX_DESCRIBE_DEPTH)
        spell_leaf(t, leaf, sizeof leaf);
    else
        snprintf(leaf, sizeof leaf, "...");
    snprintf(buf, len, "%s%s%s%s", qualifiers, leaf, declarator[0] ? " " : "", declarator);
}

const char *dtype_describe(const dtype *t, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    describe(t, buf, len, 0);
    return buf;
}
