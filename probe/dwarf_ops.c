/* The DW_OP_* operand table (see dwarf_ops.h), from the DWARF 5 specification section 2.5 and
 * 2.6 and the GNU extensions gcc emits. Pure: safe anywhere, including signal handlers. */
#include "dwarf_ops.h"

#include <dwarf.h>
#include "signal_interpose.h"

PODBUG_HANDLER_TEXT bool dwarf_op_operands(uint8_t op, dwarf_operand_kind kinds[2])
{
    kinds[0] = kinds[1] = DWARF_OPERAND_NONE;
    if (op >= DW_OP_lit0 && op <= DW_OP_reg31)
        return true;
    if (op >= DW_OP_breg0 && op <= DW_OP_breg31) {
        kinds[0] = DWARF_OPERAND_SLEB;
        return true;
    }
    switch (op) {
    case DW_OP_deref: case DW_OP_dup: case DW_OP_drop: case DW_OP_over: case DW_OP_swap:
    case DW_OP_rot: case DW_OP_xderef: case DW_OP_abs: case DW_OP_and: case DW_OP_div:
    case DW_OP_minus: case DW_OP_mod: case DW_OP_mul: case DW_OP_neg: case DW_OP_not:
    case DW_OP_or: case DW_OP_plus: case DW_OP_shl: case DW_OP_shr: case DW_OP_shra:
    case DW_OP_xor: case DW_OP_eq: case DW_OP_ge: case DW_OP_gt: case DW_OP_le: case DW_OP_lt:
    case DW_OP_ne: case DW_OP_nop: case DW_OP_push_object_address: case DW_OP_form_tls_address:
    case DW_OP_call_frame_cfa: case DW_OP_stack_value: case DW_OP_GNU_push_tls_address:
    case DW_OP_GNU_uninit:
        return true;
    case DW_OP_addr: case DW_OP_const8u: case DW_OP_const8s:
        kinds[0] = DWARF_OPERAND_8;
        return true;
    case DW_OP_const1u: case DW_OP_const1s: case DW_OP_pick: case DW_OP_deref_size:
    case DW_OP_xderef_size:
        kinds[0] = DWARF_OPERAND_1;
        return true;
    case DW_OP_const2u: case DW_OP_const2s: case DW_OP_skip: case DW_OP_bra: case DW_OP_call2:
        kinds[0] = DWARF_OPERAND_2;
        return true;
    case DW_OP_const4u: case DW_OP_const4s: case DW_OP_call4: case DW_OP_GNU_parameter_ref:
        kinds[0] = DWARF_OPERAND_4;
        return true;
    case DW_OP_constu: case DW_OP_plus_uconst: case DW_OP_regx: case DW_OP_piece:
    case DW_OP_addrx: case DW_OP_constx: case DW_OP_convert: case DW_OP_reinterpret:
    case DW_OP_GNU_addr_index: case DW_OP_GNU_const_index: case DW_OP_GNU_convert:
    case DW_OP_GNU_reinterpret:
        kinds[0] = DWARF_OPERAND_ULEB;
        return true;
    case DW_OP_consts: case DW_OP_fbreg:
        kinds[0] = DWARF_OPERAND_SLEB;
        return true;
    case DW_OP_call_ref: case DW_OP_GNU_variable_value:
        kinds[0] = DWARF_OPERAND_OFFSET;
        return true;
    case DW_OP_bregx:
        kinds[0] = DWARF_OPERAND_ULEB;
        kinds[1] = DWARF_OPERAND_SLEB;
        return true;
    case DW_OP_bit_piece: case DW_OP_regval_type: case DW_OP_GNU_regval_type:
        kinds[0] = kinds[1] = DWARF_OPERAND_ULEB;
        return true;
    case DW_OP_deref_type: case DW_OP_xderef_type: case DW_OP_GNU_deref_type:
        kinds[0] = DWARF_OPERAND_1;
        kinds[1] = DWARF_OPERAND_ULEB;
        return true;
    case DW_OP_implicit_pointer: case DW_OP_GNU_implicit_pointer:
        kinds[0] = DWARF_OPERAND_OFFSET;
        kinds[1] = DWARF_OPERAND_SLEB;
        return true;
    case DW_OP_implicit_value: case DW_OP_entry_value: case DW_OP_GNU_entry_value:
        kinds[0] = DWARF_OPERAND_BLOCK;
        return true;
    case DW_OP_const_type: case DW_OP_GNU_const_type:
        kinds[0] = DWARF_OPERAND_ULEB;
        kinds[1] = DWARF_OPERAND_TYPED_BLOCK;
        return true;
    default:
        return false;
    }
}
