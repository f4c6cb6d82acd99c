/* SPDX-License-Identifier: Apache-2.0 */
/* xt_entry_format() against iptables itself: in a network namespace of its own, rules are added
 * with iptables-legacy / ip6tables-legacy, read back with libiptc, formatted, and compared line
 * by line with iptables-legacy-save / ip6tables-legacy-save. The built-in fallback (no
 * libxtables) is checked to print only what the real rule says. Root only; exits 77 otherwise.
 * XT_PRINT_SHOW=1 prints what was formatted. */
#include <errno.h>
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/spawn.h"
#include "test.h"
#include "lib/util.h"
#include "fw/xt-print.h"

#define IPT4 "/usr/sbin/iptables-legacy"
#define IPT6 "/usr/sbin/ip6tables-legacy"

__attribute__((constructor(101))) static void enter_namespace(void) {
        if (geteuid() != 0) {
                fprintf(stderr, "skipped: needs root\n");
                exit(77);
        }
        if (access(IPT4, X_OK) < 0 || access(IPT6, X_OK) < 0) {
                fprintf(stderr, "skipped: no iptables-legacy here\n");
                exit(77);
        }
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "skipped: cannot create a network namespace: %m\n");
                exit(77);
        }
}

/* Runs ARGV; true when it exits 0. */
static bool run(char *const argv[]) {
        struct spawn_result res = {};
        int r = spawn_capture(argv, 0, &res);
        bool ok = r == 0 && res.status == 0;
        if (!ok)
                fprintf(stderr, "%s %s %s…: r=%d status=%d %s\n", argv[0], argv[1], argv[2], r, res.status,
                        strempty(res.err));
        spawn_result_done(&res);
        return ok;
}

/* `-A CHAIN …` lines of SAVE for CHAIN, in order, as one string each line ending in '\n'. */
static char *save_lines(const char *save, const char *chain) {
        _cleanup_free_ char *prefix = NULL;
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f || asprintf(&prefix, "-A %s ", chain) < 0)
                abort();
        for (const char *s = save; *s;) {
                size_t len = strcspn(s, "\n");
                if (strncmp(s, prefix, strlen(prefix)) == 0)
                        fprintf(f, "%.*s\n", (int) len, s);
                s += len + (s[len] == '\n');
        }
        fclose(f);
        return out;
}

struct family_ops {
        int family;
        const char *save_path, *ipt_path;
        void *(*init)(const char *table);
        void (*free)(void *h);
        const void *(*first)(const char *chain, void *h);
        const void *(*next)(const void *e, void *h);
        const char *(*target)(const void *e, void *h);
};

static void *v4_init(const char *t) { return iptc_init(t); }
static void v4_free(void *h) { iptc_free(h); }
static const void *v4_first(const char *c, void *h) { return iptc_first_rule(c, h); }
static const void *v4_next(const void *e, void *h) { return iptc_next_rule(e, h); }
static const char *v4_target(const void *e, void *h) { return iptc_get_target(e, h); }
static void *v6_init(const char *t) { return ip6tc_init(t); }
static void v6_free(void *h) { ip6tc_free(h); }
static const void *v6_first(const char *c, void *h) { return ip6tc_first_rule(c, h); }
static const void *v6_next(const void *e, void *h) { return ip6tc_next_rule(e, h); }
static const char *v6_target(const void *e, void *h) { return ip6tc_get_target(e, h); }

static const struct family_ops v4 = { AF_INET, "/usr/sbin/iptables-legacy-save", IPT4,
                                      v4_init, v4_free, v4_first, v4_next, v4_target };
static const struct family_ops v6 = { AF_INET6, "/usr/sbin/ip6tables-legacy-save", IPT6,
                                      v6_init, v6_free, v6_first, v6_next, v6_target };

/* Formats every rule of CHAIN; builtin: without libxtables. *ret_partial counts rules that
 * came back as partial (1). */
static char *format_chain(const struct family_ops *o, const char *chain, bool builtin, unsigned *ret_partial) {
        void *h = o->init("filter");
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!h || !f)
                abort();
        xt_print_force_builtin(builtin);
        *ret_partial = 0;
        for (const void *e = o->first(chain, h); e; e = o->next(e, h)) {
                char *line = NULL;
                int r = xt_entry_format(o->family, e, chain, o->target(e, h), &line);
                if (r < 0) {
                        fprintf(f, "ERROR %d\n", r);
                        continue;
                }
                *ret_partial += r == 1;
                fprintf(f, "%s\n", line);
                free(line);
        }
        xt_print_force_builtin(false);
        fclose(f);
        o->free(h);
        return out;
}

static char *save_output(const struct family_ops *o) {
        struct spawn_result res = {};
        char *argv[] = { (char *) o->save_path, (char *) "-t", (char *) "filter", NULL };
        if (spawn_capture(argv, 1, &res) < 0 || res.status != 0)
                abort();
        char *out = TAKE_PTR(res.out);
        spawn_result_done(&res);
        return out;
}

/* Each word of GOT, once every " [...]" is dropped, appears in WANT in the same order. The kernel
 * knows `-m state` as the conntrack match (libxt_state's alias() names it "state"), and without
 * libxtables its kernel name is what can be printed. */
static bool words_subsequence(const char *got, const char *want) {
        _cleanup_free_ char *g = strdup(got), *w = strdup(want);
        char *gs = NULL, *ws = NULL;
        char *wt = strtok_r(w, " ", &ws);
        for (char *gt = strtok_r(g, " ", &gs); gt; gt = strtok_r(NULL, " ", &gs)) {
                if (streq(gt, "[...]"))
                        continue;
                while (wt && !streq(wt, gt) && !(streq(gt, "conntrack") && streq(wt, "state")))
                        wt = strtok_r(NULL, " ", &ws);
                if (!wt)
                        return false;
                wt = strtok_r(NULL, " ", &ws);
        }
        return true;
}

static void check_family(const struct family_ops *o, const char *const rules[][20], size_t n) {
        char *ipt = (char *) o->ipt_path;
        char *newchain[] = { ipt, (char *) "-N", (char *) "ECSHTEST", NULL };
        ASSERT_TRUE(run(newchain));
        for (size_t i = 0; i < n; i++) {
                char *argv[24] = { ipt };
                for (size_t j = 0; rules[i][j]; j++)
                        argv[j + 1] = (char *) rules[i][j];
                ASSERT_TRUE(run(argv));
        }

        _cleanup_free_ char *save = save_output(o);
        static const char *const chains[] = { "FORWARD", "ECSHTEST" };
        for (size_t c = 0; c < ELEMENTSOF(chains); c++) {
                _cleanup_free_ char *want = save_lines(save, chains[c]);
                unsigned partial, partial_builtin;
                _cleanup_free_ char *got = format_chain(o, chains[c], false, &partial);
                if (getenv("XT_PRINT_SHOW"))
                        fprintf(stderr, "%s", got);
                ASSERT_STR_EQ(got, want);
                ASSERT_INT_EQ(partial, 0);

                /* Without libxtables: every line says only what is true, " [...]" where options
                 * are missing, and the lines of rules without options are still exact. */
                _cleanup_free_ char *fallback = format_chain(o, chains[c], true, &partial_builtin);
                if (getenv("XT_PRINT_SHOW"))
                        fprintf(stderr, "%s", fallback);
                unsigned marked = 0;
                for (char *gl = fallback, *wl = want; *gl && *wl;) {
                        size_t gn = strcspn(gl, "\n"), wn = strcspn(wl, "\n");
                        gl[gn] = wl[wn] = '\0';
                        if (strstr(gl, "[...]")) {
                                marked++;
                                if (!words_subsequence(gl, wl))
                                        FAIL_AT("fallback \"%s\" says more than \"%s\"", gl, wl);
                        } else
                                ASSERT_STR_EQ(gl, wl);
                        gl += gn + 1, wl += wn + 1;
                }
                ASSERT_INT_EQ(marked, partial_builtin);
        }
        ASSERT_TRUE(xt_print_load_error() == NULL);
}

TEST(ipv4_like_iptables_save) {
        static const char *const rules[][20] = {
                { "-A", "FORWARD", "-p", "tcp", "--dport", "80", "-j", "ACCEPT" },
                { "-A", "FORWARD", "-o", "br-0123456789ab", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED",
                  "-j", "ACCEPT" },
                { "-A", "FORWARD", "-m", "comment", "--comment", "a comment with spaces and \"quotes\"", "-j", "DROP" },
                { "-A", "FORWARD", "-s", "10.1.0.0/255.255.0.255", "-d", "169.254.169.254", "-j", "DROP" },
                { "-A", "FORWARD", "-i", "docker+", "!", "-o", "docker0", "-j", "ECSHTEST" },
                { "-A", "FORWARD", "!", "-d", "169.254.0.0/16", "-g", "ECSHTEST" },
                { "-A", "FORWARD", "-p", "udp", "-j", "REJECT", "--reject-with", "icmp-port-unreachable" },
                { "-A", "FORWARD", "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset" },
                { "-A", "FORWARD", "-i", "+", "-d", "169.254.169.254/32", "-j", "DROP" },
                { "-A", "FORWARD", "!", "-p", "udp", "-f", "-j", "RETURN" },
                { "-A", "FORWARD", "!", "-i", "eth0", "!", "-s", "192.168.0.0/16", "-p", "47", "-j", "ACCEPT" },
                { "-A", "FORWARD", "-p", "tcp", "-m", "multiport", "--dports", "22,443", "-m", "state", "--state",
                  "NEW", "-j", "LOG", "--log-prefix", "ecsh x " },
                { "-A", "FORWARD", "-p", "icmp", "-m", "icmp", "--icmp-type", "8", "-j", "ACCEPT" },
                { "-A", "FORWARD", "-j", "ACCEPT" },
                { "-A", "ECSHTEST", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "RETURN" },
                { "-A", "ECSHTEST", "-d", "169.254.169.254/32", "-j", "DROP" },
        };
        check_family(&v4, rules, ELEMENTSOF(rules));
}

TEST(ipv6_like_ip6tables_save) {
        static const char *const rules[][20] = {
                { "-A", "FORWARD", "-i", "docker0", "-d", "fd00:ec2::254/128", "-j", "DROP" },
                { "-A", "FORWARD", "-s", "2001:db8::/ffff:0:ffff::", "-j", "DROP" },
                { "-A", "FORWARD", "-p", "ipv6-icmp", "-m", "icmp6", "--icmpv6-type", "128", "-j", "ACCEPT" },
                { "-A", "FORWARD", "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset" },
                { "-A", "FORWARD", "!", "-o", "docker0", "-g", "ECSHTEST" },
                { "-A", "FORWARD", "-o", "br-+", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT" },
                { "-A", "FORWARD", "-m", "comment", "--comment", "quote \" and 'single'", "-j", "ECSHTEST" },
                { "-A", "ECSHTEST", "!", "-d", "fd00::/8", "-j", "RETURN" },
        };
        check_family(&v6, rules, ELEMENTSOF(rules));
}

/* After IPv6 the IPv4 extensions (libipt_REJECT) must still be the ones found. */
TEST(ipv4_again_after_ipv6) {
        unsigned partial;
        _cleanup_free_ char *save = save_output(&v4);
        _cleanup_free_ char *want = save_lines(save, "FORWARD");
        _cleanup_free_ char *got = format_chain(&v4, "FORWARD", false, &partial);
        ASSERT_STR_EQ(got, want);
        ASSERT_INT_EQ(partial, 0);
}

TEST(malformed_entries) {
        struct ipt_entry e[4] = {};
        char *s = NULL;
        e[0].target_offset = sizeof e[0];
        e[0].next_offset = sizeof e[0] + 8; /* no room for the target */
        ASSERT_INT_EQ(xt_entry_format(AF_INET, e, "FORWARD", "ACCEPT", &s), -EINVAL);
        ASSERT_INT_EQ(xt_entry_format(AF_UNIX, e, "FORWARD", "ACCEPT", &s), -EAFNOSUPPORT);
        e[0].target_offset = 4; /* inside the header */
        ASSERT_INT_EQ(xt_entry_format(AF_INET, e, "FORWARD", "ACCEPT", &s), -EINVAL);
        ASSERT_TRUE(s == NULL);
}
