/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The program's string vector: a growable list of strings kept back to back in one buffer, so
 * that a list refilled again and again (a statement's actions, statement after statement)
 * costs no allocation once grown. Zero-initialised is empty. */

#include <stddef.h>

struct strv {
        char *buf;
        size_t len, alloc;
        size_t *offs;
        size_t n, a_offs;
};

/* Appends the N bytes at S (may hold no NUL) as a string. 0 or -ENOMEM. */
int strv_add(struct strv *v, const char *s, size_t n);

/* Empties V, keeps its memory. */
static inline void strv_clear(struct strv *v) {
        v->len = v->n = 0;
}

void strv_done(struct strv *v);

/* The I-th string (I < v->n): valid until the next strv_add(). */
static inline const char *strv_get(const struct strv *v, size_t i) {
        return v->buf + v->offs[i];
}
