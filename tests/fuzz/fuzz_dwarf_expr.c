/* libFuzzer target for probe/dwarf_expr: arbitrary DW_OP bytes against fake frame registers
 * never crash, and every result keeps its promises (pieces in bounds, a reason for failures). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf_expr.h"

static uint8_t memory[256]; /* what the fake registers point into */

static bool fake_debug_addr(void *ctx, uint64_t index, uint64_t *out)
{
    (void)ctx;
    *out = (uintptr_t)memory + (index % sizeof memory);
    return index < 1024;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t flags = data[0]; /* which parts of the frame are known */
    const uint8_t *ops = data + 1;
    size_t len = size - 1;

    frame_regs regs;
    for (int i = 0; i < FRAME_REG_COUNT; i++)
        regs.reg[i] = i % 2 ? (uintptr_t)memory + (uint64_t)i * 8 : (uint64_t)i * 0x10;
    regs.valid = flags & 1 ? 0x1ffff : 0x1ffff & ~(1u << (flags >> 4));
    regs.cfa = flags & 2 ? (uintptr_t)memory + 128 : 0;
    dwarf_expr_env env = {
        .regs = flags & 4 ? &regs : NULL,
        .has_frame_base = flags & 8,
        .frame_base = (uintptr_t)memory + 64,
        .load_bias = flags & 16 ? (uintptr_t)memory : 0,
        .debug_addr = flags & 32 ? fake_debug_addr : NULL,
        .address_size = flags & 64 ? 4 : 8,
    };

    dwarf_location loc;
    char reason[128];
    dwarf_expr_status st = dwarf_expr_eval(ops, len, &env, &loc, reason, sizeof reason);
    if (loc.n_pieces < 1 || loc.n_pieces > DWARF_LOCATION_MAX_PIECES)
        abort();
    if (st != DWARF_EXPR_OK) {
        if ((st != DWARF_EXPR_ERROR && st != DWARF_EXPR_UNAVAILABLE) || reason[0] == '\0' ||
            loc.n_pieces != 1 || loc.pieces[0].kind != LOCATION_UNAVAILABLE)
            abort();
        return 0;
    }
    for (size_t i = 0; i < loc.n_pieces; i++) {
        const location_piece *p = &loc.pieces[i];
        if (loc.n_pieces > 1 && p->size == 0)
            abort(); /* only a lone location covers "the whole object" */
        if (p->kind == LOCATION_REGISTER && (!env.regs || !frame_reg_known(env.regs, p->regno)))
            abort();
        if (p->kind == LOCATION_IMPLICIT &&
            (p->bytes < ops || p->bytes + p->size > ops + len || p->size == 0))
            abort();
    }
    return 0;
}
