/* Whether a breakpoint address can take a 5-byte jump (see site_safety.h): the replaced
 * instructions, and the checks of every instruction of the function's ranges against them. */
#include "site_safety.h"

#include "cfa_rule.h"
#include "code_walk.h"
#include "disassembly.h"
#include "relocate.h"
#include "trap.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RANGES 8 /* a function's code ranges: the hot part, a cold part, rarely more */

typedef struct site_check {
    sym_index *symbols;
    const char *name;  /* the function containing the site, for messages */
    uintptr_t address; /* the site */
    site_range *out;   /* the replaced instructions, filled by the first walk */
    bool at_boundary;
    ZydisMnemonic last_replaced; /* the mnemonic of the last replaced instruction */
    char *reason;
    size_t reason_len;
} site_check;

/* "handle+0x16": at relative to the entry of the function containing it. */
static void place(sym_index *symbols, uintptr_t at, char *buf, size_t len)
{
    sym_info info;
    if (!sym_lookup(symbols, at, false, &info) || !info.function || !info.function_start)
        snprintf(buf, len, "0x%" PRIxPTR, at);
    else if (at >= info.function_start)
        snprintf(buf, len, "%s+0x%" PRIxPTR, info.function, at - info.function_start);
    else
        snprintf(buf, len, "%s-0x%" PRIxPTR, info.function, info.function_start - at);
}

/* The instructions from the site on until they cover SITE_JUMP_SIZE bytes. */
static int collect_replaced(const code_insn *walked, void *ctx)
{
    site_check *c = ctx;
    site_range *r = c->out;
    if (walked->address < c->address)
        return 0;
    if (walked->address > c->address && !c->at_boundary)
        return 1;
    c->at_boundary = true;
    c->last_replaced = walked->insn->mnemonic;
    r->insn_length[r->n_insns++] = walked->insn->length;
    r->length += walked->insn->length;
    return r->length >= SITE_JUMP_SIZE ? 1 : 0;
}

/* AVX, AVX-512 or XOP code working on vector registers (not the VEX-encoded BMI instructions,
 * which only use general registers). */
static bool uses_vector_registers(const ZydisDecodedInstruction *insn,
                                  const ZydisDecodedOperand *ops)
{
    if (insn->encoding != ZYDIS_INSTRUCTION_ENCODING_VEX &&
        insn->encoding != ZYDIS_INSTRUCTION_ENCODING_EVEX &&
        insn->encoding != ZYDIS_INSTRUCTION_ENCODING_MVEX &&
        insn->encoding != ZYDIS_INSTRUCTION_ENCODING_XOP)
        return false;
    if (insn->operand_count_visible == 0) /* vzeroupper, vzeroall */
        return true;
    for (uint8_t i = 0; i < insn->operand_count_visible; i++) {
        if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER)
            continue;
        ZydisRegisterClass class = ZydisRegisterGetClass(ops[i].reg.value);
        if (class == ZYDIS_REGCLASS_XMM || class == ZYDIS_REGCLASS_YMM ||
            class == ZYDIS_REGCLASS_ZMM || class == ZYDIS_REGCLASS_MASK)
            return true;
    }
    return false;
}

/* Every instruction of the function against the replaced bytes. */
static int check_instruction(const code_insn *walked, void *ctx)
{
    site_check *c = ctx;
    uintptr_t end = c->address + c->out->length;
    char where[160];
    place(c->symbols, walked->address, where, sizeof where);
    if (walked->has_target && walked->target > c->address && walked->target < end) {
        snprintf(c->reason, c->reason_len, "the %s at 0x%" PRIxPTR " (%s) targets the replaced "
                 "bytes", walked->insn->meta.category == ZYDIS_CATEGORY_CALL ? "call" : "jump",
                 walked->address, where);
        return -1;
    }
    if (walked->insn->meta.category == ZYDIS_CATEGORY_UNCOND_BR && !walked->has_target) {
        snprintf(c->reason, c->reason_len, "'%s' has an indirect jump at %s (a switch table?): "
                 "its targets are unknown", c->name, where);
        return -1;
    }
    if (uses_vector_registers(walked->insn, walked->ops)) {
        snprintf(c->reason, c->reason_len, "'%s' uses AVX registers (%s at %s), which the fast "
                 "path does not save", c->name, ZydisMnemonicGetString(walked->insn->mnemonic),
                 where);
        return -1;
    }
    bool in_range = walked->address >= c->address && walked->address < end;
    if (in_range && walked->insn->meta.category == ZYDIS_CATEGORY_CALL &&
        walked->address + walked->insn->length < end) {
        snprintf(c->reason, c->reason_len, "the call at %s would return inside the replaced "
                 "bytes", where);
        return -1;
    }
    return 0;
}

/* The replaced instructions: our int3s, and whether they can run elsewhere. */
static int check_replaced(site_check *c)
{
    site_range *r = c->out;
    char where[160];
    for (uintptr_t at = r->address + 1; at < r->address + r->length; at++)
        if (trap_is_armed(at)) {
            place(c->symbols, at, where, sizeof where);
            snprintf(c->reason, c->reason_len, "a breakpoint is armed at %s, inside the replaced "
                     "bytes", where);
            return -1;
        }
    char err[192];
    uint8_t code[RELOCATE_MAX_SEQUENCE];
    size_t code_len, offset = 0;
    for (size_t i = 0; i < r->n_insns; offset += r->insn_length[i++]) {
        uintptr_t at = r->address + offset;
        if (relocate_sequence(r->original + offset, &r->insn_length[i], 1, at, r->address, code,
                              sizeof code, &code_len, err, sizeof err) < 0) {
            place(c->symbols, at, where, sizeof where);
            snprintf(c->reason, c->reason_len, "%s (%s)", err, where);
            return -1;
        }
    }
    if (relocate_sequence(r->original, r->insn_length, r->n_insns, r->address, r->address, code,
                          sizeof code, &code_len, err, sizeof err) < 0) {
        snprintf(c->reason, c->reason_len, "%s", err);
        return -1;
    }
    return 0;
}

/* Walks one range's code with fn; -1 with the reason when it fails. */
static int walk_range(site_check *c, const sym_range *range, const uint8_t *code,
                      code_insn_fn fn)
{
    uintptr_t bad;
    int rc = code_walk(range->low, code, range->high - range->low, fn, c, &bad);
    if (rc == CODE_WALK_UNDECODABLE) {
        char where[160];
        place(c->symbols, bad, where, sizeof where);
        snprintf(c->reason, c->reason_len, "the bytes at %s do not decode as an instruction",
                 where);
        return -1;
    }
    return rc < 0 ? -1 : 0;
}

/* Reads every range as the program sees it; NULL with the reason. */
static uint8_t *read_ranges(site_check *c, const sym_range *ranges, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ranges[i].high - ranges[i].low;
    uint8_t *code = malloc(total ? total : 1);
    if (!code) {
        snprintf(c->reason, c->reason_len, "out of memory");
        return NULL;
    }
    size_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        size_t size = ranges[i].high - ranges[i].low;
        if (disasm_read_original(ranges[i].low, code + offset, size) != size) {
            snprintf(c->reason, c->reason_len, "the code of '%s' at 0x%" PRIxPTR
                     " cannot be read", c->name, ranges[i].low);
            free(code);
            return NULL;
        }
        offset += size;
    }
    return code;
}

/* True when the bytes of [from, to) are alignment padding after a function: nop or int3
 * instructions that belong to no function. */
static bool is_padding(site_check *c, uintptr_t from, uintptr_t to)
{
    uint8_t bytes[SITE_JUMP_SIZE + RELOCATE_MAX_INSN];
    size_t len = disasm_read_original(from, bytes, sizeof bytes);
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (size_t offset = 0; from + offset < to;) {
        sym_range owner;
        ZydisDecodedInstruction insn;
        if (sym_function_ranges(c->symbols, from + offset, &owner, 1) > 0 ||
            !ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, NULL, bytes + offset, len - offset, &insn)) ||
            (insn.mnemonic != ZYDIS_MNEMONIC_NOP && insn.mnemonic != ZYDIS_MNEMONIC_INT3))
            return false;
        offset += insn.length;
    }
    return true;
}

/* A short function: when the site's instructions up to the function's end fall short of a jump
 * but end the function's flow (ret, jmp), the jump may also cover the padding after it, which
 * never runs. Extends out->length to SITE_JUMP_SIZE; the replaced instructions stay those of the
 * function. */
static bool extend_into_padding(site_check *c, const sym_range *range)
{
    site_range *r = c->out;
    bool ends_flow = c->last_replaced == ZYDIS_MNEMONIC_RET || c->last_replaced == ZYDIS_MNEMONIC_JMP;
    if (!ends_flow || r->address + r->length != range->high ||
        !is_padding(c, range->high, r->address + SITE_JUMP_SIZE))
        return false;
    r->length = SITE_JUMP_SIZE;
    return true;
}

/* The replaced instructions, from the range holding the site. */
static int find_replaced(site_check *c, const sym_range *range, const uint8_t *code)
{
    if (walk_range(c, range, code, collect_replaced) < 0)
        return -1;
    char where[160];
    place(c->symbols, c->address, where, sizeof where);
    if (!c->at_boundary) {
        snprintf(c->reason, c->reason_len, "0x%" PRIxPTR " (%s) is not the start of an "
                 "instruction", c->address, where);
        return -1;
    }
    size_t in_function = c->out->length;
    if (in_function < SITE_JUMP_SIZE && !extend_into_padding(c, range)) {
        snprintf(c->reason, c->reason_len, "the function ends %zu byte%s after the breakpoint at "
                 "%s, a jump needs %d, and what follows is not padding after a return", in_function,
                 in_function == 1 ? "" : "s", where, SITE_JUMP_SIZE);
        return -1;
    }
    memcpy(c->out->original, code + (c->address - range->low), in_function);
    if (c->out->length > in_function &&
        disasm_read_original(range->high, c->out->original + in_function, c->out->length - in_function) !=
            c->out->length - in_function) {
        snprintf(c->reason, c->reason_len, "the padding after '%s' cannot be read", c->name);
        return -1;
    }
    return 0;
}

int site_safety_check(sym_index *symbols, uintptr_t addr, site_range *out, char *reason,
                      size_t reason_len)
{
    sym_range ranges[MAX_RANGES];
    size_t n = sym_function_ranges(symbols, addr, ranges, MAX_RANGES);
    if (n == 0) {
        snprintf(reason, reason_len, "no symbol with a size covers 0x%" PRIxPTR, addr);
        return -1;
    }
    if (n > MAX_RANGES) {
        snprintf(reason, reason_len, "the function at 0x%" PRIxPTR " has %zu code ranges, more "
                 "than the %d checked", addr, n, MAX_RANGES);
        return -1;
    }
    sym_info info;
    site_check c = {.symbols = symbols, .address = addr, .out = out, .reason = reason,
                    .reason_len = reason_len,
                    .name = sym_lookup(symbols, addr, false, &info) && info.function
                                ? info.function : "??"};
    *out = (site_range){.address = addr};
    uint8_t *code = read_ranges(&c, ranges, n);
    if (!code)
        return -1;
    int rc = 0;
    size_t offset = 0;
    for (size_t i = 0; i < n && rc == 0; offset += ranges[i].high - ranges[i].low, i++)
        if (addr >= ranges[i].low && addr < ranges[i].high)
            rc = find_replaced(&c, &ranges[i], code + offset);
    if (rc == 0 && out->length == 0) {
        snprintf(reason, reason_len, "0x%" PRIxPTR " is outside the code of '%s'", addr, c.name);
        rc = -1;
    }
    offset = 0;
    for (size_t i = 0; i < n && rc == 0; offset += ranges[i].high - ranges[i].low, i++)
        rc = walk_range(&c, &ranges[i], code + offset, check_instruction);
    if (rc == 0 && cfa_rule_has_landing_pads(symbols, addr)) {
        snprintf(reason, reason_len, "'%s' has exception landing pads, which the unwinder enters "
                 "where no branch shows", c.name);
        rc = -1;
    }
    if (rc == 0)
        rc = check_replaced(&c);
    free(code);
    return rc;
}
