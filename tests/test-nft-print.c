/* SPDX-License-Identifier: Apache-2.0 */
/* nft_chain_rules_text() against nft itself: in a network namespace of its own, a ruleset is
 * loaded with `nft -f`, and each rule's text, found by handle, is compared with the line
 * `nft -a list chain` prints for it; the ruleset must be unchanged afterwards. Root only;
 * exits 77 otherwise. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "fw/nft-print.h"
#include "lib/spawn.h"
#include "test.h"
#include "lib/util.h"

#define NFT "/usr/sbin/nft"

static char rules_file[] = "/tmp/test-nft-print.XXXXXX";

static const char ruleset[] =
        "table inet ecs_harden {\n"
        "  chain other {\n"
        "  }\n"
        "  chain forward {\n"
        "    type filter hook forward priority filter - 10; policy accept;\n"
        "    iifname \"docker0\" ip daddr 169.254.169.254 drop\n"
        "    iifname \"br-*\" ip6 daddr fd00:ec2::254 counter drop\n"
        "    oifname != \"docker0\" tcp dport { 80, 443 } ct state established,related accept"
        " comment \"a # handle 99 comment\"\n"
        "    ip saddr 10.1.0.0/16 meta l4proto udp reject with icmp type port-unreachable\n"
        "    jump other\n"
        "  }\n"
        "}\n";

/* What nft 1.0.6 prints for them, in order. */
static const char *const expected[] = {
        "iifname \"docker0\" ip daddr 169.254.169.254 drop",
        "iifname \"br-*\" ip6 daddr fd00:ec2::254 counter packets 0 bytes 0 drop",
        "oifname != \"docker0\" tcp dport { 80, 443 } ct state established,related accept"
        " comment \"a # handle 99 comment\"",
        "ip saddr 10.1.0.0/16 meta l4proto udp reject with icmp port-unreachable",
        "jump other",
};

static char *nft_out(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5, const char *a6) {
        struct spawn_result res = {};
        char *argv[] = { (char *) NFT, (char *) a1, (char *) a2, (char *) a3, (char *) a4, (char *) a5, (char *) a6,
                         NULL };
        if (spawn_capture(argv, 1, &res) < 0 || res.status != 0) {
                fprintf(stderr, "nft %s %s: %s\n", a1, strempty(a2), strempty(res.err));
                spawn_result_done(&res);
                return NULL;
        }
        char *out = TAKE_PTR(res.out);
        spawn_result_done(&res);
        return out;
}

__attribute__((constructor(101))) static void enter_namespace(void) {
        if (geteuid() != 0) {
                fprintf(stderr, "skipped: needs root\n");
                exit(77);
        }
        if (access(NFT, X_OK) < 0) {
                fprintf(stderr, "skipped: no nft here\n");
                exit(77);
        }
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "skipped: cannot create a network namespace: %m\n");
                exit(77);
        }
        int fd = mkstemp(rules_file);
        if (fd < 0 || write(fd, ruleset, strlen(ruleset)) != (ssize_t) strlen(ruleset))
                abort();
        close(fd);
        free(nft_out("-f", rules_file, NULL, NULL, NULL, NULL));
        unlink(rules_file);
}

TEST(rules_by_handle_as_nft_prints_them) {
        _cleanup_(nft_rules_text_freep) struct nft_rules_text *t = NULL;
        _cleanup_free_ char *before = nft_out("list", "ruleset", NULL, NULL, NULL, NULL);
        _cleanup_free_ char *listing = nft_out("-a", "list", "chain", "inet", "ecs_harden", "forward");
        ASSERT_TRUE(before && listing);

        ASSERT_INT_EQ(nft_chain_rules_text("inet", "ecs_harden", "forward", &t, NULL), 0);
        ASSERT_INT_EQ(t->n, ELEMENTSOF(expected));
        for (size_t i = 0; i < t->n; i++) {
                ASSERT_STR_EQ(t->rules[i].text, expected[i]);
                ASSERT_STR_EQ(nft_rules_text_find(t, t->rules[i].handle), expected[i]);

                /* the very line `nft -a list chain` prints for this handle */
                _cleanup_free_ char *line = NULL;
                ASSERT_TRUE(asprintf(&line, "\t\t%s # handle %llu\n", expected[i],
                                     (unsigned long long) t->rules[i].handle) > 0);
                ASSERT_TRUE(strstr(listing, line) != NULL);
        }
        ASSERT_TRUE(t->rules[0].handle != t->rules[1].handle);
        ASSERT_TRUE(nft_rules_text_find(t, 99) == NULL); /* the handle in the comment is not one */
        ASSERT_TRUE(nft_rules_text_find(NULL, 1) == NULL);

        _cleanup_free_ char *after = nft_out("list", "ruleset", NULL, NULL, NULL, NULL);
        ASSERT_STR_EQ(after, before);
}

TEST(empty_chain) {
        _cleanup_(nft_rules_text_freep) struct nft_rules_text *t = NULL;
        ASSERT_INT_EQ(nft_chain_rules_text("inet", "ecs_harden", "other", &t, NULL), 0);
        ASSERT_INT_EQ(t->n, 0);
        ASSERT_TRUE(nft_rules_text_find(t, 1) == NULL);
}

TEST(missing_table_or_chain) {
        struct nft_rules_text *t = NULL;
        _cleanup_free_ char *err = NULL, *err2 = NULL;
        ASSERT_INT_EQ(nft_chain_rules_text("inet", "ecs_harden", "nosuchchain", &t, &err), -ENOENT);
        ASSERT_TRUE(err && strstr(err, "No such file or directory"));
        ASSERT_INT_EQ(nft_chain_rules_text("ip", "nosuchtable", "forward", &t, &err2), -ENOENT);
        ASSERT_TRUE(t == NULL);
}

TEST(names_are_identifiers) {
        struct nft_rules_text *t = NULL;
        ASSERT_INT_EQ(nft_chain_rules_text("inet", "ecs_harden", "forward; flush ruleset", &t, NULL), -EINVAL);
        ASSERT_INT_EQ(nft_chain_rules_text("inet", "ecs harden", "forward", &t, NULL), -EINVAL);
        ASSERT_INT_EQ(nft_chain_rules_text("inet6", "ecs_harden", "forward", &t, NULL), -EINVAL);
        ASSERT_INT_EQ(nft_chain_rules_text("inet", "", "forward", &t, NULL), -EINVAL);
        ASSERT_INT_EQ(nft_chain_rules_text(NULL, "ecs_harden", "forward", &t, NULL), -EINVAL);
        ASSERT_TRUE(t == NULL);

        _cleanup_(nft_rules_text_freep) struct nft_rules_text *still = NULL;
        ASSERT_INT_EQ(nft_chain_rules_text("inet", "ecs_harden", "forward", &still, NULL), 0);
        ASSERT_INT_EQ(still->n, ELEMENTSOF(expected));
}
