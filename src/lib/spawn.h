/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

/* Runs helper programs the way a privileged tool must: execve() of an absolute path with a fixed
 * argv, a clean environment (PATH and LC_ALL=C only), no shell, stdin from /dev/null. */

struct spawn_result {
        int status;             /* exit code, or 128 + signal number */
        char *out;              /* captured stdout (NUL-terminated), NULL unless asked for */
        size_t out_size;
        char *err;              /* captured stderr (NUL-terminated, at most 64 KiB) */
};

void spawn_result_done(struct spawn_result *r);

/* Runs ARGV (ARGV[0] an absolute path) and waits for it. With CAPTURE_OUT stdout is collected
 * into res->out (at most 16 MiB), else it goes to /dev/null. Returns 0 when the program ran
 * (whatever its exit code, in res->status), -ENOENT / -EACCES when it cannot be executed,
 * -EFBIG when the output is too large, -ETIMEDOUT when it ran longer than SPAWN_TIMEOUT_MS (it is
 * killed), another negative errno on failure. */
int spawn_capture(char *const argv[], int capture_out, struct spawn_result *res);

/* How long spawn_capture() lets a helper run: iptables-save waits for no lock, `service iptables
 * save` takes well under a second; a helper that hangs must not hang persist with it. */
#define SPAWN_TIMEOUT_MS 30000u

/* The same with a bound of TIMEOUT_MS for the whole run; past it the child (the one process it
 * started, by PID) is killed with SIGKILL and reaped, and -ETIMEDOUT is returned. Works when the
 * caller's fds 0-2 are closed: the child's stdio is still /dev/null and the pipes. */
int spawn_capture_timeout(char *const argv[], int capture_out, unsigned timeout_ms, struct spawn_result *res);
