/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* IAM-style wildcard patterns: `*` matches any run of characters (also none), `?` exactly one.
 * Matching a name, and deciding questions about the languages of patterns ("is every name
 * that P matches also matched by one of S?") exactly, without a list of today's names.
 *
 * Inclusion is decided by exploring the product of the patterns' automata breadth-first,
 * one subset state per pattern, with two reductions that keep it small on real and
 * adversarial inputs: a pattern's state never holds positions before the last `*` it has
 * reached (that star accepts every continuation they accept), and characters that no pattern
 * names literally are one letter of the alphabet. No backtracking anywhere; the search is
 * bounded by a state budget and says so when the budget runs out. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when NAME is matched by PATTERN. ICASE folds ASCII case (IAM action names); resource
 * ARNs are compared with ICASE false. O(|pattern| * |name|) at worst. */
bool glob_match(const char *pattern, const char *name, bool icase);

/* True when S contains `*` or `?`. */
bool glob_has_wildcard(const char *s);

/* A boolean formula over "pattern i matches the word", whose satisfying words are searched. */
struct glob_query;

enum glob_op {
        GLOB_AND,
        GLOB_OR,
        GLOB_NOT,
};

/* 0 or -ENOMEM. */
int glob_query_new(bool icase, struct glob_query **ret);
struct glob_query *glob_query_free(struct glob_query *q);

/* Adds a leaf "PATTERN matches the word"; returns its node id (>= 0) or -ENOMEM. Equal
 * patterns (after case folding) share one automaton. */
int glob_query_pattern(struct glob_query *q, const char *pattern);

/* Adds an operator node over already added nodes (NOT takes one child; AND/OR of none are
 * true/false). Returns its node id or a negative errno. */
int glob_query_node(struct glob_query *q, enum glob_op op, const int *children, size_t n_children);

/* Charges the work of Q's searches to *BUDGET (units: positions stepped through, and nodes
 * judged per state), which several queries may share (one subject's): a search that would
 * exceed what is left stops with -E2BIG and leaves *BUDGET at 0; with *BUDGET at 0, every search
 * answers -E2BIG at once. Building the query is charged too (glob_query_pattern(): a unit per
 * byte, -E2BIG when spent). NULL: no budget but the search's own bounds below. */
#include <stdint.h>
void glob_query_set_budget(struct glob_query *q, uint64_t *budget);

/* Looks for a word that satisfies node ROOT. Returns 1 and sets *ret_witness (may be NULL) to
 * the shortest such word, 0 when no word does, -E2BIG when the search exceeded MAX_STATES
 * product states (0 = a default of 200000), 16 MiB of them, or 2 M steps through their
 * positions (~35 ms) without an answer, -ENOMEM. */
int glob_query_solve(struct glob_query *q, int root, size_t max_states, char **ret_witness);

/* A sufficient, quadratic test of inclusion, no search: OUTER covers INNER read as a string in
 * which INNER's '*' and '?' are symbols of their own. True for equal patterns, "*", and the
 * like; false says nothing. */
bool glob_subsumes(const char *outer, const char *inner, bool icase);

/* Convenience: is every name matched by PATTERN matched by some pattern of SET?
 * 1 yes, 0 no (*ret_witness, if not NULL, gets an example name), negative errno as above. */
int glob_included(const char *pattern, const char *const *set, size_t n_set, bool icase, char **ret_witness);
/* The same, its search charged to *BUDGET (glob_query_set_budget()). */
int glob_included_budget(const char *pattern, const char *const *set, size_t n_set, bool icase, uint64_t *budget,
                         char **ret_witness);
