/* Fast breakpoint sites (see fast_sites.h): the site records (published once, read lock-free by
 * handlers), trampolines written into out-of-line blocks near the code, the jump patched in and
 * out with code_swap, the fallback to trap sites and its reasons.
 *
 * A record is never freed: its trampoline may still run. Arming an address again reuses its
 * record while the replaced instructions are the same. `patched` is raised before the first
 * byte changes and lowered once the program's bytes are back, so that views of the program's
 * bytes and checks of overlapping patches see the site during both swaps.
 *
 * An address inside the bytes a fast site replaced cannot take an int3 or a jump: arming it
 * turns that fast site into a trap site first (demotion: its references move to trap_arm). */
#include "fast_sites.h"

#include "code_swap.h"
#include "fast_entry.h"
#include "fast_readers.h"
#include "guarded_copy.h"
#include "ool_slots.h"
#include "signal_interpose.h"
#include "site_safety.h"
#include "text_patch.h"
#include "trampoline.h"
#include "trap.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define FAST_MAX_SITES 1024
#define PATCH_TIMEOUT_MS 1000
#define JMP_REL32 0xE9
#define INT3 0xCC

_Static_assert(SITE_MAX_REPLACED <= CODE_SWAP_MAX, "a code swap holds a site's replaced bytes");

typedef struct fast_site {
    fast_entry_site entry;      /* immutable once published; the trampoline passes its address */
    site_range range;
    trampoline_layout layout;
    atomic_bool patched;        /* the program's bytes hold (or are becoming) our jump */
    unsigned refs;              /* agent, under lock */
} fast_site;

static fast_site sites[FAST_MAX_SITES];
static atomic_size_t published; /* sites[0, published) are complete */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool allowed = true;

/* ---- handler side: no allocation, no locks ---------------------------------------------- */

PODBUG_HANDLER_TEXT static size_t site_total(void)
{
    return atomic_load_explicit(&published, memory_order_acquire);
}

PODBUG_HANDLER_TEXT static bool in_trampoline(const fast_site *s, uintptr_t pc)
{
    return pc >= s->layout.entry && pc < s->layout.end;
}

PODBUG_HANDLER_TEXT fast_step fast_sites_step_at(uintptr_t pc, uintptr_t *exit)
{
    size_t n = site_total();
    for (size_t i = 0; i < n; i++) {
        const fast_site *s = &sites[i];
        if (pc == s->range.address && atomic_load_explicit(&s->patched, memory_order_acquire))
            return FAST_STEP_AT_SITE;
        if (pc == s->layout.entry) {
            *exit = s->layout.exit_int3;
            return FAST_STEP_ENTERED;
        }
        if (in_trampoline(s, pc))
            return FAST_STEP_INSIDE;
    }
    return FAST_STEP_NONE;
}

PODBUG_HANDLER_TEXT bool fast_sites_in_trampoline(uintptr_t addr)
{
    size_t n = site_total();
    for (size_t i = 0; i < n; i++)
        if (in_trampoline(&sites[i], addr))
            return true;
    return false;
}

/* The C entry's own code and what it calls in the probe are handler text (outside a signal
 * handler, only a trampoline's call runs there); what it calls elsewhere (libunwind, the vdso)
 * counts through fast_entry_busy. */
PODBUG_HANDLER_TEXT bool fast_sites_thread_inside(uintptr_t pc)
{
    return fast_entry_busy() || signal_interpose_in_handler_text(pc) ||
           fast_sites_in_trampoline(pc);
}

/* ---- lookups (agent) -------------------------------------------------------------------- */

static bool is_patched(const fast_site *s)
{
    return atomic_load_explicit(&s->patched, memory_order_acquire);
}

/* The patched site at addr, or NULL. */
static fast_site *patched_at(uintptr_t addr)
{
    size_t n = site_total();
    for (size_t i = 0; i < n; i++)
        if (sites[i].range.address == addr && is_patched(&sites[i]))
            return &sites[i];
    return NULL;
}

/* The patched site whose replaced bytes meet [start, start + len), or NULL. */
static fast_site *patched_meeting(uintptr_t start, size_t len)
{
    size_t n = site_total();
    for (size_t i = 0; i < n; i++) {
        fast_site *s = &sites[i];
        if (is_patched(s) && start < s->range.address + s->range.length &&
            s->range.address < start + len)
            return s;
    }
    return NULL;
}

bool fast_sites_cover(uintptr_t addr)
{
    const fast_site *s = patched_meeting(addr, 1);
    return s && addr != s->range.address;
}

bool fast_sites_overlap(uintptr_t start, size_t len)
{
    return patched_meeting(start, len) != NULL;
}

int fast_sites_original_byte(uintptr_t addr, uint8_t *out)
{
    const fast_site *s = patched_meeting(addr, 1);
    if (!s)
        return trap_original_byte(addr, out);
    *out = s->range.original[addr - s->range.address];
    return 0;
}

void fast_sites_original_view(uintptr_t addr, uint8_t *buf, size_t len)
{
    size_t n = site_total();
    for (size_t i = 0; i < n; i++) {
        const fast_site *s = &sites[i];
        if (!is_patched(s))
            continue;
        for (size_t k = 0; k < s->range.length; k++) {
            uintptr_t at = s->range.address + k;
            if (at >= addr && at - addr < len)
                buf[at - addr] = s->range.original[k];
        }
    }
}

bool fast_sites_relocated_at(uintptr_t addr, uintptr_t *relocated)
{
    const fast_site *s = patched_at(addr);
    if (s)
        *relocated = s->layout.relocated;
    return s != NULL;
}

uint64_t fast_sites_hit_count(void)
{
    return fast_entry_hits();
}

void fast_sites_allow(bool on)
{
    atomic_store(&allowed, on);
}

/* ---- records and trampolines (agent, under lock) ---------------------------------------- */

static bool same_range(const site_range *a, const site_range *b)
{
    return a->address == b->address && a->length == b->length &&
           memcmp(a->original, b->original, a->length) == 0;
}

/* A record for range whose trampoline is written: an earlier one with the same instructions,
 * or a new one. NULL with why. */
static fast_site *site_for(sym_index *symbols, const site_range *range, char *why, size_t why_len)
{
    size_t n = site_total();
    for (size_t i = n; i-- > 0;)
        if (same_range(&sites[i].range, range))
            return &sites[i];
    if (n == FAST_MAX_SITES) {
        snprintf(why, why_len, "no room for more fast breakpoint sites (%d)", FAST_MAX_SITES);
        return NULL;
    }
    fast_site *s = &sites[n];
    uintptr_t block = ool_block_alloc(range->address, TRAMPOLINE_MAX_SIZE, why, why_len);
    if (!block)
        return NULL;
    s->range = *range;
    s->entry = (fast_entry_site){.address = range->address};
    char ignored[160];
    s->entry.has_cfa_rule = cfa_rule_at(symbols, range->address, &s->entry.cfa, ignored,
                                        sizeof ignored) == 0;
    uint8_t code[TRAMPOLINE_MAX_SIZE];
    size_t len = trampoline_build(range, block, fast_entry, &s->entry, code, &s->layout, why,
                                  why_len);
    if (len == 0 || text_patch_write(block, code, len, why, why_len) < 0 ||
        trap_register_fast_exit(s->layout.exit_int3, range->address, s->layout.relocated, why,
                                why_len) < 0)
        return NULL; /* the block stays unused, like any slot */
    s->entry.resume = s->layout.resume;
    s->entry.slow_exit = s->layout.slow_exit;
    atomic_store_explicit(&s->patched, false, memory_order_relaxed);
    s->refs = 0;
    atomic_store_explicit(&published, n + 1, memory_order_release);
    return s;
}

/* The swap that puts the jump in (on) or the program's bytes back. */
static void plan_swap(const fast_site *s, bool on, code_swap *sw)
{
    uint8_t jump[CODE_SWAP_MAX];
    int32_t rel = (int32_t)(s->layout.entry - (s->range.address + SITE_JUMP_SIZE));
    jump[0] = JMP_REL32;
    memcpy(jump + 1, &rel, sizeof rel);
    memset(jump + SITE_JUMP_SIZE, INT3, s->range.length - SITE_JUMP_SIZE);
    *sw = (code_swap){.address = s->range.address, .length = s->range.length,
                      .before_runs = on, .trap_target = s->layout.entry};
    snprintf(sw->name, sizeof sw->name, "the breakpoint at 0x%" PRIxPTR "'s replaced",
             s->range.address);
    memcpy(sw->before, on ? s->range.original : jump, s->range.length);
    memcpy(sw->after, on ? jump : s->range.original, s->range.length);
}

static int patch(fast_site *s, bool on, char *err, size_t err_len)
{
    code_swap sw;
    plan_swap(s, on, &sw);
    if (on)
        atomic_store_explicit(&s->patched, true, memory_order_release);
    int rc = code_swap_apply(&sw, 1, false, PATCH_TIMEOUT_MS, err, err_len);
    atomic_store_explicit(&s->patched, on == sw.done, memory_order_release);
    return rc;
}

/* Turns a patched site into a trap site with the same references (something must go inside
 * its replaced bytes). Returns 0, or -1 with err (it stays as it was). */
static int demote(fast_site *s, char *err, size_t err_len)
{
    unsigned refs = s->refs;
    if (patch(s, false, err, err_len) < 0)
        return -1;
    s->refs = 0;
    for (unsigned i = 0; i < refs; i++)
        if (trap_arm(s->range.address, err, err_len) < 0)
            return -1;
    return 0;
}

/* Arms addr with a jump; -1 with why when it must take the trap path. */
static int arm_fast(sym_index *symbols, uintptr_t addr, char *why, size_t why_len)
{
    site_range range;
    if (site_safety_check(symbols, addr, &range, why, why_len) < 0)
        return -1;
    const fast_site *other = patched_meeting(range.address, range.length);
    if (other) {
        snprintf(why, why_len, "its replaced bytes meet those of the fast breakpoint at 0x%"
                 PRIxPTR, other->range.address);
        return -1;
    }
    char ignored[160];
    guarded_copy_init(ignored, sizeof ignored); /* without it conditions read with system calls */
    fast_readers_init();                        /* without it sections use locked counters */
    fast_site *s = site_for(symbols, &range, why, why_len);
    if (!s || patch(s, true, why, why_len) < 0)
        return -1;
    s->refs = 1;
    return 0;
}

/* Restores the sites left patched without references (their restore failed: an internal trap
 * site of a step stood at the address). */
static void restore_unreferenced(void)
{
    size_t n = site_total();
    for (size_t i = 0; i < n; i++)
        if (is_patched(&sites[i]) && sites[i].refs == 0 && !trap_is_armed(sites[i].range.address)) {
            char ignored[256];
            patch(&sites[i], false, ignored, sizeof ignored);
        }
}

static int arm_locked(sym_index *symbols, uintptr_t addr, bool want_fast, site_path *path,
                      char *why, size_t why_len, char *err, size_t err_len)
{
    restore_unreferenced();
    fast_site *s = patched_at(addr);
    if (s) {
        s->refs++;
        *path = SITE_PATH_FAST;
        return 0;
    }
    fast_site *around = patched_meeting(addr, 1);
    if (around && demote(around, err, err_len) < 0)
        return -1;
    *path = SITE_PATH_TRAP;
    if (want_fast && !trap_is_armed(addr)) {
        if (!atomic_load(&allowed))
            snprintf(why, why_len, "PODBUG_BREAKPOINTS=trap forces traps in this process");
        else if (arm_fast(symbols, addr, why, why_len) == 0) {
            *path = SITE_PATH_FAST;
            return 0;
        }
    } else if (want_fast) {
        snprintf(why, why_len, "a trap site is armed there already");
    }
    return trap_arm(addr, err, err_len);
}

int breakpoint_site_arm(sym_index *symbols, uintptr_t addr, bool want_fast, site_path *path,
                        char *why, size_t why_len, char *err, size_t err_len)
{
    if (trap_init(err, err_len) < 0)
        return -1;
    if (why_len)
        why[0] = '\0';
    pthread_mutex_lock(&lock);
    int rc = arm_locked(symbols, addr, want_fast, path, why, why_len, err, err_len);
    pthread_mutex_unlock(&lock);
    return rc;
}

int breakpoint_site_disarm(uintptr_t addr)
{
    pthread_mutex_lock(&lock);
    restore_unreferenced();
    fast_site *s = patched_at(addr);
    int rc;
    if (!s) {
        rc = trap_disarm(addr);
    } else if (s->refs == 0) {
        rc = -1;
    } else if (--s->refs > 0) {
        rc = 0;
    } else {
        char ignored[256];
        /* a site that cannot be restored now keeps its jump (its trampoline finds no breakpoint)
         * until a later call restores it */
        patch(s, false, ignored, sizeof ignored);
        rc = 0;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

void breakpoint_site_disarm_all(void)
{
    pthread_mutex_lock(&lock);
    size_t n = site_total();
    for (size_t i = 0; i < n; i++)
        if (is_patched(&sites[i])) {
            char ignored[256];
            sites[i].refs = 0;
            patch(&sites[i], false, ignored, sizeof ignored);
        }
    pthread_mutex_unlock(&lock);
    trap_disarm_all();
}
