/* Stepping (see stepper.h). The stepping thread's handler side reads a small state the agent
 * writes while that thread is parked (its release wakes the thread): a phase, the range to
 * single-step in, and the run-to address with the rsp that identifies the frame returned to (a
 * recursive call returns to the same address with a lower rsp and runs on). */
#include "stepper.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include "debuginfo.h"
#include "log.h"
#include "ool_slots.h"
#include "signal_interpose.h"
#include "stopper.h"
#include "trap.h"

#define EFLAGS_TRAP_FLAG 0x100

enum step_phase {
    PHASE_IDLE,          /* no step: a late single-step trap of the last stepping thread is dropped */
    PHASE_TRACE,         /* single-stepping while the pc is in [range_low, range_high) */
    PHASE_RUN,           /* running freely to run_address with rsp == run_sp */
    PHASE_DECIDE,        /* parked: the agent decides */
    PHASE_AT_BREAKPOINT, /* a breakpoint stopped the stepping thread: the step is over */
};

static atomic_int step_tid;
static atomic_int phase;
static uintptr_t range_low, range_high;
static uintptr_t run_address, run_sp;

/* ---- handler side ---- */

PODBUG_HANDLER_TEXT static bool is_stepping_thread(void)
{
    return (pid_t)syscall(SYS_gettid) == atomic_load_explicit(&step_tid, memory_order_acquire);
}

PODBUG_HANDLER_TEXT static void set_trace_flag(ucontext_t *uc, bool on)
{
    greg_t *flags = &uc->uc_mcontext.gregs[REG_EFL];
    *flags = on ? (*flags | EFLAGS_TRAP_FLAG) : (*flags & ~(greg_t)EFLAGS_TRAP_FLAG);
}

/* Keeps single-stepping inside the range; outside it parks for the agent, which sets the phase,
 * range and trap flag this context resumes with. */
PODBUG_HANDLER_TEXT static void trace_or_decide(ucontext_t *uc)
{
    set_trace_flag(uc, true);
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    if (pc >= range_low && pc < range_high)
        return;
    atomic_store_explicit(&phase, PHASE_DECIDE, memory_order_release);
    stopper_park_here(uc);
}

PODBUG_HANDLER_TEXT bool stepper_on_trace(void *ucontext, bool at_armed_site)
{
    ucontext_t *uc = ucontext;
    if (!is_stepping_thread())
        return false;
    if (atomic_load_explicit(&phase, memory_order_acquire) != PHASE_TRACE) {
        set_trace_flag(uc, false); /* the step was abandoned while this thread ran */
        return true;
    }
    if (at_armed_site) {
        set_trace_flag(uc, true); /* the int3 comes next: its hit decides */
        return true;
    }
    trace_or_decide(uc);
    return true;
}

PODBUG_HANDLER_TEXT void stepper_on_site(uintptr_t addr, void *ucontext)
{
    ucontext_t *uc = ucontext;
    if (!is_stepping_thread())
        return;
    int now = atomic_load_explicit(&phase, memory_order_acquire);
    if (now == PHASE_RUN) {
        if (addr != run_address || (uintptr_t)uc->uc_mcontext.gregs[REG_RSP] != run_sp)
            return; /* another frame (a deeper recursion) returning here: runs on */
        atomic_store_explicit(&phase, PHASE_TRACE, memory_order_release);
    } else if (now != PHASE_TRACE) {
        return;
    }
    trace_or_decide(uc);
}

PODBUG_HANDLER_TEXT void stepper_end_at_breakpoint(void *ucontext)
{
    int now = atomic_load_explicit(&phase, memory_order_acquire);
    if (!is_stepping_thread() || (now != PHASE_TRACE && now != PHASE_RUN))
        return;
    set_trace_flag(ucontext, false);
    atomic_store_explicit(&phase, PHASE_AT_BREAKPOINT, memory_order_release);
}

/* ---- agent side ---- */

static struct {
    bool active;
    bool report_pending; /* ended where it started or at once: report on the next poll */
    pid_t tid;
    step_kind kind;
    step_granularity granularity;
    step_origin origin;
    uintptr_t site; /* the internal site armed for PHASE_RUN, 0 when none */
} step;

static void drop_site(void)
{
    if (step.site)
        trap_disarm(step.site);
    step.site = 0;
}

/* The step is over; its thread (parked) resumes later without the trap flag. */
static void finish(void)
{
    atomic_store_explicit(&phase, PHASE_IDLE, memory_order_release);
    stopper_set_trace_flag(step.tid, false);
    drop_site();
    step.active = false;
}

/* The inlined calls around pc (the top frame's pc, not a return address). */
static step_inlining inlining_at(sym_index *symbols, uintptr_t pc)
{
    dscope_chain chain;
    char reason[200];
    if (!debuginfo_scope_at(symbols, pc, false, &chain, reason, sizeof reason) || chain.n_scopes < 2)
        return (step_inlining){ 0 };
    return (step_inlining){ chain.n_scopes - 1, chain.scopes[0].call_file, chain.scopes[0].call_line };
}

static bool position_of(sym_index *symbols, pid_t tid, step_position *pos)
{
    frame_regs frames[2];
    int n = stopper_thread_frames(tid, frames, 2);
    if (n < 1)
        return false;
    *pos = (step_position){
        .pc = frames[0].reg[DWREG_RIP],
        .cfa = frames[0].cfa,
        .return_address = n > 1 ? frames[1].reg[DWREG_RIP] : 0,
    };
    pos->in_slot = ool_slot_contains(pos->pc);
    if (pos->in_slot) {
        pos->line = (step_line){ .low = pos->pc, .high = pos->pc };
        return true;
    }
    step_line_at(symbols, pos->pc, &pos->line);
    if (pos->line.known)
        pos->inlining = inlining_at(symbols, pos->pc);
    return true;
}

/* Carries out an action for the parked stepping thread. */
static void apply(step_action action)
{
    if (action.kind == STEP_ACTION_RUN_TO && step.site != action.address) {
        char err[200];
        drop_site();
        if (trap_arm(action.address, err, sizeof err) == 0) {
            step.site = action.address;
        } else {
            log_warn("step: cannot run to 0x%lx (%s); stopping there", (unsigned long)action.address, err);
            action.kind = STEP_ACTION_STOP;
        }
    }
    switch (action.kind) {
    case STEP_ACTION_STOP:
        finish();
        step.report_pending = true;
        stopper_notify_agent();
        return;
    case STEP_ACTION_TRACE:
        range_low = action.low;
        range_high = action.high;
        atomic_store_explicit(&phase, PHASE_TRACE, memory_order_release);
        stopper_set_trace_flag(step.tid, true);
        break;
    case STEP_ACTION_RUN_TO:
        range_low = range_high = 0;
        run_address = action.address;
        run_sp = action.sp;
        atomic_store_explicit(&phase, PHASE_RUN, memory_order_release);
        stopper_set_trace_flag(step.tid, false);
        break;
    }
    stopper_resume_thread(step.tid);
}

int stepper_start(sym_index *symbols, pid_t tid, step_kind kind, step_granularity granularity,
                  char *err, size_t err_len)
{
    if (step.active) {
        snprintf(err, err_len, "a step of thread %d is in progress", (int)step.tid);
        return -1;
    }
    step_position pos;
    if (!position_of(symbols, tid, &pos)) {
        snprintf(err, err_len, "thread %d is not stopped", (int)tid);
        return -1;
    }
    step.active = true;
    step.report_pending = false;
    step.tid = tid;
    step.kind = kind;
    step.granularity = granularity;
    atomic_store_explicit(&step_tid, tid, memory_order_release);
    apply(step_plan_start(kind, granularity, &pos, &step.origin));
    return 0;
}

bool stepper_poll(sym_index *symbols, pid_t *tid)
{
    if (step.report_pending) {
        step.report_pending = false;
        *tid = step.tid;
        return true;
    }
    if (!step.active)
        return false;
    int now = atomic_load_explicit(&phase, memory_order_acquire);
    if (now == PHASE_AT_BREAKPOINT) {
        finish();
        return false;
    }
    step_position pos;
    if (now != PHASE_DECIDE || !position_of(symbols, step.tid, &pos))
        return false; /* still running, or not parked yet (its park wakes us again) */
    apply(step_plan_next(step.kind, step.granularity, &pos, &step.origin));
    if (!step.report_pending)
        return false;
    step.report_pending = false;
    *tid = step.tid;
    return true;
}

bool stepper_active(void)
{
    return step.active;
}

void stepper_cancel(void)
{
    step.report_pending = false;
    if (step.active)
        finish();
}
