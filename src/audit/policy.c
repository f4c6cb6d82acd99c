/* SPDX-License-Identifier: Apache-2.0 */
#include "audit/policy.h"
#include "lib/util.h"

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

static const char **arena_strv(struct arena *a, const char *const *v, size_t n) {
        const char **c = arena_alloc(a, (n + 1) * sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (!(c[i] = arena_strdup(a, v[i])))
                        return NULL;
        return c;
}

int policy_append(struct policy *dst, const struct policy *src) {
        for (size_t i = 0; i < src->n_statements; i++) {
                struct statement c = src->statements[i];
                if ((c.sid && !(c.sid = arena_strdup(&dst->arena, c.sid))) ||
                    (c.condition && !(c.condition = arena_strdup(&dst->arena, c.condition))) ||
                    !(c.actions = arena_strv(&dst->arena, c.actions, c.n_actions)) ||
                    !(c.resources = arena_strv(&dst->arena, c.resources, c.n_resources)) ||
                    !(c.blanked = arena_strv(&dst->arena, c.blanked, c.n_blanked)) ||
                    policy_add_statement(dst, &c) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int bytes_grow(struct bytes *b, size_t n) {
        if (n <= b->alloc - b->len)
                return 0;
        size_t na = b->alloc ? b->alloc : 256;
        while (na - b->len < n) {
                if (na > SIZE_MAX / 2)
                        return -ENOMEM;
                na *= 2;
        }
        uint8_t *nb = realloc(b->buf, na);
        if (!nb)
                return -ENOMEM;
        b->buf = nb;
        b->alloc = na;
        return 0;
}

int bytes_append(struct bytes *b, const void *data, size_t n) {
        if (bytes_reserve(b, n) < 0)
                return -ENOMEM;
        if (n > 0)
                memcpy(b->buf + b->len, data, n);
        b->len += n;
        return 0;
}

void bytes_done(struct bytes *b) {
        free(b->buf);
        *b = (struct bytes) {};
}

int pack_u32(struct bytes *b, uint32_t v) {
        if (bytes_reserve(b, sizeof(v)) < 0)
                return -ENOMEM;
        memcpy(b->buf + b->len, &v, sizeof(v));
        b->len += sizeof(v);
        return 0;
}

int pack_str(struct bytes *b, const char *s) {
        if (!s)
                return pack_u32(b, UINT32_MAX);
        size_t n = strlen(s);
        if (n >= UINT32_MAX)
                return -E2BIG;
        if (bytes_reserve(b, sizeof(uint32_t) + n) < 0)
                return -ENOMEM;
        uint32_t v = (uint32_t) n;
        memcpy(b->buf + b->len, &v, sizeof(v));
        memcpy(b->buf + b->len + sizeof(v), s, n);
        b->len += sizeof(v) + n;
        return 0;
}

int unpack_u32(const uint8_t **pos, const uint8_t *end, uint32_t *ret) {
        if ((size_t) (end - *pos) < sizeof(*ret))
                return -EBADMSG;
        memcpy(ret, *pos, sizeof(*ret));
        *pos += sizeof(*ret);
        return 0;
}

int unpack_str(const uint8_t **pos, const uint8_t *end, struct arena *a, const char **ret) {
        uint32_t n;
        if (unpack_u32(pos, end, &n) < 0)
                return -EBADMSG;
        if (n == UINT32_MAX) {
                *ret = NULL;
                return 0;
        }
        if ((size_t) (end - *pos) < n)
                return -EBADMSG;
        char *s = arena_strndup(a, (const char *) *pos, n);
        if (!s)
                return -ENOMEM;
        *pos += n;
        *ret = s;
        return 0;
}

int policy_pack(struct bytes *b, const struct policy *p) {
        int r = 0;

        r |= pack_str(b, p->name);
        r |= pack_str(b, p->version);
        r |= pack_u32(b, (uint32_t) p->n_statements);
        for (size_t i = 0; i < p->n_statements; i++) {
                const struct statement *s = &p->statements[i];
                uint32_t flags = s->allow | s->not_action << 1 | s->not_resource << 2 | s->resource_star << 3;
                r |= pack_u32(b, s->index);
                r |= pack_u32(b, flags);
                r |= pack_str(b, s->sid);
                r |= pack_str(b, s->condition);
                r |= pack_u32(b, (uint32_t) s->n_actions);
                for (size_t k = 0; k < s->n_actions; k++)
                        r |= pack_str(b, s->actions[k]);
                r |= pack_u32(b, (uint32_t) s->n_resources);
                for (size_t k = 0; k < s->n_resources; k++)
                        r |= pack_str(b, s->resources[k]);
                r |= pack_u32(b, (uint32_t) s->n_blanked);
                for (size_t k = 0; k < s->n_blanked; k++)
                        r |= pack_str(b, s->blanked[k]);
        }
        /* The errors are -ENOMEM and -E2BIG: OR-ing them keeps a negative value. */
        return r < 0 ? (r == -E2BIG ? r : -ENOMEM) : 0;
}

static int unpack_strings(const uint8_t **pos, const uint8_t *end, struct arena *a, const char ***ret,
                          size_t *ret_n) {
        uint32_t n;
        /* Every string takes at least 4 bytes: a count beyond that is damage, not a size. */
        if (unpack_u32(pos, end, &n) < 0 || n > (size_t) (end - *pos) / 4)
                return -EBADMSG;
        const char **v = arena_alloc(a, (n ? n : 1) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (uint32_t k = 0; k < n; k++) {
                int r = unpack_str(pos, end, a, &v[k]);
                if (r < 0)
                        return r;
                if (!v[k])
                        return -EBADMSG;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int policy_unpack(const uint8_t **pos, const uint8_t *end, struct policy **ret) {
        struct policy *p = NULL;
        uint32_t n;
        int r;

        r = policy_new(&p);
        if (r < 0)
                return r;
        if ((r = unpack_str(pos, end, &p->arena, &p->name)) < 0 ||
            (r = unpack_str(pos, end, &p->arena, &p->version)) < 0)
                goto fail;
        if ((r = unpack_u32(pos, end, &n)) < 0)
                goto fail;
        if (n > (size_t) (end - *pos) / 8) {
                r = -EBADMSG;
                goto fail;
        }
        if (n > 0) {
                p->statements = calloc(n, sizeof(struct statement));
                if (!p->statements) {
                        r = -ENOMEM;
                        goto fail;
                }
                p->a_statements = n;
        }
        for (uint32_t i = 0; i < n; i++) {
                struct statement s = {};
                uint32_t idx, flags;
                if ((r = unpack_u32(pos, end, &idx)) < 0 || (r = unpack_u32(pos, end, &flags)) < 0 ||
                    (r = unpack_str(pos, end, &p->arena, &s.sid)) < 0 ||
                    (r = unpack_str(pos, end, &p->arena, &s.condition)) < 0 ||
                    (r = unpack_strings(pos, end, &p->arena, &s.actions, &s.n_actions)) < 0 ||
                    (r = unpack_strings(pos, end, &p->arena, &s.resources, &s.n_resources)) < 0 ||
                    (r = unpack_strings(pos, end, &p->arena, &s.blanked, &s.n_blanked)) < 0)
                        goto fail;
                s.index = idx;
                s.allow = flags & 1;
                s.not_action = flags & 2;
                s.not_resource = flags & 4;
                s.resource_star = flags & 8;
                p->statements[p->n_statements++] = s;
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
        s->policies[s->n_policies++] = (struct subject_policy) { .policy = p, .label = l, .owned = owned };
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
