/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Judges a subject's policies against a reference policy, action level only (DESIGN.md,
 * "audit-policy semantics"):
 *   excess  (FAIL) an Allow grants an action name the reference does not, decided on the
 *                  patterns themselves (language inclusion), minus the subject's
 *                  unconditional Deny on Resource "*";
 *   missing (WARN) a reference action the subject grants on no resource; a reference wildcard
 *                  counts as granted when every known action it matches is;
 *   unknown (WARN) a name that matches no known action (catalog);
 *   unresolved (WARN) an attached policy that is neither in the input nor shipped: its
 *                  permissions were not judged, so the subject is never PASS;
 *   note           a reference action granted without the reference's condition or scope.
 * Libraries do not print: the command module formats the results. */

#include <stdbool.h>
#include <stdint.h>

#include "audit/policy.h"
#include "lib/util.h"

enum finding_kind {
        FINDING_EXCESS,
        FINDING_MISSING,
        FINDING_UNKNOWN,
        FINDING_UNRESOLVED,
        FINDING_NOTE,
        _FINDING_KIND_MAX,
};

enum verdict {
        VERDICT_PASS,
        VERDICT_WARN,
        VERDICT_FAIL,
};

const char *finding_kind_to_string(enum finding_kind k);   /* "excess", ... */
const char *verdict_to_string(enum verdict v);             /* "PASS", ... */

struct finding {
        enum finding_kind kind;
        const char *action;     /* the pattern as written (subject: excess/unknown/note; reference: missing) */
        int statement;          /* statement index, -1 when none */
        const char *sid;        /* NULL when the statement has none */
        const char *policy;     /* label of the subject policy holding the statement; NULL or "" */
        const char *message;
};

struct audit_result {
        struct arena arena;
        const char *name;
        enum verdict verdict;
        struct finding *findings;
        size_t n_findings, a_findings;
        size_t n_kind[_FINDING_KIND_MAX];
};

struct audit_result *audit_result_free(struct audit_result *r);

/* For the judge: a new result for NAME (0 or -ENOMEM), and a finding added to it: ACTION as
 * written, statement ST (its index and Sid; NULL: STATEMENT_OVERRIDE), in the subject policy
 * labelled POLICY_LABEL (prefixed to the message), the message from FMT. 0 or -ENOMEM. */
int audit_result_new(const char *name, struct audit_result **ret);
struct statement;
_printf_(7, 8) int audit_result_add(struct audit_result *r, enum finding_kind kind, const char *action,
                                    const struct statement *st, const char *policy_label, int statement_override,
                                    const char *fmt, ...);

struct reference {
        struct policy *policy;
        char *name;             /* the built-in's name, or the file name */
        char *version;          /* "v10"; NULL when a file does not say */
        char *source;           /* "builtin", or the file name */
        bool builtin;
};

/* SPEC: NULL (the default, AmazonEC2ContainerServiceforEC2Role newest), NAME, NAME@vN, or a
 * FILE holding one policy. 0; -EBADMSG (malformed file) or -ENOENT (unknown name and no such
 * file) with *ret_error set; other negative errno. */
int reference_load(const char *spec, struct reference **ret, char **ret_error);
struct reference *reference_free(struct reference *r);

struct auditor;

/* REF must outlive the auditor. 0 or negative errno. */
int auditor_new(const struct reference *ref, struct auditor **ret);
struct auditor *auditor_free(struct auditor *a);

/* Judges one subject. 0 or negative errno. */
int auditor_run(struct auditor *a, const struct subject *s, struct audit_result **ret);

/* Judges the next subject of IN (1 with *ret set, 0 at the end, negative errno), like
 * policy_input_next() and auditor_run(), but a content judged before (policy_input_next_ref())
 * is neither built nor judged again. *ret belongs to the auditor: valid until the next call,
 * not to be freed. The auditor must judge the subjects of one policy_input only. */
struct policy_input;
int auditor_next(struct auditor *a, struct policy_input *in, const struct audit_result **ret);

/* What stops working without a reference action (ecs:Poll: the agent cannot receive tasks);
 * NULL when the table does not know it. */
const char *action_consequence(const char *action);

/* For callers that want one verdict for one input (status's instance-role-policy check):
 * parses PATH, judges every subject in it against REFERENCE (NULL = default). 0 with *ret set
 * to the results (*ret_n of them); -EBADMSG/-ENOENT with *ret_error; other negative errno. */
int policy_audit_path(const char *path, const char *reference, struct audit_result ***ret, size_t *ret_n,
                      char **ret_error);
void audit_results_free(struct audit_result **r, size_t n);

/* The worst verdict of N results (PASS when none). */
enum verdict audit_results_verdict(struct audit_result *const *r, size_t n);
