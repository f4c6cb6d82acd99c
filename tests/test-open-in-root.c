/* SPDX-License-Identifier: Apache-2.0 */
/* open_in_root(): links resolve inside the root, both through openat2(RESOLVE_IN_ROOT) and the
 * walk by hand; nothing outside the root is ever opened. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomic-file.h"
#include "test.h"
#include "lib/util.h"

static char base[64], root[96], outside[96];

static void put(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
}

static char *at(const char *dir, const char *rel) {
        static char buf[8][PATH_MAX];
        static int i;
        i = (i + 1) % 8;
        snprintf(buf[i], sizeof(buf[i]), "%s%s", dir, rel);
        return buf[i];
}

/* ROOT/etc/os-release -> /usr/lib/os-release (absolute, as in images), ROOT/etc/abs -> OUTSIDE/secret
 * (absolute, escaping), ROOT/etc/rel -> ../../../../../../OUTSIDE/secret (relative, escaping),
 * ROOT/var/run -> /run (a folder link), a loop. */
static void setup(void) {
        snprintf(base, sizeof(base), "/tmp/test-in-root-XXXXXX");
        if (!mkdtemp(base))
                abort();
        snprintf(root, sizeof(root), "%s/root", base);
        snprintf(outside, sizeof(outside), "%s/outside", base);
        const char *dirs[] = { "", "/etc", "/usr", "/usr/lib", "/run", "/var" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (mkdir(at(root, dirs[i]), 0755) < 0)
                        abort();
        if (mkdir(outside, 0755) < 0)
                abort();
        put(at(outside, "/secret"), "outside\n");
        put(at(root, "/usr/lib/os-release"), "ID=inside\n");
        put(at(root, "/run/file"), "run inside\n");
        /* The outside file's own absolute path, recreated inside the root. */
        char cmd[PATH_MAX];
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s%s' && echo inside-copy > '%s%s/secret'", root, outside, root, outside);
        if (system(cmd) != 0)
                abort();
        char rel[PATH_MAX] = "";
        for (int i = 0; i < 12; i++)
                strcat(rel, "../");
        strcat(rel, outside + 1);
        strcat(rel, "/secret");
        if (symlink("/usr/lib/os-release", at(root, "/etc/os-release")) < 0 ||
            symlink(at(outside, "/secret"), at(root, "/etc/abs")) < 0 || symlink(rel, at(root, "/etc/rel")) < 0 ||
            symlink("/run", at(root, "/var/run")) < 0 || symlink("loop2", at(root, "/etc/loop1")) < 0 ||
            symlink("loop1", at(root, "/etc/loop2")) < 0 || symlink("/etc/abs", at(root, "/etc/chain")) < 0 ||
            symlink("../../../..", at(root, "/etc/up")) < 0)
                abort();
}

static void teardown(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        (void) !system(cmd);
}

static char *read_in(const char *path, int *ret) {
        char *t = NULL;
        *ret = read_file_in_root(root, path, &t, NULL);
        return *ret < 0 ? NULL : t;
}

static void both_ways(void (*fn)(void)) {
        open_in_root_no_openat2 = false;
        fn();
        open_in_root_no_openat2 = true;
        fn();
        open_in_root_no_openat2 = false;
}

static void links_resolve_inside(void) {
        int r;
        _cleanup_free_ char *a = read_in("/etc/os-release", &r);
        ASSERT_STR_EQ(a, "ID=inside\n");
        /* An absolute link out of the root lands on the same path inside it. */
        _cleanup_free_ char *b = read_in("/etc/abs", &r);
        ASSERT_STR_EQ(b, "inside-copy\n");
        _cleanup_free_ char *c = read_in("/etc/chain", &r);
        ASSERT_STR_EQ(c, "inside-copy\n");
        /* A relative link climbing out stops at the root: ROOT/OUTSIDE/secret. */
        _cleanup_free_ char *d = read_in("/etc/rel", &r);
        ASSERT_STR_EQ(d, "inside-copy\n");
        _cleanup_free_ char *e = read_in("/var/run/file", &r);
        ASSERT_STR_EQ(e, "run inside\n");
        _cleanup_free_ char *f = read_in("/etc/up/usr/lib/os-release", &r);
        ASSERT_STR_EQ(f, "ID=inside\n");
        _cleanup_free_ char *g = read_in("/../../usr/./lib/../lib/os-release", &r);
        ASSERT_STR_EQ(g, "ID=inside\n");
}

static void nothing_outside_is_read(void) {
        int r;
        char cmd[PATH_MAX];

        /* Without the inside copy, the escaping links find nothing rather than the outside file. */
        snprintf(cmd, sizeof(cmd), "rm -rf '%s/tmp'", root);
        ASSERT_INT_EQ(system(cmd), 0);
        char *a = read_in("/etc/abs", &r);
        ASSERT_TRUE(a == NULL);
        ASSERT_INT_EQ(r, -ENOENT);
        char *b = read_in("/etc/rel", &r);
        ASSERT_TRUE(b == NULL);
        ASSERT_INT_EQ(r, -ENOENT);
        char *c = read_in("/etc/loop1", &r);
        ASSERT_TRUE(c == NULL);
        ASSERT_INT_EQ(r, -ELOOP);
}

static void stat_and_readlink(void) {
        struct stat st;
        char target[PATH_MAX];

        ASSERT_INT_EQ(stat_in_root(root, "/etc/os-release", false, &st), 0);
        ASSERT_TRUE(S_ISLNK(st.st_mode));
        ASSERT_INT_EQ(stat_in_root(root, "/etc/os-release", true, &st), 0);
        ASSERT_TRUE(S_ISREG(st.st_mode));
        ASSERT_INT_EQ(stat_in_root(root, "/var/run", true, &st), 0);
        ASSERT_TRUE(S_ISDIR(st.st_mode));
        ASSERT_INT_EQ(readlink_in_root(root, "/etc/os-release", target, sizeof(target)), 0);
        ASSERT_STR_EQ(target, "/usr/lib/os-release");
        ASSERT_INT_EQ(readlink_in_root(root, "/usr/lib/os-release", target, sizeof(target)), -EINVAL);
        /* The folder on the path resolves inside too. */
        ASSERT_INT_EQ(stat_in_root(root, "/var/run/file", false, &st), 0);
        ASSERT_TRUE(S_ISREG(st.st_mode));
}

static void fifo_is_refused_at_once(void) {
        int r;
        if (mkfifo(at(root, "/etc/fifo"), 0600) < 0 && errno != EEXIST)
                abort();
        char *a = read_in("/etc/fifo", &r);
        ASSERT_TRUE(a == NULL);
        ASSERT_INT_EQ(r, -EBADFD);
        char *b = read_in("/etc", &r);
        ASSERT_TRUE(b == NULL);
        ASSERT_INT_EQ(r, -EISDIR);
}

TEST(links_resolve_inside_the_root) {
        setup();
        both_ways(links_resolve_inside);
        teardown();
}

TEST(nothing_outside_the_root_is_read) {
        setup();
        open_in_root_no_openat2 = false;
        nothing_outside_is_read();
        teardown();
        setup();
        open_in_root_no_openat2 = true;
        nothing_outside_is_read();
        open_in_root_no_openat2 = false;
        teardown();
}

TEST(stat_and_readlink_in_root) {
        setup();
        both_ways(stat_and_readlink);
        teardown();
}

TEST(fifo_and_folder_refused) {
        setup();
        both_ways(fifo_is_refused_at_once);
        teardown();
}
