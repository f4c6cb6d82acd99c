/* SPDX-License-Identifier: Apache-2.0 */
/* The nftables backend: the block as the tool's own table, `table inet ecs_harden`, with one base
 * chain `forward` (filter, hook forward, priority filter - 10, policy accept). A drop in any base
 * chain is final, so the block does not depend on what Docker does to its own tables.
 *
 * apply reads the ruleset generation and the table back; when the table already holds exactly
 * the block it sends nothing. Otherwise one batch declares the table and chain, flushes the
 * chain and appends the rules: atomic, and carrying the generation it was computed from, so that
 * a concurrent writer makes the kernel refuse it (ERESTART) and we recompute instead of
 * clobbering. The table is never deleted to be replaced (the kernel takes ~16 ms for that), and
 * what is already right is left out of the batch: whatever a batch changes or deletes is freed
 * after an RCU grace period, which the kernel makes the closing socket wait for. */
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
#include "fw/nft-print.h"
#include "lib/util.h"

#define APPLY_ATTEMPTS 10
#define READ_ATTEMPTS 10
#define RECV_TIMEOUT_S 5
/* The kernel sizes a dump part after our receive buffer, capped at 32 KiB. */
#define RECV_BUF_SIZE (64 * 1024)


/* ---- the netlink connection ---- */

struct conn {
        struct mnl_socket *nl;
        uint32_t portid;
        uint32_t seq;
        uint32_t genid;
        bool check_genid; /* replies must come from generation GENID (16 bits in res_id) */
        char *buf;
};

static void conn_close(struct conn *c) {
        if (c->nl)
                mnl_socket_close(c->nl);
        free(c->buf);
        *c = (struct conn) {};
}

static int conn_open(struct conn *c) {
        struct timeval tv = { .tv_sec = RECV_TIMEOUT_S };
        int r;

        *c = (struct conn) {};
        c->nl = mnl_socket_open(NETLINK_NETFILTER);
        if (!c->nl) {
                r = negative_errno();
                /* No nfnetlink in this kernel at all. */
                return r == -EPROTONOSUPPORT || r == -EAFNOSUPPORT ? -EPROTONOSUPPORT : r;
        }
        if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                r = negative_errno();
                conn_close(c);
                return r;
        }
        /* A bound on every receive: the boot path must never hang on the kernel. */
        (void) setsockopt(mnl_socket_get_fd(c->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        c->buf = malloc(RECV_BUF_SIZE);
        if (!c->buf) {
                conn_close(c);
                return -ENOMEM;
        }
        c->portid = mnl_socket_get_portid(c->nl);
        c->seq = (uint32_t) time(NULL);
        return 0;
}

static int recv_errno(void) {
        return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : negative_errno();
}

/* Sends one request (ACK asked for, or a dump) and feeds every reply to CB until the ACK, the
 * end of the dump or an error; the kernel's error comes back as negative errno. */
static int conn_request(struct conn *c, const struct nlmsghdr *nlh, mnl_cb_t cb, void *data) {
        if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
                return negative_errno();
        for (;;) {
                ssize_t n = mnl_socket_recvfrom(c->nl, c->buf, RECV_BUF_SIZE);
                if (n < 0)
                        return recv_errno();
                int r = mnl_cb_run(c->buf, (size_t) n, nlh->nlmsg_seq, c->portid, cb, data);
                if (r < 0)
                        return negative_errno();
                if (r == MNL_CB_STOP)
                        return 0;
        }
}

static bool reply_genid_ok(const struct conn *c, const struct nlmsghdr *nlh) {
        const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
        return !c->check_genid || ntohs(g->res_id) == (c->genid & 0xffff);
}

struct gen_reply {
        struct conn *conn;
        bool got;
};

static int gen_cb(const struct nlmsghdr *nlh, void *data) {
        struct gen_reply *g = data;
        _cleanup_(nftnl_gen_freep) struct nftnl_gen *gen = nftnl_gen_alloc();

        if (!gen)
                return MNL_CB_ERROR;
        if (nftnl_gen_nlmsg_parse(nlh, gen) < 0 || !nftnl_gen_is_set(gen, NFTNL_GEN_ID)) {
                errno = EBADMSG;
                return MNL_CB_ERROR;
        }
        g->conn->genid = nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
        g->got = true;
        return MNL_CB_OK;
}

static int conn_read_genid(struct conn *c) {
        char buf[NFT_MSG_MAX] = {};
        struct gen_reply g = { .conn = c };

        struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, ++c->seq);
        int r = conn_request(c, nlh, gen_cb, &g);
        if (r == -EINVAL || r == -EOPNOTSUPP || r == -ENOENT)
                /* nfnetlink answers EINVAL for a subsystem it cannot load: no nf_tables. */
                return -EPROTONOSUPPORT;
        if (r < 0)
                return r;
        if (!g.got)
                return -EBADMSG;
        c->check_genid = true;
        return 0;
}

int nft_read_genid(uint32_t *ret) {
        struct conn c;
        int r = conn_open(&c);
        if (r < 0)
                return r;
        r = conn_read_genid(&c);
        if (r >= 0)
                *ret = c.genid;
        conn_close(&c);
        return r;
}

/* Reads every reply to one batch: an ACK (or error) per message, mapped back by sequence number,
 * or one error for the batch as a whole on BEGIN's sequence number. mnl_cb_run() would stop at
 * the first ACK, so the messages are walked here. */
static int conn_batch(struct conn *c, const void *buf, size_t len, uint32_t seq, unsigned n_msgs, int *ret_failed) {
        unsigned acked = 0;
        int first_error = 0, failed = -1;

        if (mnl_socket_sendto(c->nl, buf, len) < 0)
                return negative_errno();

        while (acked < n_msgs) {
                ssize_t n = mnl_socket_recvfrom(c->nl, c->buf, RECV_BUF_SIZE);
                if (n < 0)
                        return recv_errno();
                int left = (int) n;
                for (const struct nlmsghdr *nlh = (const void *) c->buf; mnl_nlmsg_ok(nlh, left);
                     nlh = mnl_nlmsg_next(nlh, &left)) {
                        if (nlh->nlmsg_pid != c->portid || nlh->nlmsg_type != NLMSG_ERROR)
                                continue;
                        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
                                return -EBADMSG;
                        const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
                        uint32_t s = nlh->nlmsg_seq;
                        if (s == seq) {
                                /* The batch as a whole: permission, generation, commit. */
                                if (ret_failed)
                                        *ret_failed = -1;
                                return e->error < 0 ? e->error : -EPROTO;
                        }
                        if (s <= seq || s > seq + n_msgs)
                                continue; /* not ours: a late answer to something else */
                        acked++;
                        if (e->error < 0 && first_error == 0) {
                                first_error = e->error;
                                failed = (int) (s - seq - 1);
                        }
                }
        }
        if (ret_failed)
                *ret_failed = failed;
        return first_error;
}

int nft_send_batch(const void *buf, size_t len, uint32_t seq, unsigned n_msgs, int *ret_failed) {
        struct conn c;
        int r = conn_open(&c);
        if (r < 0)
                return r;
        r = conn_batch(&c, buf, len, seq, n_msgs, ret_failed);
        conn_close(&c);
        return r;
}

/* ---- reading the table back ---- */

struct state {
        bool table;
        bool dormant;
        bool owned;             /* flags owner: only the netlink socket that made it may change it */
        bool table_comment;     /* user data (`comment`) on the table */
        bool use_known;
        uint32_t use;           /* the table's chains, named sets, objects, flowtables */
        bool chain;
        bool chain_hook_ok;     /* base chain, type filter, hook forward, priority -10 */
        bool chain_policy_ok;   /* policy accept */
        bool chain_comment;
        char chain_desc[128];   /* what the chain is when it is not the block's */
        struct nftnl_rule **rules;
        size_t n_rules, n_alloc;
};

static void state_done(struct state *s) {
        for (size_t i = 0; i < s->n_rules; i++)
                nftnl_rule_free(s->rules[i]);
        free(s->rules);
        *s = (struct state) {};
}

struct read_ctx {
        struct conn *conn;
        struct state *state;
};

static int table_cb(const struct nlmsghdr *nlh, void *data) {
        struct read_ctx *x = data;
        _cleanup_(nftnl_table_freep) struct nftnl_table *t = nftnl_table_alloc();

        if (!reply_genid_ok(x->conn, nlh)) {
                errno = EINTR;
                return MNL_CB_ERROR;
        }
        if (!t || nftnl_table_nlmsg_parse(nlh, t) < 0)
                return MNL_CB_ERROR;
        uint32_t flags = nftnl_table_is_set(t, NFTNL_TABLE_FLAGS) ? nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS) : 0;
        x->state->table = true;
        x->state->dormant = flags & NFT_TABLE_F_DORMANT;
        x->state->owned = flags & NFT_TABLE_F_OWNER;
        x->state->table_comment = nftnl_table_is_set(t, NFTNL_TABLE_USERDATA);
        x->state->use_known = nftnl_table_is_set(t, NFTNL_TABLE_USE);
        if (x->state->use_known)
                x->state->use = nftnl_table_get_u32(t, NFTNL_TABLE_USE);
        return MNL_CB_OK;
}

static const char *hook_name(uint32_t hook) {
        static const char *const names[] = {
                [NF_INET_PRE_ROUTING] = "prerouting", [NF_INET_LOCAL_IN] = "input", [NF_INET_FORWARD] = "forward",
                [NF_INET_LOCAL_OUT] = "output",       [NF_INET_POST_ROUTING] = "postrouting",
                [NF_INET_INGRESS] = "ingress",
        };
        return hook < ELEMENTSOF(names) && names[hook] ? names[hook] : "?";
}

static int chain_cb(const struct nlmsghdr *nlh, void *data) {
        struct read_ctx *x = data;
        struct state *s = x->state;
        _cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();

        if (!reply_genid_ok(x->conn, nlh)) {
                errno = EINTR;
                return MNL_CB_ERROR;
        }
        if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0)
                return MNL_CB_ERROR;

        s->chain = true;
        s->chain_comment = nftnl_chain_is_set(c, NFTNL_CHAIN_USERDATA);
        if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
                snprintf(s->chain_desc, sizeof(s->chain_desc), "a regular chain, not a base chain");
                return MNL_CB_OK;
        }
        uint32_t hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
        int32_t prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
        const char *type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);

        s->chain_hook_ok = hook == NF_INET_FORWARD && prio == NFT_CHAIN_PRIO && type && streq(type, NFT_CHAIN_TYPE);
        s->chain_policy_ok = !nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ||
                             nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_ACCEPT;
        snprintf(s->chain_desc, sizeof(s->chain_desc), "type %s hook %s priority %d policy %s", strempty(type),
                 hook_name(hook), prio, s->chain_policy_ok ? "accept" : "drop");
        return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data) {
        struct read_ctx *x = data;
        struct state *s = x->state;
        _cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();

        if (!reply_genid_ok(x->conn, nlh)) {
                errno = EINTR;
                return MNL_CB_ERROR;
        }
        if (!r || nftnl_rule_nlmsg_parse(nlh, r) < 0)
                return MNL_CB_ERROR;
        /* The kernel filters the dump by table and chain; an old one may not: check again. */
        if (nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY) != NFPROTO_INET ||
            !streq_ptr(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), NFT_TABLE) ||
            !streq_ptr(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), NFT_CHAIN))
                return MNL_CB_OK;
        if (s->n_rules == s->n_alloc) {
                size_t na = s->n_alloc ? s->n_alloc * 2 : 16;
                struct nftnl_rule **nr = realloc(s->rules, na * sizeof(*nr));
                if (!nr) {
                        errno = ENOMEM;
                        return MNL_CB_ERROR;
                }
                s->rules = nr;
                s->n_alloc = na;
        }
        s->rules[s->n_rules++] = TAKE_PTR(r);
        return MNL_CB_OK;
}

static int state_read_once(struct conn *c, struct state *s) {
        char buf[NFT_MSG_MAX] = {};
        struct read_ctx x = { .conn = c, .state = s };
        struct nlmsghdr *nlh;
        int r;

        *s = (struct state) {};
        r = conn_read_genid(c);
        if (r < 0)
                return r;

        nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, ++c->seq);
        mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, NFT_TABLE);
        r = conn_request(c, nlh, table_cb, &x);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;

        nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_ACK, ++c->seq);
        mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, NFT_TABLE);
        mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, NFT_CHAIN);
        r = conn_request(c, nlh, chain_cb, &x);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;

        /* A dump filtered in the kernel by table and chain: its cost does not grow with the
         * rules of other tables. */
        nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, ++c->seq);
        mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, NFT_TABLE);
        mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, NFT_CHAIN);
        return conn_request(c, nlh, rule_cb, &x);
}

/* Reads generation, table, chain and rules as one consistent picture: a reply from another
 * generation (a writer came in between) starts the reading over. */
static int state_read(struct conn *c, struct state *s) {
        int r = -EINTR;
        for (unsigned attempt = 0; r == -EINTR && attempt < READ_ATTEMPTS; attempt++) {
                if (attempt > 0) {
                        /* An interrupted dump may leave replies behind: start on a new socket. */
                        state_done(s);
                        conn_close(c);
                        r = conn_open(c);
                        if (r < 0)
                                return r;
                }
                r = state_read_once(c, s);
        }
        if (r < 0)
                state_done(s);
        return r == -EINTR ? -EAGAIN : r;
}

/* The chain's rules count only when they run: the table awake and the chain the block's base
 * chain. */
static bool state_chain_runs(const struct state *s) {
        return s->table && !s->dormant && s->chain && s->chain_hook_ok;
}

/* ---- judging ---- */

struct expected {
        struct nftnl_rule *rules[BLOCK_MAX_PATTERNS * 2];
        size_t n;
};

static void expected_done(struct expected *e) {
        for (size_t i = 0; i < e->n; i++)
                nftnl_rule_free(e->rules[i]);
        e->n = 0;
}

static int expected_build(const struct block *b, struct expected *ret) {
        *ret = (struct expected) {};
        for (size_t i = 0; i < nft_block_n_rules(b); i++) {
                const char *pattern;
                int family;

                nft_block_rule_at(b, i, &family, &pattern);
                ret->rules[i] = nft_block_rule(family, pattern);
                if (!ret->rules[i]) {
                        expected_done(ret);
                        return -ENOMEM;
                }
                ret->n = i + 1;
        }
        return 0;
}

static bool is_block_rule(const struct expected *e, const struct nftnl_rule *r) {
        for (size_t i = 0; i < e->n; i++)
                if (nft_rule_same(e->rules[i], r))
                        return true;
        return false;
}

/* How many of the block's rules the chain holds as its first rules, in order, with nothing else;
 * SIZE_MAX when it holds anything else. */
static size_t state_block_prefix(const struct state *s, const struct expected *e) {
        if (s->n_rules > e->n)
                return SIZE_MAX;
        for (size_t i = 0; i < s->n_rules; i++)
                if (!nft_rule_same(e->rules[i], s->rules[i]))
                        return SIZE_MAX;
        return s->n_rules;
}

static bool state_is_block(const struct state *s, const struct expected *e) {
        return state_chain_runs(s) && s->chain_policy_ok && state_block_prefix(s, e) == e->n;
}

static void state_plan(const struct state *s, const struct expected *e, struct nft_batch_plan *ret) {
        bool chain_usable = s->table && s->chain && s->chain_hook_ok;
        size_t prefix = chain_usable ? state_block_prefix(s, e) : SIZE_MAX;

        *ret = (struct nft_batch_plan) {
                .replace_chain = s->table && s->chain && !s->chain_hook_ok,
                .chain_ok = chain_usable && s->chain_policy_ok,
                .flush = chain_usable && s->n_rules > 0 && prefix == SIZE_MAX,
                .keep = prefix == SIZE_MAX ? 0 : prefix,
        };
}

bool nft_rule_can_pass(const struct nftnl_rule *r, char *whybuf, size_t size, const char **why) {
        static const char *const matches[] = {
                "meta", "cmp", "counter", "log", "limit", "quota", "bitwise", "byteorder", "range", "lookup",
                "ct", "objref", "dynset", "socket", "fib", "rt", "numgen", "hash", "last", "connlimit", "xfrm",
                "osf", "notrack", "match", "dup",
        };
        _cleanup_(nftnl_expr_iter_destroyp) struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);

        if (!it) {
                *why = "it could not be read";
                return true;
        }
        for (struct nftnl_expr *e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
                const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
                bool known = false;

                if (streq(name, "immediate") && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
                        int v = (int) nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
                        switch (v) {
                        case NF_DROP:
                                *why = "it drops the packet too";
                                return false;
                        case NF_ACCEPT:
                                *why = "it accepts the packet, which ends this chain before the block's drop";
                                return true;
                        case NFT_RETURN:
                                *why = "it returns to the chain's policy, accept";
                                return true;
                        case NFT_JUMP:
                        case NFT_GOTO:
                                snprintf(whybuf, size, "it %s chain %s, which may accept the packet",
                                         v == NFT_JUMP ? "jumps to" : "goes to",
                                         strempty(nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN)));
                                *why = whybuf;
                                return true;
                        case NFT_CONTINUE:
                        case NFT_BREAK:
                                continue;
                        default:
                                *why = "its verdict may let the packet through";
                                return true;
                        }
                }
                if (streq(name, "immediate"))
                        continue;
                /* The kernel lets only verdict data into the verdict register, and besides
                 * immediate only a lookup in a verdict map stores any: `iifname vmap { "docker0" :
                 * accept }` ends the chain with whatever verdict the map holds for the packet.
                 * A lookup without a destination register (a set) only matches. */
                if (streq(name, "lookup") && nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG) &&
                    nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_DREG) == NFT_REG_VERDICT) {
                        snprintf(whybuf, size, "it looks up verdict map %s, whose verdicts (accept, jump, goto) "
                                 "may let the packet through", strempty(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET)));
                        *why = whybuf;
                        return true;
                }
                if (streq(name, "reject")) {
                        *why = "it rejects the packet";
                        return false;
                }
                if ((streq(name, "payload") && nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_SREG)) ||
                    (streq(name, "exthdr") && nftnl_expr_is_set(e, NFTNL_EXPR_EXTHDR_SREG))) {
                        *why = "it rewrites the packet, which may move it past the block's match";
                        return true;
                }
                if (streq(name, "payload") || streq(name, "exthdr"))
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(matches); i++)
                        if (streq(name, matches[i]))
                                known = true;
                if (!known) {
                        snprintf(whybuf, size, "its %s statement may let the packet through", name);
                        *why = whybuf;
                        return true;
                }
        }
        *why = "it has no verdict";
        return false;
}

/* The block on this host: the configured one B, plus every block rule installed in our chain,
 * whatever its pattern (and IPv6 when an IPv6 block rule is installed), in the order the chain
 * holds them first, so that a chain this tool wrote reads back as exactly the block. */
static void block_union(const struct state *s, const struct block *b, struct block *ret) {
        *ret = (struct block) { .ipv6 = b->ipv6 };
        for (size_t i = 0; i < s->n_rules; i++) {
                char pattern[IFNAMSIZ + 1];
                int family;

                if (!nft_rule_block_pattern(s->rules[i], &family, pattern))
                        continue;
                (void) block_add_pattern(ret, pattern, NULL);
                if (family == AF_INET6)
                        ret->ipv6 = true;
        }
        for (size_t i = 0; i < b->n_patterns; i++)
                (void) block_add_pattern(ret, b->patterns[i], NULL);
}

static bool block_configures(const struct block *b, int family, const char *pattern) {
        if (family == AF_INET6 && !b->ipv6)
                return false;
        for (size_t i = 0; i < b->n_patterns; i++)
                if (streq(b->patterns[i], pattern))
                        return true;
        return false;
}

/* remove takes the whole table (every rule of the block, both families, and the table itself),
 * in one DELTABLE: what it counts are the block's rules in it. */
static size_t removal_count(const struct state *s) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_rules; i++) {
                char pattern[IFNAMSIZ + 1];
                int family;
                if (nft_rule_block_pattern(s->rules[i], &family, pattern))
                        n++;
        }
        return n;
}

static int drift_add(char **drift, const char *text) {
        char *n;
        if (asprintf(&n, "%s%s%s", strempty(*drift), *drift ? "; " : "", text) < 0)
                return -ENOMEM;
        free(*drift);
        *drift = n;
        return 0;
}

static int judge(const struct state *s, const struct expected *e, const struct block *b, const struct block *configured,
                 struct fw_status *st) {
        _cleanup_(nft_rules_text_freep) struct nft_rules_text *listing = NULL;
        bool runs = state_chain_runs(s), listing_failed = false;
        size_t foreign = 0;
        int r;

        if (s->table && s->dormant && drift_add(&st->drift, "table inet " NFT_TABLE " is dormant: its chains do not run") < 0)
                return -ENOMEM;
        if (s->table && !s->dormant && s->chain && !s->chain_hook_ok) {
                char text[256];
                snprintf(text, sizeof(text), "chain " NFT_WHERE " is %s, not the block's base chain (type filter hook "
                         "forward priority filter - 10)", s->chain_desc);
                if (drift_add(&st->drift, text) < 0)
                        return -ENOMEM;
        }
        if (runs && !s->chain_policy_ok &&
            drift_add(&st->drift, "chain " NFT_WHERE " has policy drop, so it drops all forwarded traffic") < 0)
                return -ENOMEM;
        if (runs)
                for (size_t i = 0; i < s->n_rules; i++)
                        if (!is_block_rule(e, s->rules[i]))
                                foreign++;
        if (foreign > 0) {
                char text[256];
                snprintf(text, sizeof(text), "%zu rule%s in " NFT_WHERE " %s not the block's; apply rewrites the chain",
                         foreign, foreign == 1 ? "" : "s", foreign == 1 ? "is" : "are");
                if (drift_add(&st->drift, text) < 0)
                        return -ENOMEM;
        }

        if (s->table) {
                size_t others = s->n_rules - removal_count(s);
                int k = others > 0 ? asprintf(&st->remove_note, "delete table inet " NFT_TABLE " with %zu other rule%s",
                                              others, others == 1 ? "" : "s")
                                   : asprintf(&st->remove_note, "delete table inet " NFT_TABLE);
                if (k < 0) {
                        st->remove_note = NULL;
                        return -ENOMEM;
                }
        }

        /* Reported in the same order as the iptables backend: by family, then pattern. */
        for (size_t f = 0; f < block_n_families(b); f++)
                for (size_t p = 0; p < b->n_patterns; p++) {
                        int family = block_family(b, f);
                        struct fw_rule_status *rs = &st->rules[st->n_rules++];
                        const struct nftnl_rule *want = e->rules[p * block_n_families(b) + f];

                        rs->family = family;
                        snprintf(rs->pattern, sizeof(rs->pattern), "%s", b->patterns[p]);
                        rs->configured = block_configures(configured, family, b->patterns[p]);
                        /* remove takes them whether the chain runs or not. */
                        for (size_t i = 0; i < s->n_rules; i++)
                                if (nft_rule_same(want, s->rules[i]))
                                        rs->removable++;
                        if (!runs)
                                continue;
                        for (size_t i = 0; i < s->n_rules; i++)
                                if (nft_rule_same(want, s->rules[i]) && rs->copies++ == 0)
                                        rs->position = (unsigned) i + 1;
                        if (rs->copies == 0)
                                continue;

                        rs->effective = true;
                        for (size_t i = 0; i + 1 < rs->position; i++) {
                                char whybuf[256], text[1024], bytecode[900];
                                const char *why, *nft = NULL;

                                if (is_block_rule(e, s->rules[i]))
                                        continue;
                                bool harmful = nft_rule_can_pass(s->rules[i], whybuf, sizeof(whybuf), &why);
                                if (harmful)
                                        rs->effective = false;
                                uint64_t handle = nftnl_rule_get_u64(s->rules[i], NFTNL_RULE_HANDLE);
                                /* In nft syntax, as `nft -a list chain` shows it (libnftables, loaded
                                 * only now); libnftnl's expression dump when that cannot be had. */
                                if (!listing && !listing_failed)
                                        listing_failed = nft_chain_rules_text("inet", NFT_TABLE, NFT_CHAIN, &listing,
                                                                              NULL) < 0;
                                if (listing)
                                        nft = nft_rules_text_find(listing, handle);
                                if (!nft) {
                                        nft_rule_format(s->rules[i], bytecode, sizeof(bytecode));
                                        nft = bytecode;
                                }
                                snprintf(text, sizeof(text), NFT_WHERE " handle %" PRIu64 ": %s", handle, nft);
                                r = fw_rule_status_add_ahead(rs, text, harmful, why);
                                if (r < 0)
                                        return r;
                        }
                }
        return 0;
}

/* ---- the backend ---- */

static int nftables_inspect(const struct block *b, struct fw_status *st) {
        struct conn c;
        struct state s;
        struct expected e;
        struct block u;
        int r;

        st->where = strdup(NFT_WHERE);
        st->note = strdup("a drop in any base chain is final: accept rules in other tables (Docker's) cannot bypass it");
        if (!st->where || !st->note)
                return -ENOMEM;

        r = conn_open(&c);
        if (r < 0)
                return r;
        r = state_read(&c, &s);
        conn_close(&c);
        if (r < 0)
                return r;
        block_union(&s, b, &u);
        r = expected_build(&u, &e);
        if (r >= 0) {
                r = judge(&s, &e, &u, b, st);
                expected_done(&e);
        }
        state_done(&s);
        return r;
}

static bool retry_batch(int r) {
        /* ERESTART: the generation moved (another writer); EAGAIN/EINTR: the kernel asks for a
         * replay; EBUSY: a concurrent transaction held the objects. */
        return r == -ERESTART || r == -EAGAIN || r == -EINTR || r == -EBUSY;
}

/* The kernel answers EPERM, root or not, to a change of a table that another netlink socket
 * created with `flags owner`: say that instead of "permission denied". */
static int batch_error(int r, const struct state *s) {
        return r == -EPERM && s->owned ? -EADDRINUSE : r;
}

int nftables_apply_hooked(const struct block *b, bool *ret_changed, unsigned *ret_attempts,
                          void (*race)(unsigned attempt, void *userdata), void *userdata) {
        unsigned attempt;
        int r = -ERESTART;

        *ret_changed = false;
        for (attempt = 0; retry_batch(r) && attempt < APPLY_ATTEMPTS; attempt++) {
                _cleanup_free_ char *buf = NULL;
                struct expected e;
                struct conn c;
                struct state s;
                struct block u;
                unsigned n_msgs;
                ssize_t len;

                r = conn_open(&c);
                if (r < 0)
                        break;
                r = state_read(&c, &s);
                if (r < 0) {
                        conn_close(&c);
                        break;
                }
                /* What is installed stays: the chain is rewritten with it, never without it. */
                block_union(&s, b, &u);
                r = expected_build(&u, &e);
                if (r < 0) {
                        state_done(&s);
                        conn_close(&c);
                        break;
                }
                if (state_is_block(&s, &e)) {
                        /* Exactly the block already: nothing is sent. */
                        expected_done(&e);
                        state_done(&s);
                        conn_close(&c);
                        r = 0;
                        attempt++;
                        break;
                }

                struct nft_batch_plan plan;
                size_t size = nft_block_batch_size(&u);
                state_plan(&s, &e, &plan);
                expected_done(&e);
                buf = malloc(size);
                len = buf ? nft_block_batch(&u, &plan, c.genid, c.seq + 1, buf, size, &n_msgs) : -ENOMEM;
                if (len < 0) {
                        state_done(&s);
                        conn_close(&c);
                        r = (int) len;
                        break;
                }
                c.seq += n_msgs + 2;
                if (race)
                        race(attempt, userdata);
                r = batch_error(conn_batch(&c, buf, (size_t) len, c.seq - n_msgs - 1, n_msgs, NULL), &s);
                state_done(&s);
                conn_close(&c);
                if (r >= 0)
                        *ret_changed = true;
        }
        if (ret_attempts)
                *ret_attempts = attempt;
        if (r == -EAFNOSUPPORT)
                return -EPROTONOSUPPORT; /* no inet family in this kernel's nf_tables */
        return r;
}

static int nftables_apply(const struct block *b, bool *ret_changed) {
        return nftables_apply_hooked(b, ret_changed, NULL, NULL, NULL);
}

int nftables_remove_hooked(const struct block *b, unsigned *ret_removed, unsigned *ret_attempts,
                           void (*race)(unsigned attempt, void *userdata), void *userdata) {
        unsigned attempt;
        int r = -ERESTART;

        (void) b; /* remove takes the whole block, whatever is configured */
        *ret_removed = 0;
        for (attempt = 0; retry_batch(r) && attempt < APPLY_ATTEMPTS; attempt++) {
                char buf[3 * NFT_MSG_MAX];
                unsigned n_msgs;
                struct conn c;
                struct state s;

                r = conn_open(&c);
                if (r < 0)
                        break;
                r = state_read(&c, &s);
                if (r >= 0 && s.table) {
                        ssize_t len = nft_remove_batch(true, NULL, 0, c.genid, c.seq + 1, buf, sizeof(buf), &n_msgs);
                        if (len < 0)
                                r = (int) len;
                        else {
                                c.seq += n_msgs + 2;
                                if (race)
                                        race(attempt, userdata);
                                r = batch_error(conn_batch(&c, buf, (size_t) len, c.seq - n_msgs - 1, n_msgs, NULL), &s);
                                if (r >= 0)
                                        *ret_removed = (unsigned) removal_count(&s);
                        }
                }
                /* else nothing of the block is there: nothing is sent. */
                state_done(&s);
                conn_close(&c);
        }
        if (ret_attempts)
                *ret_attempts = attempt;
        if (r == -EAFNOSUPPORT)
                return -EPROTONOSUPPORT;
        return r;
}

static int nftables_remove(const struct block *b, unsigned *ret_removed) {
        return nftables_remove_hooked(b, ret_removed, NULL, NULL, NULL);
}

/* ---- what `auto` asks ---- */

static int count_cb(const struct nlmsghdr *nlh, void *data) {
        (void) nlh;
        (*(size_t *) data)++;
        return MNL_CB_OK;
}

/* How many objects a GET request (a dump, or one object by name) returns: 0 when the kernel says
 * there is none (ENOENT) or has no nf_tables at all. */
static size_t count_objects(uint16_t type, uint16_t family, uint16_t flags, const char *table) {
        char buf[NFT_MSG_MAX] = {};
        struct conn c;
        size_t n = 0;

        if (conn_open(&c) < 0)
                return 0;
        struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, family, flags, ++c.seq);
        mnl_attr_put_strz(nlh, type == NFT_MSG_GETRULE ? NFTA_RULE_TABLE : NFTA_TABLE_NAME, table);
        if (conn_request(&c, nlh, count_cb, &n) < 0)
                n = 0;
        conn_close(&c);
        return n;
}

static int nftables_probe(enum fw_probe what) {
        switch (what) {
        case FW_PROBE_BLOCK:
                return count_objects(NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, NFT_TABLE) > 0;
        case FW_PROBE_IN_USE:
                /* iptables-nft (Docker's rules included) writes to `table ip filter`. */
                return count_objects(NFT_MSG_GETRULE, NFPROTO_IPV4, NLM_F_DUMP, "filter") > 0;
        }
        return 0;
}

static int nftables_print_rules(const struct block *b, FILE *f) {
        /* Loadable with `nft -f`, and idempotent like apply: the flush empties the table's chains
         * (after declaring the table so that the flush cannot fail), then the definition refills
         * them, all in one transaction. The part from "table inet ecs_harden {" on is what
         * `nft list table inet ecs_harden` prints after apply. */
        fputs("#!/usr/sbin/nft -f\n"
              "# ecs-harden: keep containers away from the EC2 instance metadata service\n"
              "table inet " NFT_TABLE "\n"
              "flush table inet " NFT_TABLE "\n"
              "table inet " NFT_TABLE " {\n"
              "\tchain " NFT_CHAIN " {\n"
              "\t\ttype filter hook forward priority filter - 10; policy accept;\n",
              f);
        for (size_t i = 0; i < nft_block_n_rules(b); i++) {
                char name[IFNAMSIZ + 1];
                const char *pattern;
                int family;

                nft_block_rule_at(b, i, &family, &pattern);
                iface_pattern_to_nft(pattern, name);
                fputs("\t\t", f);
                if (!streq(name, "*"))
                        fprintf(f, "iifname \"%s\" ", name);
                fprintf(f, "%s daddr %s drop\n", family == AF_INET6 ? "ip6" : "ip", block_address_string(family));
        }
        fputs("\t}\n}\n", f);
        return ferror(f) ? -EIO : 0;
}

const struct fw_backend fw_backend_nftables = {
        .name = "nftables",
        .inspect = nftables_inspect,
        .apply = nftables_apply,
        .remove = nftables_remove,
        .print_rules = nftables_print_rules,
        .probe = nftables_probe,
};
