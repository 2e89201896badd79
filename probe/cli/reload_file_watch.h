/* Noticing that a library was rebuilt, for `podbug reload --watch`: inotify on its directory (a
 * build often writes a new file and renames it into place), then a quiet period. */
#ifndef PODBUG_CLI_RELOAD_FILE_WATCH_H
#define PODBUG_CLI_RELOAD_FILE_WATCH_H

#include <limits.h>
#include <stddef.h>

typedef struct reload_file_watch {
    int fd;                    /* inotify */
    char name[NAME_MAX + 1];   /* the file's name in its directory */
} reload_file_watch;

/* Watches path's directory for path being written (IN_CLOSE_WRITE) or renamed into place
 * (IN_MOVED_TO). Returns 0, or -1 with err ("cannot watch DIR: No such file or directory"). */
int reload_file_watch_open(reload_file_watch *w, const char *path, char *err, size_t err_len);
void reload_file_watch_close(reload_file_watch *w);

/* Waits up to wait_ms for the file to change; once it has, until it has been quiet for quiet_ms.
 * Returns 1 when it changed, 0 when it did not (or a signal came), -1 with err when inotify fails. */
int reload_file_watch_changed(reload_file_watch *w, int wait_ms, int quiet_ms, char *err, size_t err_len);

#endif
