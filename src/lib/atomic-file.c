/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif

#include "lib/atomic-file.h"
#include "lib/util.h"

int open_dir_beneath(const char *root, const char *path, unsigned flags) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *copy = NULL;

        if (!path || path[0] != '/')
                return -EINVAL;
        /* The root itself is the operator's choice (--root may well sit below a symlinked /tmp). */
        fd = open(root && root[0] ? root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                struct stat st;

                if (streq(c, "."))
                        continue;
                if (streq(c, ".."))
                        return -EINVAL;
                bool created = false;
                if (fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT || !(flags & ATOMIC_MKDIR))
                                return negative_errno();
                        if (mkdirat(fd, c, 0755) < 0) {
                                if (errno != EEXIST)
                                        return negative_errno();
                        } else
                                created = true;
                } else if (S_ISLNK(st.st_mode))
                        return -ELOOP;
                else if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;

                /* O_NOFOLLOW closes the race between the check above and the open. */
                int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return errno == ENOTDIR ? -ELOOP : negative_errno();
                close(fd);
                fd = next;
                /* mkdirat() applies the umask (an image build may well run under 077): the folders
                 * that unit links and rules files live in must be 0755 like the packages' own. */
                if (created && fchmod(fd, 0755) < 0)
                        return negative_errno();
        }
        return TAKE_FD(fd);
}

/* A temporary name beside NAME, removed again unless handed over. */
struct temp_name {
        int dirfd;
        char name[NAME_MAX + 1];
};

static void temp_name_unlink(struct temp_name *t) {
        if (t->name[0]) {
                int saved = errno;
                (void) unlinkat(t->dirfd, t->name, 0);
                errno = saved;
                t->name[0] = '\0';
        }
}

/* Tries random temporary names beside NAME (".NAME.XXXXXX") until CREATE, which makes a file
 * under the name it is given, does not fail with -EEXIST. CREATE's result (>= 0; T then holds
 * the name) or negative errno. */
static int temp_name_create(int dirfd, const char *name, struct temp_name *t,
                            int (*create)(int dirfd, const char *temp, void *userdata), void *userdata) {
        if (strlen(name) + 9 > NAME_MAX)
                return -ENAMETOOLONG;
        t->dirfd = dirfd;
        for (unsigned attempt = 0; attempt < 64; attempt++) {
                uint32_t rnd;
                if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
                        rnd = (uint32_t) getpid() * 2654435761u + attempt;
                snprintf(t->name, sizeof(t->name), ".%s.%06x", name, (unsigned) (rnd & 0xffffff));
                int r = create(dirfd, t->name, userdata);
                if (r >= 0)
                        return r;
                if (r != -EEXIST) {
                        t->name[0] = '\0';
                        return r;
                }
        }
        t->name[0] = '\0';
        return -EEXIST;
}

static int create_exclusive(int dirfd, const char *temp, void *userdata) {
        (void) userdata;
        /* 0600 until the data is complete: nobody reads a half-written or too open file. */
        int fd = openat(dirfd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        return fd >= 0 ? fd : negative_errno();
}

static int temp_open(int dirfd, const char *name, struct temp_name *t) {
        return temp_name_create(dirfd, name, t, create_exclusive, NULL);
}

static int write_all(int fd, const void *data, size_t size) {
        const char *p = data;
        while (size > 0) {
                ssize_t k = write(fd, p, size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += k;
                size -= (size_t) k;
        }
        return 0;
}

/* Writes DATA to FD, gives it its final mode and owner (OWNER's, when given) and syncs it. */
static int write_synced(int fd, const void *data, size_t size, mode_t mode, const struct stat *owner) {
        int r = write_all(fd, data, size);
        if (r < 0)
                return r;
        if (owner && (owner->st_uid != geteuid() || owner->st_gid != getegid()) &&
            fchown(fd, owner->st_uid, owner->st_gid) < 0)
                return negative_errno();
        if (fchmod(fd, mode & 07777) < 0 || fsync(fd) < 0)
                return negative_errno();
        return 0;
}

/* Writes DATA to a new temporary file beside NAME with its final mode and owner and syncs it. */
static int temp_write(int dirfd, const char *name, const void *data, size_t size, mode_t mode, const struct stat *owner,
                      struct temp_name *t) {
        _cleanup_close_ int fd = temp_open(dirfd, name, t);
        int r;

        if (fd < 0)
                return fd;
        r = write_synced(fd, data, size, mode, owner);
        if (r < 0)
                goto fail;
        r = close(TAKE_FD(fd));
        if (r < 0) {
                r = negative_errno();
                goto fail;
        }
        return 0;
fail:
        temp_name_unlink(t);
        return r;
}

/* The same data in a file without a name yet (O_TMPFILE): a process killed before the end leaves
 * nothing behind. The descriptor, -EOPNOTSUPP where the file system cannot, or negative errno. */
static int unnamed_write(int dirfd, const void *data, size_t size, mode_t mode, const struct stat *owner) {
        _cleanup_close_ int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        int r;

        if (fd < 0)
                /* Older kernels and some file systems: EISDIR, EOPNOTSUPP or EINVAL. */
                return errno == EISDIR || errno == EOPNOTSUPP || errno == EINVAL ? -EOPNOTSUPP : negative_errno();
        r = write_synced(fd, data, size, mode, owner);
        return r < 0 ? r : TAKE_FD(fd);
}

static int create_link(int dirfd, const char *temp, void *userdata) {
        int fd = *(const int *) userdata;
        char proc[64];

        /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc/self/fd needs /proc. */
        if (linkat(fd, "", dirfd, temp, AT_EMPTY_PATH) == 0)
                return 0;
        if (errno != ENOENT && errno != EPERM)
                return negative_errno();
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        if (linkat(AT_FDCWD, proc, dirfd, temp, AT_SYMLINK_FOLLOW) == 0)
                return 0;
        return errno == ENOENT || errno == EPERM ? -EOPNOTSUPP : negative_errno();
}

/* Gives the unnamed file FD a temporary name beside NAME, just before it replaces NAME.
 * -EOPNOTSUPP when no way of linking it is allowed here. */
static int unnamed_link(int fd, int dirfd, const char *name, struct temp_name *t) {
        return temp_name_create(dirfd, name, t, create_link, &fd);
}

static int read_at_nofollow(int dirfd, const char *name, char **ret, size_t *ret_size) {
        /* O_NONBLOCK: a FIFO planted in the file's place must not hang the open. */
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

        if (fd < 0)
                return errno == ELOOP ? -ELOOP : negative_errno();
        /* Checks that it is a regular file and bounds the size; needs no /proc (chroots, image builds). */
        return read_full_fd(fd, ret, ret_size);
}

static int check_regular(int dirfd, const char *name, struct stat *ret) {
        if (fstatat(dirfd, name, ret, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        if (S_ISLNK(ret->st_mode))
                return -ELOOP;
        if (S_ISDIR(ret->st_mode))
                return -EISDIR;
        if (!S_ISREG(ret->st_mode))
                return -EBADFD;
        return 0;
}

int atomic_write_at(int dirfd, const char *name, const void *data, size_t size, mode_t mode, unsigned flags) {
        _cleanup_(temp_name_unlink) struct temp_name tmp = {};
        _cleanup_(temp_name_unlink) struct temp_name tmpbak = {};
        char bak[NAME_MAX + 1];
        struct stat st;
        bool exists;
        int r;

        if (!name[0] || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                return -EINVAL;
        if ((size_t) snprintf(bak, sizeof(bak), "%s" ATOMIC_BACKUP_SUFFIX, name) >= sizeof(bak))
                return -ENAMETOOLONG;

        r = check_regular(dirfd, name, &st);
        if (r < 0 && r != -ENOENT)
                return r;
        exists = r == 0;

        if (exists) {
                _cleanup_free_ char *old = NULL;
                size_t old_size;
                r = read_at_nofollow(dirfd, name, &old, &old_size);
                if (r < 0)
                        return r;
                if (old_size == size && memcmp(old, data, size) == 0)
                        return 0;
                mode = st.st_mode & 07777;
        }

        bool backup = (flags & ATOMIC_BACKUP) && exists;
        if (backup) {
                struct stat bst;
                r = check_regular(dirfd, bak, &bst);
                if (r < 0 && r != -ENOENT)
                        return r;
                /* Already a link to this very file (a run killed between its two renames): it holds
                 * the old file, and rename() between two links of one file does nothing, which
                 * would leave the temporary name behind. */
                if (r == 0 && bst.st_dev == st.st_dev && bst.st_ino == st.st_ino)
                        backup = false;
        }

        /* The new file is written first, without a name where possible, so that a process killed
         * at any point leaves at most one temporary name, for the instant before the rename. */
        _cleanup_close_ int unnamed = unnamed_write(dirfd, data, size, mode, exists ? &st : NULL);
        if (unnamed == -EOPNOTSUPP) {
                r = temp_write(dirfd, name, data, size, mode, exists ? &st : NULL, &tmp);
                if (r < 0)
                        return r;
        } else if (unnamed < 0)
                return unnamed;

        if (backup) {
                /* A hard link keeps the old file's owner, mode and labels exactly; rename then
                 * replaces an older backup in one step. Copy where links are not allowed. */
                r = temp_open(dirfd, bak, &tmpbak);
                if (r < 0)
                        return r;
                close(r);
                (void) unlinkat(dirfd, tmpbak.name, 0);
                if (linkat(dirfd, name, dirfd, tmpbak.name, 0) < 0) {
                        _cleanup_free_ char *old = NULL;
                        size_t old_size;
                        tmpbak.name[0] = '\0';
                        if (errno != EPERM && errno != EOPNOTSUPP && errno != EMLINK)
                                return negative_errno();
                        r = read_at_nofollow(dirfd, name, &old, &old_size);
                        if (r < 0)
                                return r;
                        r = temp_write(dirfd, bak, old, old_size, st.st_mode, &st, &tmpbak);
                        if (r < 0)
                                return r;
                }
                if (renameat(dirfd, tmpbak.name, dirfd, bak) < 0)
                        return negative_errno();
                tmpbak.name[0] = '\0';
        }

        if (unnamed >= 0) {
                r = unnamed_link(unnamed, dirfd, name, &tmp);
                if (r == -EOPNOTSUPP)
                        r = temp_write(dirfd, name, data, size, mode, exists ? &st : NULL, &tmp);
                if (r < 0)
                        return r;
        }
        if (renameat(dirfd, tmp.name, dirfd, name) < 0)
                return negative_errno();
        tmp.name[0] = '\0';

        /* The rename is durable only once the folder is. */
        if (fsync(dirfd) < 0)
                return negative_errno();
        return 1;
}

static int split_path(const char *path, char **ret_dir, const char **ret_name) {
        const char *slash = strrchr(path, '/');

        if (!slash || path[0] != '/' || !slash[1])
                return -EINVAL;
        *ret_dir = slash == path ? strdup("/") : strndup(path, (size_t) (slash - path));
        if (!*ret_dir)
                return -ENOMEM;
        *ret_name = slash + 1;
        return 0;
}

/* Opens the folder of PATH below ROOT as open_dir_beneath() does; *RET_NAME points into PATH.
 * The descriptor, or negative errno. */
static int open_parent_beneath(const char *root, const char *path, unsigned flags, const char **ret_name) {
        _cleanup_free_ char *dir = NULL;
        int r = split_path(path, &dir, ret_name);
        if (r < 0)
                return r;
        return open_dir_beneath(root, dir, flags);
}

int atomic_write_file(const char *root, const char *path, const void *data, size_t size, mode_t mode,
                      unsigned flags) {
        const char *name;
        _cleanup_close_ int dirfd = open_parent_beneath(root, path, flags, &name);

        if (dirfd < 0)
                return dirfd;
        return atomic_write_at(dirfd, name, data, size, mode, flags);
}

int read_file_nofollow(const char *root, const char *path, char **ret, size_t *ret_size) {
        const char *name;
        _cleanup_close_ int dirfd = open_parent_beneath(root, path, 0, &name);

        if (dirfd < 0)
                return dirfd;
        return read_at_nofollow(dirfd, name, ret, ret_size);
}

/* ---- reading below a root ---- */

bool open_in_root_no_openat2 = false;

#define MAX_LINKS 40 /* the kernel's own bound on links followed in one lookup */

/* Pushes the components of PATH in front of the components still to walk (*REST). */
static int rest_prepend(char **rest, const char *path) {
        char *n;
        if (asprintf(&n, "%s/%s", path, strempty(*rest)) < 0)
                return -ENOMEM;
        free(*rest);
        *rest = n;
        return 0;
}

static void close_fds(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
}

/* The walk by hand: one component at a time below ROOTFD, never following a link in the kernel
 * (O_NOFOLLOW), reading each link and walking its target instead: an absolute one from the root,
 * ".." never above it. */
static int walk_in_root(int rootfd, const char *path, int flags) {
        _cleanup_free_ char *rest = strdup(path);
        int fds[256]; /* fds[0] = the root; fds[n-1] = the folder we are in */
        size_t n = 1;
        unsigned links = 0;
        int r;

        if (!rest)
                return -ENOMEM;
        fds[0] = rootfd;
        for (;;) {
                char *c = rest;
                c += strspn(c, "/");
                if (!*c) {
                        /* The path ends in a folder (or is the root): open that folder itself. */
                        r = openat(fds[n - 1], ".", flags & ~(O_NOFOLLOW | O_CREAT | O_EXCL), 0);
                        r = r >= 0 ? r : negative_errno();
                        goto out;
                }
                size_t len = strcspn(c, "/");
                bool last = c[len + strspn(c + len, "/")] == '\0';
                char name[NAME_MAX + 1];
                if (len > NAME_MAX) {
                        r = -ENAMETOOLONG;
                        goto out;
                }
                memcpy(name, c, len);
                name[len] = '\0';
                memmove(rest, c + len, strlen(c + len) + 1);

                if (streq(name, "."))
                        continue;
                if (streq(name, "..")) {
                        if (n > 1)
                                close(fds[--n]);
                        continue;
                }

                char target[PATH_MAX];
                ssize_t k = readlinkat(fds[n - 1], name, target, sizeof(target) - 1);
                if (k >= 0 && !(last && (flags & O_NOFOLLOW))) {
                        target[k] = '\0';
                        if (++links > MAX_LINKS) {
                                r = -ELOOP;
                                goto out;
                        }
                        if (target[0] == '/')
                                while (n > 1)
                                        close(fds[--n]);
                        r = rest_prepend(&rest, target);
                        if (r < 0)
                                goto out;
                        continue;
                }
                if (k < 0 && errno != EINVAL) {
                        r = negative_errno();
                        goto out;
                }

                if (last) {
                        /* O_NOFOLLOW: a link swapped in since readlinkat() fails rather than leads out. */
                        r = openat(fds[n - 1], name, flags | O_NOFOLLOW, 0);
                        r = r >= 0 ? r : negative_errno();
                        if (r == -ELOOP && !(flags & O_NOFOLLOW))
                                goto retry;
                        goto out;
                }
                if (n >= ELEMENTSOF(fds)) {
                        r = -ELOOP;
                        goto out;
                }
                int next = openat(fds[n - 1], name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        r = negative_errno();
                        if (r == -ELOOP || (r == -ENOTDIR && readlinkat(fds[n - 1], name, target, 1) >= 0))
                                goto retry;
                        goto out;
                }
                fds[n++] = next;
                continue;
        retry:
                /* It became a link between the two calls: walk it again. */
                if (++links > MAX_LINKS) {
                        r = -ELOOP;
                        goto out;
                }
                r = rest_prepend(&rest, name);
                if (r < 0)
                        goto out;
        }
out:
        close_fds(fds + 1, n - 1);
        return r;
}

int open_in_root(const char *root, const char *path, int flags) {
        _cleanup_close_ int rootfd = -1;

        if (!path || path[0] != '/')
                return -EINVAL;
        flags |= O_CLOEXEC;
        /* The live system's own root: links resolve there anyway, nothing to keep in (and one
         * system call fewer than openat2, which older valgrind and seccomp filters do not know). */
        if (!root || !root[0] || streq(root, "/")) {
                int fd = open(path, flags);
                return fd < 0 ? negative_errno() : fd;
        }
        rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return negative_errno();

#if defined(SYS_openat2) && defined(RESOLVE_IN_ROOT)
        if (!open_in_root_no_openat2) {
                struct open_how how = {
                        .flags = (unsigned) flags,
                        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
                };
                const char *rel = path + strspn(path, "/");
                int fd = (int) syscall(SYS_openat2, rootfd, rel[0] ? rel : ".", &how, sizeof(how));
                if (fd >= 0)
                        return fd;
                /* ENOSYS: an older kernel; EPERM: a seccomp filter (container runtimes) that knows it not;
                 * EAGAIN: a rename raced the lookup, which the walk by hand does not mind. */
                if (errno != ENOSYS && errno != EPERM && errno != EAGAIN)
                        return negative_errno();
        }
#endif
        return walk_in_root(rootfd, path, flags);
}

int read_file_in_root(const char *root, const char *path, char **ret, size_t *ret_size) {
        /* O_NONBLOCK: a FIFO planted in the file's place must not hang the open. */
        _cleanup_close_ int fd = open_in_root(root, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return fd;
        return read_full_fd(fd, ret, ret_size);
}

int stat_in_root(const char *root, const char *path, bool follow, struct stat *ret) {
        _cleanup_close_ int fd = open_in_root(root, path, O_PATH | (follow ? 0 : O_NOFOLLOW));
        if (fd < 0)
                return fd;
        return fstat(fd, ret) < 0 ? negative_errno() : 0;
}

int readlink_in_root(const char *root, const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = open_in_root(root, path, O_PATH | O_NOFOLLOW);
        if (fd < 0)
                return fd;
        ssize_t k = readlinkat(fd, "", buf, size - 1);
        if (k < 0)
                return errno == ENOENT ? -EINVAL : negative_errno();
        buf[k] = '\0';
        return 0;
}

int path_resolve_in_root(const char *root, const char *path, char **ret) {
        _cleanup_close_ int fd = open_in_root(root, path, O_PATH);
        char proc[64], target[PATH_MAX];

        if (fd < 0)
                return fd;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(proc, target, sizeof(target) - 1);
        if (n <= 0)
                return n < 0 && errno != ENOENT ? negative_errno() : -EOPNOTSUPP;
        target[n] = '\0';
        *ret = strdup(target);
        return *ret ? 0 : -ENOMEM;
}
