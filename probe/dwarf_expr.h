/* Evaluates DWARF location expressions (DW_OP_*, DWARF 2-5 and the GNU extensions gcc 12
 * emits) for one frame: where a variable lives now, or that it is optimized out here. */
#ifndef PODBUG_DWARF_EXPR_H
#define PODBUG_DWARF_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "frame_regs.h"

#define DWARF_LOCATION_MAX_PIECES 8

typedef enum {
    LOCATION_MEMORY,        /* the object is in memory at `address` */
    LOCATION_REGISTER,      /* the object is (the low bytes of) register `regno` */
    LOCATION_VALUE,         /* DW_OP_stack_value: the object's value is `value` (no address) */
    LOCATION_IMPLICIT,      /* DW_OP_implicit_value: the object's bytes are `bytes` */
    LOCATION_UNAVAILABLE    /* no location here: optimized out, or a part DWARF cannot recover */
} location_kind;

typedef struct location_piece {
    location_kind kind;
    uint64_t address;       /* LOCATION_MEMORY */
    int regno;              /* LOCATION_REGISTER */
    uint64_t value;         /* LOCATION_VALUE */
    const uint8_t *bytes;   /* LOCATION_IMPLICIT: points into the expression */
    uint64_t size;          /* bytes this piece covers; 0 = the whole object (no DW_OP_piece) */
} location_piece;

typedef struct dwarf_location {
    location_piece pieces[DWARF_LOCATION_MAX_PIECES];
    size_t n_pieces;        /* 1 without DW_OP_piece */
} dwarf_location;

typedef struct dwarf_expr_env {
    const frame_regs *regs;       /* the frame's registers; unknown registers make reads fail */
    bool has_frame_base;
    uint64_t frame_base;          /* value of the function's DW_AT_frame_base, for DW_OP_fbreg */
    uint64_t load_bias;           /* added to DW_OP_addr / DW_OP_addrx addresses */
    /* Resolves DW_OP_addrx / DW_OP_constx index into .debug_addr (link-time value).
     * Returns false when it cannot. May be NULL (then those ops fail). */
    bool (*debug_addr)(void *ctx, uint64_t index, uint64_t *out);
    void *debug_addr_ctx;
    uint8_t address_size;         /* 8 */
} dwarf_expr_env;

typedef enum {
    DWARF_EXPR_OK = 0,
    DWARF_EXPR_UNAVAILABLE,  /* optimized out here: DW_OP_entry_value, an unknown register... */
    DWARF_EXPR_ERROR         /* malformed or unsupported expression, or unreadable memory */
} dwarf_expr_status;

/* Evaluates ops[0..len). On DWARF_EXPR_OK, *out holds the location; on UNAVAILABLE *out has one
 * LOCATION_UNAVAILABLE piece and reason says why ("uses the value on entry (DW_OP_entry_value)");
 * on ERROR reason says what went wrong ("unknown opcode 0xe0 at offset 3", "stack underflow",
 * "cannot read memory at 0x10 for DW_OP_deref"). Never allocates; never faults (memory is read
 * with safe_mem_read). An empty expression is UNAVAILABLE. */
dwarf_expr_status dwarf_expr_eval(const uint8_t *ops, size_t len, const dwarf_expr_env *env,
                                  dwarf_location *out, char *reason, size_t reason_len);

/* Reads n bytes at addr for location_piece_copy; returns 0, or -1 when they cannot be read. */
typedef int (*location_read_fn)(void *ctx, uint64_t addr, void *dst, size_t n);

/* Copies bytes [0, n) of one piece's object into dst (registers and values little-endian, at most
 * 8 bytes); *copied says how many the piece provided (0 for an unavailable piece). Returns 0, or -1
 * when its memory cannot be read. Async-signal-safe when read is. */
int location_piece_copy(const location_piece *piece, const frame_regs *regs, uint8_t *dst, size_t n,
                        size_t *copied, location_read_fn read, void *read_ctx);

#endif
