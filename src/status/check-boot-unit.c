/* SPDX-License-Identifier: Apache-2.0 */
/* boot-unit: ecs-harden.service is enabled, so that every boot verifies (and repairs) the block
 * before docker.service and ecs.service start, whatever restored the rules before it. Under --root
 * the .wants/ links under ROOT decide, as `systemctl --root` does; on / the running systemd is
 * asked (GetUnitFileState), or the links when no systemd answers. */
#include "status/check.h"

int check_boot_unit(const struct check_ctx *ctx, struct check_result *ret) {
        const struct persist_state *s;
        const struct persist_unit_state *u;
        bool offline = !streq(ctx->root, "/");
        int r;

        r = check_ctx_persist(ctx, &s);
        if (r < 0)
                return r;
        u = &s->boot_unit;

        r = check_result_detail(ret, offline ? "read from the unit links under %s" : "read from %s systemd",
                                offline ? ctx->root : "the running (or, without one, the installed)");
        if (r < 0)
                return r;

        if (u->enabled == 1)
                return streq(u->state, "enabled") ? check_result_set(ret, CHECK_PASS, ECS_HARDEN_UNIT " is enabled")
                                                  : check_result_set(ret, CHECK_PASS, ECS_HARDEN_UNIT " is enabled (%s)",
                                                                     u->state);

        r = check_result_set(ret, CHECK_WARN, ECS_HARDEN_UNIT " is %s: no boot verifies the block before Docker "
                                              "and the ECS agent start", u->state);
        if (r < 0)
                return r;

        _cleanup_free_ char *persist = NULL;
        if (asprintf(&persist, "ecs-harden%s%s persist", offline ? " --root " : "", offline ? ctx->root : "") < 0)
                return -ENOMEM;
        if (u->enabled == -ENOENT)
                return check_result_remedy(ret, "install ecs-harden's units (the package, or make install), then "
                                                "run '%s', which enables " ECS_HARDEN_UNIT, persist);
        if (u->enabled == -ERFKILL)
                return check_result_remedy(ret, "unmask it ('systemctl%s%s unmask " ECS_HARDEN_UNIT "'), then run "
                                                "'%s'", offline ? " --root=" : "", offline ? ctx->root : "", persist);
        return check_result_remedy(ret, "run '%s' (it enables " ECS_HARDEN_UNIT "), or 'systemctl%s%s enable "
                                        ECS_HARDEN_UNIT "'", persist, offline ? " --root=" : "",
                                   offline ? ctx->root : "");
}
