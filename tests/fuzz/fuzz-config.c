/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: /etc/ecs-harden.conf as options_load_config() reads it, with the grammar's
 * promises (README "Configuration file") as oracles, and the escaping of what a message quotes. */
#include <stdint.h>

#include "lib/escape.h"
#include "lib/log.h"
#include "cli/options.h"
#include "lib/util.h"

/* Parses SIZE bytes of DATA followed by SUFFIX; the result, and the options in *RET. */
static int parse(const uint8_t *data, size_t size, const char *prefix, const char *suffix, struct options *ret) {
        size_t np = strlen(prefix), ns = strlen(suffix);
        char *text = malloc(np + size + ns + 1);
        int r;

        *ret = (struct options) { .root = "/", .block.ipv6 = true };
        if (!text)
                return -ENOMEM;
        memcpy(text, prefix, np);
        memcpy(text + np, data, size);
        memcpy(text + np + size, suffix, ns);
        text[np + size + ns] = '\0';
        r = options_parse_config_text(ret, text, "fuzz.conf");
        free(text);
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct options o, o2;
        int r;

        /* The reader explains every bad line; that is its job, not what is being fuzzed. */
        log_max_level = LOG_LEVEL_OFF;
        /* A NUL ends the text early in C; options_load_config() refuses such a file before parsing. */
        if (memchr(data, '\0', size))
                return 0;

        r = parse(data, size, "", "", &o);
        if (r == -ENOMEM)
                return 0;
        if (o.block.n_patterns > BLOCK_MAX_PATTERNS)
                abort();
        for (size_t i = 0; i < o.block.n_patterns; i++)
                if (iface_pattern_check(o.block.patterns[i], NULL) < 0 || strchr(o.block.patterns[i], '#'))
                        abort(); /* only valid patterns, and never a comment, may get into the block */

        if (r == 0) {
                bool ends_line = size == 0 || data[size - 1] == '\n';
                /* Comment and blank lines change nothing; a BOM in front changes nothing. */
                if (parse(data, size, "", ends_line ? "# c\n\n" : "\n# c\n", &o2) != 0 ||
                    o2.block.ipv6 != o.block.ipv6 || o2.block.n_patterns != o.block.n_patterns)
                        abort();
                if (!(size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) &&
                    (parse(data, size, "\xef\xbb\xbf", "", &o2) != 0 || o2.block.ipv6 != o.block.ipv6))
                        abort();
                /* Stray text, a trailing comment, a key given again: always an error. */
                if (parse(data, size, "", ends_line ? "stray text\n" : "\nstray text\n", &o2) != -EINVAL)
                        abort();
                if (parse(data, size, "", ends_line ? "IPV6=yes # c\n" : "\nIPV6=yes # c\n", &o2) != -EINVAL)
                        abort();
                if (parse(data, size, "IPV6=no\n", ends_line ? "IPV6=no\n" : "\nIPV6=no\n", &o2) != -EINVAL)
                        abort();
        }

        /* Whatever a message quotes: no control character survives, and the length is bounded. */
        char buf[ESCAPE_BUFSIZE(64)];
        _cleanup_free_ char *copy = strndup((const char *) data, size);
        if (!copy)
                return 0;
        escape_str(copy, 64, buf, sizeof(buf));
        for (const char *p = buf; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        abort();
        if (strlen(buf) >= sizeof(buf))
                abort();
        return 0;
}
