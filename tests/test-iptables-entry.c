/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>

#include "fw/fw-iptables.h"
#include "test.h"

static void block_rule(int family, const char *pattern, struct xt_rule *r) {
        unsigned char buf[XT_BLOCK_ENTRY_MAX] __attribute__((aligned(8)));
        iptables_block_entry(family, pattern, buf);
        /* libiptc reports a standard DROP as "DROP". */
        iptables_entry_to_rule(family, buf, "DROP", r);
}

TEST(ipv4_entry_layout_matches_iptables) {
        unsigned char buf[XT_BLOCK_ENTRY_MAX] __attribute__((aligned(8)));
        size_t size = iptables_block_entry(AF_INET, "docker+", buf);
        const struct ipt_entry *e = (const void *) buf;
        struct in_addr want;

        inet_pton(AF_INET, "169.254.169.254", &want);
        ASSERT_INT_EQ(e->ip.dst.s_addr, want.s_addr);
        ASSERT_INT_EQ(e->ip.dmsk.s_addr, 0xffffffffu);
        ASSERT_INT_EQ(e->ip.src.s_addr, 0);
        /* "docker+": the mask covers the six bytes of the prefix only. */
        for (int i = 0; i < 6; i++)
                ASSERT_INT_EQ(e->ip.iniface_mask[i], 0xff);
        ASSERT_INT_EQ(e->ip.iniface_mask[6], 0);
        ASSERT_INT_EQ(memcmp(e->ip.iniface, "docker", 6), 0);
        ASSERT_INT_EQ(e->target_offset, sizeof(struct ipt_entry));
        ASSERT_INT_EQ(e->next_offset, size);
        const struct xt_standard_target *t = (const void *) e->elems;
        ASSERT_STR_EQ(t->target.u.user.name, "DROP");
        ASSERT_INT_EQ(t->target.u.user.target_size, XT_ALIGN(sizeof(struct xt_standard_target)));
}

TEST(exact_interface_mask_includes_nul) {
        unsigned char buf[XT_BLOCK_ENTRY_MAX] __attribute__((aligned(8)));
        iptables_block_entry(AF_INET, "docker0", buf);
        const struct ipt_entry *e = (const void *) buf;
        for (int i = 0; i < 8; i++)
                ASSERT_INT_EQ(e->ip.iniface_mask[i], 0xff);
        ASSERT_INT_EQ(e->ip.iniface_mask[8], 0);
}

TEST(round_trip_and_format) {
        struct xt_rule r;
        char text[256];

        block_rule(AF_INET, "docker+", &r);
        ASSERT_TRUE(xt_rule_is_block(&r, "docker+"));
        ASSERT_FALSE(xt_rule_is_block(&r, "docker0"));
        xt_rule_format(&r, text, sizeof(text));
        ASSERT_STR_EQ(text, "-d 169.254.169.254/32 -i docker+ -j DROP");

        block_rule(AF_INET6, "br-+", &r);
        ASSERT_TRUE(xt_rule_is_block(&r, "br-+"));
        xt_rule_format(&r, text, sizeof(text));
        ASSERT_STR_EQ(text, "-d fd00:ec2::254/128 -i br-+ -j DROP");

        block_rule(AF_INET, "cni0", &r);
        xt_rule_format(&r, text, sizeof(text));
        ASSERT_STR_EQ(text, "-d 169.254.169.254/32 -i cni0 -j DROP");
}

TEST(near_misses_are_not_the_block) {
        unsigned char buf[XT_BLOCK_ENTRY_MAX] __attribute__((aligned(8)));
        struct ipt_entry *e = (void *) buf;
        struct xt_rule r;

        iptables_block_entry(AF_INET, "docker+", buf);
        iptables_entry_to_rule(AF_INET, buf, "ACCEPT", &r);
        ASSERT_FALSE(xt_rule_is_block(&r, "docker+"));

        iptables_block_entry(AF_INET, "docker+", buf);
        e->ip.proto = 6;
        iptables_entry_to_rule(AF_INET, buf, "DROP", &r);
        ASSERT_FALSE(xt_rule_is_block(&r, "docker+"));

        iptables_block_entry(AF_INET, "docker+", buf);
        e->ip.invflags = IPT_INV_VIA_IN;
        iptables_entry_to_rule(AF_INET, buf, "DROP", &r);
        ASSERT_FALSE(xt_rule_is_block(&r, "docker+"));
        char text[256];
        xt_rule_format(&r, text, sizeof(text));
        ASSERT_STR_EQ(text, "-d 169.254.169.254/32 ! -i docker+ -j DROP");

        iptables_block_entry(AF_INET, "docker+", buf);
        e->ip.dmsk.s_addr = htonl(0xffff0000);
        iptables_entry_to_rule(AF_INET, buf, "DROP", &r);
        ASSERT_FALSE(xt_rule_is_block(&r, "docker+"));
}

TEST(iface_text_after_the_mask_is_ignored) {
        /* A kernel dump may hold "docker" or "docker+" in the name; only masked bytes count. */
        unsigned char buf[XT_BLOCK_ENTRY_MAX] __attribute__((aligned(8)));
        struct ipt_entry *e = (void *) buf;
        struct xt_rule r;
        iptables_block_entry(AF_INET, "docker+", buf);
        e->ip.iniface[6] = '\0';
        iptables_entry_to_rule(AF_INET, buf, "DROP", &r);
        ASSERT_TRUE(xt_rule_is_block(&r, "docker+"));
}
