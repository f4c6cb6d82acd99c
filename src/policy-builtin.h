/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdint.h>

/* The data shipped in data/ and embedded at build time (scripts/embed-data.sh): the reference
 * policies with their IAM versions, and the catalog of IAM action names. */

#include <stdbool.h>
#include <stddef.h>

struct builtin_policy {
        const char *name;       /* AmazonEC2ContainerServiceforEC2Role */
        const char *version;    /* "v10", or "page" for a page copy of unknown version */
        const char *json;
};

extern const struct builtin_policy builtin_policies[];
extern const size_t builtin_policies_size;

/* Sorted by lower-case form. */
extern const char iam_action_catalog_text[];
extern const uint32_t iam_action_catalog_offsets[];
extern const size_t iam_action_catalog_size;

/* The I-th name of the catalog (sorted, case-insensitively). */
static inline const char *iam_action_name(size_t i) {
        return iam_action_catalog_text + iam_action_catalog_offsets[i];
}

#define DEFAULT_REFERENCE "AmazonEC2ContainerServiceforEC2Role"

/* The newest version of NAME (case-insensitive), or NULL. */
const struct builtin_policy *builtin_policy_newest(const char *name);

/* NAME or NAME@VERSION. NULL when unknown; *ret_name_known then says whether NAME is. */
const struct builtin_policy *builtin_policy_find(const char *spec, bool *ret_name_known);

/* The newest built-in copy of the AWS managed policy an ARN names
 * (arn:PARTITION:iam::aws:policy/[PATH/]NAME), or NULL. */
const struct builtin_policy *builtin_policy_for_arn(const char *arn);

/* Lists NAME's versions ("v6, v10") into BUF, for messages. */
void builtin_policy_versions(const char *name, char *buf, size_t size);
