/* SPDX-License-Identifier: Apache-2.0 */
/* ecs-harden: parse, check privilege, load configuration, dispatch. */
#include "commands.h"
#include "log.h"
#include "util.h"

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

        return cmd->run(&o, argc - first - 1, argv + first + 1);
}
