/* Breakpoint sites: int3 patched into live text, the displaced instruction executed out of line,
 * and the SIGTRAP handler that recognises our traps and chains the others to the program. */
#ifndef PODBUG_TRAP_H
#define PODBUG_TRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TRAP_MAX_SITES 4096

/* Installs the SIGTRAP handler (kept first even if the program installs its own later, via
 * the sigaction/signal interposition in this module), registers membarrier. Idempotent.
 * Returns 0, or -1 with err filled. */
int trap_init(char *err, size_t err_len);

/* Arms a breakpoint site at addr (the first byte of an instruction). Reference-counted: arming
 * an armed address only increments the count. Decodes and relocates the instruction into an
 * out-of-line slot within +-2 GiB, then writes int3. Returns 0, or -1 with err filled (e.g.
 * "cannot relocate 'loop' at 0x...", "address 0x... is not in executable text"). Agent thread. */
int trap_arm(uintptr_t addr, char *err, size_t err_len);
/* Arms a redirect at addr (a function entry being swapped by hot reload): an int3 whose hits
 * send the thread to target, counting no hit and calling no hit handler. The int3 is written
 * without serialising cores (many entries share one text_patch_sync, which the caller makes
 * before relying on it). Refused where a breakpoint site or another redirect is armed, and where
 * trap_arm would refuse (not executable text, the probe's own handlers). Returns 0, or -1 with
 * err. Agent thread. */
int trap_arm_redirect(uintptr_t addr, uintptr_t target, char *err, size_t err_len);
/* Retires the redirect at addr WITHOUT writing addr: the caller has already written and
 * serialised the final byte there, so a stray trap re-executes addr and runs that. Agent. */
void trap_retire_redirect(uintptr_t addr);

/* Registers the int3 at exit (the last byte of a fast site's trampoline slow exit) as a hit at
 * the breakpoint address addr: its trap sets rip = addr, runs the hit handler exactly as an int3
 * at addr would, then (rip still addr) continues at resume, the trampoline's relocated
 * instructions. Kept forever, like the trampoline. Returns 0, or -1 with err. Agent thread. */
int trap_register_fast_exit(uintptr_t exit, uintptr_t addr, uintptr_t resume, char *err,
                            size_t err_len);

/* Drops one reference; at zero restores the original byte. Stray traps at a removed site are
 * recognised and re-executed. Returns 0, or -1 if addr was not armed. Agent thread. */
int trap_disarm(uintptr_t addr);
/* Restores every armed site (disconnect / unload). Agent thread. */
void trap_disarm_all(void);
/* True when addr is armed now. */
bool trap_is_armed(uintptr_t addr);
/* The byte at addr as the program sees it (the original byte under our int3). */
int trap_original_byte(uintptr_t addr, uint8_t *out);

/* Called in the hitting thread, inside the SIGTRAP handler, with the site's address and the
 * signal's ucontext whose pc has already been rewound to addr. Installed by the stop module.
 * Must be async-signal-safe. May block (parking the thread) before returning. */
typedef void (*trap_hit_fn)(uintptr_t addr, void *ucontext);
void trap_set_hit_handler(trap_hit_fn fn);

/* Called inside the SIGTRAP handler for a single-step trap (TRAP_TRACE: the trap flag was set),
 * with the ucontext and whether an armed site's int3 (or a fast site's jump, or a trampoline's
 * exit int3, where the pc was moved) is the next instruction. Returns true when
 * the trap was the step module's; false chains it to the program. Must be async-signal-safe. */
typedef bool (*trap_trace_fn)(void *ucontext, bool at_armed_site);
void trap_set_trace_handler(trap_trace_fn fn);

/* Threads that never report hits (the agent thread): their traps only execute out of line. */
void trap_ignore_thread(pid_t tid);

/* Total hits taken on our sites since start (for the bench and /metrics). */
uint64_t trap_hit_count(void);

#endif
