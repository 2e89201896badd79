/* Executable slots for out-of-line execution, allocated in pages placed within reach (rel32)
 * of the code they serve. Slots are never freed: a thread may still be running one. */
#ifndef PODBUG_OOL_SLOTS_H
#define PODBUG_OOL_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OOL_SLOT_SIZE 64
/* Largest distance between a slot and the address it is allocated near. */
#define OOL_SLOT_REACH ((uintptr_t)1 << 30)

/* Returns the address of a fresh OOL_SLOT_SIZE-byte slot (read+execute, filled with int3)
 * within OOL_SLOT_REACH of near, reusing a page already there or mapping a new one with
 * MAP_FIXED_NOREPLACE while searching outward from near. Write it with text_patch_write.
 * Returns 0 with err when no address in reach is free. Agent thread. */
uintptr_t ool_slot_alloc(uintptr_t near, char *err, size_t err_len);

/* The same for a block of size bytes (consecutive slots in one page, at most a page): a fast
 * breakpoint's trampoline. Returns 0 with err. Agent thread. */
uintptr_t ool_block_alloc(uintptr_t near, size_t size, char *err, size_t err_len);

/* True when addr lies in a slot page (a thread there runs a displaced instruction). Agent. */
bool ool_slot_contains(uintptr_t addr);

#endif
