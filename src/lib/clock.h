/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The program's clock: CLOCK_MONOTONIC in milliseconds, for deadlines and for measuring. */

#include <stdint.h>
#include <time.h>

static inline int64_t clock_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until DEADLINE_MS (clock_now_ms() based), 0 once passed. */
static inline int64_t clock_left_ms(int64_t deadline_ms) {
        int64_t now = clock_now_ms();
        return deadline_ms > now ? deadline_ms - now : 0;
}
