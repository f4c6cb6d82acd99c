/* SPDX-License-Identifier: Apache-2.0 */
/* instance-role-policy: the instance role grants what AmazonEC2ContainerServiceforEC2Role grants
 * and no more, judged as audit-policy judges (src/audit/judge.h): FAIL for excess, WARN for
 * missing or unknown actions. Every container that reaches IMDS past the block holds these
 * permissions. The policy cannot be read from IAM without credentials and a path the instance
 * may not have, so it comes from a file: --policy FILE, or ROOT/etc/ecs-harden/instance-role-
 * policy.json placed there by provisioning, in any shape audit-policy takes: the role's
 * attached policy list alone (aws iam list-attached-role-policies, or a dump without Policies)
 * is enough for AWS managed policies, which resolve from the shipped copies, so that a role
 * with AdministratorAccess attached FAILs; what resolves nowhere makes it WARN. The role's name
 * comes from IMDS (/latest/meta-data/iam/security-credentials/) and picks the role out of an
 * account authorization dump. */
#include <strings.h>

#include "lib/atomic-file.h"
#include "status/check.h"
#include "status/imds.h"
#include "audit/judge.h"

#define POLICY_PATH "/etc/ecs-harden/instance-role-policy.json"
#define DEFAULT_REFERENCE "AmazonEC2ContainerServiceforEC2Role"
#define MAX_ACTIONS_IN_SUMMARY 4

/* "ecs:Foo, s3:*, and 3 more" for the findings of KIND. */
static int list_actions(const struct audit_result *res, enum finding_kind kind, char **ret) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0, shown = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < res->n_findings; i++) {
                const struct finding *x = &res->findings[i];
                if (x->kind != kind || !x->action)
                        continue;
                if (shown < MAX_ACTIONS_IN_SUMMARY)
                        fprintf(f, "%s%s", shown ? ", " : "", x->action);
                shown++;
        }
        if (shown > MAX_ACTIONS_IN_SUMMARY)
                fprintf(f, ", and %zu more", shown - MAX_ACTIONS_IN_SUMMARY);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        return 0;
}

static int describe_findings(const struct audit_result *res, struct check_result *ret) {
        for (size_t i = 0; i < res->n_findings; i++) {
                const struct finding *x = &res->findings[i];
                char where[160] = "";
                int r;

                if (x->statement >= 0)
                        snprintf(where, sizeof(where), " (%s%sstatement %d%s%s)", strempty(x->policy),
                                 x->policy && *x->policy ? ", " : "", x->statement, x->sid ? ", sid " : "",
                                 strempty(x->sid));
                else if (x->policy && *x->policy)
                        snprintf(where, sizeof(where), " (%s)", x->policy);
                r = check_result_detail(ret, "%s: %s%s: %s", finding_kind_to_string(x->kind), strempty(x->action), where,
                                        strempty(x->message));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Picks this instance's subject: the only one, or the role named ROLE. NULL with *why set. */
static const struct audit_result *pick(struct audit_result *const *results, size_t n, const char *path,
                                       const char *role, const char **why) {
        if (n == 1) {
                /* A single role of a dump that is not this instance's role is someone else's. */
                if (role && !streq_ptr(results[0]->name, path) && strcasecmp(results[0]->name, role) != 0) {
                        *why = "other-role";
                        return NULL;
                }
                return results[0];
        }
        if (!role) {
                *why = "no-role";
                return NULL;
        }
        for (size_t i = 0; i < n; i++)
                /* IAM role names are unique regardless of case. */
                if (results[i]->name && strcasecmp(results[i]->name, role) == 0)
                        return results[i];
        *why = "other-role";
        return NULL;
}

int check_instance_role_policy(const struct check_ctx *ctx, struct check_result *ret) {
        _cleanup_free_ char *path = NULL, *role = NULL, *error = NULL, *actions = NULL, *subject = NULL;
        struct audit_result **results = NULL;
        size_t n = 0;
        const char *reference = ctx->o->reference ? ctx->o->reference : DEFAULT_REFERENCE;
        const char *why = NULL;
        int role_error = 0, r;
        struct imds *m;

        if (ctx->o->policy) {
                path = strdup(ctx->o->policy);
                if (!path)
                        return -ENOMEM;
        } else {
                /* Links resolve inside the root: the parser gets a name that cannot lead out of it. */
                r = path_resolve_in_root(ctx->root, POLICY_PATH, &path);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        _cleanup_free_ char *joined = path_join_root(ctx->root, POLICY_PATH);
                        if (!joined)
                                return -ENOMEM;
                        return check_result_set(ret, CHECK_SKIP, "no policy to judge: pass --policy FILE (the "
                                                                 "output of 'aws iam get-role-policy', "
                                                                 "'get-policy-version', "
                                                                 "'list-attached-role-policies' or "
                                                                 "'get-account-authorization-details', or a policy "
                                                                 "document) or place it at %s", joined);
                }
        }

        r = check_ctx_imds(ctx, &m);
        if (r < 0)
                return r;
        role_error = imds_role_name(m, &role);
        if (role_error == -ENOMEM)
                return role_error;
        if (role)
                r = check_result_detail(ret, "instance role (from IMDS): %s", role);
        else if (role_error == -ENOENT)
                r = check_result_detail(ret, "IMDS says the instance has no instance profile role");
        else
                r = check_result_detail(ret, "instance role unknown: IMDS at %s not asked or not answering (%s)",
                                        imds_endpoint(m), imds_error_text(role_error));
        if (r < 0)
                return r;

        r = policy_audit_path(path, ctx->o->reference, &results, &n, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* DESIGN.md: SKIP with the reason when no policy can be read. */
                errno = -r;
                if (error && strstr(error, path))
                        r = check_result_set(ret, CHECK_SKIP, "no policy can be read: %s", error);
                else
                        r = check_result_set(ret, CHECK_SKIP, "no policy can be read from %s: %s", path,
                                             error ? error : strerror(errno));
                goto out;
        }
        r = check_result_detail(ret, "policy from %s, judged against %s", path, reference);
        if (r < 0)
                goto out;

        const struct audit_result *res = pick(results, n, path, role, &why);
        if (!res) {
                if (n == 0)
                        r = check_result_set(ret, CHECK_SKIP, "%s holds no role with an instance profile", path);
                else if (streq(why, "no-role"))
                        r = check_result_set(ret, CHECK_SKIP, "%s holds %zu roles and this instance's role name could "
                                                              "not be read from IMDS; pass --policy with that role's "
                                                              "policy alone", path, n);
                else
                        r = check_result_set(ret, CHECK_SKIP, "%s holds no role named %s (this instance's role)", path,
                                             role);
                goto out;
        }

        /* A document names no role: call it by the instance's role when IMDS said which. */
        bool file_subject = streq_ptr(res->name, path);
        if (asprintf(&subject, "%s%s", file_subject && !role ? "the policy in " : "role ",
                     file_subject ? (role ? role : path) : res->name) < 0) {
                r = -ENOMEM;
                goto out;
        }
        r = describe_findings(res, ret);
        if (r < 0)
                goto out;

        switch (res->verdict) {
        case VERDICT_PASS:
                r = check_result_set(ret, CHECK_PASS, "%s grants exactly what %s grants", subject, reference);
                break;
        case VERDICT_FAIL:
                r = list_actions(res, FINDING_EXCESS, &actions);
                if (r >= 0)
                        r = check_result_set(ret, CHECK_FAIL, "%s grants %zu action%s beyond %s: %s", subject,
                                             res->n_kind[FINDING_EXCESS], res->n_kind[FINDING_EXCESS] == 1 ? "" : "s",
                                             reference, actions);
                if (r >= 0)
                        r = check_result_remedy(ret, "take the excess grants out of the role (or give them to the task "
                                                     "roles that need them) and attach %s alone; every container "
                                                     "that reaches IMDS holds this role's permissions",
                                                reference);
                break;
        default:
                if (res->n_kind[FINDING_UNRESOLVED]) {
                        /* Not judged is not within the reference: say so before anything it may explain. */
                        r = list_actions(res, FINDING_UNRESOLVED, &actions);
                        if (r >= 0)
                                r = check_result_set(ret, CHECK_WARN, "%s has attached policies that could not be "
                                                     "read, not judged: %s", subject, actions);
                        if (r >= 0)
                                r = check_result_remedy(ret, "give --policy the whole output of 'aws iam "
                                                             "get-account-authorization-details' (it carries the "
                                                             "customer managed policies), or detach what it "
                                                             "cannot show");
                        break;
                }
                r = list_actions(res, res->n_kind[FINDING_MISSING] ? FINDING_MISSING : FINDING_UNKNOWN, &actions);
                if (r >= 0)
                        r = check_result_set(ret, CHECK_WARN, "%s %s: %s", subject,
                                             res->n_kind[FINDING_MISSING] ? "lacks actions of the reference"
                                                                          : "names actions no catalog knows",
                                             actions);
                if (r >= 0)
                        r = check_result_remedy(ret, "attach %s to the role (the details say what breaks "
                                                     "without each missing action) and correct unknown action names",
                                                reference);
        }
out:
        if (results)
                audit_results_free(results, n);
        return r;
}
