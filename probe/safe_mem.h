/* Reading and writing the own process's memory without ever faulting: a bad pointer is an
 * error return, never a SIGSEGV. process_vm_readv/writev on the own pid; signal-handler safe. */
#ifndef PODBUG_SAFE_MEM_H
#define PODBUG_SAFE_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Copies len bytes at addr into buf. Returns 0, or -1 when any byte cannot be read
 * (unmapped, no access, kernel address, or a read that runs into an unmapped page). */
int safe_mem_read(uintptr_t addr, void *buf, size_t len);
/* Reads up to max bytes, stopping at the first unreadable page. Returns the bytes read. */
size_t safe_mem_read_upto(uintptr_t addr, void *buf, size_t max);
/* Writes len bytes at addr (data, not text). Returns 0, or -1 when not all were written. */
int safe_mem_write(uintptr_t addr, const void *buf, size_t len);

#endif
