/* Encoding a fast breakpoint's trampoline (see trampoline.h). Layout:
 *   entry:     lea rsp,[rsp-136] (red zone + the `next` slot); pushfq; push the 15 general
 *              registers; xmm0-7 then xmm8-15 (movups, 128 bytes each); cld; rbx = the block;
 *              align rsp; call entry(arg, block); rsp = rbx; restore xmm and registers; the
 *              flags without popfq (which costs more than the rest); jmp [rsp] (to `next`: one
 *              well-predicted indirect jump, no flag or register used)
 *   resume:    lea rsp,[rsp+136]; the relocated instructions; jmp back
 *   slow_exit: lea rsp,[rsp+136]; int3 */
#include "trampoline.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SLOT_AND_RED_ZONE (TRAMPOLINE_RED_ZONE + 8)

_Static_assert(sizeof(trampoline_saved) == 2 * 128 + 15 * 8 + 8 + 8, "the block the code pushes");

typedef struct emitter {
    uint8_t *code;
    size_t len;
} emitter;

static void emit(emitter *e, const uint8_t *bytes, size_t n)
{
    memcpy(e->code + e->len, bytes, n);
    e->len += n;
}

static void emit_u32(emitter *e, uint32_t v)
{
    emit(e, (const uint8_t *)&v, sizeof v);
}

static void emit_u64(emitter *e, uint64_t v)
{
    emit(e, (const uint8_t *)&v, sizeof v);
}

/* lea rsp, [rsp + delta] (flags untouched) */
static void emit_lea_rsp(emitter *e, int32_t delta)
{
    static const uint8_t lea[] = {0x48, 0x8D, 0xA4, 0x24};
    emit(e, lea, sizeof lea);
    emit_u32(e, (uint32_t)delta);
}


/* movups [rsp + 16k], xmm(first + k) (store) or the load, for k = 0..7 */
static void emit_xmm_block(emitter *e, unsigned first, bool store)
{
    for (unsigned k = 0; k < 8; k++) {
        unsigned reg = first + k;
        if (reg >= 8) {
            static const uint8_t rex_r = 0x44;
            emit(e, &rex_r, 1);
        }
        const uint8_t insn[] = {0x0F, store ? 0x11 : 0x10, (uint8_t)(0x44 | ((reg & 7) << 3)), 0x24,
                                (uint8_t)(16 * k)};
        emit(e, insn, sizeof insn);
    }
}

/* push or pop of general register r (0 = rax .. 15 = r15, hardware numbering) */
static void emit_push_pop(emitter *e, unsigned r, bool push)
{
    if (r >= 8) {
        static const uint8_t rex_b = 0x41;
        emit(e, &rex_b, 1);
    }
    const uint8_t op = (uint8_t)((push ? 0x50 : 0x58) + (r & 7));
    emit(e, &op, 1);
}

/* Hardware numbers in push order: rax rbx rcx rdx rsi rdi rbp r8..r15 (trampoline_saved's
 * order reversed). */
static const unsigned push_order[15] = {0, 3, 1, 2, 6, 7, 5, 8, 9, 10, 11, 12, 13, 14, 15};

static void emit_save(emitter *e)
{
    static const uint8_t pushfq = 0x9C;
    emit_lea_rsp(e, -SLOT_AND_RED_ZONE);
    emit(e, &pushfq, 1);
    for (size_t i = 0; i < 15; i++)
        emit_push_pop(e, push_order[i], true);
    emit_lea_rsp(e, -128);
    emit_xmm_block(e, 0, true);
    emit_lea_rsp(e, -128);
    emit_xmm_block(e, 8, true);
}

static void emit_call(emitter *e, trampoline_entry_fn entry, const void *arg)
{
    static const uint8_t cld_rbx_align_rsi[] = {0xFC, 0x48, 0x89, 0xE3, 0x48, 0x83, 0xE4, 0xF0,
                                                0x48, 0x89, 0xDE};
    static const uint8_t mov_rdi[] = {0x48, 0xBF}, mov_rax[] = {0x48, 0xB8};
    static const uint8_t call_rax_restore_rsp[] = {0xFF, 0xD0, 0x48, 0x89, 0xDC};
    emit(e, cld_rbx_align_rsi, sizeof cld_rbx_align_rsi);
    emit(e, mov_rdi, sizeof mov_rdi);
    emit_u64(e, (uint64_t)(uintptr_t)arg);
    emit(e, mov_rax, sizeof mov_rax);
    emit_u64(e, (uint64_t)(uintptr_t)entry);
    emit(e, call_rax_restore_rsp, sizeof call_rax_restore_rsp);
}

/* Restores the flags from the saved rflags without popfq (slow): the direction flag by std when
 * it was set, the arithmetic flags by sahf (the low byte of rflags is sahf's layout) and add (OF);
 * then rax, and jmp [rsp] to `next`. rax is still on the stack, the rflags slot above it. */
static void emit_restore_flags_and_leave(emitter *e)
{
    static const uint8_t code[] = {
        0x48, 0x8B, 0x44, 0x24, 0x08, /* mov rax, [rsp+8]: the saved rflags */
        0xF6, 0xC4, 0x04,             /* test ah, 4: DF (bit 10) */
        0x74, 0x01,                   /* jz +1 */
        0xFD,                         /* std */
        0x86, 0xE0,                   /* xchg al, ah: ah = CF PF AF ZF SF, al = flags bits 8..15 */
        0xC0, 0xE8, 0x03,             /* shr al, 3 */
        0x24, 0x01,                   /* and al, 1: OF */
        0x04, 0x7F,                   /* add al, 0x7f: sets OF exactly when OF was set */
        0x9E,                         /* sahf */
        0x48, 0x8B, 0x04, 0x24,       /* mov rax, [rsp] */
        0x48, 0x8D, 0x64, 0x24, 0x10, /* lea rsp, [rsp+16]: past rax and rflags, to `next` */
        0xFF, 0x24, 0x24,             /* jmp qword [rsp] */
    };
    emit(e, code, sizeof code);
}

static void emit_restore(emitter *e)
{
    emit_xmm_block(e, 8, false);
    emit_lea_rsp(e, 128);
    emit_xmm_block(e, 0, false);
    emit_lea_rsp(e, 128);
    for (size_t i = 15; i-- > 1;) /* all but rax (push_order[0]) */
        emit_push_pop(e, push_order[i], false);
    emit_restore_flags_and_leave(e);
}

size_t trampoline_build(const site_range *range, uintptr_t dest, trampoline_entry_fn entry,
                        const void *arg, uint8_t *code, trampoline_layout *layout, char *err,
                        size_t err_len)
{
    emitter e = {code, 0};
    layout->entry = dest;
    emit_save(&e);
    emit_call(&e, entry, arg);
    emit_restore(&e);
    layout->resume = dest + e.len;
    emit_lea_rsp(&e, SLOT_AND_RED_ZONE);
    layout->relocated = dest + e.len;
    size_t relocated_len;
    if (e.len + RELOCATE_MAX_SEQUENCE + 16 > TRAMPOLINE_MAX_SIZE ||
        relocate_sequence(range->original, range->insn_length, range->n_insns, range->address,
                          layout->relocated, code + e.len, RELOCATE_MAX_SEQUENCE, &relocated_len,
                          err, err_len) < 0) {
        if (e.len + RELOCATE_MAX_SEQUENCE + 16 > TRAMPOLINE_MAX_SIZE)
            snprintf(err, err_len, "a trampoline does not fit %d bytes", TRAMPOLINE_MAX_SIZE);
        return 0;
    }
    e.len += relocated_len;
    layout->slow_exit = dest + e.len;
    emit_lea_rsp(&e, SLOT_AND_RED_ZONE);
    static const uint8_t int3 = 0xCC;
    layout->exit_int3 = dest + e.len;
    emit(&e, &int3, 1);
    layout->end = dest + e.len;
    return e.len;
}
