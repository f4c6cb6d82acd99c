/* SPDX-License-Identifier: Apache-2.0 */
#include <limits.h>
#include <stdarg.h>
#include <sys/socket.h>

#include "lib/atomic-file.h"
#include "lib/log.h"
#include "persist/persist.h"
#include "fw/rtnl-route.h"
#include "persist/save-text.h"
#include "lib/spawn.h"
#include "lib/util.h"

enum persist_method persist_method_for(enum flavour f, enum fw_backend_kind backend) {
        /* nftables hosts have no iptables.service to restore a file: the boot unit carries the block. */
        if (backend == FW_BACKEND_NFTABLES)
                return PERSIST_BOOT_UNIT;
        switch (f) {
        case FLAVOUR_AL2:
                return PERSIST_SYSCONFIG_SYSTEMD;
        case FLAVOUR_AL1:
                return PERSIST_SYSCONFIG_SYSV;
        case FLAVOUR_DEBIAN:
                return PERSIST_RULES_FILES;
        default:
                return PERSIST_BOOT_UNIT;
        }
}

enum fw_backend_kind persist_backend(const struct options *o, enum flavour f, const char **ret_reason) {
        const char *reason;
        enum fw_backend_kind k;

        if (streq(o->root, "/") || o->backend != FW_BACKEND_AUTO)
                return fw_backend_resolve(o->backend, ret_reason);

        switch (f) {
        case FLAVOUR_AL1:
        case FLAVOUR_AL2:
        case FLAVOUR_DEBIAN:
                k = FW_BACKEND_IPTABLES;
                reason = "--root: the image's flavour saves iptables rules (the build host's firewall is not the image's)";
                break;
        case FLAVOUR_AL2023:
                k = FW_BACKEND_NFTABLES;
                reason = "--root: AL2023 uses nftables (the build host's firewall is not the image's)";
                break;
        default:
                k = FW_BACKEND_AUTO;
                reason = "--root: flavour none says nothing of the image's firewall; the boot unit chooses at boot";
        }
        if (ret_reason)
                *ret_reason = reason;
        return k;
}

const char *persist_method_describe(enum persist_method m) {
        switch (m) {
        case PERSIST_SYSCONFIG_SYSTEMD:
                return "iptables-save output in /etc/sysconfig/iptables (and ip6tables), restored by iptables.service";
        case PERSIST_SYSCONFIG_SYSV:
                return "iptables-save output in /etc/sysconfig/iptables (and ip6tables), restored by the iptables init script";
        case PERSIST_RULES_FILES:
                return "iptables-save output in /etc/iptables/rules.v4 (and rules.v6), restored by netfilter-persistent";
        default:
                return "ecs-harden.service re-applies the block from /etc/ecs-harden.conf at boot";
        }
}

const char *persist_rules_path(enum persist_method m, int family) {
        bool v6 = family == AF_INET6;
        switch (m) {
        case PERSIST_SYSCONFIG_SYSTEMD:
        case PERSIST_SYSCONFIG_SYSV:
                return v6 ? "/etc/sysconfig/ip6tables" : "/etc/sysconfig/iptables";
        case PERSIST_RULES_FILES:
                return v6 ? "/etc/iptables/rules.v6" : "/etc/iptables/rules.v4";
        default:
                return NULL;
        }
}

const char *persist_rules_service(enum persist_method m, int family) {
        bool v6 = family == AF_INET6;
        switch (m) {
        case PERSIST_SYSCONFIG_SYSTEMD:
                return v6 ? "ip6tables.service" : "iptables.service";
        case PERSIST_SYSCONFIG_SYSV:
                return v6 ? "ip6tables" : "iptables";
        case PERSIST_RULES_FILES:
                return "netfilter-persistent.service";
        default:
                return NULL;
        }
}

int persist_config_text(const struct block *b, enum fw_backend_kind backend, char **ret) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return -ENOMEM;
        fputs("# Written by 'ecs-harden persist': the block that ecs-harden.service re-applies at boot\n"
              "# and the drift repair keeps in place. Options on the command line override these.\n"
              "INTERFACES=", f);
        for (size_t i = 0; i < b->n_patterns; i++)
                fprintf(f, "%s%s", i ? " " : "", b->patterns[i]);
        fprintf(f, "\nIPV6=%s\nBACKEND=%s\n", b->ipv6 ? "yes" : "no", fw_backend_to_string(backend));
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        return 0;
}

void persist_plan_done(struct persist_plan *p) {
        for (size_t i = 0; i < p->n_files; i++) {
                free(p->files[i].path);
                free(p->files[i].content);
                free(p->files[i].old);
                free(p->files[i].source);
                free(p->files[i].save_program);
        }
        install_plan_done(&p->links);
        systemd_bus_close(p->bus);
        memset(p, 0, sizeof(*p));
}

_printf_(3, 4) static int fail(struct persist_error *err, int code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        err->exit_code = code;
        return -EINVAL;
}

/* ---- capturing the live rules ---- */

enum save_kind {
        SAVE_LEGACY,
        SAVE_NFT,
        SAVE_SYSTEM,            /* whichever the system's iptables command is */
};

struct save_program {
        const char *paths[2];
        enum save_kind kind;
};

static const struct save_program save_v4[] = {
        { { "/usr/sbin/iptables-legacy-save", "/sbin/iptables-legacy-save" }, SAVE_LEGACY },
        { { "/usr/sbin/iptables-save", "/sbin/iptables-save" }, SAVE_SYSTEM },
        { { "/usr/sbin/iptables-nft-save", "/sbin/iptables-nft-save" }, SAVE_NFT },
};
static const struct save_program save_v6[] = {
        { { "/usr/sbin/ip6tables-legacy-save", "/sbin/ip6tables-legacy-save" }, SAVE_LEGACY },
        { { "/usr/sbin/ip6tables-save", "/sbin/ip6tables-save" }, SAVE_SYSTEM },
        { { "/usr/sbin/ip6tables-nft-save", "/sbin/ip6tables-nft-save" }, SAVE_NFT },
};

/* Is this save program the nf_tables variant? The suffixed ones say so in their name. The plain
 * iptables-save is switched together with iptables (one alternatives group with its slaves on
 * Debian, Fedora and AL2023; AL1 and AL2 ship the legacy variant only), so for it the question is
 * fw_system_iptables_variant()'s; without an iptables command it is an old, legacy-only one. */
static bool save_is_nft(enum save_kind kind) {
        if (kind == SAVE_SYSTEM)
                return fw_system_iptables_variant() == FW_BACKEND_NFTABLES;
        return kind == SAVE_NFT;
}

/* Runs the save program of each variant (legacy first: the iptables backend writes there) and
 * keeps the output of the first that holds the block, and that program's path. */
static int capture(const struct block *b, int family, char **ret_text, char **ret_program, struct persist_error *err) {
        const struct save_program *programs = family == AF_INET6 ? save_v6 : save_v4;
        bool tried[2] = {}; /* legacy, nft */
        char tried_names[256] = "";
        char failed[256] = ""; /* a program that did not run to a clean exit: the rules are unknown, not missing */
        bool any = false;

        for (int pass = 0; pass < 2; pass++)
                for (size_t g = 0; g < ELEMENTSOF(save_v4); g++) {
                        const char *path = NULL;
                        for (size_t i = 0; i < ELEMENTSOF(programs[g].paths); i++)
                                if (access(programs[g].paths[i], X_OK) == 0) {
                                        path = programs[g].paths[i];
                                        break;
                                }
                        if (!path)
                                continue;
                        int kind = save_is_nft(programs[g].kind);
                        if (kind != pass || tried[kind])
                                continue;
                        tried[kind] = true;
                        any = true;

                        struct spawn_result res;
                        char *argv[] = { (char *) path, NULL };
                        int r = spawn_capture(argv, 1, &res);
                        if (r < 0) {
                                if (!failed[0])
                                        snprintf(failed, sizeof(failed), "%s could not be run: %s", path, strerror(-r));
                                continue;
                        }
                        if (res.status != 0 && !failed[0])
                                snprintf(failed, sizeof(failed), "%s failed with exit status %d%s%.120s", path,
                                         res.status, res.err && res.err[0] ? ": " : "", res.err ? strstrip(res.err) : "");
                        snprintf(tried_names + strlen(tried_names), sizeof(tried_names) - strlen(tried_names), "%s%s",
                                 tried_names[0] ? ", " : "", strrchr(path, '/') + 1);
                        if (res.status == 0 && save_text_has_block(res.out, b, family)) {
                                *ret_text = TAKE_PTR(res.out);
                                *ret_program = strdup(path);
                                spawn_result_done(&res);
                                return *ret_program ? 0 : -ENOMEM;
                        }
                        spawn_result_done(&res);
                }

        if (!any)
                return fail(err, EXIT_REFUSED, "no %s program found in /usr/sbin or /sbin; install iptables",
                            family == AF_INET6 ? "ip6tables-save" : "iptables-save");
        /* "Run apply first" would send the operator after the wrong problem when the block may well be live. */
        if (failed[0])
                return fail(err, EXIT_REFUSED, "cannot read the live %s rules: %s", family == AF_INET6 ? "IPv6" : "IPv4",
                            failed);
        return fail(err, EXIT_NOT_SO,
                    "the %s block is not in place in the live rules (checked the output of %s), so there is nothing "
                    "to save; run 'ecs-harden apply' first%s",
                    family == AF_INET6 ? "IPv6" : "IPv4", tried_names[0] ? tried_names : "no program",
                    family == AF_INET6 ? " (or persist with --no-ipv6)" : "");
}

int persist_live_snapshot(const struct persist_file *f, char **ret) {
        struct spawn_result res;
        int r;

        if (!f->save_program)
                return -EINVAL;
        char *argv[] = { f->save_program, NULL };
        r = spawn_capture(argv, 1, &res);
        if (r < 0)
                return r;
        if (res.status != 0) {
                spawn_result_done(&res);
                return -EBADMSG;
        }
        r = save_text_normalize(res.out, "Saved by 'ecs-harden persist' (live snapshot, replaced in a moment)", ret);
        spawn_result_done(&res);
        return r;
}

/* ---- files ---- */

static int plan_file(struct persist_plan *p, const char *root, const char *path, char *content, mode_t mode, int family,
                     struct persist_error *err) {
        struct persist_file *f;
        _cleanup_free_ char *bak = NULL;
        char *old = NULL, *dummy = NULL;
        size_t size;
        int r;

        if (p->n_files >= ELEMENTSOF(p->files)) {
                free(content);
                return -E2BIG;
        }
        f = &p->files[p->n_files];
        *f = (struct persist_file) { .path = strdup(path), .content = content, .size = strlen(content), .mode = mode,
                                     .family = family };
        p->n_files++;
        if (!f->path)
                return -ENOMEM;

        _cleanup_free_ char *full = path_join_root(root, path);
        r = read_file_nofollow(root, path, &old, &size);
        if (r == -ELOOP)
                return fail(err, EXIT_REFUSED,
                            "refusing to write %s: it or a folder on its path is a symbolic link "
                            "(a link there could redirect a root-owned write anywhere)",
                            full ? full : path);
        if (r < 0 && r != -ENOENT && r != -ENOTDIR)
                return fail(err, EXIT_REFUSED, "cannot read %s: %s", full ? full : path, strerror(-r));
        if (r == -ENOTDIR)
                return fail(err, EXIT_REFUSED, "cannot write %s: a part of its folder path is not a folder",
                            full ? full : path);
        f->old = r == 0 ? old : NULL;
        f->old_size = r == 0 ? size : 0;

        if (asprintf(&bak, "%s" ATOMIC_BACKUP_SUFFIX, path) < 0)
                return -ENOMEM;
        r = read_file_nofollow(root, bak, &dummy, &size);
        free(dummy);
        if (r == -ELOOP)
                return fail(err, EXIT_REFUSED, "refusing to write %s" ATOMIC_BACKUP_SUFFIX ": it is a symbolic link",
                            full ? full : path);
        return 0;
}

/* /etc/sysconfig/iptables is 0600 on Amazon Linux; netfilter-persistent makes its files 0640. */
static mode_t rules_mode(enum persist_method m) {
        return m == PERSIST_RULES_FILES ? 0640 : 0600;
}

/* Live: the running host's rules as iptables-save prints them, Docker's own left out. */
static int plan_rules_file_live(struct persist_plan *p, const struct options *o, int family, struct persist_error *err) {
        _cleanup_free_ char *raw = NULL, *program = NULL, *prepared = NULL, *header = NULL;
        const char *name;
        unsigned dropped = 0;
        int r;

        r = capture(&o->block, family, &raw, &program, err);
        if (r < 0)
                return r;
        name = strrchr(program, '/') + 1;
        /* The same header whatever Docker had running: saving an unchanged rule set must give the same bytes. */
        if (asprintf(&header, "Saved by 'ecs-harden persist' from %s output; the chains and rules that dockerd "
                              "re-creates when it starts are left out", name) < 0)
                return -ENOMEM;
        r = save_text_prepare(raw, header, &prepared, &dropped);
        if (r < 0)
                return r;

        r = plan_file(p, o->root, persist_rules_path(p->method, family), TAKE_PTR(prepared), rules_mode(p->method),
                      family, err);
        if (r < 0)
                return r;
        struct persist_file *f = &p->files[p->n_files - 1];
        f->source = strdup(name);
        if (!f->source)
                return -ENOMEM;
        /* Starting iptables.service restores the file and so replaces the live tables: the command
         * takes a fresh snapshot with this program right before it starts the service. */
        f->save_program = TAKE_PTR(program);
        f->dropped = dropped;
        return 0;
}

/* Under --root: the image's own file with the block added. The build host's live rules (its
 * Docker's, its operator's) have no place in an image. */
static int plan_rules_file_offline(struct persist_plan *p, const struct options *o, int family,
                                   struct persist_error *err) {
        const char *path = persist_rules_path(p->method, family);
        _cleanup_free_ char *content = NULL;
        char *placeholder = strdup("");
        unsigned added = 0;
        int r;

        if (!placeholder)
                return -ENOMEM;
        /* plan_file() reads the current file, refusing symbolic links; the content follows from it. */
        r = plan_file(p, o->root, path, placeholder, rules_mode(p->method), family, err);
        if (r < 0)
                return r;
        struct persist_file *f = &p->files[p->n_files - 1];
        unsigned line = 0;
        const char *bad = NULL;
        if (f->old && save_text_check(f->old, f->old_size, &line, &bad) < 0) {
                _cleanup_free_ char *full = path_join_root(o->root, path);
                return fail(err, EXIT_USAGE, "%s is not an iptables-save file that iptables-restore would load "
                                             "(line %u: %s); fix or remove it and run persist again (nothing was "
                                             "written)", full ? full : path, line, bad);
        }
        r = save_text_add_block(f->old, &o->block, family,
                                "Written by 'ecs-harden persist --root' for an image: the metadata block", &content, &added);
        if (r == -EBADMSG) {
                _cleanup_free_ char *full = path_join_root(o->root, path);
                return fail(err, EXIT_USAGE, "%s is not an iptables-save file (its *filter table has no COMMIT, or "
                                             "there are two); fix or remove it and run persist again",
                            full ? full : path);
        }
        if (r < 0)
                return r;
        free(f->content);
        f->size = strlen(content);
        f->content = TAKE_PTR(content);
        f->added = added;
        return 0;
}

static int plan_rules_file(struct persist_plan *p, const struct options *o, int family, struct persist_error *err) {
        return p->live ? plan_rules_file_live(p, o, family, err) : plan_rules_file_offline(p, o, family, err);
}

/* Appends V to a fixed list of the plan (ARRAY, *N, its capacity MAX): -E2BIG when full. */
static int plan_push(const void **array, size_t *n, size_t max, const void *v) {
        if (*n >= max)
                return -E2BIG;
        array[(*n)++] = v;
        return 0;
}

/* ---- units ---- */

static int plan_unit(struct persist_plan *p, const struct options *o, const char *unit, bool start, bool required,
                     const char *hint, struct persist_error *err) {
        int r;

        if (p->bus) {
                _cleanup_free_ char *state = NULL;
                r = systemd_unit_file_state(p->bus, unit, &state);
                if (r == -ENOENT) {
                        if (!required)
                                return 0;
                        return fail(err, EXIT_REFUSED, "%s is not installed; %s", unit, hint);
                }
                if (r < 0)
                        return fail(err, EXIT_REFUSED, "cannot ask systemd about %s: %s", unit,
                                    systemd_bus_error(p->bus));
                if (streq(state, "masked"))
                        return fail(err, EXIT_REFUSED, "%s is masked; unmask it (systemctl unmask %s) and run persist again",
                                    unit, unit);
                r = plan_push((const void **) p->enable, &p->n_enable, ELEMENTSOF(p->enable), unit);
                if (r >= 0 && start)
                        r = plan_push((const void **) p->start, &p->n_start, ELEMENTSOF(p->start), unit);
                return r;
        }

        struct install_plan links;
        r = unit_enable_plan(o->root, unit, &links);
        if (r == -ENOENT) {
                if (!required)
                        return 0;
                return fail(err, EXIT_REFUSED, "%s is not installed under %s; %s", unit, o->root, hint);
        }
        if (r == -ERFKILL)
                return fail(err, EXIT_REFUSED, "%s is masked under %s (linked to /dev/null); unmask it first", unit,
                            o->root);
        if (r == -ENOMEDIUM)
                return fail(err, EXIT_REFUSED, "%s has no [Install] section under %s; it cannot be enabled", unit,
                            o->root);
        if (r < 0)
                return fail(err, EXIT_REFUSED, "cannot read %s under %s: %s", unit, o->root, strerror(-r));

        for (size_t i = 0; i < links.n_links; i++) {
                const struct install_link *l = &links.links[i];
                const char *shown_root = streq(o->root, "/") ? "" : o->root;
                r = install_link_state(o->root, l);
                if (r == -ELOOP || r == -ENOTDIR)
                        r = fail(err, EXIT_REFUSED, "refusing to enable %s: a folder on the path %s%s is a symbolic link "
                                                    "or not a folder", unit, shown_root, l->dir);
                else if (r == -EEXIST)
                        r = fail(err, EXIT_REFUSED, "cannot enable %s: %s%s/%s exists and is not a link to %s", unit,
                                 shown_root, l->dir, l->name, l->target);
                else
                        r = 0;
                if (r < 0) {
                        install_plan_done(&links);
                        return r;
                }
        }
        r = install_plan_merge(&p->links, &links);
        install_plan_done(&links);
        return r;
}

static int plan_sysv(struct persist_plan *p, const struct options *o, const char *service, struct persist_error *err) {
        struct install_plan links;
        int r = sysv_enable_plan(o->root, service, &links);
        if (r == -ENOENT)
                return fail(err, EXIT_REFUSED, "the %s init script is not installed under %s; install iptables", service,
                            o->root);
        if (r == -EBADMSG)
                return fail(err, EXIT_REFUSED, "the %s init script under %s has no '# chkconfig:' header", service,
                            o->root);
        if (r < 0)
                return fail(err, EXIT_REFUSED, "cannot read the %s init script under %s: %s", service, o->root,
                            strerror(-r));
        for (size_t i = 0; i < links.n_links; i++) {
                r = install_link_state(o->root, &links.links[i]);
                if (r == -ELOOP || r == -ENOTDIR || r == -EEXIST) {
                        _cleanup_free_ char *full = NULL;
                        if (asprintf(&full, "%s/%s", links.links[i].dir, links.links[i].name) < 0)
                                full = NULL;
                        install_plan_done(&links);
                        return fail(err, EXIT_REFUSED, "refusing to touch %s under %s: %s", strempty(full), o->root,
                                    r == -EEXIST ? "something other than a symbolic link is in its place" :
                                                   "a folder on its path is a symbolic link");
                }
        }
        r = install_plan_merge(&p->links, &links);
        install_plan_done(&links);
        return r;
}

static char *const al1_save4[] = { (char *) "/sbin/service", (char *) "iptables", (char *) "save", NULL };
static char *const al1_save6[] = { (char *) "/sbin/service", (char *) "ip6tables", (char *) "save", NULL };
static char *const al1_on4[] = { (char *) "/sbin/chkconfig", (char *) "iptables", (char *) "on", NULL };
static char *const al1_on6[] = { (char *) "/sbin/chkconfig", (char *) "ip6tables", (char *) "on", NULL };

int persist_plan_add_sysv_live(struct persist_plan *p, int family) {
        bool v6 = family == AF_INET6;
        int r = plan_push((const void **) p->run, &p->n_run, ELEMENTSOF(p->run), v6 ? al1_save6 : al1_save4);
        if (r < 0)
                return r;
        return plan_push((const void **) p->run, &p->n_run, ELEMENTSOF(p->run), v6 ? al1_on6 : al1_on4);
}

int persist_plan(const struct options *o, enum flavour f, enum fw_backend_kind backend, struct persist_plan *p,
                 struct persist_error *err) {
        size_t nfam = block_n_families(&o->block);
        int r;

        memset(p, 0, sizeof(*p));
        memset(err, 0, sizeof(*err));
        p->flavour = f;
        p->backend = backend;
        p->method = persist_method_for(f, backend);
        p->live = streq(o->root, "/");

        /* Like systemctl in a chroot or an image build: without a running systemd (no
         * /run/systemd/system, see sd_booted(3)) the links are made offline and nothing is started. */
        p->systemd_running = access("/run/systemd/system/", F_OK) == 0;
        if (p->live && p->systemd_running && p->method != PERSIST_SYSCONFIG_SYSV) {
                r = systemd_bus_open(&p->bus);
                if (r == -EOPNOTSUPP)
                        return fail(err, EXIT_REFUSED, "cannot load libsystemd.so.0 to talk to systemd; install libsystemd0");
                if (r < 0)
                        return fail(err, EXIT_REFUSED, "cannot reach the running systemd: %s", strerror(-r));
        }

        switch (p->method) {
        case PERSIST_SYSCONFIG_SYSTEMD:
                for (size_t i = 0; i < nfam; i++) {
                        int fam = block_family(&o->block, i);
                        r = plan_unit(p, o, persist_rules_service(p->method, fam), true, true,
                                      "install iptables-services (yum install -y iptables-services) and run persist again", err);
                        if (r < 0)
                                return r;
                }
                for (size_t i = 0; i < nfam; i++) {
                        r = plan_rules_file(p, o, block_family(&o->block, i), err);
                        if (r < 0)
                                return r;
                }
                break;

        case PERSIST_SYSCONFIG_SYSV:
                if (p->live) {
                        static const char *const tools[] = { "/sbin/service", "/sbin/chkconfig" };
                        for (size_t i = 0; i < ELEMENTSOF(tools); i++)
                                if (access(tools[i], X_OK) < 0)
                                        return fail(err, EXIT_REFUSED, "%s not found; this does not look like an Amazon "
                                                                       "Linux AMI (use --flavour)", tools[i]);
                }
                for (size_t i = 0; i < nfam; i++) {
                        int fam = block_family(&o->block, i);
                        const char *svc = persist_rules_service(p->method, fam);
                        if (p->live) {
                                /* `service iptables save` does the writing; refuse first if the block is not live. */
                                _cleanup_free_ char *text = NULL, *program = NULL;
                                r = capture(&o->block, fam, &text, &program, err);
                                if (r < 0)
                                        return r;
                                struct install_plan probe;
                                r = sysv_enable_plan("/", svc, &probe);
                                install_plan_done(&probe);
                                if (r < 0)
                                        return fail(err, EXIT_REFUSED, "the %s init script is missing or has no "
                                                                       "chkconfig header; install iptables", svc);
                                r = persist_plan_add_sysv_live(p, fam);
                                if (r < 0)
                                        return r;
                        } else {
                                r = plan_sysv(p, o, svc, err);
                                if (r < 0)
                                        return r;
                                r = plan_rules_file(p, o, fam, err);
                                if (r < 0)
                                        return r;
                        }
                }
                break;

        case PERSIST_RULES_FILES:
                for (size_t i = 0; i < nfam; i++) {
                        r = plan_rules_file(p, o, block_family(&o->block, i), err);
                        if (r < 0)
                                return r;
                }
                break;

        default:
                break;
        }

        /* Every flavour: the configuration file and the boot unit. */
        _cleanup_free_ char *conf = NULL;
        r = persist_config_text(&o->block, backend, &conf);
        if (r < 0)
                return r;
        r = plan_file(p, o->root, ECS_HARDEN_CONF, TAKE_PTR(conf), 0644, 0, err);
        if (r < 0)
                return r;

        /* Legacy iptables with no iptables service: libiptc, unlike the iptables command, loads no
         * module, and the hardened boot unit may not (no CAP_SYS_MODULE). Without a legacy
         * iptables command run since boot, ip_tables is not there and the boot unit fails:
         * systemd-modules-load.service loads it early in the boot. Never on other hosts: a
         * hardening tool does not load legacy netfilter code that nothing uses. */
        if (backend == FW_BACKEND_IPTABLES &&
            (p->method == PERSIST_BOOT_UNIT || p->method == PERSIST_RULES_FILES)) {
                bool v6 = false;
                for (size_t i = 0; i < nfam; i++)
                        v6 = v6 || block_family(&o->block, i) == AF_INET6;
                char *modules = strdup(v6 ? PERSIST_MODULES_HEADER "ip_tables\nip6_tables\n"
                                          : PERSIST_MODULES_HEADER "ip_tables\n");
                if (!modules)
                        return -ENOMEM;
                r = plan_file(p, o->root, PERSIST_MODULES_LOAD, modules, 0644, 0, err);
                if (r < 0)
                        return r;
        }

        if (p->method == PERSIST_SYSCONFIG_SYSV) {
                /* The Amazon Linux AMI boots with upstart and SysV scripts, not systemd: the
                 * iptables init script is what restores the block there. */
                return 0;
        }
        r = plan_unit(p, o, ECS_HARDEN_UNIT, false, true,
                      "install ecs-harden's units (make install, or the package) and run persist again", err);
        if (r < 0)
                return r;
        return plan_unit(p, o, ECS_HARDEN_TIMER, true, false, NULL, err);
}

/* ---- checking ---- */

/* Reads TEXT as every command reads ecs-harden.conf (options_parse_config_text()) into a scratch
 * set of options, defaults filled in. 0, -EINVAL for a bad value or line, -ENOMEM. */
static int conf_options(const char *text, size_t size, struct options *ret) {
        _cleanup_free_ char *copy = NULL;
        int r;

        if (memchr(text, '\0', size))
                return -EINVAL;
        copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        memset(ret, 0, sizeof(*ret));
        ret->root = "/";
        ret->block.ipv6 = true;
        /* The parser names each bad line itself, but a library does not print: every command has
         * read this file at its start (and said what is wrong with it) before it gets here. */
        enum log_level saved = log_max_level;
        log_max_level = LOG_LEVEL_OFF;
        r = options_parse_config_text(ret, copy, ECS_HARDEN_CONF);
        log_max_level = saved;
        if (r < 0)
                return r == -ENOMEM ? r : -EINVAL;
        options_finish(ret);
        return 0;
}

/* Does the configuration C re-apply all of block B (every pattern, and IPv6 where B has it)? */
static bool conf_holds(const struct options *c, const struct block *b) {
        if (b->ipv6 && !c->block.ipv6)
                return false;
        for (size_t i = 0; i < b->n_patterns; i++) {
                bool found = false;
                for (size_t j = 0; j < c->block.n_patterns; j++)
                        found = found || streq(c->block.patterns[j], b->patterns[i]);
                if (!found)
                        return false;
        }
        return true;
}

static void unit_state_set(struct persist_unit_state *u, const char *unit, int enabled, const char *state) {
        u->unit = unit;
        u->enabled = enabled;
        snprintf(u->state, sizeof(u->state), "%s", state);
}

static void unit_state_offline(const char *root, const char *unit, struct persist_unit_state *u) {
        int r = unit_enabled_offline(root, unit);
        unit_state_set(u, unit, r,
                       r == 1 ? "enabled" : r == 0 ? "disabled" : r == -ENOENT ? "not-found" : r == -ERFKILL ? "masked" :
                       r == -ENOMEDIUM ? "static" : "unknown");
        if (r == -ENOMEDIUM)
                u->enabled = 0;
}

static void unit_state_query(struct systemd_bus *bus, const char *root, const char *unit, struct persist_unit_state *u) {
        _cleanup_free_ char *state = NULL;

        if (!bus) {
                unit_state_offline(root, unit, u);
                return;
        }
        int r = systemd_unit_file_state(bus, unit, &state);
        if (r == -ENOENT)
                unit_state_set(u, unit, -ENOENT, "not-found");
        else if (r < 0)
                unit_state_set(u, unit, r, "unknown");
        else
                unit_state_set(u, unit,
                               strncmp(state, "enabled", 7) == 0 || streq(state, "alias") || streq(state, "linked") ? 1 :
                               streq(state, "masked") ? -ERFKILL : 0,
                               state);
}

/* Does the saved file hold the block as the kernel would load it at boot: every pattern's rule in
 * FORWARD after iptables-restore, with nothing ahead that accepts first and no later flush? */
static int saved_file_judge(const struct options *o, const char *text, size_t size, int family,
                            struct persist_file_state *fs) {
        char uplink[IFNAMSIZ] = "";
        uint8_t imds[16];
        struct fw_status st;
        unsigned line = 0;
        const char *bad = NULL;
        int r;

        fs->holds_block = false;
        if (save_text_check(text, size, &line, &bad) < 0) {
                snprintf(fs->why, sizeof(fs->why), "iptables-restore would refuse it: line %u: %s", line, bad);
                return 0;
        }
        /* The live host's route to IMDS decides which -o rules can see the packet; an image has none. */
        block_address(family, imds);
        if (streq(o->root, "/") && rtnl_route_oif(family, imds, uplink) < 0)
                uplink[0] = '\0';
        r = fw_judge_saved(text, family, &o->block, uplink, &st);
        if (r < 0)
                return r;
        fs->holds_block = st.n_rules > 0;
        for (size_t i = 0; i < st.n_rules; i++) {
                const struct fw_rule_status *rs = &st.rules[i];
                if (rs->copies > 0 && rs->effective)
                        continue;
                fs->holds_block = false;
                if (fs->why[0])
                        continue;
                if (rs->copies == 0)
                        snprintf(fs->why, sizeof(fs->why), "FORWARD as restored from it has no rule for -i %s "
                                 "(absent, deleted or flushed later in the file)", rs->pattern);
                else
                        snprintf(fs->why, sizeof(fs->why), "'%s' stands ahead of the rule for -i %s: %s",
                                 rs->n_ahead ? rs->ahead[0].rule : "?", rs->pattern,
                                 rs->n_ahead ? rs->ahead[0].why : "it can accept the packet first");
        }
        fw_status_done(&st);
        return 0;
}

int persist_check(const struct options *o, enum flavour f, struct persist_state *s) {
        _cleanup_systemd_bus_ struct systemd_bus *bus = NULL;
        _cleanup_free_ char *conf = NULL;
        size_t size;
        int r;

        memset(s, 0, sizeof(*s));
        s->flavour = f;
        s->backend = persist_backend(o, f, NULL);
        s->method = persist_method_for(f, s->backend);

        if (streq(o->root, "/") && s->method != PERSIST_SYSCONFIG_SYSV && systemd_bus_open(&bus) < 0)
                bus = NULL; /* not booted with systemd (a container, a chroot): read the links instead */

        for (size_t i = 0; i < block_n_families(&o->block) && persist_rules_path(s->method, AF_INET); i++) {
                int fam = block_family(&o->block, i);
                struct persist_file_state *fs = &s->files[s->n_files++];
                _cleanup_free_ char *text = NULL;
                fs->path = persist_rules_path(s->method, fam);
                /* What boot restores: links resolve inside the root, as they will at boot. */
                r = read_file_in_root(o->root, fs->path, &text, &size);
                fs->exists = r == 0 ? 1 : r == -ENOENT ? 0 : r;
                if (r == 0) {
                        r = saved_file_judge(o, text, size, fam, fs);
                        if (r == -ENOMEM)
                                return r;
                }
        }

        switch (s->method) {
        case PERSIST_SYSCONFIG_SYSTEMD:
                for (size_t i = 0; i < block_n_families(&o->block); i++)
                        unit_state_query(bus, o->root, persist_rules_service(s->method, block_family(&o->block, i)),
                                         &s->services[s->n_services++]);
                break;
        case PERSIST_SYSCONFIG_SYSV:
                for (size_t i = 0; i < block_n_families(&o->block); i++) {
                        const char *svc = persist_rules_service(s->method, block_family(&o->block, i));
                        /* Runlevel 3 is where an Amazon Linux AMI boots. */
                        r = sysv_enabled_offline(o->root, svc, 3);
                        unit_state_set(&s->services[s->n_services++], svc, r, r == 1 ? "on" : r == 0 ? "off" : "unknown");
                }
                break;
        case PERSIST_RULES_FILES:
                unit_state_query(bus, o->root, "netfilter-persistent.service", &s->services[s->n_services++]);
                break;
        default:
                break;
        }
        unit_state_query(bus, o->root, ECS_HARDEN_UNIT, &s->boot_unit);

        r = read_file_in_root(o->root, ECS_HARDEN_CONF, &conf, &size);
        s->config_exists = r == 0 ? 1 : r == -ENOENT ? 0 : r;
        if (r == 0) {
                struct options c;
                r = conf_options(conf, size, &c);
                if (r == -ENOMEM)
                        return r;
                s->config_valid = r == 0;
                s->config_holds_block = r == 0 && conf_holds(&c, &o->block);
        }

        bool files_hold = s->n_files > 0;
        const char *missing_file = NULL, *missing_why = "";
        for (size_t i = 0; i < s->n_files; i++)
                if (!s->files[i].holds_block && !missing_file) {
                        files_hold = false;
                        missing_file = s->files[i].path;
                        missing_why = s->files[i].why;
                }
        bool services_on = true;
        const char *off = NULL;
        for (size_t i = 0; i < s->n_services; i++)
                if (s->services[i].enabled != 1) {
                        services_on = false;
                        off = off ? off : s->services[i].unit;
                }
        bool unit_carries = s->boot_unit.enabled == 1 && s->config_holds_block;

        switch (s->method) {
        case PERSIST_SYSCONFIG_SYSTEMD:
        case PERSIST_SYSCONFIG_SYSV:
                s->holds = files_hold && services_on;
                if (s->holds)
                        snprintf(s->summary, sizeof(s->summary), "%s holds the block and %s is enabled", s->files[0].path,
                                 s->services[0].unit);
                else if (!files_hold)
                        snprintf(s->summary, sizeof(s->summary), "%s does not hold the block%s%.160s", missing_file,
                                 missing_why[0] ? ": " : "", missing_why);
                else
                        snprintf(s->summary, sizeof(s->summary), "%s is not enabled (%s)", off, s->services[0].state);
                break;
        case PERSIST_RULES_FILES:
                /* Without netfilter-persistent nobody restores rules.v4; the boot unit still re-applies the block. */
                s->holds = files_hold && (services_on || unit_carries);
                if (s->holds)
                        snprintf(s->summary, sizeof(s->summary), "%s holds the block (restored by %s)", s->files[0].path,
                                 services_on ? "netfilter-persistent" : ECS_HARDEN_UNIT);
                else if (!files_hold)
                        snprintf(s->summary, sizeof(s->summary), "%s does not hold the block%s%.160s", missing_file,
                                 missing_why[0] ? ": " : "", missing_why);
                else
                        snprintf(s->summary, sizeof(s->summary),
                                 "%s holds the block but neither netfilter-persistent nor " ECS_HARDEN_UNIT
                                 " restores it at boot", s->files[0].path);
                break;
        default:
                s->holds = unit_carries;
                if (s->holds)
                        snprintf(s->summary, sizeof(s->summary), ECS_HARDEN_UNIT " is enabled and " ECS_HARDEN_CONF
                                                                 " holds the block");
                else if (s->boot_unit.enabled != 1)
                        snprintf(s->summary, sizeof(s->summary), ECS_HARDEN_UNIT " is %s: nothing re-applies the block "
                                                                 "at boot", s->boot_unit.state);
                else
                        snprintf(s->summary, sizeof(s->summary), ECS_HARDEN_CONF " %s",
                                 s->config_exists != 1 ? "is missing" :
                                 !s->config_valid ? "is not valid (any ecs-harden command names the bad line)" :
                                 "does not cover the block's interfaces or IPv6");
        }
        if (!s->holds)
                snprintf(s->remediation, sizeof(s->remediation), "run 'ecs-harden%s%s persist'",
                         streq(o->root, "/") ? "" : " --root ", streq(o->root, "/") ? "" : o->root);
        return 0;
}
