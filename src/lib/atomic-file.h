/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Files that persist writes: replaced atomically, the previous version kept beside them, and
 * never written through a symbolic link (a link planted in /etc must not redirect a root-owned
 * write elsewhere). Every function returns a negative errno on failure; the caller names the file. */

#define ATOMIC_BACKUP_SUFFIX ".ecs-harden.bak"

enum {
        ATOMIC_MKDIR = 1 << 0,          /* create missing folders (0755) */
        ATOMIC_BACKUP = 1 << 1,         /* keep the previous file as NAME.ecs-harden.bak */
};

/* Opens the folder PATH (absolute) below ROOT ("/" or NULL = the real root) component by
 * component, refusing a symbolic link in any component below ROOT with -ELOOP and a
 * non-folder with -ENOTDIR. With ATOMIC_MKDIR missing folders are created. Returns an O_PATH-less
 * O_DIRECTORY fd (close it) or a negative errno. */
int open_dir_beneath(const char *root, const char *path, unsigned flags);

/* Replaces DIRFD/NAME with DATA: a temporary file in the same folder (O_EXCL, O_NOFOLLOW, mode
 * 0600 while written), fsync, the old file hard-linked to NAME.ecs-harden.bak (ATOMIC_BACKUP),
 * rename over NAME, fsync of the folder. A new file gets MODE; a replaced one keeps its mode and
 * owner. Nothing is written when NAME already holds DATA. Returns 1 when written, 0 when
 * unchanged, -ELOOP when NAME or its backup is a symbolic link, -EISDIR / -EBADFD when NAME is
 * not a regular file, other negative errno. The temporary file never survives a failure. */
int atomic_write_at(int dirfd, const char *name, const void *data, size_t size, mode_t mode, unsigned flags);

/* The same for ROOT + PATH (absolute), with open_dir_beneath() for its folder. */
int atomic_write_file(const char *root, const char *path, const void *data, size_t size, mode_t mode,
                      unsigned flags);

/* Reads ROOT + PATH into *ret (NUL-terminated) without following a symbolic link in the last
 * component. 0, -ENOENT, -ELOOP, or another negative errno. */
int read_file_nofollow(const char *root, const char *path, char **ret, size_t *ret_size);

/* Reading below a root: every symbolic link, in any component, resolves as if ROOT ("/" or NULL =
 * the real root) were "/" — an absolute target is ROOT-relative, ".." stops at ROOT — so nothing
 * outside ROOT is ever reached. openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) where the kernel
 * has it (5.6+), the same walk by hand elsewhere. PATH is absolute. FLAGS are open(2) flags;
 * with O_NOFOLLOW a link in the last component is not followed (O_PATH | O_NOFOLLOW opens the link
 * itself). Returns the descriptor or a negative errno (-ELOOP after 40 links). */
int open_in_root(const char *root, const char *path, int flags);

/* For the tests: walk by hand even where openat2 exists. */
extern bool open_in_root_no_openat2;

/* Reads ROOT + PATH, links resolved inside ROOT, into *ret (NUL-terminated; *ret_size excludes the
 * NUL). Opened non-blocking and refused unless a regular file: 0, -ENOENT, -EISDIR, -EBADFD (a
 * FIFO, a device, a socket), -EFBIG, or another negative errno. */
int read_file_in_root(const char *root, const char *path, char **ret, size_t *ret_size);

/* stat(2) (FOLLOW) or lstat(2) of ROOT + PATH, links resolved inside ROOT. 0 or negative errno. */
int stat_in_root(const char *root, const char *path, bool follow, struct stat *ret);

/* readlink(2) of ROOT + PATH, the folders on its path resolved inside ROOT; the target as written.
 * 0 or negative errno (-EINVAL: not a link). */
int readlink_in_root(const char *root, const char *path, char *buf, size_t size);

/* The name of what ROOT + PATH is, links resolved inside ROOT, as the kernel gives it (/proc), for
 * the few consumers that take a path rather than a descriptor (libcurl's unix socket, the policy
 * parser): every link in it already resolved, so it cannot lead out of ROOT (short of a link
 * planted between this call and theirs). 0, -ENOENT, -EOPNOTSUPP without /proc, or negative errno. */
int path_resolve_in_root(const char *root, const char *path, char **ret);
