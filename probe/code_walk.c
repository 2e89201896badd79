/* Walking a function's code with Zydis (see code_walk.h): decoding forward, and the relative
 * branch target of each instruction. */
#include "code_walk.h"

/* The absolute target of a relative jmp, jcc, call (loop, jrcxz...), if insn is one. */
static bool branch_target(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *ops,
                          uintptr_t at, uintptr_t *target)
{
    for (uint8_t i = 0; i < insn->operand_count_visible; i++) {
        ZyanU64 absolute;
        if (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[i].imm.is_relative &&
            ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(insn, &ops[i], at, &absolute))) {
            *target = (uintptr_t)absolute;
            return true;
        }
    }
    return false;
}

int code_walk(uintptr_t start, const uint8_t *code, size_t size, code_insn_fn fn, void *ctx,
              uintptr_t *bad_address)
{
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (size_t offset = 0; offset < size;) {
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        code_insn walked = {.address = start + offset, .insn = &insn, .ops = ops};
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code + offset, size - offset, &insn,
                                                 ops))) {
            *bad_address = walked.address;
            return CODE_WALK_UNDECODABLE;
        }
        walked.has_target = branch_target(&insn, ops, walked.address, &walked.target);
        int rc = fn(&walked, ctx);
        if (rc != 0)
            return rc;
        offset += insn.length;
    }
    return 0;
}
