/* Unit tests for trap.c in this process: breakpoints on real functions of this file hit from
 * several threads, exact hit counts, byte-exact disarm, refusals, and the program's own SIGTRAP. */
#define UNW_LOCAL_ONLY
#include <criterion/criterion.h>

#include <Zydis/Zydis.h>
#include <libunwind.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "signal_interpose.h"
#include "trap.h"

#define THREADS 4
#define CALLS_PER_THREAD 100000

/* ---- functions that get breakpoints ----------------------------------------------------- */

volatile int global_value = 7;

__attribute__((noinline, noclone)) int helper(int x)
{
    __asm__ volatile("" ::: "memory");
    return x ^ 0x5a;
}

/* keeps x across a call: starts by pushing a callee-saved register; has a call site */
__attribute__((noinline, noclone)) int with_push_and_call(int x)
{
    int r = helper(x);
    return r + x * 3;
}

/* loads a global through a RIP-relative operand */
__attribute__((noinline, noclone)) int read_global(int x)
{
    return global_value + x;
}

/* a conditional branch (calls on both paths keep it a branch, not a cmov) */
__attribute__((noinline, noclone)) int branchy(int x)
{
    if (x % 3 == 0)
        return helper(x) + 1;
    return helper(x + 1) - 1;
}

/* a loop instruction, which cannot run out of line */
extern char loop_instruction[];
__asm__(".text\n"
        ".globl loop_instruction\n"
        "loop_instruction:\n"
        "    loop loop_instruction\n"
        "    ret\n");

/* ---- finding instructions --------------------------------------------------------------- */

typedef bool (*insn_match)(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *ops);

/* The first instruction of fn (from its start, before its first ret) that matches. */
static uintptr_t find_instruction(int (*fn)(int), insn_match match)
{
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    uintptr_t at = (uintptr_t)fn;
    for (int i = 0; i < 64; i++) {
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        cr_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, (void *)at, 15, &insn, ops)));
        if (match(&insn, ops))
            return at;
        if (insn.mnemonic == ZYDIS_MNEMONIC_RET)
            break;
        at += insn.length;
    }
    cr_assert_fail("instruction not found in the function");
    return 0;
}

static bool is_first_real(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *ops)
{
    (void)ops;
    return insn->mnemonic != ZYDIS_MNEMONIC_ENDBR64;
}

static bool is_call(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *ops)
{
    (void)ops;
    return insn->mnemonic == ZYDIS_MNEMONIC_CALL;
}

static bool is_rip_relative_load(const ZydisDecodedInstruction *insn,
                                 const ZydisDecodedOperand *ops)
{
    for (uint8_t i = 0; i < insn->operand_count_visible; i++)
        if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[i].mem.base == ZYDIS_REGISTER_RIP)
            return true;
    return false;
}

static bool is_conditional_branch(const ZydisDecodedInstruction *insn,
                                  const ZydisDecodedOperand *ops)
{
    (void)ops;
    return insn->meta.category == ZYDIS_CATEGORY_COND_BR;
}

static ZydisMnemonic mnemonic_at(uintptr_t at)
{
    ZydisDecoder decoder;
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    cr_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, (void *)at, 15, &insn, ops)));
    return insn.mnemonic;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static void init_traps(void)
{
    char err[256] = "";
    cr_assert_eq(trap_init(err, sizeof err), 0, "trap_init: %s", err);
}

static void arm(uintptr_t site)
{
    char err[256] = "";
    cr_assert_eq(trap_arm(site, err, sizeof err), 0, "trap_arm(0x%lx): %s", (unsigned long)site,
                 err);
}

static long sum_of_calls(int (*fn)(int), int calls)
{
    long sum = 0;
    for (int i = 0; i < calls; i++)
        sum += fn(i);
    return sum;
}

typedef struct worker {
    int (*fn)(int);
    long sum;
} worker;

static void *call_many_times(void *arg)
{
    worker *w = arg;
    w->sum = sum_of_calls(w->fn, CALLS_PER_THREAD);
    return NULL;
}

/* Arms site, calls fn from THREADS threads, checks results, hit count and the restored bytes. */
static void check_site_under_load(int (*fn)(int), uintptr_t site)
{
    init_traps();
    uint8_t before[16];
    memcpy(before, (void *)site, sizeof before);
    long expected = sum_of_calls(fn, CALLS_PER_THREAD);

    arm(site);
    cr_assert_eq(*(volatile uint8_t *)site, 0xCC, "no int3 at the site");
    uint8_t original;
    cr_assert_eq(trap_original_byte(site, &original), 0);
    cr_assert_eq(original, before[0]);
    uint64_t hits_before = trap_hit_count();

    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){.fn = fn};
        pthread_create(&threads[i], NULL, call_many_times, &workers[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        cr_assert_eq(workers[i].sum, expected, "thread %d: %ld instead of %ld", i,
                     workers[i].sum, expected);
    }
    cr_assert_eq(trap_hit_count() - hits_before, (uint64_t)THREADS * CALLS_PER_THREAD);

    cr_assert_eq(trap_disarm(site), 0);
    cr_assert_not(trap_is_armed(site));
    cr_assert_eq(memcmp(before, (void *)site, sizeof before), 0, "disarm did not restore bytes");
    cr_assert_eq(sum_of_calls(fn, CALLS_PER_THREAD), expected);
}

/* ---- tests ------------------------------------------------------------------------------ */

Test(trap, breakpoint_on_a_push)
{
    uintptr_t site = find_instruction(with_push_and_call, is_first_real);
    cr_assert_eq(mnemonic_at(site), ZYDIS_MNEMONIC_PUSH, "premise: the function starts with push");
    check_site_under_load(with_push_and_call, site);
}

Test(trap, breakpoint_on_a_rip_relative_load)
{
    check_site_under_load(read_global, find_instruction(read_global, is_rip_relative_load));
}

Test(trap, breakpoint_on_a_call)
{
    check_site_under_load(with_push_and_call, find_instruction(with_push_and_call, is_call));
}

Test(trap, breakpoint_on_a_conditional_branch)
{
    check_site_under_load(branchy, find_instruction(branchy, is_conditional_branch));
}

Test(trap, arming_is_reference_counted)
{
    init_traps();
    uintptr_t site = (uintptr_t)read_global;
    uint8_t before = *(volatile uint8_t *)site;
    arm(site);
    arm(site);
    cr_assert_eq(trap_disarm(site), 0);
    cr_assert(trap_is_armed(site), "one reference is left");
    cr_assert_eq(*(volatile uint8_t *)site, 0xCC);
    cr_assert_eq(trap_disarm(site), 0);
    cr_assert_not(trap_is_armed(site));
    cr_assert_eq(*(volatile uint8_t *)site, before);
    cr_assert_eq(trap_disarm(site), -1, "disarming an unarmed site must fail");
}

Test(trap, rearming_a_removed_site_works)
{
    init_traps();
    uintptr_t site = (uintptr_t)helper;
    for (int round = 0; round < 3; round++) {
        arm(site);
        uint64_t hits = trap_hit_count();
        cr_assert_eq(helper(1), 1 ^ 0x5a);
        cr_assert_eq(trap_hit_count() - hits, 1);
        cr_assert_eq(trap_disarm(site), 0);
    }
}

Test(trap, refuses_non_text_addresses_with_a_message)
{
    init_traps();
    char err[256] = "";
    cr_assert_eq(trap_arm((uintptr_t)&global_value, err, sizeof err), -1);
    cr_assert(strstr(err, "not in executable text"), "message: %s", err);
    err[0] = '\0';
    cr_assert_eq(trap_arm(0x10, err, sizeof err), -1);
    cr_assert(strstr(err, "not in executable text"), "message: %s", err);
}

Test(trap, refuses_instructions_it_cannot_relocate)
{
    init_traps();
    char err[256] = "";
    uint8_t before = (uint8_t)loop_instruction[0];
    cr_assert_eq(trap_arm((uintptr_t)loop_instruction, err, sizeof err), -1);
    cr_assert(strstr(err, "cannot relocate 'loop'"), "message: %s", err);
    cr_assert_eq((uint8_t)loop_instruction[0], before, "a refused site must stay untouched");
}

Test(trap, refuses_code_its_own_signal_handler_runs)
{
    init_traps();
    char err[256] = "";
    cr_assert_eq(trap_arm((uintptr_t)signal_interpose_chain, err, sizeof err), -1);
    cr_assert(strstr(err, "signal handler"), "message: %s", err);
    err[0] = '\0';
    cr_assert_eq(trap_arm((uintptr_t)write, err, sizeof err), -1);
    cr_assert(strstr(err, "write'"), "message: %s", err);
    err[0] = '\0';
    cr_assert_eq(trap_arm((uintptr_t)unw_step, err, sizeof err), -1);
    cr_assert(strstr(err, "libunwind"), "message: %s", err);
}

static volatile sig_atomic_t program_traps;
static volatile int program_trap_code;

static void program_sigtrap_handler(int signo, siginfo_t *info, void *uc)
{
    (void)signo;
    (void)uc;
    program_traps++;
    program_trap_code = info->si_code;
}

/* The handler the kernel has for SIGTRAP, bypassing every libc/interposition layer. */
static uintptr_t kernel_sigtrap_handler(void)
{
    struct { uintptr_t handler; unsigned long flags; uintptr_t restorer; uint64_t mask; } k;
    cr_assert_eq(syscall(SYS_rt_sigaction, SIGTRAP, NULL, &k, sizeof k.mask), 0);
    return k.handler;
}

Test(trap, program_sigtrap_handler_installed_later_still_gets_its_traps)
{
    init_traps();
    uintptr_t ours = kernel_sigtrap_handler();
    struct sigaction sa, seen;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = program_sigtrap_handler;
    sa.sa_flags = SA_SIGINFO;
    cr_assert_eq(sigaction(SIGTRAP, &sa, NULL), 0);
    cr_assert_eq(kernel_sigtrap_handler(), ours, "the program's handler replaced ours");
    cr_assert_eq(sigaction(SIGTRAP, NULL, &seen), 0);
    cr_assert_eq((uintptr_t)seen.sa_sigaction, (uintptr_t)program_sigtrap_handler,
                 "the program must see its own handler");

    raise(SIGTRAP);
    cr_assert_eq(program_traps, 1);
    cr_assert_eq(program_trap_code, SI_TKILL);
    __asm__ volatile("int3");
    cr_assert_eq(program_traps, 2);
    cr_assert_eq(program_trap_code, SI_KERNEL);

    /* our breakpoints keep working next to the program's handler */
    arm((uintptr_t)helper);
    uint64_t hits = trap_hit_count();
    cr_assert_eq(helper(3), 3 ^ 0x5a);
    cr_assert_eq(trap_hit_count() - hits, 1);
    cr_assert_eq(program_traps, 2, "our trap reached the program");
    cr_assert_eq(trap_disarm((uintptr_t)helper), 0);

    sighandler_t previous = signal(SIGTRAP, SIG_DFL);
    cr_assert_eq((uintptr_t)previous, (uintptr_t)program_sigtrap_handler);
    cr_assert_eq(kernel_sigtrap_handler(), ours);
}

Test(trap, unhandled_program_int3_still_kills_with_sigtrap, .signal = SIGTRAP)
{
    init_traps();
    __asm__ volatile("int3");
}

static atomic_bool keep_calling;
static atomic_long wrong_results;
static atomic_long calls_made;

static void *call_until_told(void *arg)
{
    (void)arg;
    long calls = 0;
    while (atomic_load_explicit(&keep_calling, memory_order_relaxed)) {
        for (int i = 0; i < 64; i++, calls++)
            if (with_push_and_call(i) != ((i ^ 0x5a) + i * 3))
                atomic_fetch_add(&wrong_results, 1);
    }
    atomic_fetch_add(&calls_made, calls);
    return NULL;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

Test(trap, arm_and_disarm_while_threads_run_the_code)
{
    init_traps();
    uintptr_t entry = find_instruction(with_push_and_call, is_first_real);
    uintptr_t call = find_instruction(with_push_and_call, is_call);
    uint8_t before[32];
    memcpy(before, (void *)entry, sizeof before);

    atomic_store(&keep_calling, true);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, call_until_told, NULL);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int cycles = 0;
    while (seconds_since(&start) < 1.0) {
        uintptr_t site = (cycles & 1) ? call : entry;
        arm(site);
        cr_assert_eq(trap_disarm(site), 0);
        cycles++;
    }
    atomic_store(&keep_calling, false);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);

    cr_assert_gt(cycles, 100, "only %d arm/disarm cycles", cycles);
    cr_assert_gt(atomic_load(&calls_made), 0);
    cr_assert_eq(atomic_load(&wrong_results), 0);
    cr_assert_eq(memcmp(before, (void *)entry, sizeof before), 0);
}

Test(trap, disarm_all_restores_every_site)
{
    init_traps();
    uintptr_t sites[] = {(uintptr_t)helper, (uintptr_t)read_global,
                         find_instruction(branchy, is_conditional_branch)};
    uint8_t before[3];
    for (int i = 0; i < 3; i++) {
        before[i] = *(volatile uint8_t *)sites[i];
        arm(sites[i]);
    }
    trap_disarm_all();
    for (int i = 0; i < 3; i++) {
        cr_assert_not(trap_is_armed(sites[i]));
        cr_assert_eq(*(volatile uint8_t *)sites[i], before[i]);
    }
}

static atomic_int hit_handler_calls;
static _Atomic uintptr_t hit_address, hit_context_pc;

static void count_hit(uintptr_t addr, void *ucontext)
{
    atomic_fetch_add(&hit_handler_calls, 1);
    atomic_store(&hit_address, addr);
    atomic_store(&hit_context_pc, (uintptr_t)((ucontext_t *)ucontext)->uc_mcontext.gregs[REG_RIP]);
}

Test(trap, hit_handler_sees_the_site_except_in_ignored_threads)
{
    init_traps();
    trap_set_hit_handler(count_hit);
    uintptr_t site = find_instruction(read_global, is_rip_relative_load);
    arm(site);
    cr_assert_eq(read_global(1), global_value + 1);
    cr_assert_eq(atomic_load(&hit_handler_calls), 1);
    cr_assert_eq(atomic_load(&hit_address), site);
    cr_assert_eq(atomic_load(&hit_context_pc), site, "the pc must be rewound to the site");

    trap_ignore_thread((pid_t)syscall(SYS_gettid));
    cr_assert_eq(read_global(2), global_value + 2);
    cr_assert_eq(atomic_load(&hit_handler_calls), 1, "an ignored thread reached the hit handler");
    cr_assert_eq(trap_disarm(site), 0);
}
