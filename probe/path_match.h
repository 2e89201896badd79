/* Source path handling for the symbol index: lexical normalisation of line-table paths and
 * matching a user's path against them by the longest suffix of whole path components. */
#ifndef PODBUG_PATH_MATCH_H
#define PODBUG_PATH_MATCH_H

#include <stddef.h>

/* Normalises path in place without touching the file system: collapses repeated '/', drops
 * "." components and resolves "name/.." pairs ("/a/./b/../c" -> "/a/c", "a/.." -> "."). */
void path_normalize(char *path);

/* The last component of path ("/a/b/w.c" -> "w.c"); a pointer into path. */
const char *path_base_name(const char *path);

/* How many trailing whole components `candidate` and `query` (both normalised) share:
 * 0 when their base names differ, so 0 means "no match". The root of two absolute paths that
 * are equal counts as one more component, so an exact absolute path beats any suffix of it:
 * ("/b/src/w.c", "w.c") -> 1, ("/b/src/w.c", "src/w.c") -> 2, ("/b/src/w.c", "/b/src/w.c") -> 4,
 * ("/x/b/src/w.c", "/b/src/w.c") -> 3, ("/b/src/w.c", "old.c") -> 0. */
size_t path_suffix_match(const char *candidate, const char *query);

#endif
