/* SPDX-License-Identifier: Apache-2.0 */
/* The shared utilities of src/lib: the hash map, the string vector, the clock. */
#include <stdint.h>
#include <stdio.h>

#include "lib/clock.h"
#include "lib/hashmap.h"
#include "lib/strv.h"
#include "test.h"

static unsigned freed;

static void count_free(void *p) {
        freed++;
        free(p);
}

TEST(hashmap_put_get_many) {
        struct hashmap *m = NULL;
        char key[32];

        ASSERT_INT_EQ(hashmap_new(&m), 0);
        ASSERT_TRUE(hashmap_get_str(m, "absent") == NULL);
        /* Enough entries for many doublings of the table. */
        for (uintptr_t i = 0; i < 100000; i++) {
                snprintf(key, sizeof(key), "key-%lu", (unsigned long) i);
                ASSERT_INT_EQ(hashmap_put(m, key, strlen(key), (void *) (i + 1)), 0);
        }
        ASSERT_INT_EQ(hashmap_size(m), 100000);
        for (uintptr_t i = 0; i < 100000; i++) {
                snprintf(key, sizeof(key), "key-%lu", (unsigned long) i);
                ASSERT_INT_EQ((uintptr_t) hashmap_get_str(m, key), i + 1);
        }
        ASSERT_TRUE(hashmap_get_str(m, "key-100000") == NULL);
        ASSERT_TRUE(hashmap_get_str(m, "key-") == NULL);
        ASSERT_TRUE(hashmap_bytes(m) > 100000 * 5);
        /* Replacing a value does not add an entry. */
        ASSERT_INT_EQ(hashmap_put(m, "key-7", 5, (void *) 42), 0);
        ASSERT_INT_EQ(hashmap_size(m), 100000);
        ASSERT_INT_EQ((uintptr_t) hashmap_get_str(m, "key-7"), 42);
        hashmap_free(m, NULL);
}

TEST(hashmap_binary_keys) {
        struct hashmap *m = NULL;
        bool fresh;

        ASSERT_INT_EQ(hashmap_new(&m), 0);
        /* Keys are bytes: NUL inside, prefixes, the empty key, are all distinct. */
        ASSERT_INT_EQ(hashmap_put(m, "a\0b", 3, (void *) 1), 0);
        ASSERT_INT_EQ(hashmap_put(m, "a\0c", 3, (void *) 2), 0);
        ASSERT_INT_EQ(hashmap_put(m, "a", 1, (void *) 3), 0);
        ASSERT_INT_EQ(hashmap_put(m, "", 0, (void *) 4), 0);
        ASSERT_INT_EQ((uintptr_t) hashmap_get(m, "a\0b", 3), 1);
        ASSERT_INT_EQ((uintptr_t) hashmap_get(m, "a\0c", 3), 2);
        ASSERT_INT_EQ((uintptr_t) hashmap_get(m, "a", 1), 3);
        ASSERT_INT_EQ((uintptr_t) hashmap_get(m, "", 0), 4);
        ASSERT_TRUE(hashmap_get(m, "a\0", 2) == NULL);
        /* A slot: new once, then the same value. */
        void **slot = hashmap_slot(m, "fresh", 5, &fresh);
        ASSERT_TRUE(slot && fresh && *slot == NULL);
        *slot = (void *) 9;
        slot = hashmap_slot(m, "fresh", 5, &fresh);
        ASSERT_TRUE(slot && !fresh && *slot == (void *) 9);
        ASSERT_INT_EQ(hashmap_size(m), 5);
        hashmap_free(m, NULL);
}

TEST(hashmap_clear_frees_values) {
        struct hashmap *m = NULL;

        ASSERT_INT_EQ(hashmap_new(&m), 0);
        freed = 0;
        for (int i = 0; i < 50; i++) {
                char key[16];
                snprintf(key, sizeof(key), "%d", i);
                ASSERT_INT_EQ(hashmap_put(m, key, strlen(key), strdup(key)), 0);
        }
        hashmap_clear(m, count_free);
        ASSERT_INT_EQ(freed, 50);
        ASSERT_INT_EQ(hashmap_size(m), 0);
        ASSERT_TRUE(hashmap_get_str(m, "3") == NULL);
        ASSERT_INT_EQ(hashmap_put(m, "3", 1, strdup("x")), 0);
        ASSERT_STR_EQ(hashmap_get_str(m, "3"), "x");
        hashmap_free(m, count_free);
        ASSERT_INT_EQ(freed, 51);
}

TEST(hash_keyed_spreads) {
        /* Keys that differ in one bit land apart: no two of 4096 one-bit neighbours collide. */
        struct hashmap *seen = NULL;
        char key[64] = { 0 };

        ASSERT_INT_EQ(hashmap_new(&seen), 0);
        for (unsigned i = 0; i < 64 * 8; i++) {
                memset(key, 0, sizeof(key));
                key[i / 8] = (char) (1u << (i % 8));
                uint64_t h = hash_bytes_keyed(key, sizeof(key));
                ASSERT_TRUE(hashmap_get(seen, &h, sizeof(h)) == NULL);
                ASSERT_INT_EQ(hashmap_put(seen, &h, sizeof(h), (void *) 1), 0);
        }
        ASSERT_TRUE(hash_bytes_keyed("abc", 3) == hash_bytes_keyed("abc", 3));
        ASSERT_TRUE(hash_bytes_keyed("abc", 3) != hash_bytes_keyed("abd", 3));
        hashmap_free(seen, NULL);
}

TEST(strv_add_get_clear) {
        struct strv v = {};
        char buf[32];

        ASSERT_INT_EQ(strv_add(&v, "ecs:Poll", 8), 0);
        ASSERT_INT_EQ(strv_add(&v, "s3:GetObjectXYZ", 12), 0);        /* only N bytes */
        ASSERT_INT_EQ(strv_add(&v, "", 0), 0);
        ASSERT_INT_EQ(v.n, 3);
        ASSERT_STR_EQ(strv_get(&v, 0), "ecs:Poll");
        ASSERT_STR_EQ(strv_get(&v, 1), "s3:GetObject");
        ASSERT_STR_EQ(strv_get(&v, 2), "");
        /* Many, through several reallocations: earlier strings survive. */
        for (int i = 0; i < 10000; i++) {
                snprintf(buf, sizeof(buf), "name-%d", i);
                ASSERT_INT_EQ(strv_add(&v, buf, strlen(buf)), 0);
        }
        ASSERT_INT_EQ(v.n, 10003);
        ASSERT_STR_EQ(strv_get(&v, 0), "ecs:Poll");
        ASSERT_STR_EQ(strv_get(&v, 10002), "name-9999");
        /* Cleared: empty, memory kept. */
        size_t alloc = v.alloc;
        strv_clear(&v);
        ASSERT_INT_EQ(v.n, 0);
        ASSERT_INT_EQ(strv_add(&v, "again", 5), 0);
        ASSERT_STR_EQ(strv_get(&v, 0), "again");
        ASSERT_INT_EQ(v.alloc, alloc);
        strv_done(&v);
        ASSERT_TRUE(v.buf == NULL && v.n == 0);
}

TEST(clock_monotonic) {
        int64_t a = clock_now_ms(), b = clock_now_ms();
        ASSERT_TRUE(a > 0 && b >= a);
        ASSERT_INT_EQ(clock_left_ms(a - 1), 0);
        ASSERT_TRUE(clock_left_ms(a + 60000) > 50000);
}
