/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include "lib/spawn.h"
#include "lib/util.h"

#define MAX_OUT (16u * 1024 * 1024)
#define MAX_ERR (64u * 1024)

void spawn_result_done(struct spawn_result *r) {
        free(r->out);
        free(r->err);
        memset(r, 0, sizeof(*r));
}

struct buf {
        char *data;
        size_t size, alloc, max;
        int r;
};

/* Appends what FD has; 0 at end of file, 1 to keep reading. Overflow is recorded, not fatal,
 * so that the child is never left blocked on a full pipe. */
static int buf_read(struct buf *b, int fd) {
        char chunk[8192];
        ssize_t k = read(fd, chunk, sizeof(chunk));

        if (k < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : negative_errno();
        if (k == 0)
                return 0;
        if (b->size + (size_t) k > b->max) {
                b->r = -EFBIG;
                return 1;
        }
        if (b->size + (size_t) k + 1 > b->alloc) {
                size_t n = b->alloc ? b->alloc : 16384;
                while (n < b->size + (size_t) k + 1)
                        n *= 2;
                char *d = realloc(b->data, n);
                if (!d) {
                        b->r = -ENOMEM;
                        return 1;
                }
                b->data = d;
                b->alloc = n;
        }
        memcpy(b->data + b->size, chunk, (size_t) k);
        b->size += (size_t) k;
        b->data[b->size] = '\0';
        return 1;
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Milliseconds left until DEADLINE, for poll(). */
static int left_ms(uint64_t deadline) {
        uint64_t now = now_ms();
        return now >= deadline ? 0 : (int) (deadline - now > INT_MAX ? INT_MAX : deadline - now);
}

/* Reaps PID by DEADLINE; past it, kills it (only the child we started, by its PID) and reaps it.
 * 0 with *ret_status, -ETIMEDOUT when it had to be killed, or a negative errno. */
static int wait_bounded(pid_t pid, uint64_t deadline, int *ret_status) {
        unsigned pause_us = 1000;

        for (;;) {
                pid_t k = waitpid(pid, ret_status, WNOHANG);
                if (k == pid)
                        return 0;
                if (k < 0 && errno != EINTR)
                        return negative_errno();
                if (left_ms(deadline) == 0)
                        break;
                /* No pidfd on the kernels of older AMIs: poll the child's state, backing off to 20 ms. */
                (void) usleep(pause_us);
                pause_us = pause_us < 20000 ? pause_us * 2 : 20000;
        }
        (void) kill(pid, SIGKILL);
        while (waitpid(pid, ret_status, 0) < 0)
                if (errno != EINTR)
                        break;
        return -ETIMEDOUT;
}

/* In the child: makes FROM[i] its fd i (0-2). A source may itself be one of 0-2 when the parent
 * ran with them closed; moving every source above 2 first means no dup2() below clobbers another
 * source or is a dup2(x, x), which would keep O_CLOEXEC and close the stream at exec. */
static int child_stdio(int from[3], int *exec_err) {
        for (int i = 0; i < 3; i++)
                if (from[i] < 3) {
                        int moved = fcntl(from[i], F_DUPFD_CLOEXEC, 3);
                        if (moved < 0)
                                return -1;
                        for (int j = i + 1; j < 3; j++)
                                if (from[j] == from[i])
                                        from[j] = moved;
                        from[i] = moved;
                }
        if (*exec_err < 3) {
                *exec_err = fcntl(*exec_err, F_DUPFD_CLOEXEC, 3);
                if (*exec_err < 0)
                        return -1;
        }
        for (int i = 0; i < 3; i++)
                if (dup2(from[i], i) < 0) /* the copy has FD_CLOEXEC clear */
                        return -1;
        return 0;
}

int spawn_capture(char *const argv[], int capture_out, struct spawn_result *res) {
        return spawn_capture_timeout(argv, capture_out, SPAWN_TIMEOUT_MS, res);
}

int spawn_capture_timeout(char *const argv[], int capture_out, unsigned timeout_ms, struct spawn_result *res) {
        static char *const envp[] = { (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *) "LC_ALL=C", NULL };
        int out[2] = { -1, -1 }, err[2] = { -1, -1 }, exec_err[2] = { -1, -1 };
        struct buf bo = { .max = MAX_OUT }, be = { .max = MAX_ERR };
        uint64_t deadline;
        pid_t pid;
        int r = 0;

        memset(res, 0, sizeof(*res));
        if (!argv[0] || argv[0][0] != '/')
                return -EINVAL;
        if (access(argv[0], X_OK) < 0)
                return negative_errno();

        if ((capture_out && pipe2(out, O_CLOEXEC) < 0) || pipe2(err, O_CLOEXEC) < 0 || pipe2(exec_err, O_CLOEXEC) < 0) {
                r = negative_errno();
                goto finish;
        }

        deadline = now_ms() + timeout_ms;
        pid = fork();
        if (pid < 0) {
                r = negative_errno();
                goto finish;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null < 0)
                        _exit(127);
                int from[3] = { null, capture_out ? out[1] : null, err[1] };
                if (child_stdio(from, &exec_err[1]) < 0)
                        _exit(127);
                /* The helper must not inherit our signal dispositions. */
                struct sigaction sa = { .sa_handler = SIG_DFL };
                for (int s = 1; s < NSIG; s++)
                        (void) sigaction(s, &sa, NULL);
                sigset_t none;
                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                execve(argv[0], argv, envp);
                int e = errno;
                (void) !write(exec_err[1], &e, sizeof(e));
                _exit(127);
        }

        closep(&out[1]);
        closep(&err[1]);
        closep(&exec_err[1]);
        out[1] = err[1] = exec_err[1] = -1;

        for (;;) {
                struct pollfd p[2];
                nfds_t n = 0;
                if (out[0] >= 0)
                        p[n++] = (struct pollfd) { .fd = out[0], .events = POLLIN };
                if (err[0] >= 0)
                        p[n++] = (struct pollfd) { .fd = err[0], .events = POLLIN };
                if (n == 0)
                        break;
                int ready = poll(p, n, left_ms(deadline));
                if (ready < 0) {
                        if (errno == EINTR)
                                continue;
                        r = negative_errno();
                        break;
                }
                if (ready == 0) {
                        r = -ETIMEDOUT; /* wait_bounded() below kills it */
                        break;
                }
                for (nfds_t i = 0; i < n; i++) {
                        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        bool is_out = p[i].fd == out[0];
                        int k = buf_read(is_out ? &bo : &be, p[i].fd);
                        if (k <= 0) {
                                if (k < 0 && r == 0)
                                        r = k;
                                if (is_out) {
                                        closep(&out[0]);
                                        out[0] = -1;
                                } else {
                                        closep(&err[0]);
                                        err[0] = -1;
                                }
                        }
                }
                if (r < 0)
                        break;
        }

        /* After an error the child must not block on a full pipe: close our ends first. */
        closep(&out[0]);
        closep(&err[0]);
        out[0] = err[0] = -1;

        int status;
        int w = wait_bounded(pid, r == -ETIMEDOUT ? 0 : deadline, &status);
        if (w < 0) {
                if (r == 0 || w == -ETIMEDOUT)
                        r = w;
                goto finish;
        }
        res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

        int e;
        if (read(exec_err[0], &e, sizeof(e)) == (ssize_t) sizeof(e) && r == 0)
                r = -e;
        if (r == 0)
                r = bo.r < 0 ? bo.r : 0;

finish:
        closep(&out[0]);
        closep(&out[1]);
        closep(&err[0]);
        closep(&err[1]);
        closep(&exec_err[0]);
        closep(&exec_err[1]);
        if (r < 0) {
                free(bo.data);
                free(be.data);
                return r;
        }
        res->out = capture_out ? (bo.data ? bo.data : strdup("")) : NULL;
        if (!capture_out)
                free(bo.data);
        res->out_size = bo.size;
        res->err = be.data ? be.data : strdup("");
        if ((capture_out && !res->out) || !res->err) {
                spawn_result_done(res);
                return -ENOMEM;
        }
        return 0;
}
