/* A reload request's library: decoding (OpenSSL's base64 and SHA-256), the memfd it is loaded
 * from and the dlopen (see reload_image.h). Agent thread. */
#include "reload_image.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>
#include "probe_msg.h"

#define SHA256_HEX_LEN 64

/* Strict base64 (RFC 4648, padded, no line breaks): the decoded bytes, or -1. */
static int decode_base64(const char *text, reload_image *out, char *err, size_t err_len)
{
    size_t len = strlen(text);
    size_t padding = len >= 2 && text[len - 1] == '=' ? (text[len - 2] == '=' ? 2 : 1) : 0;
    if (len == 0 || len % 4 != 0) {
        snprintf(err, err_len, len ? "library: not valid base64" : "library: the library is empty");
        return -1;
    }
    size_t decoded = len / 4 * 3 - padding;
    if (decoded > RELOAD_MAX_LIBRARY) {
        snprintf(err, err_len, "library: %zu bytes exceed the limit of %u", decoded, RELOAD_MAX_LIBRARY);
        return -1;
    }
    if (!(out->bytes = malloc(len / 4 * 3))) {
        snprintf(err, err_len, "out of memory for a library of %zu bytes", decoded);
        return -1;
    }
    /* EVP_DecodeBlock writes the padding's zero bytes too: they are not the library's. */
    if (EVP_DecodeBlock(out->bytes, (const unsigned char *)text, (int)len) != (int)(len / 4 * 3)) {
        snprintf(err, err_len, "library: not valid base64");
        return -1;
    }
    out->size = decoded;
    return 0;
}

static int check_sha256(const reload_image *img, const char *expected, char *err, size_t err_len)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    char actual[SHA256_HEX_LEN + 1] = "";
    if (!EVP_Digest(img->bytes, img->size, digest, &digest_len, EVP_sha256(), NULL) || digest_len != 32) {
        snprintf(err, err_len, "cannot compute the SHA-256 of the library");
        return -1;
    }
    for (unsigned int i = 0; i < digest_len; i++)
        snprintf(actual + 2 * i, 3, "%02x", digest[i]);
    if (strlen(expected) != SHA256_HEX_LEN || strcasecmp(actual, expected) != 0) {
        snprintf(err, err_len, "checksum mismatch: the library's SHA-256 is %s, the request says %.64s", actual,
                 expected);
        return -1;
    }
    return 0;
}

int reload_image_decode(const char *base64, const char *sha256_hex, reload_image *out, char *err, size_t err_len)
{
    *out = (reload_image){ .fd = -1 };
    reload_elf_dynamic dynamic;
    if (decode_base64(base64, out, err, err_len) != 0 || check_sha256(out, sha256_hex, err, err_len) != 0 ||
        reload_elf_parse(&out->elf, out->bytes, out->size, err, err_len) != 0 ||
        reload_elf_dynamic_read(&out->elf, &dynamic, err, err_len) != 0) {
        reload_image_discard(out);
        return -1;
    }
    out->soname = dynamic.soname;
    return 0;
}

static int write_all(int fd, const uint8_t *bytes, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, bytes, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        bytes += n;
        size -= (size_t)n;
    }
    return 0;
}

/* dlerror() names the file first ("/proc/self/fd/7: undefined symbol: foo"): the user knows it
 * by another name, so only the reason is kept. */
static const char *dlerror_reason(const reload_image *img)
{
    const char *text = dlerror();
    size_t path_len = strlen(img->path);
    if (!text)
        return "unknown dlopen error";
    if (strncmp(text, img->path, path_len) == 0 && strncmp(text + path_len, ": ", 2) == 0)
        return text + path_len + 2;
    return text;
}

int reload_image_load(reload_image *img, const char *name, char *err, size_t err_len)
{
    img->fd = memfd_create(name, MFD_CLOEXEC);
    if (img->fd < 0 || write_all(img->fd, img->bytes, img->size) != 0) {
        snprintf(err, err_len, "cannot write the library to an in-memory file: %s", strerror(errno));
        return -1;
    }
    snprintf(img->path, sizeof img->path, "/proc/self/fd/%d", img->fd);
    img->handle = dlopen(img->path, RTLD_NOW | RTLD_LOCAL);
    if (!img->handle) {
        snprintf(err, err_len, "cannot load the library: %s", dlerror_reason(img));
        return -1;
    }
    struct link_map *map = NULL;
    if (dlinfo(img->handle, RTLD_DI_LINKMAP, &map) != 0 || !map) {
        snprintf(err, err_len, "cannot load the library: %s", dlerror_reason(img));
        return -1;
    }
    uint64_t low, high;
    reload_elf_span(&img->elf, &low, &high);
    img->bias = map->l_addr;
    img->low = img->bias + low;
    img->high = img->bias + high;
    return 0;
}

void reload_image_discard(reload_image *img)
{
    if (img->handle)
        dlclose(img->handle);
    if (img->fd >= 0)
        close(img->fd);
    free(img->bytes);
    *img = (reload_image){ .fd = -1 };
}
