/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Defines NAMEp(TYPE **) calling FUNC on a non-NULL pointer, for _cleanup_(NAMEp). */
#define DEFINE_POINTER_CLEANUP(type, func)                      \
        static inline void func##p(type **p) {                  \
                if (*p)                                         \
                        func(*p);                               \
        }

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

static inline const char *strempty(const char *s) {
        return s ? s : "";
}

/* Returns the pointer and sets *p to NULL, to hand over ownership out of a cleanup scope. */
#define TAKE_PTR(p)                                     \
        ({                                              \
                __typeof__(p) _taken = (p);             \
                (p) = NULL;                             \
                _taken;                                 \
        })

#define TAKE_FD(fd)                                     \
        ({                                              \
                int _taken = (fd);                      \
                (fd) = -1;                              \
                _taken;                                 \
        })

/* Returns -errno of the last failed libc call, never 0 (some libraries leave errno unset). */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

/* Joins ROOT and an absolute PATH; "/" or NULL root gives PATH itself. Returns NULL on OOM. */
char *path_join_root(const char *root, const char *path);

/* Reads a whole regular file (at most 64 MiB) into a NUL-terminated buffer; *ret_size, when
 * not NULL, excludes the NUL. 0, -EISDIR/-EBADFD (not a regular file), -EFBIG, or another
 * negative errno. read_full_file() opens PATH non-blocking, so a FIFO cannot hang it. */
int read_full_fd(int fd, char **ret, size_t *ret_size);
int read_full_file(const char *path, char **ret, size_t *ret_size);

/* An unnamed temporary file for scratch data, in $TMPDIR or /tmp: gone when closed. The
 * descriptor, or negative errno. */
int open_scratch_file(void);

/* Strips leading and trailing whitespace in place; returns s advanced past the leading part. */
char *strstrip(char *s);

/* True when the process holds capability CAP (CAP_NET_ADMIN, ...) in its effective set. */
bool have_effective_capability(int cap);
