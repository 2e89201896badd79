/* Where a condition's variables are at its breakpoint, decided once at compile time: the
 * location-list entry covering the pc, what its DWARF operations need (frame base, CFA,
 * .debug_addr entries, resolved now), constant values copied; the function's frame base too. */
#include "cond_bytecode.h"

#include <dwarf.h>
#include <string.h>

#include "dwarf_ops.h"
#include "value_support.h"

/* What a location expression needs when it runs. */
typedef struct op_needs {
    bool cfa, frame_base, entry_value;
} op_needs;

static bool read_leb(const uint8_t *ops, size_t len, size_t *at, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; *at < len; shift += 7) {
        uint8_t byte = ops[(*at)++];
        if (shift < 64)
            v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Steps over one operand; *value is its value (a block's length). False when truncated. */
static bool skip_operand(const uint8_t *ops, size_t len, size_t *at, dwarf_operand_kind kind,
                         uint64_t *value)
{
    /* 32-bit DWARF: a .debug_info offset is 4 bytes */
    static const size_t fixed[] = {[DWARF_OPERAND_1] = 1, [DWARF_OPERAND_2] = 2, [DWARF_OPERAND_4] = 4,
                                   [DWARF_OPERAND_8] = 8, [DWARF_OPERAND_OFFSET] = 4};
    *value = 0;
    switch (kind) {
    case DWARF_OPERAND_NONE:
        return true;
    case DWARF_OPERAND_ULEB:
    case DWARF_OPERAND_SLEB:
        return read_leb(ops, len, at, value);
    case DWARF_OPERAND_BLOCK:
        if (!read_leb(ops, len, at, value) || *value > len - *at)
            return false;
        *at += (size_t)*value;
        return true;
    case DWARF_OPERAND_TYPED_BLOCK:
        if (*at >= len || ops[*at] > len - *at - 1)
            return false;
        *at += 1 + ops[*at];
        return true;
    default:
        if (fixed[kind] > len - *at)
            return false;
        *at += fixed[kind];
        return true;
    }
}

static bool is_debug_addr_index(uint8_t op)
{
    return op == DW_OP_addrx || op == DW_OP_constx || op == DW_OP_GNU_addr_index ||
           op == DW_OP_GNU_const_index;
}

/* Walks the operations of one expression: what they need, and their .debug_addr entries
 * resolved into the program. An expression this scan cannot follow is assumed to need
 * everything (dwarf_expr_eval judges it when it runs). */
static op_needs scan_ops(cond_program *p, const dscope_chain *unit, const uint8_t *ops,
                         size_t len)
{
    static const op_needs everything = {.cfa = true, .frame_base = true};
    op_needs needs = {0};
    for (size_t at = 0; at < len;) {
        uint8_t op = ops[at++];
        dwarf_operand_kind args[2];
        uint64_t first, second;
        if (!dwarf_op_operands(op, args) || !skip_operand(ops, len, &at, args[0], &first) ||
            !skip_operand(ops, len, &at, args[1], &second))
            return everything;
        uint64_t resolved;
        if (is_debug_addr_index(op) && unit && unit->debug_addr &&
            unit->debug_addr(unit->debug_addr_ctx, first, &resolved))
            cond_add_debug_addr(p, first, resolved);
        needs.cfa |= op == DW_OP_call_frame_cfa;
        needs.frame_base |= op == DW_OP_fbreg;
        needs.entry_value |= op == DW_OP_entry_value || op == DW_OP_GNU_entry_value;
    }
    return needs;
}

/* A signed LEB128 operand filling the rest of ops from *at. */
static bool read_last_sleb(const uint8_t *ops, size_t len, size_t at, int64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; at < len && shift < 64; shift += 7) {
        uint8_t byte = ops[at++];
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            if (shift + 7 < 64 && (byte & 0x40))
                v |= ~(uint64_t)0 << (shift + 7);
            *out = (int64_t)v;
            return at == len;
        }
    }
    return false;
}

/* Fills loc's short form when its expression is one operation the machine follows itself:
 * DW_OP_regN, DW_OP_bregN off, or DW_OP_fbreg off over a frame base of DW_OP_call_frame_cfa. */
static void classify_direct(const cond_program *p, cond_location *loc, const uint8_t *expr, size_t len)
{
    uint8_t op = len ? expr[0] : 0;
    bool cfa_frame_base = p->has_frame_base && p->frame_base.expr_len == 1 &&
                          p->pool[p->frame_base.expr] == DW_OP_call_frame_cfa;
    if (len == 1 && op >= DW_OP_reg0 && op < DW_OP_reg0 + FRAME_REG_COUNT - 1) {
        loc->direct = COND_DIRECT_REGISTER;
        loc->direct_reg = (uint8_t)(op - DW_OP_reg0);
    } else if (op >= DW_OP_breg0 && op < DW_OP_breg0 + FRAME_REG_COUNT - 1 &&
               read_last_sleb(expr, len, 1, &loc->direct_offset)) {
        loc->direct = COND_DIRECT_AT_REGISTER;
        loc->direct_reg = (uint8_t)(op - DW_OP_breg0);
    } else if (op == DW_OP_fbreg && cfa_frame_base && read_last_sleb(expr, len, 1, &loc->direct_offset)) {
        loc->direct = COND_DIRECT_AT_CFA;
    }
}

/* The expression that applies at pc: the covering list entry, or the single expression. */
static bool expression_at(const dvar *var, uintptr_t pc, const uint8_t **expr, size_t *len)
{
    *expr = NULL;
    *len = 0;
    if (!var->ranges) {
        *expr = var->expr;
        *len = var->expr_len;
    }
    for (size_t i = 0; var->ranges && i < var->n_ranges; i++) {
        if (pc >= var->ranges[i].low && pc < var->ranges[i].high) {
            *expr = var->ranges[i].expr;
            *len = var->ranges[i].expr_len;
            break;
        }
    }
    return *expr && *len;
}

static int optimized_out(const dvar *var, char *err, size_t err_len)
{
    return value_fail(err, err_len, "'%s' is optimized out at this breakpoint", var->name);
}

/* The bytes of a DW_AT_const_value, sign-filled to the type's size as value.c does. */
static int add_constant(cond_program *p, const dvar *var, cond_variable_ref *out, char *err,
                        size_t err_len)
{
    if (var->const_len > COND_OBJECT_MAX)
        return value_fail(err, err_len, "cannot show '%s': its constant value has more than %d "
                          "bytes", var->name, COND_OBJECT_MAX);
    uint8_t bytes[COND_OBJECT_MAX];
    uint64_t size = type_size(var->type);
    size_t n = size < COND_OBJECT_MAX ? (size_t)size : COND_OBJECT_MAX;
    bool negative = var->const_len && type_is_signed(var->type) &&
                    (var->const_bytes[var->const_len - 1] & 0x80);
    memset(bytes, negative ? 0xff : 0, sizeof bytes);
    memcpy(bytes, var->const_bytes, var->const_len);
    size_t stored = n > var->const_len ? n : var->const_len;
    *out = (cond_variable_ref){.is_constant = true, .constant = cond_pool_add(p, bytes, stored)};
    return 0;
}

/* The function's frame base, the first time a location needs it. */
static bool add_frame_base(cond_program *p, const dscope_chain *unit)
{
    if (p->has_frame_base)
        return true;
    if (!unit || !unit->frame_base || !unit->frame_base_len)
        return false;
    op_needs needs = scan_ops(p, unit, unit->frame_base, unit->frame_base_len);
    if (needs.entry_value || needs.frame_base)
        return false;
    p->frame_base = (cond_location){
        .expr = cond_pool_add(p, unit->frame_base, unit->frame_base_len),
        .expr_len = (uint32_t)unit->frame_base_len, .own_unit = true,
        .load_bias = unit->load_bias};
    p->needs_cfa |= needs.cfa;
    p->has_frame_base = true;
    return true;
}

int cond_add_variable(cond_program *p, const dscope_chain *unit, const dvar *var, uintptr_t pc,
                      cond_variable_ref *out, char *err, size_t err_len)
{
    if (var->has_const_value)
        return add_constant(p, var, out, err, err_len);
    for (size_t i = 0; i < p->n_locations; i++) {
        if (p->location_source[i] == var) {
            *out = (cond_variable_ref){.location = (uint16_t)i};
            return 0;
        }
    }
    const uint8_t *expr;
    size_t len;
    if (!expression_at(var, pc, &expr, &len))
        return optimized_out(var, err, err_len);
    if (p->n_locations == COND_MAX_VARIABLES)
        return value_fail(err, err_len, "a condition may read at most %d variables",
                          COND_MAX_VARIABLES);
    op_needs needs = scan_ops(p, unit, expr, len);
    if (needs.entry_value || (needs.frame_base && !add_frame_base(p, unit)))
        return optimized_out(var, err, err_len);
    uint64_t size = type_size(var->type);
    cond_location *loc = &p->locations[p->n_locations];
    *loc = (cond_location){
        .expr = cond_pool_add(p, expr, len), .expr_len = (uint32_t)len,
        .object_size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
        .optimized_out = cond_pool_printf(p, "'%s' is optimized out here", var->name),
        .unreadable = cond_pool_printf(p, "cannot evaluate the location of '%s'", var->name),
        .uses_frame_base = needs.frame_base, .own_unit = unit != NULL,
        .load_bias = var->load_bias};
    classify_direct(p, loc, expr, len);
    p->needs_cfa |= needs.cfa || loc->direct == COND_DIRECT_AT_CFA;
    p->location_source[p->n_locations] = var;
    *out = (cond_variable_ref){.location = (uint16_t)p->n_locations++};
    return 0;
}
