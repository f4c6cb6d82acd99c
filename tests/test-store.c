/* SPDX-License-Identifier: Apache-2.0 */
/* The subject store (src/audit/store.h): order, interning per input, later counts, contents
 * back from memory and from the temporary file, the bounds. */
#include <stdint.h>
#include <stdio.h>

#include "audit/store.h"
#include "test.h"
#include "lib/util.h"

struct want {
        const char *name;
        uint32_t file;
        uint64_t content;
        unsigned later;
        const char *bytes;
};

static void expect(struct store *st, const struct want *w, size_t n, unsigned *failed) {
        for (size_t i = 0; i < n; i++) {
                struct store_subject s;
                const uint8_t *c;
                size_t len;
                if (store_next(st, &s) != 1 || strcmp(s.name, w[i].name) != 0 || s.file != w[i].file ||
                    s.content != w[i].content || s.later != w[i].later || store_content(st, &c, &len) != 0 ||
                    len != strlen(w[i].bytes) || memcmp(c, w[i].bytes, len) != 0) {
                        fprintf(stderr, "subject %zu (%s) is not as expected\n", i, w[i].name);
                        (*failed)++;
                        return;
                }
        }
        struct store_subject s;
        if (store_next(st, &s) != 0)
                (*failed)++;
}

TEST(store_interns_per_input) {
        struct store *st = NULL;
        unsigned failed = 0;

        ASSERT_INT_EQ(store_new(&st), 0);
        ASSERT_INT_EQ(store_add(st, 0, "a", "AAA", 3), 0);
        ASSERT_INT_EQ(store_add(st, 0, "b", "BBBB", 4), 0);
        ASSERT_INT_EQ(store_add(st, 0, "c", "AAA", 3), 0);
        ASSERT_INT_EQ(store_add(st, 0, "d", "AAA", 3), 0);
        /* The same bytes in another input are another content (attached policies resolve
         * within their own input). */
        ASSERT_INT_EQ(store_add(st, 1, "e", "AAA", 3), 0);
        ASSERT_INT_EQ(store_add(st, 1, "f", "", 0), 0);
        ASSERT_INT_EQ(store_add(st, 1, "g", "", 0), 0);
        const struct want w[] = {
                { .name = "a", .file = 0, .content = 1, .later = 2, .bytes = "AAA" },
                { .name = "b", .file = 0, .content = 2, .later = 0, .bytes = "BBBB" },
                { .name = "c", .file = 0, .content = 1, .later = 1, .bytes = "AAA" },
                { .name = "d", .file = 0, .content = 1, .later = 0, .bytes = "AAA" },
                { .name = "e", .file = 1, .content = 3, .later = 0, .bytes = "AAA" },
                { .name = "f", .file = 1, .content = 4, .later = 1, .bytes = "" },
                { .name = "g", .file = 1, .content = 4, .later = 0, .bytes = "" },
        };
        expect(st, w, ELEMENTSOF(w), &failed);
        ASSERT_INT_EQ(failed, 0);
        /* Reading has begun: no more subjects. */
        ASSERT_INT_EQ(store_add(st, 0, "late", "x", 1), -EBUSY);
        store_free(st);
}

TEST(store_empty) {
        struct store *st = NULL;
        struct store_subject s;
        const uint8_t *c;
        size_t len;

        ASSERT_INT_EQ(store_new(&st), 0);
        ASSERT_INT_EQ(store_next(st, &s), 0);
        ASSERT_INT_EQ(store_content(st, &c, &len), -ESRCH);
        store_free(st);
}

TEST(store_large_contents) {
        /* Contents larger than what the store keeps in memory: each compared and read back from
         * the temporary file; the first repeats that fit are interned. */
        struct store *st = NULL;
        size_t big = STORE_MAX_MEMORY / 3 + 1;
        _cleanup_free_ char *x = malloc(big + 1), *y = malloc(big + 1);
        unsigned failed = 0;

        ASSERT_TRUE(x && y);
        memset(x, 'x', big);
        memset(y, 'x', big);
        x[big] = y[big] = '\0';
        y[big - 1] = 'y';       /* same length, differs at the end */
        ASSERT_INT_EQ(store_new(&st), 0);
        ASSERT_INT_EQ(store_add(st, 0, "x1", x, big), 0);
        ASSERT_INT_EQ(store_add(st, 0, "y1", y, big), 0);
        ASSERT_INT_EQ(store_add(st, 0, "x2", x, big), 0);       /* x now kept in memory */
        ASSERT_INT_EQ(store_add(st, 0, "y2", y, big), 0);       /* y too: 2 x 1/3 fits */
        ASSERT_INT_EQ(store_add(st, 0, "x3", x, big), 0);
        const struct want w[] = {
                { .name = "x1", .content = 1, .later = 2, .bytes = x },
                { .name = "y1", .content = 2, .later = 1, .bytes = y },
                { .name = "x2", .content = 1, .later = 1, .bytes = x },
                { .name = "y2", .content = 2, .later = 0, .bytes = y },
                { .name = "x3", .content = 1, .later = 0, .bytes = x },
        };
        expect(st, w, ELEMENTSOF(w), &failed);
        ASSERT_INT_EQ(failed, 0);
        store_free(st);
}

TEST(store_beyond_memory_is_not_shared) {
        /* A third large content finds no room in memory: its repeat cannot be compared and is
         * stored as a content of its own (number 0), still read back whole. */
        struct store *st = NULL;
        size_t big = STORE_MAX_MEMORY / 2 + 1;
        _cleanup_free_ char *a = malloc(big + 1), *b = malloc(big + 1);
        unsigned failed = 0;

        ASSERT_TRUE(a && b);
        memset(a, 'a', big);
        memset(b, 'a', big);
        a[big] = b[big] = '\0';
        b[0] = 'b';
        ASSERT_INT_EQ(store_new(&st), 0);
        ASSERT_INT_EQ(store_add(st, 0, "a1", a, big), 0);
        ASSERT_INT_EQ(store_add(st, 0, "b1", b, big), 0);
        ASSERT_INT_EQ(store_add(st, 0, "a2", a, big), 0);       /* a in memory: half of it */
        ASSERT_INT_EQ(store_add(st, 0, "b2", b, big), 0);       /* b does not fit any more */
        const struct want w[] = {
                { .name = "a1", .content = 1, .later = 1, .bytes = a },
                { .name = "b1", .content = 2, .later = 0, .bytes = b },
                { .name = "a2", .content = 1, .later = 0, .bytes = a },
                { .name = "b2", .content = 0, .later = 0, .bytes = b },
        };
        expect(st, w, ELEMENTSOF(w), &failed);
        ASSERT_INT_EQ(failed, 0);
        store_free(st);
}

TEST(store_no_temporary_file) {
        struct store *st = NULL;
        const char *old = getenv("TMPDIR");
        _cleanup_free_ char *saved = old ? strdup(old) : NULL;

        ASSERT_INT_EQ(store_new(&st), 0);
        setenv("TMPDIR", "/nonexistent-ecs-harden-test", 1);
        int r = store_add(st, 0, "a", "x", 1);
        if (saved)
                setenv("TMPDIR", saved, 1);
        else
                unsetenv("TMPDIR");
        ASSERT_TRUE(r < 0);
        store_free(st);
}
