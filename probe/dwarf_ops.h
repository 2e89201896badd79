/* The operand encodings of DWARF expression operations (DW_OP_*), DWARF 2-5 and the GNU
 * extensions: one table for every part of the probe that walks or writes expression bytes. */
#ifndef PODBUG_DWARF_OPS_H
#define PODBUG_DWARF_OPS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    DWARF_OPERAND_NONE,
    DWARF_OPERAND_1, DWARF_OPERAND_2, DWARF_OPERAND_4, DWARF_OPERAND_8,
    DWARF_OPERAND_ULEB, DWARF_OPERAND_SLEB,
    DWARF_OPERAND_OFFSET,      /* a .debug_info offset: the unit's offset size (4 in 32-bit DWARF) */
    DWARF_OPERAND_BLOCK,       /* ULEB length, then that many bytes */
    DWARF_OPERAND_TYPED_BLOCK  /* 1-byte length, then the bytes */
} dwarf_operand_kind;

/* The encodings of op's (up to two) operands; false for an operation not in the table. */
bool dwarf_op_operands(uint8_t op, dwarf_operand_kind kinds[2]);

#endif
