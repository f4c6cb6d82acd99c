/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
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
