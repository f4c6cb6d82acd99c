/* SPDX-License-Identifier: Apache-2.0 */
/* The configuration file grammar (README "Configuration file"): strict, every stray text an error
 * naming file and line. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/log.h"
#include "cli/options.h"
#include "test.h"
#include "lib/util.h"

static char last_err[65536];

/* Parses TEXT as /etc/ecs-harden.conf over the defaults of 'apply'; keeps what was printed. */
static int parse(struct options *o, const char *text) {
        char *argv[] = { (char *) "ecs-harden", (char *) "apply", NULL };
        _cleanup_free_ char *copy = strdup(text);
        char path[] = "/tmp/test-config-XXXXXX";
        int first, fd = mkstemp(path), saved = dup(STDERR_FILENO), r;

        if (!copy || fd < 0 || saved < 0 || options_parse(2, argv, o, &first) != 0)
                abort();
        unlink(path);
        fflush(stderr);
        dup2(fd, STDERR_FILENO);
        r = options_parse_config_text(o, copy, "t.conf");
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        ssize_t n = pread(fd, last_err, sizeof(last_err) - 1, 0);
        last_err[n > 0 ? n : 0] = '\0';
        close(fd);
        return r;
}

static unsigned count_lines(const char *s) {
        unsigned n = 0;
        for (; *s; s++)
                n += *s == '\n';
        return n;
}

TEST(comments_only_on_their_own_line) {
        struct options o;
        ASSERT_INT_EQ(parse(&o, "# a comment\n   # an indented one\n\nINTERFACES=br-+\n"), 0);
        ASSERT_INT_EQ(o.block.n_patterns, 1);
        ASSERT_STR_EQ(o.block.patterns[0], "br-+");

        /* Not interfaces named "#" and "comment": an error naming file and line. */
        ASSERT_INT_EQ(parse(&o, "\nINTERFACES=br-+ # comment\n"), -EINVAL);
        ASSERT_TRUE(strstr(last_err, "t.conf:2:") != NULL);
        ASSERT_TRUE(strstr(last_err, "not a comment") != NULL);
        ASSERT_INT_EQ(parse(&o, "IPV6=yes #no\n"), -EINVAL);
        ASSERT_INT_EQ(parse(&o, "IPV6=yes\t# no\n"), -EINVAL);
        ASSERT_INT_EQ(parse(&o, "INTERFACES=\"docker+ # x\"\n"), -EINVAL);
}

TEST(booleans_are_one_set) {
        const char *yes[] = { "yes", "YES", "true", "True", "on", "ON", "1" };
        const char *no[] = { "no", "No", "false", "FALSE", "off", "Off", "0" };
        const char *bad[] = { "maybe", "y", "t", "2", "enable", "" };
        struct options o;
        char text[64];

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                snprintf(text, sizeof(text), "IPV6=%s\n", no[i]);
                ASSERT_INT_EQ(parse(&o, text), 0);
                ASSERT_FALSE(o.block.ipv6);
                snprintf(text, sizeof(text), "IPV6=no\n");
                snprintf(text, sizeof(text), "IPV6=\"%s\"\n", yes[i]);
                ASSERT_INT_EQ(parse(&o, text), 0);
                ASSERT_TRUE(o.block.ipv6);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                snprintf(text, sizeof(text), "IPV6=%s\n", bad[i]);
                ASSERT_INT_EQ(parse(&o, text), -EINVAL);
                ASSERT_TRUE(strstr(last_err, "t.conf:1: IPV6 must be yes or no") != NULL);
        }
}

TEST(a_repeated_key_names_both_lines) {
        struct options o;
        ASSERT_INT_EQ(parse(&o, "IPV6=yes\n# x\nINTERFACES=docker+\nIPV6=no\n"), -EINVAL);
        ASSERT_TRUE(strstr(last_err, "t.conf:4: IPV6 is set again (first on line 1)") != NULL);
}

TEST(a_byte_order_mark_is_skipped) {
        struct options o;
        ASSERT_INT_EQ(parse(&o, "\xef\xbb\xbfIPV6=no\n"), 0);
        ASSERT_FALSE(o.block.ipv6);
        ASSERT_STR_EQ(last_err, "");
        /* Only at the start. */
        ASSERT_INT_EQ(parse(&o, "IPV6=no\n\xef\xbb\xbfBACKEND=auto\n"), -EINVAL);
        ASSERT_TRUE(strstr(last_err, "t.conf:2:") != NULL);
}

TEST(unknown_keys_warned_up_to_a_bound) {
        struct options o;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        ASSERT_TRUE(f);
        for (int i = 0; i < 100000; i++)
                fprintf(f, "UNKNOWN_%d=1\n", i);
        fclose(f);
        ASSERT_INT_EQ(parse(&o, "COLOUR=blue\n"), 0);
        ASSERT_TRUE(strstr(last_err, "t.conf:1: unknown key COLOUR") != NULL);
        ASSERT_INT_EQ(parse(&o, text), 0);
        /* Ten warnings and one line for the rest, not 100 000 lines. */
        ASSERT_INT_EQ(count_lines(last_err), 11);
        ASSERT_TRUE(strstr(last_err, "99990 more unknown keys") != NULL);
}

TEST(stray_text_is_an_error_naming_file_and_line) {
        struct options o;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;

        ASSERT_INT_EQ(parse(&o, "IPV6=yes\njust garbage\n"), -EINVAL);
        ASSERT_TRUE(strstr(last_err, "t.conf:2: not a KEY=value line") != NULL);
        ASSERT_INT_EQ(parse(&o, "INTERFACES=\"docker+\n"), -EINVAL);
        ASSERT_TRUE(strstr(last_err, "quotes do not pair up") != NULL);
        ASSERT_INT_EQ(parse(&o, "9KEY=1\n"), -EINVAL);

        /* Many bad lines: a bounded number of messages. */
        FILE *f = open_memstream(&text, &size);
        ASSERT_TRUE(f);
        for (int i = 0; i < 100000; i++)
                fputs("garbage line\n", f);
        fclose(f);
        ASSERT_INT_EQ(parse(&o, text), -EINVAL);
        ASSERT_TRUE(count_lines(last_err) <= 11);
}

TEST(outside_text_in_messages_is_escaped_and_cut) {
        struct options o;
        size_t n = 100 * 1024;
        char *text = malloc(n + 32);
        ASSERT_TRUE(text);
        strcpy(text, "BACKEND=x\x1b[2J\r[PASS] y");
        size_t k = strlen(text);
        memset(text + k, 'A', n - k);
        strcpy(text + n, "\n");
        ASSERT_INT_EQ(parse(&o, text), -EINVAL);
        ASSERT_TRUE(strchr(last_err, '\x1b') == NULL && strchr(last_err, '\r') == NULL);
        ASSERT_TRUE(strstr(last_err, "x\\x1b[2J\\r[PASS] y") != NULL);
        ASSERT_TRUE(strstr(last_err, "...[cut: ") != NULL);
        ASSERT_INT_EQ(count_lines(last_err), 1);
        ASSERT_TRUE(strlen(last_err) < 4096);
        free(text);
}
