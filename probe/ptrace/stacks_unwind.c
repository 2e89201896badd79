/* Remote unwinding of a held thread (see stacks_unwind.h): libunwind accessors for the stop's
 * registers and cached process_vm_readv reads, and a libunwind-ptrace handle per module. */

/* libunwind-ptrace's handle keeps the unwind table of the last module it searched; finding
 * another means reading the process's map and the module's file again. So each module keeps its
 * own handle, primed before the stop, and the stop only reads memory. */
#include "stacks_unwind.h"

#include <libunwind-ptrace.h>
#include <stdlib.h>
#include <string.h>
#include "dwarf_lines.h"
#include "elf_module.h"
#include "safe_mem.h"

#define CACHED_PAGE_SIZE 4096
#define CACHED_PAGES 128

/* Pages of the process's memory as read since it was last held (by page number, one per slot):
 * libunwind reads word by word, mostly from a few pages of unwind tables and stacks. */
typedef struct cached_page {
    uintptr_t address;
    bool valid;
    uint8_t bytes[CACHED_PAGE_SIZE];
} cached_page;

typedef struct page_cache {
    cached_page pages[CACHED_PAGES];
} page_cache;

/* The cache of the unwinder in use: libunwind-ptrace passes its own argument, not ours, to the
 * memory reads of its table searches, so the reads cannot find the unwinder through it. */
static page_cache *memory;

typedef struct module_tables {
    uintptr_t low, high; /* the module's runtime span */
    void *upt;           /* libunwind-ptrace's handle for searching its unwind table */
} module_tables;

struct stacks_unwinder {
    unw_addr_space_t space;
    void *process_upt;   /* for code in no known module, and for the process-wide questions */
    module_tables *modules;
    size_t n_modules;
    page_cache *memory;
};

/* What the accessors see of the thread being unwound. */
typedef struct unwinding {
    const stacks_unwinder *unwinder;
    const struct user_regs_struct *regs;
} unwinding;

/* The stop's register by DWARF number (libunwind's x86-64 numbers are DWARF's). */
static unsigned long long stop_register(const struct user_regs_struct *r, int regno)
{
    const unsigned long long by_dwarf[FRAME_REG_COUNT] = {
        r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp, r->rsp, r->r8,
        r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15, r->rip,
    };
    return by_dwarf[regno];
}

/* The libunwind-ptrace handle that searches the unwind table of the code at ip. */
static void *handle_for(const stacks_unwinder *u, unw_word_t ip)
{
    for (size_t i = 0; i < u->n_modules; i++)
        if (ip >= u->modules[i].low && ip < u->modules[i].high)
            return u->modules[i].upt;
    return u->process_upt;
}

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
                          int need_unwind_info, void *arg)
{
    const unwinding *w = arg;
    return _UPT_find_proc_info(as, ip, pi, need_unwind_info, handle_for(w->unwinder, ip));
}

static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
    const unwinding *w = arg;
    _UPT_put_unwind_info(as, pi, handle_for(w->unwinder, pi->start_ip));
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
    const unwinding *w = arg;
    return _UPT_get_dyn_info_list_addr(as, addr, w->unwinder->process_upt);
}

/* Copies len bytes at addr from the cached pages, reading a page of the process the first time. */
static bool read_cached(page_cache *cache, uintptr_t addr, void *out, size_t len)
{
    while (len > 0) {
        uintptr_t page = addr & ~(uintptr_t)(CACHED_PAGE_SIZE - 1);
        cached_page *slot = &cache->pages[(page / CACHED_PAGE_SIZE) % CACHED_PAGES];
        if (!slot->valid || slot->address != page) {
            slot->valid = safe_mem_read(page, slot->bytes, CACHED_PAGE_SIZE) == 0;
            slot->address = page;
            if (!slot->valid)
                return false;
        }
        size_t offset = addr - page;
        size_t chunk = CACHED_PAGE_SIZE - offset < len ? CACHED_PAGE_SIZE - offset : len;
        memcpy(out, slot->bytes + offset, chunk);
        out = (char *)out + chunk;
        addr += chunk;
        len -= chunk;
    }
    return true;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *value, int write, void *arg)
{
    if (write)
        return -UNW_EREADONLYREG;
    return read_cached(memory, (uintptr_t)addr, value, sizeof *value) ? 0 : -UNW_EINVAL;
}

static int access_reg(unw_addr_space_t as, unw_regnum_t regno, unw_word_t *value, int write,
                      void *arg)
{
    const unwinding *w = arg;
    if (write)
        return -UNW_EREADONLYREG;
    if (regno < 0 || regno >= FRAME_REG_COUNT)
        return -UNW_EBADREG;
    *value = (unw_word_t)stop_register(w->regs, regno);
    return 0;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t regno, unw_fpreg_t *value, int write,
                        void *arg)
{
    return -UNW_EBADREG;
}

static int get_proc_name(unw_addr_space_t as, unw_word_t ip, char *buf, size_t len,
                         unw_word_t *offset, void *arg)
{
    const unwinding *w = arg;
    return _UPT_get_proc_name(as, ip, buf, len, offset, handle_for(w->unwinder, ip));
}

static unw_accessors_t accessors = {
    .find_proc_info = find_proc_info,
    .put_unwind_info = put_unwind_info,
    .get_dyn_info_list_addr = get_dyn_info_list_addr,
    .access_mem = access_mem,
    .access_reg = access_reg,
    .access_fpreg = access_fpreg,
    .get_proc_name = get_proc_name,
};

/* A runtime address of code in module i (its first function); false when nothing says where. */
static bool code_address(sym_index *symbols, size_t i, uintptr_t *address)
{
    sym_module_info info;
    const dwarf_module *dwarf;
    const elf_symbols *elf;
    if (!sym_module_tables(symbols, i, &info, &dwarf, &elf))
        return false;
    if (elf->count)
        *address = info.bias + elf->symbols[0].address;
    else if (dwarf->range_count)
        *address = info.bias + dwarf->ranges[0].low;
    else
        return false;
    return true;
}

/* A handle per module, primed by one search in its code: it then holds the module's table. */
static bool prepare_modules(stacks_unwinder *u, pid_t pid, sym_index *symbols)
{
    sym_module_info info;
    size_t count = 0;
    while (sym_module_get(symbols, count, &info))
        count++;
    u->modules = calloc(count ? count : 1, sizeof *u->modules);
    if (!u->modules)
        return false;
    for (size_t i = 0; i < count && sym_module_get(symbols, i, &info); i++) {
        module_tables *m = &u->modules[u->n_modules];
        *m = (module_tables){ info.low, info.high, _UPT_create(pid) };
        if (!m->upt)
            return false;
        u->n_modules++;
        uintptr_t ip;
        unw_proc_info_t pi; /* without its unwind info (nothing to put back) */
        if (code_address(symbols, i, &ip))
            _UPT_find_proc_info(u->space, ip, &pi, 0, m->upt);
    }
    return true;
}

stacks_unwinder *stacks_unwinder_create(pid_t pid, sym_index *symbols)
{
    stacks_unwinder *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->space = unw_create_addr_space(&accessors, 0);
    u->process_upt = _UPT_create(pid);
    u->memory = calloc(1, sizeof *u->memory);
    memory = u->memory;
    if (!u->space || !u->process_upt || !u->memory || !prepare_modules(u, pid, symbols)) {
        stacks_unwinder_destroy(u);
        return NULL;
    }
    unw_set_caching_policy(u->space, UNW_CACHE_GLOBAL);
    return u;
}

void stacks_unwinder_destroy(stacks_unwinder *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n_modules; i++)
        _UPT_destroy(u->modules[i].upt);
    free(u->modules);
    if (u->space)
        unw_destroy_addr_space(u->space);
    if (u->process_upt)
        _UPT_destroy(u->process_upt);
    if (memory == u->memory)
        memory = NULL;
    free(u->memory);
    free(u);
}

void stacks_unwinder_forget_memory(stacks_unwinder *u)
{
    for (size_t i = 0; i < CACHED_PAGES; i++)
        u->memory->pages[i].valid = false;
}

static int get_unwound(void *cursor, int regno, uint64_t *value)
{
    unw_word_t v;
    int rc = unw_get_reg(cursor, regno, &v);
    *value = (uint64_t)v;
    return rc;
}

int stacks_unwind(stacks_unwinder *u, const struct user_regs_struct *regs, frame_regs *frames,
                  size_t max)
{
    frames[0] = (frame_regs){ .valid = (1u << FRAME_REG_COUNT) - 1 };
    for (int r = 0; r < FRAME_REG_COUNT; r++)
        frames[0].reg[r] = stop_register(regs, r);
    unwinding thread = { u, regs };
    unw_cursor_t cursor;
    if (max < 2 || unw_init_remote(&cursor, u->space, &thread) < 0)
        return 1;
    size_t count = 1;
    while (count < max && unw_step(&cursor) > 0 &&
           frame_regs_unwound(&frames[count], get_unwound, &cursor)) {
        if (frame_reg_known(&frames[count], DWREG_RSP))
            frames[count - 1].cfa = frames[count].reg[DWREG_RSP]; /* a frame's CFA: its caller's sp */
        count++;
    }
    return (int)count;
}
