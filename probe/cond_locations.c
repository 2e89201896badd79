/* Where a condition's variables are at its breakpoint, decided once at compile time: the
 * location-list entry covering the pc, what its DWARF operations need (frame base, CFA,
 * .debug_addr entries, resolved now), constant values copied; the function's frame base too. */
#include "cond_bytecode.h"

#include <dwarf.h>
#include <string.h>

#include "value_support.h"

/* What a location expression needs when it runs. */
typedef struct op_needs {
    bool cfa, frame_base, entry_value;
} op_needs;

typedef enum { ARG_NONE, ARG_1, ARG_2, ARG_4, ARG_8, ARG_ULEB, ARG_SLEB, ARG_BLOCK,
               ARG_TYPED_BLOCK } arg_kind;

/* The operands of op; false for an operation this scan does not know. */
static bool operands(uint8_t op, arg_kind args[2])
{
    args[0] = args[1] = ARG_NONE;
    if (op >= DW_OP_lit0 && op <= DW_OP_reg31)
        return true;
    if (op >= DW_OP_breg0 && op <= DW_OP_breg31) {
        args[0] = ARG_SLEB;
        return true;
    }
    switch (op) {
    case DW_OP_addr: case DW_OP_const8u: case DW_OP_const8s:
        args[0] = ARG_8; return true;
    case DW_OP_const1u: case DW_OP_const1s: case DW_OP_pick: case DW_OP_deref_size:
    case DW_OP_xderef_size:
        args[0] = ARG_1; return true;
    case DW_OP_const2u: case DW_OP_const2s: case DW_OP_skip: case DW_OP_bra: case DW_OP_call2:
        args[0] = ARG_2; return true;
    case DW_OP_const4u: case DW_OP_const4s: case DW_OP_call4: case DW_OP_GNU_parameter_ref:
    case DW_OP_call_ref: case DW_OP_GNU_variable_value:
        args[0] = ARG_4; return true;
    case DW_OP_constu: case DW_OP_plus_uconst: case DW_OP_regx: case DW_OP_piece:
    case DW_OP_addrx: case DW_OP_constx: case DW_OP_convert: case DW_OP_reinterpret:
    case DW_OP_GNU_addr_index: case DW_OP_GNU_const_index: case DW_OP_GNU_convert:
    case DW_OP_GNU_reinterpret:
        args[0] = ARG_ULEB; return true;
    case DW_OP_consts: case DW_OP_fbreg:
        args[0] = ARG_SLEB; return true;
    case DW_OP_bregx:
        args[0] = ARG_ULEB; args[1] = ARG_SLEB; return true;
    case DW_OP_bit_piece: case DW_OP_regval_type: case DW_OP_GNU_regval_type:
        args[0] = args[1] = ARG_ULEB; return true;
    case DW_OP_deref_type: case DW_OP_xderef_type: case DW_OP_GNU_deref_type:
        args[0] = ARG_1; args[1] = ARG_ULEB; return true;
    case DW_OP_implicit_pointer: case DW_OP_GNU_implicit_pointer:
        args[0] = ARG_4; args[1] = ARG_SLEB; return true;
    case DW_OP_implicit_value: case DW_OP_entry_value: case DW_OP_GNU_entry_value:
        args[0] = ARG_BLOCK; return true;
    case DW_OP_const_type: case DW_OP_GNU_const_type:
        args[0] = ARG_ULEB; args[1] = ARG_TYPED_BLOCK; return true;
    case DW_OP_deref: case DW_OP_dup: case DW_OP_drop: case DW_OP_over: case DW_OP_swap:
    case DW_OP_rot: case DW_OP_xderef: case DW_OP_abs: case DW_OP_and: case DW_OP_div:
    case DW_OP_minus: case DW_OP_mod: case DW_OP_mul: case DW_OP_neg: case DW_OP_not:
    case DW_OP_or: case DW_OP_plus: case DW_OP_shl: case DW_OP_shr: case DW_OP_shra:
    case DW_OP_xor: case DW_OP_eq: case DW_OP_ge: case DW_OP_gt: case DW_OP_le: case DW_OP_lt:
    case DW_OP_ne: case DW_OP_nop: case DW_OP_push_object_address: case DW_OP_form_tls_address:
    case DW_OP_call_frame_cfa: case DW_OP_stack_value: case DW_OP_GNU_push_tls_address:
    case DW_OP_GNU_uninit:
        return true;
    default:
        return false;
    }
}

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
static bool skip_operand(const uint8_t *ops, size_t len, size_t *at, arg_kind kind,
                         uint64_t *value)
{
    static const size_t fixed[] = {[ARG_1] = 1, [ARG_2] = 2, [ARG_4] = 4, [ARG_8] = 8};
    *value = 0;
    switch (kind) {
    case ARG_NONE:
        return true;
    case ARG_ULEB:
    case ARG_SLEB:
        return read_leb(ops, len, at, value);
    case ARG_BLOCK:
        if (!read_leb(ops, len, at, value) || *value > len - *at)
            return false;
        *at += (size_t)*value;
        return true;
    case ARG_TYPED_BLOCK:
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
        arg_kind args[2];
        uint64_t first, second;
        if (!operands(op, args) || !skip_operand(ops, len, &at, args[0], &first) ||
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
    p->needs_cfa |= needs.cfa;
    p->location_source[p->n_locations] = var;
    *out = (cond_variable_ref){.location = (uint16_t)p->n_locations++};
    return 0;
}
