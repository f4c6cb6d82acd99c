/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "persist/flavour.h"
#include "test.h"
#include "lib/util.h"

static enum flavour classify(const char *text, bool *warn) {
        char *copy = strdup(text);
        struct flavour_info fi;
        flavour_from_os_release(copy, &fi);
        free(copy);
        if (warn)
                *warn = fi.warn;
        return fi.flavour;
}

TEST(amazon_linux_versions) {
        bool warn;
        ASSERT_INT_EQ(classify("NAME=\"Amazon Linux\"\nVERSION=\"2\"\nID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\n"
                               "VERSION_ID=\"2\"\n", &warn), FLAVOUR_AL2);
        ASSERT_FALSE(warn);
        ASSERT_INT_EQ(classify("NAME=\"Amazon Linux AMI\"\nID=\"amzn\"\nVERSION_ID=\"2018.03\"\n", &warn), FLAVOUR_AL1);
        ASSERT_INT_EQ(classify("NAME=\"Amazon Linux\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\n", &warn),
                      FLAVOUR_AL2023);
        ASSERT_INT_EQ(classify("ID=amzn\nVERSION_ID=2017.09\n", NULL), FLAVOUR_AL1);
        ASSERT_INT_EQ(classify("ID=amzn\nVERSION_ID=2\n", NULL), FLAVOUR_AL2);   /* unquoted */
        ASSERT_INT_EQ(classify("ID='amzn'\nVERSION_ID='2023'\n", NULL), FLAVOUR_AL2023);   /* single quotes */
        ASSERT_INT_EQ(classify("ID=amzn\nVERSION_ID=2025\n", NULL), FLAVOUR_AL2023);
}

TEST(amzn_without_version_is_none_with_warning) {
        bool warn;
        ASSERT_INT_EQ(classify("ID=amzn\n", &warn), FLAVOUR_NONE);
        ASSERT_TRUE(warn);
}

TEST(debian_family) {
        ASSERT_INT_EQ(classify("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n", NULL),
                      FLAVOUR_DEBIAN);
        ASSERT_INT_EQ(classify("ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n", NULL), FLAVOUR_DEBIAN);
        ASSERT_INT_EQ(classify("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n", NULL), FLAVOUR_DEBIAN);
        ASSERT_INT_EQ(classify("ID=pop\nID_LIKE=\"ubuntu\"\n", NULL), FLAVOUR_DEBIAN);
        /* A word that merely contains "debian" is not debian. */
        ASSERT_INT_EQ(classify("ID=x\nID_LIKE=\"notdebian\"\n", NULL), FLAVOUR_NONE);
}

TEST(comments_blank_lines_and_spaces) {
        ASSERT_INT_EQ(classify("# a comment\n\n   ID = \"amzn\"  \n#VERSION_ID=\"2023\"\nVERSION_ID=\"2\"\n", NULL),
                      FLAVOUR_AL2);
}

TEST(others_and_garbage) {
        bool warn;
        ASSERT_INT_EQ(classify("ID=fedora\nVERSION_ID=39\n", &warn), FLAVOUR_NONE);
        ASSERT_FALSE(warn);
        ASSERT_INT_EQ(classify("NAME=Linux\n", &warn), FLAVOUR_NONE);   /* no ID: "linux" */
        ASSERT_FALSE(warn);
        ASSERT_INT_EQ(classify("this is not an os-release file\n{}\n", &warn), FLAVOUR_NONE);
        ASSERT_TRUE(warn);
        ASSERT_INT_EQ(classify("", &warn), FLAVOUR_NONE);
        ASSERT_TRUE(warn);
        ASSERT_INT_EQ(classify("garbage line\nID=centos\n", &warn), FLAVOUR_NONE);
        ASSERT_TRUE(warn);
}

static void write_file(const char *dir, const char *rel, const char *text, size_t size) {
        char path[512];
        snprintf(path, sizeof(path), "%s%s", dir, rel);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
        (void) !system(cmd);
        *slash = '/';
        FILE *f = fopen(path, "w");
        fwrite(text, 1, size, f);
        fclose(f);
}

TEST(detect_from_root_and_override) {
        char root[] = "/tmp/test-flavour-XXXXXX";
        struct flavour_info fi;
        ASSERT_TRUE(mkdtemp(root) != NULL);

        ASSERT_INT_EQ(flavour_detect(root, NULL, &fi), 0);
        ASSERT_INT_EQ(fi.flavour, FLAVOUR_NONE);
        ASSERT_TRUE(fi.warn);   /* no os-release at all */

        write_file(root, "/usr/lib/os-release", "ID=debian\n", 10);
        ASSERT_INT_EQ(flavour_detect(root, NULL, &fi), 0);
        ASSERT_INT_EQ(fi.flavour, FLAVOUR_DEBIAN);   /* the fallback location */

        write_file(root, "/etc/os-release", "ID=\"amzn\"\nVERSION_ID=\"2\"\n", 25);
        ASSERT_INT_EQ(flavour_detect(root, NULL, &fi), 0);
        ASSERT_INT_EQ(fi.flavour, FLAVOUR_AL2);
        ASSERT_TRUE(strstr(fi.reason, "/etc/os-release") != NULL);

        ASSERT_INT_EQ(flavour_detect(root, "al1", &fi), 0);
        ASSERT_INT_EQ(fi.flavour, FLAVOUR_AL1);
        ASSERT_INT_EQ(flavour_detect(root, "al3", &fi), -EINVAL);

        write_file(root, "/etc/os-release", "ID=amzn\0\x01\x02", 11);
        ASSERT_INT_EQ(flavour_detect(root, NULL, &fi), 0);
        ASSERT_INT_EQ(fi.flavour, FLAVOUR_NONE);
        ASSERT_TRUE(fi.warn);

        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        (void) !system(cmd);
}

TEST(names_round_trip) {
        for (enum flavour f = 0; f < _FLAVOUR_MAX; f++) {
                enum flavour g;
                ASSERT_INT_EQ(flavour_from_string(flavour_to_string(f), &g), 0);
                ASSERT_INT_EQ(g, f);
        }
}
