/* Where a variable's value is: DW_AT_location / DW_AT_frame_base through libdwarf's location-list
 * interface (exact bytes of single expressions, list entries encoded back), DW_AT_const_value. */
#include "dwarf_locations.h"
#include "dwarf_ops.h"

#include <stdio.h>
#include <string.h>

#define EXPR_MAX 1024 /* bytes of one re-encoded expression */
#define ADDRESS_SIZE 8

typedef struct expr_writer {
    uint8_t bytes[EXPR_MAX];
    size_t len;
    bool overflow;
    size_t leb_at, leb_len; /* the last LEB128 operand of the operation being written */
    bool leb_signed;
} expr_writer;

static void put_byte(expr_writer *w, uint8_t byte)
{
    if (w->len == EXPR_MAX) {
        w->overflow = true;
        return;
    }
    w->bytes[w->len++] = byte;
}

static void put_fixed(expr_writer *w, uint64_t value, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        put_byte(w, (uint8_t)(value >> (8 * i)));
}

static void put_uleb(expr_writer *w, uint64_t value)
{
    w->leb_at = w->len;
    w->leb_signed = false;
    do {
        uint8_t byte = value & 0x7f;
        value >>= 7;
        put_byte(w, byte | (value ? 0x80 : 0));
    } while (value);
    w->leb_len = w->len - w->leb_at;
}

static void put_sleb(expr_writer *w, int64_t value)
{
    w->leb_at = w->len;
    w->leb_signed = true;
    for (bool more = true; more;) {
        uint8_t byte = value & 0x7f;
        value >>= 7; /* arithmetic shift: gcc and clang on x86-64 */
        more = !((value == 0 && !(byte & 0x40)) || (value == -1 && (byte & 0x40)));
        put_byte(w, byte | (more ? 0x80 : 0));
    }
    w->leb_len = w->len - w->leb_at;
}

/* Lengthens the last LEB128 operand by `extra` bytes of the same value: producers pad some
 * (clang pads type references) and branch targets count bytes, so lengths must match. */
static bool pad_last_leb(expr_writer *w, size_t extra)
{
    if (!w->leb_len || w->overflow || w->len + extra > EXPR_MAX)
        return false;
    size_t end = w->leb_at + w->leb_len;
    uint8_t fill = w->leb_signed && (w->bytes[end - 1] & 0x40) ? 0x7f : 0x00;
    memmove(w->bytes + end + extra, w->bytes + end, w->len - end);
    w->bytes[end - 1] |= 0x80;
    for (size_t i = 0; i < extra; i++)
        w->bytes[end + i] = (uint8_t)(fill | (i + 1 < extra ? 0x80 : 0));
    w->len += extra;
    w->leb_len += extra;
    return true;
}

static void put_block(expr_writer *w, const void *data, uint64_t size)
{
    for (uint64_t i = 0; i < size; i++)
        put_byte(w, ((const uint8_t *)data)[i]);
}

/* Writes the operand of kind k from libdwarf's raw values; a block takes two of them (its
 * length and a pointer to its bytes). Returns how many values it used. */
static int put_operand(expr_writer *w, dwarf_operand_kind k, const Dwarf_Unsigned *raw,
                       unsigned offset_size)
{
    switch (k) {
    case DWARF_OPERAND_NONE: return 0;
    case DWARF_OPERAND_1: put_fixed(w, raw[0], 1); return 1;
    case DWARF_OPERAND_2: put_fixed(w, raw[0], 2); return 1;
    case DWARF_OPERAND_4: put_fixed(w, raw[0], 4); return 1;
    case DWARF_OPERAND_8: put_fixed(w, raw[0], 8); return 1;
    case DWARF_OPERAND_ULEB: put_uleb(w, raw[0]); return 1;
    case DWARF_OPERAND_SLEB: put_sleb(w, (int64_t)raw[0]); return 1;
    case DWARF_OPERAND_OFFSET: put_fixed(w, raw[0], offset_size); return 1;
    case DWARF_OPERAND_BLOCK:
        put_uleb(w, raw[0]);
        put_block(w, (const void *)(uintptr_t)raw[1], raw[0]);
        return 2;
    case DWARF_OPERAND_TYPED_BLOCK:
        put_fixed(w, raw[0], 1);
        put_block(w, (const void *)(uintptr_t)raw[1], raw[0]);
        return 2;
    }
    return 0;
}

static bool is_debug_addr_index(uint8_t op)
{
    return op == DW_OP_addrx || op == DW_OP_constx || op == DW_OP_GNU_addr_index ||
           op == DW_OP_GNU_const_index;
}

/* Resolves the .debug_addr index of a DW_OP_addrx-like operation now and records it
 * (libdwarf 20210528 leaves the operand as the index). */
static bool record_debug_addr(dwarf_reader *r, Dwarf_Die die, di_map *addrs, uint64_t index)
{
    if (di_map_get(addrs, index))
        return true;
    Dwarf_Addr address = 0;
    if (!dwarf_call_ok(r, dwarf_debug_addr_index_to_addr(die, index, &address, &r->err),
                       "resolving a .debug_addr index"))
        return false;
    uint64_t *stored = di_arena_copy(r->arena, &address, sizeof address);
    if (stored && di_map_put(addrs, index, stored))
        return true;
    dwarf_note_problem(r, "out of memory recording .debug_addr entries");
    return false;
}

/* Goes over the operations of one entry: encodes them into w (when w is not NULL) and records
 * their .debug_addr indexes. libdwarf 20210528 gives list entries only as decoded operations;
 * encoding them back keeps each operation at its original offset (verified byte for byte
 * against .debug_loc of gcc 12 -O2 output). False when one cannot be represented. */
static bool walk_ops(dwarf_reader *r, Dwarf_Die die, Dwarf_Locdesc_c desc,
                     Dwarf_Unsigned op_count, const dwarf_unit_info *unit, di_map *addrs,
                     expr_writer *w)
{
    unsigned offset_size = unit->version < 3 ? ADDRESS_SIZE : unit->offset_size;
    for (Dwarf_Unsigned i = 0; i < op_count; i++) {
        Dwarf_Small op = 0;
        Dwarf_Unsigned cooked[3], raw[3], op_offset = 0; /* a block takes two raw values */
        if (!dwarf_call_ok(r, dwarf_get_location_op_value_d(desc, i, &op, &cooked[0],
                                                            &cooked[1], &cooked[2], &raw[0],
                                                            &raw[1], &raw[2], &op_offset,
                                                            &r->err),
                           "reading a location operation"))
            return false;
        if (is_debug_addr_index(op) && !record_debug_addr(r, die, addrs, raw[0]))
            return false;
        if (!w)
            continue;
        dwarf_operand_kind kinds[2];
        if (!dwarf_op_operands(op, kinds)) {
            char what[96];
            snprintf(what, sizeof what, "a location list uses DW_OP 0x%02x, which is not encoded",
                     op);
            dwarf_note_problem(r, what);
            return false;
        }
        if (w->len < op_offset)
            pad_last_leb(w, op_offset - w->len); /* the previous operation was longer */
        if (w->len != op_offset) {
            dwarf_note_problem(r, "a location list operation was re-encoded at the wrong offset");
            return false;
        }
        w->leb_len = 0;
        put_byte(w, op);
        const Dwarf_Unsigned *next = raw;
        for (int k = 0; k < 2 && kinds[k] != DWARF_OPERAND_NONE; k++)
            next += put_operand(w, kinds[k], next, offset_size);
    }
    if (w && w->overflow)
        dwarf_note_problem(r, "a location expression is too long");
    return !(w && w->overflow);
}

/* The exact bytes of an expression attribute (DW_FORM_exprloc, or a block in DWARF 2/3). */
static bool expression_bytes(dwarf_reader *r, Dwarf_Attribute a, dwarf_attr_location *out)
{
    Dwarf_Half form = attribute_form(r, a);
    if (form == DW_FORM_exprloc) {
        Dwarf_Unsigned len = 0;
        Dwarf_Ptr data = NULL;
        if (!dwarf_call_ok(r, dwarf_formexprloc(a, &len, &data, &r->err),
                           "reading a location expression"))
            return false;
        out->expr = di_arena_copy(r->arena, data, len);
        out->expr_len = len;
        return out->expr != NULL;
    }
    Dwarf_Block *block = NULL;
    if (!dwarf_call_ok(r, dwarf_formblock(a, &block, &r->err), "reading a location block"))
        return false;
    out->expr = di_arena_copy(r->arena, block->bl_data, block->bl_len);
    out->expr_len = block->bl_len;
    dwarf_dealloc(r->dbg, block, DW_DLA_BLOCK);
    return out->expr != NULL;
}

typedef struct list_reader {
    dwarf_reader *r;
    Dwarf_Die die;
    const dwarf_unit_info *unit;
    uint64_t bias;
    di_map *addrs;
    di_vec ranges;
    bool has_default;
    dloc_range default_range;
} list_reader;

typedef struct list_entry {
    Dwarf_Small kind;          /* DW_LLE_* */
    Dwarf_Bool unavailable;    /* its .debug_addr entry is missing */
    Dwarf_Addr low, high;      /* link-time, base addresses applied by libdwarf */
    Dwarf_Unsigned op_count;
    Dwarf_Locdesc_c desc;
} list_entry;

static bool read_entry(dwarf_reader *r, Dwarf_Loc_Head_c head, Dwarf_Unsigned index,
                       list_entry *e)
{
    Dwarf_Small source = 0;
    Dwarf_Unsigned raw_low = 0, raw_high = 0, expr_offset = 0, desc_offset = 0;
    *e = (list_entry){ 0 };
    int rc = dwarf_get_locdesc_entry_d(head, index, &e->kind, &raw_low, &raw_high,
                                       &e->unavailable, &e->low, &e->high, &e->op_count,
                                       &e->desc, &source, &expr_offset, &desc_offset, &r->err);
    return dwarf_call_ok(r, rc, "reading a location list entry");
}

/* Adds one entry of a list. An entry that cannot be read or encoded is left out: its range
 * then has no location (optimized out there), which is true to what can be known. */
static void add_entry(list_reader *l, Dwarf_Loc_Head_c head, Dwarf_Unsigned index)
{
    dwarf_reader *r = l->r;
    list_entry e;
    if (!read_entry(r, head, index, &e))
        return;
    bool is_default = e.kind == DW_LLE_default_location;
    bool is_range = !is_default && e.kind != DW_LLE_end_of_list &&
                    e.kind != DW_LLE_base_address && e.kind != DW_LLE_base_addressx;
    if ((!is_default && !is_range) || e.unavailable || e.op_count == 0 ||
        (is_range && e.high <= e.low))
        return; /* no code, or nothing known there */
    expr_writer w = { .len = 0 };
    if (!walk_ops(r, l->die, e.desc, e.op_count, l->unit, l->addrs, &w))
        return;
    dloc_range range = {
        .low = is_default ? 0 : e.low + l->bias,
        .high = is_default ? UINT64_MAX : e.high + l->bias,
        .expr = di_arena_copy(r->arena, w.bytes, w.len),
        .expr_len = w.len,
    };
    if (range.expr && is_default) {
        l->has_default = true;
        l->default_range = range;
    } else if (!range.expr || !di_vec_push(&l->ranges, &range, sizeof range)) {
        dwarf_note_problem(r, "out of memory reading a location list");
    }
}

/* A single expression: its exact bytes (operations walked for their .debug_addr indexes). */
static bool read_expression(dwarf_reader *r, Dwarf_Die die, Dwarf_Attribute a,
                            Dwarf_Loc_Head_c head, Dwarf_Unsigned count,
                            const dwarf_unit_info *unit, di_map *addrs, dwarf_attr_location *out)
{
    list_entry e;
    return count == 1 && read_entry(r, head, 0, &e) &&
           walk_ops(r, die, e.desc, e.op_count, unit, addrs, NULL) && expression_bytes(r, a, out);
}

static bool read_list(list_reader *l, Dwarf_Loc_Head_c head, Dwarf_Unsigned count,
                      dwarf_attr_location *out)
{
    for (Dwarf_Unsigned i = 0; i < count; i++)
        add_entry(l, head, i);
    if (l->has_default && !di_vec_push(&l->ranges, &l->default_range, sizeof(dloc_range)))
        dwarf_note_problem(l->r, "out of memory reading a location list");
    out->ranges = di_vec_to_arena(&l->ranges, l->r->arena, sizeof(dloc_range), &out->n_ranges);
    return out->n_ranges > 0;
}

bool dwarf_location_read(dwarf_reader *r, Dwarf_Die die, Dwarf_Half attr,
                         const dwarf_unit_info *unit, uint64_t bias, di_map *addrs,
                         dwarf_attr_location *out)
{
    *out = (dwarf_attr_location){ 0 };
    Dwarf_Attribute a = die_attribute(r, die, attr);
    if (!a)
        return false;
    Dwarf_Loc_Head_c head = NULL;
    Dwarf_Unsigned count = 0;
    unsigned list_kind = 0;
    bool ok = dwarf_call_ok(r, dwarf_get_loclist_c(a, &head, &count, &r->err),
                            "reading a location") &&
              dwarf_call_ok(r, dwarf_get_loclist_head_kind(head, &list_kind, &r->err),
                            "reading a location's kind");
    if (ok && list_kind == DW_LKIND_expression) {
        ok = read_expression(r, die, a, head, count, unit, addrs, out);
    } else if (ok) {
        list_reader l = { .r = r, .die = die, .unit = unit, .bias = bias, .addrs = addrs };
        ok = read_list(&l, head, count, out);
    }
    if (head)
        dwarf_loc_head_c_dealloc(head);
    dwarf_dealloc_attribute(a);
    if (!ok)
        *out = (dwarf_attr_location){ 0 };
    return ok;
}

bool dwarf_addr_lookup(void *table, uint64_t index, uint64_t *out)
{
    const uint64_t *address = di_map_get(table, index);
    if (!address)
        return false;
    *out = *address;
    return true;
}

/* ---- constant values ---- */

static unsigned constant_width(Dwarf_Half form)
{
    switch (form) {
    case DW_FORM_data1: return 1;
    case DW_FORM_data2: return 2;
    case DW_FORM_data4: return 4;
    default: return 8; /* data8, sdata, udata, implicit_const: already extended to 64 bits */
    }
}

static bool integer_bytes(dwarf_reader *r, Dwarf_Die die, Dwarf_Half form, uint64_t size,
                          bool type_signed, const uint8_t **bytes, size_t *len)
{
    uint64_t value = 0;
    if (!die_unsigned(r, die, DW_AT_const_value, &value))
        return false;
    unsigned width = constant_width(form);
    if (width < 8 && type_signed && (value >> (8 * width - 1)) & 1)
        value |= ~(uint64_t)0 << (8 * width); /* dataN holds bits; the type gives the sign */
    bool is_signed = type_signed || form == DW_FORM_sdata || form == DW_FORM_implicit_const;
    bool negative = is_signed && (int64_t)value < 0;
    size_t n = size ? size : width;
    uint8_t *out = di_arena_alloc(r->arena, n);
    if (!out)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = i < 8 ? (uint8_t)(value >> (8 * i)) : negative ? 0xff : 0;
    *bytes = out;
    *len = n;
    return true;
}

bool dwarf_const_value_read(dwarf_reader *r, Dwarf_Die die, uint64_t size, bool type_signed,
                            const uint8_t **bytes, size_t *len)
{
    Dwarf_Attribute a = die_attribute(r, die, DW_AT_const_value);
    if (!a)
        return false;
    Dwarf_Half form = attribute_form(r, a);
    bool ok = false;
    switch (form) {
    case DW_FORM_data1: case DW_FORM_data2: case DW_FORM_data4: case DW_FORM_data8:
    case DW_FORM_sdata: case DW_FORM_udata: case DW_FORM_implicit_const:
        ok = integer_bytes(r, die, form, size, type_signed, bytes, len);
        break;
    case DW_FORM_block1: case DW_FORM_block2: case DW_FORM_block4: case DW_FORM_block: {
        Dwarf_Block *block = NULL;
        if (!dwarf_call_ok(r, dwarf_formblock(a, &block, &r->err), "reading DW_AT_const_value"))
            break;
        *bytes = di_arena_copy(r->arena, block->bl_data, block->bl_len);
        *len = block->bl_len;
        ok = *bytes != NULL;
        dwarf_dealloc(r->dbg, block, DW_DLA_BLOCK);
        break;
    }
    default:
        dwarf_note_problem(r, "a DW_AT_const_value that is not a number or a block is ignored");
    }
    dwarf_dealloc_attribute(a);
    return ok;
}

bool dwarf_location_is_thread_local(const uint8_t *expr, size_t len)
{
    return len > 0 && (expr[len - 1] == DW_OP_form_tls_address ||
                       expr[len - 1] == DW_OP_GNU_push_tls_address);
}

bool dwarf_location_is_static(const uint8_t *expr, size_t len)
{
    return len > 0 && (expr[0] == DW_OP_addr || expr[0] == DW_OP_addrx ||
                       expr[0] == DW_OP_GNU_addr_index ||
                       dwarf_location_is_thread_local(expr, len));
}
