/* Out-of-line slot pages near the patched code: placement by outward search with
 * MAP_FIXED_NOREPLACE (a plain mmap lands too far from PIE text) and a slot cursor per page. */
#include "ool_slots.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SLOT_PAGE_SIZE 4096
#define SLOTS_PER_PAGE (SLOT_PAGE_SIZE / OOL_SLOT_SIZE)
#define MAX_SLOT_PAGES 256
#define SEARCH_STEP ((uintptr_t)1 << 20)
#define INT3 0xCC

typedef struct slot_page {
    uintptr_t base;
    unsigned used;
} slot_page;

static pthread_mutex_t pages_lock = PTHREAD_MUTEX_INITIALIZER;
static slot_page pages[MAX_SLOT_PAGES];
static size_t page_count;

static uintptr_t distance(uintptr_t a, uintptr_t b)
{
    return a > b ? a - b : b - a;
}

/* Maps one page exactly at hint, or returns 0 if anything is there already. */
static uintptr_t map_page_at(uintptr_t hint)
{
    void *p = mmap((void *)hint, SLOT_PAGE_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    if ((uintptr_t)p != hint) { /* kernels before 4.17 treat the flag as a mere hint */
        munmap(p, SLOT_PAGE_SIZE);
        return 0;
    }
    memset(p, INT3, SLOT_PAGE_SIZE);
    if (mprotect(p, SLOT_PAGE_SIZE, PROT_READ | PROT_EXEC) < 0) {
        munmap(p, SLOT_PAGE_SIZE);
        return 0;
    }
    return hint;
}

/* Below near first (above a program's text lies its heap, which must stay free to grow). */
static uintptr_t map_page_near(uintptr_t near)
{
    uintptr_t origin = near & ~(SEARCH_STEP - 1);
    uintptr_t min_addr = SEARCH_STEP;
    for (uintptr_t d = SEARCH_STEP; d < OOL_SLOT_REACH; d += SEARCH_STEP) {
        if (origin < min_addr + d)
            break;
        uintptr_t base = map_page_at(origin - d);
        if (base)
            return base;
    }
    for (uintptr_t d = SEARCH_STEP; d + SLOT_PAGE_SIZE < OOL_SLOT_REACH; d += SEARCH_STEP) {
        if (origin + d < origin)
            break;
        uintptr_t base = map_page_at(origin + d);
        if (base)
            return base;
    }
    return 0;
}

static slot_page *page_with_room_near(uintptr_t near, unsigned slots)
{
    for (size_t i = 0; i < page_count; i++)
        if (pages[i].used + slots <= SLOTS_PER_PAGE &&
            distance(pages[i].base, near) + SLOT_PAGE_SIZE < OOL_SLOT_REACH)
            return &pages[i];
    return NULL;
}

uintptr_t ool_block_alloc(uintptr_t near, size_t size, char *err, size_t err_len)
{
    unsigned slots = (unsigned)((size + OOL_SLOT_SIZE - 1) / OOL_SLOT_SIZE);
    if (slots == 0 || slots > SLOTS_PER_PAGE) {
        snprintf(err, err_len, "an out-of-line block of %zu bytes does not fit a page", size);
        return 0;
    }
    pthread_mutex_lock(&pages_lock);
    slot_page *page = page_with_room_near(near, slots);
    if (!page && page_count < MAX_SLOT_PAGES) {
        uintptr_t base = map_page_near(near);
        if (base) {
            page = &pages[page_count++];
            page->base = base;
            page->used = 0;
        }
    }
    uintptr_t block = 0;
    if (page) {
        block = page->base + (uintptr_t)page->used * OOL_SLOT_SIZE;
        page->used += slots;
    } else if (page_count == MAX_SLOT_PAGES) {
        snprintf(err, err_len, "no room for more out-of-line slots (%d pages in use)",
                 MAX_SLOT_PAGES);
    } else {
        snprintf(err, err_len, "no free address within 1 GiB of 0x%" PRIxPTR
                 " for an out-of-line slot", near);
    }
    pthread_mutex_unlock(&pages_lock);
    return block;
}

uintptr_t ool_slot_alloc(uintptr_t near, char *err, size_t err_len)
{
    return ool_block_alloc(near, OOL_SLOT_SIZE, err, err_len);
}

bool ool_slot_contains(uintptr_t addr)
{
    pthread_mutex_lock(&pages_lock);
    bool found = false;
    for (size_t i = 0; i < page_count && !found; i++)
        found = addr >= pages[i].base && addr - pages[i].base < SLOT_PAGE_SIZE;
    pthread_mutex_unlock(&pages_lock);
    return found;
}
