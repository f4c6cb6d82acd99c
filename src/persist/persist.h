/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "persist/flavour.h"
#include "fw/fw.h"
#include "lib/bus-systemd.h"
#include "persist/install-links.h"
#include "cli/options.h"

/* How the block survives a reboot, per flavour and backend (DESIGN.md, "Persistence per
 * flavour"). persist_plan() works out every file and link without changing anything; the command
 * layer shows it (--dry-run) or carries it out. persist_check() is what `status` reports. */

enum persist_method {
        PERSIST_SYSCONFIG_SYSTEMD,      /* al2: /etc/sysconfig/iptables, iptables.service */
        PERSIST_SYSCONFIG_SYSV,         /* al1: /etc/sysconfig/iptables, SysV init + chkconfig */
        PERSIST_RULES_FILES,            /* debian with iptables: /etc/iptables/rules.v4, netfilter-persistent */
        PERSIST_BOOT_UNIT,              /* al2023, none, every nftables host: ecs-harden.service alone */
        _PERSIST_METHOD_MAX,
};

#define ECS_HARDEN_UNIT "ecs-harden.service"
#define ECS_HARDEN_TIMER "ecs-harden-repair.timer"
#define ECS_HARDEN_CONF "/etc/ecs-harden.conf"
/* Loads the legacy iptables modules at boot where no iptables service does (modules-load.d(5)). */
#define PERSIST_MODULES_LOAD "/etc/modules-load.d/ecs-harden.conf"
#define PERSIST_MODULES_HEADER \
        "# Written by ecs-harden persist: the block is legacy iptables, and no iptables service loads these\n"

enum persist_method persist_method_for(enum flavour f, enum fw_backend_kind backend);

/* The backend persist writes for. On "/" it is the running host's (fw_backend_resolve()). Under
 * --root DIR it is an image's, so the build host's firewall says nothing about it: O's backend
 * (--backend, or BACKEND= in DIR/etc/ecs-harden.conf) unless auto, else the flavour's default
 * (al1, al2, debian: iptables; al2023: nftables; none: auto, left to the boot unit). *ret_reason
 * (may be NULL) is a static explanation. */
enum fw_backend_kind persist_backend(const struct options *o, enum flavour f, const char **ret_reason);
/* One line saying what the method does, for output. */
const char *persist_method_describe(enum persist_method m);

/* The saved rules file of FAMILY for METHOD (path inside ROOT), or NULL when it has none. */
const char *persist_rules_path(enum persist_method m, int family);
/* The service that restores that file at boot ("iptables.service", "netfilter-persistent.service",
 * or the SysV name "iptables"), or NULL. */
const char *persist_rules_service(enum persist_method m, int family);

/* The text of ROOT/etc/ecs-harden.conf for the options in effect. BACKEND is the resolved one. */
int persist_config_text(const struct block *b, enum fw_backend_kind backend, char **ret);

struct persist_file {
        char *path;             /* inside ROOT */
        char *content;
        size_t size;
        char *old;              /* current content, NULL when the file does not exist */
        size_t old_size;        /* its bytes (a NUL inside included) */
        mode_t mode;
        int family;             /* AF_INET / AF_INET6 for rules files, 0 for the config file */
        char *source;           /* the program whose output it is, for messages; NULL under --root */
        char *save_program;     /* live: its absolute path, to take a fresh snapshot with */
        unsigned dropped;       /* Docker rules left out */
        unsigned added;         /* under --root: block rules added to the image's file */
};

/* The most each list of a plan can hold, from what the flavours put there. */
enum {
        PERSIST_MAX_FILES = 2 + 1 + 1,  /* a rules file per family, ecs-harden.conf, modules-load.d */
        PERSIST_MAX_UNITS = 2 + 2,      /* iptables/ip6tables.service, ecs-harden.service, the repair timer */
        PERSIST_MAX_RUN = 2 * 2,        /* al1: service IPT save, chkconfig IPT on; per family */
};

struct persist_plan {
        enum flavour flavour;
        enum fw_backend_kind backend;
        enum persist_method method;
        bool live;                              /* root is "/": run helpers (al1), ask systemd if it runs */
        bool systemd_running;                   /* /run/systemd/system exists */
        struct persist_file files[PERSIST_MAX_FILES];
        size_t n_files;
        struct install_plan links;              /* offline enabling (under --root) */
        const char *enable[PERSIST_MAX_UNITS];  /* live: units to enable over D-Bus */
        size_t n_enable;
        const char *start[PERSIST_MAX_UNITS];   /* live: units to start over D-Bus */
        size_t n_start;
        char *const *run[PERSIST_MAX_RUN];      /* live al1: helper commands */
        size_t n_run;
        struct systemd_bus *bus;                /* live with systemd running: the connection to it */
};

/* Adds what a live AL1 runs for FAMILY: `/sbin/service iptables save` (the init script writes
 * /etc/sysconfig/iptables itself) and `/sbin/chkconfig iptables on` (ip6tables for AF_INET6).
 * 0, or -E2BIG when the plan has no room. */
int persist_plan_add_sysv_live(struct persist_plan *p, int family);

/* The live rules of F's family as they are now, Docker's included, normalised like the file
 * (save_text_normalize()): what iptables.service must restore when persist starts it, taken
 * right before the start so that a rule Docker added meanwhile is not lost. 0, -EBADMSG when the
 * save program failed, -ETIMEDOUT, -EINVAL when F has no save program, other negative errno. */
int persist_live_snapshot(const struct persist_file *f, char **ret);

void persist_plan_done(struct persist_plan *p);

/* Why persist_plan() refused, for the one message the command prints. */
struct persist_error {
        char message[512];
        int exit_code;                          /* EXIT_NOT_SO or EXIT_REFUSED */
};

/* Works out what persist does for O on flavour F with backend BACKEND (persist_backend()): on "/"
 * captures the live rules where the method needs them; under --root adds the block to the image's
 * saved files instead (the build host's rules are not the image's). Reads the current files, and
 * checks that the units and helpers it needs exist. Changes nothing. 0, or a negative errno with
 * ERR filled in (-E2BIG: a list of the plan is full, a bug). */
int persist_plan(const struct options *o, enum flavour f, enum fw_backend_kind backend, struct persist_plan *ret,
                 struct persist_error *err);

/* Whether the persistence of flavour F holds the block of O. */
struct persist_unit_state {
        const char *unit;
        int enabled;            /* 1, 0, or -ENOENT (not installed), -ERFKILL (masked), other negative errno */
        char state[32];         /* "enabled", "disabled", "static", "masked", "not-found", ... */
};

struct persist_file_state {
        const char *path;       /* inside ROOT */
        int exists;             /* 1, 0, or negative errno (-ELOOP: a symbolic link) */
        bool holds_block;       /* as the kernel would load it: present and effective */
        char why[512];          /* when it does not: what iptables-restore would leave instead */
};

struct persist_state {
        enum flavour flavour;
        enum fw_backend_kind backend;
        enum persist_method method;
        struct persist_file_state files[2];
        size_t n_files;
        struct persist_unit_state services[2];  /* what restores the files */
        size_t n_services;
        struct persist_unit_state boot_unit;    /* ecs-harden.service */
        int config_exists;                      /* ROOT/etc/ecs-harden.conf: 1, 0, negative errno */
        bool config_valid;                      /* it parses as every command parses it */
        bool config_holds_block;                /* its INTERFACES/IPV6 cover O's block */
        bool holds;                             /* the flavour's persistence holds the block */
        char summary[256];                      /* one line for status */
        char remediation[256];
};

/* Fills RET for O (root, block, backend: auto is resolved with persist_backend()) on flavour F. Under
 * --root links are read from the file system; on "/" the running systemd is asked
 * (GetUnitFileState), falling back to the links when no systemd answers. Changes nothing.
 * 0 or -ENOMEM. */
int persist_check(const struct options *o, enum flavour f, struct persist_state *ret);
