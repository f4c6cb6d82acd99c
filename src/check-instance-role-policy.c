/* SPDX-License-Identifier: Apache-2.0 */
/* instance-role-policy: the instance role grants what AmazonEC2ContainerServiceforEC2Role grants
 * and no more. The policy cannot be read from IAM without credentials and a network path the
 * instance may not have, so it comes from a file: --policy FILE, or
 * ROOT/etc/ecs-harden/instance-role-policy.json placed there by provisioning. */
#include "check.h"
#include "imds.h"

#define POLICY_PATH "/etc/ecs-harden/instance-role-policy.json"

int check_instance_role_policy(const struct check_ctx *ctx, struct check_result *ret) {
        _cleanup_free_ char *path = NULL, *role = NULL;
        struct imds *m;
        int r;

        if (ctx->o->policy)
                path = strdup(ctx->o->policy);
        else
                path = path_join_root(ctx->root, POLICY_PATH);
        if (!path)
                return -ENOMEM;
        if (!ctx->o->policy && access(path, F_OK) < 0)
                return check_result_set(ret, CHECK_SKIP, "no policy to judge: pass --policy FILE (the output of "
                                                         "'aws iam get-role-policy', 'get-policy-version' or "
                                                         "'get-account-authorization-details', or a policy "
                                                         "document) or place it at %s", path);

        r = check_ctx_imds(ctx, &m);
        if (r < 0)
                return r;
        r = imds_role_name(m, &role);
        (void) r;

        return check_result_set(ret, CHECK_SKIP, "not available in this build yet (needs the audit-policy module)");
}
