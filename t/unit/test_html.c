/* The page's HTML escaper, on the names a hostile /dev/shm can hold. */

#include "ipcguard/ipcg_html.h"
#include "ipcg_check.h"

static void expect(const char *in, const char *want)
{
    const char *got = ipcg_html_escape(pool, in);
    ck_assert_msg(strcmp(got, want) == 0, "escape(\"%s\"): expected \"%s\", "
                  "got \"%s\"", in, want, got);
}

START_TEST(markup_is_escaped)
{
    expect("/<script>alert(1)</script>",
           "/&lt;script&gt;alert(1)&lt;/script&gt;");
    expect("<img src=x onerror=alert(1)>",
           "&lt;img src=x onerror=alert(1)&gt;");
}
END_TEST

START_TEST(quotes_and_ampersands_are_escaped)
{
    expect("a\"b", "a&quot;b");
    expect("it's", "it&#39;s");
    expect("fish & chips", "fish &amp; chips");
    expect("&amp;", "&amp;amp;");
    expect("\"\"&&<<>>", "&quot;&quot;&amp;&amp;&lt;&lt;&gt;&gt;");
}
END_TEST

START_TEST(control_and_bad_bytes_are_shown)
{
    expect("new\nline\ttab", "new\\x0aline\\x09tab");
    expect("bad\xff\xfe" "bytes", "bad\\xff\\xfebytes");
    expect("del\x7f", "del\\x7f");
    /* an overlong '<' must not come through as markup */
    expect("\xc0\xbcscript", "\\xc0\\xbcscript");
    /* a sequence cut short */
    expect("caf\xc3", "caf\\xc3");
}
END_TEST

START_TEST(utf8_is_kept)
{
    expect("caf\xc3\xa9", "caf\xc3\xa9");
    expect("\xe2\x82\xac 5", "\xe2\x82\xac 5");
}
END_TEST

START_TEST(plain_text_is_unchanged)
{
    expect("", "");
    expect("/apr-shm.1234", "/apr-shm.1234");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("escape");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    ADD_TEST(tc, markup_is_escaped);
    ADD_TEST(tc, quotes_and_ampersands_are_escaped);
    ADD_TEST(tc, control_and_bad_bytes_are_shown);
    ADD_TEST(tc, utf8_is_kept);
    ADD_TEST(tc, plain_text_is_unchanged);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
