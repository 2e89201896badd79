/* Compiled condition programs as storage: growing the instruction array and the byte pool while
 * compiling (tracking stack depth), and what a finished program tells (length, CFA, free). */
#include "cond_bytecode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many values each instruction leaves on the stack minus how many it takes (for a
 * conditional jump: on the path that falls through). */
static int stack_effect(uint8_t op)
{
    switch (op) {
    case COP_PUSH: case COP_PUSH_POOL: case COP_REGISTER: case COP_VARIABLE:
        return 1;
    case COP_INDEX:
    case COP_ADD: case COP_SUB: case COP_MUL: case COP_AND: case COP_OR: case COP_XOR:
    case COP_DIV_S: case COP_DIV_U: case COP_MOD_S: case COP_MOD_U:
    case COP_SHL: case COP_SHR_S: case COP_SHR_U:
    case COP_EQ: case COP_NE: case COP_LT_S: case COP_LE_S: case COP_GT_S: case COP_GE_S:
    case COP_LT_U: case COP_LE_U: case COP_GT_U: case COP_GE_U: case COP_PTR_DIFF:
    case COP_FADD: case COP_FSUB: case COP_FMUL: case COP_FDIV:
    case COP_FEQ: case COP_FNE: case COP_FLT: case COP_FLE: case COP_FGT: case COP_FGE:
    case COP_JUMP_IF_ZERO: case COP_AND_THEN: case COP_OR_ELSE: case COP_STREQ: case COP_RETURN:
        return -1;
    default:
        return 0;
    }
}

static bool grow(void **array, size_t *cap, size_t need, size_t item)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap * 2 : 64;
    while (cap2 < need)
        cap2 *= 2;
    void *bigger = realloc(*array, cap2 * item);
    if (!bigger)
        return false;
    *array = bigger;
    *cap = cap2;
    return true;
}

cond_program *cond_program_new(void)
{
    cond_program *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->max_steps = COND_MAX_STEPS;
    cond_pool_add(p, "", 1); /* offset 0 is never a real entry */
    return p;
}

size_t cond_emit(cond_program *p, cond_insn insn)
{
    if (!grow((void **)&p->code, &p->code_cap, p->n_code + 1, sizeof *p->code)) {
        p->out_of_memory = true;
        return p->n_code;
    }
    int effect = stack_effect(insn.op);
    p->depth = effect < 0 && p->depth == 0 ? 0 : (size_t)((long)p->depth + effect);
    if (p->depth > p->max_depth)
        p->max_depth = p->depth;
    p->code[p->n_code] = insn;
    return p->n_code++;
}

void cond_emit_add(cond_program *p, uint64_t n)
{
    if (n == 0)
        return;
    if (p->n_code > p->last_label && p->code[p->n_code - 1].op == COP_ADD_IMM) {
        p->code[p->n_code - 1].imm += n;
        return;
    }
    cond_emit(p, (cond_insn){.op = COP_ADD_IMM, .imm = n});
}

size_t cond_label(cond_program *p)
{
    p->last_label = p->n_code;
    return p->n_code;
}

void cond_patch_target(cond_program *p, size_t jump, size_t target)
{
    if (jump < p->n_code)
        p->code[jump].b = (uint32_t)target;
}

void cond_set_depth(cond_program *p, size_t depth)
{
    p->depth = depth;
}

uint32_t cond_pool_add(cond_program *p, const void *bytes, size_t len)
{
    if (p->pool_len + len > UINT32_MAX ||
        !grow((void **)&p->pool, &p->pool_cap, p->pool_len + len, 1)) {
        p->out_of_memory = true;
        return 0;
    }
    memcpy(p->pool + p->pool_len, bytes, len);
    p->pool_len += len;
    return (uint32_t)(p->pool_len - len);
}

uint32_t cond_pool_printf(cond_program *p, const char *fmt, ...)
{
    char text[256];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    return cond_pool_add(p, text, strlen(text) + 1);
}

void cond_add_debug_addr(cond_program *p, uint64_t index, uint64_t value)
{
    for (size_t i = 0; i < p->n_debug_addrs; i++)
        if (p->debug_addrs[i].index == index)
            return;
    if (!grow((void **)&p->debug_addrs, &p->debug_addrs_cap, p->n_debug_addrs + 1,
              sizeof *p->debug_addrs)) {
        p->out_of_memory = true;
        return;
    }
    p->debug_addrs[p->n_debug_addrs++] = (cond_debug_addr){.index = index, .value = value};
}

void cond_free(cond_program *p)
{
    if (!p)
        return;
    free(p->code);
    free(p->pool);
    free(p->debug_addrs);
    free(p);
}

bool cond_needs_cfa(const cond_program *p)
{
    return p && p->needs_cfa;
}

const dtype *cond_value_type(const cond_program *p)
{
    return p ? p->value_type : NULL;
}

size_t cond_length(const cond_program *p)
{
    return p ? p->n_code : 0;
}

void cond_set_step_limit(cond_program *p, unsigned steps)
{
    p->max_steps = steps;
}
