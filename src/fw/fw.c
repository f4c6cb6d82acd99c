/* SPDX-License-Identifier: Apache-2.0 */
#include <limits.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include "fw/fw-private.h"
#include "lib/util.h"

static const struct fw_backend *const backends[_FW_BACKEND_MAX] = {
        [FW_BACKEND_IPTABLES] = &fw_backend_iptables,
        [FW_BACKEND_NFTABLES] = &fw_backend_nftables,
};

static const char *const backend_names[_FW_BACKEND_MAX] = {
        [FW_BACKEND_AUTO] = "auto",
        [FW_BACKEND_IPTABLES] = "iptables",
        [FW_BACKEND_NFTABLES] = "nftables",
};

const char *fw_backend_to_string(enum fw_backend_kind k) {
        return k < _FW_BACKEND_MAX ? backend_names[k] : NULL;
}

int fw_backend_from_string(const char *s, enum fw_backend_kind *ret) {
        for (enum fw_backend_kind k = 0; k < _FW_BACKEND_MAX; k++)
                if (streq(s, backend_names[k])) {
                        *ret = k;
                        return 0;
                }
        return -EINVAL;
}

void fw_status_done(struct fw_status *s) {
        for (size_t i = 0; i < s->n_rules; i++) {
                for (size_t j = 0; j < s->rules[i].n_ahead; j++) {
                        free(s->rules[i].ahead[j].rule);
                        free(s->rules[i].ahead[j].why);
                }
                free(s->rules[i].ahead);
        }
        free(s->where);
        free(s->note);
        free(s->drift);
        free(s->remove_note);
        memset(s, 0, sizeof(*s));
}

bool fw_status_complete(const struct fw_status *s) {
        if (s->drift)
                return false;
        for (size_t i = 0; i < s->n_rules; i++)
                if (s->rules[i].copies != 1 || !s->rules[i].effective)
                        return false;
        return true;
}

int fw_rule_status_add_ahead(struct fw_rule_status *rs, const char *rule, bool harmful, const char *why) {
        struct fw_ahead *a = realloc(rs->ahead, (rs->n_ahead + 1) * sizeof(*a));
        if (!a)
                return -ENOMEM;
        rs->ahead = a;
        a[rs->n_ahead] = (struct fw_ahead) {
                .rule = strdup(rule),
                .harmful = harmful,
                .why = strdup(why),
        };
        if (!a[rs->n_ahead].rule || !a[rs->n_ahead].why) {
                free(a[rs->n_ahead].rule);
                free(a[rs->n_ahead].why);
                return -ENOMEM;
        }
        rs->n_ahead++;
        return 0;
}

/* Where the "iptables" command a human would type leads: the legacy or the nf_tables variant. */
enum fw_backend_kind fw_system_iptables_variant(void) {
        static const char *const candidates[] = { "/usr/sbin/iptables", "/sbin/iptables" };

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                char target[PATH_MAX];
                if (!realpath(candidates[i], target))
                        continue;
                const char *base = strrchr(target, '/');
                base = base ? base + 1 : target;
                if (strstr(base, "nft"))
                        return FW_BACKEND_NFTABLES;
                return FW_BACKEND_IPTABLES; /* xtables-legacy-multi, iptables-multi, iptables-legacy */
        }
        return FW_BACKEND_AUTO;
}

/* Can this kernel run legacy x_tables at all? Kernels since 6.17 may be built without them
 * (CONFIG_IP_NF_IPTABLES_LEGACY=n); then even a legacy iptables command cannot work. */
static bool legacy_xtables_available(void) {
        static const char *const lists[] = { "modules.builtin", "modules.dep" };
        struct utsname u;
        bool read_all = true;

        if (access("/proc/net/ip_tables_names", F_OK) == 0)
                return true; /* loaded (or built in) */
        if (uname(&u) < 0)
                return true; /* cannot tell: do not overrule the other signals */
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                if (asprintf(&path, "/lib/modules/%s/%s", u.release, lists[i]) < 0)
                        return true;
                if (read_full_file(path, &text, NULL) < 0) {
                        read_all = false;
                        continue;
                }
                if (strstr(text, "/ip_tables.ko"))
                        return true; /* a module that iptables-legacy would load */
        }
        /* Only a complete module list without ip_tables proves absence; an unreadable one (the
         * boot unit's ProtectKernelModules= hides /lib/modules) proves nothing. */
        return !read_all;
}

/* Decided by the kernel's state only, never by creating any (DESIGN, "auto backend"): an empty
 * legacy table, as a read-only `iptables-legacy -L` leaves behind, decides nothing. */
enum fw_backend_kind fw_backend_detect(const char **ret_reason) {
        const char *reason;
        enum fw_backend_kind k;

        if (fw_backend_nftables.probe(FW_PROBE_BLOCK) > 0) {
                k = FW_BACKEND_NFTABLES;
                reason = "table inet ecs_harden (the block) is there";
        } else if (fw_backend_iptables.probe(FW_PROBE_BLOCK) > 0) {
                k = FW_BACKEND_IPTABLES;
                reason = "legacy FORWARD holds the block";
        } else if (fw_backend_iptables.probe(FW_PROBE_IN_USE) > 0) {
                k = FW_BACKEND_IPTABLES;
                reason = "legacy x_tables hold rules (Docker's, typically)";
        } else if (fw_backend_nftables.probe(FW_PROBE_IN_USE) > 0) {
                k = FW_BACKEND_NFTABLES;
                reason = "iptables-nft rules (Docker's, typically) are in nftables";
        } else if (!legacy_xtables_available()) {
                k = FW_BACKEND_NFTABLES;
                reason = "this kernel has no legacy x_tables (ip_tables)";
        } else
                switch (fw_system_iptables_variant()) {
                case FW_BACKEND_NFTABLES:
                        k = FW_BACKEND_NFTABLES;
                        reason = "no rules anywhere yet; the system's iptables is the nf_tables variant";
                        break;
                case FW_BACKEND_IPTABLES:
                        k = FW_BACKEND_IPTABLES;
                        reason = "no rules anywhere yet; the system's iptables is the legacy variant";
                        break;
                default:
                        k = FW_BACKEND_NFTABLES;
                        reason = "no rules anywhere yet and no iptables command";
                }

        if (ret_reason)
                *ret_reason = reason;
        return k;
}

enum fw_backend_kind fw_backend_resolve(enum fw_backend_kind requested, const char **ret_reason) {
        if (requested != FW_BACKEND_AUTO) {
                if (ret_reason)
                        *ret_reason = "chosen with --backend or BACKEND=";
                return requested;
        }
        return fw_backend_detect(ret_reason);
}

/* A kernel booted with ipv6.disable=1 has no IPv6 at all: there is nothing to block over IPv6,
 * and ip6tables cannot even be opened. The block then covers IPv4 only, and says so. */
bool fw_host_has_ipv6(void) {
        return access("/proc/sys/net/ipv6", F_OK) == 0;
}

static struct block effective_block(const struct block *b) {
        struct block e = *b;
        if (e.ipv6 && !fw_host_has_ipv6())
                e.ipv6 = false;
        return e;
}

static const struct fw_backend *backend_get(enum fw_backend_kind k) {
        if (k == FW_BACKEND_AUTO)
                k = fw_backend_detect(NULL);
        return backends[k];
}

int fw_inspect(enum fw_backend_kind k, const struct block *b, struct fw_status *ret) {
        memset(ret, 0, sizeof(*ret));
        struct block e = effective_block(b);
        ret->backend = fw_backend_resolve(k, NULL);
        int r = backend_get(ret->backend)->inspect(&e, ret);
        if (r >= 0 && e.ipv6 != b->ipv6 && !ret->note)
                ret->note = strdup("IPv6 is disabled on this host (no /proc/sys/net/ipv6): only IPv4 is blocked");
        if (r < 0)
                fw_status_done(ret);
        return r;
}

int fw_apply(enum fw_backend_kind k, const struct block *b, bool *ret_changed) {
        struct block e = effective_block(b);
        *ret_changed = false;
        return backend_get(k)->apply(&e, ret_changed);
}

int fw_remove(enum fw_backend_kind k, const struct block *b, unsigned *ret_removed) {
        struct block e = effective_block(b);
        *ret_removed = 0;
        return backend_get(k)->remove(&e, ret_removed);
}

int fw_print_rules(enum fw_backend_kind k, const struct block *b, FILE *f) {
        return backend_get(k)->print_rules(b, f);
}
