/* Reads and writes of the own process's memory that can never fault: process_vm_readv/writev
 * on getpid(), all-or-nothing, async-signal-safe (no allocation, no locks, errno preserved). */
#include "safe_mem.h"
#include "signal_interpose.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/uio.h>
#include <unistd.h>

/* x86-64 pages are 4 KiB; a larger page size would only make chunks finer than needed. */
#define SAFE_MEM_PAGE 4096u

/* One process_vm_readv/writev call; true only when every byte was transferred (a transfer that
 * runs into an unmapped page stops short without an error). */
PODBUG_HANDLER_TEXT static bool transfer_all(uintptr_t addr, void *buf, size_t len, bool write)
{
    if (len == 0)
        return true;
    int saved_errno = errno;
    struct iovec local = {.iov_base = buf, .iov_len = len};
    struct iovec remote = {.iov_base = (void *)addr, .iov_len = len};
    ssize_t done = write ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0)
                         : process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    errno = saved_errno;
    return done >= 0 && (size_t)done == len;
}

PODBUG_HANDLER_TEXT int safe_mem_read(uintptr_t addr, void *buf, size_t len)
{
    return transfer_all(addr, buf, len, false) ? 0 : -1;
}

PODBUG_HANDLER_TEXT size_t safe_mem_read_upto(uintptr_t addr, void *buf, size_t max)
{
    size_t done = 0;
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

PODBUG_HANDLER_TEXT int safe_mem_write(uintptr_t addr, const void *buf, size_t len)
{
    return transfer_all(addr, (void *)buf, len, true) ? 0 : -1;
}
