/* SPDX-License-Identifier: Apache-2.0 */
/* URL-decoding (IAM returns policy documents percent-encoded) and reading a whole input. */
#include <fcntl.h>
#include <sys/stat.h>

#include "audit/input-private.h"
#include "audit/policy-builtin.h"

static int hexval(char c) {
        return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

int url_decode(const char *s, size_t n, char **ret, size_t *ret_len) {
        char *d = malloc(n + 1);
        size_t k = 0;

        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '%') {
                        d[k++] = s[i];
                        continue;
                }
                if (i + 2 >= n || !isxdigit((unsigned char) s[i + 1]) || !isxdigit((unsigned char) s[i + 2])) {
                        free(d);
                        return -EINVAL;
                }
                d[k++] = (char) (hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
                i += 2;
        }
        d[k] = '\0';
        *ret = d;
        *ret_len = k;
        return 0;
}

int read_all(int fd, size_t max, char **ret, size_t *ret_len, const char *first, size_t first_len) {
        size_t len = first_len, alloc = first_len + READ_CHUNK;
        char *buf = malloc(alloc + 1);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, first, first_len);
        for (;;) {
                if (len == alloc) {
                        if (alloc >= max) {
                                free(buf);
                                return -EFBIG;
                        }
                        alloc *= 2;
                        char *nb = realloc(buf, alloc + 1);
                        if (!nb) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = nb;
                }
                ssize_t k = read(fd, buf + len, alloc - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = negative_errno();
                        free(buf);
                        return r;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = '\0';
        *ret = buf;
        *ret_len = len;
        return 0;
}
