/* SPDX-License-Identifier: Apache-2.0 */
/* The nftables backend's objects and messages, without a kernel: build them, parse them back with
 * libnftnl (as libnftnl's own tests/nft-rule-test.c does) and compare the bytecode with what
 * `nft --debug=netlink` prints for the same rules (nftables 1.0.6, captured into GOLDEN_* below
 * from `nft --debug=netlink -f` of `table inet ecs_harden { chain forward { ... } }`). */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "fw/fw-nftables.h"
#include "fw/fw.h"
#include "test.h"
#include "lib/util.h"

/* iifname "docker*" ip daddr 169.254.169.254 drop */
static const char GOLDEN_DOCKER_V4[] =
        "inet ecs_harden forward\n"
        "  [ meta load iifname => reg 1 ]\n"
        "  [ cmp eq reg 1 0x6b636f64 0x00007265 ]\n"
        "  [ meta load nfproto => reg 1 ]\n"
        "  [ cmp eq reg 1 0x00000002 ]\n"
        "  [ payload load 4b @ network header + 16 => reg 1 ]\n"
        "  [ cmp eq reg 1 0xfea9fea9 ]\n"
        "  [ immediate reg 0 drop ]\n";

/* iifname "docker*" ip6 daddr fd00:ec2::254 drop */
static const char GOLDEN_DOCKER_V6[] =
        "inet ecs_harden forward\n"
        "  [ meta load iifname => reg 1 ]\n"
        "  [ cmp eq reg 1 0x6b636f64 0x00007265 ]\n"
        "  [ meta load nfproto => reg 1 ]\n"
        "  [ cmp eq reg 1 0x0000000a ]\n"
        "  [ payload load 16b @ network header + 24 => reg 1 ]\n"
        "  [ cmp eq reg 1 0xc20e00fd 0x00000000 0x00000000 0x54020000 ]\n"
        "  [ immediate reg 0 drop ]\n";

/* iifname "eth0" ip daddr 169.254.169.254 drop: an exact name compares all IFNAMSIZ bytes. */
static const char GOLDEN_ETH0_V4[] =
        "inet ecs_harden forward\n"
        "  [ meta load iifname => reg 1 ]\n"
        "  [ cmp eq reg 1 0x30687465 0x00000000 0x00000000 0x00000000 ]\n"
        "  [ meta load nfproto => reg 1 ]\n"
        "  [ cmp eq reg 1 0x00000002 ]\n"
        "  [ payload load 4b @ network header + 16 => reg 1 ]\n"
        "  [ cmp eq reg 1 0xfea9fea9 ]\n"
        "  [ immediate reg 0 drop ]\n";

/* iifname "br-*" ip6 daddr fd00:ec2::254 drop */
static const char GOLDEN_BR_V6[] =
        "inet ecs_harden forward\n"
        "  [ meta load iifname => reg 1 ]\n"
        "  [ cmp eq reg 1 0x002d7262 ]\n"
        "  [ meta load nfproto => reg 1 ]\n"
        "  [ cmp eq reg 1 0x0000000a ]\n"
        "  [ payload load 16b @ network header + 24 => reg 1 ]\n"
        "  [ cmp eq reg 1 0xc20e00fd 0x00000000 0x00000000 0x54020000 ]\n"
        "  [ immediate reg 0 drop ]\n";

/* ip daddr 169.254.169.254 drop: what "-i +" (any interface) becomes. */
static const char GOLDEN_ANY_V4[] =
        "inet ecs_harden forward\n"
        "  [ meta load nfproto => reg 1 ]\n"
        "  [ cmp eq reg 1 0x00000002 ]\n"
        "  [ payload load 4b @ network header + 16 => reg 1 ]\n"
        "  [ cmp eq reg 1 0xfea9fea9 ]\n"
        "  [ immediate reg 0 drop ]\n";

static const char *rule_text(const struct nftnl_rule *r) {
        static char buf[4096];
        nftnl_rule_snprintf(buf, sizeof(buf), r, NFTNL_OUTPUT_DEFAULT, 0);
        return buf;
}

/* Builds the NEWRULE message for R and parses it back into a new rule object. */
static struct nftnl_rule *round_trip(struct nftnl_rule *r) {
        char buf[8192];
        struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE | NLM_F_APPEND, 1);
        nftnl_rule_nlmsg_build_payload(nlh, r);

        struct nftnl_rule *p = nftnl_rule_alloc();
        if (!p)
                return NULL;
        if (nftnl_rule_nlmsg_parse(nlh, p) < 0) {
                nftnl_rule_free(p);
                return NULL;
        }
        return p;
}

static void check_rule(int family, const char *pattern, const char *golden, unsigned *failed) {
        struct nftnl_rule *r = nft_block_rule(family, pattern);
        struct nftnl_rule *p = r ? round_trip(r) : NULL;

        if (!r || !p || !streq(rule_text(r), golden) || !streq(rule_text(p), golden) || !nft_rule_same(r, p) ||
            !nft_rule_same(p, r)) {
                fprintf(stderr, "rule %s %s:\n%s\nexpected:\n%s\n", family == AF_INET6 ? "ipv6" : "ipv4", pattern,
                        r ? rule_text(r) : "(null)", golden);
                (*failed)++;
        }
        if (p && (nftnl_rule_get_u32(p, NFTNL_RULE_FAMILY) != NFPROTO_INET ||
                  !streq(nftnl_rule_get_str(p, NFTNL_RULE_TABLE), NFT_TABLE) ||
                  !streq(nftnl_rule_get_str(p, NFTNL_RULE_CHAIN), NFT_CHAIN)))
                (*failed)++;
        if (r)
                nftnl_rule_free(r);
        if (p)
                nftnl_rule_free(p);
}

TEST(rules_match_nft_debug_netlink) {
        unsigned failed = 0;

        check_rule(AF_INET, "docker+", GOLDEN_DOCKER_V4, &failed);
        check_rule(AF_INET6, "docker+", GOLDEN_DOCKER_V6, &failed);
        check_rule(AF_INET, "eth0", GOLDEN_ETH0_V4, &failed);
        check_rule(AF_INET6, "br-+", GOLDEN_BR_V6, &failed);
        check_rule(AF_INET, "+", GOLDEN_ANY_V4, &failed);
        ASSERT_INT_EQ(failed, 0);
}

TEST(rule_same_tells_rules_apart) {
        struct nftnl_rule *v4 = nft_block_rule(AF_INET, "docker+");
        struct nftnl_rule *v4b = nft_block_rule(AF_INET, "docker+");
        struct nftnl_rule *v6 = nft_block_rule(AF_INET6, "docker+");
        struct nftnl_rule *exact = nft_block_rule(AF_INET, "docker");   /* "docker" exactly, not a prefix */
        struct nftnl_rule *other = nft_block_rule(AF_INET, "docker0");
        struct nftnl_rule *any = nft_block_rule(AF_INET, "+");
        struct nftnl_rule *commented = nft_block_rule(AF_INET, "docker+");
        struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);

        ASSERT_TRUE(v4 && v4b && v6 && exact && other && any && commented && ud);
        ASSERT_TRUE(nftnl_udata_put_strz(ud, 0, "hand-made"));
        nftnl_rule_set_data(commented, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));

        ASSERT_TRUE(nft_rule_same(v4, v4b));
        ASSERT_FALSE(nft_rule_same(v4, v6));
        ASSERT_FALSE(nft_rule_same(v4, exact));
        ASSERT_FALSE(nft_rule_same(v4, other));
        ASSERT_FALSE(nft_rule_same(v4, any));
        ASSERT_FALSE(nft_rule_same(any, v4));
        ASSERT_FALSE(nft_rule_same(v4, commented));

        /* The same matches with another verdict are another rule. */
        struct nftnl_rule *accept = nft_block_rule(AF_INET, "docker+");
        ASSERT_TRUE(accept);
        struct nftnl_expr_iter *it = nftnl_expr_iter_create(accept);
        struct nftnl_expr *e, *last = NULL;
        while ((e = nftnl_expr_iter_next(it)))
                last = e;
        nftnl_expr_iter_destroy(it);
        nftnl_expr_set_u32(last, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
        ASSERT_FALSE(nft_rule_same(v4, accept));

        char text[1024];
        nft_rule_format(accept, text, sizeof(text));
        ASSERT_STR_EQ(text, "[ meta load iifname => reg 1 ] [ cmp eq reg 1 0x6b636f64 0x00007265 ] "
                            "[ meta load nfproto => reg 1 ] [ cmp eq reg 1 0x00000002 ] "
                            "[ payload load 4b @ network header + 16 => reg 1 ] [ cmp eq reg 1 0xfea9fea9 ] "
                            "[ immediate reg 0 accept ]");

        nftnl_rule_free(v4), nftnl_rule_free(v4b), nftnl_rule_free(v6), nftnl_rule_free(exact);
        nftnl_rule_free(other), nftnl_rule_free(any), nftnl_rule_free(commented), nftnl_rule_free(accept);
        nftnl_udata_buf_free(ud);
}

TEST(chain_and_table_round_trip) {
        char buf[8192];
        struct nftnl_chain *c = nft_block_chain(), *pc = nftnl_chain_alloc();
        struct nftnl_table *t = nft_block_table(), *pt = nftnl_table_alloc();
        struct nlmsghdr *nlh;

        ASSERT_TRUE(c && pc && t && pt);
        nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE, 1);
        nftnl_chain_nlmsg_build_payload(nlh, c);
        ASSERT_INT_EQ(nftnl_chain_nlmsg_parse(nlh, pc), 0);
        ASSERT_STR_EQ(nftnl_chain_get_str(pc, NFTNL_CHAIN_TABLE), "ecs_harden");
        ASSERT_STR_EQ(nftnl_chain_get_str(pc, NFTNL_CHAIN_NAME), "forward");
        ASSERT_STR_EQ(nftnl_chain_get_str(pc, NFTNL_CHAIN_TYPE), "filter");
        ASSERT_INT_EQ(nftnl_chain_get_u32(pc, NFTNL_CHAIN_HOOKNUM), NF_INET_FORWARD);
        ASSERT_INT_EQ(nftnl_chain_get_s32(pc, NFTNL_CHAIN_PRIO), -10);
        ASSERT_INT_EQ(nftnl_chain_get_u32(pc, NFTNL_CHAIN_POLICY), NF_ACCEPT);
        ASSERT_INT_EQ(nftnl_chain_get_u32(pc, NFTNL_CHAIN_FAMILY), NFPROTO_INET);
        /* nft --debug=netlink shows "type filter hook forward prio -10" for the chain of nft -f. */
        nftnl_chain_snprintf(buf, sizeof(buf), pc, NFTNL_OUTPUT_DEFAULT, 0);
        ASSERT_STR_EQ(buf, "inet ecs_harden forward use 0 type filter hook forward prio -10 policy accept packets 0 bytes 0");

        nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE, 1);
        nftnl_table_nlmsg_build_payload(nlh, t);
        ASSERT_INT_EQ(nftnl_table_nlmsg_parse(nlh, pt), 0);
        ASSERT_STR_EQ(nftnl_table_get_str(pt, NFTNL_TABLE_NAME), "ecs_harden");
        /* Flags are sent as 0, not left out: that is what wakes a dormant table. */
        ASSERT_TRUE(nftnl_table_is_set(pt, NFTNL_TABLE_FLAGS));
        ASSERT_INT_EQ(nftnl_table_get_u32(pt, NFTNL_TABLE_FLAGS), 0);

        nftnl_chain_free(c), nftnl_chain_free(pc), nftnl_table_free(t), nftnl_table_free(pt);
}

TEST(block_rule_order_is_pairs_per_pattern) {
        struct block b = { .ipv6 = true };
        const char *pattern;
        int family;

        ASSERT_INT_EQ(block_add_pattern(&b, "docker+", NULL), 0);
        ASSERT_INT_EQ(block_add_pattern(&b, "br-+", NULL), 0);
        ASSERT_INT_EQ(nft_block_n_rules(&b), 4);
        nft_block_rule_at(&b, 0, &family, &pattern);
        ASSERT_TRUE(family == AF_INET && streq(pattern, "docker+"));
        nft_block_rule_at(&b, 1, &family, &pattern);
        ASSERT_TRUE(family == AF_INET6 && streq(pattern, "docker+"));
        nft_block_rule_at(&b, 2, &family, &pattern);
        ASSERT_TRUE(family == AF_INET && streq(pattern, "br-+"));
        nft_block_rule_at(&b, 3, &family, &pattern);
        ASSERT_TRUE(family == AF_INET6 && streq(pattern, "br-+"));

        b.ipv6 = false;
        ASSERT_INT_EQ(nft_block_n_rules(&b), 2);
        nft_block_rule_at(&b, 1, &family, &pattern);
        ASSERT_TRUE(family == AF_INET && streq(pattern, "br-+"));
}

/* One message of a batch as the tests see it. */
struct msg {
        uint16_t type; /* NFT_MSG_* or the batch markers */
        uint16_t flags;
        uint32_t seq;
        const struct nlmsghdr *nlh;
};

static size_t split_batch(const void *buf, size_t len, struct msg *msgs, size_t max) {
        size_t n = 0;
        int left = (int) len;

        for (const struct nlmsghdr *nlh = buf; mnl_nlmsg_ok(nlh, left) && n < max; nlh = mnl_nlmsg_next(nlh, &left)) {
                uint16_t type = nlh->nlmsg_type;
                if (type != NFNL_MSG_BATCH_BEGIN && type != NFNL_MSG_BATCH_END)
                        type = NFNL_MSG_TYPE(type);
                msgs[n++] = (struct msg) { .type = type, .flags = nlh->nlmsg_flags, .seq = nlh->nlmsg_seq, .nlh = nlh };
        }
        return left == 0 ? n : 0;
}

static uint32_t begin_genid(const struct nlmsghdr *nlh) {
        const struct nlattr *a;
        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
                if (mnl_attr_get_type(a) == NFNL_BATCH_GENID)
                        return ntohl(mnl_attr_get_u32(a));
        return 0;
}

TEST(batch_fresh) {
        struct block b = { .ipv6 = true };
        struct nft_batch_plan plan = {};
        struct msg m[16];
        unsigned n_msgs = 0;
        char *buf;

        ASSERT_INT_EQ(block_add_pattern(&b, "docker+", NULL), 0);
        size_t size = nft_block_batch_size(&b);
        buf = malloc(size);
        ASSERT_TRUE(buf);
        ssize_t len = nft_block_batch(&b, &plan, 0x12345678, 1000, buf, size, &n_msgs);
        ASSERT_TRUE(len > 0);
        ASSERT_INT_EQ(n_msgs, 4);

        size_t n = split_batch(buf, (size_t) len, m, ELEMENTSOF(m));
        ASSERT_INT_EQ(n, 6);
        ASSERT_INT_EQ(m[0].type, NFNL_MSG_BATCH_BEGIN);
        ASSERT_INT_EQ(m[0].seq, 1000);
        ASSERT_INT_EQ(begin_genid(m[0].nlh), 0x12345678);
        const struct nfgenmsg *g = mnl_nlmsg_get_payload(m[0].nlh);
        ASSERT_INT_EQ(ntohs(g->res_id), NFNL_SUBSYS_NFTABLES);

        ASSERT_INT_EQ(m[1].type, NFT_MSG_NEWTABLE);
        ASSERT_INT_EQ(m[2].type, NFT_MSG_NEWCHAIN);
        ASSERT_INT_EQ(m[3].type, NFT_MSG_NEWRULE);
        ASSERT_INT_EQ(m[4].type, NFT_MSG_NEWRULE);
        ASSERT_INT_EQ(m[5].type, NFNL_MSG_BATCH_END);
        for (size_t i = 1; i < 5; i++) {
                /* One ACK per message, each with its own sequence number to map errors back. */
                ASSERT_INT_EQ(m[i].seq, 1000 + i);
                ASSERT_TRUE(m[i].flags & NLM_F_ACK);
                ASSERT_TRUE(m[i].flags & NLM_F_CREATE);
                /* Never EXCL: an existing table or chain is kept, not an error. */
                ASSERT_FALSE(m[i].flags & NLM_F_EXCL);
                ASSERT_FALSE(m[i].flags & NLM_F_REPLACE);
        }
        ASSERT_TRUE(m[3].flags & NLM_F_APPEND);
        ASSERT_INT_EQ(m[5].seq, 1005);

        /* The rules in the batch are exactly the block's, in order. */
        struct nftnl_rule *p = nftnl_rule_alloc();
        ASSERT_TRUE(p && nftnl_rule_nlmsg_parse(m[3].nlh, p) == 0);
        ASSERT_STR_EQ(rule_text(p), GOLDEN_DOCKER_V4);
        nftnl_rule_free(p);
        p = nftnl_rule_alloc();
        ASSERT_TRUE(p && nftnl_rule_nlmsg_parse(m[4].nlh, p) == 0);
        ASSERT_STR_EQ(rule_text(p), GOLDEN_DOCKER_V6);
        nftnl_rule_free(p);

        struct nftnl_chain *c = nftnl_chain_alloc();
        ASSERT_TRUE(c && nftnl_chain_nlmsg_parse(m[2].nlh, c) == 0);
        ASSERT_INT_EQ(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), -10);
        ASSERT_INT_EQ(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), NF_INET_FORWARD);
        nftnl_chain_free(c);
        free(buf);
}

TEST(batch_flush_and_replace) {
        struct block b = { .ipv6 = false };
        struct msg m[16];
        unsigned n_msgs = 0;
        char buf[16 * 1024];

        ASSERT_INT_EQ(block_add_pattern(&b, "docker+", NULL), 0);
        ASSERT_INT_EQ(block_add_pattern(&b, "eth0", NULL), 0);

        /* Existing chain with rules: the rules go in the same batch, the table stays. */
        struct nft_batch_plan flush = { .flush = true };
        ssize_t len = nft_block_batch(&b, &flush, 7, 50, buf, sizeof(buf), &n_msgs);
        ASSERT_TRUE(len > 0);
        size_t n = split_batch(buf, (size_t) len, m, ELEMENTSOF(m));
        ASSERT_INT_EQ(n, 7);
        ASSERT_INT_EQ(n_msgs, 5);
        ASSERT_INT_EQ(m[1].type, NFT_MSG_NEWTABLE);
        ASSERT_INT_EQ(m[2].type, NFT_MSG_NEWCHAIN);
        ASSERT_INT_EQ(m[3].type, NFT_MSG_DELRULE);
        ASSERT_INT_EQ(m[4].type, NFT_MSG_NEWRULE);
        ASSERT_INT_EQ(m[5].type, NFT_MSG_NEWRULE);
        for (size_t i = 0; i < n; i++)
                ASSERT_TRUE(m[i].type != NFT_MSG_DELTABLE && m[i].type != NFT_MSG_DELCHAIN);

        /* The flush names table and chain and no handle: every rule of that chain, nothing else. */
        struct nftnl_rule *p = nftnl_rule_alloc();
        ASSERT_TRUE(p && nftnl_rule_nlmsg_parse(m[3].nlh, p) == 0);
        ASSERT_STR_EQ(nftnl_rule_get_str(p, NFTNL_RULE_TABLE), "ecs_harden");
        ASSERT_STR_EQ(nftnl_rule_get_str(p, NFTNL_RULE_CHAIN), "forward");
        ASSERT_FALSE(nftnl_rule_is_set(p, NFTNL_RULE_HANDLE));
        nftnl_rule_free(p);
        p = nftnl_rule_alloc();
        ASSERT_TRUE(p && nftnl_rule_nlmsg_parse(m[5].nlh, p) == 0);
        ASSERT_STR_EQ(rule_text(p), GOLDEN_ETH0_V4);
        nftnl_rule_free(p);

        /* A chain with the wrong hook: emptied, deleted and created again, in the same batch. */
        struct nft_batch_plan replace = { .replace_chain = true, .flush = true };
        len = nft_block_batch(&b, &replace, 7, 50, buf, sizeof(buf), &n_msgs);
        ASSERT_TRUE(len > 0);
        n = split_batch(buf, (size_t) len, m, ELEMENTSOF(m));
        ASSERT_INT_EQ(n, 8);
        ASSERT_INT_EQ(m[1].type, NFT_MSG_NEWTABLE);
        ASSERT_INT_EQ(m[2].type, NFT_MSG_DELRULE);
        ASSERT_INT_EQ(m[3].type, NFT_MSG_DELCHAIN);
        ASSERT_INT_EQ(m[4].type, NFT_MSG_NEWCHAIN);
        ASSERT_INT_EQ(m[5].type, NFT_MSG_NEWRULE);
        ASSERT_INT_EQ(m[6].type, NFT_MSG_NEWRULE);
        struct nftnl_chain *c = nftnl_chain_alloc();
        ASSERT_TRUE(c && nftnl_chain_nlmsg_parse(m[3].nlh, c) == 0);
        ASSERT_STR_EQ(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), "forward");
        ASSERT_STR_EQ(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), "ecs_harden");
        nftnl_chain_free(c);

        /* Too small a buffer is an error, not an overflow. */
        ASSERT_INT_EQ(nft_block_batch(&b, &replace, 7, 50, buf, 1500, &n_msgs), -ENOBUFS);
}

TEST(batch_leaves_alone_what_is_right) {
        struct block b = { .ipv6 = true };
        struct msg m[16];
        unsigned n_msgs = 0;
        char buf[16 * 1024];

        ASSERT_INT_EQ(block_add_pattern(&b, "docker+", NULL), 0);

        /* The chain is right and holds the IPv4 rule: only the IPv6 rule is sent. Nothing is
         * changed or deleted, so nothing waits for an RCU grace period. */
        struct nft_batch_plan append = { .chain_ok = true, .keep = 1 };
        ssize_t len = nft_block_batch(&b, &append, 7, 60, buf, sizeof(buf), &n_msgs);
        ASSERT_TRUE(len > 0);
        size_t n = split_batch(buf, (size_t) len, m, ELEMENTSOF(m));
        ASSERT_INT_EQ(n, 4);
        ASSERT_INT_EQ(n_msgs, 2);
        ASSERT_INT_EQ(m[1].type, NFT_MSG_NEWTABLE);
        ASSERT_INT_EQ(m[2].type, NFT_MSG_NEWRULE);
        ASSERT_TRUE(m[2].flags & NLM_F_APPEND);
        struct nftnl_rule *p = nftnl_rule_alloc();
        ASSERT_TRUE(p && nftnl_rule_nlmsg_parse(m[2].nlh, p) == 0);
        ASSERT_STR_EQ(rule_text(p), GOLDEN_DOCKER_V6);
        nftnl_rule_free(p);

        /* An emptied chain (nft flush chain): the rules only. */
        struct nft_batch_plan refill = { .chain_ok = true };
        len = nft_block_batch(&b, &refill, 7, 60, buf, sizeof(buf), &n_msgs);
        n = split_batch(buf, (size_t) len, m, ELEMENTSOF(m));
        ASSERT_INT_EQ(n, 5);
        ASSERT_INT_EQ(m[2].type, NFT_MSG_NEWRULE);
        ASSERT_INT_EQ(m[3].type, NFT_MSG_NEWRULE);

        /* A flush overrides KEEP: everything is rewritten. */
        struct nft_batch_plan flush = { .chain_ok = true, .flush = true, .keep = 1 };
        len = nft_block_batch(&b, &flush, 7, 60, buf, sizeof(buf), &n_msgs);
        n = split_batch(buf, (size_t) len, m, ELEMENTSOF(m));
        ASSERT_INT_EQ(n, 6);
        ASSERT_INT_EQ(m[2].type, NFT_MSG_DELRULE);
        ASSERT_INT_EQ(m[3].type, NFT_MSG_NEWRULE);
        ASSERT_INT_EQ(m[4].type, NFT_MSG_NEWRULE);
}

TEST(batch_size_holds_the_largest_block) {
        struct block b = { .ipv6 = true };
        unsigned n_msgs = 0;

        for (unsigned i = 0; i < BLOCK_MAX_PATTERNS; i++) {
                char name[IFNAMSIZ];
                snprintf(name, sizeof(name), "veth%u_long+", i);
                ASSERT_INT_EQ(block_add_pattern(&b, name, NULL), 0);
        }
        size_t size = nft_block_batch_size(&b);
        char *buf = malloc(size);
        ASSERT_TRUE(buf);
        struct nft_batch_plan plan = { .replace_chain = true, .flush = true };
        ssize_t len = nft_block_batch(&b, &plan, 1, 1, buf, size, &n_msgs);
        free(buf);
        ASSERT_TRUE(len > 0);
        ASSERT_INT_EQ(n_msgs, 4 + 2 * BLOCK_MAX_PATTERNS);
}

TEST(remove_batch_deletes_only_the_table) {
        char buf[4096];
        struct msg m[8];
        unsigned n_msgs = 0;

        ssize_t len = nft_remove_batch(true, NULL, 0, 99, 10, buf, sizeof(buf), &n_msgs);
        ASSERT_TRUE(len > 0);
        ASSERT_INT_EQ(n_msgs, 1);
        size_t n = split_batch(buf, (size_t) len, m, ELEMENTSOF(m));
        ASSERT_INT_EQ(n, 3);
        ASSERT_INT_EQ(begin_genid(m[0].nlh), 99);
        ASSERT_INT_EQ(m[1].type, NFT_MSG_DELTABLE);
        ASSERT_TRUE(m[1].flags & NLM_F_ACK);
        ASSERT_INT_EQ(m[1].seq, 11);
        const struct nfgenmsg *g = mnl_nlmsg_get_payload(m[1].nlh);
        ASSERT_INT_EQ(g->nfgen_family, NFPROTO_INET);

        struct nftnl_table *t = nftnl_table_alloc();
        ASSERT_TRUE(t && nftnl_table_nlmsg_parse(m[1].nlh, t) == 0);
        /* Without a name the kernel would delete every inet table. */
        ASSERT_STR_EQ(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "ecs_harden");
        nftnl_table_free(t);
}

/* When the table holds anything besides the block, remove deletes the block's rules one by one,
 * by handle, in one generation-checked batch, and nothing else: no DELTABLE, no DELCHAIN, and
 * never a DELRULE without a handle (which would flush the chain). */
TEST(remove_batch_deletes_rules_by_handle) {
        const uint64_t handles[] = { 4, 7, 1ULL << 40 };
        struct msg m[8];
        unsigned n_msgs = 0;

        size_t size = nft_remove_batch_size(ELEMENTSOF(handles));
        char *buf = malloc(size);
        ASSERT_TRUE(buf);
        ssize_t len = nft_remove_batch(false, handles, ELEMENTSOF(handles), 42, 100, buf, size, &n_msgs);
        ASSERT_TRUE(len > 0);
        ASSERT_INT_EQ(n_msgs, 3);
        size_t n = split_batch(buf, (size_t) len, m, ELEMENTSOF(m));
        ASSERT_INT_EQ(n, 5);
        ASSERT_INT_EQ(m[0].type, NFNL_MSG_BATCH_BEGIN);
        ASSERT_INT_EQ(begin_genid(m[0].nlh), 42);
        ASSERT_INT_EQ(m[4].type, NFNL_MSG_BATCH_END);
        for (size_t i = 0; i < ELEMENTSOF(handles); i++) {
                const struct msg *x = &m[1 + i];
                ASSERT_INT_EQ(x->type, NFT_MSG_DELRULE);
                ASSERT_INT_EQ(x->seq, 101 + i);
                ASSERT_TRUE(x->flags & NLM_F_ACK);
                struct nftnl_rule *r = nftnl_rule_alloc();
                ASSERT_TRUE(r && nftnl_rule_nlmsg_parse(x->nlh, r) == 0);
                ASSERT_INT_EQ(nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY), NFPROTO_INET);
                ASSERT_STR_EQ(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), "ecs_harden");
                ASSERT_STR_EQ(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), "forward");
                ASSERT_TRUE(nftnl_rule_is_set(r, NFTNL_RULE_HANDLE));
                ASSERT_TRUE(nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE) == handles[i]);
                nftnl_rule_free(r);
        }
        /* A buffer too small is refused, not overrun. */
        ASSERT_INT_EQ(nft_remove_batch(false, handles, ELEMENTSOF(handles), 42, 100, buf, 64, &n_msgs), -ENOBUFS);
        free(buf);
}

/* Rules as nft builds them (nft --debug=netlink), to judge what stands ahead of the block. */
static struct nftnl_rule *rule_new(void) {
        struct nftnl_rule *r = nftnl_rule_alloc();
        if (!r)
                abort();
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
        return r;
}

static void rule_add(struct nftnl_rule *r, struct nftnl_expr *e) {
        if (!e)
                abort();
        nftnl_rule_add_expr(r, e);
}

static struct nftnl_expr *expr_iifname(void) {
        struct nftnl_expr *e = nftnl_expr_alloc("meta");
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_IIFNAME);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
        return e;
}

static struct nftnl_expr *expr_lookup(const char *set, bool verdict_map) {
        struct nftnl_expr *e = nftnl_expr_alloc("lookup");
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
        nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
        if (verdict_map)
                nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
        return e;
}

static struct nftnl_expr *expr_verdict(int verdict, const char *chain) {
        struct nftnl_expr *e = nftnl_expr_alloc("immediate");
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t) verdict);
        if (chain)
                nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
        return e;
}

static bool can_pass(struct nftnl_rule *r, const char *why_contains) {
        char whybuf[256];
        const char *why = NULL;
        /* Judged as the kernel returns it: through a message and back. */
        struct nftnl_rule *p = round_trip(r);
        if (!p)
                abort();
        bool harmful = nft_rule_can_pass(p, whybuf, sizeof(whybuf), &why);
        if (!why || !strstr(why, why_contains)) {
                fprintf(stderr, "why: %s, expected it to contain \"%s\"\n", why ? why : "(null)", why_contains);
                harmful = !harmful; /* make the assertion fail */
        }
        nftnl_rule_free(p);
        nftnl_rule_free(r);
        return harmful;
}

TEST(rules_ahead_that_can_pass) {
        struct nftnl_rule *r;

        /* iifname vmap { "docker0" : accept }: [ lookup reg 1 set __map0 dreg 0 ] */
        r = rule_new();
        rule_add(r, expr_iifname());
        rule_add(r, expr_lookup("__map0", true));
        ASSERT_TRUE(can_pass(r, "verdict map __map0"));

        /* iifname @names counter: a set lookup only matches. */
        r = rule_new();
        rule_add(r, expr_iifname());
        rule_add(r, expr_lookup("names", false));
        rule_add(r, nftnl_expr_alloc("counter"));
        ASSERT_FALSE(can_pass(r, "no verdict"));

        /* iifname @names drop */
        r = rule_new();
        rule_add(r, expr_iifname());
        rule_add(r, expr_lookup("names", false));
        rule_add(r, expr_verdict(NF_DROP, NULL));
        ASSERT_FALSE(can_pass(r, "drops"));

        r = rule_new();
        rule_add(r, expr_iifname());
        rule_add(r, expr_verdict(NF_ACCEPT, NULL));
        ASSERT_TRUE(can_pass(r, "accepts"));

        r = rule_new();
        rule_add(r, expr_verdict(NFT_JUMP, "mine"));
        ASSERT_TRUE(can_pass(r, "jumps to chain mine"));

        r = rule_new();
        rule_add(r, expr_verdict(NFT_GOTO, "mine"));
        ASSERT_TRUE(can_pass(r, "goes to chain mine"));

        r = rule_new();
        rule_add(r, expr_verdict(NFT_RETURN, NULL));
        ASSERT_TRUE(can_pass(r, "returns"));

        /* queue: the packet goes to user space, which may accept it. */
        r = rule_new();
        struct nftnl_expr *q = nftnl_expr_alloc("queue");
        nftnl_expr_set_u16(q, NFTNL_EXPR_QUEUE_NUM, 1);
        rule_add(r, q);
        ASSERT_TRUE(can_pass(r, "queue"));

        /* flow add @ft: offloaded flows skip the forward hook altogether. */
        r = rule_new();
        struct nftnl_expr *fo = nftnl_expr_alloc("flow_offload");
        nftnl_expr_set_str(fo, NFTNL_EXPR_FLOW_TABLE_NAME, "ft");
        rule_add(r, fo);
        ASSERT_TRUE(can_pass(r, "flow_offload"));
}

TEST(print_rules_nft_syntax) {
        struct block b = { .ipv6 = true };
        char *text = NULL;
        size_t size = 0;

        ASSERT_INT_EQ(block_add_pattern(&b, "docker+", NULL), 0);
        ASSERT_INT_EQ(block_add_pattern(&b, "eth0", NULL), 0);
        FILE *f = open_memstream(&text, &size);
        ASSERT_TRUE(f);
        ASSERT_INT_EQ(fw_print_rules(FW_BACKEND_NFTABLES, &b, f), 0);
        fclose(f);
        ASSERT_STR_EQ(text,
                      "#!/usr/sbin/nft -f\n"
                      "# ecs-harden: keep containers away from the EC2 instance metadata service\n"
                      "table inet ecs_harden\n"
                      "flush table inet ecs_harden\n"
                      "table inet ecs_harden {\n"
                      "\tchain forward {\n"
                      "\t\ttype filter hook forward priority filter - 10; policy accept;\n"
                      "\t\tiifname \"docker*\" ip daddr 169.254.169.254 drop\n"
                      "\t\tiifname \"docker*\" ip6 daddr fd00:ec2::254 drop\n"
                      "\t\tiifname \"eth0\" ip daddr 169.254.169.254 drop\n"
                      "\t\tiifname \"eth0\" ip6 daddr fd00:ec2::254 drop\n"
                      "\t}\n"
                      "}\n");
        free(text);
}
