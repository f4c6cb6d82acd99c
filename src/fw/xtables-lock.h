/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Takes the lock that iptables itself takes (/run/xtables.lock, or $XTABLES_LOCKFILE), waiting
 * at most TIMEOUT_MS. libiptc does not lock, and its commit replaces the whole table: without
 * the lock a rule another writer adds meanwhile can be lost. Returns the fd holding the lock
 * (close it to release), -ETIMEDOUT when another process kept it, or another negative errno. The
 * open never blocks (a FIFO in its place included); a lock file that cannot be opened or is not
 * a regular file is refused with a message naming it (-ENOLCK: not a regular file; -EISDIR, -ELOOP, ...). */
int xtables_lock(unsigned timeout_ms);

/* Where the lock lives, for messages. */
const char *xtables_lock_path(void);
