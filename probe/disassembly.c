/* Zydis decoding for the disassemble request (see disassembly.h). Agent thread: the reads go
 * through the trap and fast sites' original bytes and process_vm_readv, so bad addresses never
 * fault. */
#include "disassembly.h"

#include <stdio.h>
#include <Zydis/Zydis.h>
#include "fast_sites.h"
#include "safe_mem.h"
#include "trap.h"

size_t disasm_read_original(uintptr_t addr, uint8_t *buf, size_t len)
{
    size_t n = safe_mem_read_upto(addr, buf, len);
    for (size_t i = 0; i < n; i++)
        if (buf[i] == 0xCC && trap_is_armed(addr + i))
            trap_original_byte(addr + i, &buf[i]);
    fast_sites_original_view(addr, buf, n);
    return n;
}

size_t disasm_one(const uint8_t *code, size_t len, uint64_t address, char *text, size_t text_size)
{
    ZydisDisassembledInstruction insn;
    if (len == 0 || !ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, address, code, len, &insn))) {
        snprintf(text, text_size, "(bad)");
        return 0;
    }
    snprintf(text, text_size, "%s", insn.text);
    return insn.info.length;
}

/* Reverses out[from, to). */
static void reverse(uint64_t *out, size_t from, size_t to)
{
    while (from + 1 < to) {
        uint64_t t = out[from];
        out[from++] = out[--to];
        out[to] = t;
    }
}

size_t disasm_boundaries_before(const uint8_t *code, size_t len, uint64_t start, uint64_t target,
                                uint64_t *out, size_t max)
{
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    size_t seen = 0; /* out is a ring of the last max starts */
    for (uint64_t at = start; at < target && at - start < len && max > 0;) {
        ZydisDecodedInstruction insn;
        size_t offset = (size_t)(at - start);
        size_t length = ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, NULL, code + offset, len - offset, &insn))
                            ? insn.length : 1;
        out[seen++ % max] = at;
        at += length;
    }
    size_t n = seen < max ? seen : max;
    if (seen > max) { /* rotate the ring so that the oldest comes first: three reversals */
        size_t first = (size_t)(seen % max);
        reverse(out, 0, first);
        reverse(out, first, max);
        reverse(out, 0, max);
    }
    return n;
}
