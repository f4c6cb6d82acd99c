/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "fw/block.h"
#include "fw/fw.h"

/* Exit codes of every command (DESIGN.md). */
enum {
        EXIT_OK = 0,
        EXIT_NOT_SO = 1,   /* verify: block missing; status/audit: a FAIL */
        EXIT_USAGE = 2,    /* bad usage or bad input */
        EXIT_REFUSED = 3,  /* not root, kernel or backend support missing, netlink error */
};

enum output_format {
        FORMAT_IPTABLES,
        FORMAT_NFT,
};

struct options {
        enum fw_backend_kind backend;
        struct block block;
        const char *root;               /* "/" unless --root */
        const char *flavour;            /* NULL = detect from os-release */
        const char *reference;          /* audit-policy --reference */
        const char *policy;             /* status --policy */
        const char *ssm_inventory_dir;  /* status --ssm-inventory=DIR; NULL: the agent's folder */
        enum output_format format;
        bool json;
        bool dry_run;
        bool fix;
        bool ssm_inventory;             /* status --ssm-inventory[=DIR] */
        bool list_references;           /* audit-policy --list-references */

        /* What the command line set, so that the configuration file does not override it. */
        bool set_backend, set_interfaces, set_ipv6, set_format;
};

/* Bits naming the commands an option applies to. */
enum {
        CMD_APPLY = 1 << 0,
        CMD_REMOVE = 1 << 1,
        CMD_VERIFY = 1 << 2,
        CMD_PERSIST = 1 << 3,
        CMD_STATUS = 1 << 4,
        CMD_AUDIT_POLICY = 1 << 5,
        CMD_RULES = 1 << 6,
        CMD_ALL = 0x7f,
};

/* Parses the command line into O: the command's index in *ret_command_arg (into argv) and the
 * mask of its CMD_ bit. Prints a message and returns -EINVAL on bad usage; returns 1 when
 * --help or --version was handled (the caller exits 0). */
int options_parse(int argc, char **argv, struct options *o, int *ret_first_arg);

/* Reads ROOT/etc/ecs-harden.conf into what the command line left unset, then fills defaults.
 * Prints a message naming file and line and returns -EINVAL on a bad value; unknown keys are
 * warned about. */
int options_load_config(struct options *o);

/* Sets the defaults for what neither command line nor configuration file chose. */
void options_finish(struct options *o);

/* Prints the generated usage text. */
void options_usage(FILE *f);

/* Applies the KEY=value pairs of a configuration file to O (for the unit tests and for
 * options_load_config). PATH is only used in messages. */
int options_parse_config_text(struct options *o, char *text, const char *path);
