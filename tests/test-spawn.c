/* SPDX-License-Identifier: Apache-2.0 */
/* spawn_capture(): output, exit status, the time bound, and a caller with fds 0-2 closed. */
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>

#include "lib/spawn.h"
#include "test.h"
#include "lib/util.h"

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* True when no child of ours is left, not even a zombie. */
static bool no_children(void) {
        return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

TEST(captures_output_and_status) {
        struct spawn_result res;
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) "echo out; echo err >&2; exit 3", NULL };
        ASSERT_INT_EQ(spawn_capture(argv, 1, &res), 0);
        ASSERT_INT_EQ(res.status, 3);
        ASSERT_STR_EQ(res.out, "out\n");
        ASSERT_STR_EQ(res.err, "err\n");
        spawn_result_done(&res);

        ASSERT_INT_EQ(spawn_capture(argv, 0, &res), 0);
        ASSERT_TRUE(res.out == NULL);
        ASSERT_STR_EQ(res.err, "err\n");
        spawn_result_done(&res);

        char *rel[] = { (char *) "sh", NULL };
        ASSERT_INT_EQ(spawn_capture(rel, 1, &res), -EINVAL);
        char *missing[] = { (char *) "/nonexistent/helper", NULL };
        ASSERT_INT_EQ(spawn_capture(missing, 1, &res), -ENOENT);
        ASSERT_TRUE(no_children());
}

TEST(a_hanging_helper_is_killed) {
        struct spawn_result res;
        char *argv[] = { (char *) "/bin/sleep", (char *) "30", NULL };
        double t0 = now();
        ASSERT_INT_EQ(spawn_capture_timeout(argv, 1, 200, &res), -ETIMEDOUT);
        double took = now() - t0;
        ASSERT_TRUE(took >= 0.19 && took < 5);
        ASSERT_TRUE(no_children());   /* killed and reaped */

        /* One that closes its output but stays: the wait for its exit is bounded too. */
        char *quiet[] = { (char *) "/bin/sh", (char *) "-c", (char *) "exec >&- 2>&-; exec sleep 30", NULL };
        t0 = now();
        ASSERT_INT_EQ(spawn_capture_timeout(quiet, 1, 200, &res), -ETIMEDOUT);
        took = now() - t0;
        ASSERT_TRUE(took >= 0.19 && took < 5);
        ASSERT_TRUE(no_children());

        /* A quick one within its bound is not disturbed. */
        char *quick[] = { (char *) "/bin/sh", (char *) "-c", (char *) "echo fine", NULL };
        ASSERT_INT_EQ(spawn_capture_timeout(quick, 1, 5000, &res), 0);
        ASSERT_STR_EQ(res.out, "fine\n");
        spawn_result_done(&res);
}

/* Runs in a child with fds 0-2 closed (as under some supervisors): the pipes spawn_capture()
 * makes then get the numbers 0-2, and the helper must still see /dev/null, the stdout pipe and the
 * stderr pipe on 0, 1 and 2. The result goes back over REPORT. */
static int closed_stdio_child(int report, int capture_out) {
        struct spawn_result res;
        char *argv[] = { (char *) "/bin/sh", (char *) "-c",
                         (char *) "echo out; echo err >&2; if read x; then echo stdin-had-data >&2; fi", NULL };
        char buf[256];
        int r;

        close(0);
        close(1);
        close(2);
        r = spawn_capture(argv, capture_out, &res);
        if (r < 0)
                snprintf(buf, sizeof(buf), "error %d", r);
        else {
                snprintf(buf, sizeof(buf), "status=%d out=[%s] err=[%s]", res.status, res.out ? res.out : "(none)", res.err);
                spawn_result_done(&res);
        }
        (void) !write(report, buf, strlen(buf));
        return 0;
}

static char *run_closed(int capture_out) {
        int p[2];
        static char buf[256];
        ssize_t n;

        if (pipe(p) < 0)
                return NULL;
        /* The report pipe must not take one of the numbers 0-2 the test wants free. */
        int report = fcntl(p[1], F_DUPFD, 10), readend = fcntl(p[0], F_DUPFD, 10);
        close(p[0]);
        close(p[1]);
        pid_t pid = fork();
        if (pid == 0) {
                close(readend);
                _exit(closed_stdio_child(report, capture_out));
        }
        close(report);
        n = read(readend, buf, sizeof(buf) - 1);
        close(readend);
        (void) waitpid(pid, NULL, 0);
        buf[n > 0 ? n : 0] = '\0';
        return buf;
}

TEST(works_with_stdio_closed) {
        ASSERT_STR_EQ(run_closed(1), "status=0 out=[out\n] err=[err\n]");
        ASSERT_STR_EQ(run_closed(0), "status=0 out=[(none)] err=[err\n]");
}
