/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lib/atomic-file.h"
#include "persist/install-links.h"
#include "test.h"
#include "lib/util.h"

static char root[64];

static void setup(void) {
        snprintf(root, sizeof(root), "/tmp/test-atomic-XXXXXX");
        if (!mkdtemp(root))
                abort();
}

static void teardown(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        (void) !system(cmd);
}

static char *at(const char *rel) {
        static char buf[4][PATH_MAX];
        static int i;
        i = (i + 1) % 4;
        snprintf(buf[i], sizeof(buf[i]), "%s%s", root, rel);
        return buf[i];
}

static char *slurp(const char *rel) {
        char *t = NULL;
        return read_full_file(at(rel), &t, NULL) < 0 ? NULL : t;
}

static void put(const char *rel, const char *text) {
        FILE *f = fopen(at(rel), "w");
        fputs(text, f);
        fclose(f);
}

/* Files in DIR whose name starts with '.': leftover temporaries. */
static int dot_files(const char *rel) {
        DIR *d = opendir(at(rel));
        int n = 0;
        struct dirent *de;
        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_name[0] == '.' && !streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

TEST(write_new_then_replace_with_backup) {
        struct stat st;
        setup();
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/sysconfig/iptables", "one\n", 4, 0600, ATOMIC_MKDIR | ATOMIC_BACKUP), 1);
        _cleanup_free_ char *a = slurp("/etc/sysconfig/iptables");
        ASSERT_STR_EQ(a, "one\n");
        ASSERT_INT_EQ(stat(at("/etc/sysconfig/iptables"), &st), 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0600);
        ASSERT_INT_EQ(access(at("/etc/sysconfig/iptables" ATOMIC_BACKUP_SUFFIX), F_OK), -1);   /* nothing to keep */

        /* Same content: nothing written, backup untouched. */
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/sysconfig/iptables", "one\n", 4, 0600, ATOMIC_BACKUP), 0);
        ASSERT_INT_EQ(access(at("/etc/sysconfig/iptables" ATOMIC_BACKUP_SUFFIX), F_OK), -1);

        /* A replaced file keeps its mode; the previous one becomes the backup. */
        ASSERT_INT_EQ(chmod(at("/etc/sysconfig/iptables"), 0640), 0);
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/sysconfig/iptables", "two\n", 4, 0600, ATOMIC_BACKUP), 1);
        _cleanup_free_ char *b = slurp("/etc/sysconfig/iptables");
        _cleanup_free_ char *bak = slurp("/etc/sysconfig/iptables" ATOMIC_BACKUP_SUFFIX);
        ASSERT_STR_EQ(b, "two\n");
        ASSERT_STR_EQ(bak, "one\n");
        ASSERT_INT_EQ(stat(at("/etc/sysconfig/iptables"), &st), 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0640);

        ASSERT_INT_EQ(atomic_write_file(root, "/etc/sysconfig/iptables", "three\n", 6, 0600, ATOMIC_BACKUP), 1);
        _cleanup_free_ char *bak2 = slurp("/etc/sysconfig/iptables" ATOMIC_BACKUP_SUFFIX);
        ASSERT_STR_EQ(bak2, "two\n");
        ASSERT_INT_EQ(dot_files("/etc/sysconfig"), 0);
        teardown();
}

/* A run killed between its two renames leaves the backup a hard link to the file itself; rename()
 * between two links of one file does nothing, so the next run must not leave its temporary name. */
TEST(backup_already_a_link_to_the_file) {
        setup();
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/iptables", "one\n", 4, 0600, ATOMIC_MKDIR), 1);
        ASSERT_INT_EQ(link(at("/etc/iptables"), at("/etc/iptables" ATOMIC_BACKUP_SUFFIX)), 0);
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/iptables", "two\n", 4, 0600, ATOMIC_BACKUP), 1);
        _cleanup_free_ char *a = slurp("/etc/iptables");
        _cleanup_free_ char *bak = slurp("/etc/iptables" ATOMIC_BACKUP_SUFFIX);
        ASSERT_STR_EQ(a, "two\n");
        ASSERT_STR_EQ(bak, "one\n");
        ASSERT_INT_EQ(dot_files("/etc"), 0);
        teardown();
}

TEST(refuses_symlinks) {
        setup();
        ASSERT_INT_EQ(mkdir(at("/etc"), 0755), 0);
        ASSERT_INT_EQ(mkdir(at("/elsewhere"), 0755), 0);
        put("/elsewhere/victim", "precious\n");

        /* The target is a symbolic link. */
        ASSERT_INT_EQ(symlink(at("/elsewhere/victim"), at("/etc/ecs-harden.conf")), 0);
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/ecs-harden.conf", "x\n", 2, 0644, ATOMIC_BACKUP), -ELOOP);
        _cleanup_free_ char *v = slurp("/elsewhere/victim");
        ASSERT_STR_EQ(v, "precious\n");
        ASSERT_INT_EQ(unlink(at("/etc/ecs-harden.conf")), 0);

        /* The backup is a symbolic link. */
        put("/etc/ecs-harden.conf", "old\n");
        ASSERT_INT_EQ(symlink(at("/elsewhere/victim"), at("/etc/ecs-harden.conf" ATOMIC_BACKUP_SUFFIX)), 0);
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/ecs-harden.conf", "x\n", 2, 0644, ATOMIC_BACKUP), -ELOOP);
        _cleanup_free_ char *o = slurp("/etc/ecs-harden.conf");
        ASSERT_STR_EQ(o, "old\n");

        /* A folder on the path is a symbolic link, existing or to be created below it. */
        ASSERT_INT_EQ(symlink(at("/elsewhere"), at("/etc/sysconfig")), 0);
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/sysconfig/iptables", "x\n", 2, 0600, ATOMIC_MKDIR), -ELOOP);
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/sysconfig/sub/iptables", "x\n", 2, 0600, ATOMIC_MKDIR), -ELOOP);
        ASSERT_INT_EQ(access(at("/elsewhere/iptables"), F_OK), -1);
        ASSERT_INT_EQ(access(at("/elsewhere/sub"), F_OK), -1);

        char *t = NULL;
        ASSERT_INT_EQ(read_file_nofollow(root, "/etc/sysconfig/victim", &t, NULL), -ELOOP);
        ASSERT_INT_EQ(dot_files("/etc"), 0);
        ASSERT_INT_EQ(dot_files("/elsewhere"), 0);
        teardown();
}

TEST(refuses_non_regular_and_cleans_up) {
        setup();
        ASSERT_INT_EQ(mkdir(at("/etc"), 0755), 0);
        ASSERT_INT_EQ(mkdir(at("/etc/ecs-harden.conf"), 0755), 0);
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/ecs-harden.conf", "x\n", 2, 0644, 0), -EISDIR);
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/", "x\n", 2, 0644, 0), -EINVAL);
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/../x", "x\n", 2, 0644, 0), -EINVAL);
        ASSERT_INT_EQ(atomic_write_file(root, "/missing/x", "x\n", 2, 0644, 0), -ENOENT);

        /* A read-only folder: the write fails and leaves nothing behind. */
        if (geteuid() != 0) {
                ASSERT_INT_EQ(mkdir(at("/ro"), 0555), 0);
                ASSERT_INT_EQ(atomic_write_file(root, "/ro/x", "x\n", 2, 0644, 0), -EACCES);
        }
        ASSERT_INT_EQ(dot_files("/etc"), 0);
        teardown();
}

static void write_unit(const char *rel, const char *text) {
        char cmd[PATH_MAX + 32];
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", at(rel));
        *strrchr(dir, '/') = '\0';
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
        (void) !system(cmd);
        put(rel, text);
}

TEST(enable_links_like_systemctl) {
        struct install_plan p;
        char target[PATH_MAX];
        setup();
        write_unit("/usr/lib/systemd/system/iptables.service",
                   "[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=basic.target\n");
        write_unit("/usr/lib/systemd/system/ecs-harden.service",
                   "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nAlso=ecs-harden-repair.timer\n");
        write_unit("/usr/lib/systemd/system/ecs-harden-repair.timer", "[Timer]\nOnBootSec=1\n[Install]\nWantedBy=timers.target\n");
        write_unit("/usr/lib/systemd/system/static.service", "[Service]\nExecStart=/bin/true\n");

        ASSERT_INT_EQ(unit_enabled_offline(root, "iptables.service"), 0);
        ASSERT_INT_EQ(unit_enable_plan(root, "iptables.service", &p), 0);
        ASSERT_INT_EQ(p.n_links, 1);
        ASSERT_STR_EQ(p.links[0].dir, "/etc/systemd/system/basic.target.wants");
        ASSERT_STR_EQ(p.links[0].target, "/usr/lib/systemd/system/iptables.service");
        ASSERT_INT_EQ(install_link_apply(root, &p.links[0]), 1);
        ASSERT_INT_EQ(install_link_apply(root, &p.links[0]), 0);
        install_plan_done(&p);
        ASSERT_INT_EQ(unit_enabled_offline(root, "iptables.service"), 1);
        ssize_t n = readlink(at("/etc/systemd/system/basic.target.wants/iptables.service"), target, sizeof(target) - 1);
        ASSERT_TRUE(n > 0);
        target[n] = '\0';
        ASSERT_STR_EQ(target, "/usr/lib/systemd/system/iptables.service");

        ASSERT_INT_EQ(unit_enable_plan(root, "ecs-harden.service", &p), 0);
        ASSERT_INT_EQ(p.n_links, 2);   /* Also= brings the timer */
        ASSERT_STR_EQ(p.links[1].dir, "/etc/systemd/system/timers.target.wants");
        install_plan_done(&p);

        ASSERT_INT_EQ(unit_enable_plan(root, "static.service", &p), -ENOMEDIUM);
        ASSERT_INT_EQ(unit_enable_plan(root, "missing.service", &p), -ENOENT);
        ASSERT_INT_EQ(unit_enabled_offline(root, "missing.service"), -ENOENT);

        /* Masked in /etc wins over the vendor file. */
        ASSERT_INT_EQ(symlink("/dev/null", at("/etc/systemd/system/ecs-harden.service")), 0);
        ASSERT_INT_EQ(unit_enable_plan(root, "ecs-harden.service", &p), -ERFKILL);

        /* A .wants folder that is a symbolic link is refused. */
        ASSERT_INT_EQ(mkdir(at("/elsewhere"), 0755), 0);
        ASSERT_INT_EQ(symlink(at("/elsewhere"), at("/etc/systemd/system/timers.target.wants")), 0);
        ASSERT_INT_EQ(unit_enable_plan(root, "ecs-harden-repair.timer", &p), 0);
        ASSERT_INT_EQ(install_link_state(root, &p.links[0]), -ELOOP);
        ASSERT_INT_EQ(install_link_apply(root, &p.links[0]), -ELOOP);
        install_plan_done(&p);
        ASSERT_INT_EQ(dot_files("/elsewhere"), 0);
        teardown();
}

TEST(chkconfig_links) {
        struct install_plan p;
        char target[PATH_MAX];
        setup();
        write_unit("/etc/rc.d/init.d/iptables", "#!/bin/sh\n#\n# chkconfig: 2345 08 92\n# description: x\n");
        write_unit("/etc/rc.d/rc3.d/K92iptables", "stale\n");
        ASSERT_INT_EQ(unlink(at("/etc/rc.d/rc3.d/K92iptables")), 0);
        ASSERT_INT_EQ(symlink("../init.d/iptables", at("/etc/rc.d/rc3.d/K92iptables")), 0);

        ASSERT_INT_EQ(sysv_enabled_offline(root, "iptables", 3), 0);
        ASSERT_INT_EQ(sysv_enable_plan(root, "iptables", &p), 0);
        for (size_t i = 0; i < p.n_links; i++)
                ASSERT_TRUE(install_link_apply(root, &p.links[i]) >= 0);
        install_plan_done(&p);
        ASSERT_INT_EQ(sysv_enabled_offline(root, "iptables", 3), 1);

        for (int level = 0; level <= 6; level++) {
                char rel[64];
                bool on = level >= 2 && level <= 5;
                snprintf(rel, sizeof(rel), "/etc/rc.d/rc%d.d/%s", level, on ? "S08iptables" : "K92iptables");
                ssize_t n = readlink(at(rel), target, sizeof(target) - 1);
                ASSERT_TRUE(n > 0);
                target[n] = '\0';
                ASSERT_STR_EQ(target, "../init.d/iptables");
        }
        ASSERT_INT_EQ(access(at("/etc/rc.d/rc3.d/K92iptables"), F_OK), -1);   /* the stale K link went */

        write_unit("/etc/rc.d/init.d/noheader", "#!/bin/sh\n");
        ASSERT_INT_EQ(sysv_enable_plan(root, "noheader", &p), -EBADMSG);
        ASSERT_INT_EQ(sysv_enable_plan(root, "ip6tables", &p), -ENOENT);
        teardown();
}

/* mkdirat() applies the umask; an image build may run under 077, and the folders made for rules
 * files and unit links must still be 0755 like the packages' own. */
TEST(created_folders_are_0755_whatever_the_umask) {
        struct stat st;
        setup();
        mode_t old = umask(077);
        int r = atomic_write_file(root, "/etc/sysconfig/sub/iptables", "x\n", 2, 0600, ATOMIC_MKDIR);
        umask(old);
        ASSERT_INT_EQ(r, 1);
        ASSERT_INT_EQ(stat(at("/etc"), &st), 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0755);
        ASSERT_INT_EQ(stat(at("/etc/sysconfig/sub"), &st), 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0755);
        ASSERT_INT_EQ(stat(at("/etc/sysconfig/sub/iptables"), &st), 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0600);

        /* A folder that was there keeps its mode. */
        ASSERT_INT_EQ(chmod(at("/etc/sysconfig"), 0700), 0);
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/sysconfig/other", "x\n", 2, 0600, ATOMIC_MKDIR), 1);
        ASSERT_INT_EQ(stat(at("/etc/sysconfig"), &st), 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0700);
        teardown();
}

/* A FIFO planted where a file is read must not hang persist or status. */
TEST(fifo_is_refused_without_blocking) {
        setup();
        ASSERT_INT_EQ(mkdir(at("/etc"), 0755), 0);
        ASSERT_INT_EQ(mkfifo(at("/etc/ecs-harden.conf"), 0644), 0);
        char *t = NULL;
        ASSERT_INT_EQ(read_file_nofollow(root, "/etc/ecs-harden.conf", &t, NULL), -EBADFD);
        ASSERT_INT_EQ(atomic_write_file(root, "/etc/ecs-harden.conf", "x\n", 2, 0644, 0), -EBADFD);
        teardown();
}

/* Chroots and image builds often have no /proc: reading (also the old file before a replace)
 * must not need it. Runs in a child with a private mount namespace and an empty /proc. */
TEST(reads_without_proc) {
        int status;
        setup();
        ASSERT_INT_EQ(mkdir(at("/etc"), 0755), 0);
        put("/etc/ecs-harden.conf", "old\n");
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount("tmpfs", "/proc", "tmpfs", 0, NULL) < 0)
                        _exit(77);
                if (access("/proc/self/fd", F_OK) == 0)
                        _exit(78);
                char *t = NULL;
                size_t size = 0;
                if (read_file_nofollow(root, "/etc/ecs-harden.conf", &t, &size) != 0 || size != 4 || !streq(t, "old\n"))
                        _exit(1);
                free(t);
                if (atomic_write_file(root, "/etc/ecs-harden.conf", "new\n", 4, 0644, ATOMIC_BACKUP) != 1)
                        _exit(2);
                _exit(0);
        }
        ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77) {
                printf("# skipped: no private mount namespace here (not root?)\n");
                teardown();
                return;
        }
        ASSERT_INT_EQ(WEXITSTATUS(status), 0);
        _cleanup_free_ char *n = slurp("/etc/ecs-harden.conf");
        _cleanup_free_ char *bak = slurp("/etc/ecs-harden.conf" ATOMIC_BACKUP_SUFFIX);
        ASSERT_STR_EQ(n, "new\n");
        ASSERT_STR_EQ(bak, "old\n");
        teardown();
}
