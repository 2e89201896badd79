/* The canonical frame address at a code address as one register plus an offset, read once from the
 * module's call-frame information (.eh_frame, else .debug_frame) with libdwarf, so that a handler
 * computes a CFA with one addition instead of an unwind; and whether a function has landing pads.
 * Agent thread for lookups. */
#ifndef PODBUG_CFA_RULE_H
#define PODBUG_CFA_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "frame_regs.h"
#include "symbols.h"

typedef struct cfa_rule {
    int16_t regno;      /* DWARF register number (DWREG_RSP, DWREG_RBP, ...) */
    int64_t offset;     /* CFA = reg[regno] + offset */
} cfa_rule;

/* The rule in force at runtime address pc (the row of its FDE covering pc). Returns 0, or -1 with
 * err when pc has no FDE, or the CFA there is an expression (a realigned stack) rather than
 * register + offset. Results are cached per module. Agent. */
int cfa_rule_at(sym_index *symbols, uintptr_t pc, cfa_rule *out, char *err, size_t err_len);

/* True when the function at pc has C++ exception landing pads (its FDE points to an LSDA): the
 * unwinder may enter it at addresses no branch names. False when unknown. Agent. */
bool cfa_rule_has_landing_pads(sym_index *symbols, uintptr_t pc);

/* Applies rule to frame-0 registers: sets regs->cfa and returns true, or false when the rule's
 * register is not known in regs. Async-signal-safe. */
bool cfa_rule_apply(const cfa_rule *rule, frame_regs *regs);

#endif
