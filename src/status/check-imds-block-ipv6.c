/* SPDX-License-Identifier: Apache-2.0 */
/* imds-block-ipv6: the IPv6 block (fd00:ec2::254) is in place. Its absence matters most when the
 * host forwards IPv6, since only then can a container's packet reach the IPv6 endpoint. */
#include "status/check.h"

#define FORWARDING "/proc/sys/net/ipv6/conf/all/forwarding"

/* 1 on, 0 off, -ENOENT without IPv6 in this namespace's kernel. */
static int ipv6_forwarding(void) {
        _cleanup_free_ char *v = NULL;
        int r = read_full_file(FORWARDING, &v, NULL);
        if (r < 0)
                return r;
        return atoi(strstrip(v)) != 0;
}

int check_imds_block_ipv6(const struct check_ctx *ctx, struct check_result *ret) {
        const struct fw_status *st;
        _cleanup_free_ char *apply = check_ctx_command(ctx, "apply");
        const char *backend = fw_backend_to_string(ctx->backend);
        int fwd = ipv6_forwarding(), err6 = 0, r;

        if (!apply)
                return -ENOMEM;

        if (!ctx->o->block.ipv6) {
                r = check_result_set(ret, CHECK_SKIP, "IPv6 block not wanted: --no-ipv6 (or IPV6=no in "
                                                      "/etc/ecs-harden.conf) chose IPv4 only");
                if (r >= 0 && fwd > 0)
                        r = check_result_detail(ret, "IPv6 forwarding is on (" FORWARDING " = 1): containers can "
                                                     "reach fd00:ec2::254 where the instance's IPv6 metadata "
                                                     "endpoint is enabled");
                return r;
        }
        if (fwd == -ENOENT)
                return check_result_set(ret, CHECK_PASS, "no IPv6 in this kernel: there is no IPv6 path to the "
                                                         "metadata service to block");

        /* FAIL only where a container's IPv6 packet can be forwarded at all. */
        enum check_status bad = fwd > 0 ? CHECK_FAIL : CHECK_WARN;
        const char *why = fwd > 0 ? "IPv6 forwarding is on" : "IPv6 forwarding is off";

        r = check_ctx_fw(ctx, &st, &err6);
        if (r == -EPERM || r == -EACCES || r == -EOPNOTSUPP)
                return check_result_set(ret, CHECK_SKIP, "cannot judge the IPv6 block: %s",
                                        check_fw_error_text(r, ctx->backend));
        if (r >= 0 && err6 < 0)
                r = err6;
        if (r < 0) {
                r = check_result_set(ret, bad, "IPv6 metadata block not in place: %s (%s backend; %s)",
                                     check_fw_error_text(r, ctx->backend), backend, why);
                if (r >= 0)
                        r = check_result_remedy(ret, "make IPv6 filtering available to the %s backend (ip6tables "
                                                     "modules), then run '%s'; or choose --no-ipv6", backend, apply);
                return r;
        }

        char detail[128];
        if (fwd >= 0)
                snprintf(detail, sizeof(detail), "%s (" FORWARDING " = %d)", why, fwd);
        return check_block_verdict(ctx, st, AF_INET6, bad, why, fwd >= 0 ? detail : NULL, apply, ret);
}
