/* SPDX-License-Identifier: Apache-2.0 */
/* The one output path for outside text: control characters escaped, long values cut. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/escape.h"
#include "lib/log.h"
#include "test.h"
#include "lib/util.h"

TEST(control_characters_are_escaped) {
        ASSERT_STR_EQ(ESC("a\x1b[2Jb"), "a\\x1b[2Jb");
        ASSERT_STR_EQ(ESC("x\r\n[PASS] y\tz"), "x\\r\\n[PASS] y\\tz");
        ASSERT_STR_EQ(ESC("\x7f\x01"), "\\x7f\\x01");
        /* CSI as a C1 control (U+009B), invalid UTF-8, a line separator. */
        ASSERT_STR_EQ(ESC("\xc2\x9b" "31m"), "\\xc2\\x9b31m");
        ASSERT_STR_EQ(ESC("\xff\xc3"), "\\xff\\xc3");
        ASSERT_STR_EQ(ESC("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");
}

TEST(printable_text_and_utf8_pass_unchanged) {
        ASSERT_STR_EQ(ESC("docker+ br-+"), "docker+ br-+");
        ASSERT_STR_EQ(ESC("r\xc3\xb4le \xe2\x82\xac"), "r\xc3\xb4le \xe2\x82\xac");
        ASSERT_STR_EQ(ESC("C:\\path"), "C:\\path");
        ASSERT_STR_EQ(ESC(NULL), "(null)");
        /* Escaping escaped text changes nothing: the log line may escape a message again. */
        ASSERT_STR_EQ(ESC(ESC("a\x1b\n")), "a\\x1b\\n");
}

TEST(long_values_are_cut_with_a_marker) {
        size_t n = 100 * 1024;
        char *big = malloc(n + 1);
        ASSERT_TRUE(big);
        memset(big, 'A', n);
        big[0] = '\x1b';
        big[n] = '\0';
        const char *e = ESC(big);
        ASSERT_TRUE(strncmp(e, "\\x1bAAA", 7) == 0);
        ASSERT_TRUE(strstr(e, "...[cut: 102400 bytes in all]") != NULL);
        ASSERT_TRUE(strlen(e) < ESCAPE_BUFSIZE(ESCAPE_MAX));
        ASSERT_TRUE(strchr(e, '\x1b') == NULL);

        /* A multi-byte character is never split by the cut. */
        char utf[ESCAPE_MAX + 8];
        memset(utf, 'x', ESCAPE_MAX - 1);
        strcpy(utf + ESCAPE_MAX - 1, "\xc3\xb4tail");
        e = ESC(utf);
        ASSERT_TRUE(strstr(e, "\xc3...[cut") == NULL);
        ASSERT_TRUE(strstr(e, "...[cut: 261 bytes in all]") != NULL);

        char *d = escape_dup(big, 10);
        ASSERT_STR_EQ(d, "\\x1bAAAAAAAAA...[cut: 102400 bytes in all]");
        free(d);
        free(big);
}

/* Runs FN with stderr captured; returns what it printed. */
static char *capture_stderr(void (*fn)(const char *), const char *arg) {
        char path[] = "/tmp/test-escape-XXXXXX";
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        char *text = NULL;

        if (fd < 0 || saved < 0)
                abort();
        unlink(path);
        fflush(stderr);
        dup2(fd, STDERR_FILENO);
        fn(arg);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        lseek(fd, 0, SEEK_SET);
        if (read_full_fd(fd, &text, NULL) < 0)
                text = NULL;
        close(fd);
        return text;
}

static void log_value(const char *v) {
        log_error("bad value '%s'", v);
}

TEST(log_lines_are_one_line_and_bounded) {
        size_t n = 100 * 1024;
        char *big = malloc(n + 1);
        ASSERT_TRUE(big);
        memset(big, 'B', n);
        memcpy(big, "x\x1b[2J\r\n[PASS] forged\n", 21);
        big[n] = '\0';

        char *out = capture_stderr(log_value, big);
        ASSERT_TRUE(out);
        /* One line: the only newline is the last byte. */
        ASSERT_TRUE(strchr(out, '\n') == out + strlen(out) - 1);
        ASSERT_TRUE(strchr(out, '\x1b') == NULL && strchr(out, '\r') == NULL);
        ASSERT_TRUE(strstr(out, "x\\x1b[2J\\r\\n[PASS] forged\\n") != NULL);
        ASSERT_TRUE(strstr(out, "...[cut:") != NULL);
        ASSERT_TRUE(strlen(out) < 2 * LOG_LINE_MAX);
        free(out);
        free(big);
}
