/* SPDX-License-Identifier: Apache-2.0 */
/* The command table: name, handler, and what --help says of it. */
#include "commands.h"
#include "log.h"
#include "util.h"

const struct command commands[] = {
        { "apply", cmd_apply, CMD_APPLY, true, 0, 0, NULL, "insert the metadata block (idempotent)" },
        { "remove", cmd_remove, CMD_REMOVE, true, 0, 0, NULL, "delete the block's rules, nothing else" },
        { "verify", cmd_verify, CMD_VERIFY, false, 0, 0, "[--fix]",
          "exit 0 when the block is in place and effective, 1 when not" },
        { "persist", cmd_persist, CMD_PERSIST, true, 0, 0, NULL, "make the block survive a reboot on this AMI flavour" },
        { "status", cmd_status, CMD_STATUS, false, 0, 0, NULL, "audit the instance, one line per check" },
        { "audit-policy", cmd_audit_policy, CMD_AUDIT_POLICY, false, 1, -1, "FILE|-...",
          "compare IAM policy documents with a reference managed policy" },
        { "rules", cmd_rules, CMD_RULES, false, 0, 0, NULL, "print the rules apply would install" },
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

