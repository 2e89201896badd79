/* Reads /proc/N/maps of another process into mappings (see process_maps.h), and finds a path to
 * open each mapped file from here: the process's root (/proc/N/root) or /proc/N/map_files. */
#include "process_maps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DELETED_SUFFIX " (deleted)"

/* Why /proc/N/<what> could not be opened, in words a user can act on. */
static void explain_open_failure(pid_t pid, int error, char *err, size_t err_len)
{
    if (error == ENOENT || error == ESRCH)
        snprintf(err, err_len, "process %d does not exist", (int)pid);
    else if (error == EACCES || error == EPERM)
        snprintf(err, err_len, "no permission to read the memory of process %d: run as root or "
                 "with CAP_SYS_PTRACE", (int)pid);
    else
        snprintf(err, err_len, "cannot read the memory map of process %d: %s", (int)pid,
                 strerror(error));
}

/* Whether process pid has the same root directory as we do. */
static bool shares_our_root(pid_t pid)
{
    char path[64];
    struct stat theirs, ours;
    snprintf(path, sizeof path, "/proc/%d/root", (int)pid);
    return stat(path, &theirs) == 0 && stat("/", &ours) == 0 && theirs.st_dev == ours.st_dev &&
           theirs.st_ino == ours.st_ino;
}

/* Parses one line of the map; false when it is not one. */
static bool parse_line(char *line, process_mapping *m)
{
    unsigned long long start, end, offset, inode;
    int path_at = 0;
    *m = (process_mapping){ 0 };
    if (sscanf(line, "%llx-%llx %4s %llx %*x:%*x %llu %n", &start, &end, m->perms, &offset, &inode,
               &path_at) != 5)
        return false;
    char *path = line + path_at;
    path[strcspn(path, "\n")] = '\0';
    size_t len = strlen(path), suffix = strlen(DELETED_SUFFIX);
    if (len > suffix && strcmp(path + len - suffix, DELETED_SUFFIX) == 0) {
        path[len - suffix] = '\0';
        m->deleted = true;
    }
    m->start = (uintptr_t)start;
    m->end = (uintptr_t)end;
    m->offset = offset;
    m->inode = inode;
    m->path = strdup(path);
    return m->path != NULL;
}

int process_maps_read(pid_t pid, process_maps *out, char *err, size_t err_len)
{
    *out = (process_maps){ .pid = pid };
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) {
        explain_open_failure(pid, errno, err, err_len);
        return -1;
    }
    char *line = NULL;
    size_t line_len = 0, capacity = 0;
    bool failed = false;
    while (!failed && getline(&line, &line_len, f) > 0) {
        if (out->count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            process_mapping *grown = realloc(out->mappings, capacity * sizeof *grown);
            if (!grown) {
                failed = true;
                break;
            }
            out->mappings = grown;
        }
        if (parse_line(line, &out->mappings[out->count]))
            out->count++;
    }
    /* A read refused after the open (the process changed its credentials) ends the file early. */
    int read_error = ferror(f) ? errno : 0;
    free(line);
    fclose(f);
    if (failed || read_error || out->count == 0) {
        if (failed)
            snprintf(err, err_len, "out of memory");
        else
            explain_open_failure(pid, read_error ? read_error : ESRCH, err, err_len);
        process_maps_free(out);
        return -1;
    }
    out->own_root = shares_our_root(pid);
    return 0;
}

void process_maps_free(process_maps *maps)
{
    for (size_t i = 0; i < maps->count; i++)
        free(maps->mappings[i].path);
    free(maps->mappings);
    *maps = (process_maps){ 0 };
}

bool process_mapping_has_file(const process_mapping *m)
{
    return m->inode != 0 && m->path[0] == '/';
}

bool process_mapping_open_path(const process_maps *maps, const process_mapping *m, char *out,
                               size_t out_len)
{
    int n;
    if (m->deleted)
        n = snprintf(out, out_len, "/proc/%d/map_files/%lx-%lx", (int)maps->pid,
                     (unsigned long)m->start, (unsigned long)m->end);
    else if (maps->own_root)
        n = snprintf(out, out_len, "%s", m->path);
    else
        n = snprintf(out, out_len, "/proc/%d/root%s", (int)maps->pid, m->path);
    return n > 0 && (size_t)n < out_len;
}
