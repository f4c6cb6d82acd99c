/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>

#include "util.h"
#include "xtables-lock.h"

const char *xtables_lock_path(void) {
        const char *p = getenv("XTABLES_LOCKFILE");
        return p && p[0] ? p : "/run/xtables.lock";
}

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int xtables_lock(unsigned timeout_ms) {
        _cleanup_close_ int fd = -1;

        /* Same flags and mode as iptables' xtables_lock(), so both can create it first. */
        fd = open(xtables_lock_path(), O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return negative_errno();

        long long deadline = now_ms() + timeout_ms;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return TAKE_FD(fd);
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return negative_errno();
                if (now_ms() >= deadline)
                        return -ETIMEDOUT;
                /* iptables -W polls at 1 s by default; a short poll keeps the boot path fast. */
                nanosleep(&(struct timespec) { .tv_nsec = 5 * 1000 * 1000 }, NULL);
        }
}
