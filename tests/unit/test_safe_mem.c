/* Unit tests for safe_mem.c: reads and writes of good, unmapped, protected and partly mapped
 * memory of this process, all-or-nothing, with errno left as it was; reads served from a
 * per-thread memory image (a snapshot's copy), with or without falling through to the process;
 * the same reads through guarded loads (guarded mode). */
#include <criterion/criterion.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "guarded_copy.h"
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

/* ---- memory images ---- */

/* An image of two regions that continue one another, [BASE, BASE + 8) and [BASE + 8, BASE + 12),
 * and one after a gap, [BASE + 16, BASE + 20). BASE is never mapped in this process (the first
 * page), so only the image can serve reads there. */
#define BASE 0x100u
static const uint8_t image_bytes[] = "ABCDEFGHijklMNOP";
static const mem_region image_regions[] = {
    { BASE, 0, 8 }, { BASE + 8, 8, 4 }, { BASE + 16, 12, 4 },
};

static mem_image image_of(bool fall_through)
{
    return (mem_image){ image_bytes, image_regions, 3, fall_through };
}

Test(safe_mem_image, reads_inside_regions_come_from_the_copy)
{
    mem_image image = image_of(false);
    char buf[16] = "";
    safe_mem_use_image(&image);
    cr_assert_eq(safe_mem_read(BASE + 2, buf, 4), 0);
    cr_assert_eq(memcmp(buf, "CDEF", 4), 0);
    cr_assert_eq(safe_mem_read(BASE + 6, buf, 5), 0, "regions that continue one another chain");
    cr_assert_eq(memcmp(buf, "GHijk", 5), 0);
    cr_assert_eq(safe_mem_read(BASE + 17, buf, 3), 0);
    cr_assert_eq(memcmp(buf, "NOP", 3), 0);
    cr_assert_not(safe_mem_image_missed(), "nothing was refused");
    safe_mem_use_image(NULL);
}

Test(safe_mem_image, reads_outside_or_across_a_gap_fail_and_count_as_missed)
{
    mem_image image = image_of(false);
    char buf[16];
    static const char process_bytes[] = "in the process";
    safe_mem_use_image(&image);
    cr_assert_eq(safe_mem_read(BASE + 10, buf, 4), -1, "runs from a region into the gap");
    cr_assert(safe_mem_image_missed());
    cr_assert_not(safe_mem_image_missed(), "reading the flag clears it");
    cr_assert_eq(safe_mem_read(BASE + 18, buf, 4), -1, "runs off the last region");
    cr_assert_eq(safe_mem_read((uintptr_t)process_bytes, buf, 4), -1,
                 "readable memory that was not copied is not read");
    cr_assert(safe_mem_image_missed());
    safe_mem_use_image(NULL);
    cr_assert_eq(safe_mem_read((uintptr_t)process_bytes, buf, 4), 0, "no image: the process");
    cr_assert_not(safe_mem_image_missed());
}

Test(safe_mem_image, a_fall_through_image_reads_the_process_for_what_it_lacks)
{
    static char live[8] = "live";
    static const uint8_t copy[8] = "copy";
    mem_region region = { (uint64_t)(uintptr_t)live, 0, 4 };
    mem_image image = { copy, &region, 1, true };
    char buf[8] = "";
    safe_mem_use_image(&image);
    cr_assert_eq(safe_mem_read((uintptr_t)live, buf, 4), 0);
    cr_assert_eq(memcmp(buf, "copy", 4), 0, "held bytes come from the image, not the process");
    cr_assert_eq(safe_mem_read((uintptr_t)live, buf, 5), 0, "not wholly held: the process");
    cr_assert_eq(memcmp(buf, "live", 5), 0);
    cr_assert_eq(safe_mem_read(BASE, buf, 4), -1, "the process cannot read there");
    cr_assert_not(safe_mem_image_missed(), "a fall-through image never misses");
    safe_mem_use_image(NULL);
}

Test(safe_mem_image, read_upto_serves_the_longest_held_prefix)
{
    mem_image image = image_of(false);
    char buf[32] = "";
    safe_mem_use_image(&image);
    cr_assert_eq(safe_mem_read_upto(BASE + 4, buf, 8), 8);
    cr_assert_eq(memcmp(buf, "EFGHijkl", 8), 0);
    cr_assert_not(safe_mem_image_missed(), "it got all it asked for");
    cr_assert_eq(safe_mem_read_upto(BASE + 4, buf, sizeof buf), 8, "stops at the gap");
    cr_assert(safe_mem_image_missed(), "stopping short of max is a miss");
    cr_assert_eq(safe_mem_read_upto(BASE + 12, buf, 4), 0);
    safe_mem_use_image(NULL);

    char *p = two_pages(0, true); /* p[0..PAGE) readable 'a', then unmapped */
    static const uint8_t copy[4] = "copy";
    mem_region region = { (uint64_t)(uintptr_t)(p + PAGE - 20), 0, 4 };
    mem_image fall = { copy, &region, 1, true };
    safe_mem_use_image(&fall);
    cr_assert_eq(safe_mem_read_upto((uintptr_t)(p + PAGE - 20), buf, sizeof buf), 20,
                 "the prefix from the image, the rest from the process up to the unmapped page");
    cr_assert_eq(memcmp(buf, "copyaaaaaaaaaaaaaaaa", 20), 0);
    safe_mem_use_image(NULL);
    munmap(p, PAGE);
}

Test(safe_mem_image, writes_are_refused_while_an_image_is_in_use)
{
    static long target = 1;
    long v = 5;
    mem_image image = image_of(true);
    safe_mem_use_image(&image);
    cr_assert_eq(safe_mem_write((uintptr_t)&target, &v, sizeof v), -1);
    cr_assert_eq(target, 1);
    safe_mem_use_image(NULL);
    cr_assert_eq(safe_mem_write((uintptr_t)&target, &v, sizeof v), 0);
    cr_assert_eq(target, 5);
}

Test(safe_mem_image, holds_tells_whether_every_byte_is_in_the_copy)
{
    mem_image image = image_of(false);
    cr_assert(mem_image_holds(&image, BASE, 12), "two regions that continue one another");
    cr_assert(mem_image_holds(&image, BASE + 16, 4));
    cr_assert(mem_image_holds(&image, BASE + 3, 0));
    cr_assert_not(mem_image_holds(&image, BASE + 8, 5), "into the gap");
    cr_assert_not(mem_image_holds(&image, BASE + 12, 1));
}

static void *read_in_another_thread(void *arg)
{
    char buf[4];
    return (void *)(intptr_t)safe_mem_read((uintptr_t)arg, buf, sizeof buf);
}

Test(safe_mem_image, the_image_belongs_to_the_thread_that_set_it)
{
    static const char process_bytes[] = "process";
    mem_image image = image_of(false);
    safe_mem_use_image(&image);
    pthread_t thread;
    void *result;
    cr_assert_eq(pthread_create(&thread, NULL, read_in_another_thread, (void *)process_bytes), 0);
    cr_assert_eq(pthread_join(thread, &result), 0);
    cr_assert_eq((intptr_t)result, 0, "another thread reads the process");
    char buf[4];
    cr_assert_eq(safe_mem_read((uintptr_t)process_bytes, buf, sizeof buf), -1);
    safe_mem_use_image(NULL);
}

/* ---- guarded mode ---- */

#define TIMED_READS 2000

static void use_guarded_reads(void)
{
    char err[256] = "";
    cr_assert_eq(guarded_copy_init(err, sizeof err), 0, "%s", err);
    safe_mem_use_guarded_reads(true);
}

/* Nanoseconds for TIMED_READS 8-byte reads of the calling thread's mode. */
static int64_t time_reads(void)
{
    static const uint64_t word = 42;
    uint64_t out;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < TIMED_READS; i++)
        cr_assert_eq(safe_mem_read((uintptr_t)&word, &out, sizeof out), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (int64_t)(b.tv_sec - a.tv_sec) * 1000000000 + (b.tv_nsec - a.tv_nsec);
}

Test(safe_mem_guarded, reads_go_through_loads_with_the_same_results)
{
    safe_mem_use_guarded_reads(true);
    int64_t syscalls = time_reads(); /* not yet initialised: still process_vm_readv */
    use_guarded_reads();
    int64_t loads = time_reads();
    cr_assert_lt(loads * 10, syscalls, "guarded reads take loads (%lld ns), not system calls (%lld ns)",
                 (long long)loads, (long long)syscalls);
    static const char text[] = "hello, podbug";
    char buf[64];
    int saved = errno = 4242;
    cr_assert_eq(safe_mem_read((uintptr_t)text, buf, sizeof text), 0);
    cr_assert_str_eq(buf, text);
    cr_assert_eq(safe_mem_read(0, buf, 8), -1);
    cr_assert_eq(safe_mem_read((uintptr_t)0xffffffff81000000u, buf, 8), -1, "kernel address");
    cr_assert_eq(errno, saved);
    char *p = two_pages(PROT_NONE, false);
    cr_assert_eq(safe_mem_read((uintptr_t)(p + PAGE - 8), buf, 8), 0);
    cr_assert_eq(safe_mem_read((uintptr_t)(p + PAGE - 8), buf, 16), -1, "all or nothing");
    memset(buf, 0, sizeof buf);
    cr_assert_eq(safe_mem_read_upto((uintptr_t)(p + PAGE - 11), buf, sizeof buf), 11,
                 "upto stops at the first unreadable byte");
    cr_assert_eq(memcmp(buf, "aaaaaaaaaaa", 11), 0);
    cr_assert_eq(safe_mem_read_upto((uintptr_t)(p + PAGE), buf, sizeof buf), 0);
    cr_assert_eq(safe_mem_write((uintptr_t)p, "zz", 2), 0, "writes are unchanged");
    cr_assert_eq(memcmp(p, "zz", 2), 0);
    safe_mem_use_guarded_reads(false);
    munmap(p, 2 * PAGE);
}

Test(safe_mem_guarded, an_image_in_use_comes_first)
{
    use_guarded_reads();
    mem_image image = image_of(false);
    safe_mem_use_image(&image);
    char buf[8] = "";
    cr_assert_eq(safe_mem_read(BASE + 1, buf, 3), 0);
    cr_assert_eq(memcmp(buf, "BCD", 3), 0);
    static const char process_bytes[] = "process";
    cr_assert_eq(safe_mem_read((uintptr_t)process_bytes, buf, 4), -1, "not in the image");
    cr_assert(safe_mem_image_missed());
    image = image_of(true);
    cr_assert_eq(safe_mem_read((uintptr_t)process_bytes, buf, 4), 0, "falls through to loads");
    cr_assert_eq(memcmp(buf, "proc", 4), 0);
    safe_mem_use_image(NULL);
    safe_mem_use_guarded_reads(false);
}

static void *time_reads_in_another_thread(void *arg)
{
    return (void *)(intptr_t)time_reads();
}

Test(safe_mem_guarded, the_mode_belongs_to_the_thread_that_set_it)
{
    use_guarded_reads();
    int64_t loads = time_reads();
    pthread_t thread;
    void *result;
    cr_assert_eq(pthread_create(&thread, NULL, time_reads_in_another_thread, NULL), 0);
    cr_assert_eq(pthread_join(thread, &result), 0);
    cr_assert_lt(loads * 10, (int64_t)(intptr_t)result, "another thread still makes system calls");
    safe_mem_use_guarded_reads(false);
    cr_assert_lt(loads * 10, time_reads(), "switched off: system calls again");
}
