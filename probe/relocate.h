/* Relocation of one x86-64 instruction into an out-of-line slot: decode with Zydis, rewrite
 * RIP-relative operands and relative branches for the slot address, append the jump back. */
#ifndef PODBUG_RELOCATE_H
#define PODBUG_RELOCATE_H

#include <stddef.h>
#include <stdint.h>

#define RELOCATE_MAX_INSN 15  /* longest x86 instruction */
#define RELOCATE_MAX_CODE 32  /* relocated instruction (widened) + jmp rel32 back */

typedef enum relocation_kind {
    RELOCATION_PLAIN, /* run the slot as is */
    RELOCATION_CALL,  /* a call turned into a jmp: push return_address before running the slot */
} relocation_kind;

typedef struct relocation {
    uint8_t code[RELOCATE_MAX_CODE]; /* the slot's bytes */
    size_t code_len;
    size_t insn_len;                 /* length of the original instruction */
    uintptr_t return_address;        /* address + insn_len: where the original flow continues */
    relocation_kind kind;
} relocation;

/* Relocates the instruction whose bytes (at most avail of them, from the instruction's first
 * byte) ran at address so that it runs at slot, followed by a jmp back to address + length.
 * Relative jmp/jcc get absolute targets (short forms widen), RIP-relative memory operands keep
 * their absolute target, a call becomes a jmp with kind RELOCATION_CALL. Refuses what it cannot
 * relocate (loop, jrcxz, xbegin, calls through rsp, far branches, undecodable bytes, targets
 * beyond +-2 GiB of the slot). Returns 0, or -1 with err naming the mnemonic and the address.
 * No allocation, no I/O. */
int relocate_instruction(const uint8_t *bytes, size_t avail, uintptr_t address, uintptr_t slot,
                         relocation *out, char *err, size_t err_len);

#define RELOCATE_MAX_SEQUENCE 128 /* relocated instructions (each widened, at most 32) + jmp back */

/* Relocates the n consecutive instructions at address (bytes: their original bytes, lengths:
 * each one's length) to run at dest, followed by a jmp rel32 back to address + the sum of the
 * lengths. Each instruction is rewritten as relocate_instruction does (RIP-relative operands keep
 * their absolute target, relative jmp/jcc get absolute targets, short forms widen), except a
 * call: allowed only as the last instruction, it becomes `lea rsp, [rsp-8]; mov dword [rsp],
 * lo32; mov dword [rsp+4], hi32; jmp target` pushing the ORIGINAL return address (address + the
 * sum of the lengths), so the callee returns into the program's code and unwinders see the
 * program's return address; flags are left untouched. Writes into code (cap bytes), *code_len.
 * Returns 0, or -1 with err naming the instruction and its address. No allocation, no I/O. */
int relocate_sequence(const uint8_t *bytes, const uint8_t *lengths, size_t n, uintptr_t address,
                      uintptr_t dest, uint8_t *code, size_t cap, size_t *code_len, char *err,
                      size_t err_len);

#endif
