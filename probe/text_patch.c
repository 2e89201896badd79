/* Live text patching through /proc/self/mem with an mprotect RWX fallback, and membarrier
 * SYNC_CORE after every write (or once after a phase of writes) so that no core keeps running
 * stale instruction bytes; finding the mapping of an address (loaded modules' segments first,
 * /proc/self/maps for the rest). */
#include "text_patch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t patch_lock = PTHREAD_MUTEX_INITIALIZER;
static bool sync_core_registered;
static int mem_fd = -1;
static pid_t mem_fd_pid; /* after fork, an inherited fd would still write the parent */

void text_patch_init(void)
{
    pthread_mutex_lock(&patch_lock);
    if (!sync_core_registered)
        sync_core_registered =
            syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) == 0;
    pthread_mutex_unlock(&patch_lock);
}

static void sync_cores(void)
{
    if (sync_core_registered)
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
}

/* Called with patch_lock held. */
static int own_mem_fd(void)
{
    pid_t pid = getpid();
    if (mem_fd >= 0 && mem_fd_pid != pid) {
        close(mem_fd);
        mem_fd = -1;
    }
    if (mem_fd < 0) {
        mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
        mem_fd_pid = pid;
    }
    return mem_fd;
}

static int protection_of(const char *perms)
{
    return (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
           (perms[2] == 'x' ? PROT_EXEC : 0);
}

/* Makes the pages RWX (never RW: other threads may be running them), copies, restores. */
static int write_through_mprotect(uintptr_t addr, const void *bytes, size_t len, char *err,
                                  size_t err_len)
{
    text_mapping m;
    if (text_mapping_find(addr, &m) < 0 || addr + len > m.end) {
        snprintf(err, err_len, "cannot patch 0x%" PRIxPTR ": not inside one mapping", addr);
        return -1;
    }
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t first = addr & ~(page - 1);
    size_t span = ((addr + len + page - 1) & ~(page - 1)) - first;
    if (mprotect((void *)first, span, PROT_READ | PROT_WRITE | PROT_EXEC) < 0) {
        snprintf(err, err_len, "cannot patch 0x%" PRIxPTR ": /proc/self/mem refused and mprotect "
                 "RWX failed: %s", addr, strerror(errno));
        return -1;
    }
    memcpy((void *)addr, bytes, len);
    mprotect((void *)first, span, protection_of(m.perms));
    return 0;
}

/* Called with patch_lock held. */
static int write_locked(uintptr_t addr, const void *bytes, size_t len, char *err, size_t err_len)
{
    int fd = own_mem_fd();
    if (fd >= 0 && pwrite(fd, bytes, len, (off_t)addr) == (ssize_t)len)
        return 0;
    return write_through_mprotect(addr, bytes, len, err, err_len);
}

int text_patch_write(uintptr_t addr, const void *bytes, size_t len, char *err, size_t err_len)
{
    pthread_mutex_lock(&patch_lock);
    int rc = write_locked(addr, bytes, len, err, err_len);
    if (rc == 0)
        sync_cores();
    pthread_mutex_unlock(&patch_lock);
    return rc;
}

int text_patch_write_unsynced(uintptr_t addr, const void *bytes, size_t len, char *err,
                              size_t err_len)
{
    pthread_mutex_lock(&patch_lock);
    int rc = write_locked(addr, bytes, len, err, err_len);
    pthread_mutex_unlock(&patch_lock);
    return rc;
}

void text_patch_sync(void)
{
    sync_cores();
}

typedef struct segment_search {
    uintptr_t addr;
    text_mapping *out;
    bool found;
} segment_search;

/* The loaded segment (PT_LOAD, page-rounded as mapped) of a module that holds search->addr. */
static int find_in_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    segment_search *search = data;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
        if (search->addr < start || search->addr >= end)
            continue;
        text_mapping *out = search->out;
        out->start = start;
        out->end = end;
        snprintf(out->perms, sizeof out->perms, "%c%c%cp", ph->p_flags & PF_R ? 'r' : '-',
                 ph->p_flags & PF_W ? 'w' : '-', ph->p_flags & PF_X ? 'x' : '-');
        snprintf(out->path, sizeof out->path, "%s", info->dlpi_name);
        search->found = true;
        return 1;
    }
    return 0;
}

/* Memory no module maps (generated code, say): the kernel's list of mappings. */
static int find_in_proc_maps(uintptr_t addr, text_mapping *out)
{
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps)
        return -1;
    char line[PATH_MAX + 128];
    int rc = -1;
    while (rc < 0 && fgets(line, sizeof line, maps)) {
        uintptr_t start, end;
        int path_at = 0;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s %*s %*s %*s %n", &start, &end, out->perms,
                   &path_at) < 3 || addr < start || addr >= end)
            continue;
        out->start = start;
        out->end = end;
        snprintf(out->path, sizeof out->path, "%s", path_at > 0 ? line + path_at : "");
        out->path[strcspn(out->path, "\n")] = '\0';
        rc = 0;
    }
    fclose(maps);
    return rc;
}

int text_mapping_find(uintptr_t addr, text_mapping *out)
{
    segment_search search = { addr, out, false };
    dl_iterate_phdr(find_in_module, &search);
    return search.found ? 0 : find_in_proc_maps(addr, out);
}
