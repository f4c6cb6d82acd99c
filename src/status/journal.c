/* SPDX-License-Identifier: Apache-2.0 */
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "lib/dlopen-util.h"
#include "status/journal.h"
#include "lib/util.h"

static void *systemd_dl;

static __typeof__(&sd_booted) sym_sd_booted;
static __typeof__(&sd_journal_send) sym_sd_journal_send;

static int systemd_load(void) {
        return dlopen_many(&systemd_dl, "libsystemd.so.0", NULL,
                           DLSYM_ARG(sd_booted),
                           DLSYM_ARG(sd_journal_send),
                           NULL);
}

bool journal_wanted(void) {
        static int cached = -1;

        if (cached < 0) {
                /* Both variables are set by systemd for the processes of a unit; an interactive
                 * run prints its findings and leaves the journal alone. */
                const char *js = getenv("JOURNAL_STREAM"), *inv = getenv("INVOCATION_ID");
                cached = ((js && *js) || (inv && *inv)) && systemd_load() >= 0 && sym_sd_booted() > 0;
        }
        return cached;
}

int journal_send_check(const char *id, const char *status, const char *summary, const char *remediation) {
        int r = systemd_load();
        if (r < 0)
                return r;

        bool fail = streq(status, "FAIL");
        if (remediation)
                r = sym_sd_journal_send("MESSAGE=[%s] %s: %s", status, id, summary,
                                        "PRIORITY=%d", fail ? 3 : 4,
                                        "SYSLOG_IDENTIFIER=ecs-harden",
                                        "ECS_HARDEN_CHECK=%s", id,
                                        "ECS_HARDEN_STATUS=%s", status,
                                        "ECS_HARDEN_REMEDIATION=%s", remediation,
                                        NULL);
        else
                r = sym_sd_journal_send("MESSAGE=[%s] %s: %s", status, id, summary,
                                        "PRIORITY=%d", fail ? 3 : 4,
                                        "SYSLOG_IDENTIFIER=ecs-harden",
                                        "ECS_HARDEN_CHECK=%s", id,
                                        "ECS_HARDEN_STATUS=%s", status,
                                        NULL);
        return r < 0 ? r : 0;
}

int journal_send_action(const char *action, const char *backend, const char *message) {
        int r = systemd_load();
        if (r < 0)
                return r;
        return sym_sd_journal_send("MESSAGE=ecs-harden: %s", message, "PRIORITY=5", "ECS_HARDEN_ACTION=%s", action,
                                   "ECS_HARDEN_BACKEND=%s", strempty(backend), "SYSLOG_IDENTIFIER=ecs-harden", NULL);
}
