/* SPDX-License-Identifier: Apache-2.0 */
/* persist: make the block survive a reboot the way this AMI flavour does it. */
#include <sys/socket.h>
#include <sys/stat.h>

#include "lib/atomic-file.h"
#include "cli/commands.h"
#include "lib/log.h"
#include "persist/persist.h"
#include "lib/spawn.h"
#include "persist/text-diff.h"
#include "lib/util.h"

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
                if (f->added && f->old)
                        printf("; %u block rule%s added to what the image had", f->added, f->added == 1 ? "" : "s");
                else if (f->added)
                        printf("; the block alone");
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
        const char *sep = " (";
        printf("wrote %s", path);
        if (f->source) {
                printf("%sfrom %s output%s", sep, f->source, f->dropped ? "; Docker's own rules left out" : "");
                sep = "; ";
        }
        if (f->added) {
                printf("%s%s", sep, f->old ? "the block added to what the image had" : "new, the block alone");
                sep = "; ";
        }
        if (f->old) {
                printf("%sprevious file kept as %s" ATOMIC_BACKUP_SUFFIX, sep, path);
                sep = "; ";
        }
        if (!streq(sep, " ("))
                putchar(')');
        putchar('\n');
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

/* Is UNIT not running yet? Then starting it restores its saved file into the live tables. */
static bool start_would_restore(struct systemd_bus *bus, const char *unit) {
        _cleanup_free_ char *state = NULL;
        return systemd_unit_active_state(bus, unit, &state) < 0 || !streq(state, "active");
}

/* Puts the file for the next boot back after a live snapshot stood in for it. */
static int restore_content(const struct options *o, const struct persist_file *f) {
        /* No new backup: the first write made it, holding the file as it was before persist. */
        int r = write_file(o, f, f->content, 0);
        return r < 0 ? EXIT_REFUSED : EXIT_OK;
}

/* Starts UNIT over D-Bus and waits for its job. Where the unit restores a saved rules file and is
 * not running yet, starting it would replace the live tables with a file that leaves Docker's
 * rules out: the file then holds a snapshot of the live rules taken right now (not when persist
 * planned: Docker may have added rules since) while the unit starts, and the file for the next
 * boot is put back afterwards, on failure too. */
static int start_unit(const struct options *o, struct persist_plan *p, const char *unit) {
        struct systemd_bus *bus = p->bus;
        const struct persist_file *f = NULL;
        _cleanup_free_ char *result = NULL;
        bool raw = false;
        int r, ret = EXIT_OK;

        for (size_t i = 0; i < p->n_files; i++)
                if (p->files[i].save_program && streq_ptr(persist_rules_service(p->method, p->files[i].family), unit))
                        f = &p->files[i];
        if (f && start_would_restore(bus, unit)) {
                _cleanup_free_ char *snapshot = NULL;
                r = persist_live_snapshot(f, &snapshot);
                if (r < 0) {
                        log_error_errno(r, "Failed to take a snapshot of the live rules with %s before starting %s "
                                           "(which would otherwise replace them): %m", f->save_program, unit);
                        return EXIT_REFUSED;
                }
                if (!streq(snapshot, f->content)) {
                        r = write_file(o, f, snapshot, 0);
                        raw = true; /* even a failed write may have left it: put the file back below */
                        if (r < 0) {
                                ret = EXIT_REFUSED;
                                goto finish;
                        }
                }
        }

        r = systemd_start_unit(bus, unit, 120, &result);
        if (r < 0) {
                log_error_errno(r, "Failed to start %s: %s", unit, systemd_bus_error(bus));
                ret = EXIT_REFUSED;
        } else if (!streq(result, "done")) {
                log_error("Starting %s ended with '%s'; see 'journalctl -u %s'", unit, result, unit);
                ret = EXIT_REFUSED;
        } else if (!quiet())
                printf("started %s (or it was running)%s\n", unit,
                       raw ? "; it restored the live rules, Docker's included" : "");

finish:
        if (raw && restore_content(o, f) != EXIT_OK)
                ret = EXIT_REFUSED;
        return ret;
}

static int run(const struct options *o, struct persist_plan *p) {
        struct systemd_bus *bus = p->bus;
        int r;

        for (size_t i = 0; i < p->n_files; i++) {
                const struct persist_file *f = &p->files[i];
                r = write_file(o, f, f->content, ATOMIC_BACKUP);
                if (r < 0)
                        return EXIT_REFUSED;
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
                r = start_unit(o, p, p->start[i]);
                if (r != EXIT_OK)
                        return r;
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
        enum fw_backend_kind backend;
        const char *reason;
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
        backend = persist_backend(o, fi.flavour, &reason);
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
