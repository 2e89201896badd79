/* Binding a newly loaded library to the running state (see reload_relink.h). The library was
 * loaded RTLD_LOCAL, so its references to its own variables resolved to its own fresh copies; here
 * each reference to a carried variable is pointed at the running module's storage instead, before
 * any function of the library can be reached. */
#include "reload_relink.h"

#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "text_patch.h"

/* A carried variable: its binding and the key that names it in messages. */
typedef struct carried {
    reload_binding binding;
    const char *key;
} carried;

typedef struct relink {
    const reload_relink_request *req;
    carried *vars;            /* sorted by binding.from */
    size_t n_vars;
    reload_relink_result *out;
    char *err;
    size_t err_len;
} relink;

static int by_from(const void *a, const void *b)
{
    const carried *x = a, *y = b;
    return (x->binding.from > y->binding.from) - (x->binding.from < y->binding.from);
}

/* The carried variable whose new storage holds addr. */
static const carried *carried_at(const relink *r, uintptr_t addr)
{
    size_t lo = 0, hi = r->n_vars;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->vars[mid].binding.from <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const carried *c = &r->vars[lo - 1];
    return addr - c->binding.from < c->binding.size ? c : NULL;
}

static uintptr_t moved(const carried *c, uintptr_t addr)
{
    return c->binding.to + (addr - c->binding.from);
}

static int add_warning(reload_relink_result *out, const char *text)
{
    char **grown = realloc(out->warnings, (out->n_warnings + 1) * sizeof *grown);
    if (!grown)
        return -1;
    out->warnings = grown;
    if (!(grown[out->n_warnings] = strdup(text)))
        return -1;
    out->n_warnings++;
    return 0;
}

/* Chooses the variables to carry and warns about thread-local ones. */
static int choose_variables(relink *r)
{
    const reload_relink_request *req = r->req;
    r->vars = calloc(req->n_variables ? req->n_variables : 1, sizeof *r->vars);
    if (!r->vars)
        goto out_of_memory;
    for (size_t i = 0; i < req->n_variables; i++) {
        const reload_variable *v = &req->variables[i];
        if (v->thread_local) {
            char warning[300];
            snprintf(warning, sizeof warning, "thread-local variable '%s' starts fresh in the new code", v->key);
            if (add_warning(r->out, warning) != 0)
                goto out_of_memory;
            continue;
        }
        if ((req->hook && v->is_static) || v->size == 0 || !v->new_address || !v->old_address)
            continue;
        r->vars[r->n_vars++] = (carried){ { v->new_address, v->size, v->old_address }, v->key };
    }
    qsort(r->vars, r->n_vars, sizeof *r->vars, by_from);
    return 0;
out_of_memory:
    snprintf(r->err, r->err_len, "out of memory");
    return -1;
}

static int write_pointer(relink *r, uintptr_t slot, uintptr_t value)
{
    return text_patch_write(slot, &value, sizeof value, r->err, r->err_len);
}

/* GOT slots and data pointers that lead to the new copy of a carried variable. A GLOB_DAT / 64
 * slot holding anything else resolved elsewhere (the running module is in the global scope and
 * interposed): it already points at the running definition. */
static int bind_relocations(relink *r)
{
    const reload_relink_request *req = r->req;
    reload_elf_dynamic dynamic;
    if (reload_elf_dynamic_read(req->elf, &dynamic, r->err, r->err_len) != 0)
        return -1;
    for (size_t i = 0; i < dynamic.n_rela; i++) {
        const Elf64_Rela *rel = &dynamic.rela[i];
        uint32_t type = ELF64_R_TYPE(rel->r_info);
        uintptr_t slot = req->bias + rel->r_offset;
        uintptr_t target;
        if (type == R_X86_64_RELATIVE) {
            target = req->bias + (uintptr_t)rel->r_addend;
        } else if (type == R_X86_64_GLOB_DAT || type == R_X86_64_64) {
            const char *name;
            const Elf64_Sym *sym = reload_elf_dynamic_symbol(req->elf, &dynamic, ELF64_R_SYM(rel->r_info), &name);
            if (!sym || ELF64_ST_TYPE(sym->st_info) != STT_OBJECT || sym->st_shndx == SHN_UNDEF)
                continue;
            target = req->bias + sym->st_value + (type == R_X86_64_64 ? (uintptr_t)rel->r_addend : 0);
            uintptr_t current;
            memcpy(&current, (const void *)slot, sizeof current);
            if (current != target)
                continue;
        } else {
            continue;
        }
        const carried *c = carried_at(r, target);
        if (c && write_pointer(r, slot, moved(c, target)) != 0)
            return -1;
    }
    return 0;
}

/* Rewrites the RIP-relative operand of the instruction at code[offset] (running at ip) when it
 * refers to a carried variable. Returns 1 when it changed code, 0 when not, -1 with err. */
static int rebind_operand(relink *r, const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *ops,
                          uint8_t *code, size_t offset, uintptr_t ip)
{
    for (size_t i = 0; i < insn->operand_count; i++) {
        const ZydisDecodedOperand *op = &ops[i];
        ZyanU64 target;
        if (op->type != ZYDIS_OPERAND_TYPE_MEMORY || op->mem.base != ZYDIS_REGISTER_RIP ||
            insn->raw.disp.size != 32 || !ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(insn, op, ip, &target)))
            continue;
        const carried *c = carried_at(r, (uintptr_t)target);
        if (!c)
            return 0;
        int64_t disp = (int64_t)moved(c, (uintptr_t)target) - (int64_t)(ip + insn->length);
        if (disp < INT32_MIN || disp > INT32_MAX) {
            snprintf(r->err, r->err_len, "cannot carry '%s': the running storage at 0x%" PRIxPTR
                     " is more than 2 GiB away from the new code at 0x%" PRIxPTR,
                     c->key, c->binding.to, ip);
            return -1;
        }
        int32_t disp32 = (int32_t)disp;
        memcpy(code + offset + insn->raw.disp.offset, &disp32, sizeof disp32);
        return 1;
    }
    return 0;
}

/* Decodes one function of the new library and rewrites its references to carried variables. */
static int rebind_function(relink *r, const ZydisDecoder *decoder, const elf_symbol *f)
{
    const uint8_t *file_code = reload_elf_bytes_at(r->req->elf, f->address, f->size);
    if (!file_code || f->size == 0)
        return 0;
    uint8_t *code = malloc(f->size);
    if (!code) {
        snprintf(r->err, r->err_len, "out of memory");
        return -1;
    }
    memcpy(code, file_code, f->size);
    uintptr_t start = r->req->bias + f->address;
    bool changed = false;
    int rc = 0;
    for (size_t offset = 0; offset < f->size && rc == 0;) {
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(decoder, code + offset, f->size - offset, &insn, ops))) {
            snprintf(r->err, r->err_len, "cannot decode '%s' at +0x%zx in the new library, so its use of "
                     "the running variables cannot be set up", f->name, offset);
            rc = -1;
            break;
        }
        rc = rebind_operand(r, &insn, ops, code, offset, start + offset);
        changed |= rc == 1;
        rc = rc < 0 ? -1 : 0;
        offset += insn.length;
    }
    if (rc == 0 && changed)
        rc = text_patch_write(start, code, f->size, r->err, r->err_len);
    free(code);
    return rc;
}

static int rebind_code(relink *r)
{
    if (r->n_vars == 0)
        return 0;
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (size_t i = 0; i < r->req->functions->count; i++)
        if (rebind_function(r, &decoder, &r->req->functions->symbols[i]) != 0)
            return -1;
    return 0;
}

static int keep_bindings(relink *r)
{
    reload_relink_result *out = r->out;
    out->bindings = calloc(r->n_vars ? r->n_vars : 1, sizeof *out->bindings);
    if (!out->bindings) {
        snprintf(r->err, r->err_len, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < r->n_vars; i++)
        out->bindings[out->n_bindings++] = r->vars[i].binding;
    return 0;
}

int reload_relink(const reload_relink_request *req, reload_relink_result *out, char *err, size_t err_len)
{
    *out = (reload_relink_result){ 0 };
    relink r = { .req = req, .out = out, .err = err, .err_len = err_len };
    int rc = choose_variables(&r) == 0 && bind_relocations(&r) == 0 && rebind_code(&r) == 0 &&
             keep_bindings(&r) == 0 ? 0 : -1;
    if (rc == 0 && req->hook) {
        int verdict = req->hook(req->old_symbol);
        if (verdict != 0) {
            snprintf(err, err_len, "refused: the library's podbug_reload_state returned %d", verdict);
            rc = -1;
        }
    }
    free(r.vars);
    if (rc != 0)
        reload_relink_result_free(out);
    return rc;
}

void reload_relink_result_free(reload_relink_result *r)
{
    for (size_t i = 0; i < r->n_warnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    free(r->bindings);
    *r = (reload_relink_result){ 0 };
}
