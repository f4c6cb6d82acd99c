/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The catalog of IAM action names shipped in data/iam-actions.txt: which names exist, and
 * which known names a wildcard pattern stands for. Case-insensitive, as IAM is. */

#include <stdbool.h>
#include <stddef.h>

/* Calls CB for each known action that PATTERN matches, in catalog order, until CB returns
 * false. Returns the number of matches passed to CB. Uses the literal prefix of PATTERN to
 * look only at the names that can match. */
size_t action_catalog_match(const char *pattern, bool (*cb)(const char *name, void *userdata), void *userdata);

/* True when PATTERN matches at least one known action. */
bool action_catalog_known(const char *pattern);
