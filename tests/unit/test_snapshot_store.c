/* Unit tests for server/snapshot_store: storing with metadata, lookup, newest-first order,
 * eviction by count and by bytes (oldest first, evict hook called), per-breakpoint counts. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "snapshot_store.h"

static cJSON *snapshot_body(int64_t bp_id, int tid, const char *thread, int64_t time_ms)
{
    char text[256];
    snprintf(text, sizeof text,
             "{\"id\":%lld,\"tid\":%d,\"thread_name\":\"%s\",\"time_ms\":%lld,\"capture_ns\":1,"
             "\"truncated\":false,\"dropped\":0,\"frames\":[]}",
             (long long)bp_id, tid, thread, (long long)time_ms);
    cJSON *body = cJSON_Parse(text);
    cr_assert_not_null(body);
    return body;
}

static const snapshot_record *add(int64_t bp_id, size_t bytes)
{
    snapshot_origin origin = { .breakpoint_id = bp_id, .session_id = 3, .probe_id = 9, .pod = "checkout-7f",
                               .pid = 4242, .source_path = "/ide/orders.c", .line = 44 };
    const snapshot_record *r = snapshot_store_add(&origin, snapshot_body(bp_id, 4243, "worker-1", 1795000000000),
                                                  bytes);
    cr_assert_not_null(r);
    return r;
}

static uint64_t evicted[16];
static size_t n_evicted;

static void remember_eviction(const snapshot_record *r)
{
    cr_assert_lt(n_evicted, 16);
    evicted[n_evicted++] = r->id;
}

Test(snapshot_store, keeps_the_body_and_its_origin)
{
    const snapshot_record *r = add(7, 300);
    cr_expect_eq(r->id, 1);
    cr_expect_eq(r->breakpoint_id, 7);
    cr_expect_eq(r->session_id, 3);
    cr_expect_eq(r->probe_id, 9);
    cr_expect_str_eq(r->pod, "checkout-7f");
    cr_expect_eq(r->pid, 4242);
    cr_expect_str_eq(r->display_name, "checkout-7f/4242");
    cr_expect_str_eq(r->source_path, "/ide/orders.c");
    cr_expect_eq(r->line, 44);
    cr_expect_eq(r->tid, 4243);
    cr_expect_str_eq(r->thread_name, "worker-1");
    cr_expect_eq(r->time_ms, 1795000000000);
    cr_expect_eq(r->sequence, 1);
    cr_expect_eq(r->bytes, 300);
    cr_expect_eq(cJSON_GetObjectItem(r->body, "id")->valueint, 7);
    cr_expect_eq(snapshot_store_find(1), r);
    cr_expect_null(snapshot_store_find(2));
    cr_expect_eq(snapshot_store_count(), 1);
    cr_expect_eq(snapshot_store_bytes(), 300);
    snapshot_store_clear();
    cr_expect_null(snapshot_store_find(1));
    cr_expect_eq(snapshot_store_count(), 0);
    cr_expect_eq(snapshot_store_bytes(), 0);
}

Test(snapshot_store, numbers_snapshots_per_breakpoint_and_lists_newest_first)
{
    add(1, 10);
    add(2, 10);
    add(1, 10);
    const snapshot_record *last = add(1, 10);
    cr_expect_eq(last->sequence, 3);
    cr_expect_eq(snapshot_store_find(2)->sequence, 1);
    uint64_t expected[] = { 4, 3, 2, 1 };
    size_t i = 0;
    for (const snapshot_record *r = snapshot_store_newest(); r; r = r->older, i++) {
        cr_assert_lt(i, 4);
        cr_expect_eq(r->id, expected[i]);
    }
    cr_expect_eq(i, 4);
    snapshot_store_clear();
}

Test(snapshot_store, evicts_the_oldest_beyond_the_count_limit)
{
    snapshot_store_configure(3, 0);
    snapshot_store_on_evict(remember_eviction);
    for (int i = 0; i < 5; i++)
        add(1, 100);
    cr_expect_eq(snapshot_store_count(), 3);
    cr_expect_eq(snapshot_store_bytes(), 300);
    cr_assert_eq(n_evicted, 2);
    cr_expect_eq(evicted[0], 1);
    cr_expect_eq(evicted[1], 2);
    cr_expect_null(snapshot_store_find(2));
    cr_expect_not_null(snapshot_store_find(3));
    cr_expect_not_null(snapshot_store_find(5));
    snapshot_store_clear();
    cr_expect_eq(n_evicted, 5, "clearing evicts (and reports) the rest");
}

Test(snapshot_store, evicts_the_oldest_beyond_the_byte_limit)
{
    snapshot_store_configure(0, 1000);
    snapshot_store_on_evict(remember_eviction);
    add(1, 400);
    add(1, 400);
    cr_expect_eq(n_evicted, 0);
    add(1, 300); /* 1100 bytes: the first goes */
    cr_assert_eq(n_evicted, 1);
    cr_expect_eq(evicted[0], 1);
    cr_expect_eq(snapshot_store_bytes(), 700);
    add(1, 2000); /* larger than the limit alone: kept, everything older goes */
    cr_expect_eq(n_evicted, 3);
    cr_expect_eq(snapshot_store_count(), 1);
    cr_expect_eq(snapshot_store_newest()->id, 4);
    cr_expect_eq(snapshot_store_bytes(), 2000);
    add(1, 10); /* and it goes first when the next one comes */
    cr_expect_eq(evicted[3], 4);
    cr_expect_eq(snapshot_store_bytes(), 10);
    snapshot_store_clear();
}

Test(snapshot_store, counts_captured_and_dropped_per_breakpoint)
{
    snapshot_store_configure(2, 0);
    cr_expect_null(snapshot_store_stats(5));
    add(5, 1);
    add(5, 1);
    add(6, 1);
    add(5, 1); /* evictions do not change the counts */
    snapshot_store_count_dropped(5, 123);
    snapshot_store_count_dropped(5, 2);
    snapshot_store_count_dropped(8, 4); /* dropped before any was captured */
    snapshot_store_count_dropped(9, 0); /* nothing dropped: no entry */
    const snapshot_bp_stats *five = snapshot_store_stats(5);
    cr_assert_not_null(five);
    cr_expect_eq(five->captured, 3);
    cr_expect_eq(five->dropped, 125);
    cr_expect_eq(snapshot_store_stats(6)->captured, 1);
    cr_expect_eq(snapshot_store_stats(6)->dropped, 0);
    cr_expect_eq(snapshot_store_stats(8)->captured, 0);
    cr_expect_eq(snapshot_store_stats(8)->dropped, 4);
    cr_expect_null(snapshot_store_stats(9));
    int64_t order[] = { 5, 6, 8 };
    size_t i = 0;
    for (const snapshot_bp_stats *st = snapshot_store_stats_first(); st; st = st->next, i++) {
        cr_assert_lt(i, 3);
        cr_expect_eq(st->breakpoint_id, order[i]);
    }
    cr_expect_eq(i, 3);
    snapshot_store_clear();
    cr_expect_null(snapshot_store_stats(5));
}

Test(snapshot_store, ids_are_never_reused)
{
    snapshot_store_configure(1, 0);
    add(1, 1);
    snapshot_store_clear();
    cr_expect_eq(add(1, 1)->id, 2);
    snapshot_store_clear();
}
