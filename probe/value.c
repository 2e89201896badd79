/* Debugger values (see value.h): where a variable lives in a frame, safe reads of its bytes,
 * members, elements, dereference, scalar conversions and writes. Agent thread only. */
#include "value.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "safe_mem.h"
#include "value_support.h"

#define TYPE_TEXT_LEN 128
#define MEMBER_NESTING_MAX 8   /* anonymous members / nested types followed this deep */

static const char OPTIMIZED_OUT[] = "optimized out";
static const char PARTLY_OPTIMIZED_OUT[] = "partly optimized out";

static uint64_t load_le(const uint8_t *bytes, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        v |= (uint64_t)bytes[i] << (8 * i);
    return v;
}

static void store_le(uint8_t *bytes, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n && i < 8; i++)
        bytes[i] = (uint8_t)(v >> (8 * i));
}

/* Bits [from, from + n) of a byte mask of a VALUE_INLINE_BYTES-long value. */
static uint64_t byte_mask(uint64_t from, uint64_t n)
{
    if (from >= 64 || n == 0)
        return 0;
    uint64_t to = from + n > 64 ? 64 : from + n;
    uint64_t upto = to == 64 ? UINT64_MAX : ((uint64_t)1 << to) - 1;
    return upto & ~(((uint64_t)1 << from) - 1);
}

static int unavailable(value *out, const char *reason)
{
    out->where = VALUE_UNAVAILABLE;
    out->reason = reason;
    return 0;
}

/* ---- locating a variable ---- */

static bool holds(const dvar *array, size_t n, const dvar *var)
{
    return n && (uintptr_t)var >= (uintptr_t)array && (uintptr_t)var < (uintptr_t)(array + n);
}

/* Whether var is one of the chain's own variables (so its unit's .debug_addr applies). */
static bool chain_holds(const dscope_chain *chain, const dvar *var)
{
    for (size_t i = 0; i < chain->n_scopes; i++)
        if (holds(chain->scopes[i].params, chain->scopes[i].n_params, var) ||
            holds(chain->scopes[i].locals, chain->scopes[i].n_locals, var))
            return true;
    return holds(chain->globals, chain->n_globals, var) ||
           holds(chain->statics, chain->n_statics, var);
}

/* The expression that applies at the frame's pc (a return address looks up pc - 1). */
static bool location_expression(const value_frame *f, const dvar *var, const uint8_t **expr,
                                size_t *len)
{
    if (var->ranges) {
        uint64_t pc = f->is_return_address ? f->pc - 1 : f->pc;
        for (size_t i = 0; i < var->n_ranges; i++) {
            const dloc_range *r = &var->ranges[i];
            if (pc >= r->low && pc < r->high) {
                *expr = r->expr;
                *len = r->expr_len;
                return r->expr && r->expr_len;
            }
        }
        return false;
    }
    *expr = var->expr;
    *len = var->expr_len;
    return var->expr && var->expr_len;
}

/* The value of the function's DW_AT_frame_base in this frame, for DW_OP_fbreg. */
static bool frame_base(const value_frame *f, const dwarf_expr_env *env, uint64_t *out)
{
    const dscope_chain *chain = f->chain;
    if (!chain || !chain->frame_base || !f->regs)
        return false;
    dwarf_expr_env base_env = *env;
    base_env.load_bias = chain->load_bias;
    dwarf_location base;
    if (dwarf_expr_eval(chain->frame_base, chain->frame_base_len, &base_env, &base, NULL, 0) !=
            DWARF_EXPR_OK || base.n_pieces != 1)
        return false;
    const location_piece *p = &base.pieces[0];
    switch (p->kind) {
    case LOCATION_MEMORY: *out = p->address; return true;
    case LOCATION_REGISTER: *out = f->regs->reg[p->regno]; return true;
    case LOCATION_VALUE: *out = p->value; return true;
    default: return false;
    }
}

static void frame_env(const value_frame *f, const dvar *var, dwarf_expr_env *env)
{
    *env = (dwarf_expr_env){.regs = f->regs, .load_bias = var->load_bias, .address_size = 8};
    if (f->chain && chain_holds(f->chain, var)) {
        env->debug_addr = f->chain->debug_addr;
        env->debug_addr_ctx = f->chain->debug_addr_ctx;
        if (var->kind == DVAR_PARAM || var->kind == DVAR_LOCAL)
            env->has_frame_base = frame_base(f, env, &env->frame_base);
    }
}

/* Which bytes of an object of type t placed at `base` hold data (padding does not). */
static uint64_t needed_bytes(const dtype *t, uint64_t base, int nesting)
{
    const dtype *s = type_strip(t);
    uint64_t size = type_size(t);
    if (!s || base >= VALUE_INLINE_BYTES || nesting >= MEMBER_NESTING_MAX)
        return byte_mask(base, size);
    uint64_t mask = 0;
    if (s->kind == DT_STRUCT || s->kind == DT_UNION) {
        for (size_t i = 0; i < s->n_members; i++) {
            const dmember *m = &s->members[i];
            if (m->bit_size)
                mask |= byte_mask(base + m->offset + m->bit_offset / 8,
                                  (m->bit_offset % 8 + m->bit_size + 7) / 8);
            else
                mask |= needed_bytes(m->type, base + m->offset, nesting + 1);
        }
        return mask;
    }
    if (s->kind == DT_ARRAY && s->count_known) {
        uint64_t element = type_size(s->target);
        for (uint64_t i = 0; element && i < s->count && base + i * element < 64; i++)
            mask |= needed_bytes(s->target, base + i * element, nesting + 1);
        return mask;
    }
    return byte_mask(base, size);
}

static int safe_read_for_piece(void *ctx, uint64_t addr, void *dst, size_t n)
{
    return safe_mem_read((uintptr_t)addr, dst, n);
}

/* A value described by DW_OP_piece: read every piece now into an rvalue. */
static int assemble_pieces(const value_frame *f, const dvar *var, const dwarf_location *loc,
                           value *out, char *err, size_t err_len)
{
    uint64_t size = type_size(var->type);
    if (size > VALUE_INLINE_BYTES)
        return value_fail(err, err_len, "cannot evaluate the location of '%s': its pieces cover "
                          "%" PRIu64 " bytes, more than %d", var->name, size, VALUE_INLINE_BYTES);
    uint64_t have = 0, offset = 0;
    for (size_t i = 0; i < loc->n_pieces && offset < size; offset += loc->pieces[i++].size) {
        const location_piece *p = &loc->pieces[i];
        size_t n = (size_t)(p->size < size - offset ? p->size : size - offset), copied;
        if (location_piece_copy(p, f->regs, out->bytes + offset, n, &copied, safe_read_for_piece, NULL) != 0)
            return value_fail(err, err_len, "cannot evaluate the location of '%s': cannot read "
                              "memory at 0x%" PRIx64, var->name, p->address);
        have |= byte_mask(offset, copied);
    }
    if (needed_bytes(var->type, 0, 0) & ~have)
        return unavailable(out, PARTLY_OPTIMIZED_OUT);
    out->where = VALUE_BYTES;
    return 0;
}

static int from_location(const value_frame *f, const dvar *var, const dwarf_location *loc,
                         value *out, char *err, size_t err_len)
{
    const location_piece *p = &loc->pieces[0];
    uint64_t size = type_size(var->type);
    bool whole = loc->n_pieces == 1 &&
                 (p->size == 0 || (p->kind == LOCATION_MEMORY && p->size >= size));
    if (!whole || (p->kind == LOCATION_IMPLICIT && p->size < size))
        return assemble_pieces(f, var, loc, out, err, err_len);
    switch (p->kind) {
    case LOCATION_MEMORY:
        out->where = VALUE_MEMORY;
        out->address = p->address;
        return 0;
    case LOCATION_REGISTER:
        if (size > 8)
            return unavailable(out, PARTLY_OPTIMIZED_OUT);
        out->where = VALUE_REGISTER;
        out->regno = p->regno;
        store_le(out->bytes, f->regs->reg[p->regno], 8);
        return 0;
    case LOCATION_VALUE:
        out->where = VALUE_BYTES;
        store_le(out->bytes, p->value, size < 8 ? (size_t)size : 8);
        return 0;
    case LOCATION_IMPLICIT:
        if (size > VALUE_INLINE_BYTES)
            return value_fail(err, err_len, "cannot evaluate the location of '%s': its implicit "
                              "value has more than %d bytes", var->name, VALUE_INLINE_BYTES);
        out->where = VALUE_BYTES;
        memcpy(out->bytes, p->bytes, (size_t)size);
        return 0;
    default:
        return unavailable(out, OPTIMIZED_OUT);
    }
}

static int const_value(const dvar *var, value *out, char *err, size_t err_len)
{
    if (var->const_len > VALUE_INLINE_BYTES)
        return value_fail(err, err_len, "cannot show '%s': its constant value has more than %d "
                          "bytes", var->name, VALUE_INLINE_BYTES);
    uint64_t size = type_size(var->type);
    bool negative = var->const_len && type_is_signed(var->type) &&
                    (var->const_bytes[var->const_len - 1] & 0x80);
    memset(out->bytes, negative ? 0xff : 0,
           size < VALUE_INLINE_BYTES ? (size_t)size : VALUE_INLINE_BYTES);
    memcpy(out->bytes, var->const_bytes, var->const_len);
    out->where = VALUE_BYTES;
    return 0;
}

int value_of_variable(const value_frame *f, const dvar *var, value *out, char *err, size_t err_len)
{
    *out = (value){.type = var->type};
    if (var->has_const_value)
        return const_value(var, out, err, err_len);
    const uint8_t *expr;
    size_t len;
    if (!location_expression(f, var, &expr, &len))
        return unavailable(out, OPTIMIZED_OUT);
    dwarf_expr_env env;
    frame_env(f, var, &env);
    dwarf_location loc;
    char reason[160];
    switch (dwarf_expr_eval(expr, len, &env, &loc, reason, sizeof reason)) {
    case DWARF_EXPR_OK:
        return from_location(f, var, &loc, out, err, err_len);
    case DWARF_EXPR_UNAVAILABLE:
        return unavailable(out, OPTIMIZED_OUT);
    default:
        return value_fail(err, err_len, "cannot evaluate the location of '%s': %s", var->name,
                          reason);
    }
}

/* ---- reading ---- */

static int optimized_out_error(char *err, size_t err_len)
{
    return value_fail(err, err_len, "the value is optimized out here");
}

/* Raw bytes [offset, offset + len) of the object v holds (ignoring any bitfield). */
static int read_raw(const value *v, uint64_t offset, void *buf, size_t len, char *err,
                    size_t err_len)
{
    switch (v->where) {
    case VALUE_MEMORY:
        if (safe_mem_read((uintptr_t)(v->address + offset), buf, len) != 0)
            return value_fail(err, err_len, "cannot read memory at 0x%" PRIx64,
                              v->address + offset);
        return 0;
    case VALUE_BYTES:
    case VALUE_REGISTER:
        if (offset > VALUE_INLINE_BYTES || len > VALUE_INLINE_BYTES - offset)
            return value_fail(err, err_len, "cannot read past the %d bytes of a computed value",
                              VALUE_INLINE_BYTES);
        memcpy(buf, v->bytes + offset, len);
        return 0;
    default:
        return optimized_out_error(err, err_len);
    }
}

/* Where a bitfield's bits are: whole bytes to skip, then a shift within the first byte. */
typedef struct bit_span {
    uint64_t skip;
    unsigned shift;
    size_t bytes;       /* bytes covering shift + width bits (at most 9) */
    uint64_t mask;      /* width bits set */
} bit_span;

static int bitfield_span(const value *v, bit_span *out, char *err, size_t err_len)
{
    if (v->bit_size > 64)
        return value_fail(err, err_len, "a bitfield of %u bits is wider than 64", v->bit_size);
    out->skip = v->bit_offset / 8;
    out->shift = v->bit_offset % 8;
    out->bytes = (out->shift + v->bit_size + 7) / 8;
    out->mask = v->bit_size == 64 ? UINT64_MAX : ((uint64_t)1 << v->bit_size) - 1;
    return 0;
}

static int read_bitfield(const value *v, uint64_t *out, char *err, size_t err_len)
{
    bit_span span = {0};
    uint8_t raw[9] = {0};
    if (bitfield_span(v, &span, err, err_len) != 0 ||
        read_raw(v, span.skip, raw, span.bytes, err, err_len) != 0)
        return -1;
    uint64_t bits = load_le(raw, 8) >> span.shift;
    if (span.shift)
        bits |= (uint64_t)raw[8] << (64 - span.shift);
    *out = bits_extend(bits, v->bit_size, type_is_signed(v->type));
    return 0;
}

int value_read(const value_frame *f, const value *v, void *buf, size_t len, char *err, size_t err_len)
{
    if (v->where == VALUE_UNAVAILABLE)
        return optimized_out_error(err, err_len);
    if (!v->bit_size)
        return read_raw(v, 0, buf, len, err, err_len);
    uint64_t bits;
    if (read_bitfield(v, &bits, err, err_len) != 0)
        return -1;
    memset(buf, 0, len);
    store_le(buf, bits, len);
    return 0;
}

/* ---- scalar conversions ---- */

/* A double converted to integer bits the way C converts (truncation), saturating where C
 * leaves the result undefined. */
static uint64_t double_to_bits(double d, bool is_unsigned)
{
    if (isnan(d))
        return 0;
    if (is_unsigned && d >= 0)
        return d >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)d;
    if (d >= 9223372036854775808.0)
        return (uint64_t)INT64_MAX;
    if (d < -9223372036854775808.0)
        return (uint64_t)INT64_MIN;
    return (uint64_t)(int64_t)d;
}

static int not_a_number(const value *v, char *err, size_t err_len)
{
    char type[TYPE_TEXT_LEN];
    return value_fail(err, err_len, "cannot use a value of type '%s' as a number",
                      dtype_describe(v->type, type, sizeof type));
}

/* The integer bits of an integer, enum, bool, char or pointer value, sign-extended per type. */
static int integer_bits(const value *v, uint64_t *out, char *err, size_t err_len)
{
    if (v->where == VALUE_UNAVAILABLE)
        return optimized_out_error(err, err_len);
    if (!type_is_integer(v->type) && !type_is_pointer(v->type))
        return not_a_number(v, err, err_len);
    if (v->bit_size)
        return read_bitfield(v, out, err, err_len);
    uint64_t size = type_size(v->type);
    uint8_t raw[8];
    if (size == 0 || size > 8)
        return not_a_number(v, err, err_len);
    if (read_raw(v, 0, raw, (size_t)size, err, err_len) != 0)
        return -1;
    uint64_t bits = load_le(raw, (size_t)size);
    *out = bits_extend(bits, (unsigned)(8 * size), type_is_signed(v->type));
    return 0;
}

int value_as_double(const value_frame *f, const value *v, double *out, char *err, size_t err_len)
{
    if (!type_is_float(v->type)) {
        uint64_t bits;
        if (integer_bits(v, &bits, err, err_len) != 0)
            return -1;
        *out = type_is_signed(v->type) ? (double)(int64_t)bits : (double)bits;
        return 0;
    }
    uint64_t size = type_size(v->type);
    uint8_t raw[16] = {0};
    if (size != sizeof(float) && size != sizeof(double) && size != sizeof(long double))
        return not_a_number(v, err, err_len);
    if (v->where == VALUE_UNAVAILABLE)
        return optimized_out_error(err, err_len);
    if (read_raw(v, 0, raw, (size_t)size, err, err_len) != 0)
        return -1;
    if (size == sizeof(float)) {
        float x;
        memcpy(&x, raw, sizeof x);
        *out = x;
    } else if (size == sizeof(double)) {
        memcpy(out, raw, sizeof *out);
    } else {
        long double x;
        memcpy(&x, raw, sizeof x);
        *out = (double)x;
    }
    return 0;
}

/* Integer bits of any scalar: floats are truncated toward zero. */
static int scalar_bits(const value_frame *f, const value *v, bool want_unsigned, uint64_t *out,
                       char *err, size_t err_len)
{
    if (!type_is_float(v->type))
        return integer_bits(v, out, err, err_len);
    double d;
    if (value_as_double(f, v, &d, err, err_len) != 0)
        return -1;
    *out = double_to_bits(d, want_unsigned);
    return 0;
}

int value_as_int(const value_frame *f, const value *v, int64_t *out, char *err, size_t err_len)
{
    uint64_t bits;
    if (scalar_bits(f, v, false, &bits, err, err_len) != 0)
        return -1;
    *out = (int64_t)bits;
    return 0;
}

int value_as_uint(const value_frame *f, const value *v, uint64_t *out, char *err, size_t err_len)
{
    return scalar_bits(f, v, true, out, err, err_len);
}

bool value_is_integer(const value *v)
{
    return type_is_integer(v->type);
}

bool value_is_float(const value *v)
{
    return type_is_float(v->type);
}

bool value_is_pointer(const value *v)
{
    return type_is_pointer(v->type);
}

void value_from_int(const dtype *t, int64_t v, value *out)
{
    if (type_is_float(t)) {
        value_from_double(t, (double)v, out);
        return;
    }
    *out = (value){.type = t, .where = VALUE_BYTES};
    const dtype *s = type_strip(t);
    if (s && s->kind == DT_BASE && s->encoding == DT_ENC_BOOL)
        v = v != 0;
    uint64_t size = type_size(t);
    store_le(out->bytes, (uint64_t)v, size == 0 || size > 8 ? 8 : (size_t)size);
}

void value_from_double(const dtype *t, double v, value *out)
{
    if (!type_is_float(t)) {
        bool is_unsigned = !type_is_signed(t);
        value_from_int(t, (int64_t)double_to_bits(v, is_unsigned), out);
        return;
    }
    *out = (value){.type = t, .where = VALUE_BYTES};
    uint64_t size = type_size(t);
    if (size == sizeof(float)) {
        float x = (float)v;
        memcpy(out->bytes, &x, sizeof x);
    } else if (size == sizeof(long double)) {
        long double x = v;
        memcpy(out->bytes, &x, sizeof x);
    } else {
        memcpy(out->bytes, &v, sizeof v);
    }
}

/* ---- members, elements, pointers ---- */

static const dmember *find_member(const dtype *s, const char *name, uint64_t *offset, int nesting)
{
    for (size_t i = 0; i < s->n_members; i++) {
        const dmember *m = &s->members[i];
        if (m->name && strcmp(m->name, name) == 0) {
            *offset += m->offset;
            return m;
        }
    }
    for (size_t i = 0; i < s->n_members && nesting < MEMBER_NESTING_MAX; i++) {
        const dmember *m = &s->members[i];
        const dtype *inner = type_strip(m->type);
        if (m->name || !inner || (inner->kind != DT_STRUCT && inner->kind != DT_UNION))
            continue;
        uint64_t inner_offset = *offset + m->offset;
        const dmember *found = find_member(inner, name, &inner_offset, nesting + 1);
        if (found) {
            *offset = inner_offset;
            return found;
        }
    }
    return NULL;
}

/* The part of v of type t at byte `offset` (a bitfield when bit_size is set). */
static int sub_object(const value *v, const dtype *t, uint64_t offset, uint32_t bit_size,
                      uint32_t bit_offset, value *out, char *err, size_t err_len)
{
    *out = (value){.type = t, .where = v->where, .reason = v->reason, .bit_size = bit_size,
                   .bit_offset = bit_offset};
    if (v->where == VALUE_MEMORY) {
        out->address = v->address + offset;
    } else if (v->where != VALUE_UNAVAILABLE) {
        uint64_t span = bit_size ? (bit_offset + bit_size + 7) / 8 : type_size(t);
        if (offset > VALUE_INLINE_BYTES || span > VALUE_INLINE_BYTES - offset)
            return value_fail(err, err_len, "the part at offset %" PRIu64 " lies beyond the %d "
                              "bytes of a computed value", offset, VALUE_INLINE_BYTES);
        out->where = VALUE_BYTES;
        memcpy(out->bytes, v->bytes + offset, VALUE_INLINE_BYTES - (size_t)offset);
    }
    return 0;
}

static const dtype *aggregate_type(const value *v)
{
    const dtype *s = type_strip(v->type);
    return s && (s->kind == DT_STRUCT || s->kind == DT_UNION) ? s : NULL;
}

int value_member(const value_frame *f, const value *v, const char *name, value *out, char *err, size_t err_len)
{
    char type[TYPE_TEXT_LEN];
    const dtype *s = aggregate_type(v);
    if (!s)
        return value_fail(err, err_len, "cannot take member '%s' of a value of type '%s'", name,
                          dtype_describe(v->type, type, sizeof type));
    uint64_t offset = 0;
    const dmember *m = find_member(s, name, &offset, 0);
    if (!m)
        return value_fail(err, err_len, "no member '%s' in '%s'", name,
                          dtype_describe(v->type, type, sizeof type));
    return sub_object(v, m->type, offset, m->bit_size, m->bit_offset, out, err, err_len);
}

int value_member_at(const value_frame *f, const value *v, size_t index, value *out, char *err, size_t err_len)
{
    char type[TYPE_TEXT_LEN];
    const dtype *s = aggregate_type(v);
    if (!s || index >= s->n_members)
        return value_fail(err, err_len, "no member #%zu in '%s'", index,
                          dtype_describe(v->type, type, sizeof type));
    const dmember *m = &s->members[index];
    return sub_object(v, m->type, m->offset, m->bit_size, m->bit_offset, out, err, err_len);
}

/* The address a pointer value holds; a null pointer is an error. */
static int pointer_target_address(const value_frame *f, const value *v, uint64_t *address,
                                  char *err, size_t err_len)
{
    if (value_as_uint(f, v, address, err, err_len) != 0)
        return -1;
    if (*address == 0)
        return value_fail(err, err_len, "cannot dereference a null pointer");
    return 0;
}

static int index_array(const value *v, const dtype *s, int64_t index, value *out, char *err,
                       size_t err_len)
{
    char type[TYPE_TEXT_LEN];
    bool beyond = s->count_known ? index < 0 || (uint64_t)index >= s->count : index < 0;
    if (beyond)
        return value_fail(err, err_len, "index %" PRId64 " is out of bounds for '%s'", index,
                          dtype_describe(v->type, type, sizeof type));
    uint64_t offset = (uint64_t)index * type_size(s->target);
    return sub_object(v, s->target, offset, 0, 0, out, err, err_len);
}

int value_index(const value_frame *f, const value *v, int64_t index, value *out, char *err, size_t err_len)
{
    char type[TYPE_TEXT_LEN];
    const dtype *s = type_strip(v->type);
    if (s && s->kind == DT_ARRAY)
        return index_array(v, s, index, out, err, err_len);
    if (!s || s->kind != DT_POINTER)
        return value_fail(err, err_len, "cannot index a value of type '%s'",
                          dtype_describe(v->type, type, sizeof type));
    uint64_t element = type_size(s->target), address;
    if (element == 0)
        return value_fail(err, err_len, "cannot index '%s': the size of what it points to is "
                          "not known", dtype_describe(v->type, type, sizeof type));
    if (pointer_target_address(f, v, &address, err, err_len) != 0)
        return -1;
    *out = (value){.type = s->target, .where = VALUE_MEMORY,
                   .address = address + (uint64_t)index * element};
    return 0;
}

int value_deref(const value_frame *f, const value *v, value *out, char *err, size_t err_len)
{
    char type[TYPE_TEXT_LEN];
    const dtype *s = type_strip(v->type);
    if (s && s->kind == DT_ARRAY)
        return index_array(v, s, 0, out, err, err_len);
    if (!s || s->kind != DT_POINTER)
        return value_fail(err, err_len, "cannot dereference a value of type '%s'",
                          dtype_describe(v->type, type, sizeof type));
    const dtype *target = type_strip(s->target);
    if (!target || target->kind == DT_VOID)
        return value_fail(err, err_len, "cannot dereference '%s'",
                          dtype_describe(v->type, type, sizeof type));
    if (target->kind == DT_FUNCTION)
        return value_fail(err, err_len, "cannot dereference a function pointer");
    uint64_t address;
    if (pointer_target_address(f, v, &address, err, err_len) != 0)
        return -1;
    *out = (value){.type = s->target, .where = VALUE_MEMORY, .address = address};
    return 0;
}

int value_address_of(const value_frame *f, const value *v, value *out, char *err, size_t err_len)
{
    switch (v->where) {
    case VALUE_UNAVAILABLE:
        return value_fail(err, err_len, "cannot take the address of a value that is optimized out");
    case VALUE_REGISTER:
        return value_fail(err, err_len, "cannot take the address of a register");
    case VALUE_BYTES:
        return value_fail(err, err_len, "cannot take the address of a computed value");
    default:
        break;
    }
    if (v->bit_size)
        return value_fail(err, err_len, "cannot take the address of a bitfield");
    const dtype *pointer = debuginfo_pointer_to(f->symbols, v->type);
    if (!pointer)
        return value_fail(err, err_len, "out of memory");
    value_from_int(pointer, (int64_t)v->address, out);
    return 0;
}

/* ---- writing ---- */

/* Writes bytes [offset, offset + len) of the object target holds. */
static int write_raw(const value_frame *f, const value *target, uint64_t offset, const uint8_t *buf,
                     size_t len, char *err, size_t err_len)
{
    if (target->where == VALUE_MEMORY) {
        if (safe_mem_write((uintptr_t)(target->address + offset), buf, len) != 0)
            return value_fail(err, err_len, "cannot write memory at 0x%" PRIx64,
                              target->address + offset);
        return 0;
    }
    uint8_t word[8];
    if (offset + len > sizeof word)
        return value_fail(err, err_len, "the value does not fit in register %s",
                          frame_reg_name(target->regno));
    memcpy(word, target->bytes, sizeof word);
    memcpy(word + offset, buf, len);
    if (f->set_register(f->tid, target->regno, load_le(word, 8)) != 0)
        return value_fail(err, err_len, "cannot set register %s of thread %d",
                          frame_reg_name(target->regno), (int)f->tid);
    return 0;
}

static int write_bitfield(const value_frame *f, const value *target, uint64_t bits, char *err,
                          size_t err_len)
{
    bit_span span = {0};
    uint8_t raw[9] = {0};
    if (bitfield_span(target, &span, err, err_len) != 0 ||
        read_raw(target, span.skip, raw, span.bytes, err, err_len) != 0)
        return -1;
    bits &= span.mask;
    uint64_t low = load_le(raw, 8);
    low = (low & ~(span.mask << span.shift)) | bits << span.shift;
    store_le(raw, low, 8);
    if (span.shift) {
        uint64_t high_mask = span.mask >> (64 - span.shift);
        raw[8] = (uint8_t)((raw[8] & ~high_mask) | ((bits >> (64 - span.shift)) & high_mask));
    }
    return write_raw(f, target, span.skip, raw, span.bytes, err, err_len);
}

int value_assign(const value_frame *f, const value *target, const value *source, char *err, size_t err_len)
{
    char type[TYPE_TEXT_LEN];
    if (target->where == VALUE_UNAVAILABLE)
        return value_fail(err, err_len, "cannot set a value that is optimized out");
    if (!type_is_integer(target->type) && !type_is_float(target->type) &&
        !type_is_pointer(target->type))
        return value_fail(err, err_len, "cannot set a value of type '%s'",
                          dtype_describe(target->type, type, sizeof type));
    if (target->where == VALUE_BYTES)
        return value_fail(err, err_len, "cannot set a computed value");
    if (target->where == VALUE_REGISTER && !f->set_register)
        return value_fail(err, err_len, "cannot set a register of a caller's frame");
    value converted;
    if (type_is_float(target->type) || type_is_float(source->type)) {
        double d;
        if (value_as_double(f, source, &d, err, err_len) != 0)
            return -1;
        value_from_double(target->type, d, &converted);
    } else {
        uint64_t bits;
        if (value_as_uint(f, source, &bits, err, err_len) != 0)
            return -1;
        value_from_int(target->type, (int64_t)bits, &converted);
    }
    if (target->bit_size)
        return write_bitfield(f, target, load_le(converted.bytes, 8), err, err_len);
    return write_raw(f, target, 0, converted.bytes, (size_t)type_size(target->type), err, err_len);
}
