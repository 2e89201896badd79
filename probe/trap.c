/* Breakpoint sites: the site table (filled by the agent, published with release stores, read
 * lock-free by the SIGTRAP handler), arming/disarming, and out-of-line execution on a hit;
 * redirect sites (hot reload, code swaps) whose int3 sends a thread elsewhere without a hit; fast
 * sites' trampoline exits, whose int3 is a hit at the breakpoint address; single steps through
 * fast sites' jumps and trampolines. */
#define UNW_LOCAL_ONLY
#include "trap.h"

#include "fast_sites.h"
#include "ool_slots.h"
#include "relocate.h"
#include "signal_interpose.h"
#include "text_patch.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <libunwind.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#define SITE_TABLE_BITS 13
#define SITE_TABLE_SIZE ((size_t)1 << SITE_TABLE_BITS) /* twice TRAP_MAX_SITES: short probes */
#define MAX_SITE_CODES (2 * TRAP_MAX_SITES)
#define MAX_IGNORED_THREADS 16
#define INT3 0xCC

_Static_assert(SITE_TABLE_SIZE >= 2 * TRAP_MAX_SITES, "site table must stay half empty");

enum site_state { SITE_EMPTY, SITE_ARMED, SITE_REDIRECT, SITE_RETIRED, SITE_FAST_EXIT };
#define EFLAGS_TRAP_FLAG 0x100

/* How a site's displaced instruction runs out of line. Immutable once published. */
typedef struct site_code {
    uintptr_t slot;
    uintptr_t return_address; /* pushed for a relocated call */
    relocation_kind kind;
    uint8_t length;
    uint8_t bytes[RELOCATE_MAX_INSN]; /* the original instruction */
} site_code;

/* A table entry. address is written before state first leaves SITE_EMPTY and never changes;
 * retired entries stay so that stray traps at a removed site are recognised. code serves
 * SITE_ARMED, redirect (written before the state is published) SITE_REDIRECT and, with origin
 * (the breakpoint address), SITE_FAST_EXIT, which stays forever. */
typedef struct site {
    uintptr_t address;
    atomic_int state;
    _Atomic(const site_code *) code;
    _Atomic uintptr_t redirect;
    uintptr_t origin;
    unsigned refs; /* agent only, under arm_lock */
} site;

static site sites[SITE_TABLE_SIZE];
static size_t site_count;
static site_code codes[MAX_SITE_CODES];
static size_t code_count;
static atomic_int ignored_tids[MAX_IGNORED_THREADS];
static atomic_int ignored_count;
static _Atomic(trap_hit_fn) hit_handler;
static _Atomic(trap_trace_fn) trace_handler;
static atomic_uint_fast64_t hits;
static pthread_mutex_t arm_lock = PTHREAD_MUTEX_INITIALIZER;
static bool initialized;

/* ---- handler side: no allocation, no locks, no I/O ---------------------------------------- */

PODBUG_HANDLER_TEXT static size_t site_hash(uintptr_t addr)
{
    return (size_t)(((uint64_t)addr * 0x9E3779B97F4A7C15ull) >> (64 - SITE_TABLE_BITS));
}

/* The entry for addr, or the empty entry where it would go (NULL if the table is full). */
PODBUG_HANDLER_TEXT static site *site_slot_for(uintptr_t addr)
{
    size_t h = site_hash(addr);
    for (size_t i = 0; i < SITE_TABLE_SIZE; i++) {
        site *s = &sites[(h + i) & (SITE_TABLE_SIZE - 1)];
        if (atomic_load_explicit(&s->state, memory_order_acquire) == SITE_EMPTY ||
            s->address == addr)
            return s;
    }
    return NULL;
}

PODBUG_HANDLER_TEXT static site *find_site(uintptr_t addr)
{
    site *s = site_slot_for(addr);
    return s && atomic_load_explicit(&s->state, memory_order_acquire) != SITE_EMPTY ? s : NULL;
}

PODBUG_HANDLER_TEXT static bool thread_is_ignored(void)
{
    int count = atomic_load_explicit(&ignored_count, memory_order_acquire);
    if (count == 0)
        return false;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    for (int i = 0; i < count; i++)
        if (atomic_load_explicit(&ignored_tids[i], memory_order_relaxed) == tid)
            return true;
    return false;
}

/* Counts a hit at addr (regs' rip already addr) and runs the hit handler; false when the
 * handler sent the thread elsewhere. */
PODBUG_HANDLER_TEXT static bool run_hit_handler(uintptr_t addr, ucontext_t *uc)
{
    atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
    trap_hit_fn fn = atomic_load_explicit(&hit_handler, memory_order_acquire);
    if (fn && !thread_is_ignored())
        fn(addr, uc);
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] == addr;
}

/* A single-step trap: the step module's (an armed site's int3, or a fast site's jump, comes
 * next: its hit decides), or the program's. A thread that stepped into a trampoline goes to its
 * exit int3 (the hit decides on the trap path); inside a trampoline's relocated instructions
 * the steps pass silently, the trap flag kept, until the pc leaves it. */
PODBUG_HANDLER_TEXT static bool take_trace(ucontext_t *uc)
{
    greg_t *regs = uc->uc_mcontext.gregs;
    uintptr_t pc = (uintptr_t)regs[REG_RIP], exit;
    site *at = find_site(pc);
    bool at_armed_site = at && atomic_load_explicit(&at->state, memory_order_acquire) == SITE_ARMED;
    switch (fast_sites_step_at(pc, &exit)) {
    case FAST_STEP_NONE: break;
    case FAST_STEP_AT_SITE: at_armed_site = true; break;
    case FAST_STEP_ENTERED:
        regs[REG_RIP] = (greg_t)exit;
        at_armed_site = true;
        break;
    case FAST_STEP_INSIDE:
        regs[REG_EFL] |= EFLAGS_TRAP_FLAG;
        return true;
    }
    trap_trace_fn trace = atomic_load_explicit(&trace_handler, memory_order_acquire);
    return trace && trace(uc, at_armed_site);
}

/* Handles an int3 at one of our sites; false when the trap belongs to the program. */
PODBUG_HANDLER_TEXT static bool take_our_trap(const siginfo_t *info, ucontext_t *uc)
{
    greg_t *regs = uc->uc_mcontext.gregs;
    if (info->si_code == TRAP_TRACE) /* a single-step: the step module's, or the program's */
        return take_trace(uc);
    if (info->si_code != SI_KERNEL) /* raise(), kill(), tgkill(): the program's */
        return false;
    uintptr_t addr = (uintptr_t)regs[REG_RIP] - 1; /* int3 reports the next address */
    site *s = find_site(addr);
    if (!s)
        return false;
    regs[REG_RIP] = (greg_t)addr;
    int state = atomic_load_explicit(&s->state, memory_order_acquire);
    if (state == SITE_RETIRED)
        return true; /* stray: fetched the int3 before it went; re-execute the original */
    if (state == SITE_REDIRECT) {
        uintptr_t target = atomic_load_explicit(&s->redirect, memory_order_relaxed), exit;
        /* a single-stepping thread sent to a trampoline skips its evaluation: the exit decides */
        if ((regs[REG_EFL] & EFLAGS_TRAP_FLAG) &&
            fast_sites_step_at(target, &exit) == FAST_STEP_ENTERED)
            target = exit;
        regs[REG_RIP] = (greg_t)target;
        return true;
    }
    if (state == SITE_FAST_EXIT) {
        uintptr_t origin = s->origin;
        regs[REG_RIP] = (greg_t)origin;
        if (run_hit_handler(origin, uc))
            regs[REG_RIP] = (greg_t)atomic_load_explicit(&s->redirect, memory_order_relaxed);
        return true;
    }

    const site_code *code = atomic_load_explicit(&s->code, memory_order_acquire);
    if (!run_hit_handler(addr, uc))
        return true; /* the hit handler sent the thread elsewhere */
    if (code->kind == RELOCATION_CALL) {
        regs[REG_RSP] -= 8;
        *(uint64_t *)regs[REG_RSP] = code->return_address;
    }
    regs[REG_RIP] = (greg_t)code->slot;
    return true;
}

PODBUG_HANDLER_TEXT static void trap_signal_handler(int signo, siginfo_t *info, void *ucontext)
{
    int saved_errno = errno;
    if (!take_our_trap(info, ucontext))
        signal_interpose_chain(signo, info, ucontext);
    errno = saved_errno;
}

/* ---- agent side ------------------------------------------------------------------------- */

int trap_init(char *err, size_t err_len)
{
    pthread_mutex_lock(&arm_lock);
    int rc = 0;
    if (!initialized) {
        text_patch_init();
        sigset_t mask;
        signal_interpose_handler_mask(&mask);
        rc = signal_interpose_claim(SIGTRAP, trap_signal_handler, SA_RESTART, &mask, err, err_len);
        initialized = rc == 0;
    }
    pthread_mutex_unlock(&arm_lock);
    return rc;
}

/* libc functions that the probe's signal handlers call. */
static bool is_handler_libc_function(const char *name)
{
    static const char *const names[] = {"syscall",     "write",       "__write",
                                        "__libc_write", "sched_yield", "sigaction",
                                        "__sigaction",  "__libc_sigaction"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* Refuses addresses whose patching could crash the target: not executable text, or code the
 * SIGTRAP handler itself runs (a trap there, with SIGTRAP blocked, would kill the process). */
static int check_patchable(uintptr_t addr, text_mapping *mapping, char *err, size_t err_len)
{
    if (text_mapping_find(addr, mapping) < 0 || mapping->perms[2] != 'x' ||
        mapping->perms[0] != 'r') {
        snprintf(err, err_len, "address 0x%" PRIxPTR " is not in executable text", addr);
        return -1;
    }
    if (signal_interpose_in_handler_text(addr)) {
        snprintf(err, err_len, "address 0x%" PRIxPTR " is inside the probe's signal handlers",
                 addr);
        return -1;
    }
    Dl_info here, unwinder;
    const ElfW(Sym) *symbol = NULL;
    if (!dladdr1((void *)addr, &here, (void **)&symbol, RTLD_DL_SYMENT))
        return 0;
    if (dladdr((void *)unw_step, &unwinder) && unwinder.dli_fbase == here.dli_fbase) {
        snprintf(err, err_len, "address 0x%" PRIxPTR " is inside libunwind, which the probe's "
                 "signal handler runs", addr);
        return -1;
    }
    if (here.dli_sname && symbol && addr < (uintptr_t)here.dli_saddr + symbol->st_size &&
        is_handler_libc_function(here.dli_sname)) {
        snprintf(err, err_len, "address 0x%" PRIxPTR " is inside '%s', which the probe's signal "
                 "handler calls", addr, here.dli_sname);
        return -1;
    }
    return 0;
}

/* The instruction bytes at addr as the program sees them (other sites' int3 replaced). */
static size_t read_original_bytes(uintptr_t addr, const text_mapping *mapping, uint8_t *out)
{
    size_t len = mapping->end - addr < RELOCATE_MAX_INSN ? mapping->end - addr : RELOCATE_MAX_INSN;
    memcpy(out, (const void *)addr, len);
    for (size_t i = 0; i < len; i++) {
        site *s = find_site(addr + i);
        if (s && atomic_load_explicit(&s->state, memory_order_acquire) == SITE_ARMED)
            out[i] = atomic_load_explicit(&s->code, memory_order_acquire)->bytes[0];
    }
    return len;
}

static bool code_matches(const site_code *code, const uint8_t *bytes, size_t len)
{
    return code && code->length <= len && memcmp(code->bytes, bytes, code->length) == 0;
}

/* Relocates the instruction into a new slot and writes the slot. At a fast site's jump the slot
 * jumps to its trampoline's relocated instructions instead: the trap's hit has evaluated the
 * breakpoints there already. */
static const site_code *build_site_code(uintptr_t addr, const uint8_t *bytes, size_t len,
                                        char *err, size_t err_len)
{
    relocation reloc;
    if (code_count == MAX_SITE_CODES) {
        snprintf(err, err_len, "no room for more breakpoint sites (%d)", MAX_SITE_CODES);
        return NULL;
    }
    uint8_t skip[5];
    uintptr_t relocated;
    const uint8_t *runs = bytes;
    if (fast_sites_relocated_at(addr, &relocated)) {
        int32_t rel = (int32_t)(relocated - (addr + sizeof skip));
        skip[0] = 0xE9; /* jmp rel32, as if at addr */
        memcpy(skip + 1, &rel, sizeof rel);
        runs = skip;
        len = sizeof skip;
    }
    /* refuse unrelocatable instructions before spending a slot on them */
    if (relocate_instruction(runs, len, addr, addr, &reloc, err, err_len) < 0)
        return NULL;
    uintptr_t slot = ool_slot_alloc(addr, err, err_len);
    if (!slot || relocate_instruction(runs, len, addr, slot, &reloc, err, err_len) < 0 ||
        text_patch_write(slot, reloc.code, reloc.code_len, err, err_len) < 0)
        return NULL;
    site_code *code = &codes[code_count++];
    code->slot = slot;
    code->return_address = reloc.return_address;
    code->kind = reloc.kind;
    code->length = (uint8_t)reloc.insn_len;
    memcpy(code->bytes, bytes, reloc.insn_len);
    return code;
}

/* The table entry for a site at addr, its current state in *state; NULL with err when traps
 * are not initialised or the table is full. */
static site *entry_for_site(uintptr_t addr, int *state, char *err, size_t err_len)
{
    if (!initialized) {
        snprintf(err, err_len, "breakpoints are not initialised (trap_init was not called)");
        return NULL;
    }
    site *s = site_slot_for(addr);
    *state = s ? atomic_load(&s->state) : SITE_EMPTY;
    if (!s || (*state == SITE_EMPTY && site_count == TRAP_MAX_SITES)) {
        snprintf(err, err_len, "too many breakpoint sites (%d)", TRAP_MAX_SITES);
        return NULL;
    }
    return s;
}

/* Takes an empty entry for addr (a retired one keeps its address). */
static void claim_entry(site *s, uintptr_t addr, int state)
{
    if (state == SITE_EMPTY) {
        s->address = addr;
        site_count++;
    }
}

typedef int (*text_writer)(uintptr_t addr, const void *bytes, size_t len, char *err,
                           size_t err_len);

/* Writes the int3 of a published site; if that fails the site is retired. */
static int write_int3(site *s, text_writer write, char *err, size_t err_len)
{
    static const uint8_t int3 = INT3;
    if (write(s->address, &int3, 1, err, err_len) < 0) {
        atomic_store_explicit(&s->state, SITE_RETIRED, memory_order_release);
        return -1;
    }
    return 0;
}

static int arm_locked(uintptr_t addr, char *err, size_t err_len)
{
    int state;
    site *s = entry_for_site(addr, &state, err, err_len);
    if (!s)
        return -1;
    if (state == SITE_ARMED) {
        s->refs++;
        return 0;
    }
    if (state == SITE_REDIRECT) {
        snprintf(err, err_len, "address 0x%" PRIxPTR " is being redirected to reloaded code",
                 addr);
        return -1;
    }
    text_mapping mapping;
    uint8_t bytes[RELOCATE_MAX_INSN];
    if (check_patchable(addr, &mapping, err, err_len) < 0)
        return -1;
    size_t len = read_original_bytes(addr, &mapping, bytes);
    const site_code *code = state == SITE_RETIRED ? atomic_load(&s->code) : NULL;
    if (!code_matches(code, bytes, len))
        code = build_site_code(addr, bytes, len, err, err_len);
    if (!code)
        return -1;

    claim_entry(s, addr, state);
    atomic_store_explicit(&s->code, code, memory_order_release);
    atomic_store_explicit(&s->state, SITE_ARMED, memory_order_release);
    if (write_int3(s, text_patch_write, err, err_len) < 0)
        return -1;
    s->refs = 1;
    return 0;
}

int trap_arm(uintptr_t addr, char *err, size_t err_len)
{
    pthread_mutex_lock(&arm_lock);
    int rc = arm_locked(addr, err, err_len);
    pthread_mutex_unlock(&arm_lock);
    return rc;
}

static int arm_redirect_locked(uintptr_t addr, uintptr_t target, char *err, size_t err_len)
{
    int state;
    site *s = entry_for_site(addr, &state, err, err_len);
    if (!s)
        return -1;
    if (state == SITE_ARMED || state == SITE_REDIRECT) {
        snprintf(err, err_len, "a %s is armed at 0x%" PRIxPTR,
                 state == SITE_ARMED ? "breakpoint" : "redirect", addr);
        return -1;
    }
    text_mapping mapping;
    if (check_patchable(addr, &mapping, err, err_len) < 0)
        return -1;
    claim_entry(s, addr, state);
    atomic_store_explicit(&s->redirect, target, memory_order_relaxed);
    atomic_store_explicit(&s->state, SITE_REDIRECT, memory_order_release);
    return write_int3(s, text_patch_write_unsynced, err, err_len);
}

int trap_arm_redirect(uintptr_t addr, uintptr_t target, char *err, size_t err_len)
{
    pthread_mutex_lock(&arm_lock);
    int rc = arm_redirect_locked(addr, target, err, err_len);
    pthread_mutex_unlock(&arm_lock);
    return rc;
}

static int register_fast_exit_locked(uintptr_t exit, uintptr_t addr, uintptr_t resume,
                                     char *err, size_t err_len)
{
    int state;
    site *s = entry_for_site(exit, &state, err, err_len);
    if (!s)
        return -1;
    if (state == SITE_FAST_EXIT && s->origin == addr &&
        atomic_load_explicit(&s->redirect, memory_order_relaxed) == resume)
        return 0;
    if (state != SITE_EMPTY) {
        snprintf(err, err_len, "the trampoline exit 0x%" PRIxPTR " is in use", exit);
        return -1;
    }
    claim_entry(s, exit, state);
    s->origin = addr;
    atomic_store_explicit(&s->redirect, resume, memory_order_relaxed);
    atomic_store_explicit(&s->state, SITE_FAST_EXIT, memory_order_release);
    return 0;
}

int trap_register_fast_exit(uintptr_t exit, uintptr_t addr, uintptr_t resume, char *err,
                            size_t err_len)
{
    pthread_mutex_lock(&arm_lock);
    int rc = register_fast_exit_locked(exit, addr, resume, err, err_len);
    pthread_mutex_unlock(&arm_lock);
    return rc;
}

void trap_retire_redirect(uintptr_t addr)
{
    pthread_mutex_lock(&arm_lock);
    site *s = find_site(addr);
    if (s && atomic_load(&s->state) == SITE_REDIRECT)
        atomic_store_explicit(&s->state, SITE_RETIRED, memory_order_release);
    pthread_mutex_unlock(&arm_lock);
}

/* Restores the original byte, then retires the entry (traps in flight still find it). */
static int restore_site(site *s)
{
    char err[128];
    const site_code *code = atomic_load(&s->code);
    if (text_patch_write(s->address, code->bytes, 1, err, sizeof err) < 0)
        return -1;
    atomic_store_explicit(&s->state, SITE_RETIRED, memory_order_release);
    s->refs = 0;
    return 0;
}

int trap_disarm(uintptr_t addr)
{
    pthread_mutex_lock(&arm_lock);
    site *s = find_site(addr);
    int rc = -1;
    if (s && atomic_load(&s->state) == SITE_ARMED) {
        if (s->refs > 1) {
            s->refs--;
            rc = 0;
        } else {
            rc = restore_site(s);
        }
    }
    pthread_mutex_unlock(&arm_lock);
    return rc;
}

void trap_disarm_all(void)
{
    pthread_mutex_lock(&arm_lock);
    for (size_t i = 0; i < SITE_TABLE_SIZE; i++)
        if (atomic_load(&sites[i].state) == SITE_ARMED)
            restore_site(&sites[i]);
    pthread_mutex_unlock(&arm_lock);
}

bool trap_is_armed(uintptr_t addr)
{
    site *s = find_site(addr);
    return s && atomic_load(&s->state) == SITE_ARMED;
}

int trap_original_byte(uintptr_t addr, uint8_t *out)
{
    site *s = find_site(addr);
    if (s && atomic_load(&s->state) == SITE_ARMED) {
        *out = atomic_load(&s->code)->bytes[0];
        return 0;
    }
    /* a bad address is an error, never a fault */
    struct iovec local = {out, 1}, remote = {(void *)addr, 1};
    return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == 1 ? 0 : -1;
}

void trap_set_hit_handler(trap_hit_fn fn)
{
    atomic_store_explicit(&hit_handler, fn, memory_order_release);
}

void trap_set_trace_handler(trap_trace_fn fn)
{
    atomic_store_explicit(&trace_handler, fn, memory_order_release);
}

void trap_ignore_thread(pid_t tid)
{
    pthread_mutex_lock(&arm_lock);
    int count = atomic_load(&ignored_count);
    bool known = false;
    for (int i = 0; i < count; i++)
        known |= atomic_load(&ignored_tids[i]) == tid;
    if (!known && count < MAX_IGNORED_THREADS) {
        atomic_store_explicit(&ignored_tids[count], tid, memory_order_relaxed);
        atomic_store_explicit(&ignored_count, count + 1, memory_order_release);
    }
    pthread_mutex_unlock(&arm_lock);
}

uint64_t trap_hit_count(void)
{
    return atomic_load_explicit(&hits, memory_order_relaxed);
}
