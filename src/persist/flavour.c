/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdarg.h>

#include "lib/atomic-file.h"
#include "persist/flavour.h"
#include "lib/kv-file.h"
#include "lib/util.h"

static const char *const flavour_names[_FLAVOUR_MAX] = {
        [FLAVOUR_NONE] = "none",
        [FLAVOUR_AL1] = "al1",
        [FLAVOUR_AL2] = "al2",
        [FLAVOUR_AL2023] = "al2023",
        [FLAVOUR_DEBIAN] = "debian",
};

const char *flavour_to_string(enum flavour f) {
        return (unsigned) f < _FLAVOUR_MAX ? flavour_names[f] : NULL;
}

int flavour_from_string(const char *s, enum flavour *ret) {
        for (enum flavour f = 0; f < _FLAVOUR_MAX; f++)
                if (s && streq(s, flavour_names[f])) {
                        *ret = f;
                        return 0;
                }
        return -EINVAL;
}

struct os_release {
        char id[64], id_like[256], version_id[64];
        bool seen_id, seen_version_id;
        unsigned garbage, pairs;
};

static void copy_value(char *dst, size_t size, const char *v) {
        snprintf(dst, size, "%s", v);
}

static int os_release_item(const char *key, const char *value, unsigned line, void *userdata) {
        struct os_release *r = userdata;

        (void) line;
        if (!key) {
                r->garbage++;
                return 0;
        }
        r->pairs++;
        if (streq(key, "ID")) {
                copy_value(r->id, sizeof(r->id), value);
                r->seen_id = true;
        } else if (streq(key, "ID_LIKE"))
                copy_value(r->id_like, sizeof(r->id_like), value);
        else if (streq(key, "VERSION_ID")) {
                copy_value(r->version_id, sizeof(r->version_id), value);
                r->seen_version_id = true;
        }
        return 0;
}

/* ID_LIKE is a space-separated list of IDs. */
static bool word_in_list(const char *list, const char *word) {
        size_t n = strlen(word);
        for (const char *p = list; *p;) {
                while (*p == ' ' || *p == '\t')
                        p++;
                const char *e = p;
                while (*e && *e != ' ' && *e != '\t')
                        e++;
                if ((size_t) (e - p) == n && strncmp(p, word, n) == 0)
                        return true;
                p = e;
        }
        return false;
}

static bool all_digits(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char) *s))
                        return false;
        return true;
}

_printf_(3, 4) static void set(struct flavour_info *info, enum flavour f, const char *fmt, ...) {
        va_list ap;
        info->flavour = f;
        va_start(ap, fmt);
        vsnprintf(info->reason, sizeof(info->reason), fmt, ap);
        va_end(ap);
}

void flavour_from_os_release(char *text, struct flavour_info *info) {
        struct os_release r = {};

        memset(info, 0, sizeof(*info));
        /* A NUL byte inside the text means binary garbage, not an os-release file. */
        (void) kv_parse(text, os_release_item, &r);

        if (r.pairs == 0) {
                info->warn = true;
                set(info, FLAVOUR_NONE, "os-release holds no KEY=value line; flavour none");
                return;
        }
        if (!r.seen_id || !r.id[0]) {
                /* os-release(5): a missing ID means "linux", which is no flavour of ours. */
                info->warn = r.garbage > 0;
                set(info, FLAVOUR_NONE, "os-release has no ID=; flavour none");
                return;
        }

        if (streq(r.id, "amzn")) {
                if (!r.seen_version_id || !r.version_id[0]) {
                        info->warn = true;
                        set(info, FLAVOUR_NONE, "ID=amzn without VERSION_ID: cannot tell AL1, AL2 and AL2023 apart; "
                                                "flavour none (use --flavour)");
                } else if (streq(r.version_id, "2"))
                        set(info, FLAVOUR_AL2, "ID=amzn VERSION_ID=2");
                else if (all_digits(r.version_id) && atoi(r.version_id) >= 2023 && strlen(r.version_id) == 4)
                        /* AL2023 and its yearly successors: nftables, no iptables.service. */
                        set(info, FLAVOUR_AL2023, "ID=amzn VERSION_ID=%s", r.version_id);
                else
                        set(info, FLAVOUR_AL1, "ID=amzn VERSION_ID=%s (Amazon Linux AMI)", r.version_id);
                return;
        }

        if (streq(r.id, "debian") || streq(r.id, "ubuntu")) {
                set(info, FLAVOUR_DEBIAN, "ID=%s", r.id);
                return;
        }
        if (word_in_list(r.id_like, "debian") || word_in_list(r.id_like, "ubuntu")) {
                set(info, FLAVOUR_DEBIAN, "ID=%s ID_LIKE=%s", r.id, r.id_like);
                return;
        }

        info->warn = r.garbage > 0;
        set(info, FLAVOUR_NONE, "ID=%s is not a known AMI flavour%s", r.id,
            r.garbage > 0 ? " (and os-release has lines that are not KEY=value)" : "");
}

int flavour_detect(const char *root, const char *override, struct flavour_info *info) {
        static const char *const paths[] = { "/etc/os-release", "/usr/lib/os-release" };

        memset(info, 0, sizeof(*info));
        if (override) {
                if (flavour_from_string(override, &info->flavour) < 0)
                        return -EINVAL;
                snprintf(info->reason, sizeof(info->reason), "chosen with --flavour");
                return 0;
        }

        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_free_ char *path = path_join_root(root, paths[i]);
                _cleanup_free_ char *text = NULL;
                size_t size;

                if (!path)
                        return -ENOMEM;
                /* Links resolve inside ROOT: an image's /etc/os-release -> /usr/lib/os-release is its own. */
                int r = read_file_in_root(root, paths[i], &text, &size);
                if (r == -ENOENT)
                        continue;
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        info->warn = true;
                        snprintf(info->reason, sizeof(info->reason), "cannot read %s (%s); flavour none", path,
                                 strerror(-r));
                        return 0;
                }
                if (memchr(text, '\0', size)) {
                        info->warn = true;
                        snprintf(info->reason, sizeof(info->reason), "%s is not a text file; flavour none", path);
                        return 0;
                }
                flavour_from_os_release(text, info);
                if (info->warn || info->flavour != FLAVOUR_NONE) {
                        /* Say which file, so that the operator knows what to look at. */
                        char tmp[sizeof(info->reason)];
                        snprintf(tmp, sizeof(tmp), "%s", info->reason);
                        snprintf(info->reason, sizeof(info->reason), "%s: %s", paths[i], tmp);
                }
                return 0;
        }

        info->warn = true;
        snprintf(info->reason, sizeof(info->reason), "no os-release under %s; flavour none", root ? root : "/");
        return 0;
}
