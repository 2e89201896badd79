/* A fetched snapshot (snapshot_fetch.h) as text for people: a header line, then each frame with
 * its variables indented, nested values inline when they fit in a line, else one per line. */
#ifndef PODBUG_CLI_SNAPSHOT_TEXT_H
#define PODBUG_CLI_SNAPSHOT_TEXT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#define SNAPSHOT_TEXT_WIDTH 100 /* a variable whose line would be longer is shown one member per line */

/* snapshot 1 of bp 3  checkout-7f/4242 worker-1  2026-11-22 10:00:01.123
 * #0 handle_order (orders.c:44)
 *     o = 0x4052a0 -> {id = 7, amount = 300, user = 0x4052c0 "bob", items = {1, 2, 3}}
 *     subtotal = 306
 * #1 main (orders.c:70)
 *     ...                                                                       (blank line after) */
void snapshot_text_print(FILE *out, const cJSON *snapshot);

#endif
