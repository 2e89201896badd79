/* Unit tests for safe_mem.c: reads and writes of good, unmapped, protected and partly mapped
 * memory of this process, all-or-nothing, with errno left as it was. */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "safe_mem.h"

#define PAGE 4096

/* Two pages: the first readable and writable, the second with the given protection
 * (PROT_NONE or unmapped when unmap is set). Returns the start of the first. */
static char *two_pages(int second_prot, bool unmap)
{
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    memset(p, 'a', PAGE);
    if (unmap)
        cr_assert_eq(munmap(p + PAGE, PAGE), 0);
    else
        cr_assert_eq(mprotect(p + PAGE, PAGE, second_prot), 0);
    return p;
}

Test(safe_mem, reads_good_memory)
{
    static const char text[] = "hello, podbug";
    char buf[sizeof text];
    cr_assert_eq(safe_mem_read((uintptr_t)text, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, text);
    cr_assert_eq(safe_mem_read((uintptr_t)text, buf, 0), 0, "nothing to read is a success");
}

Test(safe_mem, bad_addresses_fail_without_faulting)
{
    char buf[16];
    int saved = errno = 4242;
    cr_assert_eq(safe_mem_read(0, buf, 8), -1);
    cr_assert_eq(safe_mem_read(0x10, buf, 8), -1);
    cr_assert_eq(safe_mem_read((uintptr_t)0xffffffff81000000u, buf, 8), -1, "kernel address");
    cr_assert_eq(safe_mem_read(UINTPTR_MAX - 4, buf, 8), -1, "wraps around");
    cr_assert_eq(errno, saved, "errno is preserved (signal-handler safety)");
}

Test(safe_mem, a_read_running_into_an_unmapped_page_fails)
{
    char *p = two_pages(0, true);
    char buf[16];
    cr_assert_eq(safe_mem_read((uintptr_t)(p + PAGE - 8), buf, 8), 0, "the mapped part reads");
    cr_assert_eq(safe_mem_read((uintptr_t)(p + PAGE - 8), buf, 16), -1, "short reads fail");
    cr_assert_eq(safe_mem_read((uintptr_t)(p + PAGE), buf, 1), -1);
    munmap(p, PAGE);
}

Test(safe_mem, a_protected_page_cannot_be_read)
{
    char *p = two_pages(PROT_NONE, false);
    char buf[4];
    cr_assert_eq(safe_mem_read((uintptr_t)(p + PAGE), buf, sizeof buf), -1);
    munmap(p, 2 * PAGE);
}

Test(safe_mem, read_upto_stops_at_the_first_unreadable_page)
{
    char *p = two_pages(0, true);
    char buf[64];
    memset(buf, 0, sizeof buf);
    cr_assert_eq(safe_mem_read_upto((uintptr_t)(p + PAGE - 10), buf, sizeof buf), 10);
    cr_assert_eq(memcmp(buf, "aaaaaaaaaa", 10), 0);
    cr_assert_eq(safe_mem_read_upto((uintptr_t)(p + PAGE), buf, sizeof buf), 0);
    cr_assert_eq(safe_mem_read_upto(0, buf, sizeof buf), 0);
    cr_assert_eq(safe_mem_read_upto((uintptr_t)p, buf, 20), 20, "stops at max");
    munmap(p, PAGE);
}

Test(safe_mem, read_upto_crosses_readable_pages)
{
    char *p = two_pages(PROT_READ | PROT_WRITE, false);
    memset(p + PAGE, 'b', PAGE);
    char buf[2 * PAGE - 100];
    cr_assert_eq(safe_mem_read_upto((uintptr_t)(p + 100), buf, sizeof buf), sizeof buf);
    cr_assert_eq(buf[PAGE - 101], 'a');
    cr_assert_eq(buf[PAGE - 100], 'b');
    munmap(p, 2 * PAGE);
}

Test(safe_mem, writes_data_but_not_read_only_or_unmapped_memory)
{
    static long target = 1;
    long v = 99;
    cr_assert_eq(safe_mem_write((uintptr_t)&target, &v, sizeof v), 0);
    cr_assert_eq(target, 99);

    char *p = two_pages(PROT_READ, false);
    cr_assert_eq(safe_mem_write((uintptr_t)(p + PAGE), &v, sizeof v), -1, "read-only page");
    cr_assert_eq(*(long *)(p + PAGE), 0, "nothing was written");
    cr_assert_eq(safe_mem_write((uintptr_t)(p + PAGE - 4), &v, sizeof v), -1,
                 "a write running into a read-only page fails");
    cr_assert_eq(safe_mem_write(0x10, &v, sizeof v), -1);
    munmap(p, 2 * PAGE);
}
