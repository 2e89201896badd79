/* The memory map of another process (/proc/N/maps): its mappings, and how to open the file behind
 * one from here even when the process lives in another mount namespace (a container). */
#ifndef PODBUG_PROCESS_MAPS_H
#define PODBUG_PROCESS_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct process_mapping {
    uintptr_t start, end;    /* [start, end) */
    uint64_t offset;         /* in the file */
    char perms[5];           /* "r-xp" */
    uint64_t inode;          /* 0: no file */
    char *path;              /* as the process sees it, " (deleted)" removed; "" when none,
                              * "[stack]", "[vdso]"... for special ones */
    bool deleted;            /* the file was deleted or replaced since it was mapped */
} process_mapping;

typedef struct process_maps {
    pid_t pid;
    process_mapping *mappings; /* by address */
    size_t count;
    bool own_root;           /* the process has our root directory (not in a container) */
} process_maps;

/* Reads the map of process pid. Returns 0, or -1 with err: "process 4242 does not exist",
 * "no permission to read the memory of process 4242: run as root or with CAP_SYS_PTRACE". */
int process_maps_read(pid_t pid, process_maps *out, char *err, size_t err_len);
void process_maps_free(process_maps *maps);

/* True for a mapping of a regular file (not anonymous, not [stack], [vdso], ...). */
bool process_mapping_has_file(const process_mapping *m);

/* A path from which we can open the file of mapping m (which has a file): its own path when the
 * process shares our root, /proc/N/root/<path> when it is in a container, and
 * /proc/N/map_files/<start>-<end> when the file was deleted. Returns false when it does not fit. */
bool process_mapping_open_path(const process_maps *maps, const process_mapping *m, char *out,
                               size_t out_len);

#endif
