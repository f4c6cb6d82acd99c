/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "lib/atomic-file.h"
#include "persist/install-links.h"
#include "lib/util.h"

/* systemd's system unit search path, highest priority first (the persistent part of it). */
static const char *const unit_dirs[] = {
        "/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
        "/usr/lib/systemd/system", "/lib/systemd/system",
};

void install_plan_done(struct install_plan *p) {
        for (size_t i = 0; i < p->n_links; i++) {
                free(p->links[i].dir);
                free(p->links[i].name);
                free(p->links[i].target);
        }
        free(p->links);
        memset(p, 0, sizeof(*p));
}

static int plan_add(struct install_plan *p, const char *dir, const char *name, const char *target, bool remove);

int install_plan_merge(struct install_plan *into, struct install_plan *from) {
        for (size_t i = 0; i < from->n_links; i++) {
                const struct install_link *l = &from->links[i];
                int r = plan_add(into, l->dir, l->name, l->target, l->remove);
                if (r < 0)
                        return r;
        }
        install_plan_done(from);
        return 0;
}

static int plan_add(struct install_plan *p, const char *dir, const char *name, const char *target, bool remove) {
        for (size_t i = 0; i < p->n_links; i++)
                if (streq(p->links[i].dir, dir) && streq(p->links[i].name, name))
                        return 0;
        struct install_link *l = realloc(p->links, (p->n_links + 1) * sizeof(*l));
        if (!l)
                return -ENOMEM;
        p->links = l;
        l = &p->links[p->n_links];
        *l = (struct install_link) { .dir = strdup(dir), .name = strdup(name), .target = strdup(target), .remove = remove };
        if (!l->dir || !l->name || !l->target) {
                free(l->dir);
                free(l->name);
                free(l->target);
                return -ENOMEM;
        }
        p->n_links++;
        return 0;
}

/* A folder below ROOT, links resolved inside it, for reading. NULL with errno set. */
static DIR *opendir_in_root(const char *root, const char *dir) {
        int fd = open_in_root(root, dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0) {
                errno = -fd;
                return NULL;
        }
        DIR *d = fdopendir(fd);
        if (!d)
                closep(&fd);
        return d;
}

int unit_file_find(const char *root, const char *unit, char **ret_path) {
        for (size_t i = 0; i < ELEMENTSOF(unit_dirs); i++) {
                _cleanup_free_ char *inside = NULL;
                struct stat st;
                int r;

                if (asprintf(&inside, "%s/%s", unit_dirs[i], unit) < 0)
                        return -ENOMEM;
                r = stat_in_root(root, inside, false, &st);
                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                if (r < 0)
                        return r;
                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        r = readlink_in_root(root, inside, target, sizeof(target));
                        if (r < 0)
                                return r;
                        if (streq(target, "/dev/null"))
                                return -ERFKILL;
                } else if (!S_ISREG(st.st_mode))
                        continue;
                if (ret_path)
                        *ret_path = TAKE_PTR(inside);
                return 0;
        }
        return -ENOENT;
}

struct install_section {
        char *wanted_by, *required_by, *alias, *also; /* space-separated lists */
        bool seen;
};

static void install_section_done(struct install_section *s) {
        free(s->wanted_by);
        free(s->required_by);
        free(s->alias);
        free(s->also);
}

static int list_append(char **list, const char *value) {
        char *n;
        if (asprintf(&n, "%s%s%s", *list ? *list : "", *list ? " " : "", value) < 0)
                return -ENOMEM;
        free(*list);
        *list = n;
        return 0;
}

static int read_install_section(const char *root, const char *path, struct install_section *ret) {
        _cleanup_free_ char *text = NULL;
        bool in_install = false;
        int r;

        memset(ret, 0, sizeof(*ret));
        /* A unit linked to /usr/lib/systemd/system/... in an image is the image's own. */
        r = read_file_in_root(root, path, &text, NULL);
        if (r < 0)
                return r;
        for (char *line = text, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                char *l = strstrip(line);
                if (l[0] == '[') {
                        in_install = streq(l, "[Install]");
                        ret->seen = ret->seen || in_install;
                        continue;
                }
                if (!in_install || l[0] == '#' || l[0] == ';')
                        continue;
                char *eq = strchr(l, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                char *key = strstrip(l), *value = strstrip(eq + 1);
                char **list = streq(key, "WantedBy") ? &ret->wanted_by :
                              streq(key, "RequiredBy") ? &ret->required_by :
                              streq(key, "Alias") ? &ret->alias :
                              streq(key, "Also") ? &ret->also : NULL;
                if (!list)
                        continue;
                if (!*value) {
                        /* An empty assignment resets the list, as in every systemd list setting. */
                        free(*list);
                        *list = NULL;
                        continue;
                }
                r = list_append(list, value);
                if (r < 0) {
                        install_section_done(ret);
                        return r;
                }
        }
        return 0;
}

static bool unit_name_plain(const char *n) {
        if (!*n || strchr(n, '%') || strchr(n, '/') || n[0] == '.')
                return false;
        return strchr(n, '.') != NULL;
}

/* Plans a link NAME -> PATH in /etc/systemd/system/WORD.SUFFIX for each word of LIST; without
 * SUFFIX (Alias=) the word is the link's name in /etc/systemd/system. */
static int plan_list(struct install_plan *p, const char *list, const char *suffix, const char *name, const char *path) {
        _cleanup_free_ char *copy = strdup(strempty(list));
        if (!copy)
                return -ENOMEM;
        for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                _cleanup_free_ char *dir = NULL;
                if (!unit_name_plain(w))
                        continue;
                if (suffix) {
                        if (asprintf(&dir, "/etc/systemd/system/%s.%s", w, suffix) < 0)
                                return -ENOMEM;
                        int r = plan_add(p, dir, name, path, false);
                        if (r < 0)
                                return r;
                } else {
                        int r = plan_add(p, "/etc/systemd/system", w, path, false);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int plan_one_unit(const char *root, const char *unit, struct install_plan *p, bool follow_also) {
        _cleanup_free_ char *path = NULL, *also = NULL;
        struct install_section s;
        int r;

        r = unit_file_find(root, unit, &path);
        if (r < 0)
                return r;
        r = read_install_section(root, path, &s);
        if (r < 0)
                return r;
        if (!s.wanted_by && !s.required_by && !s.alias && !s.also) {
                install_section_done(&s);
                return -ENOMEDIUM;
        }
        r = plan_list(p, s.wanted_by, "wants", unit, path);
        if (r >= 0)
                r = plan_list(p, s.required_by, "requires", unit, path);
        if (r >= 0)
                r = plan_list(p, s.alias, NULL, unit, path);
        also = TAKE_PTR(s.also);
        install_section_done(&s);
        if (r < 0 || !follow_also || !also)
                return r;

        for (char *save = NULL, *w = strtok_r(also, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (!unit_name_plain(w) || streq(w, unit))
                        continue;
                r = plan_one_unit(root, w, p, false);
                if (r < 0 && r != -ENOENT && r != -ENOMEDIUM)
                        return r;
        }
        return 0;
}

int unit_enable_plan(const char *root, const char *unit, struct install_plan *ret) {
        memset(ret, 0, sizeof(*ret));
        int r = plan_one_unit(root, unit, ret, true);
        if (r < 0)
                install_plan_done(ret);
        return r;
}

/* 1 when a WantedBy=/RequiredBy= link of UNIT exists in /etc or a vendor folder. */
static int any_link(const char *root, const char *list, const char *suffix, const char *unit) {
        static const char *const link_dirs[] = { "/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system" };
        _cleanup_free_ char *copy = strdup(strempty(list));
        if (!copy)
                return -ENOMEM;
        for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                for (size_t d = 0; d < ELEMENTSOF(link_dirs); d++) {
                        _cleanup_free_ char *l = NULL;
                        struct stat st;
                        if (asprintf(&l, "%s/%s.%s/%s", link_dirs[d], w, suffix, unit) < 0)
                                return -ENOMEM;
                        if (stat_in_root(root, l, false, &st) == 0)
                                return 1;
                }
        return 0;
}

int unit_enabled_offline(const char *root, const char *unit) {
        _cleanup_free_ char *path = NULL;
        struct install_section s;
        int r;

        r = unit_file_find(root, unit, &path);
        if (r < 0)
                return r;
        r = read_install_section(root, path, &s);
        if (r < 0)
                return r;
        if (!s.wanted_by && !s.required_by)
                r = -ENOMEDIUM;
        else {
                r = any_link(root, s.wanted_by, "wants", unit);
                if (r == 0)
                        r = any_link(root, s.required_by, "requires", unit);
        }
        install_section_done(&s);
        return r;
}

/* ---- SysV init (Amazon Linux AMI) ---- */

static int sysv_script(const char *root, const char *service, char **ret_inside) {
        static const char *const dirs[] = { "/etc/rc.d/init.d", "/etc/init.d" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *inside = NULL;
                struct stat st;
                if (asprintf(&inside, "%s/%s", dirs[i], service) < 0)
                        return -ENOMEM;
                if (stat_in_root(root, inside, true, &st) == 0 && S_ISREG(st.st_mode)) {
                        *ret_inside = TAKE_PTR(inside);
                        return 0;
                }
        }
        return -ENOENT;
}

/* Where the rcN.d folders are: /etc/rc.d/rcN.d on Red Hat systems (/etc/rcN.d are links to
 * them there), /etc/rcN.d elsewhere. */
static const char *sysv_rc_base(const char *root) {
        struct stat st;
        return stat_in_root(root, "/etc/rc.d", false, &st) == 0 && S_ISDIR(st.st_mode) ? "/etc/rc.d" : "/etc";
}

static bool sysv_link_of(const char *name, const char *service) {
        return (name[0] == 'S' || name[0] == 'K') && isdigit((unsigned char) name[1]) &&
               isdigit((unsigned char) name[2]) && streq(name + 3, service);
}

int sysv_enable_plan(const char *root, const char *service, struct install_plan *ret) {
        _cleanup_free_ char *script = NULL, *text = NULL, *target = NULL;
        unsigned start = 0, stop = 0;
        bool header = false;
        int r;

        memset(ret, 0, sizeof(*ret));
        r = sysv_script(root, service, &script);
        if (r < 0)
                return r;
        r = read_file_in_root(root, script, &text, NULL);
        if (r < 0)
                return r;
        for (char *line = text, *next; line && !header; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                char levels[16];
                if (sscanf(line, "# chkconfig: %15s %u %u", levels, &start, &stop) == 3 && start < 100 && stop < 100)
                        header = true;
        }
        if (!header)
                return -EBADMSG;
        if (asprintf(&target, "../init.d/%s", service) < 0)
                return -ENOMEM;

        const char *base = sysv_rc_base(root);
        for (int level = 0; level <= 6; level++) {
                _cleanup_free_ char *dir = NULL;
                char name[NAME_MAX + 1];
                bool on = level >= 2 && level <= 5; /* "chkconfig NAME on" means runlevels 2-5 */

                if (asprintf(&dir, "%s/rc%d.d", base, level) < 0)
                        goto oom;
                snprintf(name, sizeof(name), "%c%02u%s", on ? 'S' : 'K', on ? start : stop, service);

                /* Other S/K links of the service in this runlevel go, as chkconfig removes them. */
                DIR *d = opendir_in_root(root, dir);
                if (d) {
                        struct dirent *de;
                        while ((de = readdir(d)))
                                if (sysv_link_of(de->d_name, service) && !streq(de->d_name, name) &&
                                    plan_add(ret, dir, de->d_name, target, true) < 0) {
                                        closedir(d);
                                        goto oom;
                                }
                        closedir(d);
                }
                if (plan_add(ret, dir, name, target, false) < 0)
                        goto oom;
        }
        return 0;
oom:
        install_plan_done(ret);
        return -ENOMEM;
}

int sysv_enabled_offline(const char *root, const char *service, int runlevel) {
        _cleanup_free_ char *dir = NULL;
        int found = 0;

        if (asprintf(&dir, "%s/rc%d.d", sysv_rc_base(root), runlevel) < 0)
                return -ENOMEM;
        DIR *d = opendir_in_root(root, dir);
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] == 'S' && sysv_link_of(de->d_name, service))
                        found = 1;
        closedir(d);
        return found;
}

/* ---- making the links ---- */

static const char *base_name(const char *p) {
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

static int link_state_at(int dirfd, const struct install_link *l) {
        char target[PATH_MAX];
        struct stat st;

        if (fstatat(dirfd, l->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? (l->remove ? 1 : 0) : negative_errno();
        if (!S_ISLNK(st.st_mode))
                return -EEXIST;
        if (l->remove)
                return 0;
        ssize_t n = readlinkat(dirfd, l->name, target, sizeof(target) - 1);
        if (n < 0)
                return negative_errno();
        target[n] = '\0';
        /* systemctl accepts a link to the same unit from another folder of the search path. */
        return streq(target, l->target) || streq(base_name(target), base_name(l->target)) ? 1 : -EEXIST;
}

int install_link_state(const char *root, const struct install_link *l) {
        _cleanup_close_ int dirfd = open_dir_beneath(root, l->dir, 0);
        if (dirfd == -ENOENT)
                return l->remove ? 1 : 0;
        if (dirfd < 0)
                return dirfd;
        return link_state_at(dirfd, l);
}

int install_link_apply(const char *root, const struct install_link *l) {
        _cleanup_close_ int dirfd = -1;
        int r;

        if (l->remove) {
                dirfd = open_dir_beneath(root, l->dir, 0);
                if (dirfd == -ENOENT)
                        return 0;
        } else
                dirfd = open_dir_beneath(root, l->dir, ATOMIC_MKDIR);
        if (dirfd < 0)
                return dirfd;
        r = link_state_at(dirfd, l);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (l->remove)
                r = unlinkat(dirfd, l->name, 0);
        else
                r = symlinkat(l->target, dirfd, l->name);
        if (r < 0)
                return negative_errno();
        if (fsync(dirfd) < 0)
                return negative_errno();
        return 1;
}
