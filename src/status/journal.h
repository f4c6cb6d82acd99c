/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

/* Structured journal entries through libsystemd's sd_journal_send(), loaded with dlopen only
 * when there is something to log, so that status on a healthy host never maps libsystemd. */

/* True when this process runs as a systemd service (JOURNAL_STREAM or INVOCATION_ID set) on a
 * host booted with systemd. Loads libsystemd the first time it is asked and the environment says
 * yes; false when it cannot be loaded. */
bool journal_wanted(void);

/* Sends one entry for a status finding: MESSAGE, PRIORITY (3 for FAIL, 4 for WARN),
 * ECS_HARDEN_CHECK=ID, ECS_HARDEN_STATUS, ECS_HARDEN_REMEDIATION when given. 0 or a negative
 * errno (-EOPNOTSUPP when libsystemd cannot be loaded). */
int journal_send_check(const char *id, const char *status, const char *summary, const char *remediation);

/* Sends one entry for a change the tool made: MESSAGE, PRIORITY=5 (notice),
 * ECS_HARDEN_ACTION=ACTION (apply, remove, repair, persist), ECS_HARDEN_BACKEND when given.
 * 0 or a negative errno (-EOPNOTSUPP when libsystemd cannot be loaded). */
int journal_send_action(const char *action, const char *backend, const char *message);
