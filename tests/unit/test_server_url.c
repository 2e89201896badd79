/* Unit tests for common/server_url: ws:// and wss:// URLs into scheme, host, port and path, the
 * default port, the scheme rebuilt from the parts, and the messages for bad URLs. */
#include <criterion/criterion.h>
#include <string.h>

#include "server_url.h"

static server_url parse_ok(const char *text)
{
    server_url u;
    char err[256] = "";
    cr_assert_eq(server_url_parse(text, "--server", &u, err, sizeof err), 0, "%s: %s", text, err);
    return u;
}

static void parse_fails(const char *text, const char *want)
{
    server_url u;
    char err[256] = "";
    cr_assert_eq(server_url_parse(text, "PODBUG_SERVER", &u, err, sizeof err), -1, "%s was accepted", text);
    cr_assert_str_eq(err, want);
}

Test(server_url, plain_ws_with_port_and_path)
{
    server_url u = parse_ok("ws://10.0.0.7:4800/probe");
    cr_assert_not(u.tls);
    cr_assert_str_eq(u.host, "10.0.0.7");
    cr_assert_eq(u.port, 4800);
    cr_assert_str_eq(u.path, "/probe");
    cr_assert_str_eq(server_url_scheme(&u), "ws://");
}

Test(server_url, wss_asks_for_tls_with_the_same_default_port)
{
    server_url u = parse_ok("wss://podbug.example.com");
    cr_assert(u.tls);
    cr_assert_str_eq(u.host, "podbug.example.com");
    cr_assert_eq(u.port, SERVER_URL_DEFAULT_PORT);
    cr_assert_str_eq(u.path, "");
    cr_assert_str_eq(server_url_scheme(&u), "wss://");
}

Test(server_url, wss_with_port_and_path)
{
    server_url u = parse_ok("wss://127.0.0.1:4443/dap");
    cr_assert(u.tls);
    cr_assert_str_eq(u.host, "127.0.0.1");
    cr_assert_eq(u.port, 4443);
    cr_assert_str_eq(u.path, "/dap");
}

Test(server_url, bad_urls_name_the_setting)
{
    parse_fails("http://localhost:4700",
                "PODBUG_SERVER must look like ws://HOST:PORT or wss://HOST:PORT, not 'http://localhost:4700'");
    parse_fails("wss:/localhost", "PODBUG_SERVER must look like ws://HOST:PORT or wss://HOST:PORT, not 'wss:/localhost'");
    parse_fails("wss://:4700", "PODBUG_SERVER 'wss://:4700' has no host");
    parse_fails("wss://host:0", "PODBUG_SERVER 'wss://host:0' has a bad port");
    parse_fails("ws://host:70000/probe", "PODBUG_SERVER 'ws://host:70000/probe' has a bad port");
    parse_fails("wss://host:12ab", "PODBUG_SERVER 'wss://host:12ab' has a bad port");
}
