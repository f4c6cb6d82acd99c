/* SPDX-License-Identifier: Apache-2.0 */
/* imds-block-ipv4: the IPv4 block is in the kernel and nothing ahead of it can accept first. */
#include "status/check.h"

int check_imds_block_ipv4(const struct check_ctx *ctx, struct check_result *ret) {
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

        char context[128];
        snprintf(context, sizeof(context), "%s, %s", backend, st->where);
        return check_block_verdict(ctx, st, AF_INET, CHECK_FAIL, context, NULL, apply, ret);
}
