/* Decoding code for the disassemble request: the program's own bytes (never our int3s) and
 * instruction boundaries found by decoding forward, since x86 cannot be decoded backwards. */
#ifndef PODBUG_DISASSEMBLY_H
#define PODBUG_DISASSEMBLY_H

#include <stddef.h>
#include <stdint.h>

#define DISASM_MAX_INSTRUCTION 15

/* Reads up to len bytes at addr as the program sees them: a breakpoint site shows its original
 * byte, a fast breakpoint's jump the instructions it replaced. Returns how many bytes from addr on were readable. */
size_t disasm_read_original(uintptr_t addr, uint8_t *buf, size_t len);

/* The length of the instruction at code (runtime address address), with its Intel text in text
 * (text_size >= 96 holds any); 0 with "(bad)" when the bytes decode to no instruction. */
size_t disasm_one(const uint8_t *code, size_t len, uint64_t address, char *text, size_t text_size);

/* Decodes code (the bytes of [start, start + len)) forward from start and returns in out the
 * last max instruction starts that lie below target, oldest first; returns how many. An
 * undecodable byte counts as a one-byte instruction. */
size_t disasm_boundaries_before(const uint8_t *code, size_t len, uint64_t start, uint64_t target,
                                uint64_t *out, size_t max);

#endif
