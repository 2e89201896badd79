/* inotify for `podbug reload --watch` (see reload_file_watch.h): the directory's events filtered by
 * the file's name; "quiet" means no event of that name for quiet_ms. */
#include "reload_file_watch.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

int reload_file_watch_open(reload_file_watch *w, const char *path, char *err, size_t err_len)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    char dir[PATH_MAX];
    if (!name[0] || strlen(name) >= sizeof w->name || (slash && (size_t)(slash - path) >= sizeof dir)) {
        snprintf(err, err_len, "'%s' does not name a file", path);
        return -1;
    }
    snprintf(w->name, sizeof w->name, "%s", name);
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, ".");
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0 || inotify_add_watch(w->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
        snprintf(err, err_len, "cannot watch %s: %s", dir, strerror(errno));
        if (w->fd >= 0)
            close(w->fd);
        w->fd = -1;
        return -1;
    }
    return 0;
}

void reload_file_watch_close(reload_file_watch *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

enum { NO_EVENT = 0, OTHER_FILE = 1, OUR_FILE = 2 };

/* Reads every pending event: OUR_FILE when one was about the file, else OTHER_FILE; -1 on error. */
static int drain(reload_file_watch *w)
{
    int seen = OTHER_FILE;
    for (;;) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n = read(w->fd, buf, sizeof buf);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? seen : -1;
        for (char *at = buf; at < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)at;
            if (e->len > 0 && strcmp(e->name, w->name) == 0)
                seen = OUR_FILE;
            at += sizeof *e + e->len;
        }
    }
}

/* What came within ms: NO_EVENT (also when a signal came), OTHER_FILE, OUR_FILE; -1 on error. */
static int wait_for_event(reload_file_watch *w, int ms)
{
    struct pollfd p = { .fd = w->fd, .events = POLLIN };
    int ready = poll(&p, 1, ms);
    if (ready < 0)
        return errno == EINTR ? NO_EVENT : -1;
    return ready == 0 ? NO_EVENT : drain(w);
}

int reload_file_watch_changed(reload_file_watch *w, int wait_ms, int quiet_ms, char *err, size_t err_len)
{
    int got = wait_for_event(w, wait_ms);
    bool changed = got == OUR_FILE;
    while (changed && got > NO_EVENT) /* a build writes more: wait until the directory is quiet */
        got = wait_for_event(w, quiet_ms);
    if (got < 0) {
        snprintf(err, err_len, "watching %s failed: %s", w->name, strerror(errno));
        return -1;
    }
    return changed;
}
