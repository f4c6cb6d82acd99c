/* SPDX-License-Identifier: Apache-2.0 */
/* One iptables rule in iptables-save syntax. The addresses, interfaces and protocol are printed
 * here in the order and form of iptables 1.8's print_rule4()/print_rule6() (iptables/iptables.c,
 * ip6tables.c, xshared.c); the options of matches and targets only the extensions know, so their
 * ->save() is called through libxtables, dlopen()ed on first use. Those print with printf(): the
 * process's stdout is pointed at an in-memory stream for the duration of one call. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <xtables.h>
/* after xtables.h: these bring the kernel's ipt_entry/ip6t_entry without clashing with net/if.h */
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter.h>

#include "lib/dlopen-util.h"
#include "lib/util.h"
#include "fw/xt-print.h"

static void *xt_dl;
static const char *xt_dl_error;
static bool xt_builtin_only, xt_initialised;

static __typeof__(&xtables_init_all) sym_xtables_init_all;
static __typeof__(&xtables_set_nfproto) sym_xtables_set_nfproto;
static __typeof__(&xtables_find_match) sym_xtables_find_match;
static __typeof__(&xtables_find_match_revision) sym_xtables_find_match_revision;
static __typeof__(&xtables_find_target) sym_xtables_find_target;
static __typeof__(&xtables_find_target_revision) sym_xtables_find_target_revision;
static const struct xtables_pprot *sym_xtables_chain_protos;

/* Every revision an entry in the kernel carries is one the kernel supports: registering all of
 * them lets the entry's own revision be found without probing the kernel (which
 * xtables_compatible_revision() does, and which prints warnings when unprivileged). */
static int compat_rev_any(const char *name _unused_, uint8_t rev _unused_, int opt _unused_) {
        return 1;
}

static struct xtables_globals xt_globals = {
        .program_name = "ecs-harden",
        .program_version = "",
        .compat_rev = compat_rev_any,
};

void xt_print_force_builtin(bool b) {
        xt_builtin_only = b;
}

const char *xt_print_load_error(void) {
        return xt_dl ? NULL : xt_dl_error;
}

/* true when libxtables is usable for FAMILY. */
static bool xt_load(int family) {
        if (xt_builtin_only)
                return false;
        if (dlopen_many(&xt_dl, "libxtables.so.12", &xt_dl_error,
                        DLSYM_ARG(xtables_init_all),
                        DLSYM_ARG(xtables_set_nfproto),
                        DLSYM_ARG(xtables_find_match),
                        DLSYM_ARG(xtables_find_match_revision),
                        DLSYM_ARG(xtables_find_target),
                        DLSYM_ARG(xtables_find_target_revision),
                        DLSYM_ARG(xtables_chain_protos),
                        NULL) < 0)
                return false;
        uint8_t nfproto = family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
        if (!xt_initialised) {
                if (sym_xtables_init_all(&xt_globals, nfproto) < 0)
                        return false;
                xt_initialised = true;
        }
        sym_xtables_set_nfproto(nfproto);
        return true;
}

/* The parts of ipt_entry and ip6t_entry that are printed, in one shape. */
struct entry_view {
        int family;
        const void *ip; /* struct ipt_ip / ip6t_ip6, what ->save() takes */
        const void *src, *smsk, *dst, *dmsk;
        const char *iniface, *outiface;
        uint16_t proto;
        uint8_t invflags;
        bool frag, jump_is_goto;
        const unsigned char *base;
        size_t header, target_offset, next_offset;
};

static int entry_view_init(int family, const void *entry, struct entry_view *v) {
        if (family == AF_INET) {
                const struct ipt_entry *e = entry;
                *v = (struct entry_view) {
                        .family = family, .ip = &e->ip,
                        .src = &e->ip.src, .smsk = &e->ip.smsk, .dst = &e->ip.dst, .dmsk = &e->ip.dmsk,
                        .iniface = e->ip.iniface, .outiface = e->ip.outiface,
                        .proto = e->ip.proto, .invflags = e->ip.invflags,
                        .frag = e->ip.flags & IPT_F_FRAG, .jump_is_goto = e->ip.flags & IPT_F_GOTO,
                        .base = entry, .header = sizeof(*e),
                        .target_offset = e->target_offset, .next_offset = e->next_offset,
                };
        } else if (family == AF_INET6) {
                const struct ip6t_entry *e = entry;
                *v = (struct entry_view) {
                        .family = family, .ip = &e->ipv6,
                        .src = &e->ipv6.src, .smsk = &e->ipv6.smsk, .dst = &e->ipv6.dst, .dmsk = &e->ipv6.dmsk,
                        .iniface = e->ipv6.iniface, .outiface = e->ipv6.outiface,
                        .proto = e->ipv6.proto, .invflags = e->ipv6.invflags,
                        .frag = false, /* ip6tables has no -f */
                        .jump_is_goto = e->ipv6.flags & IP6T_F_GOTO,
                        .base = entry, .header = sizeof(*e),
                        .target_offset = e->target_offset, .next_offset = e->next_offset,
                };
        } else
                return -EAFNOSUPPORT;

        if (v->target_offset < v->header || v->next_offset < v->target_offset + sizeof(struct xt_entry_target))
                return -EINVAL;
        const struct xt_entry_target *t = (const void *) (v->base + v->target_offset);
        if (t->u.target_size < sizeof(*t) || t->u.target_size > v->next_offset - v->target_offset)
                return -EINVAL;
        return 0;
}

/* Prefix length of a contiguous mask, or -1. */
static int mask_to_cidr(const unsigned char *mask, size_t len) {
        int bits = 0;
        size_t i = 0;

        for (; i < len && mask[i] == 0xff; i++)
                bits += 8;
        if (i < len) {
                unsigned char b = mask[i];
                while (b & 0x80) {
                        bits++;
                        b <<= 1;
                }
                if (b)
                        return -1;
                for (i++; i < len; i++)
                        if (mask[i])
                                return -1;
        }
        return bits;
}

/* " [!] -s ADDR/LEN" or "/MASK" for a non-contiguous mask; nothing for 0/0 not inverted. */
static void put_addr(FILE *f, const struct entry_view *v, char letter, const void *addr, const void *mask, bool inv) {
        size_t len = v->family == AF_INET6 ? 16 : 4;
        char buf[INET6_ADDRSTRLEN];
        int cidr = mask_to_cidr(mask, len);

        if (cidr == 0 && !inv)
                return;
        fprintf(f, "%s -%c %s", inv ? " !" : "", letter, inet_ntop(v->family, addr, buf, sizeof buf));
        if (cidr >= 0)
                fprintf(f, "/%d", cidr);
        else
                fprintf(f, "/%s", inet_ntop(v->family, mask, buf, sizeof buf));
}

static void put_iface(FILE *f, char letter, const char *iface, bool inv) {
        size_t n = strnlen(iface, IFNAMSIZ);
        if (n == 0 || (n == 1 && iface[0] == '+' && !inv)) /* "-i +" matches every interface */
                return;
        fprintf(f, "%s -%c %.*s", inv ? " !" : "", letter, (int) n, iface);
}

static const char *proto_name(uint16_t proto) {
        if (sym_xtables_chain_protos)
                for (const struct xtables_pprot *p = sym_xtables_chain_protos; p->name; p++)
                        if (p->num == proto)
                                return p->name;
        const struct protoent *pe = getprotobynumber(proto);
        return pe ? pe->p_name : NULL;
}

/* One match: " -m NAME OPTIONS". Returns true when complete. */
static bool put_match(FILE *f, const struct entry_view *v, const struct xt_entry_match *m, bool xt) {
        char name[sizeof m->u.user.name + 1] = {};
        memcpy(name, m->u.user.name, sizeof m->u.user.name);

        if (xt) {
                struct xtables_match *match = sym_xtables_find_match(name, XTF_TRY_LOAD, NULL);
                if (match) {
                        struct xtables_match *mt = sym_xtables_find_match_revision(name, XTF_TRY_LOAD, match,
                                                                                   m->u.user.revision);
                        struct xtables_match *mt2 = mt ?: match;
                        fprintf(f, " -m %s", mt2->alias ? mt2->alias(m) : name);
                        if (mt && mt->save) {
                                fflush(f);
                                mt->save(v->ip, m);
                                fflush(f);
                        } else if (match->save) {
                                fputs(" [unsupported revision]", f);
                                return false;
                        }
                        return true;
                }
        }
        fprintf(f, " -m %s", name);
        if (m->u.match_size > XT_ALIGN(sizeof *m)) {
                fputs(" [...]", f);
                return false;
        }
        return true;
}

static const char *standard_verdict(const struct xt_entry_target *t) {
        if (t->u.target_size < sizeof(struct xt_standard_target))
                return NULL;
        int verdict = ((const struct xt_standard_target *) t)->verdict;
        switch (verdict) {
        case -NF_ACCEPT - 1: return "ACCEPT";
        case -NF_DROP - 1: return "DROP";
        case -NF_QUEUE - 1: return "QUEUE";
        case XT_RETURN: return "RETURN";
        default: return NULL; /* a jump: the chain's name is only known to libiptc */
        }
}

/* The target: " -j NAME OPTIONS" or " -g CHAIN". Returns true when complete. */
static bool put_target(FILE *f, const struct entry_view *v, const char *target_name, bool xt) {
        const struct xt_entry_target *t = (const void *) (v->base + v->target_offset);
        char name[sizeof t->u.user.name + 1] = {};
        memcpy(name, t->u.user.name, sizeof t->u.user.name);

        if (name[0] == '\0') { /* the standard target: a verdict or a jump to a user chain */
                const char *s = target_name && target_name[0] ? target_name : standard_verdict(t);
                if (!s) {
                        fprintf(f, " -%c [...]", v->jump_is_goto ? 'g' : 'j');
                        return false;
                }
                fprintf(f, " -%c %s", v->jump_is_goto ? 'g' : 'j', s);
                return true;
        }

        if (xt) {
                struct xtables_target *target = sym_xtables_find_target(name, XTF_TRY_LOAD);
                if (target) {
                        struct xtables_target *tg = sym_xtables_find_target_revision(name, XTF_TRY_LOAD, target,
                                                                                     t->u.user.revision);
                        struct xtables_target *tg2 = tg ?: target;
                        fprintf(f, " -j %s", tg2->alias ? tg2->alias(t) : target_name ?: name);
                        if (tg && tg->save) {
                                fflush(f);
                                tg->save(v->ip, t);
                                fflush(f);
                                return true;
                        }
                        if (target->save) {
                                fputs(" [unsupported revision]", f);
                                return false;
                        }
                        if (t->u.target_size > XT_ALIGN(sizeof *t)) {
                                fputs(" [...]", f);
                                return false;
                        }
                        return true;
                }
        }
        fprintf(f, " -j %s", target_name ?: name);
        if (t->u.target_size > XT_ALIGN(sizeof *t)) {
                fputs(" [...]", f);
                return false;
        }
        return true;
}

static int format_view(FILE *f, const struct entry_view *v, const char *chain, const char *target_name) {
        bool complete = true, xt = xt_load(v->family);

        fprintf(f, "-A %s", chain);
        put_addr(f, v, 's', v->src, v->smsk, v->invflags & IPT_INV_SRCIP);
        put_addr(f, v, 'd', v->dst, v->dmsk, v->invflags & IPT_INV_DSTIP);
        put_iface(f, 'i', v->iniface, v->invflags & IPT_INV_VIA_IN);
        put_iface(f, 'o', v->outiface, v->invflags & IPT_INV_VIA_OUT);
        if (v->proto > 0) {
                const char *p = proto_name(v->proto);
                if (v->invflags & XT_INV_PROTO)
                        fputs(" !", f);
                if (p)
                        fprintf(f, " -p %s", p);
                else
                        fprintf(f, " -p %u", v->proto);
        }
        if (v->frag)
                fprintf(f, "%s -f", v->invflags & IPT_INV_FRAG ? " !" : "");

        for (size_t off = v->header; off < v->target_offset;) {
                const struct xt_entry_match *m = (const void *) (v->base + off);
                if (v->target_offset - off < sizeof *m || m->u.match_size < sizeof *m ||
                    m->u.match_size > v->target_offset - off)
                        return -EINVAL;
                complete &= put_match(f, v, m, xt);
                off += m->u.match_size;
        }
        complete &= put_target(f, v, target_name, xt);
        return complete ? 0 : 1;
}

/* The extensions write to stdout: point it at F for the call, restore it on every path. */
static void stdout_restorep(FILE **saved) {
        if (*saved) {
                fflush(stdout);
                stdout = *saved;
        }
}

int xt_entry_format(int family, const void *entry, const char *chain, const char *target_name, char **ret) {
        struct entry_view v;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        int r;

        if (!entry || !chain || !ret)
                return -EINVAL;
        r = entry_view_init(family, entry, &v);
        if (r < 0)
                return r;

        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        {
                fflush(stdout);
                _cleanup_(stdout_restorep) FILE *saved = stdout;
                stdout = f;
                r = format_view(f, &v, chain, target_name);
        }
        bool write_failed = ferror(f);
        if (fclose(f) != 0 || write_failed)
                return -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return r;
}
