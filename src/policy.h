/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The IAM policy model that audit-policy judges: what each statement allows or denies, on
 * which resources, whether a condition narrows it. Strings live in one arena per policy, so
 * that a policy is built and freed with a handful of allocations (an authorization dump holds
 * tens of thousands of them). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* True when the statement removes its actions from every grant: a Deny without a
 * condition on Resource "*". */
static inline bool statement_denies_everywhere(const struct statement *s) {
        return !s->allow && !s->condition && s->resource_star && !s->not_resource;
}

/* A compact binary form, for spooling subjects to a temporary file. 0 or negative errno
 * (-EBADMSG when the stream is damaged). */
int policy_write(FILE *f, const struct policy *p);
int policy_read(FILE *f, struct policy **ret);
int spool_write_str(FILE *f, const char *s);
int spool_write_u32(FILE *f, uint32_t v);
int spool_read_str(FILE *f, struct arena *a, const char **ret);
int spool_read_u32(FILE *f, uint32_t *ret);

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
