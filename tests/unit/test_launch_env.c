/* Unit tests for server/launch_env: the environment of a launched program, copied from a base,
 * changed by name, and given the probe's settings (LD_PRELOAD first, labels, hold, server). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "launch_env.h"

static launch_env env_of(char *const *base)
{
    launch_env e;
    cr_assert_eq(launch_env_init(&e, base), 0);
    return e;
}

static size_t count(const launch_env *e)
{
    size_t n = 0;
    while (e->vars[n])
        n++;
    cr_expect_eq(n, e->n, "the array is NULL-terminated after its n entries");
    return n;
}

Test(launch_env, copies_the_base_and_sets_replaces_and_removes)
{
    char *base[] = { "HOME=/root", "PATH=/bin", NULL };
    launch_env e = env_of(base);
    cr_expect_eq(count(&e), 2);
    cr_expect_str_eq(launch_env_get(&e, "PATH"), "/bin");
    cr_expect_null(launch_env_get(&e, "PAT"), "names match whole");
    cr_expect_eq(launch_env_set(&e, "PATH", "/usr/bin"), 0);
    cr_expect_eq(launch_env_set(&e, "GREETING", "a=b c"), 0);
    cr_expect_str_eq(launch_env_get(&e, "PATH"), "/usr/bin");
    cr_expect_str_eq(launch_env_get(&e, "GREETING"), "a=b c");
    cr_expect_eq(count(&e), 3);
    cr_expect_eq(launch_env_set(&e, "HOME", NULL), 0);
    cr_expect_eq(launch_env_set(&e, "NOT_THERE", NULL), 0);
    cr_expect_null(launch_env_get(&e, "HOME"));
    cr_expect_eq(count(&e), 2);
    cr_expect_str_eq(base[0], "HOME=/root", "the base is not touched");
    launch_env_free(&e);
}

Test(launch_env, refuses_names_that_are_not_variable_names)
{
    launch_env e = env_of(NULL);
    cr_expect_eq(count(&e), 0);
    cr_expect_eq(launch_env_set(&e, "", "x"), -1);
    cr_expect_eq(launch_env_set(&e, "A=B", "x"), -1);
    cr_expect_eq(count(&e), 0);
    launch_env_free(&e);
}

Test(launch_env, grows_past_its_first_allocation)
{
    launch_env e = env_of(NULL);
    char name[16];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "V%d", i);
        cr_assert_eq(launch_env_set(&e, name, name), 0);
    }
    cr_expect_eq(count(&e), 300);
    cr_expect_str_eq(launch_env_get(&e, "V299"), "V299");
    launch_env_free(&e);
}

Test(launch_env, probe_settings_go_on_top_of_what_the_launch_gave)
{
    char *base[] = { "LD_PRELOAD=/lib/libasan.so", "PODBUG_LABELS=team=a", "PODBUG_DISABLE=1",
                     "PODBUG_SERVER=ws://elsewhere/probe", NULL };
    launch_env e = env_of(base);
    cr_assert_eq(launch_env_add_probe(&e, "/opt/libpodbug-probe.so", "ws://127.0.0.1:4700/probe", "prog", "7-1"), 0);
    cr_expect_str_eq(launch_env_get(&e, "LD_PRELOAD"), "/opt/libpodbug-probe.so:/lib/libasan.so");
    cr_expect_str_eq(launch_env_get(&e, "PODBUG_LABELS"), "team=a," LAUNCH_LABEL "=7-1");
    cr_expect_str_eq(launch_env_get(&e, "PODBUG_SERVER"), "ws://127.0.0.1:4700/probe");
    cr_expect_str_eq(launch_env_get(&e, "PODBUG_POD"), "prog");
    cr_expect_str_eq(launch_env_get(&e, "PODBUG_HOLD"), "1");
    cr_expect_null(launch_env_get(&e, "PODBUG_DISABLE"));
    launch_env_free(&e);
}

Test(launch_env, probe_settings_alone_and_a_pod_name_given)
{
    char *base[] = { "PODBUG_POD=mine", "LD_PRELOAD=", NULL };
    launch_env e = env_of(base);
    cr_assert_eq(launch_env_add_probe(&e, "/p.so", "ws://h:1/probe", "prog", "1-2"), 0);
    cr_expect_str_eq(launch_env_get(&e, "LD_PRELOAD"), "/p.so");
    cr_expect_str_eq(launch_env_get(&e, "PODBUG_LABELS"), LAUNCH_LABEL "=1-2");
    cr_expect_str_eq(launch_env_get(&e, "PODBUG_POD"), "mine");
    launch_env_free(&e);
}
