/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

/* The few calls to systemd's manager (org.freedesktop.systemd1) that persist and status need,
 * over sd-bus. libsystemd is loaded with dlopen() on first use: apply and verify, which run at
 * every boot, do not pay for it. Functions return 0 or a negative errno; on failure the bus
 * error's text is in bus->error (for the one message the command prints). */

struct systemd_bus;

/* Connects to the running systemd: its private socket when root (as systemctl does; it works
 * before dbus-daemon runs), the system bus otherwise. -EOPNOTSUPP when libsystemd cannot be
 * loaded, -ENOMEDIUM when no systemd answers (not booted with systemd). */
int systemd_bus_open(struct systemd_bus **ret);
void systemd_bus_close(struct systemd_bus *bus);
/* The text of the last error ("" if none). */
const char *systemd_bus_error(const struct systemd_bus *bus);

static inline void systemd_bus_closep(struct systemd_bus **b) {
        if (*b)
                systemd_bus_close(*b);
}
#define _cleanup_systemd_bus_ __attribute__((cleanup(systemd_bus_closep)))

/* GetUnitFileState: "enabled", "disabled", "static", "masked", ... in *ret (free it).
 * -ENOENT when there is no such unit file. */
int systemd_unit_file_state(struct systemd_bus *bus, const char *unit, char **ret);

/* The unit's ActiveState ("active", "inactive", "failed", ...; free it); a unit that is not
 * loaded is "inactive". */
int systemd_unit_active_state(struct systemd_bus *bus, const char *unit, char **ret);

/* EnableUnitFiles(UNITS, runtime=false, force=false) followed by Reload, as `systemctl enable`.
 * *ret_changes counts the links systemd made. -ENOENT (no such unit), -ERFKILL (masked). */
int systemd_enable_units(struct systemd_bus *bus, const char *const *units, size_t n, unsigned *ret_changes);

/* StartUnit(UNIT, "replace") and waiting (at most TIMEOUT_S seconds) for the job to finish; a
 * unit that is already active is not restarted. *ret_result is the job's result ("done",
 * "failed", "dependency", ...; free it). -ENOENT when the unit does not exist. */
int systemd_start_unit(struct systemd_bus *bus, const char *unit, unsigned timeout_s, char **ret_result);
