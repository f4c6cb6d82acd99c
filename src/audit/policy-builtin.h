/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The AWS data shipped in data/ and embedded at build time (scripts/embed-data.sh): the AWS
 * managed policies (the latest version of every one, every version of the ECS ones) and the
 * catalog of IAM action names. Both are generated from npm packages by scripts/gen-aws-data.py
 * (scripts/update-aws-data.sh). A policy is inflated (zlib, loaded on first use) when it is
 * asked for; nothing here costs anything to the commands that do not ask. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct builtin_policy {
        const char *name;       /* AmazonEC2ContainerServiceforEC2Role */
        const char *version;    /* "v10" */
        const char *json;       /* the document, NUL-terminated */
};

/* A loaded policy lives, unchanged, until the program exits. */

/* NAME or NAME@vN (NAME case-insensitive; NAME alone is the newest version shipped).
 * Returns 0, -ENOENT (no such NAME), -ENXIO (NAME shipped, not that version), -EOPNOTSUPP
 * (zlib cannot be loaded: builtin_policy_load_error() says why), -EBADMSG (the embedded data
 * does not inflate) or -ENOMEM. */
int builtin_policy_load(const char *spec, const struct builtin_policy **ret);

/* dlerror()'s text after -EOPNOTSUPP, else NULL. */
const char *builtin_policy_load_error(void);

/* The newest version of NAME (case-insensitive), or NULL. */
const struct builtin_policy *builtin_policy_newest(const char *name);

/* NAME or NAME@VERSION. NULL when unknown; *ret_name_known then says whether NAME is.
 * (A failure to inflate is logged here and returns NULL with *ret_name_known true.) */
const struct builtin_policy *builtin_policy_find(const char *spec, bool *ret_name_known);

/* Whether ARN names an AWS managed policy (arn:PARTITION:iam::aws:policy/...), shipped or not. */
bool arn_is_aws_managed(const char *arn);

/* The newest shipped copy of the AWS managed policy an ARN names
 * (arn:PARTITION:iam::aws:policy/[PATH/]NAME), or NULL. */
const struct builtin_policy *builtin_policy_for_arn(const char *arn);

/* Lists NAME's versions ("v1, v2, v10") into BUF, for messages. */
void builtin_policy_versions(const char *name, char *buf, size_t size);

/* The shipped policy names, sorted case-insensitively: I < builtin_policy_count(). */
size_t builtin_policy_count(void);
const char *builtin_policy_name(size_t i);

/* Where the data came from: "PACKAGE VERSION (npm, LICENSE), DATE". */
const char *builtin_policy_source(void);
const char *action_catalog_source(void);

/* audit-policy --list-references: each shipped NAME with its versions, and where the data
 * came from, as text or (JSON) {"version":1,"policies_source":…,"actions_source":…,
 * "references":[{"name":…,"versions":["v1",…]}]} on stdout. 0 or -errno (logged). */
int builtin_policy_print_list(bool json);

#define DEFAULT_REFERENCE "AmazonEC2ContainerServiceforEC2Role"

/* ---- the generated data (src/policy-data.c); use the functions above ---- */

/* Sorted by lower-case form. */
extern const char iam_action_catalog_text[];
extern const uint32_t iam_action_catalog_offsets[];
extern const size_t iam_action_catalog_size;
extern const char iam_action_catalog_source[];

/* The I-th name of the catalog (sorted, case-insensitively). */
static inline const char *iam_action_name(size_t i) {
        return iam_action_catalog_text + iam_action_catalog_offsets[i];
}

struct aws_policy_entry {
        uint32_t name;          /* index into aws_policy_names_offsets */
        uint32_t version;       /* N of vN */
        uint32_t chunk;         /* index into aws_policy_chunks */
        uint32_t offset;        /* of the JSON in the inflated chunk */
        uint32_t length;        /* of the JSON; a newline follows it */
};

struct aws_policy_chunk {
        uint32_t offset;        /* of its gzip member in aws_policy_chunks_data */
        uint32_t size;          /* of the gzip member */
        uint32_t raw_size;      /* inflated */
};

/* Names sorted by lower-case form; the index by name, then version. */
extern const char aws_policy_names_text[];
extern const uint32_t aws_policy_names_offsets[];
extern const size_t aws_policy_names_size;
extern const struct aws_policy_entry aws_policy_index[];
extern const size_t aws_policy_index_size;
extern const unsigned char aws_policy_chunks_data[];
extern const struct aws_policy_chunk aws_policy_chunks[];
extern const size_t aws_policy_chunks_size;
extern const char aws_policy_source[];
