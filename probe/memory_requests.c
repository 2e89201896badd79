/* read_memory, disassemble and modules (see memory_requests.h): memory read with
 * disasm_read_original (a breakpoint never shows as int3), code decoded by disassembly.c,
 * symbols and lines from the symbol index. */
#include "memory_requests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "disassembly.h"

/* The farthest a negative instruction offset decodes from: the function's entry, at most this
 * far back. */
#define MAX_DECODE_BACK (1u << 20)

static char *base64(const uint8_t *data, size_t len)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
    for (size_t i = 0; out && i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0) |
                     (i + 2 < len ? data[i + 2] : 0);
        *o++ = digits[v >> 18 & 63];
        *o++ = digits[v >> 12 & 63];
        *o++ = i + 1 < len ? digits[v >> 6 & 63] : '=';
        *o++ = i + 2 < len ? digits[v & 63] : '=';
    }
    if (out)
        *o = '\0';
    return out;
}

static cJSON *read_memory(const cJSON *body, char *err, size_t err_len)
{
    probe_read_memory_request req;
    if (probe_read_memory_request_from_json(body, &req, err, err_len) != 0)
        return NULL;
    uint8_t *buf = malloc(req.count ? (size_t)req.count : 1);
    if (!buf) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    size_t n = disasm_read_original((uintptr_t)req.address, buf, (size_t)req.count);
    probe_read_memory_reply reply = { req.address, base64(buf, n), req.count - (int)n };
    free(buf);
    cJSON *json = reply.data ? probe_read_memory_reply_to_json(&reply) : NULL;
    free(reply.data);
    if (!json)
        snprintf(err, err_len, "out of memory");
    return json;
}

/* ---- disassemble ---- */

static char *hex_bytes(const uint8_t *bytes, size_t n)
{
    char *out = malloc(n * 2 + 1);
    for (size_t i = 0; out && i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    if (out)
        out[n * 2] = '\0';
    return out;
}

/* Describes the instruction at address into insn (its length in *length; 0 when unreadable). */
static void describe(sym_index *symbols, uint64_t address, bool resolve_symbols, probe_instruction *insn,
                     size_t *length)
{
    uint8_t code[DISASM_MAX_INSTRUCTION];
    char text[128];
    size_t readable = disasm_read_original((uintptr_t)address, code, sizeof code);
    size_t n = readable ? disasm_one(code, readable, address, text, sizeof text) : 0;
    if (readable && n == 0)
        n = 1; /* (bad): one byte */
    *insn = (probe_instruction){ .address = address, .bytes = hex_bytes(code, n),
                                 .text = strdup(readable ? text : "??") };
    *length = readable ? n : 0;
    sym_info info;
    if (!sym_lookup(symbols, (uintptr_t)address, false, &info))
        return;
    if (resolve_symbols && info.function) {
        char symbol[300];
        snprintf(symbol, sizeof symbol, "%s+%llu", info.function,
                 (unsigned long long)(address - info.function_start));
        insn->symbol = strdup(symbol);
    }
    if (info.file) {
        insn->file = strdup(info.file);
        insn->line = info.line;
    }
}

/* Instruction starts before address, oldest first, decoded from its function's entry. */
static size_t starts_before(sym_index *symbols, uint64_t address, uint64_t *out, size_t max)
{
    sym_info info;
    if (!sym_lookup(symbols, (uintptr_t)address, false, &info) || !info.function_start ||
        info.function_start >= address || address - info.function_start > MAX_DECODE_BACK)
        return 0;
    size_t len = (size_t)(address - info.function_start);
    uint8_t *code = malloc(len);
    size_t n = 0;
    if (code && disasm_read_original(info.function_start, code, len) == len)
        n = disasm_boundaries_before(code, len, info.function_start, address, out, max);
    free(code);
    return n;
}

/* Lines only where they change: the IDE shows a source line above the first instruction of it. */
static void keep_line_changes(probe_disassemble_reply *reply)
{
    for (size_t i = reply->n; i-- > 1;) {
        probe_instruction *a = &reply->instructions[i - 1], *b = &reply->instructions[i];
        if (a->file && b->file && a->line == b->line && strcmp(a->file, b->file) == 0) {
            free(b->file);
            b->file = NULL;
            b->line = 0;
        }
    }
}

static cJSON *disassemble(sym_index *symbols, const cJSON *body, char *err, size_t err_len)
{
    probe_disassemble_request req;
    if (probe_disassemble_request_from_json(body, &req, err, err_len) != 0)
        return NULL;
    size_t count = (size_t)req.instruction_count, before = req.instruction_offset < 0 ? (size_t)-req.instruction_offset : 0;
    probe_disassemble_reply reply = { calloc(count, sizeof *reply.instructions), 0 };
    uint64_t *starts = calloc(before ? before : 1, sizeof *starts);
    if (!reply.instructions || !starts) {
        free(reply.instructions);
        free(starts);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    size_t found = before ? starts_before(symbols, req.address, starts, before) : 0;
    /* Instructions before the first known start are placeholders at one byte each. */
    for (size_t i = 0; i < before - found && reply.n < count; i++) {
        uint64_t at = (found ? starts[0] : req.address) - (before - found - i);
        reply.instructions[reply.n++] = (probe_instruction){ .address = at, .bytes = strdup(""),
                                                             .text = strdup("(no instruction boundary known)") };
    }
    for (size_t i = 0; i < found && reply.n < count; i++) {
        size_t length;
        describe(symbols, starts[i], req.resolve_symbols, &reply.instructions[reply.n++], &length);
    }
    free(starts);
    uint64_t at = req.address;
    size_t skip = req.instruction_offset > 0 ? (size_t)req.instruction_offset : 0;
    while (reply.n < count) {
        probe_instruction insn;
        size_t length;
        describe(symbols, at, req.resolve_symbols, &insn, &length);
        if (skip > 0) {
            skip--;
            free(insn.bytes);
            free(insn.text);
            free(insn.symbol);
            free(insn.file);
        } else {
            reply.instructions[reply.n++] = insn;
        }
        at += length ? length : 1;
    }
    keep_line_changes(&reply);
    cJSON *json = probe_disassemble_reply_to_json(&reply);
    probe_disassemble_reply_free(&reply);
    if (!json)
        snprintf(err, err_len, "out of memory");
    return json;
}

/* ---- modules ---- */

static const char *status_text(sym_status status)
{
    switch (status) {
    case SYM_DEBUG_INFO: return "debug information";
    case SYM_SYMBOLS_ONLY: return "symbols only";
    case SYM_NONE: return "none";
    case SYM_NOT_READ_YET: break;
    }
    return "not loaded yet";
}

static cJSON *modules(sym_index *symbols)
{
    sym_index_refresh(symbols);
    size_t n = 0;
    sym_module_info info;
    while (sym_module_get(symbols, n, &info))
        n++;
    probe_modules_reply reply = { calloc(n ? n : 1, sizeof *reply.modules), n };
    for (size_t i = 0; reply.modules && i < n; i++) {
        sym_module_get(symbols, i, &info);
        reply.modules[i] = (probe_module){ (char *)info.path, info.low, info.high, (char *)info.build_id,
                                           (char *)status_text(info.symbols) };
    }
    cJSON *json = reply.modules ? probe_modules_reply_to_json(&reply) : NULL;
    free(reply.modules); /* the strings belong to the index */
    return json;
}

bool memory_requests_owns(const char *type)
{
    return strcmp(type, PMSG_READ_MEMORY) == 0 || strcmp(type, PMSG_DISASSEMBLE) == 0 ||
           strcmp(type, PMSG_MODULES) == 0;
}

cJSON *memory_requests_answer(sym_index *symbols, const probe_envelope *env, char *err, size_t err_len)
{
    cJSON *json;
    if (strcmp(env->type, PMSG_READ_MEMORY) == 0)
        return read_memory(env->body, err, err_len);
    if (strcmp(env->type, PMSG_DISASSEMBLE) == 0)
        return disassemble(symbols, env->body, err, err_len);
    if (!(json = modules(symbols)))
        snprintf(err, err_len, "out of memory");
    return json;
}
