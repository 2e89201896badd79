/* Unit tests for config.c: the probe's settings read from the environment and from settings text
 * (what `podbug attach` passes), with the same names, defaults and checks. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

Test(config, settings_text_gives_every_value)
{
    probe_config cfg;
    char err[256] = "";
    const char *text = "PODBUG_SERVER=ws://10.0.0.5:4800/probe\nPODBUG_POD=shop-1\nPODBUG_NAMESPACE=prod\n"
                       "PODBUG_LABELS=app=shop,tier=web\nPODBUG_TOKEN=secret\nPODBUG_LOG=debug\n";
    cr_assert_eq(probe_config_load(&cfg, text, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(cfg.host, "10.0.0.5");
    cr_expect_eq(cfg.port, 4800);
    cr_expect_str_eq(cfg.path, "/probe");
    cr_expect_str_eq(cfg.pod, "shop-1");
    cr_expect_str_eq(cfg.namespace_, "prod");
    cr_expect_str_eq(cfg.token, "secret");
    cr_expect_eq(cfg.log_level, LOG_DEBUG);
    cr_assert_eq(cfg.n_labels, 2);
    cr_expect_str_eq(cfg.labels[1].key, "tier");
    cr_expect_str_eq(cfg.labels[1].value, "web");
    probe_config_free(&cfg);
}

Test(config, settings_text_takes_defaults_not_the_environment)
{
    setenv("PODBUG_POD", "from-the-environment", 1);
    setenv("PODBUG_NAMESPACE", "env-ns", 1);
    probe_config cfg;
    char err[256] = "", host[256] = "";
    gethostname(host, sizeof host - 1);
    cr_assert_eq(probe_config_load(&cfg, "PODBUG_SERVER=ws://127.0.0.1:4700\n", err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(cfg.pod, host);
    cr_expect_str_eq(cfg.namespace_, "default");
    cr_expect_str_eq(cfg.path, "/probe");
    cr_expect_eq(cfg.n_labels, 0);
    probe_config_free(&cfg);

    cr_assert_eq(probe_config_load(&cfg, NULL, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(cfg.pod, "from-the-environment");
    cr_expect_str_eq(cfg.namespace_, "env-ns");
    probe_config_free(&cfg);
    unsetenv("PODBUG_POD");
    unsetenv("PODBUG_NAMESPACE");
}

Test(config, a_bad_setting_is_named_whatever_its_source)
{
    probe_config cfg;
    char err[256] = "";
    cr_expect_eq(probe_config_load(&cfg, "PODBUG_LABELS=novalue\n", err, sizeof err), -1);
    cr_expect_str_eq(err, "PODBUG_LABELS must be k=v,k=v; 'novalue' is not");
    probe_config_free(&cfg);
    cr_expect_eq(probe_config_load(&cfg, "PODBUG_LOG=loud", err, sizeof err), -1);
    cr_expect_str_eq(err, "PODBUG_LOG must be error, warn, info or debug, not 'loud'");
    probe_config_free(&cfg);
    setenv("PODBUG_SERVER", "http://nope", 1);
    cr_expect_eq(probe_config_load(&cfg, NULL, err, sizeof err), -1);
    cr_expect(strstr(err, "PODBUG_SERVER"), "%s", err);
    probe_config_free(&cfg);
    unsetenv("PODBUG_SERVER");
}

Test(config, a_name_that_only_starts_like_another_is_not_it)
{
    probe_config cfg;
    char err[256] = "";
    cr_assert_eq(probe_config_load(&cfg, "PODBUG_PODX=wrong\nPODBUG_POD=right", err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(cfg.pod, "right");
    probe_config_free(&cfg);
}

Test(config, wss_and_the_ca_bundle)
{
    char ca[] = "/tmp/podbug-test-ca-XXXXXX";
    int fd = mkstemp(ca);
    cr_assert_geq(fd, 0);
    close(fd);
    probe_config cfg;
    char err[256] = "", text[512];
    snprintf(text, sizeof text, "PODBUG_SERVER=wss://podbug.example:4443\nPODBUG_CA=%s\n", ca);
    cr_assert_eq(probe_config_load(&cfg, text, err, sizeof err), 0, "%s", err);
    cr_expect(cfg.tls);
    cr_expect_str_eq(cfg.host, "podbug.example");
    cr_expect_eq(cfg.port, 4443);
    cr_expect_str_eq(cfg.path, "/probe");
    cr_expect_str_eq(cfg.ca_file, ca);
    probe_config_free(&cfg);

    cr_assert_eq(probe_config_load(&cfg, "PODBUG_SERVER=ws://127.0.0.1:4700/probe\n", err, sizeof err), 0, "%s", err);
    cr_expect_not(cfg.tls);
    cr_expect_str_empty(cfg.ca_file);
    probe_config_free(&cfg);

    unlink(ca);
    cr_expect_eq(probe_config_load(&cfg, text, err, sizeof err), -1);
    char want[300];
    snprintf(want, sizeof want, "PODBUG_CA '%s' cannot be read: No such file or directory", ca);
    cr_expect_str_eq(err, want);
    probe_config_free(&cfg);
}
