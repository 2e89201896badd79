/* Redirecting function entries (see entry_patch.h): the checks of a function's code with Zydis,
 * jumps within rel32 or through a far slot, and the swap of many entries in three phases.
 *
 * A swap: (1) a redirect int3 at every entry that changes, one serialisation; (2) when an entry
 * still holds original code, the threads' pcs are sampled (one round for all entries) until none
 * is inside such an entry's bytes 1..4 or in an out-of-line slot; (3) bytes 1..4 of every entry,
 * a serialisation, byte 0 of every entry, a serialisation, then the redirects are retired (stray
 * traps re-execute the entry). An entry that holds a jump has no inside: a thread is either before
 * it or gone. */
#include "entry_patch.h"

#include "disassembly.h"
#include "ool_slots.h"
#include "text_patch.h"
#include "thread_pcs.h"
#include "trap.h"

#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JMP_REL32 0xE9
#define RETRY_PAUSE_NS 200000L

static const uint8_t far_jump[] = {0xFF, 0x25, 0, 0, 0, 0}; /* jmp qword [rip + 0]; .quad */

/* ---- prepare ---------------------------------------------------------------------------- */

/* The absolute target of a relative jmp, jcc, call (loop, jrcxz...), if insn is one. */
static bool branch_target(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *ops,
                          uintptr_t at, uintptr_t *target)
{
    for (uint8_t i = 0; i < insn->operand_count_visible; i++) {
        ZyanU64 absolute;
        if (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[i].imm.is_relative &&
            ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(insn, &ops[i], at, &absolute))) {
            *target = (uintptr_t)absolute;
            return true;
        }
    }
    return false;
}

/* Decodes every instruction of code (the bytes of [start, start + size)): all must decode, and
 * none may branch into start + 1 .. start + 4. */
static int check_code(const char *name, uintptr_t start, const uint8_t *code, size_t size,
                      char *err, size_t err_len)
{
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (size_t offset = 0; offset < size;) {
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        uintptr_t at = start + offset, target;
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code + offset, size - offset, &insn,
                                                 ops))) {
            snprintf(err, err_len, "cannot redirect '%s': the bytes at 0x%" PRIxPTR
                     " do not decode as an instruction", name, at);
            return -1;
        }
        if (branch_target(&insn, ops, at, &target) && target > start &&
            target < start + ENTRY_PATCH_SIZE) {
            snprintf(err, err_len, "cannot redirect '%s': the %s at 0x%" PRIxPTR
                     " targets its first %d bytes", name,
                     insn.meta.category == ZYDIS_CATEGORY_CALL ? "call" : "jump", at,
                     ENTRY_PATCH_SIZE);
            return -1;
        }
        offset += insn.length;
    }
    return 0;
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

/* One entry that changes in a swap. */
typedef struct entry_change {
    entry_patch *patch;
    uintptr_t target, far_slot; /* what the entry will hold */
    uintptr_t trap_target;      /* where a thread reaching the int3 meanwhile goes */
    uint8_t before[ENTRY_PATCH_SIZE], after[ENTRY_PATCH_SIZE];
    bool armed;                 /* its redirect int3 is in place */
} entry_change;

static int plan_change(entry_patch *p, uintptr_t target, entry_change *c, char *err,
                       size_t err_len)
{
    *c = (entry_change){.patch = p, .target = target, .trap_target = target ? target : p->target};
    for (uintptr_t at = p->address; at < p->address + ENTRY_PATCH_SIZE; at++)
        if (trap_is_armed(at)) {
            snprintf(err, err_len, "cannot redirect '%s': a breakpoint is armed at 0x%" PRIxPTR
                     " inside its first %d bytes", p->name, at, ENTRY_PATCH_SIZE);
            return -1;
        }
    current_bytes(p, c->before);
    if (!target) {
        memcpy(c->after, p->original, ENTRY_PATCH_SIZE);
        return 0;
    }
    if (!within_rel32(p->address, target)) {
        char why[160];
        c->far_slot = write_far_slot(p->address, target, why, sizeof why);
        if (!c->far_slot) {
            snprintf(err, err_len, "cannot redirect '%s': %s", p->name, why);
            return -1;
        }
    }
    encode_jump(p->address, c->far_slot ? c->far_slot : target, c->after);
    return 0;
}

/* Writes bytes [first, first + len) of every entry's before or after image, without
 * serialising; returns how many entries were written (count when all were). */
static size_t write_images(entry_change *c, size_t count, bool after, size_t first, size_t len,
                           char *err, size_t err_len)
{
    for (size_t i = 0; i < count; i++) {
        const uint8_t *image = after ? c[i].after : c[i].before;
        if (text_patch_write_unsynced(c[i].patch->address + first, image + first, len, err,
                                      err_len) < 0)
            return i;
    }
    return count;
}

/* Puts back the first byte under every armed redirect, serialises, retires them (a redirect
 * whose byte cannot be written stays armed: retired, its int3 would trap forever). */
static void disarm_redirects(entry_change *c, size_t count)
{
    char ignored[128];
    for (size_t i = 0; i < count; i++)
        if (c[i].armed && text_patch_write_unsynced(c[i].patch->address, c[i].before, 1, ignored,
                                                    sizeof ignored) < 0)
            c[i].armed = false;
    text_patch_sync();
    for (size_t i = 0; i < count; i++)
        if (c[i].armed) {
            trap_retire_redirect(c[i].patch->address);
            c[i].armed = false;
        }
}

static int arm_redirects(entry_change *c, size_t count, char *err, size_t err_len)
{
    for (size_t i = 0; i < count; i++) {
        char why[160];
        if (trap_arm_redirect(c[i].patch->address, c[i].trap_target, why, sizeof why) < 0) {
            snprintf(err, err_len, "cannot redirect '%s': %s", c[i].patch->name, why);
            return -1;
        }
        c[i].armed = true;
    }
    text_patch_sync();
    return 0;
}

/* A thread that keeps a swap from finishing, and the entry it is inside (NULL: a slot). */
typedef struct blocker {
    const thread_pc *thread;
    const entry_change *entry;
} blocker;

/* Whether thread t stops the swap: it did not answer, runs in an out-of-line slot (whose jump
 * back may land inside an entry), or is inside the bytes of an entry that holds original code. */
static bool blocks(const thread_pc *t, const entry_change *c, size_t count, blocker *out)
{
    *out = (blocker){.thread = t};
    if (t->state == THREAD_PC_SILENT)
        return true;
    if (!t->pc)
        return false;
    for (size_t i = 0; i < count; i++) {
        uintptr_t address = c[i].patch->address;
        if (!c[i].patch->target && t->pc > address && t->pc < address + ENTRY_PATCH_SIZE) {
            out->entry = &c[i];
            return true;
        }
    }
    return ool_slot_contains(t->pc);
}

static void describe_blocker(const blocker *b, int timeout_ms, char *err, size_t err_len)
{
    int tid = (int)b->thread->tid;
    if (b->thread->state == THREAD_PC_SILENT)
        snprintf(err, err_len, "thread %d did not answer the pc sample within %d ms", tid,
                 timeout_ms);
    else if (b->entry)
        snprintf(err, err_len, "thread %d stays inside '%s' entry bytes (pc 0x%" PRIxPTR
                 ") after %d ms", tid, b->entry->patch->name, b->thread->pc, timeout_ms);
    else
        snprintf(err, err_len, "thread %d stays in an out-of-line breakpoint slot (pc 0x%"
                 PRIxPTR ") after %d ms", tid, b->thread->pc, timeout_ms);
}

static bool holds_original_code(const entry_change *c, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!c[i].patch->target)
            return true;
    return false;
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Phase 2: samples the threads until none blocks, at most timeout_ms. */
static int wait_until_outside(const entry_change *c, size_t count, int timeout_ms, char *err,
                              size_t err_len)
{
    if (!holds_original_code(c, count))
        return 0;
    thread_pcs *sample = malloc(sizeof *sample);
    if (!sample) {
        snprintf(err, err_len, "out of memory sampling the threads");
        return -1;
    }
    int64_t deadline = monotonic_ns() + (int64_t)timeout_ms * 1000000;
    int rc = -1;
    for (;;) {
        int64_t left_ms = (deadline - monotonic_ns()) / 1000000;
        if (thread_pcs_sample(sample, left_ms > 0 ? (int)left_ms : 1, err, err_len) < 0)
            break;
        blocker b = {0};
        bool blocked = false;
        for (size_t i = 0; i < sample->count && !blocked; i++)
            blocked = blocks(&sample->threads[i], c, count, &b);
        if (!blocked) {
            rc = 0;
            break;
        }
        if (monotonic_ns() >= deadline) {
            describe_blocker(&b, timeout_ms, err, err_len);
            break;
        }
        struct timespec pause = {0, RETRY_PAUSE_NS};
        nanosleep(&pause, NULL);
    }
    free(sample);
    return rc;
}

/* Phase 3. Bytes 1..4 that cannot be written are put back; a first byte that cannot be written
 * (where the int3 was written a moment ago) keeps its redirect int3, which stays correct. */
static int commit(entry_change *c, size_t count, char *err, size_t err_len)
{
    char ignored[128];
    if (write_images(c, count, true, 1, ENTRY_PATCH_SIZE - 1, err, err_len) < count) {
        write_images(c, count, false, 1, ENTRY_PATCH_SIZE - 1, ignored, sizeof ignored);
        disarm_redirects(c, count);
        return -1;
    }
    text_patch_sync();
    size_t written = write_images(c, count, true, 0, 1, err, err_len);
    text_patch_sync();
    for (size_t i = 0; i < written; i++) {
        trap_retire_redirect(c[i].patch->address);
        c[i].patch->target = c[i].target;
        c[i].patch->far_slot = c[i].far_slot;
    }
    return written == count ? 0 : -1;
}

int entry_patch_set_all(entry_patch *patches, const uintptr_t *targets, size_t n, int timeout_ms,
                        char *err, size_t err_len)
{
    if (trap_init(err, err_len) < 0)
        return -1;
    entry_change *changes = calloc(n ? n : 1, sizeof *changes);
    if (!changes) {
        snprintf(err, err_len, "out of memory redirecting %zu functions", n);
        return -1;
    }
    size_t count = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (targets[i] != patches[i].target)
            rc = plan_change(&patches[i], targets[i], &changes[count++], err, err_len);
    if (rc == 0 && count > 0) {
        if (arm_redirects(changes, count, err, err_len) < 0 ||
            wait_until_outside(changes, count, timeout_ms, err, err_len) < 0) {
            disarm_redirects(changes, count);
            rc = -1;
        } else {
            rc = commit(changes, count, err, err_len);
        }
    }
    free(changes);
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
