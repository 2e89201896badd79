/* Changing a few bytes of live code (function entries for hot reload, fast breakpoint jumps) the
 * text_poke_bp way: int3 first, the tail once no thread is inside the old bytes, the first byte. */
#ifndef PODBUG_CODE_SWAP_H
#define PODBUG_CODE_SWAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CODE_SWAP_MIN 5  /* a jmp rel32 */
#define CODE_SWAP_MAX 20 /* whole instructions covering 5 bytes: at most 4 + 15 */

/* One change: length bytes at address go from before (what is there now) to after. */
typedef struct code_swap {
    char name[80];          /* what the bytes are, for messages: "'handle' entry" */
    uintptr_t address;
    size_t length;          /* CODE_SWAP_MIN .. CODE_SWAP_MAX */
    uint8_t before[CODE_SWAP_MAX], after[CODE_SWAP_MAX];
    bool before_runs;       /* before is instructions a thread may be inside (not a jump) */
    uintptr_t trap_target;  /* where a thread reaching the int3 meanwhile goes */
    bool armed;             /* internal: its redirect int3 is in place */
    bool done;              /* out: after is in place */
} code_swap;

/* Applies every swap together:
 * 1. a redirect int3 at each address (trap_arm_redirect to trap_target: a thread reaching it goes
 *    there, no hit is reported), cores serialised;
 * 2. when some before_runs, waits until no thread's pc is inside bytes 1.. of such a swap (running
 *    threads are sampled with a signal, sleeping ones read from /proc, threads parked by the
 *    stopper by their resume pc: one parked inside fails at once), nor, with avoid_slots, in an
 *    out-of-line slot, at most timeout_ms;
 * 3. writes bytes 1.. of every swap, serialises, then byte 0, serialises, retires the redirects.
 * On failure every swap whose first byte was not written keeps its before bytes and err says why
 * (which thread stays where). Returns 0 or -1. Agent thread. */
int code_swap_apply(code_swap *swaps, size_t n, bool avoid_slots, int timeout_ms, char *err,
                    size_t err_len);

#endif
