/* SPDX-License-Identifier: Apache-2.0 */
/* persist_check() and the configuration text, against fake roots (no firewall, no systemd). */
#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "cli/options.h"
#include "persist/persist.h"
#include "test.h"
#include "lib/util.h"

static char root[64];

static void run2(const char *cmd, const char *path) {
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s '%s'", cmd, path);
        (void) !system(buf);
}

static void put(const char *rel, const char *text) {
        char path[PATH_MAX], dir[PATH_MAX];
        snprintf(path, sizeof(path), "%s%s", root, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        *strrchr(dir, '/') = '\0';
        run2("mkdir -p", dir);
        FILE *f = fopen(path, "w");
        fputs(text, f);
        fclose(f);
}

static void link_at(const char *target, const char *rel) {
        char path[PATH_MAX], dir[PATH_MAX];
        snprintf(path, sizeof(path), "%s%s", root, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        *strrchr(dir, '/') = '\0';
        run2("mkdir -p", dir);
        (void) !symlink(target, path);
}

static void setup(struct options *o) {
        snprintf(root, sizeof(root), "/tmp/test-persist-XXXXXX");
        if (!mkdtemp(root))
                abort();
        memset(o, 0, sizeof(*o));
        o->root = root;
        o->backend = FW_BACKEND_IPTABLES;
        o->block.ipv6 = true;
        block_add_pattern(&o->block, "docker+", NULL);
        put("/usr/lib/systemd/system/ecs-harden.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
        put("/usr/lib/systemd/system/iptables.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=basic.target\n");
        put("/usr/lib/systemd/system/ip6tables.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=basic.target\n");
}

static void teardown(void) {
        run2("rm -rf", root);
}

TEST(method_table) {
        ASSERT_INT_EQ(persist_method_for(FLAVOUR_AL2, FW_BACKEND_IPTABLES), PERSIST_SYSCONFIG_SYSTEMD);
        ASSERT_INT_EQ(persist_method_for(FLAVOUR_AL1, FW_BACKEND_IPTABLES), PERSIST_SYSCONFIG_SYSV);
        ASSERT_INT_EQ(persist_method_for(FLAVOUR_DEBIAN, FW_BACKEND_IPTABLES), PERSIST_RULES_FILES);
        ASSERT_INT_EQ(persist_method_for(FLAVOUR_AL2023, FW_BACKEND_IPTABLES), PERSIST_BOOT_UNIT);
        ASSERT_INT_EQ(persist_method_for(FLAVOUR_NONE, FW_BACKEND_IPTABLES), PERSIST_BOOT_UNIT);
        for (enum flavour f = 0; f < _FLAVOUR_MAX; f++)
                ASSERT_INT_EQ(persist_method_for(f, FW_BACKEND_NFTABLES), PERSIST_BOOT_UNIT);
        ASSERT_STR_EQ(persist_rules_path(PERSIST_SYSCONFIG_SYSTEMD, AF_INET6), "/etc/sysconfig/ip6tables");
        ASSERT_STR_EQ(persist_rules_path(PERSIST_RULES_FILES, AF_INET), "/etc/iptables/rules.v4");
        ASSERT_TRUE(persist_rules_path(PERSIST_BOOT_UNIT, AF_INET) == NULL);
}

TEST(config_text_round_trips) {
        struct block b = { .ipv6 = false };
        _cleanup_free_ char *text = NULL;
        block_add_pattern(&b, "docker+", NULL);
        block_add_pattern(&b, "br-+", NULL);
        ASSERT_INT_EQ(persist_config_text(&b, FW_BACKEND_NFTABLES, &text), 0);
        ASSERT_TRUE(strstr(text, "\nINTERFACES=docker+ br-+\nIPV6=no\nBACKEND=nftables\n") != NULL);

        struct options o = { .root = "/" };
        o.block.ipv6 = true;
        ASSERT_INT_EQ(options_parse_config_text(&o, text, "test"), 0);
        ASSERT_INT_EQ(o.block.n_patterns, 2);
        ASSERT_STR_EQ(o.block.patterns[1], "br-+");
        ASSERT_FALSE(o.block.ipv6);
        ASSERT_INT_EQ(o.backend, FW_BACKEND_NFTABLES);
}

TEST(check_al2) {
        struct options o;
        struct persist_state s;
        setup(&o);

        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_AL2, &s), 0);
        ASSERT_FALSE(s.holds);
        ASSERT_INT_EQ(s.n_files, 2);
        ASSERT_INT_EQ(s.files[0].exists, 0);
        ASSERT_TRUE(strstr(s.summary, "/etc/sysconfig/iptables does not hold the block") != NULL);
        ASSERT_TRUE(strstr(s.remediation, "persist") != NULL);

        put("/etc/sysconfig/iptables", "*filter\n-A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP\nCOMMIT\n");
        put("/etc/sysconfig/ip6tables", "*filter\n-A FORWARD -d fd00:ec2::254/128 -i docker+ -j DROP\nCOMMIT\n");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_AL2, &s), 0);
        ASSERT_TRUE(s.files[0].holds_block && s.files[1].holds_block);
        ASSERT_FALSE(s.holds);   /* iptables.service not enabled */
        ASSERT_INT_EQ(s.services[0].enabled, 0);
        ASSERT_STR_EQ(s.services[0].state, "disabled");

        link_at("/usr/lib/systemd/system/iptables.service", "/etc/systemd/system/basic.target.wants/iptables.service");
        link_at("/usr/lib/systemd/system/ip6tables.service", "/etc/systemd/system/basic.target.wants/ip6tables.service");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_AL2, &s), 0);
        ASSERT_TRUE(s.holds);
        ASSERT_INT_EQ(s.boot_unit.enabled, 0);   /* a separate check (boot-unit) */

        /* A block with another pattern is not held by the file. */
        block_add_pattern(&o.block, "br-+", NULL);
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_AL2, &s), 0);
        ASSERT_FALSE(s.holds);
        teardown();
}

TEST(check_boot_unit_flavours) {
        struct options o;
        struct persist_state s;
        setup(&o);

        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_AL2023, &s), 0);
        ASSERT_FALSE(s.holds);
        ASSERT_INT_EQ(s.n_files, 0);
        ASSERT_STR_EQ(s.boot_unit.state, "disabled");

        link_at("/usr/lib/systemd/system/ecs-harden.service", "/etc/systemd/system/multi-user.target.wants/ecs-harden.service");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_NONE, &s), 0);
        ASSERT_FALSE(s.holds);   /* no ecs-harden.conf yet: but the defaults hold docker+ and IPv6 */
        ASSERT_INT_EQ(s.config_exists, 0);

        put("/etc/ecs-harden.conf", "INTERFACES=docker+\nIPV6=no\n");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_NONE, &s), 0);
        ASSERT_FALSE(s.holds);   /* IPv6 is off in the file, on in the block */
        o.block.ipv6 = false;
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_NONE, &s), 0);
        ASSERT_TRUE(s.holds);
        ASSERT_INT_EQ(s.boot_unit.enabled, 1);

        o.backend = FW_BACKEND_NFTABLES;   /* debian on nftables: the boot unit too */
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_DEBIAN, &s), 0);
        ASSERT_INT_EQ(s.method, PERSIST_BOOT_UNIT);
        ASSERT_TRUE(s.holds);

        /* A symbolic link where the configuration should be resolves inside the root, as the boot
         * unit's own read of it does (DESIGN.md "Input and output hygiene"): a link to the host's
         * path of a file is not followed out of the root... */
        char conf[PATH_MAX];
        snprintf(conf, sizeof(conf), "%s/etc/ecs-harden.conf", root);
        run2("rm -f", conf);
        put("/elsewhere/conf", "INTERFACES=docker+\nIPV6=no\n");
        char target[PATH_MAX];
        snprintf(target, sizeof(target), "%s/elsewhere/conf", root);
        link_at(target, "/etc/ecs-harden.conf");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_NONE, &s), 0);
        ASSERT_INT_EQ(s.config_exists, 0);
        ASSERT_FALSE(s.holds);
        /* ... while the image's own absolute link is the image's file. */
        run2("rm -f", conf);
        link_at("/elsewhere/conf", "/etc/ecs-harden.conf");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_NONE, &s), 0);
        ASSERT_INT_EQ(s.config_exists, 1);
        ASSERT_TRUE(s.holds);
        teardown();
}

TEST(check_al1_and_debian) {
        struct options o;
        struct persist_state s;
        setup(&o);
        o.block.ipv6 = false;

        put("/etc/sysconfig/iptables", "*filter\n-A FORWARD -i docker+ -d 169.254.169.254 -j DROP\nCOMMIT\n");
        put("/etc/rc.d/init.d/iptables", "# chkconfig: 2345 08 92\n");
        link_at("../init.d/iptables", "/etc/rc.d/rc3.d/K92iptables");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_AL1, &s), 0);
        ASSERT_FALSE(s.holds);
        ASSERT_STR_EQ(s.services[0].state, "off");
        link_at("../init.d/iptables", "/etc/rc.d/rc3.d/S08iptables");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_AL1, &s), 0);
        ASSERT_TRUE(s.holds);

        put("/etc/iptables/rules.v4", "*filter\n-A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP\nCOMMIT\n");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_DEBIAN, &s), 0);
        ASSERT_FALSE(s.holds);   /* nobody restores rules.v4 */
        ASSERT_STR_EQ(s.services[0].state, "not-found");
        put("/usr/lib/systemd/system/netfilter-persistent.service",
            "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
        link_at("/usr/lib/systemd/system/netfilter-persistent.service",
                "/etc/systemd/system/multi-user.target.wants/netfilter-persistent.service");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_DEBIAN, &s), 0);
        ASSERT_TRUE(s.holds);
        teardown();
}

/* The live AL1 path runs the Amazon Linux AMI's own helpers: exactly these argv, no shell. */
TEST(al1_live_commands) {
        struct persist_plan p = {};
        ASSERT_INT_EQ(persist_plan_add_sysv_live(&p, AF_INET), 0);
        ASSERT_INT_EQ(persist_plan_add_sysv_live(&p, AF_INET6), 0);
        ASSERT_INT_EQ(p.n_run, 4);
        static const char *const want[4][4] = {
                { "/sbin/service", "iptables", "save", NULL },
                { "/sbin/chkconfig", "iptables", "on", NULL },
                { "/sbin/service", "ip6tables", "save", NULL },
                { "/sbin/chkconfig", "ip6tables", "on", NULL },
        };
        for (size_t i = 0; i < 4; i++) {
                for (size_t j = 0; want[i][j]; j++)
                        ASSERT_STR_EQ(p.run[i][j], want[i][j]);
                ASSERT_TRUE(p.run[i][3] == NULL);
        }
        /* The list is full: a third family would be a bug, refused rather than written past the end. */
        ASSERT_INT_EQ(persist_plan_add_sysv_live(&p, AF_INET), -E2BIG);
        ASSERT_INT_EQ(p.n_run, PERSIST_MAX_RUN);
}

TEST(backend_of_an_image_comes_from_the_image) {
        struct options o = { .root = "/tmp/image", .backend = FW_BACKEND_AUTO };
        const char *reason = NULL;
        ASSERT_INT_EQ(persist_backend(&o, FLAVOUR_AL1, &reason), FW_BACKEND_IPTABLES);
        ASSERT_TRUE(reason && strstr(reason, "--root"));
        ASSERT_INT_EQ(persist_backend(&o, FLAVOUR_AL2, NULL), FW_BACKEND_IPTABLES);
        ASSERT_INT_EQ(persist_backend(&o, FLAVOUR_DEBIAN, NULL), FW_BACKEND_IPTABLES);
        ASSERT_INT_EQ(persist_backend(&o, FLAVOUR_AL2023, NULL), FW_BACKEND_NFTABLES);
        ASSERT_INT_EQ(persist_backend(&o, FLAVOUR_NONE, NULL), FW_BACKEND_AUTO);
        /* --backend or BACKEND= (both end up in o.backend) win. */
        o.backend = FW_BACKEND_NFTABLES;
        ASSERT_INT_EQ(persist_backend(&o, FLAVOUR_AL2, &reason), FW_BACKEND_NFTABLES);
        ASSERT_STR_EQ(reason, "chosen with --backend or BACKEND=");
        /* On "/" the host's own. */
        o.root = "/";
        o.backend = FW_BACKEND_AUTO;
        ASSERT_TRUE(persist_backend(&o, FLAVOUR_AL2, NULL) != FW_BACKEND_AUTO);
}

/* Under --root the plan needs no firewall at all: the image's file plus the block. */
TEST(plan_under_root_adds_the_block_to_the_image) {
        struct options o;
        struct persist_plan p;
        struct persist_error err;
        setup(&o);
        put("/etc/sysconfig/iptables", "*filter\n:FORWARD DROP [0:0]\n-A FORWARD -j ACCEPT\nCOMMIT\n");

        ASSERT_INT_EQ(persist_plan(&o, FLAVOUR_AL2, FW_BACKEND_IPTABLES, &p, &err), 0);
        ASSERT_FALSE(p.live);
        ASSERT_INT_EQ(p.n_files, 3);
        ASSERT_STR_EQ(p.files[0].path, "/etc/sysconfig/iptables");
        ASSERT_STR_EQ(p.files[0].content, "*filter\n:FORWARD DROP [0:0]\n-A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP\n"
                                          "-A FORWARD -j ACCEPT\nCOMMIT\n");
        ASSERT_INT_EQ(p.files[0].size, strlen(p.files[0].content));
        ASSERT_INT_EQ(p.files[0].added, 1);
        ASSERT_TRUE(p.files[0].source == NULL && p.files[0].save_program == NULL);
        ASSERT_INT_EQ(p.files[0].mode, 0600);
        ASSERT_STR_EQ(p.files[1].path, "/etc/sysconfig/ip6tables");
        ASSERT_TRUE(p.files[1].old == NULL);
        ASSERT_TRUE(strstr(p.files[1].content, "\n-A FORWARD -d fd00:ec2::254/128 -i docker+ -j DROP\nCOMMIT\n") != NULL);
        ASSERT_STR_EQ(p.files[2].path, ECS_HARDEN_CONF);
        ASSERT_INT_EQ(p.n_enable + p.n_start + p.n_run, 0);   /* nothing asked of a running system */
        ASSERT_TRUE(p.links.n_links >= 3);
        persist_plan_done(&p);

        /* debian: rules.v4 with netfilter-persistent's mode; al1: the file and chkconfig's links. */
        ASSERT_INT_EQ(persist_plan(&o, FLAVOUR_DEBIAN, FW_BACKEND_IPTABLES, &p, &err), 0);
        ASSERT_STR_EQ(p.files[0].path, "/etc/iptables/rules.v4");
        ASSERT_INT_EQ(p.files[0].mode, 0640);
        ASSERT_INT_EQ(p.files[0].added, 1);
        persist_plan_done(&p);
        put("/etc/rc.d/init.d/iptables", "# chkconfig: 2345 08 92\n");
        put("/etc/rc.d/init.d/ip6tables", "# chkconfig: 2345 08 92\n");
        ASSERT_INT_EQ(persist_plan(&o, FLAVOUR_AL1, FW_BACKEND_IPTABLES, &p, &err), 0);
        ASSERT_INT_EQ(p.n_run, 0);
        ASSERT_STR_EQ(p.files[0].path, "/etc/sysconfig/iptables");
        ASSERT_INT_EQ(p.files[0].added, 1);
        ASSERT_INT_EQ(p.links.n_links, 14);   /* 7 runlevels, 2 scripts */
        persist_plan_done(&p);

        /* A broken saved file in the image is bad input, refused with its name. */
        put("/etc/sysconfig/iptables", "*filter\n-A FORWARD -j ACCEPT\n");
        ASSERT_INT_EQ(persist_plan(&o, FLAVOUR_AL2, FW_BACKEND_IPTABLES, &p, &err), -EINVAL);
        ASSERT_INT_EQ(err.exit_code, EXIT_USAGE);
        ASSERT_TRUE(strstr(err.message, "/etc/sysconfig/iptables is not an iptables-save file") != NULL);
        persist_plan_done(&p);
        teardown();
}

/* ecs-harden.conf is judged the way every command reads it: a value the parser refuses does not
 * count as holding the block. */
TEST(check_reads_the_config_like_the_commands) {
        struct options o;
        struct persist_state s;
        setup(&o);
        link_at("/usr/lib/systemd/system/ecs-harden.service", "/etc/systemd/system/multi-user.target.wants/ecs-harden.service");

        put("/etc/ecs-harden.conf", "INTERFACES=docker+, br-+\nIPV6=true\nBACKEND=iptables\n");
        block_add_pattern(&o.block, "br-+", NULL);
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_NONE, &s), 0);
        ASSERT_TRUE(s.config_valid);
        ASSERT_TRUE(s.holds);

        put("/etc/ecs-harden.conf", "INTERFACES=docker+ br-+\nIPV6=maybe\n");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_NONE, &s), 0);
        ASSERT_FALSE(s.config_valid);
        ASSERT_FALSE(s.config_holds_block);
        ASSERT_FALSE(s.holds);
        ASSERT_TRUE(strstr(s.summary, "is not valid") != NULL);

        put("/etc/ecs-harden.conf", "INTERFACES=docker+ br-+ bad/name\n");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_NONE, &s), 0);
        ASSERT_FALSE(s.config_valid);
        ASSERT_FALSE(s.holds);

        put("/etc/ecs-harden.conf", "BACKEND=sometimes\n");
        o.block.n_patterns = 1;
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_NONE, &s), 0);
        ASSERT_FALSE(s.config_valid);

        /* Unset keys are the defaults (docker+, IPv6 on); an unknown key is no error. */
        put("/etc/ecs-harden.conf", "SOMETHING=else\n");
        ASSERT_INT_EQ(persist_check(&o, FLAVOUR_NONE, &s), 0);
        ASSERT_TRUE(s.config_valid);
        ASSERT_TRUE(s.holds);
        teardown();
}
