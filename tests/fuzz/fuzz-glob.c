/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: IAM wildcard matching and pattern inclusion. Input: lines; the first is a
 * pattern, the others a set of patterns (and names to match). Inclusion must answer within its
 * budget whatever the patterns, and a pattern must always include itself. */
#include <stdint.h>

#include "audit/action-glob.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *set[16];
        size_t n = 0;
        char *text = malloc(size + 1), *pattern, *save = NULL;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        pattern = strtok_r(text, "\n", &save);
        if (!pattern) {
                free(text);
                return 0;
        }
        for (char *l; n < ELEMENTSOF(set) && (l = strtok_r(NULL, "\n", &save));)
                set[n++] = l;

        for (size_t i = 0; i < n; i++)
                (void) glob_match(pattern, set[i], i % 2 == 0);
        (void) glob_included(pattern, set, n, true, NULL);
        if (glob_included(pattern, (const char *[]) { pattern }, 1, false, NULL) == 0)
                abort(); /* every pattern is within itself */
        free(text);
        return 0;
}
