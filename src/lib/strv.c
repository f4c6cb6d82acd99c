/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strv.h"

int strv_add(struct strv *v, const char *s, size_t n) {
        if (n > (size_t) -1 / 4 - v->len)
                return -ENOMEM;
        if (v->len + n + 1 > v->alloc) {
                size_t na = (v->len + n + 1) * 2 + 256;
                char *b = realloc(v->buf, na);
                if (!b)
                        return -ENOMEM;
                v->buf = b;
                v->alloc = na;
        }
        if (v->n == v->a_offs) {
                size_t na = v->a_offs * 2 + 16;
                size_t *o = reallocarray(v->offs, na, sizeof(size_t));
                if (!o)
                        return -ENOMEM;
                v->offs = o;
                v->a_offs = na;
        }
        v->offs[v->n++] = v->len;
        memcpy(v->buf + v->len, s, n);
        v->buf[v->len + n] = '\0';
        v->len += n + 1;
        return 0;
}

void strv_done(struct strv *v) {
        free(v->buf);
        free(v->offs);
        *v = (struct strv) {};
}
