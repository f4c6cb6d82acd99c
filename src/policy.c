/* SPDX-License-Identifier: Apache-2.0 */
#include "policy.h"
#include "util.h"

struct arena_chunk {
        struct arena_chunk *next;
        max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t n) {
        const size_t align = sizeof(max_align_t);
        n = (n + align - 1) & ~(align - 1);
        if (!a->head || a->size - a->used < n) {
                /* Start small (most policies and results are small), then double. */
                size_t want = a->head ? (a->size < 8192 ? a->size * 2 : a->size) : 480;
                size_t size = n > want ? n : want;
                struct arena_chunk *c = malloc(sizeof(struct arena_chunk) + size);
                if (!c)
                        return NULL;
                c->next = a->head;
                a->head = c;
                a->used = 0;
                a->size = size;
        }
        void *p = (char *) a->head->data + a->used;
        a->used += n;
        return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n) {
        char *p = arena_alloc(a, n + 1);
        if (!p)
                return NULL;
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *arena_strdup(struct arena *a, const char *s) {
        return arena_strndup(a, s, strlen(s));
}

void arena_done(struct arena *a) {
        while (a->head) {
                struct arena_chunk *c = a->head;
                a->head = c->next;
                free(c);
        }
        a->used = a->size = 0;
}

int policy_new(struct policy **ret) {
        struct policy *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

struct policy *policy_free(struct policy *p) {
        if (!p)
                return NULL;
        free(p->statements);
        arena_done(&p->arena);
        free(p);
        return NULL;
}

int policy_add_statement(struct policy *p, const struct statement *s) {
        if (p->n_statements == p->a_statements) {
                size_t na = p->a_statements ? p->a_statements * 2 : 4;
                struct statement *n = reallocarray(p->statements, na, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                p->statements = n;
                p->a_statements = na;
        }
        p->statements[p->n_statements++] = *s;
        return 0;
}

int spool_write_u32(FILE *f, uint32_t v) {
        return fwrite(&v, sizeof(v), 1, f) == 1 ? 0 : -EIO;
}

int spool_write_str(FILE *f, const char *s) {
        if (!s)
                return spool_write_u32(f, UINT32_MAX);
        size_t n = strlen(s);
        if (n >= UINT32_MAX)
                return -E2BIG;
        if (spool_write_u32(f, (uint32_t) n) < 0 || fwrite(s, 1, n, f) != n)
                return -EIO;
        return 0;
}

int spool_read_u32(FILE *f, uint32_t *ret) {
        return fread(ret, sizeof(*ret), 1, f) == 1 ? 0 : -EBADMSG;
}

int spool_read_str(FILE *f, struct arena *a, const char **ret) {
        uint32_t n;
        if (spool_read_u32(f, &n) < 0)
                return -EBADMSG;
        if (n == UINT32_MAX) {
                *ret = NULL;
                return 0;
        }
        char *s = arena_alloc(a, (size_t) n + 1);
        if (!s)
                return -ENOMEM;
        if (n > 0 && fread(s, 1, n, f) != n)
                return -EBADMSG;
        s[n] = '\0';
        *ret = s;
        return 0;
}

int policy_write(FILE *f, const struct policy *p) {
        int r = 0;

        r |= spool_write_str(f, p->name);
        r |= spool_write_str(f, p->version);
        r |= spool_write_u32(f, (uint32_t) p->n_statements);
        for (size_t i = 0; i < p->n_statements; i++) {
                const struct statement *s = &p->statements[i];
                uint32_t flags = s->allow | s->not_action << 1 | s->not_resource << 2 | s->resource_star << 3;
                r |= spool_write_u32(f, s->index);
                r |= spool_write_u32(f, flags);
                r |= spool_write_str(f, s->sid);
                r |= spool_write_str(f, s->condition);
                r |= spool_write_u32(f, (uint32_t) s->n_actions);
                for (size_t k = 0; k < s->n_actions; k++)
                        r |= spool_write_str(f, s->actions[k]);
                r |= spool_write_u32(f, (uint32_t) s->n_resources);
                for (size_t k = 0; k < s->n_resources; k++)
                        r |= spool_write_str(f, s->resources[k]);
        }
        return r ? -EIO : 0;
}

static int read_strings(FILE *f, struct arena *a, const char ***ret, size_t *ret_n) {
        uint32_t n;
        if (spool_read_u32(f, &n) < 0 || n > (1u << 24))
                return -EBADMSG;
        const char **v = arena_alloc(a, (n ? n : 1) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (uint32_t k = 0; k < n; k++) {
                int r = spool_read_str(f, a, &v[k]);
                if (r < 0)
                        return r;
                if (!v[k])
                        return -EBADMSG;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int policy_read(FILE *f, struct policy **ret) {
        struct policy *p = NULL;
        uint32_t n;
        int r;

        r = policy_new(&p);
        if (r < 0)
                return r;
        if ((r = spool_read_str(f, &p->arena, &p->name)) < 0 || (r = spool_read_str(f, &p->arena, &p->version)) < 0)
                goto fail;
        if ((r = spool_read_u32(f, &n)) < 0)
                goto fail;
        for (uint32_t i = 0; i < n; i++) {
                struct statement s = {};
                uint32_t idx, flags;
                if ((r = spool_read_u32(f, &idx)) < 0 || (r = spool_read_u32(f, &flags)) < 0 ||
                    (r = spool_read_str(f, &p->arena, &s.sid)) < 0 ||
                    (r = spool_read_str(f, &p->arena, &s.condition)) < 0 ||
                    (r = read_strings(f, &p->arena, &s.actions, &s.n_actions)) < 0 ||
                    (r = read_strings(f, &p->arena, &s.resources, &s.n_resources)) < 0)
                        goto fail;
                s.index = idx;
                s.allow = flags & 1;
                s.not_action = flags & 2;
                s.not_resource = flags & 4;
                s.resource_star = flags & 8;
                if ((r = policy_add_statement(p, &s)) < 0)
                        goto fail;
        }
        *ret = p;
        return 0;
fail:
        policy_free(p);
        return r;
}

int subject_new(const char *name, struct subject **ret) {
        struct subject *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->name = arena_strdup(&s->arena, name);
        if (!s->name) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

struct subject *subject_free(struct subject *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_policies; i++)
                if (s->policies[i].owned)
                        policy_free(s->policies[i].policy);
        free(s->policies);
        free(s->unresolved);
        arena_done(&s->arena);
        free(s);
        return NULL;
}

int subject_add_policy(struct subject *s, struct policy *p, const char *label, bool owned) {
        if (s->n_policies == s->a_policies) {
                size_t na = s->a_policies ? s->a_policies * 2 : 4;
                struct subject_policy *n = reallocarray(s->policies, na, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                s->policies = n;
                s->a_policies = na;
        }
        const char *l = arena_strdup(&s->arena, label);
        if (!l)
                return -ENOMEM;
        s->policies[s->n_policies++] = (struct subject_policy) { p, l, owned };
        return 0;
}

int subject_add_unresolved(struct subject *s, const char *what) {
        if (s->n_unresolved == s->a_unresolved) {
                size_t na = s->a_unresolved ? s->a_unresolved * 2 : 4;
                const char **n = reallocarray(s->unresolved, na, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                s->unresolved = n;
                s->a_unresolved = na;
        }
        const char *w = arena_strdup(&s->arena, what);
        if (!w)
                return -ENOMEM;
        s->unresolved[s->n_unresolved++] = w;
        return 0;
}
