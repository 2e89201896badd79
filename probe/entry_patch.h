/* Redirecting function entries in live code: a 5-byte jump written int3 first, finished only when
 * no thread is inside the replaced bytes, and restored to the exact original bytes. */
#ifndef PODBUG_ENTRY_PATCH_H
#define PODBUG_ENTRY_PATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENTRY_PATCH_SIZE 5 /* jmp rel32 */

/* One function entry we may redirect. Set address and original with entry_patch_prepare; target
 * is where it jumps now (0: not redirected, the original bytes are in place). */
typedef struct entry_patch {
    char name[64]; /* the function's name as given to prepare (cut to fit), for messages */
    uintptr_t address;
    uint8_t original[ENTRY_PATCH_SIZE]; /* the program's bytes (never our int3) */
    uintptr_t target;
    uintptr_t far_slot; /* an out-of-line absolute jump to target when it is beyond rel32; 0 */
} entry_patch;

/* Whether the entry of function `name` at [start, start + size) can take a 5-byte jump: its
 * bytes up to limit (the next symbol: alignment padding counts) cover 5 bytes, every instruction
 * of [start, start + size) decodes, and no relative branch in it targets start + 1 .. start + 4.
 * Fills p (address, original bytes read as the program sees them: under a breakpoint's int3, the
 * original byte) with target 0. Returns 0, or -1 with err naming the function and the reason
 * ("cannot redirect 'loop_head': the jump at 0x7f..12 targets its first 5 bytes"). Agent. */
int entry_patch_prepare(entry_patch *p, const char *name, uintptr_t start, size_t size, uintptr_t limit,
                        char *err, size_t err_len);

/* Moves every patches[i] to targets[i] (0: back to the original bytes), all together:
 * 1. an int3 at each entry that changes (a thread reaching it continues at the new target, or,
 *    when restoring, at the target it had until now, since the original bytes are not whole
 *    yet; no hit is reported), cores serialised;
 * 2. waits until no thread's pc is inside the 5 bytes of an entry still holding original code
 *    (threads are sampled with a signal; a thread in interruptible sleep is known to be in a
 *    system call and is not disturbed), nor in an out-of-line slot, at most timeout_ms;
 * 3. writes bytes 1..4, serialises, then byte 0, serialises.
 * A breakpoint armed inside a range is refused before anything is written. On failure (timeout,
 * no slot in reach) every entry keeps what it had and err says why. Returns 0 or -1. Agent. */
int entry_patch_set_all(entry_patch *patches, const uintptr_t *targets, size_t n, int timeout_ms,
                        char *err, size_t err_len);

/* True when addr lies inside the 5 bytes of a redirected entry (no breakpoint may go there). */
bool entry_patch_covers(const entry_patch *patches, size_t n, uintptr_t addr);

#endif
