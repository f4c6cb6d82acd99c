/* SPDX-License-Identifier: Apache-2.0 */
/* The command table: name, handler, and what --help says of it. */
#include "cli/commands.h"
#include "lib/log.h"
#include "lib/util.h"

const struct command commands[] = {
        { .name = "apply", .run = cmd_apply, .bit = CMD_APPLY, .mutating = true,
          .summary = "insert the metadata block (idempotent)" },
        { .name = "remove", .run = cmd_remove, .bit = CMD_REMOVE, .mutating = true,
          .summary = "delete every rule of the block (all patterns, both families, the nft table)" },
        { .name = "verify", .run = cmd_verify, .bit = CMD_VERIFY, .args = "[--fix]",
          .summary = "exit 0 when the block is in place and effective, 1 when not" },
        { .name = "persist", .run = cmd_persist, .bit = CMD_PERSIST, .mutating = true,
          .summary = "make the block survive a reboot on this AMI flavour" },
        { .name = "status", .run = cmd_status, .bit = CMD_STATUS,
          .summary = "audit the instance, one line per check" },
        { .name = "audit-policy", .run = cmd_audit_policy, .bit = CMD_AUDIT_POLICY, .min_args = 1, .max_args = -1,
          .args = "FILE|-...", .summary = "compare IAM policy documents with a reference managed policy" },
        { .name = "rules", .run = cmd_rules, .bit = CMD_RULES,
          .summary = "print the rules apply would install" },
};
const size_t n_commands = ELEMENTSOF(commands);

const struct command *command_find(const char *name) {
        for (size_t i = 0; i < n_commands; i++)
                if (streq(commands[i].name, name))
                        return &commands[i];
        return NULL;
}

int require_root(const char *command) {
        if (geteuid() == 0)
                return 0;
        log_error("'%s' changes the firewall or system files and must run as root (try: sudo ecs-harden %s)",
                  command, command);
        return EXIT_REFUSED;
}

