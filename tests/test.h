/* SPDX-License-Identifier: Apache-2.0 */
/* A minimal test harness: TEST(name) { ... } functions, ASSERT_* that report file:line and
 * abort the test, and a main() that runs them all and prints a TAP-like summary. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
        const char *name;
        void (*fn)(void);
};

#define MAX_TESTS 512
static struct test_case test_cases[MAX_TESTS];
static unsigned n_test_cases, test_failures, test_current_failed;

#define TEST(name)                                                                      \
        static void test_##name(void);                                                 \
        __attribute__((constructor)) static void register_##name(void) {               \
                if (n_test_cases < MAX_TESTS)                                           \
                        test_cases[n_test_cases++] = (struct test_case) { #name, test_##name }; \
        }                                                                               \
        static void test_##name(void)

#define FAIL_AT(...)                                                                    \
        do {                                                                            \
                fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                         \
                fprintf(stderr, __VA_ARGS__);                                           \
                fputc('\n', stderr);                                                    \
                test_current_failed = 1;                                                \
                return;                                                                 \
        } while (0)

#define ASSERT_TRUE(e)                                                                  \
        do {                                                                            \
                if (!(e))                                                               \
                        FAIL_AT("expected true: %s", #e);                               \
        } while (0)
#define ASSERT_FALSE(e) ASSERT_TRUE(!(e))
#define ASSERT_INT_EQ(a, b)                                                             \
        do {                                                                            \
                long long _a = (long long) (a), _b = (long long) (b);                   \
                if (_a != _b)                                                           \
                        FAIL_AT("%s == %lld, expected %s == %lld", #a, _a, #b, _b);     \
        } while (0)
#define ASSERT_STR_EQ(a, b)                                                             \
        do {                                                                            \
                const char *_a = (a), *_b = (b);                                        \
                if (!_a || !_b || strcmp(_a, _b) != 0)                                  \
                        FAIL_AT("%s == \"%s\", expected \"%s\"", #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
        } while (0)

int main(void) {
        for (unsigned i = 0; i < n_test_cases; i++) {
                test_current_failed = 0;
                test_cases[i].fn();
                printf("%s %u - %s\n", test_current_failed ? "not ok" : "ok", i + 1, test_cases[i].name);
                test_failures += test_current_failed;
        }
        printf("1..%u\n# %u passed, %u failed\n", n_test_cases, n_test_cases - test_failures, test_failures);
        return test_failures ? 1 : 0;
}
