/* SPDX-License-Identifier: Apache-2.0 */
/* persistence: the flavour's mechanism (DESIGN.md, "Persistence per flavour") holds the block, so
 * that it survives a reboot: the saved rules file contains it and the service that restores the
 * file is enabled, or, where the boot unit is the mechanism, ecs-harden.service is enabled and
 * /etc/ecs-harden.conf holds the block's options. Read from --root when given (the .wants/ links),
 * else from the running systemd. */
#include "status/check.h"

static const char *file_state(const struct persist_file_state *f) {
        if (f->exists == 1)
                return f->holds_block ? "holds the block" : "exists but does not hold the block";
        if (f->exists == 0)
                return "does not exist";
        if (f->exists == -ELOOP)
                return "is a symbolic link, which persist refuses to follow";
        return "cannot be read";
}

int check_persistence(const struct check_ctx *ctx, struct check_result *ret) {
        const struct persist_state *s;
        _cleanup_free_ char *conf = path_join_root(ctx->root, ECS_HARDEN_CONF);
        int r;

        if (!conf)
                return -ENOMEM;
        r = check_ctx_persist(ctx, &s);
        if (r < 0)
                return r;

        r = check_result_detail(ret, "flavour %s, backend %s: %s", flavour_to_string(s->flavour),
                                fw_backend_to_string(s->backend), persist_method_describe(s->method));
        for (size_t i = 0; r >= 0 && i < s->n_files; i++) {
                _cleanup_free_ char *path = path_join_root(ctx->root, s->files[i].path);
                if (!path)
                        return -ENOMEM;
                r = check_result_detail(ret, "%s %s%s%s", path, file_state(&s->files[i]),
                                        s->files[i].why[0] ? ": " : "", s->files[i].why);
        }
        for (size_t i = 0; r >= 0 && i < s->n_services; i++)
                r = check_result_detail(ret, "%s: %s", s->services[i].unit, s->services[i].state);
        if (r >= 0 && s->method == PERSIST_BOOT_UNIT)
                r = check_result_detail(ret, "%s: %s", s->boot_unit.unit ? s->boot_unit.unit : ECS_HARDEN_UNIT,
                                        s->boot_unit.state);
        if (r >= 0)
                r = check_result_detail(ret, "%s %s", conf,
                                        s->config_exists == 1 ? (s->config_holds_block ? "holds the block's options"
                                                                 : !s->config_valid ? "is not valid"
                                                                 : "does not cover the block's interfaces or IPv6")
                                        : s->config_exists == 0 ? "does not exist" : "cannot be read");
        if (r < 0)
                return r;

        if (s->holds)
                return check_result_set(ret, CHECK_PASS, "%s", s->summary);
        r = check_result_set(ret, CHECK_FAIL, "the block would not survive a reboot: %s", s->summary);
        if (r >= 0)
                r = check_result_remedy(ret, "%s", *s->remediation ? s->remediation : "run 'ecs-harden persist'");
        return r;
}
