/* SPDX-License-Identifier: Apache-2.0 */
/* persist: make the block survive a reboot the way this AMI flavour does it. */
#include <sys/socket.h>
#include <sys/stat.h>

#include "atomic-file.h"
#include "commands.h"
#include "log.h"
#include "persist.h"
#include "spawn.h"
#include "text-diff.h"
#include "util.h"

/* Paths as the operator sees them: with the --root prefix. */
static char *shown(const struct options *o, const char *path) {
        char *p = path_join_root(o->root, path);
        return p ? p : strdup(path);
}

static bool quiet(void) {
        return log_max_level <= LOG_LEVEL_ERROR;
}

static void print_dry_run(const struct options *o, const struct persist_plan *p) {
        bool any = false;

        for (size_t i = 0; i < p->n_files; i++) {
                const struct persist_file *f = &p->files[i];
                _cleanup_free_ char *path = shown(o, f->path);
                _cleanup_free_ char *label_new = NULL;

                if (f->old && streq(f->old, f->content)) {
                        printf("unchanged: %s\n", path);
                        continue;
                }
                any = true;
                printf("would write %s (%s", path, f->old ? "replacing it; previous kept as " : "new file, mode ");
                if (f->old)
                        printf("%s" ATOMIC_BACKUP_SUFFIX, path);
                else
                        printf("%04o", (unsigned) f->mode);
                if (f->source)
                        printf("; from %s output", f->source);
                if (f->dropped)
                        printf("; %u Docker rules and chains left out", f->dropped);
                printf(")\n");
                if (asprintf(&label_new, "%s%s", path, f->old ? "" : " (new)") < 0)
                        continue;
                (void) text_diff_print(stdout, f->old, f->content, f->old ? path : "/dev/null", label_new);
        }

        for (size_t i = 0; i < p->links.n_links; i++) {
                const struct install_link *l = &p->links.links[i];
                _cleanup_free_ char *dir = shown(o, l->dir);
                int r = install_link_state(o->root, l);
                if (r == 1) {
                        printf("unchanged: %s/%s\n", dir, l->name);
                        continue;
                }
                any = true;
                if (l->remove)
                        printf("would remove %s/%s\n", dir, l->name);
                else
                        printf("would create symlink %s/%s -> %s\n", dir, l->name, l->target);
        }
        for (size_t i = 0; i < p->n_enable; i++, any = true)
                printf("would enable %s through systemd's D-Bus API (EnableUnitFiles, Reload)\n", p->enable[i]);
        for (size_t i = 0; i < p->n_start; i++, any = true)
                printf("would start %s unless it is active (StartUnit)\n", p->start[i]);
        for (size_t i = 0; i < p->n_run; i++, any = true) {
                printf("would run:");
                for (char *const *a = p->run[i]; *a; a++)
                        printf(" %s", *a);
                putchar('\n');
        }
        if (!any)
                printf("nothing to change: the block already survives a reboot\n");
}

static int write_file(const struct options *o, const struct persist_file *f, const char *content, unsigned flags) {
        _cleanup_free_ char *path = shown(o, f->path);
        int r = atomic_write_file(o->root, f->path, content, strlen(content), f->mode, ATOMIC_MKDIR | flags);

        if (r == -ELOOP)
                return log_error_errno(r, "Refusing to write %s: it, its backup, or a folder on its path is a symbolic link",
                                       path);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", path);
        return r;
}

static void report_write(const struct options *o, const struct persist_file *f, int r) {
        _cleanup_free_ char *path = shown(o, f->path);
        if (quiet())
                return;
        if (r == 0) {
                printf("unchanged: %s\n", path);
                return;
        }
        printf("wrote %s", path);
        if (f->source)
                printf(" (from %s output%s", f->source, f->dropped ? "; Docker's own rules left out" : "");
        if (f->old)
                printf("%sprevious file kept as %s" ATOMIC_BACKUP_SUFFIX, f->source ? "; " : " (", path);
        if (f->source || f->old)
                putchar(')');
        putchar('\n');
}

/* Is any unit we are about to start not running yet? Then starting it restores the saved file. */
static bool start_would_restore(struct systemd_bus *bus, const struct persist_plan *p) {
        for (size_t i = 0; i < p->n_start; i++) {
                _cleanup_free_ char *state = NULL;
                if (streq(p->start[i], ECS_HARDEN_TIMER))
                        continue;
                if (systemd_unit_active_state(bus, p->start[i], &state) < 0 || !streq(state, "active"))
                        return true;
        }
        return false;
}

static int make_links(const struct options *o, const struct persist_plan *p) {
        for (size_t i = 0; i < p->links.n_links; i++) {
                const struct install_link *l = &p->links.links[i];
                _cleanup_free_ char *dir = shown(o, l->dir);
                int r = install_link_apply(o->root, l);
                if (r == -ELOOP) {
                        log_error("Refusing to create %s/%s: a folder on its path is a symbolic link", dir, l->name);
                        return EXIT_REFUSED;
                }
                if (r < 0) {
                        log_error_errno(r, "Failed to %s %s/%s: %m", l->remove ? "remove" : "create", dir, l->name);
                        return EXIT_REFUSED;
                }
                if (quiet())
                        continue;
                if (r == 0)
                        printf("unchanged: %s/%s\n", dir, l->name);
                else if (l->remove)
                        printf("removed %s/%s\n", dir, l->name);
                else
                        printf("created symlink %s/%s -> %s\n", dir, l->name, l->target);
        }
        return EXIT_OK;
}

static int run(const struct options *o, struct persist_plan *p) {
        struct systemd_bus *bus = p->bus;
        bool restore_first = false;
        int r;

        /* Starting iptables.service replaces the live tables with the file. Where it is not running
         * yet and the file leaves out Docker's rules, let it restore the live snapshot first (so
         * that Docker's running containers keep their rules), then write the file for the next boot. */
        if (bus && p->n_start > 0)
                for (size_t i = 0; i < p->n_files; i++)
                        if (p->files[i].raw && !streq_ptr(p->files[i].old, p->files[i].content))
                                restore_first = true;
        if (restore_first)
                restore_first = start_would_restore(bus, p);

        for (size_t i = 0; i < p->n_files; i++) {
                const struct persist_file *f = &p->files[i];
                r = write_file(o, f, restore_first && f->raw ? f->raw : f->content, ATOMIC_BACKUP);
                if (r < 0)
                        return EXIT_REFUSED;
                if (!(restore_first && f->raw))
                        report_write(o, f, r);
        }

        r = make_links(o, p);
        if (r != EXIT_OK)
                return r;
        if (p->live && !p->systemd_running && p->links.n_links > 0 && !quiet())
                printf("systemd is not running here: the links were made in the file system, nothing was started\n");

        if (p->n_enable > 0) {
                unsigned changes = 0;
                r = systemd_enable_units(bus, p->enable, p->n_enable, &changes);
                if (r < 0) {
                        log_error_errno(r, "Failed to enable %s%s: %s", p->enable[0], p->n_enable > 1 ? " and others" : "",
                                        systemd_bus_error(bus));
                        return EXIT_REFUSED;
                }
                if (!quiet()) {
                        printf("enabled");
                        for (size_t i = 0; i < p->n_enable; i++)
                                printf(" %s", p->enable[i]);
                        printf(" (%u new link%s)\n", changes, changes == 1 ? "" : "s");
                }
        }
        for (size_t i = 0; i < p->n_start; i++) {
                _cleanup_free_ char *result = NULL;
                r = systemd_start_unit(bus, p->start[i], 120, &result);
                if (r < 0) {
                        log_error_errno(r, "Failed to start %s: %s", p->start[i], systemd_bus_error(bus));
                        return EXIT_REFUSED;
                }
                if (!streq(result, "done")) {
                        log_error("Starting %s ended with '%s'; see 'journalctl -u %s'", p->start[i], result, p->start[i]);
                        return EXIT_REFUSED;
                }
                if (!quiet())
                        printf("started %s (or it was running)\n", p->start[i]);
        }

        if (restore_first)
                for (size_t i = 0; i < p->n_files; i++) {
                        const struct persist_file *f = &p->files[i];
                        if (!f->raw)
                                continue;
                        /* No new backup: the one made above holds the file as it was before persist. */
                        r = write_file(o, f, f->content, 0);
                        if (r < 0)
                                return EXIT_REFUSED;
                        report_write(o, f, 1);
                }

        for (size_t i = 0; i < p->n_run; i++) {
                struct spawn_result res;
                r = spawn_capture(p->run[i], 0, &res);
                if (r < 0) {
                        log_error_errno(r, "Failed to run %s: %m", p->run[i][0]);
                        return EXIT_REFUSED;
                }
                if (res.status != 0) {
                        log_error("'%s %s %s' failed with exit status %d: %s", p->run[i][0], p->run[i][1], p->run[i][2],
                                  res.status, strstrip(res.err));
                        spawn_result_done(&res);
                        return EXIT_REFUSED;
                }
                spawn_result_done(&res);
                if (!quiet())
                        printf("ran %s %s %s\n", p->run[i][0], p->run[i][1], p->run[i][2]);
        }
        return EXIT_OK;
}

int cmd_persist(struct options *o, int argc, char **argv) {
        struct flavour_info fi;
        struct persist_plan plan;
        struct persist_error err;
        const char *reason = "chosen with --backend or BACKEND=";
        enum fw_backend_kind backend = o->backend;
        int r;

        (void) argc, (void) argv;
        struct stat st;
        if (stat(o->root, &st) < 0 || !S_ISDIR(st.st_mode)) {
                log_error("--root %s is not a folder", o->root);
                return EXIT_USAGE;
        }
        r = flavour_detect(o->root, o->flavour, &fi);
        if (r < 0)
                return log_error_errno(r, "Failed to determine the AMI flavour: %m"), EXIT_REFUSED;
        if (fi.warn)
                log_warning("%s", fi.reason);
        if (backend == FW_BACKEND_AUTO)
                backend = fw_backend_detect(&reason);
        log_info("flavour: %s (%s)", flavour_to_string(fi.flavour), fi.reason);
        log_info("backend: %s (%s)", fw_backend_to_string(backend), reason);

        r = persist_plan(o, fi.flavour, backend, &plan, &err);
        if (r < 0) {
                persist_plan_done(&plan);
                if (r == -ENOMEM || !err.message[0])
                        return log_error_errno(r, "Failed to work out what to persist: %m"), EXIT_REFUSED;
                log_error("%s", err.message);
                return err.exit_code;
        }

        if (!quiet())
                printf("flavour %s, backend %s: %s\n", flavour_to_string(fi.flavour), fw_backend_to_string(backend),
                       persist_method_describe(plan.method));

        if (o->dry_run)
                print_dry_run(o, &plan), r = EXIT_OK;
        else
                r = run(o, &plan);
        persist_plan_done(&plan);
        return r;
}
