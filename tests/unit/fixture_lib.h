/* Unit-test helper: a fixture shared library compiled at run time from a source file beside the
 * tests (each build in its own temporary directory, so each has its own source path), dlopen'ed. */
#ifndef PODBUG_TEST_FIXTURE_LIB_H
#define PODBUG_TEST_FIXTURE_LIB_H

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "symbols.h"

typedef struct fixture {
    const char *name;     /* its directory, so that every build has its own source path */
    const char *compile;  /* compiler and flags, e.g. "cc -g -O2" */
    const char *source_as; /* the name the source is compiled under; NULL: its own */
    char dir[512];
    char source[600];
    char library[600];
    void *handle;
} fixture;

static char fixture_root[256];

/* The path of source_name in tests/unit/, found through this file's own line table. */
static void fixture_source_path(const char *source_name, char *out, size_t len)
{
    sym_index *idx = sym_index_create();
    cr_assert_not_null(idx);
    sym_info info;
    cr_assert(sym_lookup(idx, (uintptr_t)fixture_source_path, false, &info) && info.file);
    const char *slash = strrchr(info.file, '/');
    snprintf(out, len, "%.*s/%s", (int)(slash - info.file), info.file, source_name);
    sym_index_destroy(idx);
}

/* Copies source_name (below tests/unit/) into a fresh directory (as f->source_as when set: a
 * source in a subdirectory needs it), compiles it with f->compile into library_name, and
 * dlopens it. */
static void fixture_build(fixture *f, const char *source_name, const char *library_name)
{
    if (!fixture_root[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fixture_root, sizeof fixture_root, "%s/podbug-fixture-XXXXXX", tmp ? tmp : "/tmp");
        cr_assert_not_null(mkdtemp(fixture_root), "mkdtemp %s", fixture_root);
    }
    char original[512], command[4096];
    fixture_source_path(source_name, original, sizeof original);
    snprintf(f->dir, sizeof f->dir, "%s/%s", fixture_root, f->name);
    snprintf(f->source, sizeof f->source, "%s/%s", f->dir,
             f->source_as ? f->source_as : source_name);
    snprintf(f->library, sizeof f->library, "%s/%s", f->dir, library_name);
    cr_assert_eq(mkdir(f->dir, 0700), 0, "mkdir %s", f->dir);
    snprintf(command, sizeof command, "cp '%s' '%s' && %s -shared -fPIC -o '%s' '%s'", original, f->source,
             f->compile, f->library, f->source);
    cr_assert_eq(system(command), 0, "fixture build failed: %s", command);
    f->handle = dlopen(f->library, RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(f->handle, "dlopen: %s", dlerror());
}

/* Unloads the fixture and removes its files (and the root once it is empty). */
static void fixture_remove(fixture *f)
{
    if (f->handle)
        dlclose(f->handle);
    f->handle = NULL;
    if (f->dir[0]) {
        unlink(f->library);
        unlink(f->source);
        rmdir(f->dir);
    }
    if (fixture_root[0])
        rmdir(fixture_root); /* fails harmlessly while other fixtures remain */
}

#endif
