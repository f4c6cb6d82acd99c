/* SPDX-License-Identifier: Apache-2.0 */
#include <strings.h>

#include "audit/action-catalog.h"
#include "audit/action-glob.h"
#include "audit/policy-builtin.h"
#include "lib/util.h"

size_t action_catalog_match(const char *pattern, bool (*cb)(const char *name, void *userdata), void *userdata) {
        size_t plen = strcspn(pattern, "*?");
        size_t lo = 0, hi = iam_action_catalog_size, n = 0;

        /* The catalog is sorted by lower-case form: the names starting with the pattern's
         * literal prefix are one run, found by binary search. */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strncasecmp(iam_action_name(mid), pattern, plen) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; i < iam_action_catalog_size; i++) {
                const char *name = iam_action_name(i);
                if (strncasecmp(name, pattern, plen) != 0)
                        break;
                if (!glob_match(pattern, name, true))
                        continue;
                n++;
                if (cb && !cb(name, userdata))
                        break;
        }
        return n;
}

static bool stop_at_first(const char *name, void *userdata) {
        (void) name, (void) userdata;
        return false;
}

bool action_catalog_known(const char *pattern) {
        return action_catalog_match(pattern, stop_at_first, NULL) > 0;
}
