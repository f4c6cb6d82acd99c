/* SPDX-License-Identifier: Apache-2.0 */
/* ecs-harden: parse, check privilege, load configuration, dispatch. */
#include "cli/commands.h"
#include "lib/log.h"
#include "lib/util.h"

int main(int argc, char **argv) {
        struct options o;
        int first, r;

        r = options_parse(argc, argv, &o, &first);
        if (r > 0)
                return EXIT_OK;
        if (r < 0)
                return EXIT_USAGE;

        const struct command *cmd = command_find(argv[first]);
        bool mutating = cmd->mutating || (cmd->bit == CMD_VERIFY && o.fix);
        if (mutating && !o.dry_run) {
                r = require_root(cmd->name);
                if (r != 0)
                        return r;
        }

        if (options_load_config(&o) < 0)
                return EXIT_USAGE;
        options_finish(&o);

        r = cmd->run(&o, argc - first - 1, argv + first + 1);
        /* A report lost to a full disk or a closed descriptor must not pass for success. */
        if (fflush(stdout) != 0 || ferror(stdout)) {
                log_error_errno(errno > 0 ? -errno : -EIO, "Failed to write to standard output: %m");
                if (r == EXIT_OK)
                        r = EXIT_REFUSED;
        }
        return r;
}
