/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "fw/block.h"
#include "test.h"

TEST(pattern_check_accepts_iptables_syntax) {
        const char *ok[] = { "docker+", "docker0", "br-+", "br-0123456789ab", "cni0", "ecs-bridge", "+", "a" };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
                ASSERT_INT_EQ(iface_pattern_check(ok[i], NULL), 0);
}

TEST(pattern_check_rejects_bad_names) {
        const char *bad[] = { "", "0123456789abcdef", "dock+er", "doc ker", "eth0/1", "a:b", "..", ".", "++",
                              "doc\tker", "a*", "tab\x01" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const char *reason = NULL;
                ASSERT_INT_EQ(iface_pattern_check(bad[i], &reason), -EINVAL);
                ASSERT_TRUE(reason != NULL);
        }
        /* 15 characters is the longest an interface name can be. */
        ASSERT_INT_EQ(iface_pattern_check("0123456789abcde", NULL), 0);
}

TEST(add_pattern_dedups_and_bounds) {
        struct block b = {};
        char name[16];
        ASSERT_INT_EQ(block_add_pattern(&b, "docker+", NULL), 0);
        ASSERT_INT_EQ(block_add_pattern(&b, "docker+", NULL), 0);
        ASSERT_INT_EQ(b.n_patterns, 1);
        for (int i = 0; i < BLOCK_MAX_PATTERNS - 1; i++) {
                snprintf(name, sizeof(name), "br%d", i);
                ASSERT_INT_EQ(block_add_pattern(&b, name, NULL), 0);
        }
        ASSERT_INT_EQ(block_add_pattern(&b, "one-too-many", NULL), -E2BIG);
}

TEST(matches) {
        ASSERT_TRUE(iface_pattern_matches("docker+", "docker0"));
        ASSERT_TRUE(iface_pattern_matches("docker+", "docker"));
        ASSERT_FALSE(iface_pattern_matches("docker+", "dock"));
        ASSERT_TRUE(iface_pattern_matches("br-+", "br-1a2b"));
        ASSERT_TRUE(iface_pattern_matches("docker0", "docker0"));
        ASSERT_FALSE(iface_pattern_matches("docker0", "docker01"));
        ASSERT_TRUE(iface_pattern_matches("+", "eth0"));
}

TEST(covers_and_overlaps) {
        ASSERT_TRUE(iface_pattern_covers("docker+", "docker0"));
        ASSERT_TRUE(iface_pattern_covers("docker+", "docker1+"));
        ASSERT_TRUE(iface_pattern_covers("+", "docker+"));
        ASSERT_FALSE(iface_pattern_covers("docker0", "docker+"));
        ASSERT_FALSE(iface_pattern_covers("docker1+", "docker+"));
        ASSERT_TRUE(iface_pattern_covers("eth0", "eth0"));
        ASSERT_TRUE(iface_pattern_overlaps("docker0", "docker+"));
        ASSERT_TRUE(iface_pattern_overlaps("docker+", "dock+"));
        ASSERT_FALSE(iface_pattern_overlaps("eth0", "docker+"));
        ASSERT_FALSE(iface_pattern_overlaps("dock", "docker+"));
        ASSERT_FALSE(iface_pattern_overlaps("br-+", "docker+"));
}

TEST(split_join_and_nft_spelling) {
        char name[16], text[17];
        size_t len;
        bool prefix;
        iface_pattern_split("docker+", name, &len, &prefix);
        ASSERT_STR_EQ(name, "docker");
        ASSERT_INT_EQ(len, 6);
        ASSERT_TRUE(prefix);
        iface_pattern_join(name, len, prefix, text);
        ASSERT_STR_EQ(text, "docker+");
        iface_pattern_split("eth0", name, &len, &prefix);
        ASSERT_FALSE(prefix);
        iface_pattern_to_nft("docker+", text);
        ASSERT_STR_EQ(text, "docker*");
        iface_pattern_to_nft("cni0", text);
        ASSERT_STR_EQ(text, "cni0");
}

TEST(addresses) {
        ASSERT_STR_EQ(block_address_string(AF_INET), "169.254.169.254");
        ASSERT_STR_EQ(block_address_string(AF_INET6), "fd00:ec2::254");
        ASSERT_INT_EQ(block_prefixlen(AF_INET), 32);
        ASSERT_INT_EQ(block_prefixlen(AF_INET6), 128);
        struct block b = { .ipv6 = false };
        ASSERT_INT_EQ(block_n_families(&b), 1);
        b.ipv6 = true;
        ASSERT_INT_EQ(block_n_families(&b), 2);
        ASSERT_INT_EQ(block_family(&b, 1), AF_INET6);
}
