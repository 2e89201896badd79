/* Reading and writing the own process's memory without ever faulting: a bad pointer is an
 * error return, never a SIGSEGV. process_vm_readv/writev on the own pid; signal-handler safe.
 * A tool outside the target (podbug stacks) points the same reads at another process. */
#ifndef PODBUG_SAFE_MEM_H
#define PODBUG_SAFE_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Copies len bytes at addr into buf. Returns 0, or -1 when any byte cannot be read
 * (unmapped, no access, kernel address, or a read that runs into an unmapped page). */
int safe_mem_read(uintptr_t addr, void *buf, size_t len);
/* Reads up to max bytes, stopping at the first unreadable page. Returns the bytes read. */
size_t safe_mem_read_upto(uintptr_t addr, void *buf, size_t max);
/* Writes len bytes at addr (data, not text). Returns 0, or -1 when not all were written. */
int safe_mem_write(uintptr_t addr, const void *buf, size_t len);

/* Makes every read and write of this process go to process pid instead (0: the own process
 * again). For tools that inspect another process (reading it needs ptrace permission); never
 * called in the probe. Not thread-safe: call it before any read. */
void safe_mem_set_process(pid_t pid);

/* Makes the calling thread's safe_mem_read / safe_mem_read_upto of the own process use
 * guarded_copy (plain loads, nanoseconds) instead of process_vm_readv (a microsecond) while on,
 * once guarded_copy_init has run (before that, and for another process, process_vm_readv stays).
 * Same results: all-or-nothing, upto stops at the first unreadable byte; an image in use still
 * comes first; writes unchanged. Per thread (initial-exec TLS), handler-safe. */
void safe_mem_use_guarded_reads(bool on);

/* A copy of parts of the process's memory (a snapshot) that reads can be served from. */
typedef struct mem_region {
    uint64_t address;   /* where the bytes were in the process */
    uint32_t offset;    /* where they are in data */
    uint32_t len;
} mem_region;

typedef struct mem_image {
    const uint8_t *data;
    const mem_region *regions;
    size_t n_regions;
    bool fall_through;  /* true: a read the regions do not hold reads the process (while
                         * capturing); false: it fails (inspecting a snapshot later) */
} mem_image;

/* Makes the calling thread's safe_mem_read / safe_mem_read_upto go through image first (NULL:
 * the process's memory again): a read whose bytes the regions hold (one region, or regions that
 * continue one another; overlaps allowed) is copied from data. safe_mem_read_upto takes the
 * longest prefix the regions hold, then a fall-through image reads on from the process and any
 * other stops there. safe_mem_write always fails while an image is in use. Per thread
 * (initial-exec TLS), handler-safe; the image must stay valid while in use. */
void safe_mem_use_image(const mem_image *image);
/* True when a read of the calling thread was refused, or a safe_mem_read_upto stopped short of
 * max, since the last call because its bytes were not in a non-fall-through image ("not
 * captured" rather than "cannot read"); clears it. */
bool safe_mem_image_missed(void);
/* True when image's regions hold every byte of [addr, addr + len) (one region, or regions that
 * continue one another). Handler-safe. */
bool mem_image_holds(const mem_image *image, uintptr_t addr, size_t len);

#endif
