/* Files shipped beside the server's own binary: their paths from /proc/self/exe's directory
 * (see beside_server.h). */
#include "beside_server.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

bool beside_server(const char *name, int mode, char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    int w = snprintf(out, len, "%s/%s", n > 0 ? dirname(exe) : ".", name);
    return w > 0 && (size_t)w < len && access(out, mode) == 0;
}
