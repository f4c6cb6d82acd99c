/* SPDX-License-Identifier: Apache-2.0 */
/* The iptables rule model: the block's entry built exactly as iptables builds it, libiptc's
 * entries decoded into struct xt_rule (the parts the effectiveness judgement needs), and the same
 * decoded from a saved file's text. No kernel here: the unit tests run it without one. */
#include <arpa/inet.h>
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/x_tables.h>

#include "fw/fw-iptables.h"
#include "persist/save-text.h"
#include "lib/util.h"

/* ---- entry <-> rule ---- */

static void iface_to_entry(const char *pattern, char name[IFNAMSIZ], unsigned char mask[IFNAMSIZ]) {
        size_t n = strlen(pattern);

        /* As xtables_parse_interface(): the name keeps its "+", the mask covers the prefix; an
         * exact name's mask also covers its terminating NUL. */
        memset(name, 0, IFNAMSIZ);
        memset(mask, 0, IFNAMSIZ);
        memcpy(name, pattern, n);
        if (n > 0 && pattern[n - 1] == '+')
                memset(mask, 0xff, n - 1);
        else
                memset(mask, 0xff, n + 1);
}

static void iface_from_entry(const char name[IFNAMSIZ], const unsigned char mask[IFNAMSIZ], char ret[IFNAMSIZ + 1]) {
        size_t m = 0;

        /* As iptables' print_iface(). */
        while (m < IFNAMSIZ && mask[m] != 0)
                m++;
        if (m == 0) {
                ret[0] = '\0';
                return;
        }
        size_t len = strnlen(name, m);
        iface_pattern_join(name, len, len == m, ret);
}

size_t iptables_block_entry(int family, const char *pattern, void *buf) {
        size_t target_size = XT_ALIGN(sizeof(struct xt_standard_target));
        size_t entry_size = family == AF_INET6 ? sizeof(struct ip6t_entry) : sizeof(struct ipt_entry);
        size_t size = entry_size + target_size;
        struct xt_standard_target *t;

        memset(buf, 0, size);
        if (family == AF_INET6) {
                struct ip6t_entry *e = buf;
                block_address(AF_INET6, &e->ipv6.dst);
                memset(&e->ipv6.dmsk, 0xff, sizeof(e->ipv6.dmsk));
                iface_to_entry(pattern, e->ipv6.iniface, e->ipv6.iniface_mask);
                e->target_offset = entry_size;
                e->next_offset = size;
                t = (struct xt_standard_target *) e->elems;
        } else {
                struct ipt_entry *e = buf;
                block_address(AF_INET, &e->ip.dst);
                memset(&e->ip.dmsk, 0xff, sizeof(e->ip.dmsk));
                iface_to_entry(pattern, e->ip.iniface, e->ip.iniface_mask);
                e->target_offset = entry_size;
                e->next_offset = size;
                t = (struct xt_standard_target *) e->elems;
        }
        /* libiptc maps the label to the standard verdict, as it does for iptables -j DROP. */
        t->target.u.user.target_size = target_size;
        strcpy(t->target.u.user.name, IPTC_LABEL_DROP);
        return size;
}

static void matches_to_text(const unsigned char *elems, size_t len, char *buf, size_t size) {
        size_t off = 0, used = 0;

        buf[0] = '\0';
        while (off + sizeof(struct xt_entry_match) <= len) {
                const struct xt_entry_match *m = (const void *) (elems + off);
                if (m->u.match_size < sizeof(*m))
                        break;
                int k = snprintf(buf + used, size - used, " -m %.*s", (int) sizeof(m->u.user.name), m->u.user.name);
                if (k < 0 || (size_t) k >= size - used)
                        break;
                used += (size_t) k;
                off += m->u.match_size;
        }
}

void iptables_entry_to_rule(int family, const void *entry, const char *target, struct xt_rule *r) {
        memset(r, 0, sizeof(*r));
        r->family = family;
        snprintf(r->target, sizeof(r->target), "%s", strempty(target));

        if (family == AF_INET6) {
                const struct ip6t_entry *e = entry;
                memcpy(r->src, &e->ipv6.src, 16);
                memcpy(r->smsk, &e->ipv6.smsk, 16);
                memcpy(r->dst, &e->ipv6.dst, 16);
                memcpy(r->dmsk, &e->ipv6.dmsk, 16);
                iface_from_entry(e->ipv6.iniface, e->ipv6.iniface_mask, r->iniface);
                iface_from_entry(e->ipv6.outiface, e->ipv6.outiface_mask, r->outiface);
                r->proto = (e->ipv6.flags & IP6T_F_PROTO) ? e->ipv6.proto : 0;
                r->go_to = e->ipv6.flags & IP6T_F_GOTO;
                r->has_other_ip_flags = (e->ipv6.flags & ~(IP6T_F_PROTO | IP6T_F_GOTO)) != 0;
                r->inv_src = e->ipv6.invflags & IP6T_INV_SRCIP;
                r->inv_dst = e->ipv6.invflags & IP6T_INV_DSTIP;
                r->inv_in = e->ipv6.invflags & IP6T_INV_VIA_IN;
                r->inv_out = e->ipv6.invflags & IP6T_INV_VIA_OUT;
                r->inv_proto = e->ipv6.invflags & IP6T_INV_PROTO;
                if (e->ipv6.invflags & ~(IP6T_INV_SRCIP | IP6T_INV_DSTIP | IP6T_INV_VIA_IN | IP6T_INV_VIA_OUT | IP6T_INV_PROTO))
                        r->has_other_ip_flags = true;
                if (e->target_offset > sizeof(*e))
                        matches_to_text(e->elems, e->target_offset - sizeof(*e), r->matches, sizeof(r->matches));
        } else {
                const struct ipt_entry *e = entry;
                memcpy(r->src, &e->ip.src, 4);
                memcpy(r->smsk, &e->ip.smsk, 4);
                memcpy(r->dst, &e->ip.dst, 4);
                memcpy(r->dmsk, &e->ip.dmsk, 4);
                iface_from_entry(e->ip.iniface, e->ip.iniface_mask, r->iniface);
                iface_from_entry(e->ip.outiface, e->ip.outiface_mask, r->outiface);
                r->proto = e->ip.proto;
                r->go_to = e->ip.flags & IPT_F_GOTO;
                r->has_other_ip_flags = (e->ip.flags & ~IPT_F_GOTO) != 0;
                r->inv_src = e->ip.invflags & IPT_INV_SRCIP;
                r->inv_dst = e->ip.invflags & IPT_INV_DSTIP;
                r->inv_in = e->ip.invflags & IPT_INV_VIA_IN;
                r->inv_out = e->ip.invflags & IPT_INV_VIA_OUT;
                r->inv_proto = e->ip.invflags & IPT_INV_PROTO;
                if (e->ip.invflags & ~(IPT_INV_SRCIP | IPT_INV_DSTIP | IPT_INV_VIA_IN | IPT_INV_VIA_OUT | IPT_INV_PROTO))
                        r->has_other_ip_flags = true;
                if (e->target_offset > sizeof(*e))
                        matches_to_text(e->elems, e->target_offset - sizeof(*e), r->matches, sizeof(r->matches));
        }
}


bool xt_rule_block_pattern(const struct xt_rule *r, char ret[IFNAMSIZ + 1]) {
        uint8_t imds[16] = {};
        size_t n = xt_addr_len(r->family);

        block_address(r->family, imds);
        if (!(memcmp(r->dst, imds, n) == 0 && xt_all_bytes(r->dmsk, n, 0xff) && xt_all_bytes(r->src, n, 0) &&
              xt_all_bytes(r->smsk, n, 0) && r->outiface[0] == '\0' && !r->inv_src && !r->inv_dst && !r->inv_in &&
              !r->inv_out && !r->inv_proto && r->proto == 0 && !r->go_to && !r->has_other_ip_flags &&
              r->matches[0] == '\0' && streq(r->target, IPTC_LABEL_DROP)))
                return false;
        /* No input interface at all is what `-i +` installs (an empty mask): every interface. */
        snprintf(ret, IFNAMSIZ + 1, "%s", r->iniface[0] ? r->iniface : "+");
        return true;
}

bool xt_rule_is_block(const struct xt_rule *r, const char *pattern) {
        char p[IFNAMSIZ + 1];
        return xt_rule_block_pattern(r, p) && streq(p, pattern);
}

static unsigned mask_prefixlen(const uint8_t *m, size_t n) {
        unsigned bits = 0;
        for (size_t i = 0; i < n; i++)
                bits += (unsigned) __builtin_popcount(m[i]);
        return bits;
}

void xt_rule_format(const struct xt_rule *r, char *buf, size_t size) {
        size_t n = xt_addr_len(r->family), used = 0;
        char addr[INET6_ADDRSTRLEN];

#define APPEND(...)                                                                     \
        do {                                                                            \
                int _k = snprintf(buf + used, size - used, __VA_ARGS__);                \
                if (_k > 0)                                                             \
                        used = used + (size_t) _k < size ? used + (size_t) _k : size - 1; \
        } while (0)

        buf[0] = '\0';
        if (!xt_all_bytes(r->smsk, n, 0) || r->inv_src) {
                inet_ntop(r->family, r->src, addr, sizeof(addr));
                APPEND("%s -s %s/%u", r->inv_src ? " !" : "", addr, mask_prefixlen(r->smsk, n));
        }
        if (!xt_all_bytes(r->dmsk, n, 0) || r->inv_dst) {
                inet_ntop(r->family, r->dst, addr, sizeof(addr));
                APPEND("%s -d %s/%u", r->inv_dst ? " !" : "", addr, mask_prefixlen(r->dmsk, n));
        }
        if (r->iniface[0])
                APPEND("%s -i %s", r->inv_in ? " !" : "", r->iniface);
        if (r->outiface[0])
                APPEND("%s -o %s", r->inv_out ? " !" : "", r->outiface);
        if (r->proto)
                APPEND("%s -p %u", r->inv_proto ? " !" : "", r->proto);
        APPEND("%s", r->matches);
        if (r->target[0])
                APPEND(" %s %s", r->go_to ? "-g" : "-j", r->target);
#undef APPEND

        /* Drop the leading space that every part starts with. */
        if (buf[0] == ' ')
                memmove(buf, buf + 1, strlen(buf));
}

/* ---- rules read from a saved file ---- */

static bool parse_addr(int family, const char *text, uint8_t addr[16], uint8_t mask[16]) {
        char a[INET6_ADDRSTRLEN + 64];
        size_t n = xt_addr_len(family);

        snprintf(a, sizeof(a), "%s", text);
        char *slash = strchr(a, '/');
        if (slash)
                *slash++ = '\0';
        if (inet_pton(family, a, addr) != 1)
                return false;
        memset(mask, 0xff, n);
        if (!slash)
                return true;
        if (strchr(slash, family == AF_INET6 ? ':' : '.'))
                return inet_pton(family, slash, mask) == 1;
        char *end;
        unsigned long bits = strtoul(slash, &end, 10);
        if (*end || bits > n * 8)
                return false;
        memset(mask, 0, n);
        for (size_t i = 0; i < bits; i++)
                mask[i / 8] |= (uint8_t) (0x80 >> (i % 8));
        for (size_t i = 0; i < n; i++)
                addr[i] &= mask[i];
        return true;
}

void xt_rule_from_text(int family, const char *text, struct xt_rule *r) {
        _cleanup_free_ char *copy = strdup(text);
        char *tok[256];
        size_t n = copy ? save_text_tokenize(copy, tok, ELEMENTSOF(tok)) : 0;
        bool invert = false;

        memset(r, 0, sizeof(*r));
        r->family = family;
        if (!copy)
                r->has_other_ip_flags = true; /* unknown: never taken for the block */
        for (size_t i = 0; i < n; i++) {
                const char *o = tok[i], *arg = i + 1 < n ? tok[i + 1] : NULL;
                bool inv = invert;

                invert = false;
                if (streq(o, "!")) {
                        invert = true;
                        continue;
                }
                if ((streq(o, "-s") || streq(o, "--source")) && arg) {
                        if (!parse_addr(family, arg, r->src, r->smsk))
                                memset(r->smsk, 0, sizeof(r->smsk)); /* unreadable: any source */
                        r->inv_src = inv;
                        i++;
                } else if ((streq(o, "-d") || streq(o, "--destination")) && arg) {
                        if (!parse_addr(family, arg, r->dst, r->dmsk)) {
                                memset(r->dmsk, 0, sizeof(r->dmsk)); /* unreadable: any destination */
                                r->has_other_ip_flags = true;
                        }
                        r->inv_dst = inv;
                        i++;
                } else if ((streq(o, "-i") || streq(o, "--in-interface")) && arg) {
                        /* "-i +" is every interface, which iptables-save writes as no -i at all. */
                        snprintf(r->iniface, sizeof(r->iniface), "%s", streq(arg, "+") ? "" : arg);
                        r->inv_in = inv;
                        i++;
                } else if ((streq(o, "-o") || streq(o, "--out-interface")) && arg) {
                        snprintf(r->outiface, sizeof(r->outiface), "%s", streq(arg, "+") ? "" : arg);
                        r->inv_out = inv;
                        i++;
                } else if ((streq(o, "-p") || streq(o, "--protocol")) && arg) {
                        r->proto = streq(arg, "all") || streq(arg, "0") ? 0 : 255; /* any protocol but "all" narrows */
                        r->inv_proto = inv;
                        i++;
                } else if ((streq(o, "-f") || streq(o, "--fragment")))
                        r->has_other_ip_flags = true;
                else if ((streq(o, "-m") || streq(o, "--match")) && arg) {
                        size_t used = strlen(r->matches);
                        snprintf(r->matches + used, sizeof(r->matches) - used, " -m %s", arg);
                        i++;
                } else if ((streq(o, "-j") || streq(o, "--jump") || streq(o, "-g") || streq(o, "--goto")) && arg) {
                        snprintf(r->target, sizeof(r->target), "%s", arg);
                        r->go_to = o[1] == 'g' || streq(o, "--goto");
                        i++;
                } else if (o[0] == '-' && o[1] == '-') {
                        /* A match's or the target's option: what it narrows is not judged here
                         * (conservatively, the rule may match); it keeps a rule from being the block. */
                        if (r->matches[0] == '\0')
                                snprintf(r->matches, sizeof(r->matches), " %s", o);
                }
        }
}
