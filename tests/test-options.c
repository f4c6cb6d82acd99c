/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "cli/commands.h"
#include "lib/log.h"
#include "cli/options.h"
#include "test.h"

static int parse(struct options *o, int *first, const char *const *args) {
        char *argv[32];
        int argc = 0;
        argv[argc++] = (char *) "ecs-harden";
        for (; *args; args++)
                argv[argc++] = (char *) *args;
        argv[argc] = NULL;
        return options_parse(argc, argv, o, first);
}

#define PARSE(o, first, ...) parse(o, first, (const char *const[]) { __VA_ARGS__, NULL })

TEST(defaults) {
        struct options o;
        int first;
        ASSERT_INT_EQ(PARSE(&o, &first, "apply"), 0);
        options_finish(&o);
        ASSERT_INT_EQ(o.block.n_patterns, 1);
        ASSERT_STR_EQ(o.block.patterns[0], "docker+");
        ASSERT_TRUE(o.block.ipv6);
        ASSERT_INT_EQ(o.backend, FW_BACKEND_AUTO);
        ASSERT_STR_EQ(o.root, "/");
}

TEST(interfaces_repeat_and_options_after_command) {
        struct options o;
        int first;
        ASSERT_INT_EQ(PARSE(&o, &first, "apply", "-i", "docker+", "--interface", "br-+", "--no-ipv6", "-b", "iptables"), 0);
        options_finish(&o);
        ASSERT_INT_EQ(o.block.n_patterns, 2);
        ASSERT_STR_EQ(o.block.patterns[1], "br-+");
        ASSERT_FALSE(o.block.ipv6);
        ASSERT_INT_EQ(o.backend, FW_BACKEND_IPTABLES);
}

TEST(bad_usage) {
        struct options o;
        int first;
        ASSERT_INT_EQ(PARSE(&o, &first, "apply", "--bogus"), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "frobnicate"), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "apply", "-b", "ipchains"), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "apply", "-i", "dock+er"), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "apply", "-i", "averyveryverylongname"), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "apply", "--fix"), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "apply", "extra"), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "audit-policy"), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "rules", "--format", "pf"), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "apply", "--root", "relative/dir"), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "status", "--flavour", "al3"), -EINVAL);
        ASSERT_INT_EQ(parse(&o, &first, (const char *const[]) { NULL }), -EINVAL);
}

TEST(command_specific_options) {
        struct options o;
        int first;
        ASSERT_INT_EQ(PARSE(&o, &first, "verify", "--fix", "--json"), 0);
        ASSERT_TRUE(o.fix);
        ASSERT_TRUE(o.json);
        ASSERT_INT_EQ(PARSE(&o, &first, "rules", "--format", "nft"), 0);
        ASSERT_INT_EQ(o.format, FORMAT_NFT);
        ASSERT_INT_EQ(PARSE(&o, &first, "audit-policy", "a.json", "-"), 0);
        ASSERT_INT_EQ(first, 1);
}

TEST(ssm_inventory_optional_dir) {
        struct options o;
        int first;
        ASSERT_INT_EQ(PARSE(&o, &first, "status"), 0);
        ASSERT_FALSE(o.ssm_inventory);
        ASSERT_INT_EQ(PARSE(&o, &first, "status", "--ssm-inventory"), 0);
        ASSERT_TRUE(o.ssm_inventory);
        ASSERT_TRUE(o.ssm_inventory_dir == NULL);
        ASSERT_INT_EQ(PARSE(&o, &first, "status", "--ssm-inventory=/srv/inventory"), 0);
        ASSERT_STR_EQ(o.ssm_inventory_dir, "/srv/inventory");
        /* The folder is not a separate word: "status" takes no operands. */
        ASSERT_INT_EQ(PARSE(&o, &first, "status", "--ssm-inventory", "/srv/inventory"), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "status", "--ssm-inventory=relative"), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "status", "--ssm-inventory="), -EINVAL);
        ASSERT_INT_EQ(PARSE(&o, &first, "verify", "--ssm-inventory"), -EINVAL);
}

TEST(config_file_fills_what_the_command_line_left) {
        struct options o;
        int first;
        char text[] = "# comment\nINTERFACES=docker+ br-+\nIPV6=no\nBACKEND=nftables\n";
        ASSERT_INT_EQ(PARSE(&o, &first, "apply"), 0);
        ASSERT_INT_EQ(options_parse_config_text(&o, text, "test.conf"), 0);
        options_finish(&o);
        ASSERT_INT_EQ(o.block.n_patterns, 2);
        ASSERT_FALSE(o.block.ipv6);
        ASSERT_INT_EQ(o.backend, FW_BACKEND_NFTABLES);

        char text2[] = "INTERFACES=\"cni0 ecs-bridge\"\nIPV6=yes\n";
        ASSERT_INT_EQ(PARSE(&o, &first, "apply", "-i", "docker0", "--no-ipv6"), 0);
        ASSERT_INT_EQ(options_parse_config_text(&o, text2, "test.conf"), 0);
        ASSERT_INT_EQ(o.block.n_patterns, 1);
        ASSERT_STR_EQ(o.block.patterns[0], "docker0");
        ASSERT_FALSE(o.block.ipv6);
}

TEST(config_file_bad_values) {
        struct options o;
        int first;
        char bad1[] = "IPV6=maybe\n";
        char bad2[] = "INTERFACES=dock+er\n";
        char bad3[] = "BACKEND=pf\n";
        char bad4[] = "just garbage\n";
        char unknown[] = "COLOUR=blue\n";
        log_max_level = LOG_LEVEL_ERROR;
        ASSERT_INT_EQ(PARSE(&o, &first, "apply"), 0);
        ASSERT_INT_EQ(options_parse_config_text(&o, bad1, "t"), -EINVAL);
        ASSERT_INT_EQ(options_parse_config_text(&o, bad2, "t"), -EINVAL);
        ASSERT_INT_EQ(options_parse_config_text(&o, bad3, "t"), -EINVAL);
        ASSERT_INT_EQ(options_parse_config_text(&o, bad4, "t"), -EINVAL);
        ASSERT_INT_EQ(options_parse_config_text(&o, unknown, "t"), 0);
}
