/* SPDX-License-Identifier: Apache-2.0 */
/* The registry of status checks and what they share. */
#include <stdarg.h>

#include "fw/block.h"
#include "status/check.h"
#include "status/imds.h"

/* The order of DESIGN.md's table: output and JSON follow it, so it is part of the contract. */
const struct check checks[] = {
        { "imds-block-ipv4", check_imds_block_ipv4 },
        { "imds-block-ipv6", check_imds_block_ipv6 },
        { "bridge-coverage", check_bridge_coverage },
        { "persistence", check_persistence },
        { "boot-unit", check_boot_unit },
        { "ecs-config", check_ecs_config },
        { "imds-v2", check_imds_v2 },
        { "instance-role-policy", check_instance_role_policy },
        { "host-network-containers", check_host_network_containers },
};
const size_t n_checks = ELEMENTSOF(checks);

static const char *const status_names[_CHECK_STATUS_MAX] = {
        [CHECK_PASS] = "PASS", [CHECK_WARN] = "WARN", [CHECK_FAIL] = "FAIL",
        [CHECK_SKIP] = "SKIP", [CHECK_INFO] = "INFO",
};

static const char *const status_keys[_CHECK_STATUS_MAX] = {
        [CHECK_PASS] = "pass", [CHECK_WARN] = "warn", [CHECK_FAIL] = "fail",
        [CHECK_SKIP] = "skip", [CHECK_INFO] = "info",
};

const char *check_status_to_string(enum check_status s) {
        return s < _CHECK_STATUS_MAX ? status_names[s] : NULL;
}

const char *check_status_to_key(enum check_status s) {
        return s < _CHECK_STATUS_MAX ? status_keys[s] : NULL;
}

void check_result_done(struct check_result *r) {
        free(r->summary);
        for (size_t i = 0; i < r->n_details; i++)
                free(r->details[i]);
        free(r->details);
        free(r->remediation);
        memset(r, 0, sizeof(*r));
}

static int vformat(char **dest, const char *fmt, va_list ap) {
        char *s;
        if (vasprintf(&s, fmt, ap) < 0)
                return -ENOMEM;
        free(*dest);
        *dest = s;
        return 0;
}

int check_result_set(struct check_result *r, enum check_status status, const char *fmt, ...) {
        va_list ap;
        int k;

        r->status = status;
        va_start(ap, fmt);
        k = vformat(&r->summary, fmt, ap);
        va_end(ap);
        return k;
}

int check_result_detail(struct check_result *r, const char *fmt, ...) {
        char *line = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vformat(&line, fmt, ap);
        va_end(ap);
        if (k < 0)
                return k;
        char **d = realloc(r->details, (r->n_details + 1) * sizeof(*d));
        if (!d) {
                free(line);
                return -ENOMEM;
        }
        r->details = d;
        d[r->n_details++] = line;
        return 0;
}

int check_result_remedy(struct check_result *r, const char *fmt, ...) {
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vformat(&r->remediation, fmt, ap);
        va_end(ap);
        return k;
}

void check_cache_done(struct check_cache *c) {
        if (c->fw_read && c->fw_error == 0)
                fw_status_done(&c->fw);
        imds_free(c->imds);
        memset(c, 0, sizeof(*c));
}

int check_ctx_fw(const struct check_ctx *ctx, const struct fw_status **ret, int *ret_error_ipv6) {
        struct check_cache *c = ctx->cache;

        if (!c->fw_read) {
                c->fw_read = true;
                c->fw_error = fw_inspect(ctx->backend, &ctx->o->block, &c->fw);
                if (c->fw_error < 0 && ctx->o->block.ipv6) {
                        /* A kernel without ip6tables (or IPv6) must not hide the IPv4 verdict. */
                        struct block v4 = ctx->o->block;
                        v4.ipv6 = false;
                        int r = fw_inspect(ctx->backend, &v4, &c->fw);
                        if (r >= 0) {
                                c->fw_error_ipv6 = c->fw_error;
                                c->fw_error = 0;
                        }
                }
        }
        if (ret_error_ipv6)
                *ret_error_ipv6 = c->fw_error_ipv6;
        if (c->fw_error < 0)
                return c->fw_error;
        *ret = &c->fw;
        return 0;
}

int check_ctx_persist(const struct check_ctx *ctx, const struct persist_state **ret) {
        struct check_cache *c = ctx->cache;

        if (!c->persist_read) {
                struct options o = *ctx->o;
                /* The backend status judges, so that both speak of the same rules. */
                o.backend = ctx->backend;
                c->persist_error = persist_check(&o, ctx->flavour, &c->persist);
                c->persist_read = c->persist_error != -ENOMEM;
        }
        if (c->persist_error < 0)
                return c->persist_error;
        *ret = &c->persist;
        return 0;
}

int check_ctx_imds(const struct check_ctx *ctx, struct imds **ret) {
        struct check_cache *c = ctx->cache;

        if (!c->imds) {
                int r = imds_new(&c->imds);
                if (r < 0)
                        return r;
        }
        *ret = c->imds;
        return 0;
}

const char *check_fw_error_text(int error, enum fw_backend_kind k) {
        switch (error) {
        case -EPERM:
        case -EACCES:
                return "permission denied reading the firewall rules (status needs root, CAP_NET_ADMIN)";
        case -EPROTONOSUPPORT:
                return k == FW_BACKEND_IPTABLES ? "the kernel offers no legacy iptables filter table here"
                                                : "the kernel offers no nf_tables here";
        case -EOPNOTSUPP:
                return "this build of ecs-harden cannot read that backend";
        case -ETIMEDOUT:
                return "another program held the firewall lock too long";
        default:
                return "the firewall rules could not be read";
        }
}

char *check_ctx_command(const struct check_ctx *ctx, const char *verb) {
        const struct options *o = ctx->o;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return NULL;
        fputs("ecs-harden", f);
        if (o->set_backend)
                fprintf(f, " -b %s", fw_backend_to_string(o->backend));
        if (o->set_interfaces)
                for (size_t i = 0; i < o->block.n_patterns; i++)
                        fprintf(f, " -i %s", o->block.patterns[i]);
        if (o->set_ipv6 && !o->block.ipv6)
                fputs(" --no-ipv6", f);
        fprintf(f, " %s", verb);
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(text);
}

static void list_append(char *list, size_t size, const char *item) {
        size_t n = strlen(list);
        snprintf(list + n, size - n, "%s%s", n ? ", " : "", item);
}

static void block_rule_text(enum fw_backend_kind k, int family, const char *pattern, char *buf, size_t size) {
        if (k == FW_BACKEND_NFTABLES) {
                char nft[IFNAMSIZ + 1];
                iface_pattern_to_nft(pattern, nft);
                snprintf(buf, size, "iifname \"%s\" %s daddr %s drop", nft, family == AF_INET6 ? "ip6" : "ip",
                         block_address_string(family));
        } else
                snprintf(buf, size, "-A FORWARD -d %s/%u -i %s -j DROP", block_address_string(family),
                         block_prefixlen(family), pattern);
}

static bool is_block_rule(const struct fw_status *st, int family, const char *text) {
        for (size_t i = 0; i < st->n_rules; i++) {
                char rule[128];
                if (st->rules[i].family != family)
                        continue;
                block_rule_text(st->backend, family, st->rules[i].pattern, rule, sizeof(rule));
                if (streq(rule, text))
                        return true;
        }
        return false;
}

int check_describe_block(const struct check_ctx *ctx, const struct fw_status *st, int family,
                         struct check_result *ret, size_t *ret_missing, char *missing, size_t *ret_ineffective,
                         char *ineffective, size_t list_size) {
        size_t n_missing = 0, n_ineffective = 0;
        int r;

        if (missing)
                missing[0] = '\0';
        if (ineffective)
                ineffective[0] = '\0';

        for (size_t i = 0; i < st->n_rules; i++) {
                const struct fw_rule_status *rs = &st->rules[i];
                char rule[128];

                if (rs->family != family)
                        continue;
                block_rule_text(st->backend, family, rs->pattern, rule, sizeof(rule));

                if (!rs->configured) {
                        r = check_result_detail(ret, "%s: installed but not configured: part of the block, kept "
                                                     "by repairs (only 'ecs-harden remove' takes it away)",
                                                rs->pattern);
                        if (r < 0)
                                return r;
                }
                if (rs->copies == 0) {
                        n_missing++;
                        if (missing)
                                list_append(missing, list_size, rs->pattern);
                        r = check_result_detail(ret, "%s: missing from %s (%s)", rs->pattern, st->where, rule);
                } else if (rs->copies > 1)
                        r = check_result_detail(ret, "%s: present %u times in %s, the first at position %u "
                                                     "('ecs-harden apply' keeps one) (%s)",
                                                rs->pattern, rs->copies, st->where, rs->position, rule);
                else
                        r = check_result_detail(ret, "%s: present in %s at position %u (%s)", rs->pattern,
                                                st->where, rs->position, rule);
                if (r < 0)
                        return r;

                if (rs->copies > 0 && !rs->effective) {
                        n_ineffective++;
                        if (ineffective)
                                list_append(ineffective, list_size, rs->pattern);
                }
                for (size_t j = 0; j < rs->n_ahead; j++) {
                        if (!rs->ahead[j].harmful && is_block_rule(st, family, rs->ahead[j].rule))
                                continue; /* the block's rule for another pattern: no news */
                        r = check_result_detail(ret, "  ahead of it: %s: %s, because %s", rs->ahead[j].rule,
                                                rs->ahead[j].harmful ? "CAN ACCEPT THE PACKET FIRST" : "harmless",
                                                rs->ahead[j].why);
                        if (r < 0)
                                return r;
                }
        }

        if (st->note) {
                r = check_result_detail(ret, "%s", st->note);
                if (r < 0)
                        return r;
        }
        if (st->backend == FW_BACKEND_NFTABLES && (!st->note || !strstr(st->note, "final"))) {
                r = check_result_detail(ret, "nftables: a drop in a base chain is final, so no accept in "
                                             "another table's chain (Docker's included) can let the packet "
                                             "past this one");
                if (r < 0)
                        return r;
        }

        if (ret_missing)
                *ret_missing = n_missing;
        if (ret_ineffective)
                *ret_ineffective = n_ineffective;
        return 0;
}

int check_block_verdict(const struct check_ctx *ctx, const struct fw_status *st, int family,
                        enum check_status bad, const char *context, const char *extra_detail, const char *apply,
                        struct check_result *ret) {
        char missing[512], ineffective[512];
        size_t n_missing, n_ineffective;
        int v = family == AF_INET6 ? 6 : 4, r;

        r = check_describe_block(ctx, st, family, ret, &n_missing, missing, &n_ineffective, ineffective,
                                 sizeof(missing));
        if (r >= 0 && extra_detail)
                r = check_result_detail(ret, "%s", extra_detail);
        if (r < 0)
                return r;

        if (n_missing == 0 && n_ineffective == 0)
                return check_result_set(ret, CHECK_PASS, "IPv%d metadata block present and effective (%s, %s)", v,
                                        fw_backend_to_string(ctx->backend), st->where);

        if (n_missing > 0 && n_ineffective > 0)
                r = check_result_set(ret, bad, "IPv%d metadata block missing for %s and ineffective for %s (%s)", v,
                                     missing, ineffective, context);
        else if (n_missing > 0)
                r = check_result_set(ret, bad, "IPv%d metadata block missing for %s (%s)", v, missing, context);
        else
                r = check_result_set(ret, bad, "IPv%d metadata block ineffective for %s: an earlier rule can accept "
                                               "the packet first (%s)", v, ineffective, context);
        if (r < 0)
                return r;

        if (n_ineffective > 0)
                return check_result_remedy(ret, "run '%s': it puts the block at the head of %s, ahead of the "
                                                "rules marked above; or remove those rules", apply, st->where);
        return check_result_remedy(ret, "run '%s' (and 'ecs-harden persist' so that it survives a reboot)", apply);
}
