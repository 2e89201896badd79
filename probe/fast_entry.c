/* The trampolines' C entry (see fast_entry.h). It copies registers one by one (no memcpy or
 * memset: libc's may use AVX, whose upper halves the trampoline does not save) and switches the
 * thread's safe_mem reads to guarded loads around the verdict. */
#define UNW_LOCAL_ONLY
#include "fast_entry.h"

#include <stdatomic.h>
#include <ucontext.h>
#include "bp_conditions.h"
#include "frame_capture.h"
#include "safe_mem.h"
#include "signal_interpose.h"
#include "stopper.h"

/* Hits are counted per thread and added to the total every HIT_BATCH (a locked add per hit
 * would cost as much as a false condition). */
#define HIT_BATCH 64u

static __thread __attribute__((tls_model("initial-exec"))) unsigned entry_depth;
static __thread __attribute__((tls_model("initial-exec"))) unsigned unflushed_hits;
static atomic_uint_fast64_t hits;

/* Frame 0 as the program had it at the breakpoint address. */
PODBUG_HANDLER_TEXT static void read_saved(const fast_entry_site *site,
                                           const trampoline_saved *saved, frame_regs *regs)
{
    regs->reg[DWREG_RAX] = saved->rax;
    regs->reg[DWREG_RDX] = saved->rdx;
    regs->reg[DWREG_RCX] = saved->rcx;
    regs->reg[DWREG_RBX] = saved->rbx;
    regs->reg[DWREG_RSI] = saved->rsi;
    regs->reg[DWREG_RDI] = saved->rdi;
    regs->reg[DWREG_RBP] = saved->rbp;
    regs->reg[DWREG_RSP] = (uint64_t)(uintptr_t)(&saved->next + 1) + TRAMPOLINE_RED_ZONE;
    regs->reg[DWREG_R8] = saved->r8;
    regs->reg[DWREG_R9] = saved->r9;
    regs->reg[DWREG_R10] = saved->r10;
    regs->reg[DWREG_R11] = saved->r11;
    regs->reg[DWREG_R12] = saved->r12;
    regs->reg[DWREG_R13] = saved->r13;
    regs->reg[DWREG_R14] = saved->r14;
    regs->reg[DWREG_R15] = saved->r15;
    regs->reg[DWREG_RIP] = site->address;
    regs->valid = (1u << FRAME_REG_COUNT) - 1;
    regs->cfa = 0;
}

/* The CFA by one unwind step from a context holding frame 0's registers, as the trap path
 * finds it (only the general registers are read by the unwinder). */
PODBUG_HANDLER_TEXT static uint64_t cfa_by_unwinding(const frame_regs *regs)
{
    static const int greg_of_dwarf[FRAME_REG_COUNT] = {
        REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI, REG_RBP, REG_RSP, REG_R8,
        REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP,
    };
    ucontext_t uc;
    uc.uc_flags = 0;
    uc.uc_link = NULL;
    uc.uc_mcontext.fpregs = NULL;
    for (int r = 0; r < FRAME_REG_COUNT; r++)
        uc.uc_mcontext.gregs[greg_of_dwarf[r]] = (greg_t)regs->reg[r];
    uc.uc_mcontext.gregs[REG_EFL] = 0;
    frame_regs top;
    frame_capture_top(&uc, &top, true);
    return top.cfa;
}

PODBUG_HANDLER_TEXT void fast_entry(const void *arg, trampoline_saved *saved)
{
    const fast_entry_site *site = arg;
    entry_depth++;
    if (++unflushed_hits == HIT_BATCH) {
        atomic_fetch_add_explicit(&hits, HIT_BATCH, memory_order_relaxed);
        unflushed_hits = 0;
    }
    frame_regs regs;
    read_saved(site, saved, &regs);
    if (site->has_cfa_rule)
        cfa_rule_apply(&site->cfa, &regs);
    else if (bp_conditions_need_cfa(site->address))
        regs.cfa = cfa_by_unwinding(&regs);
    safe_mem_use_guarded_reads(true);
    bool wanted = bp_conditions_filter_fast(site->address, &regs);
    safe_mem_use_guarded_reads(false);
    if (!wanted && stopper_stop_declined()) { /* the thread parks at the exit int3 */
        bp_conditions_fast_pass(site->address);
        wanted = true;
    }
    saved->next = wanted ? site->slow_exit : site->resume;
    entry_depth--;
}

PODBUG_HANDLER_TEXT bool fast_entry_busy(void)
{
    return entry_depth != 0;
}

uint64_t fast_entry_hits(void)
{
    return atomic_load_explicit(&hits, memory_order_relaxed);
}
