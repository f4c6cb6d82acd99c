/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* What `systemctl --root=DIR enable UNIT` and `chkconfig NAME on` do to a file system, done
 * offline: symbolic links only, created without following a symbolic link on the way (the
 * folders are opened with open_dir_beneath()). Paths in this API are as seen inside ROOT. */

struct install_link {
        char *dir;              /* folder holding the link, e.g. /etc/systemd/system/multi-user.target.wants */
        char *name;             /* link name, e.g. iptables.service or S08iptables */
        char *target;           /* what it points to */
        bool remove;            /* a conflicting chkconfig link to delete instead */
};

struct install_plan {
        struct install_link *links;
        size_t n_links;
};

void install_plan_done(struct install_plan *p);

/* Moves the links of FROM (emptied) to the end of INTO. 0 or -ENOMEM. */
int install_plan_merge(struct install_plan *into, struct install_plan *from);

/* Finds UNIT in systemd's unit search path below ROOT. Returns 0 and the path inside ROOT,
 * -ENOENT when there is no such unit file, -ERFKILL when it is masked (linked to /dev/null). */
int unit_file_find(const char *root, const char *unit, char **ret_path);

/* The links `systemctl enable` would make for UNIT under ROOT, from its [Install] section
 * (WantedBy=, RequiredBy=, Alias=, and the units named by Also=). -ENOENT / -ERFKILL as above,
 * -ENOMEDIUM when the unit has no [Install] section (it cannot be enabled: static). */
int unit_enable_plan(const char *root, const char *unit, struct install_plan *ret);

/* The links `chkconfig SERVICE on` makes below ROOT from the init script's "# chkconfig: LEVELS
 * START STOP" header: S<START>SERVICE in runlevels 2-5, K<STOP>SERVICE in 0, 1 and 6, plus the
 * removal of other S/K links of SERVICE in those folders. -ENOENT when ROOT/etc/rc.d/init.d/SERVICE
 * (or /etc/init.d/SERVICE) is missing, -EBADMSG when it has no chkconfig header. */
int sysv_enable_plan(const char *root, const char *service, struct install_plan *ret);

/* 1 when the link is already as planned (or, for a removal, already gone), 0 when it needs to be
 * made, -EEXIST when something else is in its place, other negative errno. */
int install_link_state(const char *root, const struct install_link *l);

/* Makes one planned link (or removes it). 1 changed, 0 already so, negative errno (-ELOOP: a
 * symbolic link in the folder path). */
int install_link_apply(const char *root, const struct install_link *l);

/* Whether UNIT is enabled under ROOT: 1 when a link its [Install] section asks for exists (in
 * /etc or the vendor folders), 0 when not, -ENOENT / -ERFKILL / -ENOMEDIUM as above. */
int unit_enabled_offline(const char *root, const char *unit);

/* Whether SERVICE starts in RUNLEVEL under ROOT (an S link in rcN.d): 1, 0, or negative errno. */
int sysv_enabled_offline(const char *root, const char *service, int runlevel);
