/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdint.h>

#include "audit/action-glob.h"
#include "lib/hashmap.h"
#include "lib/util.h"

static inline unsigned char fold(unsigned char c, bool icase) {
        return icase ? (unsigned char) tolower(c) : c;
}

bool glob_match(const char *pattern, const char *name, bool icase) {
        const unsigned char *p = (const unsigned char *) pattern, *s = (const unsigned char *) name;
        const unsigned char *star = NULL, *resume = NULL;

        /* Greedy with one resume point: only the last star seen matters, because it accepts
         * every continuation that an earlier star would. No recursion, no exponential case. */
        while (*s) {
                if (*p == '*') {
                        while (*p == '*')
                                p++;
                        star = p;
                        resume = s;
                        continue;
                }
                if (*p && (*p == '?' || fold(*p, icase) == fold(*s, icase))) {
                        p++, s++;
                        continue;
                }
                if (!star)
                        return false;
                p = star;
                s = ++resume;
        }
        while (*p == '*')
                p++;
        return *p == '\0';
}

bool glob_has_wildcard(const char *s) {
        return strpbrk(s, "*?") != NULL;
}

struct gpat {
        unsigned char *p;       /* folded when the query folds case */
        int node;               /* the leaf node of this pattern */
        uint32_t len;
        bool *star_tail;        /* [j]: p[j..] is all stars (len+1 entries) */
};

struct gnode {
        int kind;               /* -1 leaf, else enum glob_op */
        uint32_t pat;
        uint32_t first, n;      /* children in kids[] */
};

struct glob_query {
        bool icase;
        struct gpat *pats;
        size_t n_pats, a_pats;
        struct hashmap *pat_nodes;      /* folded pattern -> its leaf's node id + 1 */
        uint64_t *budget;               /* shared work budget (glob_query_set_budget()), or NULL */
        struct gnode *nodes;
        size_t n_nodes, a_nodes;
        int *kids;
        size_t n_kids, a_kids;
};

#define GROW(arr, n, a, extra)                                                          \
        ({                                                                              \
                int _r = 0;                                                             \
                if ((n) + (extra) > (a)) {                                              \
                        size_t _na = ((a) + (extra)) * 2 + 8;                           \
                        void *_p = reallocarray((arr), _na, sizeof(*(arr)));            \
                        if (!_p)                                                        \
                                _r = -ENOMEM;                                           \
                        else {                                                          \
                                (arr) = _p;                                             \
                                (a) = _na;                                              \
                        }                                                               \
                }                                                                       \
                _r;                                                                     \
        })

int glob_query_new(bool icase, struct glob_query **ret) {
        struct glob_query *q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->icase = icase;
        *ret = q;
        return 0;
}

struct glob_query *glob_query_free(struct glob_query *q) {
        if (!q)
                return NULL;
        for (size_t i = 0; i < q->n_pats; i++) {
                free(q->pats[i].p);
                free(q->pats[i].star_tail);
        }
        free(q->pats);
        hashmap_free(q->pat_nodes, NULL);
        free(q->nodes);
        free(q->kids);
        free(q);
        return NULL;
}

static int add_node(struct glob_query *q, struct gnode n) {
        if (q->n_nodes >= INT32_MAX || GROW(q->nodes, q->n_nodes, q->a_nodes, 1) < 0)
                return -ENOMEM;
        q->nodes[q->n_nodes] = n;
        return (int) q->n_nodes++;
}

int glob_query_pattern(struct glob_query *q, const char *pattern) {
        size_t len = strlen(pattern);
        struct gpat g = { .len = (uint32_t) len };
        void *known;
        int node;

        if (len > 65535)
                return -E2BIG;
        /* Building the query is work too: one unit per byte hashed. */
        if (q->budget) {
                if (len + 16 >= *q->budget) {
                        *q->budget = 0;
                        return -E2BIG;
                }
                *q->budget -= len + 16;
        }
        if (!q->pat_nodes && hashmap_new(&q->pat_nodes) < 0)
                return -ENOMEM;
        if (GROW(q->pats, q->n_pats, q->a_pats, 1) < 0)
                return -ENOMEM;
        g.p = malloc(len + 1);
        g.star_tail = malloc(len + 1);
        if (!g.p || !g.star_tail)
                goto oom;
        for (size_t k = 0; k < len; k++)
                g.p[k] = fold((unsigned char) pattern[k], q->icase);
        g.p[len] = 0;
        /* One leaf per pattern: nodes are pure functions. */
        known = hashmap_get(q->pat_nodes, g.p, len);
        if (known) {
                free(g.p);
                free(g.star_tail);
                return (int) ((uintptr_t) known - 1);
        }
        g.star_tail[len] = true;
        for (size_t k = len; k-- > 0;)
                g.star_tail[k] = g.p[k] == '*' && g.star_tail[k + 1];
        node = add_node(q, (struct gnode) { .kind = -1, .pat = (uint32_t) q->n_pats });
        if (node < 0)
                goto oom;
        if (hashmap_put(q->pat_nodes, g.p, len, (void *) (uintptr_t) (node + 1)) < 0) {
                q->n_nodes--;
                goto oom;
        }
        g.node = node;
        q->pats[q->n_pats++] = g;
        return node;
oom:
        free(g.p);
        free(g.star_tail);
        return -ENOMEM;
}

int glob_query_node(struct glob_query *q, enum glob_op op, const int *children, size_t n_children) {
        if (op == GLOB_NOT && n_children != 1)
                return -EINVAL;
        for (size_t i = 0; i < n_children; i++)
                if (children[i] < 0 || (size_t) children[i] >= q->n_nodes)
                        return -EINVAL;
        if (GROW(q->kids, q->n_kids, q->a_kids, n_children) < 0)
                return -ENOMEM;
        struct gnode n = { .kind = (int) op, .first = (uint32_t) q->n_kids, .n = (uint32_t) n_children };
        if (n_children > 0)
                memcpy(q->kids + q->n_kids, children, n_children * sizeof(int));
        q->n_kids += n_children;
        return add_node(q, n);
}

/* The product state, flattened: per pattern a header word (count of positions, or one of the
 * two codes below) followed by that many positions in ascending order. */
#define ST_ALL UINT32_MAX       /* the pattern matches the word and every continuation */
#define ST_DEAD 0               /* it matches neither */

enum { V_FALSE = 0, V_TRUE = 1, V_UNKNOWN = 2 };

/* Bounds the memory of one search (16 MiB of states), whatever the state budget. */
#define MAX_WORDS (4u * 1024 * 1024)
/* Bounds its time: the positions the successors step through (each state, each letter), ~35 ms
 * here. A state budget alone does not: a pattern with a long run of '?' after a '*' makes states
 * of dozens of positions (the fuzzer's "*??...?" pair took 37 M steps, 0.6 s, 7 s under ASan).
 * No search of the test suite, adversarial policies included, takes 200 000. */
#define MAX_WORK (2u * 1024 * 1024)

struct search {
        const struct glob_query *q;
        uint32_t *words;        /* all states back to back */
        size_t n_words, a_words;
        size_t *off;            /* state i starts at words[off[i]], ends at off[i + 1] */
        uint32_t *parent;
        unsigned char *via;
        size_t n_states, a_states;
        uint32_t *table;        /* open addressing: state index + 1, 0 = empty */
        size_t table_size;
        uint32_t *tmp;          /* scratch for one pattern's positions */
        uint32_t *stamp;
        uint32_t gen;
        uint32_t *next;         /* scratch for the successor state */
        size_t n_next, a_next;
        uint64_t work;          /* positions stepped through so far (MAX_WORK) */
        unsigned char *now, *future;
        unsigned char *expand;  /* per state: some continuation may still satisfy the root */
};

static uint64_t hash_words(const uint32_t *w, size_t n) {
        uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
        for (size_t i = 0; i < n; i++) {
                h ^= w[i];
                h *= 0xff51afd7ed558ccdULL;
                h ^= h >> 32;
        }
        return h;
}

static int table_grow(struct search *s) {
        size_t ns = s->table_size ? s->table_size * 2 : 1024;
        uint32_t *t = calloc(ns, sizeof(uint32_t));
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < s->table_size; i++) {
                uint32_t v = s->table[i];
                if (!v)
                        continue;
                size_t st = v - 1;
                uint64_t h = hash_words(s->words + s->off[st], s->off[st + 1] - s->off[st]);
                size_t k = h & (ns - 1);
                while (t[k])
                        k = (k + 1) & (ns - 1);
                t[k] = v;
        }
        free(s->table);
        s->table = t;
        s->table_size = ns;
        return 0;
}

/* Adds the state in s->next unless already known. Returns 1 when added, 0 when known. */
static int intern(struct search *s, uint32_t parent, unsigned char via) {
        if ((s->n_states + 1) * 2 > s->table_size && table_grow(s) < 0)
                return -ENOMEM;
        uint64_t h = hash_words(s->next, s->n_next);
        size_t k = h & (s->table_size - 1);
        for (; s->table[k]; k = (k + 1) & (s->table_size - 1)) {
                size_t st = s->table[k] - 1;
                size_t len = s->off[st + 1] - s->off[st];
                if (len == s->n_next && memcmp(s->words + s->off[st], s->next, len * sizeof(uint32_t)) == 0)
                        return 0;
        }
        if (GROW(s->words, s->n_words, s->a_words, s->n_next) < 0)
                return -ENOMEM;
        if (s->n_states + 2 > s->a_states) {
                size_t na = s->a_states * 2 + 64;
                size_t *off = reallocarray(s->off, na, sizeof(size_t));
                if (!off)
                        return -ENOMEM;
                s->off = off;
                uint32_t *np = reallocarray(s->parent, na, sizeof(uint32_t));
                if (!np)
                        return -ENOMEM;
                s->parent = np;
                unsigned char *nv = realloc(s->via, na);
                if (!nv)
                        return -ENOMEM;
                s->via = nv;
                unsigned char *ne = realloc(s->expand, na);
                if (!ne)
                        return -ENOMEM;
                s->expand = ne;
                s->a_states = na;
        }
        memcpy(s->words + s->n_words, s->next, s->n_next * sizeof(uint32_t));
        s->off[s->n_states] = s->n_words;
        s->n_words += s->n_next;
        s->off[s->n_states + 1] = s->n_words;
        s->parent[s->n_states] = parent;
        s->via[s->n_states] = via;
        s->table[k] = (uint32_t) s->n_states + 1;
        s->n_states++;
        return 1;
}

static int push_word(struct search *s, uint32_t w) {
        if (GROW(s->next, s->n_next, s->a_next, 1) < 0)
                return -ENOMEM;
        s->next[s->n_next++] = w;
        return 0;
}

/* Closes TMP[0..n) under "a star may match nothing", keeps the positions from the last star
 * on, sorts them, and appends the pattern's header and positions to s->next. */
static int emit_positions(struct search *s, const struct gpat *g, size_t n) {
        /* Epsilon closure; s->stamp marks what TMP holds. */
        for (size_t i = 0; i < n; i++) {
                uint32_t j = s->tmp[i];
                if (j < g->len && g->p[j] == '*' && s->stamp[j + 1] != s->gen) {
                        s->stamp[j + 1] = s->gen;
                        s->tmp[n++] = j + 1;
                }
        }
        int64_t last_star = -1;
        for (size_t i = 0; i < n; i++)
                if (s->tmp[i] < g->len && g->p[s->tmp[i]] == '*' && (int64_t) s->tmp[i] > last_star)
                        last_star = s->tmp[i];
        if (last_star >= 0 && g->star_tail[last_star])
                return push_word(s, ST_ALL);
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if ((int64_t) s->tmp[i] >= last_star)
                        s->tmp[k++] = s->tmp[i];
        /* Insertion sort: a state holds a handful of positions. */
        for (size_t i = 1; i < k; i++) {
                uint32_t v = s->tmp[i];
                size_t j = i;
                for (; j > 0 && s->tmp[j - 1] > v; j--)
                        s->tmp[j] = s->tmp[j - 1];
                s->tmp[j] = v;
        }
        if (push_word(s, (uint32_t) k) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < k; i++)
                if (push_word(s, s->tmp[i]) < 0)
                        return -ENOMEM;
        return 0;
}

static void add_pos(struct search *s, size_t *n, uint32_t j) {
        if (s->stamp[j] == s->gen)
                return;
        s->stamp[j] = s->gen;
        s->tmp[(*n)++] = j;
}

static void next_gen(struct search *s, size_t max_len) {
        if (++s->gen == 0) {
                memset(s->stamp, 0, (max_len + 2) * sizeof(uint32_t));
                s->gen = 1;
        }
}

/* Builds the successor of state ST on character C (or the initial state when ST is NULL). */
static int successor(struct search *s, const uint32_t *st, unsigned char c, size_t max_len) {
        const struct glob_query *q = s->q;

        s->n_next = 0;
        for (size_t i = 0; i < q->n_pats; i++) {
                const struct gpat *g = &q->pats[i];
                size_t n = 0;

                next_gen(s, max_len);
                if (!st) {
                        add_pos(s, &n, 0);
                } else {
                        uint32_t h = *st++;
                        if (h == ST_ALL || h == ST_DEAD) {
                                if (push_word(s, h) < 0)
                                        return -ENOMEM;
                                continue;
                        }
                        s->work += h + 1;
                        for (uint32_t k = 0; k < h; k++) {
                                uint32_t j = st[k];
                                if (j >= g->len)
                                        continue;
                                if (g->p[j] == '*')
                                        add_pos(s, &n, j);
                                else if (g->p[j] == '?' || g->p[j] == c)
                                        add_pos(s, &n, j + 1);
                        }
                        st += h;
                }
                if (emit_positions(s, g, n) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Evaluates every node on a state: now[] = does the word satisfy it, future[] = three-valued
 * "for the word and all its continuations". Children always precede their parents. */
static void evaluate(struct search *s, const uint32_t *st, unsigned char *leaf_now, unsigned char *leaf_future) {
        const struct glob_query *q = s->q;

        for (size_t i = 0; i < q->n_pats; i++) {
                uint32_t h = *st++;
                if (h == ST_ALL) {
                        leaf_now[i] = 1;
                        leaf_future[i] = V_TRUE;
                } else if (h == ST_DEAD) {
                        leaf_now[i] = 0;
                        leaf_future[i] = V_FALSE;
                } else {
                        leaf_now[i] = st[h - 1] == q->pats[i].len;
                        leaf_future[i] = V_UNKNOWN;
                        st += h;
                }
        }
        for (size_t i = 0; i < q->n_nodes; i++) {
                const struct gnode *n = &q->nodes[i];
                if (n->kind < 0) {
                        s->now[i] = leaf_now[n->pat];
                        s->future[i] = leaf_future[n->pat];
                        continue;
                }
                const int *kids = q->kids + n->first;
                switch (n->kind) {
                case GLOB_NOT:
                        s->now[i] = !s->now[kids[0]];
                        s->future[i] = s->future[kids[0]] == V_UNKNOWN ? V_UNKNOWN : !s->future[kids[0]];
                        break;
                case GLOB_AND:
                case GLOB_OR: {
                        /* Kleene logic: a decided child decides, else unknown wins. */
                        bool is_and = n->kind == GLOB_AND;
                        unsigned char decisive = is_and ? V_FALSE : V_TRUE;
                        unsigned char nw = is_and, fu = is_and ? V_TRUE : V_FALSE;
                        for (uint32_t k = 0; k < n->n; k++) {
                                unsigned char cn = s->now[kids[k]], cf = s->future[kids[k]];
                                nw = is_and ? (nw && cn) : (nw || cn);
                                if (cf == decisive)
                                        fu = decisive;
                                else if (cf == V_UNKNOWN && fu != decisive)
                                        fu = V_UNKNOWN;
                        }
                        s->now[i] = nw;
                        s->future[i] = fu;
                        break;
                }
                }
        }
}

/* Evaluates ROOT on one concrete word (two-valued). */
static bool satisfies(const struct glob_query *q, int root, const char *word, unsigned char *val) {
        for (size_t i = 0; i <= (size_t) root; i++) {
                const struct gnode *n = &q->nodes[i];
                if (n->kind < 0) {
                        val[i] = glob_match((const char *) q->pats[n->pat].p, word, q->icase);
                        continue;
                }
                const int *kids = q->kids + n->first;
                if (n->kind == GLOB_NOT) {
                        val[i] = !val[kids[0]];
                        continue;
                }
                bool is_and = n->kind == GLOB_AND, v = is_and;
                for (uint32_t k = 0; k < n->n; k++)
                        v = is_and ? (v && val[kids[k]]) : (v || val[kids[k]]);
                val[i] = v;
        }
        return val[root];
}

/* Before the search: the simplest words of the first patterns (stars matching nothing, or
 * one letter; question marks one letter). Most "not included" answers end here, at once,
 * whatever the number of patterns. Returns 1 with *ret set, 0 when none satisfies ROOT. */
static int probe(const struct glob_query *q, int root, unsigned char spare, char **ret) {
        _cleanup_free_ unsigned char *val = malloc(q->n_nodes + 1);
        if (!val)
                return -ENOMEM;
        for (size_t i = 0; i < q->n_pats && i < 8; i++) {
                const struct gpat *g = &q->pats[i];
                for (int variant = 0; variant < 2; variant++) {
                        _cleanup_free_ char *w = malloc(g->len + 1);
                        size_t n = 0;
                        if (!w)
                                return -ENOMEM;
                        for (uint32_t k = 0; k < g->len; k++) {
                                if (g->p[k] == '*') {
                                        if (variant == 1 && (k == 0 || g->p[k - 1] != '*'))
                                                w[n++] = (char) spare;
                                } else if (g->p[k] == '?')
                                        w[n++] = (char) spare;
                                else
                                        w[n++] = (char) g->p[k];
                        }
                        w[n] = '\0';
                        if (satisfies(q, root, w, val)) {
                                *ret = TAKE_PTR(w);
                                return 1;
                        }
                }
        }
        return 0;
}

static void search_done(struct search *s) {
        free(s->words);
        free(s->off);
        free(s->parent);
        free(s->via);
        free(s->expand);
        free(s->table);
        free(s->tmp);
        free(s->stamp);
        free(s->next);
        free(s->now);
        free(s->future);
}

static int witness_of(struct search *s, size_t st, char **ret) {
        size_t len = 0;
        for (size_t i = st; i != 0; i = s->parent[i])
                len++;
        char *w = malloc(len + 1);
        if (!w)
                return -ENOMEM;
        w[len] = 0;
        for (size_t i = st; i != 0; i = s->parent[i])
                w[--len] = (char) s->via[i];
        *ret = w;
        return 0;
}

void glob_query_set_budget(struct glob_query *q, uint64_t *budget) {
        q->budget = budget;
}

/* The work of search S so far, in budget units: positions stepped through, and nodes judged. */
static uint64_t search_cost(const struct search *s) {
        return s->work + (uint64_t) s->n_states * (s->q->n_nodes + s->q->n_pats);
}

int glob_query_solve(struct glob_query *q, int root, size_t max_states, char **ret_witness) {
        struct search s = { .q = q };
        unsigned char alphabet[256];
        size_t n_alpha = 0, max_len = 0;
        bool used[256] = {};
        int r;

        if (root < 0 || (size_t) root >= q->n_nodes)
                return -EINVAL;
        if (max_states == 0)
                max_states = 200000;
        if (q->budget && *q->budget == 0)
                return -E2BIG;

        /* The letters patterns name literally, plus one letter none of them names: every other
         * letter behaves exactly like it. */
        for (size_t i = 0; i < q->n_pats; i++) {
                for (uint32_t k = 0; k < q->pats[i].len; k++)
                        if (q->pats[i].p[k] != '*' && q->pats[i].p[k] != '?')
                                used[q->pats[i].p[k]] = true;
                if (q->pats[i].len > max_len)
                        max_len = q->pats[i].len;
        }
        for (unsigned c = 1; c < 256; c++)
                if (used[c])
                        alphabet[n_alpha++] = (unsigned char) c;
        int spare = -1;
        for (const char *p = "xqzjkvwy0123456789"; *p && spare < 0; p++)
                if (!used[(unsigned char) *p])
                        spare = (unsigned char) *p;
        for (unsigned c = 1; c < 256 && spare < 0; c++)
                if (!used[c] && c != '*' && c != '?' && !(q->icase && isupper(c)))
                        spare = (int) c;
        if (spare >= 0)
                alphabet[n_alpha++] = (unsigned char) spare;

        if (spare > 0) {
                _cleanup_free_ char *w = NULL;
                r = probe(q, root, (unsigned char) spare, &w);
                if (r != 0) {
                        if (r > 0 && ret_witness)
                                *ret_witness = TAKE_PTR(w);
                        return r;
                }
        }

        s.tmp = malloc((max_len + 2) * sizeof(uint32_t));
        s.stamp = calloc(max_len + 2, sizeof(uint32_t));
        s.now = malloc(q->n_nodes);
        s.future = malloc(q->n_nodes);
        _cleanup_free_ unsigned char *leaf_now = malloc(q->n_pats + 1);
        _cleanup_free_ unsigned char *leaf_future = malloc(q->n_pats + 1);
        if (!s.tmp || !s.stamp || !s.now || !s.future || !leaf_now || !leaf_future) {
                r = -ENOMEM;
                goto finish;
        }

        /* Breadth-first, so that the witness is a shortest one; a state is judged when it is
         * first reached, and expanded only while some continuation could still satisfy ROOT. */
        r = successor(&s, NULL, 0, max_len);
        if (r < 0)
                goto finish;
        r = intern(&s, 0, 0);
        if (r < 0)
                goto finish;
        evaluate(&s, s.words, leaf_now, leaf_future);
        if (s.now[root]) {
                r = 1;
                if (ret_witness)
                        r = witness_of(&s, 0, ret_witness) < 0 ? -ENOMEM : 1;
                goto finish;
        }
        s.expand[0] = s.future[root] != V_FALSE;
        for (size_t cur = 0; cur < s.n_states; cur++) {
                if (!s.expand[cur])
                        continue;       /* no continuation can satisfy ROOT */
                for (size_t a = 0; a < n_alpha; a++) {
                        r = successor(&s, s.words + s.off[cur], alphabet[a], max_len);
                        if (r < 0)
                                goto finish;
                        r = intern(&s, (uint32_t) cur, alphabet[a]);
                        if (r < 0)
                                goto finish;
                        if (r == 0)
                                continue;
                        /* Judge new states at once: a witness one letter away ends the search
                         * without expanding the rest of this level. */
                        size_t nw = s.n_states - 1;
                        evaluate(&s, s.words + s.off[nw], leaf_now, leaf_future);
                        if (s.now[root]) {
                                r = 1;
                                if (ret_witness)
                                        r = witness_of(&s, nw, ret_witness) < 0 ? -ENOMEM : 1;
                                goto finish;
                        }
                        s.expand[nw] = s.future[root] != V_FALSE;
                        if (s.n_states > max_states || s.n_words > MAX_WORDS || s.work > MAX_WORK ||
                            (q->budget && search_cost(&s) > *q->budget)) {
                                r = -E2BIG;
                                goto finish;
                        }
                }
        }
        r = 0;
finish:
        if (q->budget)
                *q->budget -= search_cost(&s) < *q->budget ? search_cost(&s) : *q->budget;
        search_done(&s);
        return r;
}

/* A sufficient, quadratic test for inclusion: OUTER covers the pattern INNER read as a string in
 * which INNER's '*' and '?' are symbols of their own (OUTER's '*' absorbs any of them, its '?' any
 * one but '*'). Equal patterns, "*", and the like need no automaton search then, which matters
 * because proving inclusion (unlike finding a witness against it) can exhaust the search budget. */
bool glob_subsumes(const char *outer, const char *inner, bool icase) {
        size_t lo = strlen(outer), li = strlen(inner);
        _cleanup_free_ bool *next = calloc(li + 1, sizeof(bool)), *cur = calloc(li + 1, sizeof(bool));

        if (!next || !cur)
                return false; /* the full search will answer */
        next[li] = true; /* the empty rest of OUTER covers only the empty rest of INNER */
        for (size_t i = lo; i > 0; i--) {
                unsigned char o = (unsigned char) outer[i - 1];
                for (size_t j = li + 1; j > 0; j--) {
                        size_t k = j - 1;
                        unsigned char c = k < li ? (unsigned char) inner[k] : 0;
                        if (o == '*')
                                cur[k] = next[k] || (k < li && cur[k + 1]);
                        else if (o == '?')
                                cur[k] = k < li && c != '*' && next[k + 1];
                        else
                                cur[k] = k < li && c != '*' && c != '?' && fold(o, icase) == fold(c, icase) &&
                                         next[k + 1];
                }
                bool *t = next;
                next = cur;
                cur = t;
        }
        return next[0];
}

int glob_included(const char *pattern, const char *const *set, size_t n_set, bool icase, char **ret_witness) {
        return glob_included_budget(pattern, set, n_set, icase, NULL, ret_witness);
}

int glob_included_budget(const char *pattern, const char *const *set, size_t n_set, bool icase, uint64_t *budget,
                         char **ret_witness) {
        struct glob_query *q = NULL;

        for (size_t i = 0; i < n_set; i++)
                if (glob_subsumes(set[i], pattern, icase)) {
                        if (ret_witness)
                                *ret_witness = NULL;
                        return 1;
                }
        _cleanup_free_ int *kids = malloc((n_set + 1) * sizeof(int));
        int r, p, any, none, root;

        if (!kids)
                return -ENOMEM;
        r = glob_query_new(icase, &q);
        if (r < 0)
                return r;
        glob_query_set_budget(q, budget);
        p = glob_query_pattern(q, pattern);
        for (size_t i = 0; p >= 0 && i < n_set; i++) {
                kids[i] = glob_query_pattern(q, set[i]);
                if (kids[i] < 0)
                        p = kids[i];
        }
        if (p < 0) {
                glob_query_free(q);
                return p;
        }
        any = glob_query_node(q, GLOB_OR, kids, n_set);
        none = any < 0 ? any : glob_query_node(q, GLOB_NOT, &any, 1);
        if (none < 0) {
                glob_query_free(q);
                return none;
        }
        int both[2] = { p, none };
        root = glob_query_node(q, GLOB_AND, both, 2);
        if (root < 0) {
                glob_query_free(q);
                return root;
        }
        r = glob_query_solve(q, root, 0, ret_witness);
        glob_query_free(q);
        if (r < 0)
                return r;
        return r == 1 ? 0 : 1;
}
