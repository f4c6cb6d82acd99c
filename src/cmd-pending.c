/* SPDX-License-Identifier: Apache-2.0 */
/* Commands whose modules have not landed yet: they refuse plainly instead of pretending. */
#include "commands.h"
#include "log.h"

static int pending(const char *name) {
        log_error("'%s' is not available in this build yet", name);
        return EXIT_REFUSED;
}

int cmd_persist(struct options *o, int argc, char **argv) {
        (void) o, (void) argc, (void) argv;
        return pending("persist");
}

int cmd_audit_policy(struct options *o, int argc, char **argv) {
        (void) o, (void) argc, (void) argv;
        return pending("audit-policy");
}
