/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Reads IAM policies with yajl's callback (streaming) parser into the model of policy.h,
 * never into a tree of the whole input: an account's authorization dump can be tens of
 * megabytes. Shapes, detected from the top-level keys, from a file or standard input:
 *   a policy document                     {"Version":…,"Statement":…}
 *   aws iam get-role-policy output        {"RoleName":…,"PolicyName":…,"PolicyDocument":…}
 *   aws iam get-policy-version output     {"PolicyVersion":{"Document":…,"VersionId":…}}
 *   aws iam get-account-authorization-details output
 *                                         {"RoleDetailList":[…],"Policies":[…],…}
 * A document may also be a URL-encoded string, as the IAM API returns it; it is decoded and
 * parsed in a nested pass. In a dump, every role with an instance profile is a subject; the
 * managed policies come after the roles, so subjects are kept aside in the store (audit/store.h:
 * a temporary file, repeated contents interned) and their attached policies resolved when they
 * are read back, once the whole input has been read (subjects.c). Every string of the input is
 * at most 1 MiB, every action or resource pattern at most 4 096 bytes (malformed beyond). */

#include "audit/policy.h"

struct policy_input;

int policy_input_new(struct policy_input **ret);
struct policy_input *policy_input_free(struct policy_input *in);

/* Parses PATH ("-" = standard input). Returns 0; -EBADMSG for malformed input with *ret_error
 * set to "PATH:LINE:COLUMN: what" (or "PATH: statement N: what"); -EIO (with *ret_error) when
 * the temporary file that holds the subjects cannot be written, -ENOMEM; another negative errno
 * when PATH cannot be read. Nothing about the input is judged yet. */
int policy_input_add(struct policy_input *in, const char *path, char **ret_error);

/* Hands out the subjects of all inputs in order, attached managed policies resolved from
 * their dump, else from the built-in copies, else listed in subject->unresolved.
 * 1 with *ret set, 0 at the end, negative errno. */
int policy_input_next(struct policy_input *in, struct subject **ret);

/* The same in two steps, for callers that judge a content once: policy_input_next_ref() steps
 * to the next subject and says what it is (1, 0 at the end, negative errno); only when asked,
 * policy_input_current() builds it (0 with *ret set, negative errno). NAME is valid until the
 * next step. */
struct subject_ref {
        const char *name;
        uint64_t content;       /* 0, or the subject's content (policies, labels, attached policies)
                                 * within IN: subjects with the same value differ by name only.
                                 * Numbered from 1 up, without gaps (an index for callers). */
        unsigned later;         /* how many subjects after this one have the same content */
};

int policy_input_next_ref(struct policy_input *in, struct subject_ref *ret);
int policy_input_current(struct policy_input *in, struct subject **ret);

/* Parses one policy (document, get-role-policy or get-policy-version output) held in memory.
 * NAME is used in messages. 0, -EBADMSG with *ret_error, or negative errno. */
int policy_parse_buffer(const char *name, const char *text, size_t len, struct policy **ret, char **ret_error);

/* Percent-decodes S (as the IAM API encodes policy documents) into a new string. 0, -EINVAL
 * on a bad escape, -ENOMEM. */
int url_decode(const char *s, size_t n, char **ret, size_t *ret_len);
