/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>

#include "persist/text-diff.h"
#include "lib/util.h"

#define CONTEXT 3
/* Above this many cells the longest common subsequence table costs too much memory; such files
 * are shown as removed and re-added in full, which is still a correct diff. */
#define MAX_CELLS (8u * 1024 * 1024)

struct lines {
        char **v;
        size_t n;
        char *buf;
};

static void lines_done(struct lines *l) {
        free(l->v);
        free(l->buf);
}

static int split_lines(const char *text, struct lines *ret) {
        memset(ret, 0, sizeof(*ret));
        if (!text || !*text)
                return 0;
        ret->buf = strdup(text);
        if (!ret->buf)
                return -ENOMEM;
        size_t n = 1;
        for (const char *p = text; *p; p++)
                if (*p == '\n')
                        n++;
        ret->v = calloc(n, sizeof(char *));
        if (!ret->v)
                return -ENOMEM;
        for (char *p = ret->buf, *next; p && *p; p = next) {
                next = strchr(p, '\n');
                if (next)
                        *next++ = '\0';
                ret->v[ret->n++] = p;
        }
        return 0;
}

enum op { OP_SAME, OP_DEL, OP_ADD };

int text_diff_print(FILE *f, const char *old, const char *new, const char *label_old, const char *label_new) {
        struct lines a = {}, b = {};
        enum op *ops = NULL;
        size_t *ia = NULL, n_ops = 0;
        uint32_t *t = NULL;
        int r;

        if (streq_ptr(old, new) || (!old && new && !*new))
                return 0;
        if ((r = split_lines(old, &a)) < 0 || (r = split_lines(new, &b)) < 0)
                goto out;

        ops = calloc(a.n + b.n + 1, sizeof(*ops));
        ia = calloc(a.n + b.n + 1, sizeof(*ia)); /* index into a (SAME, DEL) or b (ADD) */
        if (!ops || !ia) {
                r = -ENOMEM;
                goto out;
        }

        size_t w = b.n + 1;
        if ((a.n + 1) * w <= MAX_CELLS)
                t = calloc((a.n + 1) * w, sizeof(*t));
        if (t) {
                /* t[i][j] = length of the LCS of a[i..] and b[j..] */
                for (size_t i = a.n; i-- > 0;)
                        for (size_t j = b.n; j-- > 0;)
                                t[i * w + j] = streq(a.v[i], b.v[j]) ? t[(i + 1) * w + j + 1] + 1 :
                                               (t[(i + 1) * w + j] >= t[i * w + j + 1] ? t[(i + 1) * w + j] : t[i * w + j + 1]);
                size_t i = 0, j = 0;
                while (i < a.n || j < b.n) {
                        if (i < a.n && j < b.n && streq(a.v[i], b.v[j])) {
                                ops[n_ops] = OP_SAME, ia[n_ops++] = i, i++, j++;
                        } else if (j < b.n && (i >= a.n || t[i * w + j + 1] > t[(i + 1) * w + j])) {
                                ops[n_ops] = OP_ADD, ia[n_ops++] = j++;
                        } else {
                                ops[n_ops] = OP_DEL, ia[n_ops++] = i++;
                        }
                }
        } else {
                for (size_t i = 0; i < a.n; i++)
                        ops[n_ops] = OP_DEL, ia[n_ops++] = i;
                for (size_t j = 0; j < b.n; j++)
                        ops[n_ops] = OP_ADD, ia[n_ops++] = j;
        }

        fprintf(f, "--- %s\n+++ %s\n", label_old, label_new);
        /* Hunks: runs of changes with CONTEXT unchanged lines around them. */
        size_t k = 0;
        size_t line_a = 0, line_b = 0; /* lines of a and b before ops[k] */
        while (k < n_ops) {
                size_t first = k;
                while (first < n_ops && ops[first] == OP_SAME)
                        first++;
                if (first == n_ops)
                        break;
                /* Count lines consumed before the hunk start. */
                size_t start = first > CONTEXT ? first - CONTEXT : 0;
                if (start < k)
                        start = k;
                for (; k < start; k++)
                        line_a++, line_b++;
                /* Extend the hunk while the gap between changes is short. */
                size_t end = first;
                for (;;) {
                        while (end < n_ops && ops[end] != OP_SAME)
                                end++;
                        size_t same = end;
                        while (same < n_ops && ops[same] == OP_SAME)
                                same++;
                        if (same < n_ops && same - end <= 2 * CONTEXT)
                                end = same;
                        else {
                                end = end + CONTEXT < n_ops ? end + CONTEXT : n_ops;
                                if (end > same)
                                        end = same;
                                break;
                        }
                }
                size_t na = 0, nb = 0;
                for (size_t x = start; x < end; x++) {
                        na += ops[x] != OP_ADD;
                        nb += ops[x] != OP_DEL;
                }
                fprintf(f, "@@ -%zu,%zu +%zu,%zu @@\n", na ? line_a + 1 : line_a, na, nb ? line_b + 1 : line_b, nb);
                for (; k < end; k++) {
                        switch (ops[k]) {
                        case OP_SAME:
                                fprintf(f, " %s\n", a.v[ia[k]]);
                                line_a++, line_b++;
                                break;
                        case OP_DEL:
                                fprintf(f, "-%s\n", a.v[ia[k]]);
                                line_a++;
                                break;
                        case OP_ADD:
                                fprintf(f, "+%s\n", b.v[ia[k]]);
                                line_b++;
                                break;
                        }
                }
        }
        r = 0;
out:
        free(t);
        free(ops);
        free(ia);
        lines_done(&a);
        lines_done(&b);
        return r;
}
