/* Redirecting function entries (see entry_patch.h): the checks of a function's code with Zydis,
 * jumps within rel32 or through a far slot, and the swap of many entries in code_swap's three
 * phases (one round for all entries; a thread in an out-of-line slot waits too, since its jump
 * back may land inside an entry). An entry that holds a jump has no inside: a thread is either
 * before it or gone. */
#include "entry_patch.h"

#include "code_walk.h"
#include "code_swap.h"
#include "disassembly.h"
#include "fast_sites.h"
#include "ool_slots.h"
#include "text_patch.h"
#include "trap.h"

#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JMP_REL32 0xE9

static const uint8_t far_jump[] = {0xFF, 0x25, 0, 0, 0, 0}; /* jmp qword [rip + 0]; .quad */

/* ---- prepare ---------------------------------------------------------------------------- */

/* The function a check walks: its name and the start of the bytes a jump replaces. */
typedef struct entry_check {
    const char *name;
    uintptr_t start;
    char *err;
    size_t err_len;
} entry_check;

/* No branch may target start + 1 .. start + 4. */
static int check_branch(const code_insn *walked, void *ctx)
{
    entry_check *c = ctx;
    if (!walked->has_target || walked->target <= c->start ||
        walked->target >= c->start + ENTRY_PATCH_SIZE)
        return 0;
    snprintf(c->err, c->err_len, "cannot redirect '%s': the %s at 0x%" PRIxPTR
             " targets its first %d bytes", c->name,
             walked->insn->meta.category == ZYDIS_CATEGORY_CALL ? "call" : "jump",
             walked->address, ENTRY_PATCH_SIZE);
    return -1;
}

/* Decodes every instruction of code (the bytes of [start, start + size)): all must decode, and
 * none may branch into start + 1 .. start + 4. */
static int check_code(const char *name, uintptr_t start, const uint8_t *code, size_t size,
                      char *err, size_t err_len)
{
    entry_check c = {.name = name, .start = start, .err = err, .err_len = err_len};
    uintptr_t bad;
    int rc = code_walk(start, code, size, check_branch, &c, &bad);
    if (rc == CODE_WALK_UNDECODABLE)
        snprintf(err, err_len, "cannot redirect '%s': the bytes at 0x%" PRIxPTR
                 " do not decode as an instruction", name, bad);
    return rc == 0 ? 0 : -1;
}

int entry_patch_prepare(entry_patch *p, const char *name, uintptr_t start, size_t size,
                        uintptr_t limit, char *err, size_t err_len)
{
    if (size == 0) {
        snprintf(err, err_len, "cannot redirect '%s': its size is unknown", name);
        return -1;
    }
    if (limit < start + ENTRY_PATCH_SIZE) {
        size_t room = limit > start ? limit - start : 0;
        snprintf(err, err_len, "cannot redirect '%s': only %zu byte%s up to the next symbol, a "
                 "jump needs %d", name, room, room == 1 ? "" : "s", ENTRY_PATCH_SIZE);
        return -1;
    }
    size_t span = size > ENTRY_PATCH_SIZE ? size : ENTRY_PATCH_SIZE;
    uint8_t *code = malloc(span);
    if (!code) {
        snprintf(err, err_len, "cannot redirect '%s': out of memory", name);
        return -1;
    }
    int rc = -1;
    if (disasm_read_original(start, code, span) != span)
        snprintf(err, err_len, "cannot redirect '%s': its code at 0x%" PRIxPTR
                 " cannot be read", name, start);
    else
        rc = check_code(name, start, code, size, err, err_len);
    if (rc == 0) {
        memset(p, 0, sizeof *p);
        snprintf(p->name, sizeof p->name, "%s", name);
        p->address = start;
        memcpy(p->original, code, ENTRY_PATCH_SIZE);
    }
    free(code);
    return rc;
}

/* ---- the bytes of an entry -------------------------------------------------------------- */

static bool within_rel32(uintptr_t from, uintptr_t to)
{
    int64_t distance = (int64_t)(to - (from + ENTRY_PATCH_SIZE));
    return distance >= INT32_MIN && distance <= INT32_MAX;
}

static void encode_jump(uintptr_t from, uintptr_t to, uint8_t out[ENTRY_PATCH_SIZE])
{
    int32_t rel = (int32_t)(to - (from + ENTRY_PATCH_SIZE));
    out[0] = JMP_REL32;
    memcpy(out + 1, &rel, sizeof rel);
}

/* What the entry holds now: its original bytes or a jump to its target (maybe via a slot). */
static void current_bytes(const entry_patch *p, uint8_t out[ENTRY_PATCH_SIZE])
{
    if (p->target)
        encode_jump(p->address, p->far_slot ? p->far_slot : p->target, out);
    else
        memcpy(out, p->original, ENTRY_PATCH_SIZE);
}

/* A slot near the entry holding an absolute jump to target; 0 with err. */
static uintptr_t write_far_slot(uintptr_t near, uintptr_t target, char *err, size_t err_len)
{
    uint8_t code[sizeof far_jump + sizeof target];
    memcpy(code, far_jump, sizeof far_jump);
    memcpy(code + sizeof far_jump, &target, sizeof target);
    uintptr_t slot = ool_slot_alloc(near, err, err_len);
    if (!slot || text_patch_write_unsynced(slot, code, sizeof code, err, err_len) < 0)
        return 0;
    return slot;
}

/* ---- set_all ---------------------------------------------------------------------------- */

/* Where one changing entry will jump (0: its original bytes), for after the swap. */
typedef struct entry_target {
    entry_patch *patch;
    uintptr_t target, far_slot;
} entry_target;

/* True when a fast breakpoint's replaced bytes or a breakpoint's int3 lie in the entry's first
 * bytes; err says which. */
static bool breakpoint_inside(const entry_patch *p, char *err, size_t err_len)
{
    for (uintptr_t at = p->address; at < p->address + ENTRY_PATCH_SIZE; at++)
        if (trap_is_armed(at) || fast_sites_overlap(at, 1)) {
            snprintf(err, err_len, "cannot redirect '%s': a breakpoint is armed at 0x%" PRIxPTR
                     " inside its first %d bytes", p->name, at, ENTRY_PATCH_SIZE);
            return true;
        }
    return false;
}

static int plan_change(entry_patch *p, uintptr_t target, entry_target *t, code_swap *s,
                       char *err, size_t err_len)
{
    *t = (entry_target){.patch = p, .target = target};
    *s = (code_swap){.address = p->address, .length = ENTRY_PATCH_SIZE,
                     .before_runs = !p->target, .trap_target = target ? target : p->target};
    snprintf(s->name, sizeof s->name, "'%s' entry", p->name);
    if (breakpoint_inside(p, err, err_len))
        return -1;
    current_bytes(p, s->before);
    if (!target) {
        memcpy(s->after, p->original, ENTRY_PATCH_SIZE);
        return 0;
    }
    if (!within_rel32(p->address, target)) {
        char why[160];
        t->far_slot = write_far_slot(p->address, target, why, sizeof why);
        if (!t->far_slot) {
            snprintf(err, err_len, "cannot redirect '%s': %s", p->name, why);
            return -1;
        }
    }
    encode_jump(p->address, t->far_slot ? t->far_slot : target, s->after);
    return 0;
}

int entry_patch_set_all(entry_patch *patches, const uintptr_t *targets, size_t n, int timeout_ms,
                        char *err, size_t err_len)
{
    if (trap_init(err, err_len) < 0)
        return -1;
    entry_target *changes = calloc(n ? n : 1, sizeof *changes);
    code_swap *swaps = calloc(n ? n : 1, sizeof *swaps);
    if (!changes || !swaps) {
        free(changes);
        free(swaps);
        snprintf(err, err_len, "out of memory redirecting %zu functions", n);
        return -1;
    }
    size_t count = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (targets[i] != patches[i].target) {
            rc = plan_change(&patches[i], targets[i], &changes[count], &swaps[count], err, err_len);
            count++;
        }
    if (rc == 0)
        rc = code_swap_apply(swaps, count, true, timeout_ms, err, err_len);
    for (size_t i = 0; i < count; i++)
        if (swaps[i].done) {
            changes[i].patch->target = changes[i].target;
            changes[i].patch->far_slot = changes[i].far_slot;
        }
    free(changes);
    free(swaps);
    return rc;
}

bool entry_patch_covers(const entry_patch *patches, size_t n, uintptr_t addr)
{
    for (size_t i = 0; i < n; i++)
        if (patches[i].target && addr >= patches[i].address &&
            addr < patches[i].address + ENTRY_PATCH_SIZE)
            return true;
    return false;
}
