/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "lib/util.h"

enum log_level {
        LOG_LEVEL_OFF = -1, /* nothing at all (fuzzing) */
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_NOTICE,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
};

/* Messages at or below this level are printed; -q lowers it, -v raises it. */
extern enum log_level log_max_level;

/* The bytes of one message kept before the cut. */
#define LOG_LINE_MAX 4096

/* Prints one line to stderr, control characters escaped, cut after LOG_LINE_MAX bytes. ERROR is the negative errno that %m expands to (0 = errno as is).
 * Returns ERROR (or -EIO when it was 0), so that callers can "return log_error_errno(r, ...)". */
int log_full_errno(enum log_level level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_error_errno(e, ...) log_full_errno(LOG_LEVEL_ERROR, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_LEVEL_WARNING, (e), __VA_ARGS__)
#define log_error(...) ((void) log_full_errno(LOG_LEVEL_ERROR, 0, __VA_ARGS__))
#define log_warning(...) ((void) log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__))
#define log_notice(...) ((void) log_full_errno(LOG_LEVEL_NOTICE, 0, __VA_ARGS__))
#define log_info(...) ((void) log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__))
#define log_debug(...) ((void) log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__))
