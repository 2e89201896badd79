/* Files shipped beside the server's own binary in build/: the podbug CLI (which injects probes)
 * and libpodbug-probe.so (which launched programs preload). */
#ifndef PODBUG_BESIDE_SERVER_H
#define PODBUG_BESIDE_SERVER_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the path of file `name` in the server binary's directory to out. False when it does not
 * fit or access(path, mode) fails (mode: R_OK, X_OK); out still holds the path for messages. */
bool beside_server(const char *name, int mode, char *out, size_t len);

#endif
