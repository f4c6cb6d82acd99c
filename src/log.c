/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>

#include "log.h"

enum log_level log_max_level = LOG_LEVEL_NOTICE;

int log_full_errno(enum log_level level, int error, const char *fmt, ...) {
        int saved = errno;
        va_list ap;

        if ((int) level > (int) log_max_level)
                goto out;

        /* %m in FMT must print the error we were given, not whatever errno happens to hold. */
        if (error != 0)
                errno = error < 0 ? -error : error;
        else
                errno = saved;

        static const char *const prefix[] = {
                [LOG_LEVEL_ERROR] = "error: ",
                [LOG_LEVEL_WARNING] = "warning: ",
                [LOG_LEVEL_NOTICE] = "",
                [LOG_LEVEL_INFO] = "",
                [LOG_LEVEL_DEBUG] = "debug: ",
        };

        fprintf(stderr, "ecs-harden: %s", prefix[level]);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);

out:
        errno = saved;
        if (error == 0)
                return -EIO;
        return error < 0 ? error : -error;
}
