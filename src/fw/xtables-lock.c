/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/escape.h"
#include "lib/log.h"
#include "lib/util.h"
#include "fw/xtables-lock.h"

const char *xtables_lock_path(void) {
        const char *p = getenv("XTABLES_LOCKFILE");
        return p && p[0] ? p : "/run/xtables.lock";
}

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *file_kind(mode_t m) {
        return S_ISDIR(m) ? "a folder" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
               S_ISCHR(m) || S_ISBLK(m) ? "a device" : "not a regular file";
}

int xtables_lock(unsigned timeout_ms) {
        const char *path = xtables_lock_path();
        _cleanup_close_ int fd = -1;
        struct stat st;

        /* Same flags and mode as iptables' xtables_lock(), so both can create it first; O_NONBLOCK
         * so that a FIFO in its place cannot stop the open itself, and the wait stays bounded. */
        fd = open(path, O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0600);
        if (fd < 0) {
                int r = negative_errno();
                return log_error_errno(r, "Cannot open the iptables lock file %s%s: %m; %s", ESC(path),
                                       getenv("XTABLES_LOCKFILE") ? " (XTABLES_LOCKFILE)" : "",
                                       r == -ELOOP ? "it is a symbolic link, which iptables refuses too"
                                                   : "make it a regular file root can create, or unset XTABLES_LOCKFILE");
        }
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode)) {
                log_error("The iptables lock file %s%s is %s; it must be a regular file (remove it, or point "
                          "XTABLES_LOCKFILE at a file)", ESC(path),
                          getenv("XTABLES_LOCKFILE") ? " (XTABLES_LOCKFILE)" : "", file_kind(st.st_mode));
                return -ENOLCK;
        }

        long long deadline = now_ms() + timeout_ms;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return TAKE_FD(fd);
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return log_error_errno(negative_errno(), "Cannot lock %s: %m", ESC(path));
                if (now_ms() >= deadline)
                        return -ETIMEDOUT;
                /* iptables -W polls at 1 s by default; a short poll keeps the boot path fast. */
                nanosleep(&(struct timespec) { .tv_nsec = 5 * 1000 * 1000 }, NULL);
        }
}
