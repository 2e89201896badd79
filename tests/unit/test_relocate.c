/* Unit tests for relocate.c: real instruction bytes relocated to a slot far away (but within
 * rel32), checked by decoding the produced code with Zydis and comparing absolute targets; and
 * sequences relocated next to this file's own code and executed there. */
#include <criterion/criterion.h>

#include <Zydis/Zydis.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "relocate.h"

#define SITE ((uintptr_t)0x555555554100)
#define FAR_SLOT (SITE + 0x70000000) /* 1.75 GiB away: every short branch must widen */

typedef struct decoded {
    ZydisMnemonic mnemonic;
    size_t length;
    bool has_target;
    uint64_t target; /* branch target or RIP-relative address */
} decoded;

static decoded decode_at(const uint8_t *bytes, size_t len, uintptr_t at)
{
    ZydisDecoder decoder;
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    cr_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, bytes, len, &insn, ops)),
              "produced bytes do not decode");
    decoded d = {.mnemonic = insn.mnemonic, .length = insn.length};
    for (uint8_t i = 0; i < insn.operand_count_visible; i++) {
        bool relative = (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[i].imm.is_relative) ||
                        (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
                         ops[i].mem.base == ZYDIS_REGISTER_RIP);
        if (relative) {
            ZyanU64 target;
            cr_assert(ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&insn, &ops[i], at, &target)));
            d.has_target = true;
            d.target = target;
        }
    }
    return d;
}

/* Relocates bytes from SITE to FAR_SLOT, checks the jump back, returns the relocation. */
static relocation relocate_ok(const uint8_t *bytes, size_t len)
{
    relocation r;
    char err[256] = "";
    cr_assert_eq(relocate_instruction(bytes, len, SITE, FAR_SLOT, &r, err, sizeof err), 0,
                 "relocation failed: %s", err);
    cr_assert_eq(r.insn_len, len);
    cr_assert_eq(r.return_address, SITE + len);
    decoded first = decode_at(r.code, r.code_len, FAR_SLOT);
    cr_assert_lt(first.length, r.code_len, "no jump back after the instruction");
    decoded back = decode_at(r.code + first.length, r.code_len - first.length,
                             FAR_SLOT + first.length);
    cr_assert_eq(back.mnemonic, ZYDIS_MNEMONIC_JMP);
    cr_assert_eq(back.target, SITE + len, "jump back goes to 0x%lx", (unsigned long)back.target);
    cr_assert_eq(first.length + back.length, r.code_len);
    return r;
}

/* The relocated instruction keeps the original's absolute target and has mnemonic `want`. */
static relocation check_same_target(const uint8_t *bytes, size_t len, ZydisMnemonic want)
{
    relocation r = relocate_ok(bytes, len);
    decoded original = decode_at(bytes, len, SITE);
    decoded moved = decode_at(r.code, r.code_len, FAR_SLOT);
    cr_assert_eq(moved.mnemonic, want);
    cr_assert(original.has_target && moved.has_target);
    cr_assert_eq(moved.target, original.target, "target moved from 0x%lx to 0x%lx",
                 (unsigned long)original.target, (unsigned long)moved.target);
    return r;
}

static void check_refused(const uint8_t *bytes, size_t len, const char *mnemonic)
{
    relocation r;
    char err[256] = "";
    cr_assert_eq(relocate_instruction(bytes, len, SITE, FAR_SLOT, &r, err, sizeof err), -1);
    char where[64];
    snprintf(where, sizeof where, "'%s' at 0x%lx", mnemonic, (unsigned long)SITE);
    cr_assert(strstr(err, where), "message \"%s\" does not name %s", err, where);
}

Test(relocate, plain_instructions_are_copied_unchanged)
{
    static const uint8_t mov_rax_rcx[] = {0x48, 0x89, 0xc8};
    static const uint8_t add_rax_1[] = {0x48, 0x83, 0xc0, 0x01};
    static const uint8_t push_rbp[] = {0x55};
    const struct { const uint8_t *bytes; size_t len; } cases[] = {
        {mov_rax_rcx, sizeof mov_rax_rcx}, {add_rax_1, sizeof add_rax_1},
        {push_rbp, sizeof push_rbp}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        relocation r = relocate_ok(cases[i].bytes, cases[i].len);
        cr_assert_eq(r.kind, RELOCATION_PLAIN);
        cr_assert_eq(memcmp(r.code, cases[i].bytes, cases[i].len), 0, "case %zu changed", i);
    }
}

Test(relocate, rip_relative_lea_keeps_its_absolute_target)
{
    /* lea rax,[rip+0x10] */
    static const uint8_t lea[] = {0x48, 0x8d, 0x05, 0x10, 0x00, 0x00, 0x00};
    relocation r = check_same_target(lea, sizeof lea, ZYDIS_MNEMONIC_LEA);
    cr_assert_eq(r.kind, RELOCATION_PLAIN);
    cr_assert_neq(memcmp(r.code, lea, sizeof lea), 0, "displacement was not adjusted");
}

Test(relocate, rip_relative_memory_operands_keep_their_targets)
{
    static const uint8_t load[] = {0x8b, 0x05, 0x00, 0x10, 0x00, 0x00};         /* mov eax,[rip+n] */
    static const uint8_t cmp_imm[] = {0x83, 0x3d, 0x10, 0x00, 0x00, 0x00, 0x05}; /* cmp [rip+16],5 */
    static const uint8_t vmovdqa[] = {0xc5, 0xf9, 0x6f, 0x05, 0x10, 0x00, 0x00, 0x00}; /* VEX */
    static const uint8_t jmp_rip[] = {0xff, 0x25, 0x10, 0x00, 0x00, 0x00}; /* jmp [rip+0x10] */
    check_same_target(load, sizeof load, ZYDIS_MNEMONIC_MOV);
    check_same_target(cmp_imm, sizeof cmp_imm, ZYDIS_MNEMONIC_CMP);
    check_same_target(vmovdqa, sizeof vmovdqa, ZYDIS_MNEMONIC_VMOVDQA);
    cr_assert_eq(check_same_target(jmp_rip, sizeof jmp_rip, ZYDIS_MNEMONIC_JMP).kind,
                 RELOCATION_PLAIN);
}

Test(relocate, short_jmp_widens_to_the_same_target)
{
    static const uint8_t jmp8[] = {0xeb, 0x10};
    relocation r = check_same_target(jmp8, sizeof jmp8, ZYDIS_MNEMONIC_JMP);
    cr_assert_eq(r.code[0], 0xe9, "not widened to jmp rel32");
}

Test(relocate, short_jcc_widens_to_the_same_target)
{
    static const uint8_t je8[] = {0x74, 0x10};
    static const uint8_t jne32[] = {0x0f, 0x85, 0x00, 0x01, 0x00, 0x00};
    relocation r = check_same_target(je8, sizeof je8, ZYDIS_MNEMONIC_JZ);
    cr_assert(r.code[0] == 0x0f && r.code[1] == 0x84, "not widened to jz rel32");
    check_same_target(jne32, sizeof jne32, ZYDIS_MNEMONIC_JNZ);
}

Test(relocate, call_rel32_becomes_jmp_with_return_push)
{
    static const uint8_t call[] = {0xe8, 0x10, 0x00, 0x00, 0x00};
    relocation r = check_same_target(call, sizeof call, ZYDIS_MNEMONIC_JMP);
    cr_assert_eq(r.kind, RELOCATION_CALL);
    cr_assert_eq(r.return_address, SITE + sizeof call);
}

Test(relocate, indirect_calls_become_jmp_with_return_push)
{
    static const uint8_t call_rip[] = {0xff, 0x15, 0x10, 0x00, 0x00, 0x00}; /* call [rip+0x10] */
    static const uint8_t call_rax[] = {0xff, 0xd0};
    relocation r = check_same_target(call_rip, sizeof call_rip, ZYDIS_MNEMONIC_JMP);
    cr_assert_eq(r.kind, RELOCATION_CALL);
    r = relocate_ok(call_rax, sizeof call_rax);
    cr_assert_eq(r.kind, RELOCATION_CALL);
    cr_assert_eq(decode_at(r.code, r.code_len, FAR_SLOT).mnemonic, ZYDIS_MNEMONIC_JMP);
}

Test(relocate, ret_runs_as_is)
{
    static const uint8_t ret[] = {0xc3};
    relocation r = relocate_ok(ret, sizeof ret);
    cr_assert_eq(r.kind, RELOCATION_PLAIN);
    cr_assert_eq(r.code[0], 0xc3);
}

Test(relocate, refuses_what_cannot_run_out_of_line)
{
    static const uint8_t loop[] = {0xe2, 0xfe};
    static const uint8_t jrcxz[] = {0xe3, 0x10};
    static const uint8_t xbegin[] = {0xc7, 0xf8, 0x00, 0x00, 0x00, 0x00};
    static const uint8_t call_rsp[] = {0xff, 0x14, 0x24}; /* call [rsp] */
    static const uint8_t int3[] = {0xcc};
    check_refused(loop, sizeof loop, "loop");
    check_refused(jrcxz, sizeof jrcxz, "jrcxz");
    check_refused(xbegin, sizeof xbegin, "xbegin");
    check_refused(call_rsp, sizeof call_rsp, "call");
    check_refused(int3, sizeof int3, "int3");
}

Test(relocate, refuses_undecodable_bytes)
{
    static const uint8_t truncated[] = {0x48, 0x8b}; /* mov without its modrm */
    relocation r;
    char err[256] = "";
    cr_assert_eq(relocate_instruction(truncated, sizeof truncated, SITE, FAR_SLOT, &r, err,
                                      sizeof err), -1);
    cr_assert(strstr(err, "cannot decode"), "message: %s", err);
}

Test(relocate, refuses_targets_beyond_rel32_of_the_slot)
{
    static const uint8_t lea[] = {0x48, 0x8d, 0x05, 0x10, 0x00, 0x00, 0x00};
    relocation r;
    char err[256] = "";
    uintptr_t too_far = SITE + ((uintptr_t)3 << 30);
    cr_assert_eq(relocate_instruction(lea, sizeof lea, SITE, too_far, &r, err, sizeof err), -1);
    cr_assert(strstr(err, "beyond +-2 GiB"), "message: %s", err);
}

/* ---- sequences, executed ---------------------------------------------------------------- */

long rip_value = 1000;
uint64_t seen_flags, seen_return;

/* Each takes its argument in rdi; the first instructions (the lengths noted) get relocated, and
 * the relocated code jumps back into the function, which finishes and returns. */
long seq_rip(long x);   /* mov rax,[rip+rip_value] (7) | add rax,rdi; ret */
long seq_jcc(long x);   /* cmp edi,5 (3); jl short (2) | mov eax,1; ret; 1: mov eax,2; ret */
long seq_jmp(long x);   /* mov eax,edi (2); jmp short (2) | ud2; 1: add eax,10; ret */
long seq_arith(long x); /* mov eax,edi (2); add eax,3 (3) | imul eax,eax,7; ret */
long seq_call(long x);  /* cmp edi,10 (3); call record_entry (5) | ret */
long seq_loop(long x);  /* mov ecx,edi (2); loop (2) */
extern char seq_call_return[];
__asm__(".text\n"
        ".p2align 4\n"
        "seq_rip:\n"
        "    movq rip_value(%rip), %rax\n"
        "    addq %rdi, %rax\n"
        "    ret\n"
        ".p2align 4\n"
        "seq_jcc:\n"
        "    cmpl $5, %edi\n"
        "    jl 1f\n"
        "    movl $1, %eax\n"
        "    ret\n"
        "1:  movl $2, %eax\n"
        "    ret\n"
        ".p2align 4\n"
        "seq_jmp:\n"
        "    movl %edi, %eax\n"
        "    jmp 1f\n"
        "    ud2\n"
        "1:  addl $10, %eax\n"
        "    ret\n"
        ".p2align 4\n"
        "seq_arith:\n"
        "    movl %edi, %eax\n"
        "    addl $3, %eax\n"
        "    imull $7, %eax, %eax\n"
        "    ret\n"
        ".p2align 4\n"
        "seq_call:\n"
        "    cmpl $10, %edi\n"
        "    call record_entry\n"
        "seq_call_return:\n"
        "    ret\n"
        ".p2align 4\n"
        "record_entry:\n"
        "    pushfq\n"
        "    popq %rax\n"
        "    movq %rax, seen_flags(%rip)\n"
        "    movq (%rsp), %rax\n"
        "    movq %rax, seen_return(%rip)\n"
        "    ret\n"
        ".p2align 4\n"
        "seq_loop:\n"
        "    movl %edi, %ecx\n"
        "1:  loop 1b\n"
        "    ret\n");

/* A read-write-execute page within rel32 of this file's code (below the executable). */
static uint8_t *page_near_code(void)
{
    static uint8_t *page;
    if (page)
        return page;
    uintptr_t base = (uintptr_t)seq_rip & ~(uintptr_t)0xfff;
    for (uintptr_t step = (uintptr_t)1 << 20; step < (uintptr_t)1 << 30; step += (uintptr_t)1 << 20) {
        void *p = mmap((void *)(base - step), 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p != MAP_FAILED) {
            page = p;
            return page;
        }
    }
    cr_assert_fail("no free page within 1 GiB below the code");
    return NULL;
}

/* Relocates the first n instructions (lengths) of fn into the page near the code. */
static long (*relocated(long (*fn)(long), const uint8_t *lengths, size_t n))(long)
{
    uint8_t *page = page_near_code();
    uint8_t code[RELOCATE_MAX_SEQUENCE];
    size_t len = 0;
    char err[256] = "";
    cr_assert_eq(relocate_sequence((const uint8_t *)fn, lengths, n, (uintptr_t)fn,
                                   (uintptr_t)page, code, sizeof code, &len, err, sizeof err),
                 0, "relocation failed: %s", err);
    cr_assert_leq(len, sizeof code);
    memset(page, 0xcc, 4096);
    memcpy(page, code, len);
    __builtin___clear_cache((char *)page, (char *)page + len);
    return (long (*)(long))page;
}

Test(relocate_sequence, a_rip_relative_load_reads_the_same_variable)
{
    static const uint8_t lengths[] = {7};
    long (*moved)(long) = relocated(seq_rip, lengths, 1);
    cr_assert_eq(moved(5), seq_rip(5));
    rip_value = -42;
    cr_assert_eq(moved(2), -40);
    cr_assert_neq(memcmp((uint8_t *)moved, (const uint8_t *)seq_rip, 7), 0, "displacement kept");
}

Test(relocate_sequence, a_short_jcc_widens_and_branches_both_ways)
{
    static const uint8_t lengths[] = {3, 2};
    long (*moved)(long) = relocated(seq_jcc, lengths, 2);
    const uint8_t *code = (const uint8_t *)moved;
    cr_assert(code[3] == 0x0f && code[4] == 0x8c, "jl was not widened to rel32");
    for (long x = 0; x < 10; x++)
        cr_assert_eq(moved(x), seq_jcc(x), "x = %ld", x);
    cr_assert_eq(moved(3), 2);
    cr_assert_eq(moved(7), 1);
}

Test(relocate_sequence, a_jmp_lands_on_its_original_target)
{
    static const uint8_t lengths[] = {2, 2};
    long (*moved)(long) = relocated(seq_jmp, lengths, 2);
    cr_assert_eq(moved(5), 15);
    cr_assert_eq(moved(-3), seq_jmp(-3));
}

Test(relocate_sequence, plain_instructions_run_then_jump_back)
{
    static const uint8_t lengths[] = {2, 3};
    long (*moved)(long) = relocated(seq_arith, lengths, 2);
    cr_assert_eq(memcmp((const uint8_t *)moved, (const uint8_t *)seq_arith, 5), 0);
    for (long x = -5; x < 5; x++)
        cr_assert_eq(moved(x), seq_arith(x), "x = %ld", x);
    cr_assert_eq(moved(1), 28);
}

Test(relocate_sequence, a_last_call_pushes_the_original_return_address_and_keeps_flags)
{
    static const uint8_t lengths[] = {3, 5};
    long (*moved)(long) = relocated(seq_call, lengths, 2);
    for (long x = 5; x <= 15; x += 5) {
        seq_call(x);
        uint64_t flags = seen_flags;
        cr_assert_eq(seen_return, (uint64_t)(uintptr_t)seq_call_return);
        seen_flags = seen_return = 0;
        moved(x);
        cr_assert_eq(seen_return, (uint64_t)(uintptr_t)seq_call_return,
                     "the callee saw return address 0x%lx", (unsigned long)seen_return);
        cr_assert_eq(seen_flags, flags, "flags 0x%lx instead of 0x%lx at x = %ld",
                     (unsigned long)seen_flags, (unsigned long)flags, x);
    }
}

static void check_sequence_refused(const uint8_t *bytes, const uint8_t *lengths, size_t n,
                                   const char *what)
{
    uint8_t code[RELOCATE_MAX_SEQUENCE];
    size_t len;
    char err[256] = "";
    cr_assert_eq(relocate_sequence(bytes, lengths, n, SITE, FAR_SLOT, code, sizeof code, &len,
                                   err, sizeof err), -1);
    cr_assert(strstr(err, what), "message \"%s\" does not name %s", err, what);
}

Test(relocate_sequence, a_call_before_the_last_instruction_is_refused)
{
    static const uint8_t call_then_nop[] = {0xe8, 0x10, 0x00, 0x00, 0x00, 0x90};
    static const uint8_t lengths[] = {5, 1};
    char where[64];
    snprintf(where, sizeof where, "'call' at 0x%lx", (unsigned long)SITE);
    check_sequence_refused(call_then_nop, lengths, 2, where);
}

Test(relocate_sequence, unrelocatable_instructions_are_refused_by_mnemonic)
{
    static const uint8_t loop_lengths[] = {2, 2};
    check_sequence_refused((const uint8_t *)seq_loop, loop_lengths, 2, "'loop'");
    static const uint8_t xbegin[] = {0x90, 0xc7, 0xf8, 0x00, 0x00, 0x00, 0x00};
    static const uint8_t xbegin_lengths[] = {1, 6};
    char where[64];
    snprintf(where, sizeof where, "'xbegin' at 0x%lx", (unsigned long)SITE + 1);
    check_sequence_refused(xbegin, xbegin_lengths, 2, where);
}

Test(relocate_sequence, lengths_must_match_the_instructions)
{
    static const uint8_t add_rax_1[] = {0x48, 0x83, 0xc0, 0x01, 0x90};
    static const uint8_t lengths[] = {3, 2};
    check_sequence_refused(add_rax_1, lengths, 2, "0x555555554100");
}
