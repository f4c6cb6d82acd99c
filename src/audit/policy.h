/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The IAM policy model that audit-policy judges: what each statement allows or denies, on
 * which resources, whether a condition narrows it. Strings live in one arena per policy, so
 * that a policy is built and freed with a handful of allocations (an authorization dump holds
 * tens of thousands of them). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena_chunk;
struct arena {
        struct arena_chunk *head;
        size_t used, size;      /* in the head chunk */
};

void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
void arena_done(struct arena *a);

struct statement {
        unsigned index;                 /* position in the document's Statement array */
        const char *sid;                /* NULL when absent */
        bool allow;                     /* Effect: Allow (else Deny) */
        bool not_action;                /* actions[] are NotAction */
        bool not_resource;              /* resources[] are NotResource */
        bool resource_star;             /* Resource is "*" or lists "*" */
        const char **actions;
        size_t n_actions;
        const char **resources;
        size_t n_resources;
        const char *condition;          /* Condition as compact JSON, NULL when none */
        /* Action names as written with blanks inside ("amplifybackend: *", as AWS published
         * some): actions[] holds them without the blanks, as they are judged. */
        const char **blanked;
        size_t n_blanked;
};

struct policy {
        struct arena arena;
        const char *name;               /* policy name, file name, or NULL */
        const char *version;            /* IAM VersionId when known ("v10"), else NULL */
        struct statement *statements;
        size_t n_statements, a_statements;
};

/* 0 or -ENOMEM. */
int policy_new(struct policy **ret);
struct policy *policy_free(struct policy *p);

/* Appends a statement whose strings already live in P's arena. 0 or -ENOMEM. */
int policy_add_statement(struct policy *p, const struct statement *s);

/* Appends copies of SRC's statements to DST. 0 or -ENOMEM. */
int policy_append(struct policy *dst, const struct policy *src);

/* True when the statement removes its actions from every grant: a Deny without a
 * condition on Resource "*". */
static inline bool statement_denies_everywhere(const struct statement *s) {
        return !s->allow && !s->condition && s->resource_star && !s->not_resource;
}

/* A growable byte buffer. */
struct bytes {
        uint8_t *buf;
        size_t len, alloc;
};

int bytes_grow(struct bytes *b, size_t n);

/* Room for N more bytes: 0 or -ENOMEM. */
static inline int bytes_reserve(struct bytes *b, size_t n) {
        return n <= b->alloc - b->len ? 0 : bytes_grow(b, n);
}

int bytes_append(struct bytes *b, const void *data, size_t n);     /* 0 or -ENOMEM */
void bytes_done(struct bytes *b);

/* A compact binary form of policies, to keep what an input says about its subjects while the
 * rest of the input is read: appended to B (0 or -ENOMEM; -E2BIG for a string of 4 GiB), read
 * from [*pos, end) advancing *pos (0, -ENOMEM, or -EBADMSG when the bytes are damaged). Strings
 * read back are NUL-terminated copies in arena A. */
int pack_u32(struct bytes *b, uint32_t v);
int pack_str(struct bytes *b, const char *s);             /* NULL is kept apart from "" */
int policy_pack(struct bytes *b, const struct policy *p);
int unpack_u32(const uint8_t **pos, const uint8_t *end, uint32_t *ret);
int unpack_str(const uint8_t **pos, const uint8_t *end, struct arena *a, const char **ret);
int policy_unpack(const uint8_t **pos, const uint8_t *end, struct policy **ret);

/* The policy of what the IAM API calls a role, as audit-policy sees it: a name and the
 * policies that grant it permissions. */
struct subject_policy {
        struct policy *policy;
        const char *label;              /* how reports name it: "inline policy X", ... */
        bool owned;                     /* freed with the subject */
};

struct subject {
        struct arena arena;
        const char *name;               /* file name ("-" = stdin) or role name */
        struct subject_policy *policies;
        size_t n_policies, a_policies;
        const char **unresolved;        /* attached policies that could not be resolved */
        size_t n_unresolved, a_unresolved;
};

int subject_new(const char *name, struct subject **ret);
struct subject *subject_free(struct subject *s);
int subject_add_policy(struct subject *s, struct policy *p, const char *label, bool owned);
int subject_add_unresolved(struct subject *s, const char *what);
