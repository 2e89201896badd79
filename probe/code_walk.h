/* Walking a function's code with Zydis: every instruction of a byte range decoded from its start,
 * with its relative branch target, for the checks of entry redirects and fast-path sites. */
#ifndef PODBUG_CODE_WALK_H
#define PODBUG_CODE_WALK_H

#include <Zydis/Zydis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One decoded instruction of a walk. */
typedef struct code_insn {
    uintptr_t address;
    const ZydisDecodedInstruction *insn;
    const ZydisDecodedOperand *ops;
    bool has_target;  /* a relative jmp, jcc, call, loop or jrcxz */
    uintptr_t target; /* its absolute target */
} code_insn;

/* Called for each instruction; a nonzero return stops the walk and is returned by it. */
typedef int (*code_insn_fn)(const code_insn *insn, void *ctx);

#define CODE_WALK_UNDECODABLE (-2)

/* Decodes code (the bytes of [start, start + size)) forward from start and calls fn for every
 * instruction. Returns 0, fn's first nonzero return, or CODE_WALK_UNDECODABLE with *bad_address
 * set when bytes there decode to no instruction. */
int code_walk(uintptr_t start, const uint8_t *code, size_t size, code_insn_fn fn, void *ctx,
              uintptr_t *bad_address);

#endif
