/* The guarded copy itself (guarded_copy.h): a small assembly routine whose two loads are the only
 * instructions allowed to fault, and the recovery a fault handler applies to a fault there.
 *
 * The routine copies 8 bytes at a time while at least 8 remain, then single bytes; rax counts the
 * bytes copied. A fault on an 8-byte load resumes at the byte loop (the bytes before the faulting
 * page are still readable), a fault on a byte load resumes at the return: the count is exact up to
 * the first unreadable byte. A fault on a store (dst) is not ours and stays a crash. Claiming the
 * signals is crash_guard.c's (guarded_copy_init), so that the CLI can link this file without the
 * probe's signal machinery. */
#include "guarded_copy.h"
#include "signal_interpose.h"

#include <stdatomic.h>
#include <ucontext.h>

/* In PODBUG_HANDLER_TEXT's section: no breakpoint is ever armed on it. */
__asm__(
    "    .pushsection podbug_handler_text, \"ax\", @progbits\n"
    "    .globl guarded_copy\n"
    "    .hidden guarded_copy\n"
    "    .type guarded_copy, @function\n"
    "    .globl guarded_copy_word_load\n"
    "    .hidden guarded_copy_word_load\n"
    "    .globl guarded_copy_bytes\n"
    "    .hidden guarded_copy_bytes\n"
    "    .globl guarded_copy_byte_load\n"
    "    .hidden guarded_copy_byte_load\n"
    "    .globl guarded_copy_return\n"
    "    .hidden guarded_copy_return\n"
    "guarded_copy:\n"                       /* rdi = dst, rsi = src, rdx = len */
    "    .cfi_startproc\n"
    "    endbr64\n"
    "    xorl %eax, %eax\n"
    "1:  movq %rdx, %rcx\n"
    "    subq %rax, %rcx\n"
    "    cmpq $8, %rcx\n"
    "    jb guarded_copy_bytes\n"
    "guarded_copy_word_load:\n"
    "    movq (%rsi,%rax), %r8\n"
    "    movq %r8, (%rdi,%rax)\n"
    "    addq $8, %rax\n"
    "    jmp 1b\n"
    "guarded_copy_bytes:\n"
    "    cmpq %rdx, %rax\n"
    "    jae guarded_copy_return\n"
    "guarded_copy_byte_load:\n"
    "    movzbl (%rsi,%rax), %r8d\n"
    "    movb %r8b, (%rdi,%rax)\n"
    "    incq %rax\n"
    "    jmp guarded_copy_bytes\n"
    "guarded_copy_return:\n"
    "    ret\n"
    "    .cfi_endproc\n"
    "    .size guarded_copy, . - guarded_copy\n"
    "    .popsection\n");

extern const char guarded_copy_word_load[] __attribute__((visibility("hidden")));
extern const char guarded_copy_bytes[] __attribute__((visibility("hidden")));
extern const char guarded_copy_byte_load[] __attribute__((visibility("hidden")));
extern const char guarded_copy_return[] __attribute__((visibility("hidden")));

static atomic_bool ready;

bool guarded_copy_ready(void)
{
    return atomic_load_explicit(&ready, memory_order_acquire);
}

void guarded_copy_set_ready(void)
{
    atomic_store_explicit(&ready, true, memory_order_release);
}

PODBUG_HANDLER_TEXT bool guarded_copy_recover(void *ucontext)
{
    ucontext_t *uc = ucontext;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    if (pc == (uintptr_t)guarded_copy_word_load)
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)guarded_copy_bytes;
    else if (pc == (uintptr_t)guarded_copy_byte_load)
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)guarded_copy_return;
    else
        return false;
    return true;
}
