/* SPDX-License-Identifier: Apache-2.0 */
/* bridge-coverage: every bridge on the host is matched by an interface pattern of the installed
 * block. A container's routed packet enters FORWARD with the bridge as its input interface, so a
 * bridge no pattern names (cni0, a second Docker network's br-…) is an open path to IMDS. Ports
 * enslaved to a bridge (the containers' veths) are covered through their bridge. */
#include "fw/block.h"
#include "status/check.h"
#include "status/rtnl-link.h"

#define MAX_PORT_NAMES 6

/* The -i pattern to suggest: Docker names user-defined networks br-<id>, so one br-+ covers
 * those to come as well. */
static const char *suggest_pattern(const char *bridge, char *buf, size_t size) {
        if (strncmp(bridge, "br-", 3) == 0)
                return "br-+";
        snprintf(buf, size, "%s", bridge);
        return buf;
}

static int describe_ports(const struct rtnl_link *links, size_t n, const struct rtnl_link *bridge, char *buf,
                          size_t size) {
        size_t count = 0, used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (links[i].master != bridge->ifindex)
                        continue;
                if (count < MAX_PORT_NAMES) {
                        int k = snprintf(buf + used, size - used, "%s%s", count ? ", " : "", links[i].name);
                        if (k > 0 && (size_t) k < size - used)
                                used += (size_t) k;
                }
                count++;
        }
        if (count > MAX_PORT_NAMES && used < size)
                snprintf(buf + used, size - used, ", … %zu more", count - MAX_PORT_NAMES);
        return (int) count;
}

int check_bridge_coverage(const struct check_ctx *ctx, struct check_result *ret) {
        struct rtnl_link *links = NULL;
        size_t n_links = 0, n_bridges = 0, n_uncovered = 0;
        const struct fw_status *st;
        const char *patterns[BLOCK_MAX_PATTERNS];
        size_t n_patterns = 0;
        char uncovered[512] = "", installed[512] = "";
        struct block wanted = ctx->o->block;
        int r;

        r = rtnl_link_list(&links, &n_links);
        if (r < 0) {
                errno = -r;
                return check_result_set(ret, CHECK_SKIP, "cannot list the network devices over rtnetlink: %m");
        }

        /* Judged against the patterns whose IPv4 rule is installed: a pattern only configured
         * protects nothing. When the rules cannot be read, the configured ones are all there is. */
        if (check_ctx_fw(ctx, &st, NULL) >= 0) {
                for (size_t i = 0; i < st->n_rules; i++)
                        if (st->rules[i].family == AF_INET && st->rules[i].copies > 0)
                                patterns[n_patterns++] = st->rules[i].pattern;
        } else {
                for (size_t i = 0; i < ctx->o->block.n_patterns; i++)
                        patterns[n_patterns++] = ctx->o->block.patterns[i];
                r = check_result_detail(ret, "the firewall rules could not be read: judged against the "
                                             "configured patterns instead of the installed ones");
                if (r < 0)
                        goto out;
        }

        for (size_t p = 0; p < n_patterns; p++)
                snprintf(installed + strlen(installed), sizeof(installed) - strlen(installed), "%s%s",
                         p ? " " : "", patterns[p]);

        for (size_t i = 0; i < n_links; i++) {
                const struct rtnl_link *l = &links[i];
                char ports[256], pbuf[IFNAMSIZ];
                const char *by = NULL;

                if (!streq(l->kind, "bridge"))
                        continue;
                n_bridges++;
                for (size_t p = 0; p < n_patterns && !by; p++)
                        if (iface_pattern_matches(patterns[p], l->name))
                                by = patterns[p];
                int n_ports = describe_ports(links, n_links, l, ports, sizeof(ports));

                if (by && n_ports == 0)
                        r = check_result_detail(ret, "%s: covered by %s (no ports)", l->name, by);
                else if (by)
                        r = check_result_detail(ret, "%s: covered by %s (%d port%s, covered through it: %s)", l->name,
                                                by, n_ports, n_ports == 1 ? "" : "s", ports);
                else {
                        const char *suggest = suggest_pattern(l->name, pbuf, sizeof(pbuf));
                        n_uncovered++;
                        snprintf(uncovered + strlen(uncovered), sizeof(uncovered) - strlen(uncovered), "%s%s",
                                 uncovered[0] ? ", " : "", l->name);
                        (void) block_add_pattern(&wanted, suggest, NULL);
                        r = check_result_detail(ret, "%s: NOT COVERED: no pattern of the installed block (%s) "
                                                     "matches it; add -i %s (%s%s)",
                                                l->name, n_patterns ? installed : "none installed", suggest,
                                                n_ports ? "ports: " : "no ports", ports);
                }
                if (r < 0)
                        goto out;
        }

        if (n_uncovered == 0) {
                r = check_result_set(ret, CHECK_PASS,
                                     n_bridges == 0 ? "no bridge devices on this host"
                                                    : "all %zu bridge%s covered by the installed block",
                                     n_bridges, n_bridges == 1 ? " is" : "s are");
                goto out;
        }

        r = check_result_set(ret, CHECK_WARN, "%zu of %zu bridge%s not covered by the block: %s", n_uncovered,
                             n_bridges, n_bridges == 1 ? "" : "s", uncovered);
        if (r < 0)
                goto out;

        {
                _cleanup_free_ char *args = NULL;
                size_t size = 0;
                FILE *f = open_memstream(&args, &size);
                if (!f) {
                        r = -ENOMEM;
                        goto out;
                }
                if (ctx->o->set_backend)
                        fprintf(f, " -b %s", fw_backend_to_string(ctx->o->backend));
                for (size_t i = 0; i < wanted.n_patterns; i++)
                        fprintf(f, " -i %s", wanted.patterns[i]);
                if (!wanted.ipv6)
                        fputs(" --no-ipv6", f);
                if (fclose(f) != 0) {
                        r = -ENOMEM;
                        goto out;
                }
                r = check_result_remedy(ret, "add the bridges to the block: 'ecs-harden%s apply', then "
                                             "'ecs-harden%s persist' so that the boot unit keeps them "
                                             "(INTERFACES= in /etc/ecs-harden.conf)", args, args);
        }
out:
        free(links);
        return r;
}
