/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <sys/stat.h>
#include <syslog.h>

#include "lib/escape.h"
#include "lib/log.h"

enum log_level log_max_level = LOG_LEVEL_NOTICE;

/* When stderr is a journal stream (systemd sets JOURNAL_STREAM=DEV:INODE for it), a "<N>"
 * prefix gives each line its syslog priority instead of the unit's SyslogLevel=. */
static bool stderr_is_journal(void) {
        static int cached = -1;
        const char *e;
        unsigned long long dev, ino;
        struct stat st;

        if (cached >= 0)
                return cached;
        cached = 0;
        e = getenv("JOURNAL_STREAM");
        if (e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
            (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino)
                cached = 1;
        return cached;
}

int log_full_errno(enum log_level level, int error, const char *fmt, ...) {
        _cleanup_free_ char *text = NULL;
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

        static const int priority[] = {
                [LOG_LEVEL_ERROR] = LOG_ERR,
                [LOG_LEVEL_WARNING] = LOG_WARNING,
                [LOG_LEVEL_NOTICE] = LOG_NOTICE,
                [LOG_LEVEL_INFO] = LOG_INFO,
                [LOG_LEVEL_DEBUG] = LOG_DEBUG,
        };

        /* One message is one line: whatever outside text it quotes, control characters are escaped
         * and its length bounded (the values in it are cut with ESC(); this is the safety net). */
        va_start(ap, fmt);
        int k = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (k < 0)
                text = NULL;
        char line[ESCAPE_BUFSIZE(LOG_LINE_MAX)];
        escape_str(text ? text : fmt, LOG_LINE_MAX, line, sizeof(line));

        if (stderr_is_journal())
                fprintf(stderr, "<%d>", priority[level]);
        fprintf(stderr, "ecs-harden: %s%s\n", prefix[level], line);

out:
        errno = saved;
        if (error == 0)
                return -EIO;
        return error < 0 ? error : -error;
}
