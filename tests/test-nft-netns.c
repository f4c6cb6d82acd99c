/* SPDX-License-Identifier: Apache-2.0 */
/* The nftables backend against the real kernel, in a network namespace of its own (unshare), so
 * the host's ruleset is never touched: the generation check, ACK mapping by sequence number,
 * retry under a concurrent writer, idempotence, remove, and EPERM without privilege. Root only;
 * exits 77 (skip) otherwise. */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>

#include "fw/fw-nftables.h"
#include "fw/fw.h"
#include "test.h"
#include "lib/util.h"

__attribute__((constructor(101))) static void enter_namespace(void) {
        if (geteuid() != 0) {
                fprintf(stderr, "skipped: needs root\n");
                exit(77);
        }
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "skipped: cannot create a network namespace: %m\n");
                exit(77);
        }
        uint32_t genid;
        if (nft_read_genid(&genid) < 0) {
                fprintf(stderr, "skipped: no nf_tables here\n");
                exit(77);
        }
}

static struct block block_docker(void) {
        struct block b = { .ipv6 = true };
        block_add_pattern(&b, "docker+", NULL);
        return b;
}

static uint32_t genid(void) {
        uint32_t g = 0;
        if (nft_read_genid(&g) < 0)
                return 0;
        return g;
}

/* Sends a batch creating (EXCL) or deleting table FAMILY NAME; 0 or negative errno. */
static int foreign_table(int family, const char *name, bool create) {
        char buf[4096] = {};
        size_t off = 0;
        int failed;

        struct nlmsghdr *nlh = nftnl_batch_begin(buf, 500);
        off += NLMSG_ALIGN(nlh->nlmsg_len);
        nlh = nftnl_nlmsg_build_hdr(buf + off, create ? NFT_MSG_NEWTABLE : NFT_MSG_DELTABLE, (uint16_t) family,
                                    (create ? NLM_F_CREATE | NLM_F_EXCL : 0) | NLM_F_ACK, 501);
        mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
        off += NLMSG_ALIGN(nlh->nlmsg_len);
        nlh = nftnl_batch_end(buf + off, 502);
        off += NLMSG_ALIGN(nlh->nlmsg_len);
        return nft_send_batch(buf, off, 500, 1, &failed);
}

/* Adds or deletes a regular chain NAME in our table, as an operator would. */
static int foreign_chain(const char *name, bool create) {
        char buf[4096] = {};
        size_t off = 0;
        int failed;

        struct nlmsghdr *nlh = nftnl_batch_begin(buf, 600);
        off += NLMSG_ALIGN(nlh->nlmsg_len);
        nlh = nftnl_nlmsg_build_hdr(buf + off, create ? NFT_MSG_NEWCHAIN : NFT_MSG_DELCHAIN, NFPROTO_INET,
                                    (create ? NLM_F_CREATE | NLM_F_EXCL : 0) | NLM_F_ACK, 601);
        mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, NFT_TABLE);
        mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, name);
        off += NLMSG_ALIGN(nlh->nlmsg_len);
        nlh = nftnl_batch_end(buf + off, 602);
        off += NLMSG_ALIGN(nlh->nlmsg_len);
        return nft_send_batch(buf, off, 600, 1, &failed);
}

static bool table_exists(void) {
        /* Creating it exclusively fails with EEXIST only when it is there. */
        int r = foreign_table(NFPROTO_INET, NFT_TABLE, true);
        if (r == 0)
                (void) foreign_table(NFPROTO_INET, NFT_TABLE, false);
        return r == -EEXIST;
}

static bool block_complete(const struct block *b) {
        struct fw_status st;
        if (fw_inspect(FW_BACKEND_NFTABLES, b, &st) < 0)
                return false;
        bool ok = fw_status_complete(&st);
        fw_status_done(&st);
        return ok;
}

TEST(apply_then_idempotent) {
        struct block b = block_docker();
        bool changed = false;
        unsigned removed;

        ASSERT_FALSE(block_complete(&b));
        ASSERT_INT_EQ(fw_apply(FW_BACKEND_NFTABLES, &b, &changed), 0);
        ASSERT_TRUE(changed);
        ASSERT_TRUE(block_complete(&b));

        /* The second apply sends nothing: the generation does not move. */
        uint32_t g = genid();
        ASSERT_INT_EQ(fw_apply(FW_BACKEND_NFTABLES, &b, &changed), 0);
        ASSERT_FALSE(changed);
        ASSERT_INT_EQ(genid(), g);

        /* Another block in the same table: added by one batch, the installed one kept (the block
         * is a ratchet: a repair never deletes what drops container traffic to IMDS). */
        struct block other = { .ipv6 = false };
        block_add_pattern(&other, "br-+", NULL);
        ASSERT_INT_EQ(fw_apply(FW_BACKEND_NFTABLES, &other, &changed), 0);
        ASSERT_TRUE(changed);
        ASSERT_INT_EQ(genid(), g + 1);
        ASSERT_TRUE(block_complete(&other));
        ASSERT_TRUE(block_complete(&b));
        /* ... and a second apply of either changes nothing. */
        ASSERT_INT_EQ(fw_apply(FW_BACKEND_NFTABLES, &b, &changed), 0);
        ASSERT_FALSE(changed);
        ASSERT_INT_EQ(fw_apply(FW_BACKEND_NFTABLES, &other, &changed), 0);
        ASSERT_FALSE(changed);
        ASSERT_INT_EQ(genid(), g + 1);

        /* remove takes the whole block, whatever it is given: every pattern, both families, and
         * the table. */
        ASSERT_INT_EQ(fw_remove(FW_BACKEND_NFTABLES, &other, &removed), 0);
        ASSERT_INT_EQ(removed, 4);
        ASSERT_INT_EQ(foreign_table(NFPROTO_INET, NFT_TABLE, true), 0); /* the table went too */
        ASSERT_INT_EQ(foreign_table(NFPROTO_INET, NFT_TABLE, false), 0);
}

TEST(stale_generation_is_refused) {
        struct block b = block_docker();
        struct nft_batch_plan plan = {};
        char buf[16 * 1024];
        unsigned n_msgs;
        int failed = 0;

        uint32_t g0 = genid();
        ssize_t len = nft_block_batch(&b, &plan, g0, 1000, buf, sizeof(buf), &n_msgs);
        ASSERT_TRUE(len > 0);
        ASSERT_INT_EQ(nft_send_batch(buf, (size_t) len, 1000, n_msgs, &failed), 0);
        uint32_t g1 = genid();
        ASSERT_INT_EQ(g1, g0 + 1);

        /* The same batch again, computed from the old generation: refused as a whole, and
         * nothing of it applied. */
        struct nft_batch_plan flush = { .flush = true };
        len = nft_block_batch(&b, &flush, g0, 2000, buf, sizeof(buf), &n_msgs);
        ASSERT_TRUE(len > 0);
        ASSERT_INT_EQ(nft_send_batch(buf, (size_t) len, 2000, n_msgs, &failed), -ERESTART);
        ASSERT_INT_EQ(failed, -1);
        ASSERT_INT_EQ(genid(), g1);

        /* With the current generation it goes through. */
        len = nft_block_batch(&b, &flush, g1, 3000, buf, sizeof(buf), &n_msgs);
        ASSERT_INT_EQ(nft_send_batch(buf, (size_t) len, 3000, n_msgs, &failed), 0);
        ASSERT_TRUE(block_complete(&b));

        unsigned removed;
        ASSERT_INT_EQ(fw_remove(FW_BACKEND_NFTABLES, &b, &removed), 0);
        ASSERT_INT_EQ(removed, 2);
}

TEST(errors_map_to_their_message) {
        struct block b = block_docker();
        struct nft_batch_plan plan = { .replace_chain = true };
        char buf[16 * 1024];
        unsigned n_msgs;
        int failed = -2;

        /* No table: deleting its chain fails. Messages: 0 NEWTABLE, 1 DELRULE, 2 DELCHAIN... The
         * error must be the first failing message's, found among all the ACKs. */
        uint32_t g = genid();
        ssize_t len = nft_block_batch(&b, &plan, g, 4000, buf, sizeof(buf), &n_msgs);
        ASSERT_TRUE(len > 0);
        ASSERT_INT_EQ(nft_send_batch(buf, (size_t) len, 4000, n_msgs, &failed), -ENOENT);
        ASSERT_INT_EQ(failed, 1);
        /* All or nothing: the table of message 0 was not created. */
        ASSERT_INT_EQ(genid(), g);
        ASSERT_INT_EQ(foreign_table(NFPROTO_INET, NFT_TABLE, true), 0);
        ASSERT_INT_EQ(foreign_table(NFPROTO_INET, NFT_TABLE, false), 0);
}

struct race {
        unsigned calls;
};

static void race_foreign_writer(unsigned attempt, void *userdata) {
        struct race *r = userdata;
        r->calls++;
        /* Another program (Docker, say) commits between our read and our batch. */
        if (attempt == 0)
                (void) foreign_table(NFPROTO_IPV4, "dockerish", true);
}

TEST(concurrent_writer_makes_apply_retry) {
        struct block b = block_docker();
        struct race race = {};
        bool changed = false;
        unsigned attempts = 0, removed;

        ASSERT_INT_EQ(nftables_apply_hooked(&b, &changed, &attempts, race_foreign_writer, &race), 0);
        ASSERT_TRUE(changed);
        ASSERT_INT_EQ(attempts, 2);
        ASSERT_INT_EQ(race.calls, 2);
        ASSERT_TRUE(block_complete(&b));
        /* The other writer's change survived. */
        ASSERT_INT_EQ(foreign_table(NFPROTO_IPV4, "dockerish", true), -EEXIST);

        /* remove takes our table only. */
        ASSERT_INT_EQ(fw_remove(FW_BACKEND_NFTABLES, &b, &removed), 0);
        ASSERT_INT_EQ(removed, 2);
        ASSERT_INT_EQ(fw_remove(FW_BACKEND_NFTABLES, &b, &removed), 0);
        ASSERT_INT_EQ(removed, 0);
        ASSERT_INT_EQ(foreign_table(NFPROTO_IPV4, "dockerish", true), -EEXIST);
        ASSERT_INT_EQ(foreign_table(NFPROTO_IPV4, "dockerish", false), 0);
}

TEST(unprivileged_fails_fast_with_eperm) {
        struct block b = block_docker();
        struct timespec t0, t1;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                struct fw_status st;
                bool changed;
                if (setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(2);
                int r1 = fw_inspect(FW_BACKEND_NFTABLES, &b, &st);
                int r2 = fw_apply(FW_BACKEND_NFTABLES, &b, &changed);
                _exit(r1 == -EPERM && r2 == -EPERM ? 0 : 1);
        }
        int status;
        ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_INT_EQ(WEXITSTATUS(status), 0);
        double ms = (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6;
        ASSERT_TRUE(ms < 500);
}

/* The table is the tool's own: remove takes it whole (DESIGN, "Which rules are the block"),
 * and its dry run (inspect) says so before. */
TEST(remove_takes_the_table) {
        struct block b = block_docker();
        bool changed;
        unsigned removed;
        struct fw_status st;

        ASSERT_INT_EQ(fw_apply(FW_BACKEND_NFTABLES, &b, &changed), 0);
        ASSERT_INT_EQ(foreign_chain("mine", true), 0);

        ASSERT_INT_EQ(fw_inspect(FW_BACKEND_NFTABLES, &b, &st), 0);
        ASSERT_INT_EQ(st.rules[0].removable + st.rules[1].removable, 2);
        ASSERT_STR_EQ(st.remove_note, "delete table inet ecs_harden");
        fw_status_done(&st);

        ASSERT_INT_EQ(fw_remove(FW_BACKEND_NFTABLES, &b, &removed), 0);
        ASSERT_INT_EQ(removed, 2);
        ASSERT_FALSE(table_exists());

        /* Nothing there: a second remove sends nothing. */
        uint32_t g = genid();
        ASSERT_INT_EQ(fw_remove(FW_BACKEND_NFTABLES, &b, &removed), 0);
        ASSERT_INT_EQ(removed, 0);
        ASSERT_INT_EQ(genid(), g);
}

/* Issue 11: remove takes every pattern and both families, whatever -i and --no-ipv6 say; apply
 * and inspect judge installed and configured together. */
TEST(remove_takes_every_pattern_and_family) {
        struct block both = { .ipv6 = true }, br = { .ipv6 = true }, docker4 = { .ipv6 = false },
                     docker = block_docker();
        bool changed;
        unsigned removed;
        struct fw_status st;

        block_add_pattern(&both, "docker+", NULL);
        block_add_pattern(&both, "br-+", NULL);
        block_add_pattern(&br, "br-+", NULL);
        block_add_pattern(&docker4, "docker+", NULL);
        ASSERT_INT_EQ(fw_apply(FW_BACKEND_NFTABLES, &both, &changed), 0);

        /* Configured docker+ only, IPv4 only: the installed br-+ and IPv6 rules are judged too,
         * and marked as not configured. */
        ASSERT_INT_EQ(fw_inspect(FW_BACKEND_NFTABLES, &docker4, &st), 0);
        ASSERT_INT_EQ(st.n_rules, 4);
        ASSERT_TRUE(fw_status_complete(&st));
        size_t configured = 0;
        for (size_t i = 0; i < st.n_rules; i++)
                configured += st.rules[i].configured;
        ASSERT_INT_EQ(configured, 1);
        fw_status_done(&st);
        ASSERT_INT_EQ(fw_apply(FW_BACKEND_NFTABLES, &docker4, &changed), 0);
        ASSERT_FALSE(changed);

        ASSERT_INT_EQ(fw_remove(FW_BACKEND_NFTABLES, &br, &removed), 0);
        ASSERT_INT_EQ(removed, 4);
        ASSERT_FALSE(table_exists());
        ASSERT_FALSE(block_complete(&docker));
}

static void race_operator_adds_chain(unsigned attempt, void *userdata) {
        (void) userdata;
        if (attempt == 0)
                (void) foreign_chain("mine", true);
}

/* remove reads the table and sends DELTABLE; a writer that changes the ruleset in between makes the
 * kernel refuse the batch (generation), and the second look still takes the whole table. */
TEST(remove_retries_when_the_table_changes) {
        struct block b = block_docker();
        bool changed;
        unsigned removed, attempts = 0;

        ASSERT_INT_EQ(fw_apply(FW_BACKEND_NFTABLES, &b, &changed), 0);
        ASSERT_INT_EQ(nftables_remove_hooked(&b, &removed, &attempts, race_operator_adds_chain, NULL), 0);
        ASSERT_INT_EQ(attempts, 2);
        ASSERT_INT_EQ(removed, 2);
        ASSERT_FALSE(block_complete(&b));
        ASSERT_FALSE(table_exists());
}

/* A table inet ecs_harden that another process created with `flags owner`: the kernel refuses
 * every change of it with EPERM, root or not; apply says what it is. */
TEST(table_owned_by_another_process) {
        struct block b = block_docker();
        char buf[4096] = {};
        size_t off = 0;
        bool changed;

        struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
        ASSERT_TRUE(nl);
        ASSERT_TRUE(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0);
        struct nlmsghdr *nlh = nftnl_batch_begin(buf, 700);
        off += NLMSG_ALIGN(nlh->nlmsg_len);
        nlh = nftnl_nlmsg_build_hdr(buf + off, NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, 701);
        mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, NFT_TABLE);
        mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, htonl(NFT_TABLE_F_OWNER));
        off += NLMSG_ALIGN(nlh->nlmsg_len);
        nlh = nftnl_batch_end(buf + off, 702);
        off += NLMSG_ALIGN(nlh->nlmsg_len);
        ASSERT_TRUE(mnl_socket_sendto(nl, buf, off) == (ssize_t) off);
        ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
        ASSERT_TRUE(n > 0);
        ASSERT_INT_EQ(mnl_cb_run(buf, (size_t) n, 701, mnl_socket_get_portid(nl), NULL, NULL), MNL_CB_STOP);

        ASSERT_INT_EQ(fw_apply(FW_BACKEND_NFTABLES, &b, &changed), -EADDRINUSE);
        ASSERT_FALSE(changed);

        /* The kernel deletes an owned table when its owner's socket closes. */
        mnl_socket_close(nl);
        ASSERT_INT_EQ(fw_apply(FW_BACKEND_NFTABLES, &b, &changed), 0);
        ASSERT_TRUE(block_complete(&b));
        unsigned removed;
        ASSERT_INT_EQ(fw_remove(FW_BACKEND_NFTABLES, &b, &removed), 0);
        ASSERT_INT_EQ(removed, 2);
}
