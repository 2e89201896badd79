/* Unit tests for server/reloads: reload ids, the bound of RELOADS_KEPT, which reload runs in which
 * process after reloads and rollbacks, and rollbacks in flight. */
#include <criterion/criterion.h>
#include <string.h>

#include "reloads.h"

/* A registered probe of "<pod>/<pid>" started at start_ms (only what reloads.c reads). */
static probe_peer peer(const char *pod, int pid, int64_t start_ms)
{
    probe_peer p;
    memset(&p, 0, sizeof p);
    p.registered = true;
    p.hello.pod = (char *)pod;
    p.hello.pid = pid;
    p.hello.start_time_ms = start_ms;
    return p;
}

static reload_process process(const char *pod, int pid, int64_t start_ms)
{
    probe_peer p = peer(pod, pid, start_ms);
    return reload_process_of(&p);
}

Test(reloads, ids_grow_and_records_keep_name_and_session)
{
    const reload_record *a = reloads_begin("libhandlers.so", 7);
    const reload_record *b = reloads_begin("libother.so", 8);
    cr_assert(a && b);
    cr_expect_eq(a->id, 1);
    cr_expect_eq(b->id, 2);
    cr_expect_eq(reloads_find(1), a);
    cr_expect_str_eq(reloads_find(2)->name, "libother.so");
    cr_expect_eq(reloads_find(2)->session_id, 8);
    cr_expect_null(reloads_find(3));
    reloads_clear();
    cr_expect_null(reloads_find(1));
    cr_expect_eq(reloads_begin("x.so", 1)->id, 3, "ids are never reused");
    reloads_clear();
}

Test(reloads, keeps_only_the_newest)
{
    for (int i = 0; i < RELOADS_KEPT + 6; i++)
        cr_assert_not_null(reloads_begin("libhandlers.so", 1));
    for (int64_t id = 1; id <= 6; id++)
        cr_expect_null(reloads_find(id), "reload %lld should be forgotten", (long long)id);
    for (int64_t id = 7; id <= RELOADS_KEPT + 6; id++)
        cr_expect_not_null(reloads_find(id), "reload %lld should be kept", (long long)id);
    cr_expect_eq(reloads_applied(1, &(reload_process){ "a/1", 0 }, "/app/libhandlers.so", 1), -1);
    reloads_clear();
}

Test(reloads, a_process_is_its_name_and_start_time)
{
    probe_peer p = peer("pod-a", 123, 1000);
    reload_process proc = reload_process_of(&p);
    cr_expect_str_eq(proc.name, "pod-a/123");
    cr_expect(reload_process_is(&proc, &p));
    probe_peer restarted = peer("pod-a", 123, 2000);
    cr_expect_not(reload_process_is(&proc, &restarted), "the same pid in a new process is another process");
    p.registered = false;
    cr_expect_not(reload_process_is(&proc, &p));
}

Test(reloads, the_latest_generation_of_a_module_runs)
{
    reload_process a = process("pod-a", 1, 5), b = process("pod-b", 2, 5);
    int64_t first = reloads_begin("libhandlers.so", 1)->id;
    int64_t second = reloads_begin("libhandlers.so", 1)->id;
    int64_t other = reloads_begin("libother.so", 1)->id;
    cr_assert_eq(reloads_applied(first, &a, "/app/libhandlers.so", 1), 0);
    cr_assert_eq(reloads_applied(first, &b, "/app/libhandlers.so", 1), 0);
    cr_assert_eq(reloads_applied(other, &a, "/app/libother.so", 1), 0);
    cr_expect(reloads_running_in(first, &a));
    cr_expect_not(reloads_running_in(second, &a), "not applied there");

    cr_assert_eq(reloads_applied(second, &a, "/app/libhandlers.so", 2), 0);
    cr_expect_not(reloads_running_in(first, &a), "superseded by a later generation");
    cr_expect(reloads_running_in(second, &a));
    cr_expect(reloads_running_in(first, &b), "another process is not concerned");
    cr_expect(reloads_running_in(other, &a), "another module is not concerned");

    reloads_rolled_back(&a, "/app/libhandlers.so", 1);
    cr_expect_not(reloads_running_in(second, &a), "rolled back");
    cr_expect(reloads_running_in(first, &a), "the previous generation runs again");
    cr_expect(reloads_running_in(other, &a));

    reloads_rolled_back(&a, "/app/libhandlers.so", 0);
    cr_expect_not(reloads_running_in(first, &a), "back to the original code");
    cr_expect(reloads_running_in(first, &b));
    reloads_clear();
}

Test(reloads, a_rollback_in_flight_hides_the_reload)
{
    reload_process a = process("pod-a", 1, 5);
    int64_t id = reloads_begin("libhandlers.so", 1)->id;
    cr_assert_eq(reloads_applied(id, &a, "/app/libhandlers.so", 1), 0);
    reloads_set_undoing(id, &a, true);
    cr_expect_not(reloads_running_in(id, &a));
    reloads_set_undoing(id, &a, false);
    cr_expect(reloads_running_in(id, &a), "the rollback failed: it still runs");
    reloads_clear();
}
