/* libFuzzer target for probe/cond_*.c: any text compiled at a fixed breakpoint of this binary
 * (a function taking a struct pointer, an int and a string) either fails with a message or gives
 * a program that, run on fake registers, is true, false or an error with a message. Never a
 * crash. The input's first byte picks the fake registers; the rest is the condition. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "symbols.h"

struct sample {
    int id;
    long amount;
    char name[8];
    struct sample *next;
    unsigned flags : 3;
    signed level : 5;
    double ratio;
    int counts[4];
};

static struct sample samples[2] = {
    { .id = 1, .amount = -5, .name = "alice", .next = &samples[1], .flags = 5, .level = -3,
      .ratio = 0.5, .counts = { 1, 2, 3, 4 } },
    { .id = 2, .amount = 7, .name = "bob", .flags = 1, .level = 2, .ratio = -1.5 },
};
static uint64_t fake_stack[64]; /* what the fake sp, frame pointer and CFA point into */

/* optnone keeps clang from dropping the locations of the parameters and the local: they live
 * in the frame (DW_OP_fbreg from the frame pointer) over the whole function. */
__attribute__((noinline, optnone)) int fuzz_cond_anchor(struct sample *s, int n, const char *text)
{
    int doubled = n * 2;
    return s->id + doubled + (text ? text[0] : 0);
}

static sym_index *symbols;

/* Frame 0 of fuzz_cond_anchor at its entry: registers and frame slots (where the parameters
 * live) holding pointers that are good, null or wild; `choice` varies them. */
static void fake_registers(uint8_t choice, frame_regs *regs)
{
    static const char *const texts[] = { "alice", "", NULL, (const char *)16 };
    static struct sample *const pointers[] = { &samples[0], &samples[1], NULL,
                                               (struct sample *)24 };
    memset(regs, 0, sizeof *regs);
    for (int i = 0; i < FRAME_REG_COUNT; i++)
        regs->reg[i] = (uint64_t)i * 0x1000 + choice;
    regs->reg[DWREG_RDI] = (uintptr_t)pointers[choice & 3];
    regs->reg[DWREG_RSI] = (uint64_t)(int64_t)(int8_t)choice;
    regs->reg[DWREG_RDX] = (uintptr_t)texts[(choice >> 2) & 3];
    regs->reg[DWREG_RSP] = (uintptr_t)&fake_stack[8];
    regs->reg[DWREG_RBP] = (uintptr_t)&fake_stack[32];
    regs->reg[DWREG_RIP] = (uintptr_t)fuzz_cond_anchor;
    for (size_t i = 0; i < sizeof fake_stack / sizeof fake_stack[0]; i++) /* frame slots */
        fake_stack[i] = i % 3 == 0 ? (uintptr_t)pointers[(choice + i) & 3]
                      : i % 3 == 1 ? (uintptr_t)texts[(choice + i) & 3] : i * 0x10001;
    regs->valid = choice & 16 ? (1u << FRAME_REG_COUNT) - 1 : ((1u << FRAME_REG_COUNT) - 1) & ~1u;
    regs->cfa = choice & 32 ? (uintptr_t)&fake_stack[40] : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!symbols && !(symbols = sym_index_create()))
        abort();
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    char err[256] = "";
    cond_program *p = cond_compile(symbols, (uintptr_t)fuzz_cond_anchor, text, err, sizeof err);
    if (!p) {
        if (err[0] == '\0')
            abort(); /* a refusal always says why */
    } else {
        if (cond_length(p) == 0 || cond_length(p) > COND_MAX_STEPS)
            abort();
        frame_regs regs;
        fake_registers(data[0], &regs);
        cond_error error;
        cond_result r = cond_eval(p, &regs, &error);
        if (r != COND_TRUE && r != COND_FALSE &&
            (r != COND_ERROR || !error.message || !error.message[0]))
            abort();
        cond_free(p);
    }
    free(text);
    return 0;
}
