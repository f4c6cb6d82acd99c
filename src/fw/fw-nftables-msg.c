/* SPDX-License-Identifier: Apache-2.0 */
/* The nftables backend's messages, built without a kernel: the block as libnftnl objects (as nft
 * builds `iifname "docker*" ip daddr 169.254.169.254 drop`), their comparison and recognition,
 * and the batches apply and remove send. tests/test-nft-msg.c checks them byte for byte. */
#include <arpa/inet.h>
#include <endian.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <sys/socket.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include "fw/fw-nftables.h"
#include "fw/fw-private.h"
#include "lib/util.h"

/* ---- the block as libnftnl objects ---- */

size_t nft_block_n_rules(const struct block *b) {
        return b->n_patterns * block_n_families(b);
}

void nft_block_rule_at(const struct block *b, size_t i, int *ret_family, const char **ret_pattern) {
        size_t nf = block_n_families(b);
        *ret_pattern = b->patterns[i / nf];
        *ret_family = block_family(b, i % nf);
}

struct nftnl_table *nft_block_table(void) {
        _cleanup_(nftnl_table_freep) struct nftnl_table *t = nftnl_table_alloc();
        if (!t)
                return NULL;
        nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
        if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE) < 0)
                return NULL;
        /* Explicit zero flags: on an existing table this wakes it if someone made it dormant. */
        nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
        return TAKE_PTR(t);
}

struct nftnl_chain *nft_block_chain(void) {
        _cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
        if (!c)
                return NULL;
        nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
        if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE) < 0 ||
            nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, NFT_CHAIN) < 0 ||
            nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, NFT_CHAIN_TYPE) < 0)
                return NULL;
        nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
        nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NFT_CHAIN_PRIO);
        nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
        return TAKE_PTR(c);
}

static int add_meta(struct nftnl_rule *r, uint32_t key) {
        struct nftnl_expr *e = nftnl_expr_alloc("meta");
        if (!e)
                return -ENOMEM;
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
        nftnl_rule_add_expr(r, e);
        return 0;
}

static int add_cmp_eq(struct nftnl_rule *r, const void *data, size_t len) {
        _cleanup_(nftnl_expr_freep) struct nftnl_expr *e = nftnl_expr_alloc("cmp");
        if (!e)
                return -ENOMEM;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
        if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, (uint32_t) len) < 0)
                return -EINVAL;
        nftnl_rule_add_expr(r, TAKE_PTR(e));
        return 0;
}

static int add_payload(struct nftnl_rule *r, uint32_t offset, uint32_t len) {
        struct nftnl_expr *e = nftnl_expr_alloc("payload");
        if (!e)
                return -ENOMEM;
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
        nftnl_rule_add_expr(r, e);
        return 0;
}

static int add_verdict(struct nftnl_rule *r, int verdict) {
        struct nftnl_expr *e = nftnl_expr_alloc("immediate");
        if (!e)
                return -ENOMEM;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t) verdict);
        nftnl_rule_add_expr(r, e);
        return 0;
}

struct nftnl_rule *nft_block_rule(int family, const char *pattern) {
        _cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();
        uint8_t addr[16], nfproto = family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
        uint32_t addr_len = family == AF_INET6 ? 16 : 4;
        uint32_t offset = family == AF_INET6 ? offsetof(struct ip6_hdr, ip6_dst) : offsetof(struct iphdr, daddr);
        char name[IFNAMSIZ];
        size_t len;
        bool prefix;
        int k = 0;

        if (!r)
                return NULL;
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
        if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE) < 0 || nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NFT_CHAIN) < 0)
                return NULL;

        /* As nft linearizes `iifname "docker*"`: a prefix compares only its bytes, an exact name
         * the whole IFNAMSIZ buffer with its NUL padding. "+" alone (any interface) has no match,
         * as iptables-nft leaves it out. */
        iface_pattern_split(pattern, name, &len, &prefix);
        if (!prefix || len > 0) {
                k = add_meta(r, NFT_META_IIFNAME);
                if (k >= 0)
                        k = add_cmp_eq(r, name, prefix ? len : IFNAMSIZ);
        }
        /* In an inet table the network header may be either family: nft's dependency guard. */
        if (k >= 0)
                k = add_meta(r, NFT_META_NFPROTO);
        if (k >= 0)
                k = add_cmp_eq(r, &nfproto, sizeof(nfproto));
        if (k >= 0)
                k = add_payload(r, offset, addr_len);
        block_address(family, addr);
        if (k >= 0)
                k = add_cmp_eq(r, addr, addr_len);
        if (k >= 0)
                k = add_verdict(r, NF_DROP);
        if (k < 0)
                return NULL;
        return TAKE_PTR(r);
}

/* Expression attributes are numbered from NFTNL_EXPR_BASE; libnftnl keeps their presence in a
 * 32-bit mask, so this covers all of them. */
#define EXPR_ATTR_END 32

static bool expr_same(const struct nftnl_expr *a, const struct nftnl_expr *b) {
        if (!streq(nftnl_expr_get_str(a, NFTNL_EXPR_NAME), nftnl_expr_get_str(b, NFTNL_EXPR_NAME)))
                return false;
        for (uint16_t t = NFTNL_EXPR_BASE; t < EXPR_ATTR_END; t++) {
                bool sa = nftnl_expr_is_set(a, t), sb = nftnl_expr_is_set(b, t);
                uint32_t la = 0, lb = 0;

                if (sa != sb)
                        return false;
                if (!sa)
                        continue;
                const void *da = nftnl_expr_get(a, t, &la), *db = nftnl_expr_get(b, t, &lb);
                if (!da || !db || la != lb || memcmp(da, db, la) != 0)
                        return false;
        }
        return true;
}

bool nft_rule_same(const struct nftnl_rule *a, const struct nftnl_rule *b) {
        _cleanup_(nftnl_expr_iter_destroyp) struct nftnl_expr_iter *ia = nftnl_expr_iter_create(a);
        _cleanup_(nftnl_expr_iter_destroyp) struct nftnl_expr_iter *ib = nftnl_expr_iter_create(b);

        if (!ia || !ib)
                return false;
        if (nftnl_rule_is_set(a, NFTNL_RULE_USERDATA) || nftnl_rule_is_set(b, NFTNL_RULE_USERDATA) ||
            nftnl_rule_is_set(a, NFTNL_RULE_COMPAT_PROTO) || nftnl_rule_is_set(b, NFTNL_RULE_COMPAT_PROTO))
                return false;
        for (;;) {
                struct nftnl_expr *ea = nftnl_expr_iter_next(ia), *eb = nftnl_expr_iter_next(ib);
                if (!ea || !eb)
                        return ea == eb;
                if (!expr_same(ea, eb))
                        return false;
        }
}

bool nft_rule_block_pattern(const struct nftnl_rule *r, int *ret_family, char ret_pattern[IFNAMSIZ + 1]) {
        _cleanup_(nftnl_expr_iter_destroyp) struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
        char pattern[IFNAMSIZ + 1] = "+";

        if (!it)
                return false;
        /* The pattern is read from the rule's first two expressions (meta iifname, cmp); the
         * rule is the block's when it is then exactly what apply would build for that pattern. */
        struct nftnl_expr *e = nftnl_expr_iter_next(it);
        if (e && streq(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "meta") &&
            nftnl_expr_is_set(e, NFTNL_EXPR_META_KEY) && nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY) == NFT_META_IIFNAME) {
                struct nftnl_expr *c = nftnl_expr_iter_next(it);
                uint32_t len = 0;
                const char *data;

                if (!c || !streq(nftnl_expr_get_str(c, NFTNL_EXPR_NAME), "cmp") ||
                    !(data = nftnl_expr_get(c, NFTNL_EXPR_CMP_DATA, &len)) || len == 0 || len > IFNAMSIZ)
                        return false;
                size_t n = strnlen(data, len);
                if (n == 0 || n >= IFNAMSIZ)
                        return false;
                if (len == IFNAMSIZ) /* an exact name, NUL-padded */
                        snprintf(pattern, sizeof(pattern), "%.*s", (int) n, data);
                else if (n == len)   /* a prefix */
                        snprintf(pattern, sizeof(pattern), "%.*s+", (int) n, data);
                else
                        return false;
        }
        for (int family = AF_INET; ; family = AF_INET6) {
                _cleanup_(nftnl_rule_freep) struct nftnl_rule *want = nft_block_rule(family, pattern);
                if (want && nft_rule_same(want, r)) {
                        *ret_family = family;
                        snprintf(ret_pattern, IFNAMSIZ + 1, "%s", pattern);
                        return true;
                }
                if (family == AF_INET6)
                        return false;
        }
}

void nft_rule_format(const struct nftnl_rule *r, char *buf, size_t size) {
        _cleanup_(nftnl_expr_iter_destroyp) struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
        size_t used = 0;

        buf[0] = '\0';
        if (!it)
                return;
        for (struct nftnl_expr *e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
                char text[256];
                if (nftnl_expr_snprintf(text, sizeof(text), e, NFTNL_OUTPUT_DEFAULT, 0) < 0)
                        text[0] = '\0';
                int k = snprintf(buf + used, size - used, "%s[ %s %s]", used ? " " : "",
                                 nftnl_expr_get_str(e, NFTNL_EXPR_NAME), text);
                if (k < 0 || (size_t) k >= size - used)
                        break;
                used += (size_t) k;
        }
}

/* ---- batches ---- */

static struct nlmsghdr *msg_start(char *buf, size_t size, size_t *off, uint16_t type, uint16_t flags, uint32_t seq) {
        if (size - *off < NFT_MSG_MAX)
                return NULL;
        return nftnl_nlmsg_build_hdr(buf + *off, type, NFPROTO_INET, flags, seq);
}

static void msg_end(struct nlmsghdr *nlh, size_t *off, unsigned *n) {
        *off += NLMSG_ALIGN(nlh->nlmsg_len);
        (*n)++;
}

static ssize_t batch_begin(char *buf, size_t size, uint32_t genid, uint32_t seq) {
        if (size < NFT_MSG_MAX)
                return -ENOBUFS;
        struct nlmsghdr *nlh = nftnl_batch_begin(buf, seq);
        /* The generation the batch was computed from: the kernel refuses the whole batch with
         * ERESTART when the ruleset changed since (nfnetlink's NFNL_BATCH_GENID). */
        mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
        return NLMSG_ALIGN(nlh->nlmsg_len);
}

static ssize_t batch_end(char *buf, size_t size, size_t off, uint32_t seq) {
        if (size - off < NFT_MSG_MAX)
                return -ENOBUFS;
        struct nlmsghdr *nlh = nftnl_batch_end(buf + off, seq);
        return (ssize_t) (off + NLMSG_ALIGN(nlh->nlmsg_len));
}

static struct nlmsghdr *msg_chain_ref(char *buf, size_t size, size_t *off, uint16_t type, uint32_t seq, bool rule) {
        struct nlmsghdr *nlh = msg_start(buf, size, off, type, NLM_F_ACK, seq);
        if (!nlh)
                return NULL;
        mnl_attr_put_strz(nlh, rule ? NFTA_RULE_TABLE : NFTA_CHAIN_TABLE, NFT_TABLE);
        mnl_attr_put_strz(nlh, rule ? NFTA_RULE_CHAIN : NFTA_CHAIN_NAME, NFT_CHAIN);
        return nlh;
}

size_t nft_block_batch_size(const struct block *b) {
        /* BEGIN, table, DELRULE + DELCHAIN, chain, DELRULE, the rules, END. */
        return (nft_block_n_rules(b) + 7) * NFT_MSG_MAX;
}

ssize_t nft_block_batch(const struct block *b, const struct nft_batch_plan *plan, uint32_t genid, uint32_t seq,
                        void *buf_, size_t size, unsigned *ret_n_msgs) {
        char *buf = buf_;
        struct nlmsghdr *nlh;
        unsigned n = 0;
        ssize_t k;
        size_t off;

        /* libmnl 1.0.4 does not zero attribute padding: nothing uninitialised goes to the kernel. */
        memset(buf, 0, size);
        k = batch_begin(buf, size, genid, seq);
        if (k < 0)
                return k;
        off = (size_t) k;

        _cleanup_(nftnl_table_freep) struct nftnl_table *t = nft_block_table();
        if (!t)
                return -ENOMEM;
        nlh = msg_start(buf, size, &off, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK, seq + 1 + n);
        if (!nlh)
                return -ENOBUFS;
        nftnl_table_nlmsg_build_payload(nlh, t);
        msg_end(nlh, &off, &n);

        if (plan->replace_chain) {
                /* A chain of that name with another hook cannot be updated in place; emptied and
                 * deleted first, it is created anew below, in the same transaction. */
                nlh = msg_chain_ref(buf, size, &off, NFT_MSG_DELRULE, seq + 1 + n, true);
                if (!nlh)
                        return -ENOBUFS;
                msg_end(nlh, &off, &n);
                nlh = msg_chain_ref(buf, size, &off, NFT_MSG_DELCHAIN, seq + 1 + n, false);
                if (!nlh)
                        return -ENOBUFS;
                msg_end(nlh, &off, &n);
        }

        if (!plan->chain_ok || plan->replace_chain) {
                _cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nft_block_chain();
                if (!c)
                        return -ENOMEM;
                nlh = msg_start(buf, size, &off, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK, seq + 1 + n);
                if (!nlh)
                        return -ENOBUFS;
                nftnl_chain_nlmsg_build_payload(nlh, c);
                msg_end(nlh, &off, &n);
        }

        if (plan->flush && !plan->replace_chain) {
                nlh = msg_chain_ref(buf, size, &off, NFT_MSG_DELRULE, seq + 1 + n, true);
                if (!nlh)
                        return -ENOBUFS;
                msg_end(nlh, &off, &n);
        }

        size_t first = plan->flush || plan->replace_chain ? 0 : plan->keep;
        for (size_t i = first; i < nft_block_n_rules(b); i++) {
                const char *pattern;
                int family;

                nft_block_rule_at(b, i, &family, &pattern);
                _cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nft_block_rule(family, pattern);
                if (!r)
                        return -ENOMEM;
                nlh = msg_start(buf, size, &off, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, seq + 1 + n);
                if (!nlh)
                        return -ENOBUFS;
                nftnl_rule_nlmsg_build_payload(nlh, r);
                msg_end(nlh, &off, &n);
        }

        *ret_n_msgs = n;
        return batch_end(buf, size, off, seq + 1 + n);
}

size_t nft_remove_batch_size(size_t n_handles) {
        /* BEGIN, DELTABLE or one DELRULE per handle, END. */
        return (n_handles + 3) * NFT_MSG_MAX;
}

ssize_t nft_remove_batch(bool table, const uint64_t *handles, size_t n_handles, uint32_t genid, uint32_t seq,
                         void *buf_, size_t size, unsigned *ret_n_msgs) {
        char *buf = buf_;
        struct nlmsghdr *nlh;
        unsigned n = 0;

        memset(buf, 0, size);
        ssize_t k = batch_begin(buf, size, genid, seq);
        if (k < 0)
                return k;
        size_t off = (size_t) k;

        if (table) {
                nlh = msg_start(buf, size, &off, NFT_MSG_DELTABLE, NLM_F_ACK, seq + 1);
                if (!nlh)
                        return -ENOBUFS;
                /* Always by name: a DELTABLE without one would flush every table of the family. */
                mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, NFT_TABLE);
                msg_end(nlh, &off, &n);
        } else
                for (size_t i = 0; i < n_handles; i++) {
                        /* By handle: a DELRULE without one would flush the chain. */
                        nlh = msg_chain_ref(buf, size, &off, NFT_MSG_DELRULE, seq + 1 + n, true);
                        if (!nlh)
                                return -ENOBUFS;
                        mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(handles[i]));
                        msg_end(nlh, &off, &n);
                }

        *ret_n_msgs = n;
        return batch_end(buf, size, off, seq + 1 + n);
}
