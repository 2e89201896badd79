/* Relocation of instructions out of line (Zydis decode + re-encode): one into a trap slot, or a
 * sequence into a trampoline. Owns the rules for what may run out of line and how it is rewritten. */
#include "relocate.h"

#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* rel32 reach, with room for the length of the instruction that carries it. */
#define REL32_REACH ((int64_t)INT32_MAX - 64)

static int refuse(char *err, size_t err_len, ZydisMnemonic mnemonic, uintptr_t address,
                  const char *why)
{
    snprintf(err, err_len, "cannot relocate '%s' at 0x%" PRIxPTR ": %s",
             ZydisMnemonicGetString(mnemonic), address, why);
    return -1;
}

static bool is_stack_pointer(ZydisRegister reg)
{
    return reg == ZYDIS_REGISTER_RSP || reg == ZYDIS_REGISTER_ESP || reg == ZYDIS_REGISTER_SP ||
           reg == ZYDIS_REGISTER_SPL;
}

static bool operand_uses_stack_pointer(const ZydisDecodedOperand *op)
{
    if (op->type == ZYDIS_OPERAND_TYPE_REGISTER)
        return is_stack_pointer(op->reg.value);
    if (op->type == ZYDIS_OPERAND_TYPE_MEMORY)
        return is_stack_pointer(op->mem.base) || is_stack_pointer(op->mem.index);
    return false;
}

static bool is_rip_relative(const ZydisDecodedOperand *op)
{
    return op->type == ZYDIS_OPERAND_TYPE_MEMORY && op->mem.base == ZYDIS_REGISTER_RIP;
}

/* Branches whose relative target only exists in a short form (or carries an abort path). */
static const char *unwidenable_reason(ZydisMnemonic mnemonic)
{
    switch (mnemonic) {
    case ZYDIS_MNEMONIC_LOOP:
    case ZYDIS_MNEMONIC_LOOPE:
    case ZYDIS_MNEMONIC_LOOPNE:
    case ZYDIS_MNEMONIC_JCXZ:
    case ZYDIS_MNEMONIC_JECXZ:
    case ZYDIS_MNEMONIC_JRCXZ:
        return "its relative target has no wide form";
    case ZYDIS_MNEMONIC_XBEGIN:
        return "a transaction's abort target cannot run out of line";
    default:
        return NULL;
    }
}

static bool within_rel32(uint64_t target, uintptr_t from)
{
    int64_t distance = (int64_t)(target - (uint64_t)from);
    return distance <= REL32_REACH && distance >= -REL32_REACH;
}

/* The absolute address an operand refers to, if it is a relative branch target or a
 * RIP-relative memory operand. */
static bool operand_target(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *op,
                           uintptr_t address, uint64_t *target)
{
    bool relative_imm = op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->imm.is_relative;
    if (!relative_imm && !is_rip_relative(op))
        return false;
    ZyanU64 value;
    if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(insn, op, address, &value)))
        return false;
    *target = value;
    return true;
}

/* Rewrites the request's relative immediates and RIP-relative displacements as absolute
 * addresses, which ZydisEncoderEncodeInstructionAbsolute turns back into slot-relative ones. */
static int make_operands_absolute(const ZydisDecodedInstruction *insn,
                                  const ZydisDecodedOperand *ops, ZydisEncoderRequest *req,
                                  uintptr_t address, uintptr_t slot, char *err, size_t err_len)
{
    for (uint8_t i = 0; i < insn->operand_count_visible; i++) {
        uint64_t target;
        if (!operand_target(insn, &ops[i], address, &target))
            continue;
        if (!within_rel32(target, slot)) {
            char why[96];
            snprintf(why, sizeof why,
                     "target 0x%" PRIx64 " is beyond +-2 GiB of the slot 0x%" PRIxPTR, target,
                     slot);
            return refuse(err, err_len, insn->mnemonic, address, why);
        }
        if (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
            req->operands[i].imm.u = target;
        else
            req->operands[i].mem.displacement = (ZyanI64)target;
    }
    return 0;
}

/* Decodes the re-encoded instruction at the slot and checks that every target is unchanged
 * (guards against encoder mistakes in length prediction). */
static bool targets_preserved(const ZydisDecoder *decoder, const ZydisDecodedInstruction *insn,
                              const ZydisDecodedOperand *ops, uintptr_t address,
                              const uint8_t *code, size_t code_len, uintptr_t slot)
{
    ZydisDecodedInstruction moved;
    ZydisDecodedOperand moved_ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(decoder, code, code_len, &moved, moved_ops)) ||
        moved.length != code_len || moved.operand_count_visible != insn->operand_count_visible)
        return false;
    for (uint8_t i = 0; i < insn->operand_count_visible; i++) {
        uint64_t want, got;
        bool had = operand_target(insn, &ops[i], address, &want);
        bool has = operand_target(&moved, &moved_ops[i], slot, &got);
        if (had != has || (had && want != got))
            return false;
    }
    return true;
}

/* Appends a jmp rel32 to back at code + *len (which runs at code_address + *len). */
static int encode_jump_back(uint8_t *code, size_t cap, size_t *len, uintptr_t code_address,
                            uintptr_t back, char *err, size_t err_len)
{
    ZydisEncoderRequest req;
    memset(&req, 0, sizeof req);
    req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    req.mnemonic = ZYDIS_MNEMONIC_JMP;
    req.branch_type = ZYDIS_BRANCH_TYPE_NEAR;
    req.operand_count = 1;
    req.operands[0].type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
    req.operands[0].imm.u = back;
    ZyanUSize added = cap - *len;
    if (!within_rel32(back, code_address) ||
        !ZYAN_SUCCESS(ZydisEncoderEncodeInstructionAbsolute(&req, code + *len, &added,
                                                            code_address + *len))) {
        snprintf(err, err_len, "cannot jump back from slot 0x%" PRIxPTR " to 0x%" PRIxPTR,
                 code_address, back);
        return -1;
    }
    *len += added;
    return 0;
}

static int decode(const ZydisDecoder *decoder, const uint8_t *bytes, size_t avail,
                  uintptr_t address, ZydisDecodedInstruction *insn, ZydisDecodedOperand *ops,
                  char *err, size_t err_len)
{
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(decoder, bytes, avail, insn, ops))) {
        snprintf(err, err_len, "cannot decode the instruction at 0x%" PRIxPTR, address);
        return -1;
    }
    return 0;
}

/* Rewrites insn (bytes, decoded at address) to run at `at`, into code (cap bytes), *len: the
 * rules of relocate_instruction, without the jump back; a call is written as a jmp to its
 * target and *is_call set (the caller provides the return address). */
static int rewrite(const ZydisDecoder *decoder, const ZydisDecodedInstruction *insn,
                   const ZydisDecodedOperand *ops, const uint8_t *bytes, uintptr_t address,
                   uintptr_t at, uint8_t *code, size_t cap, size_t *len, bool *is_call,
                   char *err, size_t err_len)
{
    *is_call = insn->meta.category == ZYDIS_CATEGORY_CALL;
    bool is_relative = false, uses_rip = false;
    for (uint8_t i = 0; i < insn->operand_count_visible; i++) {
        is_relative |= ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[i].imm.is_relative;
        uses_rip |= is_rip_relative(&ops[i]);
    }

    if (insn->mnemonic == ZYDIS_MNEMONIC_INT3)
        return refuse(err, err_len, insn->mnemonic, address,
                      "the program's own breakpoint is there");
    if (insn->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
        return refuse(err, err_len, insn->mnemonic, address, "far branches are not supported");
    const char *unwidenable = unwidenable_reason(insn->mnemonic);
    if (unwidenable)
        return refuse(err, err_len, insn->mnemonic, address, unwidenable);
    if (is_relative && !*is_call && insn->meta.category != ZYDIS_CATEGORY_COND_BR &&
        insn->meta.category != ZYDIS_CATEGORY_UNCOND_BR)
        return refuse(err, err_len, insn->mnemonic, address, "unsupported relative operand");
    if (*is_call) {
        for (uint8_t i = 0; i < insn->operand_count_visible; i++)
            if (operand_uses_stack_pointer(&ops[i]))
                return refuse(err, err_len, insn->mnemonic, address, "its target depends on rsp");
    }

    if (!*is_call && !is_relative && !uses_rip) {
        if (insn->length > cap)
            return refuse(err, err_len, insn->mnemonic, address, "no room for it");
        memcpy(code, bytes, insn->length);
        *len = insn->length;
        return 0;
    }

    ZydisEncoderRequest req;
    if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(
            insn, ops, insn->operand_count_visible, &req)))
        return refuse(err, err_len, insn->mnemonic, address, "Zydis cannot re-encode it");
    if (make_operands_absolute(insn, ops, &req, address, at, err, err_len) < 0)
        return -1;
    if (is_relative) {
        /* let the encoder pick the width the slot needs (short branches widen to rel32) */
        req.branch_type = ZYDIS_BRANCH_TYPE_NONE;
        req.branch_width = ZYDIS_BRANCH_WIDTH_NONE;
    }
    /* bnd and branch-hint prefixes do nothing on current CPUs, and Zydis 4.0 mispredicts the
     * length of a relative branch that carries one */
    req.prefixes &= ~(ZydisInstructionAttributes)(ZYDIS_ATTRIB_HAS_BND |
                                                   ZYDIS_ATTRIB_HAS_BRANCH_TAKEN |
                                                   ZYDIS_ATTRIB_HAS_BRANCH_NOT_TAKEN);
    if (*is_call)
        req.mnemonic = ZYDIS_MNEMONIC_JMP;
    ZyanUSize encoded = cap;
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstructionAbsolute(&req, code, &encoded, at)))
        return refuse(err, err_len, insn->mnemonic, address,
                      "Zydis cannot re-encode it at the slot");
    *len = encoded;
    if (!targets_preserved(decoder, insn, ops, address, code, encoded, at))
        return refuse(err, err_len, insn->mnemonic, address, "re-encoding changed its target");
    return 0;
}

int relocate_instruction(const uint8_t *bytes, size_t avail, uintptr_t address, uintptr_t slot,
                         relocation *out, char *err, size_t err_len)
{
    ZydisDecoder decoder;
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    if (decode(&decoder, bytes, avail, address, &insn, ops, err, err_len) < 0)
        return -1;
    memset(out, 0, sizeof *out);
    out->insn_len = insn.length;
    out->return_address = address + insn.length;
    bool is_call;
    if (rewrite(&decoder, &insn, ops, bytes, address, slot, out->code, sizeof out->code,
                &out->code_len, &is_call, err, err_len) < 0)
        return -1;
    /* for a call, the trap handler pushes the original return address; the slot only jumps */
    out->kind = is_call ? RELOCATION_CALL : RELOCATION_PLAIN;
    return encode_jump_back(out->code, sizeof out->code, &out->code_len, slot,
                            out->return_address, err, err_len);
}

/* Appends `lea rsp, [rsp-8]; mov dword [rsp], lo32; mov dword [rsp+4], hi32` at code + *len:
 * pushes value without touching the flags. */
static int push_without_flags(uint64_t value, uint8_t *code, size_t cap, size_t *len,
                              char *err, size_t err_len)
{
    uint32_t lo = (uint32_t)value, hi = (uint32_t)(value >> 32);
    uint8_t push[5 + 7 + 8] = {0x48, 0x8d, 0x64, 0x24, 0xf8,       /* lea rsp, [rsp-8] */
                               0xc7, 0x04, 0x24, 0, 0, 0, 0,       /* mov dword [rsp], lo */
                               0xc7, 0x44, 0x24, 0x04, 0, 0, 0, 0}; /* mov dword [rsp+4], hi */
    memcpy(push + 8, &lo, sizeof lo);
    memcpy(push + 16, &hi, sizeof hi);
    if (cap - *len < sizeof push) {
        snprintf(err, err_len, "no room for the relocated instructions (%zu bytes)", cap);
        return -1;
    }
    memcpy(code + *len, push, sizeof push);
    *len += sizeof push;
    return 0;
}

int relocate_sequence(const uint8_t *bytes, const uint8_t *lengths, size_t n, uintptr_t address,
                      uintptr_t dest, uint8_t *code, size_t cap, size_t *code_len, char *err,
                      size_t err_len)
{
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += lengths[i];
    uintptr_t back = address + total;
    *code_len = 0;
    size_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        uintptr_t at = address + offset;
        if (decode(&decoder, bytes + offset, lengths[i], at, &insn, ops, err, err_len) < 0)
            return -1;
        if (insn.length != lengths[i]) {
            snprintf(err, err_len, "the instruction at 0x%" PRIxPTR " is %u bytes long, not %u",
                     at, insn.length, lengths[i]);
            return -1;
        }
        if (insn.meta.category == ZYDIS_CATEGORY_CALL && i + 1 < n)
            return refuse(err, err_len, insn.mnemonic, at,
                          "a call is only relocated as the last instruction");
        if (insn.meta.category == ZYDIS_CATEGORY_CALL &&
            push_without_flags(back, code, cap, code_len, err, err_len) < 0)
            return -1;
        size_t len;
        bool is_call;
        if (rewrite(&decoder, &insn, ops, bytes + offset, at, dest + *code_len, code + *code_len,
                    cap - *code_len, &len, &is_call, err, err_len) < 0)
            return -1;
        *code_len += len;
        offset += lengths[i];
    }
    return encode_jump_back(code, cap, code_len, dest, back, err, err_len);
}
