/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <linux/capability.h>
#include <sys/syscall.h>

#include "lib/util.h"

char *path_join_root(const char *root, const char *path) {
        char *p;

        if (!root || streq(root, "/") || root[0] == '\0')
                return strdup(path);

        size_t rl = strlen(root);
        while (rl > 1 && root[rl - 1] == '/')
                rl--;
        if (asprintf(&p, "%.*s%s%s", (int) rl, root, path[0] == '/' ? "" : "/", path) < 0)
                return NULL;
        return p;
}

int open_scratch_file(void) {
        const char *dir = getenv("TMPDIR");
        int fd;

        if (!dir || !*dir)
                dir = "/tmp";
        fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0)
                return fd;
        /* A file system without O_TMPFILE: a named file, unlinked at once. */
        _cleanup_free_ char *t = NULL;
        if (asprintf(&t, "%s/ecs-harden-scratch.XXXXXX", dir) < 0)
                return -ENOMEM;
        fd = mkostemp(t, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        (void) unlink(t);
        return fd;
}

int read_full_fd(int fd, char **ret, size_t *ret_size) {
        /* Refuse anything that is not a regular file, and stay bounded: these are config files. */
        const size_t max = 64 * 1024 * 1024;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;
        struct stat st;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;

        for (;;) {
                if (alloc - size < 4096) {
                        if (alloc >= max)
                                return -EFBIG;
                        size_t n = alloc ? alloc * 2 : 8192;
                        char *b = realloc(buf, n + 1);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        alloc = n;
                }
                ssize_t k = read(fd, buf + size, alloc - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                size += (size_t) k;
        }

        if (!buf) {
                buf = strdup("");
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int read_full_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        return read_full_fd(fd, ret, ret_size);
}

char *strstrip(char *s) {
        while (isspace((unsigned char) *s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                s[--n] = '\0';
        return s;
}

bool have_effective_capability(int cap) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};

        if (syscall(SYS_capget, &h, d) < 0)
                return false;
        return d[cap / 32].effective & (1u << (cap % 32));
}
