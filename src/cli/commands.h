/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "cli/options.h"

/* One entry per command; commands.c holds the table, the usage text is generated from it. Each
 * command returns an exit code (EXIT_OK ... EXIT_REFUSED). ARGV holds its operands. */
struct command {
        const char *name;
        int (*run)(struct options *o, int argc, char **argv);
        unsigned bit;            /* CMD_ */
        bool mutating;           /* needs root unless --dry-run */
        int min_args, max_args;  /* operands; max -1 = any */
        const char *args;
        const char *summary;
};

extern const struct command commands[];
extern const size_t n_commands;

const struct command *command_find(const char *name);

int cmd_apply(struct options *o, int argc, char **argv);
int cmd_remove(struct options *o, int argc, char **argv);
int cmd_verify(struct options *o, int argc, char **argv);
int cmd_rules(struct options *o, int argc, char **argv);
int cmd_persist(struct options *o, int argc, char **argv);
int cmd_status(struct options *o, int argc, char **argv);
int cmd_audit_policy(struct options *o, int argc, char **argv);

/* Shared by the commands that talk to the firewall: a one-line explanation of a backend error
 * and the exit code it maps to. */
int fw_error_exit(int r, const char *what, enum fw_backend_kind k);

/* Refuses (message, EXIT_REFUSED) unless running as root; 0 when fine. */
int require_root(const char *command);
