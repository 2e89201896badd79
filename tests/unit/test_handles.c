/* Unit tests for server/handles: DAP thread ids stable per (probe, tid), frame ids unique, and
 * forgetting frames or a whole probe. Each test uses its own probe ids, so order never matters. */
#include <criterion/criterion.h>

#include "handles.h"

static void expect_thread(int thread_id, uint64_t probe_id, int tid)
{
    uint64_t got_probe = 0;
    int got_tid = 0;
    cr_assert(handles_thread(thread_id, &got_probe, &got_tid), "thread id %d does not resolve", thread_id);
    cr_expect_eq(got_probe, probe_id, "thread id %d", thread_id);
    cr_expect_eq(got_tid, tid, "thread id %d", thread_id);
}

static void expect_frame(int frame_id, uint64_t probe_id, int tid, int index)
{
    uint64_t got_probe = 0;
    int got_tid = 0, got_index = -1;
    cr_assert(handles_frame(frame_id, &got_probe, &got_tid, &got_index), "frame id %d does not resolve", frame_id);
    cr_expect_eq(got_probe, probe_id, "frame id %d", frame_id);
    cr_expect_eq(got_tid, tid, "frame id %d", frame_id);
    cr_expect_eq(got_index, index, "frame id %d", frame_id);
}

static bool thread_resolves(int thread_id)
{
    uint64_t probe_id;
    int tid;
    return handles_thread(thread_id, &probe_id, &tid);
}

static bool frame_resolves(int frame_id)
{
    uint64_t probe_id;
    int tid, index;
    return handles_frame(frame_id, &probe_id, &tid, &index);
}

Test(handles, thread_id_is_stable_for_a_thread)
{
    int id = handles_thread_id(101, 7);
    cr_assert_gt(id, 0);
    cr_expect_eq(handles_thread_id(101, 7), id);
    handles_thread_id(101, 8);
    cr_expect_eq(handles_thread_id(101, 7), id);
    expect_thread(id, 101, 7);
}

Test(handles, thread_ids_are_distinct_across_threads_and_probes)
{
    int a = handles_thread_id(201, 10);
    int b = handles_thread_id(201, 11);
    int c = handles_thread_id(202, 10);
    cr_assert(a > 0 && b > 0 && c > 0);
    cr_expect_neq(a, b);
    cr_expect_neq(a, c);
    cr_expect_neq(b, c);
    expect_thread(a, 201, 10);
    expect_thread(b, 201, 11);
    expect_thread(c, 202, 10);
}

Test(handles, unknown_ids_do_not_resolve)
{
    int id = handles_thread_id(301, 1);
    int frame = handles_frame_id(301, 1, 0);
    cr_expect_not(thread_resolves(0));
    cr_expect_not(thread_resolves(-1));
    cr_expect_not(thread_resolves(id + 1000));
    cr_expect_not(frame_resolves(0));
    cr_expect_not(frame_resolves(-1));
    cr_expect_not(frame_resolves(frame + 1000));
}

Test(handles, frame_ids_are_unique_and_resolvable)
{
    enum { N = 20 };
    int ids[N];
    for (int i = 0; i < N; i++) {
        ids[i] = handles_frame_id(401, 5 + i % 2, i);
        cr_assert_gt(ids[i], 0);
        for (int j = 0; j < i; j++)
            cr_expect_neq(ids[i], ids[j], "frames %d and %d share id %d", i, j, ids[i]);
    }
    for (int i = 0; i < N; i++)
        expect_frame(ids[i], 401, 5 + i % 2, i);
    /* The same frame asked twice gets a new id; both resolve. */
    int again = handles_frame_id(401, 5, 0);
    cr_expect_neq(again, ids[0]);
    expect_frame(again, 401, 5, 0);
    expect_frame(ids[0], 401, 5, 0);
}

Test(handles, forget_frames_keeps_threads_and_other_probes)
{
    int thread = handles_thread_id(501, 3);
    int frame = handles_frame_id(501, 3, 0);
    int other_thread = handles_thread_id(502, 3);
    int other_frame = handles_frame_id(502, 3, 1);

    handles_forget_frames(501);
    cr_expect_not(frame_resolves(frame));
    expect_thread(thread, 501, 3);
    cr_expect_eq(handles_thread_id(501, 3), thread);
    expect_thread(other_thread, 502, 3);
    expect_frame(other_frame, 502, 3, 1);

    int fresh = handles_frame_id(501, 3, 0);
    cr_expect_neq(fresh, frame);
    expect_frame(fresh, 501, 3, 0);
}

Test(handles, forget_probe_drops_only_that_probe)
{
    int thread = handles_thread_id(601, 9);
    int frame = handles_frame_id(601, 9, 2);
    int other_thread = handles_thread_id(602, 9);
    int other_frame = handles_frame_id(602, 9, 2);

    handles_forget_probe(601);
    cr_expect_not(thread_resolves(thread));
    cr_expect_not(frame_resolves(frame));
    expect_thread(other_thread, 602, 9);
    expect_frame(other_frame, 602, 9, 2);
    cr_expect_eq(handles_thread_id(602, 9), other_thread);
}

Test(handles, forgetting_an_unknown_probe_changes_nothing)
{
    int thread = handles_thread_id(701, 1);
    int frame = handles_frame_id(701, 1, 0);
    handles_forget_probe(799);
    handles_forget_frames(799);
    expect_thread(thread, 701, 1);
    expect_frame(frame, 701, 1, 0);
}

Test(handles, reused_slots_never_revive_forgotten_ids)
{
    int old_thread = handles_thread_id(801, 4);
    int old_frames[3];
    for (int i = 0; i < 3; i++)
        old_frames[i] = handles_frame_id(801, 4, i);
    handles_forget_probe(801);

    /* The same thread coming back, and another probe, take the freed slots with new ids. */
    int new_thread = handles_thread_id(801, 4);
    int other_thread = handles_thread_id(802, 4);
    cr_expect_neq(new_thread, old_thread);
    cr_expect_neq(other_thread, old_thread);
    cr_expect_not(thread_resolves(old_thread));
    expect_thread(new_thread, 801, 4);
    expect_thread(other_thread, 802, 4);

    for (int i = 0; i < 3; i++) {
        int fresh = handles_frame_id(802, 4, i);
        for (int j = 0; j < 3; j++)
            cr_expect_neq(fresh, old_frames[j]);
        expect_frame(fresh, 802, 4, i);
    }
    for (int i = 0; i < 3; i++)
        cr_expect_not(frame_resolves(old_frames[i]), "forgotten frame id %d resolves", old_frames[i]);
}

Test(handles, tables_grow_past_their_first_allocation)
{
    enum { N = 300 };
    int ids[N];
    for (int i = 0; i < N; i++)
        ids[i] = handles_thread_id(901, 1000 + i);
    for (int i = 0; i < N; i++) {
        cr_assert_gt(ids[i], 0);
        expect_thread(ids[i], 901, 1000 + i);
        cr_expect_eq(handles_thread_id(901, 1000 + i), ids[i]);
    }
}

static void expect_var(int var_id, uint64_t probe_id, int64_t probe_ref)
{
    uint64_t got_probe = 0;
    int64_t got_ref = 0;
    cr_assert(handles_var(var_id, &got_probe, &got_ref), "variables reference %d does not resolve", var_id);
    cr_expect_eq(got_probe, probe_id, "variables reference %d", var_id);
    cr_expect_eq(got_ref, probe_ref, "variables reference %d", var_id);
}

static bool var_resolves(int var_id)
{
    uint64_t probe_id;
    int64_t probe_ref;
    return handles_var(var_id, &probe_id, &probe_ref);
}

Test(handles, var_id_is_stable_per_probe_reference)
{
    int a = handles_var_id(1001, 1);
    int b = handles_var_id(1001, 2);
    int c = handles_var_id(1002, 1);
    cr_assert(a > 0 && b > 0 && c > 0);
    cr_expect_neq(a, b);
    cr_expect_neq(a, c);
    cr_expect_neq(b, c);
    cr_expect_eq(handles_var_id(1001, 1), a, "the same reference asked again keeps its id");
    expect_var(a, 1001, 1);
    expect_var(b, 1001, 2);
    expect_var(c, 1002, 1);
}

Test(handles, var_id_keeps_large_probe_references)
{
    int64_t big = INT64_C(999999999999999);
    int id = handles_var_id(1101, big);
    cr_assert_gt(id, 0);
    expect_var(id, 1101, big);
}

Test(handles, values_without_children_get_reference_zero)
{
    cr_expect_eq(handles_var_id(1201, 0), 0);
    cr_expect_eq(handles_var_id(1201, -5), 0);
    cr_expect_not(var_resolves(0));
    cr_expect_not(var_resolves(-1));
}

Test(handles, var_ids_die_when_the_process_continues)
{
    int var = handles_var_id(1301, 7);
    int thread = handles_thread_id(1301, 3);
    int other_var = handles_var_id(1302, 7);

    handles_forget_frames(1301);
    cr_expect_not(var_resolves(var), "a reference of a resumed process resolves");
    expect_thread(thread, 1301, 3);
    expect_var(other_var, 1302, 7);

    /* After the next stop the probe may reuse its reference numbers: they get new DAP ids. */
    int fresh = handles_var_id(1301, 7);
    cr_expect_neq(fresh, var);
    expect_var(fresh, 1301, 7);
}

Test(handles, var_ids_die_with_their_probe)
{
    int var = handles_var_id(1401, 3);
    int other_var = handles_var_id(1402, 3);
    handles_forget_probe(1401);
    cr_expect_not(var_resolves(var));
    expect_var(other_var, 1402, 3);
}

Test(handles, var_ids_never_collide_with_live_ids_after_slot_reuse)
{
    enum { N = 100 };
    int ids[N];
    for (int i = 0; i < N; i++)
        ids[i] = handles_var_id(1501, i + 1);
    handles_forget_frames(1501);
    for (int i = 0; i < N; i++) {
        int fresh = handles_var_id(1502, i + 1);
        cr_assert_gt(fresh, 0);
        cr_expect_not(var_resolves(ids[i]), "forgotten reference %d resolves", ids[i]);
        expect_var(fresh, 1502, i + 1);
    }
}
