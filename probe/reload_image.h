/* A rebuilt library as a reload request carries it: base64 decoded and checked against its SHA-256,
 * written to an in-memory file and dlopen'ed from there (the memfd stays open while it is loaded). */
#ifndef PODBUG_RELOAD_IMAGE_H
#define PODBUG_RELOAD_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "reload_elf.h"

typedef struct reload_image {
    uint8_t *bytes;           /* the library file (owned) */
    size_t size;
    reload_elf elf;           /* over bytes */
    const char *soname;       /* DT_SONAME in bytes, NULL when absent */
    int fd;                   /* the memfd; -1 before reload_image_load */
    char path[32];            /* "/proc/self/fd/N": how dlopen and the symbol index know it */
    void *handle;             /* dlopen's */
    uintptr_t bias;           /* runtime address minus link-time address */
    uintptr_t low, high;      /* runtime span of its loaded segments */
} reload_image;

/* Decodes base64 (at most RELOAD_MAX_LIBRARY bytes decoded), checks that its SHA-256 is sha256_hex
 * and that it is an x86-64 shared library. Returns 0 (fd -1, nothing loaded), or -1 with err
 * ("checksum mismatch: ...", "library: not valid base64") and out empty. */
int reload_image_decode(const char *base64, const char *sha256_hex, reload_image *out, char *err, size_t err_len);

/* Writes the bytes to a memfd named name and dlopens it with RTLD_NOW | RTLD_LOCAL (its
 * constructors run). Returns 0, or -1 with err ("cannot load the library: undefined symbol: foo"). */
int reload_image_load(reload_image *img, const char *name, char *err, size_t err_len);

/* Unloads a library that is not kept (dlclose, close the memfd) and frees the bytes. Safe on an
 * empty or only decoded image. */
void reload_image_discard(reload_image *img);

#endif
