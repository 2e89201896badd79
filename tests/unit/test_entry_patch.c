/* Unit tests for entry_patch.c (and trap.c's redirect sites) in this process: real functions of
 * this file redirected, re-targeted and restored byte-exactly, also while threads call them, far
 * targets through a slot, and the refusals (a loop into the entry, no room, a breakpoint, a thread
 * that stays inside the entry bytes). */
#include <criterion/criterion.h>

#include <Zydis/Zydis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "entry_patch.h"
#include "text_patch.h"
#include "thread_pcs.h"
#include "trap.h"

#define THREADS 4
#define SWAPS 1000
#define TIMEOUT_MS 2000

/* ---- functions that get redirected ------------------------------------------------------ */

__attribute__((noipa)) int version_one(void)
{
    return 1;
}

__attribute__((noipa)) int version_two(void)
{
    return 2;
}

__attribute__((noipa)) int version_three(void)
{
    return 3;
}

/* Hand-written, each followed by alignment padding up to the next (the limit), except tiny. */
int busy_one(void);                 /* returns 1; instruction boundaries at +2 and +4 */
int loop_head(void);                /* loops back to +2 */
extern char tiny[], after_tiny[];   /* one byte, the next symbol right behind it */
int bp_inside(void);                /* returns 7; boundaries at +1 and +4 */
long raw_read(int fd, void *buf, size_t len); /* blocks with its pc at +4 */
int returns_zero(void);             /* 3 bytes, then padding */
extern char busy_one_end[], loop_head_end[], bp_inside_end[], raw_read_end[], returns_zero_end[];
__asm__(".text\n"
        ".p2align 4\n"
        "busy_one:\n"
        "    xorl %eax, %eax\n"
        "    incl %eax\n"
        "    nop\n"
        "    ret\n"
        "busy_one_end:\n"
        ".p2align 4\n"
        "loop_head:\n"
        "    xorl %eax, %eax\n"
        "1:  incl %eax\n"
        "    cmpl $10, %eax\n"
        "    jl 1b\n"
        "    ret\n"
        "loop_head_end:\n"
        ".p2align 4\n"
        "tiny:\n"
        "    ret\n"
        "after_tiny:\n"
        "    ret\n"
        ".p2align 4\n"
        "bp_inside:\n"
        "    push %rbp\n"
        "    mov %rsp, %rbp\n"
        "    movl $7, %eax\n"
        "    pop %rbp\n"
        "    ret\n"
        "bp_inside_end:\n"
        ".p2align 4\n"
        "raw_read:\n"
        "    xorl %eax, %eax\n"
        "    syscall\n"
        "    ret\n"
        "raw_read_end:\n"
        ".p2align 4\n"
        "returns_zero:\n"
        "    xorl %eax, %eax\n"
        "    ret\n"
        "returns_zero_end:\n"
        ".p2align 4\n"
        "    nop\n");

/* ---- helpers ---------------------------------------------------------------------------- */

static uintptr_t align16(uintptr_t addr)
{
    return (addr + 15) & ~(uintptr_t)15;
}

/* The size of a C function of this file: its instructions up to and including the first ret. */
static size_t size_up_to_ret(uintptr_t start)
{
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (uintptr_t at = start;;) {
        ZydisDecodedInstruction insn;
        cr_assert(ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, NULL, (void *)at, 15, &insn)));
        at += insn.length;
        if (insn.mnemonic == ZYDIS_MNEMONIC_RET)
            return at - start;
    }
}

static void prepare_c_function(entry_patch *p, const char *name, int (*fn)(void))
{
    char err[256] = "";
    uintptr_t start = (uintptr_t)fn;
    size_t size = size_up_to_ret(start);
    cr_assert_eq(entry_patch_prepare(p, name, start, size, start + size, err, sizeof err), 0,
                 "prepare %s: %s", name, err);
}

static void prepare_asm(entry_patch *p, const char *name, uintptr_t start, uintptr_t end)
{
    char err[256] = "";
    cr_assert_eq(entry_patch_prepare(p, name, start, end - start, align16(end), err, sizeof err),
                 0, "prepare %s: %s", name, err);
}

static void set_one(entry_patch *p, uintptr_t target)
{
    char err[256] = "";
    cr_assert_eq(entry_patch_set_all(p, &target, 1, TIMEOUT_MS, err, sizeof err), 0,
                 "set_all %s -> 0x%lx: %s", p->name, (unsigned long)target, err);
    cr_assert_eq(p->target, target);
}

/* Calls through a pointer the compiler cannot see through, as a program's function pointer. */
static int call(int (*fn)(void))
{
    int (*volatile through)(void) = fn;
    return through();
}

/* ---- tests ------------------------------------------------------------------------------ */

Test(entry_patch, redirects_a_function_and_restores_its_exact_bytes)
{
    uint8_t before[16];
    memcpy(before, (void *)version_one, sizeof before);
    entry_patch p;
    prepare_c_function(&p, "version_one", version_one);
    cr_assert_eq(p.address, (uintptr_t)version_one);
    cr_assert_eq(memcmp(p.original, before, ENTRY_PATCH_SIZE), 0);
    cr_assert_eq(p.target, 0);
    cr_assert_str_eq(p.name, "version_one");

    set_one(&p, (uintptr_t)version_two);
    cr_assert_eq(version_one(), 2);
    cr_assert_eq(call(version_one), 2);
    cr_assert_eq(*(volatile uint8_t *)version_one, 0xE9, "no jmp rel32 at the entry");
    cr_assert_eq(p.far_slot, 0, "a near target needs no slot");
    cr_assert(entry_patch_covers(&p, 1, p.address));
    cr_assert(entry_patch_covers(&p, 1, p.address + 4));
    cr_assert_not(entry_patch_covers(&p, 1, p.address + 5));

    set_one(&p, 0);
    cr_assert_eq(memcmp((void *)version_one, before, sizeof before), 0, "bytes not restored");
    cr_assert_eq(version_one(), 1);
    cr_assert_not(entry_patch_covers(&p, 1, p.address));
}

Test(entry_patch, retargets_and_restores_repeatedly)
{
    uint8_t before[16];
    memcpy(before, (void *)version_one, sizeof before);
    entry_patch p;
    prepare_c_function(&p, "version_one", version_one);
    for (int round = 0; round < 5; round++) {
        set_one(&p, (uintptr_t)version_two);
        cr_assert_eq(call(version_one), 2);
        set_one(&p, (uintptr_t)version_three);
        cr_assert_eq(call(version_one), 3);
        set_one(&p, (uintptr_t)version_two);
        cr_assert_eq(call(version_one), 2);
        set_one(&p, 0);
        cr_assert_eq(call(version_one), 1);
        cr_assert_eq(memcmp((void *)version_one, before, sizeof before), 0);
    }
}

Test(entry_patch, unchanged_targets_write_nothing)
{
    entry_patch p;
    prepare_c_function(&p, "version_one", version_one);
    char err[256] = "";
    uintptr_t none = 0;
    cr_assert_eq(entry_patch_set_all(&p, &none, 1, TIMEOUT_MS, err, sizeof err), 0, "%s", err);
    cr_assert_eq(memcmp((void *)version_one, p.original, ENTRY_PATCH_SIZE), 0);
}

Test(entry_patch, swaps_several_entries_together)
{
    entry_patch p[2];
    prepare_c_function(&p[0], "version_one", version_one);
    prepare_c_function(&p[1], "version_two", version_two);
    uintptr_t swapped[2] = {(uintptr_t)version_three, (uintptr_t)version_three};
    char err[256] = "";
    cr_assert_eq(entry_patch_set_all(p, swapped, 2, TIMEOUT_MS, err, sizeof err), 0, "%s", err);
    cr_assert_eq(call(version_one) + call(version_two), 6);
    uintptr_t restored[2] = {0, 0};
    cr_assert_eq(entry_patch_set_all(p, restored, 2, TIMEOUT_MS, err, sizeof err), 0, "%s", err);
    cr_assert_eq(call(version_one) * 10 + call(version_two), 12);
}

Test(entry_patch, a_far_target_is_reached_through_a_slot)
{
    /* a page the kernel places far from this PIE's text (mmap's region is terabytes away) */
    static const uint8_t returns_four[] = {0xB8, 4, 0, 0, 0, 0xC3}; /* mov eax, 4; ret */
    uint8_t *far = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(far, MAP_FAILED);
    memcpy(far, returns_four, sizeof returns_four);
    cr_assert_eq(mprotect(far, 4096, PROT_READ | PROT_EXEC), 0);
    uintptr_t distance = (uintptr_t)far > (uintptr_t)version_one
                             ? (uintptr_t)far - (uintptr_t)version_one
                             : (uintptr_t)version_one - (uintptr_t)far;
    cr_assert_gt(distance, (uintptr_t)1 << 32, "premise: the page is beyond rel32");

    entry_patch p;
    prepare_c_function(&p, "version_one", version_one);
    set_one(&p, (uintptr_t)far);
    cr_assert_neq(p.far_slot, 0);
    cr_assert_eq(call(version_one), 4);
    set_one(&p, (uintptr_t)version_two); /* back within reach: a plain jump again */
    cr_assert_eq(p.far_slot, 0);
    cr_assert_eq(call(version_one), 2);
    set_one(&p, (uintptr_t)far);
    set_one(&p, 0);
    cr_assert_eq(call(version_one), 1);
    cr_assert_eq(memcmp((void *)version_one, p.original, ENTRY_PATCH_SIZE), 0);
}

static atomic_bool keep_calling;
static atomic_long results_seen[3]; /* [1]: old code, [2]: new code, [0]: anything else */

static void *call_until_told(void *arg)
{
    (void)arg;
    long counts[3] = {0, 0, 0};
    while (atomic_load_explicit(&keep_calling, memory_order_relaxed)) {
        int direct = busy_one(), indirect = call(busy_one);
        counts[direct == 1 || direct == 2 ? direct : 0]++;
        counts[indirect == 1 || indirect == 2 ? indirect : 0]++;
    }
    for (int i = 0; i < 3; i++)
        atomic_fetch_add(&results_seen[i], counts[i]);
    return NULL;
}

Test(entry_patch, swaps_while_threads_call_the_function, .timeout = 120)
{
    uint8_t before[16];
    memcpy(before, (void *)busy_one, sizeof before);
    entry_patch p;
    prepare_asm(&p, "busy_one", (uintptr_t)busy_one, (uintptr_t)busy_one_end);

    atomic_store(&keep_calling, true);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, call_until_told, NULL);
    for (int swap = 0; swap < SWAPS; swap++) {
        set_one(&p, (uintptr_t)version_two);
        set_one(&p, 0);
    }
    atomic_store(&keep_calling, false);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);

    cr_assert_eq(atomic_load(&results_seen[0]), 0, "calls returned neither 1 nor 2");
    cr_assert_gt(atomic_load(&results_seen[1]), 0);
    cr_assert_gt(atomic_load(&results_seen[2]), 0);
    cr_assert_eq(memcmp((void *)busy_one, before, sizeof before), 0, "bytes not restored");
    cr_assert_eq(busy_one(), 1);
}

Test(entry_patch, refuses_a_branch_back_into_the_first_bytes)
{
    entry_patch p;
    char err[256] = "";
    cr_assert_eq(entry_patch_prepare(&p, "loop_head", (uintptr_t)loop_head,
                                     (uintptr_t)loop_head_end - (uintptr_t)loop_head,
                                     align16((uintptr_t)loop_head_end), err, sizeof err), -1);
    cr_assert(strstr(err, "cannot redirect 'loop_head': the jump at 0x"), "message: %s", err);
    cr_assert(strstr(err, "targets its first 5 bytes"), "message: %s", err);
}

Test(entry_patch, refuses_a_short_function_without_padding)
{
    entry_patch p;
    char err[256] = "";
    cr_assert_eq(entry_patch_prepare(&p, "tiny", (uintptr_t)tiny, 1, (uintptr_t)after_tiny, err,
                                     sizeof err), -1);
    cr_assert(strstr(err, "cannot redirect 'tiny': only 1 byte up to the next symbol"),
              "message: %s", err);
}

Test(entry_patch, a_short_function_may_use_its_padding)
{
    uint8_t before[16];
    memcpy(before, (void *)returns_zero, sizeof before);
    entry_patch p;
    prepare_asm(&p, "returns_zero", (uintptr_t)returns_zero, (uintptr_t)returns_zero_end);
    cr_assert_eq((uintptr_t)returns_zero_end - (uintptr_t)returns_zero, 3);
    cr_assert_eq(memcmp(p.original, before, ENTRY_PATCH_SIZE), 0);
    set_one(&p, (uintptr_t)version_two);
    cr_assert_eq(call(returns_zero), 2);
    set_one(&p, 0);
    cr_assert_eq(call(returns_zero), 0);
    cr_assert_eq(memcmp((void *)returns_zero, before, sizeof before), 0);
}

Test(entry_patch, refuses_a_breakpoint_inside_the_entry)
{
    char err[256] = "";
    cr_assert_eq(trap_init(err, sizeof err), 0, "%s", err);
    uint8_t before[8];
    memcpy(before, (void *)bp_inside, sizeof before);
    entry_patch p;
    prepare_asm(&p, "bp_inside", (uintptr_t)bp_inside, (uintptr_t)bp_inside_end);

    uintptr_t inside = (uintptr_t)bp_inside + 1; /* mov rbp, rsp */
    cr_assert_eq(trap_arm(inside, err, sizeof err), 0, "%s", err);
    uintptr_t target = (uintptr_t)version_two;
    cr_assert_eq(entry_patch_set_all(&p, &target, 1, TIMEOUT_MS, err, sizeof err), -1);
    cr_assert(strstr(err, "cannot redirect 'bp_inside': a breakpoint is armed at 0x"),
              "message: %s", err);
    cr_assert_eq(p.target, 0);
    cr_assert_eq(bp_inside(), 7);
    cr_assert_eq(trap_disarm(inside), 0);
    cr_assert_eq(memcmp((void *)bp_inside, before, sizeof before), 0);

    /* prepare sees the program's bytes under a breakpoint, never the int3 */
    cr_assert_eq(trap_arm((uintptr_t)bp_inside, err, sizeof err), 0, "%s", err);
    entry_patch under;
    prepare_asm(&under, "bp_inside", (uintptr_t)bp_inside, (uintptr_t)bp_inside_end);
    cr_assert_eq(memcmp(under.original, before, ENTRY_PATCH_SIZE), 0);
    cr_assert_eq(trap_disarm((uintptr_t)bp_inside), 0);
}

/* Returns the byte read, or -1. */
static void *read_through_raw_read(void *fd)
{
    char byte;
    long n = raw_read(*(int *)fd, &byte, 1);
    return (void *)(intptr_t)(n == 1 ? byte : -1);
}

/* Waits until some thread sleeps in the system call of raw_read (its pc at raw_read + 4). */
static void wait_for_sleeper_in_raw_read(void)
{
    static thread_pcs sample;
    char err[256] = "";
    for (int tries = 0; tries < 1000; tries++) {
        cr_assert_eq(thread_pcs_sample(&sample, TIMEOUT_MS, err, sizeof err), 0, "%s", err);
        for (size_t i = 0; i < sample.count; i++)
            if (sample.threads[i].state == THREAD_PC_SLEEPING &&
                sample.threads[i].pc == (uintptr_t)raw_read + 4)
                return;
        usleep(1000);
    }
    cr_assert_fail("the reader never blocked in raw_read");
}

Test(entry_patch, a_thread_inside_the_entry_bytes_makes_it_time_out)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    entry_patch p;
    prepare_asm(&p, "raw_read", (uintptr_t)raw_read, (uintptr_t)raw_read_end);
    pthread_t thread;
    pthread_create(&thread, NULL, read_through_raw_read, &fds[0]);
    wait_for_sleeper_in_raw_read();

    char err[256] = "";
    uintptr_t target = (uintptr_t)version_two;
    cr_assert_eq(entry_patch_set_all(&p, &target, 1, 50, err, sizeof err), -1);
    cr_assert(strstr(err, "thread "), "message: %s", err);
    cr_assert(strstr(err, "stays inside 'raw_read' entry bytes"), "message: %s", err);
    cr_assert_eq(p.target, 0);
    cr_assert_eq(memcmp((void *)raw_read, p.original, ENTRY_PATCH_SIZE), 0, "bytes changed");

    cr_assert_eq(write(fds[1], "x", 1), 1);
    void *result;
    pthread_join(thread, &result);
    cr_assert_eq((intptr_t)result, 'x', "the blocked read was disturbed");
    close(fds[0]);
    close(fds[1]);
}

Test(entry_patch, a_redirect_site_sends_threads_on_without_a_hit)
{
    char err[256] = "";
    cr_assert_eq(trap_init(err, sizeof err), 0, "%s", err);
    uintptr_t entry = (uintptr_t)version_one;
    uint8_t first = *(volatile uint8_t *)entry;
    uint64_t hits = trap_hit_count();

    cr_assert_eq(trap_arm_redirect(entry, (uintptr_t)version_three, err, sizeof err), 0, "%s", err);
    text_patch_sync();
    cr_assert_eq(call(version_one), 3);
    cr_assert_eq(trap_hit_count(), hits, "a redirect counted a hit");
    cr_assert_eq(trap_arm(entry, err, sizeof err), -1, "a breakpoint went onto a redirect");
    cr_assert_eq(trap_arm_redirect(entry, (uintptr_t)version_two, err, sizeof err), -1);

    cr_assert_eq(text_patch_write(entry, &first, 1, err, sizeof err), 0, "%s", err);
    trap_retire_redirect(entry);
    cr_assert_eq(call(version_one), 1);

    cr_assert_eq(trap_arm(entry, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trap_arm_redirect(entry, (uintptr_t)version_two, err, sizeof err), -1);
    cr_assert(strstr(err, "a breakpoint is armed at"), "message: %s", err);
    cr_assert_eq(trap_disarm(entry), 0);
}
