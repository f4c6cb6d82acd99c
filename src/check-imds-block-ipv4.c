/* SPDX-License-Identifier: Apache-2.0 */
/* imds-block-ipv4: the IPv4 block is in the kernel and nothing ahead of it can accept first. */
#include "check.h"

#define LIST_SIZE 512

int check_imds_block_ipv4(const struct check_ctx *ctx, struct check_result *ret) {
        char missing[LIST_SIZE], ineffective[LIST_SIZE];
        size_t n_missing, n_ineffective;
        const struct fw_status *st;
        _cleanup_free_ char *apply = check_ctx_command(ctx, "apply");
        const char *backend = fw_backend_to_string(ctx->backend);
        int r;

        if (!apply)
                return -ENOMEM;

        r = check_ctx_fw(ctx, &st, NULL);
        if (r == -EPERM || r == -EACCES || r == -EOPNOTSUPP)
                /* Nothing can be said about the rules; the other checks still have their say. */
                return check_result_set(ret, CHECK_SKIP, "cannot judge the IPv4 block: %s",
                                        check_fw_error_text(r, ctx->backend));
        if (r < 0) {
                r = check_result_set(ret, CHECK_FAIL, "IPv4 metadata block not in place: %s (%s backend)",
                                     check_fw_error_text(r, ctx->backend), backend);
                if (r >= 0)
                        r = check_result_remedy(ret, "make the %s backend available (or choose the other with "
                                                     "--backend), then run '%s'", backend, apply);
                return r;
        }

        r = check_describe_block(ctx, st, AF_INET, ret, &n_missing, missing, &n_ineffective, ineffective,
                                 LIST_SIZE);
        if (r < 0)
                return r;

        if (n_missing == 0 && n_ineffective == 0)
                return check_result_set(ret, CHECK_PASS, "IPv4 metadata block present and effective (%s, %s)",
                                        backend, st->where);

        if (n_missing > 0 && n_ineffective > 0)
                r = check_result_set(ret, CHECK_FAIL,
                                     "IPv4 metadata block missing for %s and ineffective for %s (%s, %s)", missing,
                                     ineffective, backend, st->where);
        else if (n_missing > 0)
                r = check_result_set(ret, CHECK_FAIL, "IPv4 metadata block missing for %s (%s, %s)", missing,
                                     backend, st->where);
        else
                r = check_result_set(ret, CHECK_FAIL,
                                     "IPv4 metadata block ineffective for %s: an earlier rule can accept the "
                                     "packet first (%s, %s)", ineffective, backend, st->where);
        if (r < 0)
                return r;

        if (n_ineffective > 0)
                return check_result_remedy(ret, "run '%s': it puts the block at the head of %s, ahead of the "
                                                "rules marked above; or remove those rules", apply, st->where);
        return check_result_remedy(ret, "run '%s' (and 'ecs-harden persist' so that it survives a reboot)", apply);
}
