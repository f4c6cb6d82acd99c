/* SPDX-License-Identifier: Apache-2.0 */
/* persistence: waits for the persistence module (src/persist.c) to land; until then it says so. */
#include "check.h"

int check_persistence(const struct check_ctx *ctx, struct check_result *ret) {
        (void) ctx;
        return check_result_set(ret, CHECK_SKIP, "not available in this build yet (needs the persistence module)");
}
