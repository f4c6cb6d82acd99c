/* SPDX-License-Identifier: Apache-2.0 */
/* The iptables backend: legacy x_tables through libip4tc/libip6tc. The block is the rule the AWS
 * page documents, so a rule added by hand is recognised, and iptables-save shows exactly
 * "-A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP". */
#include <arpa/inet.h>
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <linux/capability.h>
#include <linux/netfilter/x_tables.h>

#include "fw/fw-iptables.h"
#include "fw/fw-private.h"
#include "lib/util.h"
#include "fw/rtnl-route.h"
#include "persist/save-text.h"
#include "fw/xt-print.h"
#include "fw/xtables-lock.h"

#define CHAIN "FORWARD"
#define LOCK_TIMEOUT_MS 10000
#define COMMIT_ATTEMPTS 10
#define MAX_JUMP_DEPTH 64
#define MAX_AHEAD_NOTES 64

/* libiptc and libip6tc have the same API on different entry types; this table lets the rest of
 * the file be written once for both families. */
struct family_ops {
        int family;
        const char *command;
        struct xtc_handle *(*init)(const char *table);
        void (*free)(struct xtc_handle *h);
        const void *(*first_rule)(const char *chain, struct xtc_handle *h);
        const void *(*next_rule)(const void *prev, struct xtc_handle *h);
        const char *(*get_target)(const void *e, struct xtc_handle *h);
        const char *(*get_policy)(const char *chain, struct xt_counters *c, struct xtc_handle *h);
        int (*is_chain)(const char *chain, struct xtc_handle *h);
        int (*insert)(const char *chain, const void *e, unsigned num, struct xtc_handle *h);
        int (*delete_num)(const char *chain, unsigned num, struct xtc_handle *h);
        int (*commit)(struct xtc_handle *h);
};

static const void *v4_first(const char *c, struct xtc_handle *h) { return iptc_first_rule(c, h); }
static const void *v4_next(const void *p, struct xtc_handle *h) { return iptc_next_rule(p, h); }
static const char *v4_target(const void *e, struct xtc_handle *h) { return iptc_get_target(e, h); }
static int v4_insert(const char *c, const void *e, unsigned n, struct xtc_handle *h) {
        return iptc_insert_entry(c, e, n, h);
}
static const void *v6_first(const char *c, struct xtc_handle *h) { return ip6tc_first_rule(c, h); }
static const void *v6_next(const void *p, struct xtc_handle *h) { return ip6tc_next_rule(p, h); }
static const char *v6_target(const void *e, struct xtc_handle *h) { return ip6tc_get_target(e, h); }
static int v6_insert(const char *c, const void *e, unsigned n, struct xtc_handle *h) {
        return ip6tc_insert_entry(c, e, n, h);
}

static const struct family_ops ops_v4 = {
        .family = AF_INET,
        .command = "iptables",
        .init = iptc_init,
        .free = iptc_free,
        .first_rule = v4_first,
        .next_rule = v4_next,
        .get_target = v4_target,
        .get_policy = iptc_get_policy,
        .is_chain = iptc_is_chain,
        .insert = v4_insert,
        .delete_num = iptc_delete_num_entry,
        .commit = iptc_commit,
};

static const struct family_ops ops_v6 = {
        .family = AF_INET6,
        .command = "ip6tables",
        .init = ip6tc_init,
        .free = ip6tc_free,
        .first_rule = v6_first,
        .next_rule = v6_next,
        .get_target = v6_target,
        .get_policy = ip6tc_get_policy,
        .is_chain = ip6tc_is_chain,
        .insert = v6_insert,
        .delete_num = ip6tc_delete_num_entry,
        .commit = ip6tc_commit,
};

static const struct family_ops *family_ops(int family) {
        return family == AF_INET6 ? &ops_v6 : &ops_v4;
}

/* ---- effectiveness ---- */

/* The device the kernel routes the metadata address through, asked of rtnetlink only when a rule
 * with an output interface needs it (most FORWARD chains have none ahead of the block). */
struct uplink {
        int family;
        bool known;             /* asked (or given) already */
        char name[IFNAMSIZ];    /* "" when there is no route, or it is not known */
};

static const char *uplink_name(struct uplink *u) {
        if (!u->known) {
                uint8_t imds[16];
                block_address(u->family, imds);
                if (rtnl_route_oif(u->family, imds, u->name) < 0)
                        u->name[0] = '\0'; /* no route: judged without one, conservatively */
                u->known = true;
        }
        return u->name;
}

/* Can RULE match a packet that enters on an interface matched by PATTERN and goes to the
 * metadata address, leaving through UPLINK (the route's output device; "" when unknown)?
 * Conservative: "yes" unless provably not. Sets *why when it cannot. */
static bool rule_can_match(const struct xt_rule *r, const char *pattern, const struct block *b, struct uplink *up,
                           char *whybuf, size_t whysize, const char **why) {
        const char *uplink = r->outiface[0] ? uplink_name(up) : "";
        uint8_t imds[16] = {};
        size_t n = xt_addr_len(r->family);
        bool dst_match = true;

        block_address(r->family, imds);
        for (size_t i = 0; i < n; i++)
                if ((imds[i] & r->dmsk[i]) != (r->dst[i] & r->dmsk[i]))
                        dst_match = false;
        if (dst_match == r->inv_dst) {
                *why = "its destination does not include the metadata address";
                return false;
        }
        if (r->inv_src && xt_all_bytes(r->smsk, n, 0)) {
                *why = "it excludes every source";
                return false;
        }
        if (r->iniface[0]) {
                if (!r->inv_in && !iface_pattern_overlaps(r->iniface, pattern)) {
                        *why = "its input interface is not a container interface of this block";
                        return false;
                }
                if (r->inv_in && iface_pattern_covers(r->iniface, pattern)) {
                        *why = "it excludes the container interfaces of this block";
                        return false;
                }
        }
        if (r->outiface[0] && uplink[0]) {
                /* The packet leaves where the kernel routes the metadata address. */
                if (iface_pattern_matches(r->outiface, uplink) == r->inv_out) {
                        snprintf(whybuf, whysize, "it matches only traffic leaving through %s%s, and the kernel "
                                 "routes the metadata address out of %s", r->inv_out ? "anything but " : "",
                                 r->outiface, uplink);
                        *why = whybuf;
                        return false;
                }
        } else if (r->outiface[0] && !r->inv_out)
                for (size_t i = 0; i < b->n_patterns; i++)
                        if (iface_pattern_covers(b->patterns[i], r->outiface)) {
                                /* No route known: metadata traffic still never goes back into a
                                 * container bridge. */
                                *why = "it matches only traffic leaving into a container bridge";
                                return false;
                        }
        return true;
}

static bool target_is_non_terminal(const char *t) {
        static const char *const names[] = {
                "LOG",   "NFLOG", "ULOG",     "MARK",  "CONNMARK", "TCPMSS", "CLASSIFY", "DSCP", "TOS",
                "AUDIT", "CHECKSUM", "TRACE", "CT", "SET", "IDLETIMER", "LED", "SECMARK", "CONNSECMARK", "TEE",
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(t, names[i]))
                        return true;
        return false;
}

/* ---- chain snapshots ---- */

/* A chain's rules decoded into an array. libiptc keeps one rule iterator per handle, so a chain
 * must be read whole before another chain is walked (a jump inside a walk would end it). */
struct snapshot {
        struct xt_rule *rules;
        const void **entries;   /* libiptc's entries, valid while the handle is unchanged; or */
        char *const *texts;     /* a saved file's rule texts (after "-A CHAIN ") */
        size_t n;
        bool policy_accept;
};

static void snapshot_done(struct snapshot *s) {
        free(s->rules);
        free(s->entries);
        s->rules = NULL;
        s->entries = NULL;
        s->n = 0;
}

static int snapshot_take(const struct family_ops *ops, struct xtc_handle *h, const char *name, struct snapshot *ret) {
        xt_chainlabel chain;
        size_t alloc = 0;

        memset(ret, 0, sizeof(*ret));
        snprintf(chain, sizeof(chain), "%s", name);
        struct xt_counters counters;
        const char *policy = ops->get_policy(chain, &counters, h);
        ret->policy_accept = !policy || streq(policy, IPTC_LABEL_ACCEPT);

        for (const void *e = ops->first_rule(chain, h); e; e = ops->next_rule(e, h)) {
                if (ret->n == alloc) {
                        size_t na = alloc ? alloc * 2 : 64;
                        struct xt_rule *nr = realloc(ret->rules, na * sizeof(*nr));
                        if (nr)
                                ret->rules = nr;
                        const void **ne = nr ? realloc(ret->entries, na * sizeof(*ne)) : NULL;
                        if (!ne) {
                                snapshot_done(ret);
                                return -ENOMEM;
                        }
                        ret->entries = ne;
                        alloc = na;
                }
                ret->entries[ret->n] = e;
                iptables_entry_to_rule(ops->family, e, ops->get_target(e, h), &ret->rules[ret->n++]);
        }
        return 0;
}

/* The rule at I of S in iptables-save syntax, "-A CHAIN ...", complete (xt-print.c, with the
 * extensions' own printers) or, should that fail, as far as it is decoded here. */
static void snapshot_rule_text(const struct snapshot *s, size_t i, const char *chain, char *buf, size_t size) {
        _cleanup_free_ char *text = NULL;

        if (s->texts) {
                snprintf(buf, size, "-A %s %s", chain, s->texts[i]);
                return;
        }
        if (s->entries && xt_entry_format(s->rules[i].family, s->entries[i], chain, s->rules[i].target, &text) >= 0) {
                snprintf(buf, size, "%s", text);
                return;
        }
        int k = snprintf(buf, size, "-A %s ", chain);
        if (k > 0 && (size_t) k < size)
                xt_rule_format(&s->rules[i], buf + k, size - (size_t) k);
}

/* ---- rules read from a saved file ---- */

static int snapshot_from_saved(const struct saved_chain *c, int family, struct snapshot *ret) {
        *ret = (struct snapshot) { .policy_accept = !streq(c->policy, "DROP"), .texts = c->rules };
        if (c->n_rules == 0)
                return 0;
        ret->rules = calloc(c->n_rules, sizeof(*ret->rules));
        if (!ret->rules)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_rules; i++)
                xt_rule_from_text(family, c->rules[i], &ret->rules[i]);
        ret->n = c->n_rules;
        return 0;
}

/* ---- effectiveness of what stands ahead ---- */

#define MAX_CACHED_CHAINS 256

/* Each user chain's answer is computed once per walk: chains that jump to each other many
 * times would otherwise cost exponential work. */
struct chain_verdict {
        char name[sizeof(xt_chainlabel)];
        enum { CHAIN_COMPUTING, CHAIN_CAN_ACCEPT, CHAIN_CANNOT_ACCEPT } state;
        char culprit[512];
};

struct walk {
        const struct family_ops *ops;
        struct xtc_handle *h;                   /* the kernel's table, or */
        const struct saved_table *saved;        /* a saved file's, as iptables-restore loads it */
        const struct block *b;
        const char *pattern;
        struct uplink *uplink;
        bool policy_accept;
        struct chain_verdict cache[MAX_CACHED_CHAINS];
        size_t n_cache;
};

static bool chain_can_accept(struct walk *w, const char *chain, unsigned depth, char *culprit, size_t size);

static int snapshot_from_saved(const struct saved_chain *c, int family, struct snapshot *ret);

static bool walk_is_chain(const struct walk *w, const char *name) {
        if (w->saved) {
                const struct saved_chain *c = saved_table_chain(w->saved, name);
                return c && streq(c->policy, "-");
        }
        return w->ops->is_chain(name, w->h);
}

static int walk_snapshot(const struct walk *w, const char *chain, struct snapshot *ret) {
        if (w->saved) {
                const struct saved_chain *c = saved_table_chain(w->saved, chain);
                if (!c) {
                        *ret = (struct snapshot) { .policy_accept = true };
                        return 0;
                }
                return snapshot_from_saved(c, w->ops->family, ret);
        }
        return snapshot_take(w->ops, w->h, chain, ret);
}

/* Classifies one rule that stands ahead of a block rule. Returns true when it can let the packet
 * through; *why (static or in WHYBUF) says why or why not. */
static bool rule_is_harmful(struct walk *w, const struct xt_rule *r, unsigned depth, char *whybuf, size_t whysize,
                            const char **why) {
        const char *t = r->target;

        if (!rule_can_match(r, w->pattern, w->b, w->uplink, whybuf, whysize, why))
                return false;

        if (streq(t, IPTC_LABEL_DROP) || streq(t, "REJECT")) {
                *why = "it drops the packet too";
                return false;
        }
        if (t[0] == '\0') {
                *why = "it has no verdict";
                return false;
        }
        if (streq(t, IPTC_LABEL_ACCEPT)) {
                *why = "it accepts the packet before the block sees it";
                return true;
        }
        if (streq(t, IPTC_LABEL_RETURN) && depth == 0) {
                *why = w->policy_accept ? "it returns to the chain policy, which is ACCEPT"
                                        : "it returns to the chain policy, which drops";
                return w->policy_accept;
        }
        if (streq(t, IPTC_LABEL_RETURN)) {
                *why = "it returns to the calling chain";
                return false;
        }
        if (streq(t, IPTC_LABEL_QUEUE) || streq(t, "NFQUEUE")) {
                *why = "it hands the packet to user space, which may accept it";
                return true;
        }
        if (walk_is_chain(w, t)) {
                char culprit[512] = "";
                if (r->go_to && w->policy_accept) {
                        *why = "it goes (-g) to a chain whose end returns to the ACCEPT policy";
                        return true;
                }
                if (chain_can_accept(w, t, depth + 1, culprit, sizeof(culprit))) {
                        snprintf(whybuf, whysize, "it jumps to %s, where \"%s\" can accept the packet", t, culprit);
                        *why = whybuf;
                        return true;
                }
                snprintf(whybuf, whysize, "it jumps to %s, which holds no rule that can accept the packet", t);
                *why = whybuf;
                return false;
        }
        if (target_is_non_terminal(t)) {
                *why = "its target does not end the chain";
                return false;
        }
        *why = "its target may accept the packet";
        return true;
}

static bool chain_can_accept(struct walk *w, const char *chain, unsigned depth, char *culprit, size_t size) {
        struct chain_verdict *v;
        struct snapshot s;
        bool accept = false;

        for (size_t i = 0; i < w->n_cache; i++)
                if (streq(w->cache[i].name, chain)) {
                        /* The kernel refuses jump loops; a chain still being computed is on our
                         * own path and adds nothing new. */
                        if (w->cache[i].state == CHAIN_COMPUTING)
                                return false;
                        snprintf(culprit, size, "%s", w->cache[i].culprit);
                        return w->cache[i].state == CHAIN_CAN_ACCEPT;
                }
        if (depth > MAX_JUMP_DEPTH || w->n_cache >= MAX_CACHED_CHAINS) {
                snprintf(culprit, size, "(jumps nested too deep or too many chains to follow)");
                return true;
        }
        v = &w->cache[w->n_cache++];
        *v = (struct chain_verdict) { .state = CHAIN_COMPUTING };
        snprintf(v->name, sizeof(v->name), "%s", chain);

        if (walk_snapshot(w, chain, &s) < 0) {
                snprintf(v->culprit, sizeof(v->culprit), "(out of memory reading %s)", chain);
                v->state = CHAIN_CAN_ACCEPT;
                snprintf(culprit, size, "%s", v->culprit);
                return true;
        }
        for (size_t i = 0; i < s.n && !accept; i++) {
                char whybuf[1024];
                const char *why;

                if (rule_is_harmful(w, &s.rules[i], depth, whybuf, sizeof(whybuf), &why)) {
                        snapshot_rule_text(&s, i, chain, v->culprit, sizeof(v->culprit));
                        accept = true;
                }
        }
        snapshot_done(&s);
        v->state = accept ? CHAIN_CAN_ACCEPT : CHAIN_CANNOT_ACCEPT;
        snprintf(culprit, size, "%s", v->culprit);
        return accept;
}

/* Fills RS for PATTERN from the snapshot; with NOTES false it only decides "effective". UPLINK is
 * the device the metadata address is routed through ("" when unknown). */
static int judge_pattern(const struct family_ops *ops, struct xtc_handle *h, const struct snapshot *s,
                         const struct block *b, const char *pattern, struct uplink *uplink, bool notes,
                         struct fw_rule_status *rs) {
        _cleanup_free_ struct walk *w = calloc(1, sizeof(*w));

        if (!w)
                return -ENOMEM;
        *w = (struct walk) { .ops = ops, .h = h, .b = b, .pattern = pattern, .uplink = uplink,
                             .policy_accept = s->policy_accept };

        rs->family = ops->family;
        snprintf(rs->pattern, sizeof(rs->pattern), "%s", pattern);
        for (size_t i = 0; i < s->n; i++)
                if (xt_rule_is_block(&s->rules[i], pattern)) {
                        if (rs->copies++ == 0)
                                rs->position = (unsigned) i + 1;
                }
        rs->removable = rs->copies; /* remove deletes every copy in FORWARD */
        if (rs->copies == 0)
                return 0;

        rs->effective = true;
        for (size_t i = 0; i + 1 < rs->position; i++) {
                char whybuf[1024], text[1024];
                const char *why;
                bool harmful = rule_is_harmful(w, &s->rules[i], 0, whybuf, sizeof(whybuf), &why);

                if (harmful)
                        rs->effective = false;
                if (!notes || (rs->n_ahead >= MAX_AHEAD_NOTES && !harmful))
                        continue;
                snapshot_rule_text(s, i, CHAIN, text, sizeof(text));
                int r = fw_rule_status_add_ahead(rs, text, harmful, why);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Is the filter table of this family there at all? Asked of /proc/net/ip{,6}_tables_names,
 * because libiptc's first read of a missing table makes the kernel create it (an empty legacy
 * table is then what `auto` would see): reading must not change state. */
static bool table_present(const struct family_ops *ops) {
        _cleanup_free_ char *names = NULL;

        if (read_full_file(ops->family == AF_INET6 ? "/proc/net/ip6_tables_names" : "/proc/net/ip_tables_names",
                           &names, NULL) < 0)
                return false;
        for (char *line = names, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (streq(line, "filter"))
                        return true;
        }
        return false;
}

static int table_open(const struct family_ops *ops, struct xtc_handle **ret) {
        struct xtc_handle *h = ops->init("filter");
        if (!h) {
                int r = negative_errno();
                /* libiptc reports a missing ip_tables/ip6_tables module as ENOENT or ENOPROTOOPT. */
                if (r == -ENOENT || r == -ENOPROTOOPT || r == -EAFNOSUPPORT || r == -EINVAL)
                        return -EPROTONOSUPPORT;
                return r;
        }
        *ret = h;
        return 0;
}

/* One family's FORWARD as read: the handle (NULL when the table is not there and was not to be
 * made), the snapshot, and the device the metadata address is routed through. */
struct family_read {
        const struct family_ops *ops;
        struct xtc_handle *h;
        struct snapshot s;
        struct uplink uplink;
};

static void family_read_done(struct family_read *fr) {
        snapshot_done(&fr->s);
        if (fr->h)
                fr->ops->free(fr->h);
        fr->h = NULL;
}

/* Reads FORWARD of OPS's family. With CREATE the table is opened even when absent (the kernel
 * then makes it); without, an absent table reads as empty. 0 or negative errno. */
static int family_read(const struct family_ops *ops, bool create, struct family_read *ret) {
        int r;

        *ret = (struct family_read) { .ops = ops };
        if (!create && !table_present(ops))
                /* Nothing to read; but an unprivileged caller could not have read it either, and
                 * is told so as when the table is there. */
                return have_effective_capability(CAP_NET_ADMIN) ? 0 : -EPERM;
        ret->uplink.family = ops->family;
        r = table_open(ops, &ret->h);
        if (r < 0)
                return r;
        r = snapshot_take(ops, ret->h, CHAIN, &ret->s);
        if (r < 0)
                family_read_done(ret);
        return r;
}

/* The block on this host: the configured one B, plus every block rule installed in FORWARD of
 * either family, whatever its pattern (and IPv6 when IPv6 block rules are installed). */
static void block_union(const struct block *b, const struct family_read *frs, size_t n, struct block *ret) {
        *ret = *b;
        for (size_t f = 0; f < n; f++)
                for (size_t i = 0; i < frs[f].s.n; i++) {
                        char p[IFNAMSIZ + 1];
                        if (!xt_rule_block_pattern(&frs[f].s.rules[i], p))
                                continue;
                        /* A pattern that this tool would not accept stays untouched by apply;
                         * remove still takes it. */
                        (void) block_add_pattern(ret, p, NULL);
                        if (frs[f].ops->family == AF_INET6)
                                ret->ipv6 = true;
                }
}

static bool block_configures(const struct block *b, int family, const char *pattern) {
        if (family == AF_INET6 && !b->ipv6)
                return false;
        for (size_t i = 0; i < b->n_patterns; i++)
                if (streq(b->patterns[i], pattern))
                        return true;
        return false;
}

/* The families read: IPv4 always, IPv6 when the host has it. */
static size_t families_read(const struct block *b, bool create_v6, struct family_read frs[2], int *ret) {
        size_t n = 0;

        *ret = family_read(&ops_v4, false, &frs[n]);
        if (*ret < 0)
                return 0;
        n++;
        if (fw_host_has_ipv6()) {
                *ret = family_read(&ops_v6, create_v6 && b->ipv6, &frs[n]);
                if (*ret < 0) {
                        family_read_done(&frs[0]);
                        return 0;
                }
                n++;
        }
        return n;
}

static int iptables_inspect(const struct block *b, struct fw_status *st) {
        struct family_read frs[2] = {};
        struct block u;
        size_t n;
        int r;

        st->where = strdup("filter FORWARD");
        if (!st->where)
                return -ENOMEM;

        n = families_read(b, false, frs, &r);
        if (r < 0)
                return r;
        block_union(b, frs, n, &u);
        for (size_t f = 0; r >= 0 && f < n; f++) {
                const struct family_ops *ops = frs[f].ops;
                if (ops->family == AF_INET6 && !u.ipv6)
                        continue;
                for (size_t i = 0; r >= 0 && i < u.n_patterns; i++) {
                        struct fw_rule_status *rs = &st->rules[st->n_rules++];
                        r = judge_pattern(ops, frs[f].h, &frs[f].s, &u, u.patterns[i], &frs[f].uplink, true, rs);
                        rs->configured = block_configures(b, ops->family, u.patterns[i]);
                }
        }
        for (size_t f = 0; f < n; f++)
                family_read_done(&frs[f]);
        return r;
}

/* Plans on the open handle of FR the changes that make every rule of U present, effective and
 * unique in FORWARD (APPLY), or that delete every block rule of any pattern (remove). Nothing is
 * committed. A block rule is never deleted unless an equal one stays at or ahead of it or goes to
 * the head: repairs add and reorder, only remove takes rules away. *ret_changes counts. */
static int plan_family(struct family_read *fr, const struct block *u, bool apply, unsigned *ret_changes) {
        const struct family_ops *ops = fr->ops;
        const struct snapshot *s = &fr->s;
        _cleanup_free_ bool *doomed = NULL;
        const char *inserts[BLOCK_MAX_PATTERNS];
        size_t n_inserts = 0, n_deletes = 0;
        xt_chainlabel chain = CHAIN;
        int r;

        *ret_changes = 0;
        doomed = calloc(s->n ? s->n : 1, sizeof(bool));
        if (!doomed)
                return -ENOMEM;

        if (apply)
                for (size_t p = 0; p < u->n_patterns; p++) {
                        struct fw_rule_status rs = {};

                        r = judge_pattern(ops, fr->h, s, u, u->patterns[p], &fr->uplink, false, &rs);
                        if (r < 0)
                                return r;
                        /* Keep one effective copy where it stands; anything else goes to the head. */
                        bool keep_first = rs.copies > 0 && rs.effective;
                        if (!keep_first)
                                inserts[n_inserts++] = u->patterns[p];
                        for (size_t i = 0; i < s->n; i++)
                                if (xt_rule_is_block(&s->rules[i], u->patterns[p]) &&
                                    !(keep_first && i + 1 == rs.position)) {
                                        doomed[i] = true;
                                        n_deletes++;
                                }
                }
        else
                for (size_t i = 0; i < s->n; i++) {
                        char p[IFNAMSIZ + 1];
                        if (xt_rule_block_pattern(&s->rules[i], p)) {
                                doomed[i] = true;
                                n_deletes++;
                        }
                }

        /* From the end, so that the positions of the rules still to delete do not move. */
        for (size_t i = s->n; i > 0; i--)
                if (doomed[i - 1] && !ops->delete_num(chain, (unsigned) (i - 1), fr->h))
                        return negative_errno();
        for (size_t i = n_inserts; i > 0; i--) {
                unsigned char buf[XT_BLOCK_ENTRY_MAX] __attribute__((aligned(8)));
                iptables_block_entry(ops->family, inserts[i - 1], buf);
                if (!ops->insert(chain, buf, 0, fr->h))
                        return negative_errno();
        }
        *ret_changes = (unsigned) (n_deletes + n_inserts);
        return 0;
}

static int commit_family(struct family_read *fr) {
        int r = fr->ops->commit(fr->h) ? 0 : negative_errno();
        /* libiptc frees nothing on commit; the handle is done either way. */
        family_read_done(fr);
        return r;
}

/* One locked read-modify-commit of every family. Both families are read and planned before
 * either commits, so that a crash or kill between the two commits is as short as the kernel
 * allows (legacy x_tables cannot commit two families at once); a half-committed block is what
 * the next verify --fix completes. */
static int change(const struct block *b, bool apply, unsigned *ret_changes) {
        struct family_read frs[2] = {};
        unsigned changes[2] = {};
        _cleanup_close_ int lock_fd = -1;
        struct block u;
        size_t n;
        int r;

        *ret_changes = 0;
        lock_fd = xtables_lock(LOCK_TIMEOUT_MS);
        if (lock_fd < 0)
                return lock_fd;

        /* apply makes IPv4's table (and IPv6's when configured); remove only reads what is there. */
        if (apply) {
                r = family_read(&ops_v4, true, &frs[0]);
                n = r < 0 ? 0 : 1;
                if (r >= 0 && fw_host_has_ipv6()) {
                        r = family_read(&ops_v6, b->ipv6, &frs[1]);
                        n = r < 0 ? 1 : 2;
                }
        } else
                n = families_read(b, false, frs, &r);
        if (r < 0)
                goto out;
        block_union(b, frs, n, &u);

        for (size_t f = 0; f < n; f++) {
                if (!frs[f].h || (apply && frs[f].ops->family == AF_INET6 && !u.ipv6))
                        continue;
                r = plan_family(&frs[f], &u, apply, &changes[f]);
                if (r < 0)
                        goto out;
        }
        for (size_t f = 0; f < n; f++) {
                const struct family_ops *ops = frs[f].ops;

                if (!frs[f].h)
                        continue;
                if (changes[f] == 0) {
                        family_read_done(&frs[f]);
                        continue;
                }
                r = commit_family(&frs[f]);
                /* Writers that ignore the lock can still change the table under us: libiptc
                 * notices when the rule count changed and the commit fails with EAGAIN. */
                for (unsigned attempt = 1; r == -EAGAIN && attempt < COMMIT_ATTEMPTS; attempt++) {
                        r = family_read(ops, true, &frs[f]);
                        if (r >= 0)
                                r = plan_family(&frs[f], &u, apply, &changes[f]);
                        if (r >= 0)
                                r = changes[f] > 0 ? commit_family(&frs[f]) : (family_read_done(&frs[f]), 0);
                }
                if (r < 0)
                        goto out;
                *ret_changes += changes[f];
        }
out:
        for (size_t f = 0; f < 2; f++)
                family_read_done(&frs[f]);
        return r;
}

static int iptables_apply(const struct block *b, bool *ret_changed) {
        unsigned n = 0;
        int r = change(b, true, &n);
        if (r < 0)
                return r;
        *ret_changed = n > 0;
        return 0;
}

static int iptables_remove(const struct block *b, unsigned *ret_removed) {
        return change(b, false, ret_removed);
}

/* ---- a saved file, as the kernel would load it ---- */

int fw_judge_saved(const char *text, int family, const struct block *b, const char *uplink, struct fw_status *st) {
        struct uplink up = { .family = family, .known = true };
        _cleanup_(saved_table_done) struct saved_table t = {};
        const struct family_ops *ops = family_ops(family);
        struct snapshot s = {};
        int r;

        snprintf(up.name, sizeof(up.name), "%s", strempty(uplink));
        memset(st, 0, sizeof(*st));
        st->backend = FW_BACKEND_IPTABLES;
        st->where = strdup("filter FORWARD as restored from the file");
        if (!st->where)
                return -ENOMEM;
        r = save_text_load_filter(text, &t);
        if (r < 0)
                return r;
        const struct saved_chain *fwd = saved_table_chain(&t, CHAIN);
        if (fwd) {
                r = snapshot_from_saved(fwd, family, &s);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; r >= 0 && i < b->n_patterns; i++) {
                _cleanup_free_ struct walk *w = calloc(1, sizeof(*w));
                struct fw_rule_status *rs = &st->rules[st->n_rules++];

                rs->configured = true;
                if (!w) {
                        r = -ENOMEM;
                        break;
                }
                /* judge_pattern() with the saved chains in place of the kernel's. */
                *w = (struct walk) { .ops = ops, .saved = &t, .b = b, .pattern = b->patterns[i],
                                     .uplink = &up, .policy_accept = s.policy_accept };
                rs->family = family;
                snprintf(rs->pattern, sizeof(rs->pattern), "%s", b->patterns[i]);
                for (size_t k = 0; k < s.n; k++)
                        if (xt_rule_is_block(&s.rules[k], b->patterns[i]) && rs->copies++ == 0)
                                rs->position = (unsigned) k + 1;
                rs->effective = rs->copies > 0;
                for (size_t k = 0; rs->copies > 0 && k + 1 < rs->position; k++) {
                        char whybuf[1024], rule[1024];
                        const char *why;
                        bool harmful = rule_is_harmful(w, &s.rules[k], 0, whybuf, sizeof(whybuf), &why);
                        if (!harmful)
                                continue;
                        rs->effective = false;
                        snapshot_rule_text(&s, k, CHAIN, rule, sizeof(rule));
                        r = fw_rule_status_add_ahead(rs, rule, true, why);
                        break;
                }
        }
        snapshot_done(&s);
        if (r < 0)
                fw_status_done(st);
        return r;
}

/* ---- what `auto` asks ---- */

/* Only tables that are there are opened: a probe creates nothing. */
static int iptables_probe(enum fw_probe what) {
        const struct family_ops *const all[] = { &ops_v4, &ops_v6 };
        bool found = false;

        for (size_t f = 0; f < ELEMENTSOF(all) && !found; f++) {
                const struct family_ops *ops = all[f];
                struct family_read fr;

                if (what == FW_PROBE_IN_USE && ops->family == AF_INET6)
                        break; /* Docker writes both; IPv4 tells */
                if (family_read(ops, false, &fr) < 0 || !fr.h)
                        continue;
                if (what == FW_PROBE_BLOCK) {
                        for (size_t i = 0; i < fr.s.n && !found; i++) {
                                char p[IFNAMSIZ + 1];
                                found = xt_rule_block_pattern(&fr.s.rules[i], p);
                        }
                } else {
                        /* Rules in FORWARD, or chains of its own (DOCKER, DOCKER-USER). */
                        found = fr.s.n > 0;
                        for (const char *c = iptc_first_chain(fr.h); ops->family == AF_INET && c && !found;
                             c = iptc_next_chain(fr.h))
                                found = !iptc_builtin(c, fr.h);
                }
                family_read_done(&fr);
        }
        return found;
}

static int iptables_print_rules(const struct block *b, FILE *f) {
        for (size_t fam = 0; fam < block_n_families(b); fam++) {
                int family = block_family(b, fam);

                fprintf(f, "# %s\n*filter\n", family_ops(family)->command);
                for (size_t i = 0; i < b->n_patterns; i++) {
                        unsigned char buf[XT_BLOCK_ENTRY_MAX] __attribute__((aligned(8)));
                        struct xt_rule r;
                        char text[256];

                        /* Printed from the entry apply would insert, so the two cannot differ. */
                        iptables_block_entry(family, b->patterns[i], buf);
                        const struct xt_standard_target *t =
                                (const void *) (buf + (family == AF_INET6 ? sizeof(struct ip6t_entry) : sizeof(struct ipt_entry)));
                        iptables_entry_to_rule(family, buf, t->target.u.user.name, &r);
                        xt_rule_format(&r, text, sizeof(text));
                        fprintf(f, "-A " CHAIN " %s\n", text);
                }
                fputs("COMMIT\n", f);
        }
        return ferror(f) ? -EIO : 0;
}

const struct fw_backend fw_backend_iptables = {
        .name = "iptables",
        .inspect = iptables_inspect,
        .apply = iptables_apply,
        .remove = iptables_remove,
        .print_rules = iptables_print_rules,
        .probe = iptables_probe,
};
