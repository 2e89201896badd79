/* Reads and writes of the own process's memory that can never fault: process_vm_readv/writev
 * on getpid() (or on the process a tool set), all-or-nothing, async-signal-safe (no allocation,
 * no locks, errno preserved); and the per-thread memory image (a snapshot's copy) that reads can
 * be served from instead.
 *
 * Image semantics. With an image in use, a read whose bytes the image's regions hold (one
 * region, or several that continue one another) is a memcpy from the copy. Otherwise a
 * fall-through image reads the process, and any other image refuses the read and raises the
 * thread's "missed" flag. safe_mem_read_upto serves the longest prefix the regions hold; past it
 * a fall-through image reads on from the process, any other image stops there (raising "missed"
 * when it stopped short of max). Writes fail while an image is in use.
 *
 * Guarded reads. A thread that switched them on reads the own process with guarded_copy (plain
 * loads whose faults the probe's handler recovers) instead of process_vm_readv, once
 * guarded_copy_init has run; the results are the same, an image still comes first. */
#include "safe_mem.h"
#include "guarded_copy.h"
#include "signal_interpose.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* x86-64 pages are 4 KiB; a larger page size would only make chunks finer than needed. */
#define SAFE_MEM_PAGE 4096u

/* Initial-exec TLS: no allocation and no lock on first access, so the handler may touch it. */
static __thread __attribute__((tls_model("initial-exec"))) const mem_image *image_in_use;
static __thread __attribute__((tls_model("initial-exec"))) bool image_missed;
static __thread __attribute__((tls_model("initial-exec"))) bool guarded_reads;
/* The process read and written; 0: the own one. */
static pid_t other_process;

/* One process_vm_readv/writev call: the bytes transferred (a transfer that runs into an unmapped
 * page stops short without an error; an error transfers none). */
PODBUG_HANDLER_TEXT static size_t transfer(uintptr_t addr, void *buf, size_t len, bool write)
{
    if (len == 0)
        return 0;
    int saved_errno = errno;
    struct iovec local = {.iov_base = buf, .iov_len = len};
    struct iovec remote = {.iov_base = (void *)addr, .iov_len = len};
    pid_t pid = other_process ? other_process : getpid();
    ssize_t done = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
                         : process_vm_readv(pid, &local, 1, &remote, 1, 0);
    errno = saved_errno;
    return done > 0 ? (size_t)done : 0;
}

PODBUG_HANDLER_TEXT static bool transfer_all(uintptr_t addr, void *buf, size_t len, bool write)
{
    return transfer(addr, buf, len, write) == len;
}

/* True when this thread's reads of the process go through guarded_copy. */
PODBUG_HANDLER_TEXT static bool reads_guarded(void)
{
    return guarded_reads && !other_process && guarded_copy_ready();
}

PODBUG_HANDLER_TEXT static bool process_read(uintptr_t addr, void *buf, size_t len)
{
    if (reads_guarded())
        return guarded_copy(buf, addr, len) == len;
    return transfer_all(addr, buf, len, false);
}

/* The process's memory up to the first unreadable byte (guarded) or page: one call for the whole
 * range (it stops short where a page cannot be read), then page by page from wherever it
 * stopped. */
PODBUG_HANDLER_TEXT static size_t process_read_upto(uintptr_t addr, void *buf, size_t max)
{
    if (reads_guarded())
        return guarded_copy(buf, addr, max);
    size_t done = transfer(addr, buf, max, false);
    while (done < max) {
        uintptr_t at = addr + done;
        size_t chunk = SAFE_MEM_PAGE - (at % SAFE_MEM_PAGE);
        if (chunk > max - done)
            chunk = max - done;
        if (!transfer_all(at, (char *)buf + done, chunk, false))
            break;
        done += chunk;
    }
    return done;
}

/* The longest prefix of [addr, addr + max) that image's regions hold, going on from one region
 * into any region that holds the next byte: copied into buf (unless NULL). Returns its length. */
PODBUG_HANDLER_TEXT static size_t image_prefix(const mem_image *image, uintptr_t addr, void *buf,
                                               size_t max)
{
    size_t done = 0;
    while (done < max) {
        uint64_t at = (uint64_t)addr + done;
        if (at < addr)
            break; /* wrapped around the address space */
        const mem_region *best = NULL;
        uint64_t best_left = 0;
        for (size_t i = 0; i < image->n_regions; i++) {
            const mem_region *r = &image->regions[i];
            if (at < r->address || at - r->address >= r->len)
                continue;
            uint64_t left = r->len - (at - r->address);
            if (left > best_left) {
                best = r;
                best_left = left;
            }
        }
        if (!best)
            break;
        size_t chunk = best_left < max - done ? (size_t)best_left : max - done;
        if (buf)
            memcpy((char *)buf + done, image->data + best->offset + (at - best->address), chunk);
        done += chunk;
    }
    return done;
}

PODBUG_HANDLER_TEXT int safe_mem_read(uintptr_t addr, void *buf, size_t len)
{
    const mem_image *image = image_in_use;
    if (image) {
        if (image_prefix(image, addr, buf, len) == len)
            return 0;
        if (!image->fall_through) {
            image_missed = true;
            return -1;
        }
    }
    return process_read(addr, buf, len) ? 0 : -1;
}

PODBUG_HANDLER_TEXT size_t safe_mem_read_upto(uintptr_t addr, void *buf, size_t max)
{
    const mem_image *image = image_in_use;
    size_t done = 0;
    if (image) {
        done = image_prefix(image, addr, buf, max);
        if (!image->fall_through) {
            if (done < max)
                image_missed = true;
            return done;
        }
    }
    return done + process_read_upto(addr + done, (char *)buf + done, max - done);
}

PODBUG_HANDLER_TEXT int safe_mem_write(uintptr_t addr, const void *buf, size_t len)
{
    if (image_in_use)
        return -1;
    return transfer_all(addr, (void *)buf, len, true) ? 0 : -1;
}

void safe_mem_set_process(pid_t pid)
{
    other_process = pid;
}

PODBUG_HANDLER_TEXT void safe_mem_use_image(const mem_image *image)
{
    image_in_use = image;
}

PODBUG_HANDLER_TEXT void safe_mem_use_guarded_reads(bool on)
{
    guarded_reads = on;
}

PODBUG_HANDLER_TEXT bool mem_image_holds(const mem_image *image, uintptr_t addr, size_t len)
{
    return image_prefix(image, addr, NULL, len) == len;
}

PODBUG_HANDLER_TEXT bool safe_mem_image_missed(void)
{
    bool missed = image_missed;
    image_missed = false;
    return missed;
}
