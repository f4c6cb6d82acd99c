/* SPDX-License-Identifier: Apache-2.0 */
/* The judge of audit-policy (audit/judge.h): a reference prepared once (the names its Allow
 * patterns stand for, its statements as nodes of pattern queries), then one subject at a time:
 * excess, missing, unknown, notes, within a work budget per subject; auditor_next() judges a
 * content shared by several subjects once. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <strings.h>

#include "audit/action-catalog.h"
#include "audit/action-glob.h"
#include "lib/hashmap.h"
#include "audit/judge.h"
#include "audit/policy-builtin.h"
#include "audit/input.h"
#include "lib/util.h"

/* ---- the auditor ---- */

/* Facts about one action pattern, independent of the subject; gathered once per subject (a
 * subject often names a pattern in several statements). */
struct facts {
        bool known;             /* matches an action of the catalog */
        int within_ref;         /* 1: every name it matches is granted by the reference; 0: not; -1: undecided */
        const char *example;    /* when not within: a name it grants beyond the reference */
        uint64_t *ubits;        /* which reference names (the universe) it matches */
};

/* A subject-dependent inclusion answer: the pattern (or NotAction statement) given the
 * subject's Denies. */
struct answer {
        int within;
        const char *example;
};

/* One action pattern of a reference Allow statement. */
struct ref_entry {
        const char *pattern;
        const struct statement *st;
        bool literal;
        uint64_t *bits;         /* the universe names it stands for */
        bool scoped;            /* its statement has a condition or narrower resources */
        bool duplicate;         /* same pattern earlier in the reference: judged there */
};

/* Collects a policy set's statements: Allows, and Denies that apply everywhere. */
struct stmt_sets {
        const struct statement **allow, **deny;
        const char **allow_label;
        size_t n_allow, n_deny;
};

struct auditor {
        const struct reference *ref;
        struct stmt_sets ref_sets;
        char *ref_display;      /* "AmazonEC2ContainerServiceforEC2Role v10" */
        struct arena arena;

        const char **universe;  /* the names the reference's Allow patterns stand for */
        size_t n_universe, words;

        struct ref_entry *entries;
        size_t n_entries;

        /* The subject being judged: its facts (pattern -> struct facts), strings made for its
         * findings, and what is left of its work budget. Emptied for each subject. */
        struct hashmap *facts;
        struct arena scratch;
        uint64_t budget;

        /* The one memo, by content: auditor_next()'s results by policy_input content number,
         * kept while later subjects share the content (MAX_MEMO_RESULTS, MAX_MEMO_BYTES). */
        struct audit_result **by_content;
        size_t n_by_content, n_live, live_bytes;
        struct audit_result view;       /* what auditor_next() hands out */
        struct audit_result *owned;     /* behind the view: freed at the next call */
};

/* Bounds the results memo: an account's distinct instance-role setups are few; this keeps
 * memory flat when every role is different. */
#define MAX_MEMO_RESULTS 1024
#define MAX_MEMO_BYTES (8u * 1024 * 1024)

/* The work one subject may cost the searches over patterns (action-glob.h's units: ~20 ns
 * each here), so that no policy takes more than a fraction of a second whatever its patterns
 * (DESIGN.md, "Bounded work"). Past it, what is left undecided is the conservative answer
 * (excess not disproved; missing not shown granted), and the findings say so. */
#define SUBJECT_BUDGET (16u * 1024 * 1024)

/* Charges N units of work to the subject's budget: false once it is spent. */
static bool budget_take(struct auditor *a, uint64_t n) {
        if (n >= a->budget) {
                a->budget = 0;
                return false;
        }
        a->budget -= n;
        return true;
}

static int universe_index(const struct auditor *a, const char *name) {
        for (size_t i = 0; i < a->n_universe; i++)
                if (strcasecmp(a->universe[i], name) == 0)
                        return (int) i;
        return -1;
}

static int universe_add(struct auditor *a, const char *name, size_t *alloc) {
        if (universe_index(a, name) >= 0)
                return 0;
        if (a->n_universe == *alloc) {
                size_t na = *alloc * 2 + 16;
                const char **n = reallocarray(a->universe, na, sizeof(char *));
                if (!n)
                        return -ENOMEM;
                a->universe = n;
                *alloc = na;
        }
        a->universe[a->n_universe++] = name;
        return 0;
}

struct universe_ctx {
        struct auditor *a;
        size_t *alloc;
        int r;
};

static bool universe_cb(const char *name, void *userdata) {
        struct universe_ctx *c = userdata;
        c->r = universe_add(c->a, name, c->alloc);
        return c->r >= 0;
}

static inline void bit_set(uint64_t *b, size_t i) {
        b[i / 64] |= UINT64_C(1) << (i % 64);
}

static inline bool bit_test(const uint64_t *b, size_t i) {
        return b[i / 64] >> (i % 64) & 1;
}

static uint64_t *bits_new(struct auditor *a, struct arena *arena) {
        uint64_t *b = arena_alloc(arena, (a->words ? a->words : 1) * sizeof(uint64_t));
        if (b)
                memset(b, 0, (a->words ? a->words : 1) * sizeof(uint64_t));
        return b;
}

static uint64_t *bits_of_pattern(struct auditor *a, struct arena *arena, const char *pattern) {
        uint64_t *b = bits_new(a, arena);
        if (!b)
                return NULL;
        for (size_t i = 0; i < a->n_universe; i++)
                if (glob_match(pattern, a->universe[i], true))
                        bit_set(b, i);
        return b;
}

/* Adds to Q the node "the policy's statements of effect ALLOW (only those that remove
 * everywhere, for Deny) grant the word". */
static int node_of_statements(struct glob_query *q, const struct statement *const *sts, size_t n) {
        _cleanup_free_ int *kids = malloc((n + 1) * sizeof(int));
        if (!kids)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const struct statement *st = sts[i];
                _cleanup_free_ int *pk = malloc((st->n_actions + 1) * sizeof(int));
                if (!pk)
                        return -ENOMEM;
                for (size_t k = 0; k < st->n_actions; k++) {
                        pk[k] = glob_query_pattern(q, st->actions[k]);
                        if (pk[k] < 0)
                                return pk[k];
                }
                int any = glob_query_node(q, GLOB_OR, pk, st->n_actions);
                if (any < 0)
                        return any;
                kids[i] = st->not_action ? glob_query_node(q, GLOB_NOT, &any, 1) : any;
                if (kids[i] < 0)
                        return kids[i];
        }
        return glob_query_node(q, GLOB_OR, kids, n);
}

static void stmt_sets_done(struct stmt_sets *s) {
        free(s->allow);
        free(s->deny);
        free(s->allow_label);
}

static int stmt_sets_collect(struct stmt_sets *s, const struct subject_policy *pols, size_t n_pols) {
        size_t total = 0;
        for (size_t i = 0; i < n_pols; i++)
                total += pols[i].policy->n_statements;
        s->allow = calloc(total + 1, sizeof(*s->allow));
        s->deny = calloc(total + 1, sizeof(*s->deny));
        s->allow_label = calloc(total + 1, sizeof(*s->allow_label));
        if (!s->allow || !s->deny || !s->allow_label)
                return -ENOMEM;
        for (size_t i = 0; i < n_pols; i++)
                for (size_t k = 0; k < pols[i].policy->n_statements; k++) {
                        const struct statement *st = &pols[i].policy->statements[k];
                        if (st->allow) {
                                s->allow_label[s->n_allow] = pols[i].label;
                                s->allow[s->n_allow++] = st;
                        } else if (statement_denies_everywhere(st))
                                s->deny[s->n_deny++] = st;
                }
        return 0;
}

/* Node: "the reference grants the word" (its Allows minus its Denies everywhere). */
static int node_ref_grants(struct auditor *a, struct glob_query *q) {
        const struct subject_policy sp = { .policy = a->ref->policy };
        _cleanup_(stmt_sets_done) struct stmt_sets s = {};
        int r = stmt_sets_collect(&s, &sp, 1);
        if (r < 0)
                return r;
        int allow = node_of_statements(q, s.allow, s.n_allow);
        if (allow < 0 || s.n_deny == 0)
                return allow;
        int deny = node_of_statements(q, s.deny, s.n_deny);
        if (deny < 0)
                return deny;
        int not_deny = glob_query_node(q, GLOB_NOT, &deny, 1);
        if (not_deny < 0)
                return not_deny;
        int both[] = { allow, not_deny };
        return glob_query_node(q, GLOB_AND, both, 2);
}

/* Names the IAM grammar allows: prefix:name (so that `*` is not judged on words like "x"). */
static int node_universe(struct glob_query *q) {
        return glob_query_pattern(q, "?*:?*");
}

/* Does the word satisfy "the reference grants it"? For concrete names. */
static bool statements_grant(const struct statement *const *sts, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++) {
                bool m = false;
                for (size_t k = 0; k < sts[i]->n_actions && !m; k++)
                        m = glob_match(sts[i]->actions[k], name, true);
                if (m != sts[i]->not_action)
                        return true;
        }
        return false;
}

static bool ref_grants_name(struct auditor *a, const char *name) {
        const struct stmt_sets *s = &a->ref_sets;
        return statements_grant(s->allow, s->n_allow, name) && !statements_grant(s->deny, s->n_deny, name);
}

struct example_ctx {
        struct auditor *a;
        const struct stmt_sets *subject;        /* denies to respect, may be NULL */
        const struct statement *not_action;     /* NotAction statement: names it does not name */
        const char *found;
};

static bool example_cb(const char *name, void *userdata) {
        struct example_ctx *c = userdata;
        size_t n_deny = c->subject ? c->subject->n_deny : 0;

        /* Each name is matched against the reference and the Denies' patterns. */
        if (!budget_take(c->a, 4 + n_deny + (c->not_action ? c->not_action->n_actions : 0)))
                return false;
        if (c->not_action) {
                for (size_t k = 0; k < c->not_action->n_actions; k++)
                        if (glob_match(c->not_action->actions[k], name, true))
                                return true;
        }
        if (ref_grants_name(c->a, name))
                return true;
        if (c->subject && statements_grant(c->subject->deny, c->subject->n_deny, name))
                return true;
        c->found = name;
        return false;
}

/* Searches the catalog for a known action granted beyond the reference. */
static const char *known_example(struct auditor *a, const char *pattern, const struct statement *not_action,
                                 const struct stmt_sets *subject) {
        struct example_ctx c = { .a = a, .subject = subject, .not_action = not_action };
        /* The scan matches the pattern against the catalog names of its prefix: a few hundred. */
        if (!budget_take(a, 512))
                return NULL;
        action_catalog_match(pattern, example_cb, &c);
        return c.found;
}

/* Is every name of PATTERN (or of the NotAction statement) granted by the reference or denied
 * by the subject's DENY statements? 1 yes, 0 no (*ret_witness), -E2BIG undecided. */
static int within_reference(struct auditor *a, const char *pattern, const struct statement *not_action,
                            const struct statement *const *deny, size_t n_deny, char **ret_witness) {
        struct glob_query *q = NULL;
        int r, subj, cover, root;

        /* A name without wildcards needs no search: the one word it stands for is matched. */
        if (!not_action && !glob_has_wildcard(pattern)) {
                bool within = !glob_match("?*:?*", pattern, true) || ref_grants_name(a, pattern) ||
                              statements_grant(deny, n_deny, pattern);
                if (!within && ret_witness && !(*ret_witness = strdup(pattern)))
                        return -ENOMEM;
                return within;
        }

        r = glob_query_new(true, &q);
        if (r < 0)
                return r;
        glob_query_set_budget(q, &a->budget);
        int univ = node_universe(q);
        if (not_action) {
                subj = node_of_statements(q, &not_action, 1);   /* NOT(OR(names)) */
        } else
                subj = glob_query_pattern(q, pattern);
        int grants = node_ref_grants(a, q);
        if (univ < 0 || subj < 0 || grants < 0) {
                r = univ < 0 ? univ : subj < 0 ? subj : grants;
                goto finish;
        }
        cover = grants;
        if (n_deny > 0) {
                int d = node_of_statements(q, deny, n_deny);
                if (d < 0) {
                        r = d;
                        goto finish;
                }
                int either[] = { grants, d };
                cover = glob_query_node(q, GLOB_OR, either, 2);
        }
        int not_cover = cover < 0 ? cover : glob_query_node(q, GLOB_NOT, &cover, 1);
        if (not_cover < 0) {
                r = not_cover;
                goto finish;
        }
        int all[] = { univ, subj, not_cover };
        root = glob_query_node(q, GLOB_AND, all, 3);
        if (root < 0) {
                r = root;
                goto finish;
        }
        r = glob_query_solve(q, root, 0, ret_witness);
        if (r >= 0)
                r = !r;
finish:
        glob_query_free(q);
        return r;
}

/* Does a single Allow pattern of the reference cover PATTERN, with no Deny of the reference to
 * take anything back? A sufficient test, no search. */
static bool ref_allow_subsumes(const struct auditor *a, const char *pattern) {
        const struct stmt_sets *s = &a->ref_sets;
        if (s->n_deny > 0)
                return false;
        for (size_t i = 0; i < s->n_allow; i++) {
                if (s->allow[i]->not_action)
                        continue;
                for (size_t k = 0; k < s->allow[i]->n_actions; k++) {
                        const char *outer = s->allow[i]->actions[k], *o = outer, *p = pattern;
                        /* Cheap first: OUTER's literal head must begin PATTERN. */
                        while (*o && *o != '*' && *o != '?' &&
                               tolower((unsigned char) *o) == tolower((unsigned char) *p))
                                o++, p++;
                        if ((*o == '*' || *o == '?') && glob_subsumes(outer, pattern, true))
                                return true;
                }
        }
        return false;
}

/* A name no known action has, found by the search: say so. */
static const char *future_name(struct auditor *a, const char *w) {
        size_t n = strlen(w);
        char *s = arena_alloc(&a->scratch, n + 40);
        if (s)
                snprintf(s, n + 40, "%s (no such action today; any future one)", w);
        return s;
}

static struct facts *facts_get(struct auditor *a, const char *pattern) {
        size_t len = strlen(pattern);
        struct facts *f = hashmap_get(a->facts, pattern, len);

        if (f)
                return f;
        f = arena_alloc(&a->scratch, sizeof(*f));
        if (!f)
                return NULL;
        /* Past the budget a pattern is taken as known: the subject's note says the budget ran
         * out, and an unknown name is a warning only. */
        *f = (struct facts) { .known = !budget_take(a, 256) || action_catalog_known(pattern) };
        f->ubits = bits_of_pattern(a, &a->scratch, pattern);
        if (!f->ubits)
                return NULL;
        _cleanup_free_ char *witness = NULL;
        if (glob_has_wildcard(pattern) && (f->example = known_example(a, pattern, NULL, NULL)))
                /* A known action beyond the reference answers it: no search. */
                f->within_ref = 0;
        else if (glob_has_wildcard(pattern) && ref_allow_subsumes(a, pattern))
                f->within_ref = 1;
        else {
                f->within_ref = within_reference(a, pattern, NULL, NULL, 0, &witness);
                if (f->within_ref == -ENOMEM)
                        return NULL;
                if (f->within_ref < 0)
                        f->within_ref = -1;
                if (f->within_ref != 1) {
                        const char *ex = known_example(a, pattern, NULL, NULL);
                        f->example = ex ? ex : witness ? future_name(a, witness) : NULL;
                }
        }
        if (hashmap_put(a->facts, pattern, len, f) < 0)
                return NULL;
        return f;
}

int auditor_new(const struct reference *ref, struct auditor **ret) {
        struct auditor *a = calloc(1, sizeof(*a));
        size_t alloc = 0, n = 0;
        int r;

        if (!a)
                return -ENOMEM;
        a->ref = ref;
        if (ref->builtin || ref->version) {
                if (asprintf(&a->ref_display, "%s %s", ref->name, strempty(ref->version)) < 0)
                        a->ref_display = NULL;
        } else
                a->ref_display = strdup(ref->name);
        if (!a->ref_display) {
                r = -ENOMEM;
                goto fail;
        }

        const struct subject_policy sp = { .policy = ref->policy };
        r = stmt_sets_collect(&a->ref_sets, &sp, 1);
        if (r < 0)
                goto fail;

        /* The universe: every reference Allow pattern, literal ones as written, wildcards as
         * the known actions they stand for. */
        const struct policy *p = ref->policy;
        for (size_t i = 0; i < p->n_statements; i++) {
                const struct statement *st = &p->statements[i];
                if (!st->allow || st->not_action)
                        continue;
                for (size_t k = 0; k < st->n_actions; k++) {
                        n++;
                        if (!glob_has_wildcard(st->actions[k])) {
                                r = universe_add(a, st->actions[k], &alloc);
                                if (r < 0)
                                        goto fail;
                                continue;
                        }
                        struct universe_ctx c = { .a = a, .alloc = &alloc };
                        action_catalog_match(st->actions[k], universe_cb, &c);
                        if (c.r < 0) {
                                r = c.r;
                                goto fail;
                        }
                }
        }
        a->words = (a->n_universe + 63) / 64;
        a->entries = calloc(n + 1, sizeof(*a->entries));
        if (!a->entries) {
                r = -ENOMEM;
                goto fail;
        }
        for (size_t i = 0; i < p->n_statements; i++) {
                const struct statement *st = &p->statements[i];
                if (!st->allow || st->not_action)
                        continue;
                for (size_t k = 0; k < st->n_actions; k++) {
                        struct ref_entry *e = &a->entries[a->n_entries++];
                        e->pattern = st->actions[k];
                        e->st = st;
                        e->literal = !glob_has_wildcard(e->pattern);
                        e->scoped = st->condition || !st->resource_star || st->not_resource;
                        e->bits = bits_of_pattern(a, &a->arena, e->pattern);
                        if (!e->bits) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        for (size_t j = 0; j + 1 < a->n_entries; j++)
                                if (strcasecmp(a->entries[j].pattern, e->pattern) == 0)
                                        e->duplicate = true;
                }
        }
        r = hashmap_new(&a->facts);
        if (r < 0)
                goto fail;
        *ret = a;
        return 0;
fail:
        auditor_free(a);
        return r;
}

struct auditor *auditor_free(struct auditor *a) {
        if (!a)
                return NULL;
        free(a->ref_display);
        stmt_sets_done(&a->ref_sets);
        free(a->universe);
        free(a->entries);
        hashmap_free(a->facts, NULL);
        arena_done(&a->scratch);
        for (size_t i = 0; i < a->n_by_content; i++)
                audit_result_free(a->by_content[i]);
        free(a->by_content);
        audit_result_free(a->owned);
        arena_done(&a->arena);
        free(a);
        return NULL;
}

/* Joins a NotAction list for the finding's action field: "NotAction [iam:*, sts:*]". */
static char *not_action_text(const struct statement *st) {
        size_t len = 16;
        for (size_t k = 0; k < st->n_actions; k++)
                len += strlen(st->actions[k]) + 2;
        char *s = malloc(len), *p = s;
        if (!s)
                return NULL;
        p = stpcpy(p, "NotAction [");
        for (size_t k = 0; k < st->n_actions; k++) {
                if (k)
                        p = stpcpy(p, ", ");
                p = stpcpy(p, st->actions[k]);
        }
        stpcpy(p, "]");
        return s;
}

/* Within the reference, given the subject's Denies: the answer for a pattern (or a NotAction
 * statement), into *ANS. 0 or -ENOMEM. */
static int answer_get(struct auditor *a, const struct stmt_sets *ss, const char *pattern, const struct statement *not_action,
                      struct answer *ans) {
        _cleanup_free_ char *w = NULL;

        if (not_action || glob_has_wildcard(pattern)) {
                /* A known action beyond the reference and the Denies answers it: no search. */
                ans->example = known_example(a, not_action ? "*" : pattern, not_action, ss);
                if (ans->example) {
                        ans->within = 0;
                        return 0;
                }
        }
        ans->within = within_reference(a, pattern, not_action, ss->deny, ss->n_deny, &w);
        if (ans->within == -ENOMEM)
                return -ENOMEM;
        ans->example = NULL;
        if (ans->within != 1) {
                const char *ex = known_example(a, not_action ? "*" : pattern, not_action, ss);
                ans->example = ex ? ex : w ? future_name(a, w) : NULL;
        }
        return 0;
}

static int judge_excess(struct auditor *a, struct audit_result *res, const struct stmt_sets *ss) {
        int r;

        for (size_t i = 0; i < ss->n_allow; i++) {
                const struct statement *st = ss->allow[i];
                const char *label = ss->allow_label[i];

                if (st->not_action) {
                        _cleanup_free_ char *text = not_action_text(st);
                        struct answer ans;
                        if (!text)
                                return -ENOMEM;
                        r = answer_get(a, ss, NULL, st, &ans);
                        if (r < 0)
                                return r;
                        if (ans.within == 1)
                                continue;
                        r = audit_result_add(res, FINDING_EXCESS, text, st, label, -1,
                                        "NotAction in an Allow grants every action it does not name, beyond %s%s%s",
                                        a->ref_display, ans.example ? ", e.g. " : "", strempty(ans.example));
                        if (r < 0)
                                return r;
                        continue;
                }

                for (size_t k = 0; k < st->n_actions; k++) {
                        const char *pat = st->actions[k];
                        struct facts *f = facts_get(a, pat);
                        const char *ex;
                        int within;

                        if (!f)
                                return -ENOMEM;
                        if (f->within_ref == 1)
                                continue;
                        within = f->within_ref;
                        ex = f->example;
                        if (ss->n_deny > 0) {
                                /* The subject's own Denies may take the rest away. */
                                struct answer ans;
                                r = answer_get(a, ss, pat, NULL, &ans);
                                if (r < 0)
                                        return r;
                                if (ans.within == 1)
                                        continue;
                                within = ans.within;
                                ex = ans.example;
                        }
                        if (within < 0)
                                r = audit_result_add(res, FINDING_EXCESS, pat, st, label, -1,
                                                "%s could not be shown to stay within %s (too complex to decide "
                                                "within the search budget); treated as excess",
                                                pat, a->ref_display);
                        else if (!glob_has_wildcard(pat))
                                r = audit_result_add(res, FINDING_EXCESS, pat, st, label, -1,
                                                "grants %s, which %s does not", pat, a->ref_display);
                        else
                                r = audit_result_add(res, FINDING_EXCESS, pat, st, label, -1,
                                                "%s grants actions that %s does not%s%s", pat, a->ref_display,
                                                ex ? ", e.g. " : "", strempty(ex));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* The subject's grants over the universe: GRANTED, Allows minus Denies everywhere; REMOVED, what
 * the Denies take away; PER_ALLOW, what each Allow matches (a->words each). */
static int subject_bits(struct auditor *a, const struct stmt_sets *ss, uint64_t *granted, uint64_t *removed,
                        uint64_t *per_allow) {
        for (int pass = 0; pass < 2; pass++) {
                const struct statement *const *sts = pass == 0 ? ss->allow : ss->deny;
                size_t n = pass == 0 ? ss->n_allow : ss->n_deny;
                uint64_t *dst = pass == 0 ? granted : removed;
                for (size_t i = 0; i < n; i++) {
                        const struct statement *st = sts[i];
                        uint64_t *acc = pass == 0 ? per_allow + i * a->words : granted + a->words;
                        memset(acc, 0, a->words * sizeof(uint64_t));
                        for (size_t k = 0; k < st->n_actions; k++) {
                                struct facts *f = facts_get(a, st->actions[k]);
                                if (!f)
                                        return -ENOMEM;
                                for (size_t w = 0; w < a->words; w++)
                                        acc[w] |= f->ubits[w];
                        }
                        for (size_t w = 0; w < a->words; w++) {
                                if (st->not_action)
                                        acc[w] = ~acc[w];
                                dst[w] |= acc[w];
                        }
                }
        }
        for (size_t w = 0; w < a->words; w++)
                granted[w] &= ~removed[w];
        return 0;
}

/* Is every name of the reference wildcard PATTERN granted by the subject? For a wildcard that
 * stands for no known action: decided on the patterns. */
static int subject_covers(struct auditor *a, const char *pattern, const struct stmt_sets *ss) {
        struct glob_query *q = NULL;
        int r = glob_query_new(true, &q);
        if (r < 0)
                return r;
        glob_query_set_budget(q, &a->budget);
        int univ = node_universe(q);
        int p = glob_query_pattern(q, pattern);
        int allow = node_of_statements(q, ss->allow, ss->n_allow);
        int deny = node_of_statements(q, ss->deny, ss->n_deny);
        int nd = deny < 0 ? deny : glob_query_node(q, GLOB_NOT, &deny, 1);
        int g[] = { allow, nd };
        int grants = allow < 0 ? allow : nd < 0 ? nd : glob_query_node(q, GLOB_AND, g, 2);
        int ng = grants < 0 ? grants : glob_query_node(q, GLOB_NOT, &grants, 1);
        int all[] = { univ, p, ng };
        /* A budget spent while the query was built: -E2BIG, undecided. */
        int root = univ < 0 ? univ : p < 0 ? p : ng < 0 ? ng : glob_query_node(q, GLOB_AND, all, 3);
        if (root < 0)
                r = root;
        else {
                r = glob_query_solve(q, root, 0, NULL);
                if (r >= 0)
                        r = !r;
        }
        glob_query_free(q);
        return r;
}

static int judge_missing(struct auditor *a, struct audit_result *res, const uint64_t *granted, const struct stmt_sets *ss) {
        for (size_t i = 0; i < a->n_entries; i++) {
                const struct ref_entry *e = &a->entries[i];
                const char *why;
                int r;

                if (e->duplicate)
                        continue;
                bool any_bits = false, all = true;
                for (size_t w = 0; w < a->words; w++) {
                        any_bits = any_bits || e->bits[w];
                        all = all && (e->bits[w] & ~granted[w]) == 0;
                }
                if (!any_bits) {
                        /* Stands for no known action: judged on the patterns. */
                        r = subject_covers(a, e->pattern, ss);
                        if (r < 0 && r != -E2BIG)
                                return r;
                        all = r == 1;
                }
                if (all)
                        continue;

                why = action_consequence(e->pattern);
                if (e->literal || !any_bits) {
                        if (!why)
                                why = "calls that need it are denied";
                        r = audit_result_add(res, FINDING_MISSING, e->pattern, e->st, NULL, -1, "%s is not granted: %s",
                                        e->pattern, why);
                } else {
                        /* Name what is missing under the wildcard. */
                        char list[512];
                        size_t n = 0, count = 0;
                        list[0] = '\0';
                        for (size_t u = 0; u < a->n_universe; u++)
                                if (bit_test(e->bits, u) && !bit_test(granted, u)) {
                                        count++;
                                        if (n < sizeof(list) - 64) {
                                                int k = snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "",
                                                                 a->universe[u]);
                                                if (k > 0)
                                                        n += (size_t) k;
                                        }
                                }
                        if (!why)
                                why = "calls that need them are denied";
                        r = audit_result_add(res, FINDING_MISSING, e->pattern, e->st, NULL, -1,
                                        "%s is not fully granted (%zu known action%s missing: %s): %s", e->pattern, count,
                                        count == 1 ? "" : "s", list, why);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Is RESOURCE within the resources of reference statement REF? ARNs are case-sensitive.
 * 1 yes, 0 no (or undecided within the budget), negative errno. */
static int resource_within(struct auditor *a, const struct statement *ref, const char *resource) {
        /* The test before any search is quadratic in the lengths: charged too. */
        if (!budget_take(a, (strlen(resource) + 1) * ref->n_resources))
                return 0;
        int r = glob_included_budget(resource, ref->resources, ref->n_resources, false, &a->budget, NULL);
        return r == -ENOMEM ? r : r == 1;
}

/* Do the subject statement's resources stay within the reference statement's? */
static int resources_within(struct auditor *a, const struct statement *sub, const struct statement *ref) {
        if (sub->not_resource || sub->resource_star || sub->n_resources == 0)
                return 0;
        for (size_t i = 0; i < sub->n_resources; i++) {
                int r = resource_within(a, ref, sub->resources[i]);
                if (r <= 0)
                        return r;
        }
        return 1;
}

static char *join_resources(const struct statement *st) {
        size_t len = 1;
        for (size_t i = 0; i < st->n_resources; i++)
                len += strlen(st->resources[i]) + 2;
        char *s = malloc(len), *p = s;
        if (!s)
                return NULL;
        *p = '\0';
        for (size_t i = 0; i < st->n_resources; i++) {
                if (i)
                        p = stpcpy(p, ", ");
                p = stpcpy(p, st->resources[i]);
        }
        return s;
}

static int judge_notes(struct auditor *a, struct audit_result *res, const struct stmt_sets *ss, const uint64_t *removed,
                       const uint64_t *per_allow) {
        for (size_t i = 0; i < a->n_entries; i++) {
                const struct ref_entry *e = &a->entries[i];
                if (!e->scoped || e->duplicate)
                        continue;
                for (size_t j = 0; j < ss->n_allow; j++) {
                        const struct statement *st = ss->allow[j];
                        const uint64_t *matches = per_allow + j * a->words;
                        bool grants = false;

                        /* Does this statement grant some name the entry stands for (one the
                         * subject's Denies do not take away)? */
                        for (size_t w = 0; w < a->words && !grants; w++)
                                grants = (e->bits[w] & matches[w] & ~removed[w]) != 0;
                        if (!grants)
                                continue;

                        int r = 0;
                        if (e->st->condition && !st->condition)
                                r = audit_result_add(res, FINDING_NOTE, e->pattern, st, ss->allow_label[j], -1,
                                                "grants %s without the reference's condition %s", e->pattern,
                                                e->st->condition);
                        else if (e->st->condition && !streq(e->st->condition, st->condition))
                                r = audit_result_add(res, FINDING_NOTE, e->pattern, st, ss->allow_label[j], -1,
                                                "grants %s under a condition other than the reference's %s", e->pattern,
                                                e->st->condition);
                        else if ((!e->st->resource_star || e->st->not_resource) &&
                                 (r = resources_within(a, st, e->st)) <= 0) {
                                _cleanup_free_ char *scope = NULL;
                                if (r < 0)
                                        return r;
                                scope = join_resources(e->st);
                                if (!scope)
                                        return -ENOMEM;
                                r = audit_result_add(res, FINDING_NOTE, e->pattern, st, ss->allow_label[j], -1,
                                                "grants %s on resources beyond the reference's scope (%s%s)", e->pattern,
                                                e->st->not_resource ? "all but " : "", scope);
                        }
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int judge_unknown(struct auditor *a, struct audit_result *res, const struct subject *s) {
        for (size_t i = 0; i < s->n_policies; i++) {
                const struct policy *p = s->policies[i].policy;
                for (size_t j = 0; j < p->n_statements; j++) {
                        const struct statement *st = &p->statements[j];
                        for (size_t k = 0; k < st->n_actions; k++) {
                                struct facts *f = facts_get(a, st->actions[k]);
                                if (!f)
                                        return -ENOMEM;
                                if (f->known)
                                        continue;
                                int r = audit_result_add(res, FINDING_UNKNOWN, st->actions[k], st, s->policies[i].label, -1,
                                                    "%s matches no known IAM action (a typo?%s)", st->actions[k],
                                                    st->allow ? "" : "; this Deny then denies nothing");
                                if (r < 0)
                                        return r;
                        }
                        for (size_t k = 0; k < st->n_blanked; k++) {
                                _cleanup_free_ char *clean = malloc(strlen(st->blanked[k]) + 1);
                                char *q = clean;
                                if (!clean)
                                        return -ENOMEM;
                                for (const char *c = st->blanked[k]; *c; c++)
                                        if (*c != ' ' && *c != '\t')
                                                *q++ = *c;
                                *q = '\0';
                                struct facts *f = facts_get(a, clean);
                                if (!f)
                                        return -ENOMEM;
                                int r = audit_result_add(res, FINDING_UNKNOWN, st->blanked[k], st, s->policies[i].label, -1,
                                                         "\"%s\" has a blank in its name (AWS itself published such "
                                                         "names in some managed policy versions); no IAM action name has "
                                                         "one: judged as %s, the name without its blanks%s",
                                                         st->blanked[k], clean,
                                                         f->known ? "" : ", which matches no known action either");
                                if (r < 0)
                                        return r;
                        }
                }
        }
        return 0;
}

/* Attached policies that resolve nowhere: what was not judged, and why it could not be. */
static int judge_unresolved(struct audit_result *res, const struct subject *s) {
        for (size_t i = 0; i < s->n_unresolved; i++) {
                const char *arn = s->unresolved[i];
                int r;
                if (arn_is_aws_managed(arn))
                        r = audit_result_add(res, FINDING_UNRESOLVED, arn, NULL, NULL, -1,
                                             "attached AWS managed policy %s is neither in the input's Policies nor "
                                             "among the AWS managed policies shipped (%s): its permissions were not "
                                             "judged", arn, builtin_policy_source());
                else
                        r = audit_result_add(res, FINDING_UNRESOLVED, arn, NULL, NULL, -1,
                                             "attached policy %s is not in the input (get-account-authorization-details "
                                             "lists customer managed policies under Policies): its permissions were not "
                                             "judged", arn);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Orders findings by kind (excess, missing, unknown, unresolved, note), stably. */
static void group_findings(struct audit_result *res) {
        for (size_t i = 1; i < res->n_findings; i++) {
                struct finding f = res->findings[i];
                size_t j = i;
                for (; j > 0 && res->findings[j - 1].kind > f.kind; j--)
                        res->findings[j] = res->findings[j - 1];
                res->findings[j] = f;
        }
}

static int audit_subject(struct auditor *a, const struct subject *s, struct audit_result **ret) {
        _cleanup_(stmt_sets_done) struct stmt_sets ss = {};
        _cleanup_free_ uint64_t *bits = NULL;
        struct audit_result *res = NULL;
        int r;

        /* A fresh start: no facts, no scratch, the whole budget. */
        hashmap_clear(a->facts, NULL);
        arena_done(&a->scratch);
        a->budget = SUBJECT_BUDGET;

        r = audit_result_new(s->name, &res);
        if (r < 0)
                return r;
        r = stmt_sets_collect(&ss, s->policies, s->n_policies);
        if (r < 0)
                goto fail;
        /* Granted, scratch, removed, then one set per Allow. */
        bits = calloc((ss.n_allow + 3) * a->words + 1, sizeof(uint64_t));
        if (!bits) {
                r = -ENOMEM;
                goto fail;
        }
        uint64_t *granted = bits, *removed = bits + 2 * a->words, *per_allow = bits + 3 * a->words;
        if ((r = judge_excess(a, res, &ss)) < 0 || (r = subject_bits(a, &ss, granted, removed, per_allow)) < 0 ||
            (r = judge_missing(a, res, granted, &ss)) < 0 || (r = judge_unknown(a, res, s)) < 0 ||
            (r = judge_unresolved(res, s)) < 0 ||
            (r = judge_notes(a, res, &ss, removed, per_allow)) < 0)
                goto fail;
        if (a->budget == 0 &&
            (r = audit_result_add(res, FINDING_NOTE, NULL, NULL, NULL, -1,
                             "this subject's patterns took more than the work budget of one subject: what could "
                             "not be decided within it is reported conservatively (an excess not disproved, an "
                             "action not shown granted)")) < 0)
                goto fail;
        group_findings(res);
        /* An attached policy not judged: never PASS. */
        if (res->n_kind[FINDING_EXCESS])
                res->verdict = VERDICT_FAIL;
        else if (res->n_kind[FINDING_MISSING] || res->n_kind[FINDING_UNKNOWN] || res->n_kind[FINDING_UNRESOLVED])
                res->verdict = VERDICT_WARN;
        else
                res->verdict = VERDICT_PASS;
        *ret = res;
        return 0;
fail:
        audit_result_free(res);
        return r;
}

int auditor_run(struct auditor *a, const struct subject *s, struct audit_result **ret) {
        return audit_subject(a, s, ret);
}

/* The memo slot of content number C (from 1), NULL on OOM. */
static struct audit_result **content_slot(struct auditor *a, uint64_t c) {
        if (c > a->n_by_content) {
                if (c > SIZE_MAX / sizeof(struct audit_result *) / 2)
                        return NULL;
                size_t nn = a->n_by_content * 2 > c ? a->n_by_content * 2 : (size_t) c + 255;
                struct audit_result **n = reallocarray(a->by_content, nn, sizeof(*n));
                if (!n)
                        return NULL;
                memset(n + a->n_by_content, 0, (nn - a->n_by_content) * sizeof(*n));
                a->by_content = n;
                a->n_by_content = nn;
        }
        return &a->by_content[c - 1];
}

/* What a result holds, roughly, in bytes. */
static size_t result_bytes(const struct audit_result *r) {
        size_t n = sizeof(*r) + r->a_findings * sizeof(struct finding);
        for (size_t i = 0; i < r->n_findings; i++) {
                const struct finding *f = &r->findings[i];
                n += strlen(f->message) + 1 + (f->action ? strlen(f->action) + 1 : 0) + (f->sid ? strlen(f->sid) + 1 : 0) +
                     (f->policy ? strlen(f->policy) + 1 : 0);
        }
        return n;
}

int auditor_next(struct auditor *a, struct policy_input *in, const struct audit_result **ret) {
        struct subject_ref ref;
        struct subject *s = NULL;
        struct audit_result **slot = NULL, *t = NULL;
        size_t bytes;
        int r;

        a->owned = audit_result_free(a->owned);
        r = policy_input_next_ref(in, &ref);
        if (r <= 0)
                return r;
        if (ref.content) {
                slot = content_slot(a, ref.content);
                if (!slot)
                        return -ENOMEM;
                if (*slot) {
                        /* Judged before. The last subject of the content takes its result along. */
                        t = *slot;
                        if (ref.later == 0) {
                                *slot = NULL;
                                a->n_live--;
                                a->live_bytes -= result_bytes(t);
                                a->owned = t;
                        }
                        goto view;
                }
        }

        r = policy_input_current(in, &s);
        if (r < 0)
                return r;
        r = audit_subject(a, s, &t);
        subject_free(s);
        if (r < 0)
                return r;
        bytes = result_bytes(t);
        if (slot && ref.later > 0 && a->n_live < MAX_MEMO_RESULTS && a->live_bytes + bytes <= MAX_MEMO_BYTES) {
                *slot = t;
                a->n_live++;
                a->live_bytes += bytes;
        } else
                a->owned = t;
view:
        a->view = *t;
        a->view.name = ref.name;
        *ret = &a->view;
        return 1;
}

int policy_audit_path(const char *path, const char *reference, struct audit_result ***ret, size_t *ret_n,
                      char **ret_error) {
        struct reference *ref = NULL;
        struct auditor *a = NULL;
        struct policy_input *in = NULL;
        struct audit_result **results = NULL;
        size_t n = 0;
        int r;

        *ret_error = NULL;
        r = reference_load(reference, &ref, ret_error);
        if (r < 0)
                return r;
        r = auditor_new(ref, &a);
        if (r < 0)
                goto finish;
        r = policy_input_new(&in);
        if (r < 0)
                goto finish;
        r = policy_input_add(in, path, ret_error);
        if (r < 0)
                goto finish;
        for (;;) {
                struct subject *s = NULL;
                struct audit_result *res = NULL;
                r = policy_input_next(in, &s);
                if (r <= 0)
                        break;
                r = auditor_run(a, s, &res);
                subject_free(s);
                if (r < 0)
                        break;
                struct audit_result **nr = reallocarray(results, n + 1, sizeof(*nr));
                if (!nr) {
                        audit_result_free(res);
                        r = -ENOMEM;
                        break;
                }
                results = nr;
                results[n++] = res;
        }
        if (r >= 0) {
                *ret = TAKE_PTR(results);
                *ret_n = n;
                r = 0;
        }
finish:
        audit_results_free(results, results ? n : 0);
        policy_input_free(in);
        auditor_free(a);
        reference_free(ref);
        return r;
}
