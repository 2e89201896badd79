/* The DWARF location expression machine: a bounded stack machine over DW_OP bytes for one frame
 * that never allocates or faults (memory through safe_mem), giving a location or a reason. */
#include "dwarf_expr.h"
#include "signal_interpose.h"

#include <dwarf.h>

#include "safe_mem.h"

#define STACK_MAX 64
#define STEP_MAX 10000
#define DWREG_XMM0 17   /* DWARF x86-64: xmm0..xmm15 are 17..32 */
#define DWREG_XMM15 32

/* The reason text, built without stdio so that evaluation stays async-signal-safe. */
typedef struct reason_text {
    char *buf;
    size_t cap;
    size_t used;
} reason_text;

PODBUG_HANDLER_TEXT static void say(reason_text *r, const char *s)
{
    while (*s && r->used + 1 < r->cap)
        r->buf[r->used++] = *s++;
    if (r->cap)
        r->buf[r->used] = '\0';
}

PODBUG_HANDLER_TEXT static void say_number(reason_text *r, uint64_t v, unsigned base)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    char text[26];
    size_t at = 0;
    if (base == 16) {
        text[at++] = '0';
        text[at++] = 'x';
    }
    while (n)
        text[at++] = digits[--n];
    text[at] = '\0';
    say(r, text);
}

PODBUG_HANDLER_TEXT static void say_register(reason_text *r, int regno)
{
    const char *name = frame_reg_name(regno);
    if (name) {
        say(r, name);
    } else if (regno >= DWREG_XMM0 && regno <= DWREG_XMM15) {
        say(r, "xmm");
        say_number(r, (uint64_t)(regno - DWREG_XMM0), 10);
    } else {
        say(r, "#");
        say_number(r, (uint64_t)regno, 10);
    }
}

typedef struct machine {
    const uint8_t *ops;
    size_t len;
    size_t pc;          /* offset of the next byte to decode */
    size_t op_offset;   /* offset of the operation being executed */
    const dwarf_expr_env *env;
    uint64_t stack[STACK_MAX];
    size_t depth;
    /* A register, stack_value or implicit_value location waiting for DW_OP_piece or the end. */
    bool has_pending;
    location_piece pending;
    dwarf_location *out;
    reason_text reason;
} machine;

/* Starts the reason text over with `what`; the caller appends details. */
PODBUG_HANDLER_TEXT static dwarf_expr_status fail(machine *m, dwarf_expr_status status, const char *what)
{
    m->reason.used = 0;
    if (m->reason.cap)
        m->reason.buf[0] = '\0';
    say(&m->reason, what);
    return status;
}

PODBUG_HANDLER_TEXT static dwarf_expr_status fail_at(machine *m, const char *what)
{
    fail(m, DWARF_EXPR_ERROR, what);
    say(&m->reason, " at offset ");
    say_number(&m->reason, m->op_offset, 10);
    return DWARF_EXPR_ERROR;
}

PODBUG_HANDLER_TEXT static dwarf_expr_status register_unknown(machine *m, int regno)
{
    fail(m, DWARF_EXPR_UNAVAILABLE, "register ");
    say_register(&m->reason, regno);
    say(&m->reason, " is not known in this frame");
    return DWARF_EXPR_UNAVAILABLE;
}

PODBUG_HANDLER_TEXT static dwarf_expr_status unsupported(machine *m, const char *op_name)
{
    fail(m, DWARF_EXPR_ERROR, "unsupported operation ");
    say(&m->reason, op_name);
    say(&m->reason, " at offset ");
    say_number(&m->reason, m->op_offset, 10);
    return DWARF_EXPR_ERROR;
}

/* ---- operand decoding, bounds-checked ---- */

PODBUG_HANDLER_TEXT static dwarf_expr_status read_fixed(machine *m, size_t size, uint64_t *out)
{
    if (m->len - m->pc < size)
        return fail_at(m, "truncated operand");
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++)
        v |= (uint64_t)m->ops[m->pc + i] << (8 * i);
    m->pc += size;
    *out = v;
    return DWARF_EXPR_OK;
}

PODBUG_HANDLER_TEXT static int64_t sign_extend(uint64_t v, unsigned bits)
{
    if (bits >= 64)
        return (int64_t)v;
    uint64_t sign = (uint64_t)1 << (bits - 1);
    v &= (sign << 1) - 1;
    return (int64_t)((v ^ sign) - sign);
}

PODBUG_HANDLER_TEXT static dwarf_expr_status read_leb(machine *m, bool is_signed, uint64_t *out)
{
    size_t start = m->pc;
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (m->pc >= m->len) {
            fail(m, DWARF_EXPR_ERROR, "truncated LEB128 at offset ");
            say_number(&m->reason, start, 10);
            return DWARF_EXPR_ERROR;
        }
        uint8_t byte = m->ops[m->pc++];
        if (shift >= 64) { /* more than 10 bytes */
            fail(m, DWARF_EXPR_ERROR, "LEB128 too large at offset ");
            say_number(&m->reason, start, 10);
            return DWARF_EXPR_ERROR;
        }
        v |= (uint64_t)(byte & 0x7f) << shift;
        shift += 7;
        if (!(byte & 0x80))
            break;
    }
    *out = is_signed && shift < 64 ? (uint64_t)sign_extend(v, shift) : v;
    return DWARF_EXPR_OK;
}

/* ---- the stack ---- */

PODBUG_HANDLER_TEXT static dwarf_expr_status push(machine *m, uint64_t v)
{
    if (m->depth == STACK_MAX)
        return fail_at(m, "stack overflow (more than 64 entries)");
    m->stack[m->depth++] = v;
    return DWARF_EXPR_OK;
}

PODBUG_HANDLER_TEXT static dwarf_expr_status need(machine *m, size_t n)
{
    return m->depth >= n ? DWARF_EXPR_OK : fail_at(m, "stack underflow");
}

PODBUG_HANDLER_TEXT static uint64_t *top(machine *m, size_t from_top)
{
    return &m->stack[m->depth - 1 - from_top];
}

/* ---- operations ---- */

PODBUG_HANDLER_TEXT static dwarf_expr_status read_register(machine *m, int regno, int64_t offset)
{
    const frame_regs *regs = m->env->regs;
    if (!regs || !frame_reg_known(regs, regno))
        return register_unknown(m, regno);
    return push(m, regs->reg[regno] + (uint64_t)offset);
}

PODBUG_HANDLER_TEXT static dwarf_expr_status set_pending(machine *m, location_kind kind)
{
    m->has_pending = true;
    m->pending = (location_piece){.kind = kind};
    return DWARF_EXPR_OK;
}

PODBUG_HANDLER_TEXT static dwarf_expr_status register_location(machine *m, uint64_t regno)
{
    if (regno > 0x7fffffff)
        return fail_at(m, "register number out of range");
    const frame_regs *regs = m->env->regs;
    if (!regs || !frame_reg_known(regs, (int)regno))
        return register_unknown(m, (int)regno);
    set_pending(m, LOCATION_REGISTER);
    m->pending.regno = (int)regno;
    return DWARF_EXPR_OK;
}

PODBUG_HANDLER_TEXT static dwarf_expr_status deref(machine *m, uint64_t size, const char *op_name)
{
    dwarf_expr_status st = need(m, 1);
    if (st != DWARF_EXPR_OK)
        return st;
    if (size == 0 || size > 8)
        return fail_at(m, "bad size for a dereference");
    uint64_t address = *top(m, 0);
    uint8_t bytes[8] = {0};
    if (safe_mem_read((uintptr_t)address, bytes, (size_t)size) != 0) {
        fail(m, DWARF_EXPR_ERROR, "cannot read memory at ");
        say_number(&m->reason, address, 16);
        say(&m->reason, " for ");
        say(&m->reason, op_name);
        return DWARF_EXPR_ERROR;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++)
        v |= (uint64_t)bytes[i] << (8 * i);
    *top(m, 0) = v;
    return DWARF_EXPR_OK;
}

PODBUG_HANDLER_TEXT static dwarf_expr_status debug_addr_entry(machine *m, uint64_t bias)
{
    uint64_t index, value;
    dwarf_expr_status st = read_leb(m, false, &index);
    if (st != DWARF_EXPR_OK)
        return st;
    if (!m->env->debug_addr || !m->env->debug_addr(m->env->debug_addr_ctx, index, &value)) {
        fail(m, DWARF_EXPR_ERROR, "cannot resolve .debug_addr index ");
        say_number(&m->reason, index, 10);
        return DWARF_EXPR_ERROR;
    }
    return push(m, value + bias);
}

PODBUG_HANDLER_TEXT static dwarf_expr_status jump(machine *m, bool taken)
{
    uint64_t raw;
    dwarf_expr_status st = read_fixed(m, 2, &raw);
    if (st != DWARF_EXPR_OK || !taken)
        return st;
    int64_t target = (int64_t)m->pc + sign_extend(raw, 16);
    if (target < 0 || (uint64_t)target > m->len)
        return fail_at(m, "branch target out of range");
    m->pc = (size_t)target;
    return DWARF_EXPR_OK;
}

PODBUG_HANDLER_TEXT static uint64_t shift_right_arithmetic(uint64_t v, uint64_t by)
{
    bool negative = (int64_t)v < 0;
    if (by >= 64)
        return negative ? UINT64_MAX : 0;
    return negative ? ~(~v >> by) : v >> by;
}

/* Two operands: a (second entry) op b (top); the result replaces both. */
PODBUG_HANDLER_TEXT static dwarf_expr_status binary(machine *m, uint8_t op)
{
    dwarf_expr_status st = need(m, 2);
    if (st != DWARF_EXPR_OK)
        return st;
    uint64_t b = *top(m, 0), a = *top(m, 1), r;
    int64_t sa = (int64_t)a, sb = (int64_t)b;
    switch (op) {
    case DW_OP_and: r = a & b; break;
    case DW_OP_or: r = a | b; break;
    case DW_OP_xor: r = a ^ b; break;
    case DW_OP_plus: r = a + b; break;
    case DW_OP_minus: r = a - b; break;
    case DW_OP_mul: r = a * b; break;
    case DW_OP_div:
        if (b == 0)
            return fail_at(m, "division by zero in DW_OP_div");
        r = (sa == INT64_MIN && sb == -1) ? a : (uint64_t)(sa / sb);
        break;
    case DW_OP_mod:
        if (b == 0)
            return fail_at(m, "division by zero in DW_OP_mod");
        r = a % b;
        break;
    case DW_OP_shl: r = b >= 64 ? 0 : a << b; break;
    case DW_OP_shr: r = b >= 64 ? 0 : a >> b; break;
    case DW_OP_shra: r = shift_right_arithmetic(a, b); break;
    case DW_OP_eq: r = sa == sb; break;
    case DW_OP_ne: r = sa != sb; break;
    case DW_OP_lt: r = sa < sb; break;
    case DW_OP_le: r = sa <= sb; break;
    case DW_OP_gt: r = sa > sb; break;
    default: r = sa >= sb; break; /* DW_OP_ge */
    }
    m->depth--;
    *top(m, 0) = r;
    return DWARF_EXPR_OK;
}

PODBUG_HANDLER_TEXT static dwarf_expr_status stack_op(machine *m, uint8_t op)
{
    dwarf_expr_status st;
    uint64_t index, t;
    switch (op) {
    case DW_OP_dup:
        return (st = need(m, 1)) != DWARF_EXPR_OK ? st : push(m, *top(m, 0));
    case DW_OP_drop:
        if ((st = need(m, 1)) == DWARF_EXPR_OK)
            m->depth--;
        return st;
    case DW_OP_over:
        return (st = need(m, 2)) != DWARF_EXPR_OK ? st : push(m, *top(m, 1));
    case DW_OP_pick:
        if ((st = read_fixed(m, 1, &index)) != DWARF_EXPR_OK)
            return st;
        if (index >= m->depth)
            return fail_at(m, "DW_OP_pick beyond the stack");
        return push(m, *top(m, (size_t)index));
    case DW_OP_swap:
        if ((st = need(m, 2)) == DWARF_EXPR_OK) {
            t = *top(m, 0);
            *top(m, 0) = *top(m, 1);
            *top(m, 1) = t;
        }
        return st;
    default: /* DW_OP_rot: top -> third, second -> top, third -> second */
        if ((st = need(m, 3)) == DWARF_EXPR_OK) {
            t = *top(m, 0);
            *top(m, 0) = *top(m, 1);
            *top(m, 1) = *top(m, 2);
            *top(m, 2) = t;
        }
        return st;
    }
}

PODBUG_HANDLER_TEXT static dwarf_expr_status unary(machine *m, uint8_t op)
{
    dwarf_expr_status st = need(m, 1);
    if (st != DWARF_EXPR_OK)
        return st;
    uint64_t *v = top(m, 0);
    if (op == DW_OP_abs)
        *v = (int64_t)*v < 0 ? 0 - *v : *v;
    else if (op == DW_OP_neg)
        *v = 0 - *v;
    else /* DW_OP_not */
        *v = ~*v;
    return DWARF_EXPR_OK;
}

/* Ends the current piece: it covers `size` bytes starting `byte_offset` bytes into the
 * location described since the previous piece. */
PODBUG_HANDLER_TEXT static dwarf_expr_status close_piece(machine *m, uint64_t size, uint64_t byte_offset)
{
    if (size == 0)
        return fail_at(m, "empty piece");
    if (m->out->n_pieces == DWARF_LOCATION_MAX_PIECES)
        return fail(m, DWARF_EXPR_UNAVAILABLE, "the location has more than 8 pieces");
    location_piece p = {.kind = LOCATION_UNAVAILABLE};
    if (m->has_pending) {
        p = m->pending;
        m->has_pending = false;
    } else if (m->depth > 0) {
        p.kind = LOCATION_MEMORY;
        p.address = m->stack[--m->depth] + byte_offset;
        byte_offset = 0;
    }
    if (p.kind == LOCATION_IMPLICIT) {
        if (byte_offset > p.size || p.size - byte_offset < size)
            return fail_at(m, "DW_OP_implicit_value is shorter than its piece");
        p.bytes += byte_offset;
    } else if (p.kind == LOCATION_VALUE) {
        p.value = byte_offset >= 8 ? 0 : p.value >> (8 * byte_offset);
    } else if (byte_offset != 0 && p.kind == LOCATION_REGISTER) {
        return fail(m, DWARF_EXPR_UNAVAILABLE, "a piece starts inside a register");
    }
    p.size = size;
    m->out->pieces[m->out->n_pieces++] = p;
    return DWARF_EXPR_OK;
}

PODBUG_HANDLER_TEXT static dwarf_expr_status piece(machine *m, bool bit_piece)
{
    uint64_t size, offset = 0;
    dwarf_expr_status st = read_leb(m, false, &size);
    if (st == DWARF_EXPR_OK && bit_piece)
        st = read_leb(m, false, &offset);
    if (st != DWARF_EXPR_OK)
        return st;
    if (!bit_piece)
        return close_piece(m, size, 0);
    if (size % 8 || offset % 8)
        return fail(m, DWARF_EXPR_UNAVAILABLE, "a piece is not byte aligned (DW_OP_bit_piece)");
    return close_piece(m, size / 8, offset / 8);
}

PODBUG_HANDLER_TEXT static dwarf_expr_status implicit_value(machine *m)
{
    uint64_t size;
    dwarf_expr_status st = read_leb(m, false, &size);
    if (st != DWARF_EXPR_OK)
        return st;
    if (size == 0 || size > m->len - m->pc)
        return fail_at(m, "bad DW_OP_implicit_value size");
    set_pending(m, LOCATION_IMPLICIT);
    m->pending.bytes = m->ops + m->pc;
    m->pending.size = size;
    m->pc += (size_t)size;
    return DWARF_EXPR_OK;
}

PODBUG_HANDLER_TEXT static dwarf_expr_status stack_value(machine *m)
{
    dwarf_expr_status st = need(m, 1);
    if (st != DWARF_EXPR_OK)
        return st;
    set_pending(m, LOCATION_VALUE);
    m->pending.value = m->stack[--m->depth];
    return DWARF_EXPR_OK;
}

PODBUG_HANDLER_TEXT static dwarf_expr_status constant(machine *m, size_t size, bool is_signed)
{
    uint64_t v;
    dwarf_expr_status st = read_fixed(m, size, &v);
    if (st != DWARF_EXPR_OK)
        return st;
    return push(m, is_signed ? (uint64_t)sign_extend(v, (unsigned)(8 * size)) : v);
}

PODBUG_HANDLER_TEXT static dwarf_expr_status leb_constant(machine *m, bool is_signed)
{
    uint64_t v;
    dwarf_expr_status st = read_leb(m, is_signed, &v);
    return st != DWARF_EXPR_OK ? st : push(m, v);
}

PODBUG_HANDLER_TEXT static dwarf_expr_status based_register(machine *m, uint64_t regno)
{
    uint64_t offset;
    dwarf_expr_status st = read_leb(m, true, &offset);
    if (st != DWARF_EXPR_OK)
        return st;
    if (regno > 0x7fffffff)
        return fail_at(m, "register number out of range");
    return read_register(m, (int)regno, (int64_t)offset);
}

PODBUG_HANDLER_TEXT static uint8_t address_size(const machine *m)
{
    uint8_t size = m->env->address_size;
    return size == 0 || size > 8 ? 8 : size;
}

PODBUG_HANDLER_TEXT static dwarf_expr_status step(machine *m, uint8_t op)
{
    dwarf_expr_status st;
    uint64_t v;
    if (op >= DW_OP_lit0 && op <= DW_OP_lit31)
        return push(m, op - DW_OP_lit0);
    if (op >= DW_OP_reg0 && op <= DW_OP_reg31)
        return register_location(m, op - DW_OP_reg0);
    if (op >= DW_OP_breg0 && op <= DW_OP_breg31)
        return based_register(m, op - DW_OP_breg0);
    switch (op) {
    case DW_OP_addr:
        st = read_fixed(m, address_size(m), &v);
        return st != DWARF_EXPR_OK ? st : push(m, v + m->env->load_bias);
    case DW_OP_addrx:
    case DW_OP_GNU_addr_index:
        return debug_addr_entry(m, m->env->load_bias);
    case DW_OP_constx:
    case DW_OP_GNU_const_index:
        return debug_addr_entry(m, 0);
    case DW_OP_const1u: return constant(m, 1, false);
    case DW_OP_const1s: return constant(m, 1, true);
    case DW_OP_const2u: return constant(m, 2, false);
    case DW_OP_const2s: return constant(m, 2, true);
    case DW_OP_const4u: return constant(m, 4, false);
    case DW_OP_const4s: return constant(m, 4, true);
    case DW_OP_const8u: return constant(m, 8, false);
    case DW_OP_const8s: return constant(m, 8, true);
    case DW_OP_constu: return leb_constant(m, false);
    case DW_OP_consts: return leb_constant(m, true);
    case DW_OP_dup: case DW_OP_drop: case DW_OP_over: case DW_OP_pick: case DW_OP_swap:
    case DW_OP_rot:
        return stack_op(m, op);
    case DW_OP_deref:
        return deref(m, address_size(m), "DW_OP_deref");
    case DW_OP_deref_size:
        st = read_fixed(m, 1, &v);
        return st != DWARF_EXPR_OK ? st : deref(m, v, "DW_OP_deref_size");
    case DW_OP_abs: case DW_OP_neg: case DW_OP_not:
        return unary(m, op);
    case DW_OP_and: case DW_OP_div: case DW_OP_minus: case DW_OP_mod: case DW_OP_mul:
    case DW_OP_or: case DW_OP_plus: case DW_OP_shl: case DW_OP_shr: case DW_OP_shra:
    case DW_OP_xor: case DW_OP_eq: case DW_OP_ge: case DW_OP_gt: case DW_OP_le: case DW_OP_lt:
    case DW_OP_ne:
        return binary(m, op);
    case DW_OP_plus_uconst:
        if ((st = read_leb(m, false, &v)) != DWARF_EXPR_OK || (st = need(m, 1)) != DWARF_EXPR_OK)
            return st;
        *top(m, 0) += v;
        return DWARF_EXPR_OK;
    case DW_OP_bra:
        if ((st = need(m, 1)) != DWARF_EXPR_OK)
            return st;
        v = m->stack[--m->depth];
        return jump(m, v != 0);
    case DW_OP_skip:
        return jump(m, true);
    case DW_OP_regx:
        st = read_leb(m, false, &v);
        return st != DWARF_EXPR_OK ? st : register_location(m, v);
    case DW_OP_bregx:
        st = read_leb(m, false, &v);
        return st != DWARF_EXPR_OK ? st : based_register(m, v);
    case DW_OP_fbreg:
        if ((st = read_leb(m, true, &v)) != DWARF_EXPR_OK)
            return st;
        if (!m->env->has_frame_base)
            return fail(m, DWARF_EXPR_UNAVAILABLE, "the frame base is not known in this frame");
        return push(m, m->env->frame_base + v);
    case DW_OP_call_frame_cfa:
        if (!m->env->regs || m->env->regs->cfa == 0)
            return fail(m, DWARF_EXPR_UNAVAILABLE, "the frame's CFA is not known");
        return push(m, m->env->regs->cfa);
    case DW_OP_piece:
        return piece(m, false);
    case DW_OP_bit_piece:
        return piece(m, true);
    case DW_OP_stack_value:
        return stack_value(m);
    case DW_OP_implicit_value:
        return implicit_value(m);
    case DW_OP_nop:
    case DW_OP_GNU_uninit:
        return DWARF_EXPR_OK;
    case DW_OP_entry_value:
    case DW_OP_GNU_entry_value:
        return fail(m, DWARF_EXPR_UNAVAILABLE, "uses the value on entry (DW_OP_entry_value)");
    case DW_OP_implicit_pointer:
    case DW_OP_GNU_implicit_pointer:
        return fail(m, DWARF_EXPR_UNAVAILABLE,
                    "points to an optimized-out object (DW_OP_implicit_pointer)");
    case DW_OP_GNU_parameter_ref:
        return fail(m, DWARF_EXPR_UNAVAILABLE,
                    "refers to a parameter in the caller (DW_OP_GNU_parameter_ref)");
    case DW_OP_deref_type: return unsupported(m, "DW_OP_deref_type");
    case DW_OP_GNU_deref_type: return unsupported(m, "DW_OP_GNU_deref_type");
    case DW_OP_const_type: return unsupported(m, "DW_OP_const_type");
    case DW_OP_GNU_const_type: return unsupported(m, "DW_OP_GNU_const_type");
    case DW_OP_regval_type: return unsupported(m, "DW_OP_regval_type");
    case DW_OP_GNU_regval_type: return unsupported(m, "DW_OP_GNU_regval_type");
    case DW_OP_convert: return unsupported(m, "DW_OP_convert");
    case DW_OP_GNU_convert: return unsupported(m, "DW_OP_GNU_convert");
    case DW_OP_reinterpret: return unsupported(m, "DW_OP_reinterpret");
    case DW_OP_GNU_reinterpret: return unsupported(m, "DW_OP_GNU_reinterpret");
    case DW_OP_xderef: return unsupported(m, "DW_OP_xderef");
    case DW_OP_xderef_size: return unsupported(m, "DW_OP_xderef_size");
    case DW_OP_xderef_type: return unsupported(m, "DW_OP_xderef_type");
    case DW_OP_push_object_address: return unsupported(m, "DW_OP_push_object_address");
    case DW_OP_call2: return unsupported(m, "DW_OP_call2");
    case DW_OP_call4: return unsupported(m, "DW_OP_call4");
    case DW_OP_call_ref: return unsupported(m, "DW_OP_call_ref");
    case DW_OP_form_tls_address: return unsupported(m, "DW_OP_form_tls_address");
    case DW_OP_GNU_push_tls_address: return unsupported(m, "DW_OP_GNU_push_tls_address");
    case DW_OP_GNU_variable_value: return unsupported(m, "DW_OP_GNU_variable_value");
    case DW_OP_GNU_encoded_addr: return unsupported(m, "DW_OP_GNU_encoded_addr");
    default:
        fail(m, DWARF_EXPR_ERROR, "unknown opcode ");
        say_number(&m->reason, op, 16);
        say(&m->reason, " at offset ");
        say_number(&m->reason, m->op_offset, 10);
        return DWARF_EXPR_ERROR;
    }
}

/* The location once every operation ran. */
PODBUG_HANDLER_TEXT static dwarf_expr_status finish(machine *m)
{
    if (m->out->n_pieces > 0) {
        if (m->has_pending)
            return fail(m, DWARF_EXPR_ERROR, "a location follows the last DW_OP_piece");
        return DWARF_EXPR_OK;
    }
    location_piece p = {.kind = LOCATION_MEMORY};
    if (m->has_pending) {
        p = m->pending;
        if (p.kind != LOCATION_IMPLICIT)
            p.size = 0;
    } else if (m->depth > 0) {
        p.address = *top(m, 0);
    } else {
        return fail(m, DWARF_EXPR_ERROR, "the expression leaves no location (empty stack)");
    }
    m->out->pieces[0] = p;
    m->out->n_pieces = 1;
    return DWARF_EXPR_OK;
}

/* Operations allowed between a register/value location and the DW_OP_piece that ends it. */
PODBUG_HANDLER_TEXT static bool may_follow_location(uint8_t op)
{
    return op == DW_OP_piece || op == DW_OP_bit_piece || op == DW_OP_nop || op == DW_OP_GNU_uninit;
}

PODBUG_HANDLER_TEXT dwarf_expr_status dwarf_expr_eval(const uint8_t *ops, size_t len, const dwarf_expr_env *env,
                                  dwarf_location *out, char *reason, size_t reason_len)
{
    machine m = {
        .ops = ops, .len = ops ? len : 0, .env = env, .out = out,
        .reason = {.buf = reason, .cap = reason ? reason_len : 0},
    };
    out->n_pieces = 0;
    if (m.reason.cap)
        reason[0] = '\0';
    dwarf_expr_status st = DWARF_EXPR_OK;
    if (m.len == 0)
        st = fail(&m, DWARF_EXPR_UNAVAILABLE, "no location (empty expression)");
    for (unsigned steps = 0; st == DWARF_EXPR_OK && m.pc < m.len; steps++) {
        m.op_offset = m.pc;
        uint8_t op = m.ops[m.pc++];
        if (steps == STEP_MAX)
            st = fail_at(&m, "expression runs more than 10000 steps");
        else if (m.has_pending && !may_follow_location(op))
            st = fail_at(&m, "a register or value location is not followed by DW_OP_piece");
        else
            st = step(&m, op);
    }
    if (st == DWARF_EXPR_OK)
        st = finish(&m);
    if (st != DWARF_EXPR_OK) {
        out->pieces[0] = (location_piece){.kind = LOCATION_UNAVAILABLE};
        out->n_pieces = 1;
    }
    return st;
}

PODBUG_HANDLER_TEXT int location_piece_copy(const location_piece *piece, const frame_regs *regs, uint8_t *dst,
                                            size_t n, size_t *copied, location_read_fn read, void *read_ctx)
{
    uint64_t word;
    *copied = 0;
    switch (piece->kind) {
    case LOCATION_MEMORY:
        if (read(read_ctx, piece->address, dst, n) != 0)
            return -1;
        *copied = n;
        return 0;
    case LOCATION_REGISTER:
    case LOCATION_VALUE:
        word = piece->kind == LOCATION_VALUE ? piece->value : regs->reg[piece->regno];
        *copied = n < 8 ? n : 8;
        for (size_t i = 0; i < *copied; i++)
            dst[i] = (uint8_t)(word >> (8 * i));
        return 0;
    case LOCATION_IMPLICIT:
        for (size_t i = 0; i < n; i++)
            dst[i] = piece->bytes[i];
        *copied = n;
        return 0;
    default:
        return 0;
    }
}
