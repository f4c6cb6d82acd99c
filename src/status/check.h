/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/escape.h"
#include "persist/flavour.h"
#include "fw/fw.h"
#include "cli/options.h"
#include "persist/persist.h"
#include "lib/util.h"

/* The status checks: one file src/check-<id>.c per check, one entry in check.c's table. A check
 * fills a check_result and returns 0; a negative errno means it could not judge at all (out of
 * memory and the like), which the command reports as a WARN saying so. Checks do not print. */

enum check_status {
        CHECK_PASS,
        CHECK_WARN,
        CHECK_FAIL,
        CHECK_SKIP,
        CHECK_INFO,
        _CHECK_STATUS_MAX,
};

/* "PASS" ... "INFO", as printed and as in the JSON. */
const char *check_status_to_string(enum check_status s);
/* "pass" ... "info", the keys of the JSON summary. */
const char *check_status_to_key(enum check_status s);

/* Results carry outside text as it is (a role name, a configuration value, a file's line); the
 * text renderer prints each summary, detail and remediation through CHECK_TEXT(): control
 * characters escaped, cut after CHECK_TEXT_MAX bytes, so that no value can forge a "[PASS]" line
 * or drive the terminal. JSON carries the text whole, JSON-escaped. */
#define CHECK_TEXT_MAX 1024
#define CHECK_TEXT(s) ESCN((s), CHECK_TEXT_MAX)

struct check_result {
        enum check_status status;
        char *summary;          /* one line */
        char **details;         /* lines, may be empty */
        size_t n_details;
        char *remediation;      /* what to do; set for WARN and FAIL, NULL otherwise */
};

void check_result_done(struct check_result *r);

/* Sets status and summary (printf format). 0 or -ENOMEM. */
int check_result_set(struct check_result *r, enum check_status status, const char *fmt, ...) _printf_(3, 4);
/* Appends one detail line. 0 or -ENOMEM. */
int check_result_detail(struct check_result *r, const char *fmt, ...) _printf_(2, 3);
/* Sets (replaces) the remediation. 0 or -ENOMEM. */
int check_result_remedy(struct check_result *r, const char *fmt, ...) _printf_(2, 3);

struct imds;

/* What the checks share: the options, the resolved backend, and results that more than one
 * check needs, read once on first use (the firewall rules, the IMDS session). */
struct check_ctx {
        const struct options *o;
        const char *root;               /* never NULL; "/" for the live system */
        enum fw_backend_kind backend;   /* resolved, never AUTO */
        const char *backend_reason;
        enum flavour flavour;           /* --flavour or ROOT/etc/os-release */
        const char *flavour_reason;
        struct check_cache *cache;      /* mutable behind the const ctx */
};

struct check_cache {
        bool fw_read;
        int fw_error;                   /* negative errno of the IPv4 read, 0 when read */
        int fw_error_ipv6;              /* the IPv6 read, when it failed on its own */
        struct fw_status fw;

        struct imds *imds;

        bool persist_read;
        int persist_error;
        struct persist_state persist;
};

void check_cache_done(struct check_cache *c);

/* The kernel's view of the block, read once. Returns 0 and sets *ret (owned by the cache), or
 * the negative errno of the read. When IPv4 could be read but IPv6 could not, returns 0 with
 * only the IPv4 rules and *ret_error_ipv6 (if not NULL) set to the IPv6 error. */
int check_ctx_fw(const struct check_ctx *ctx, const struct fw_status **ret, int *ret_error_ipv6);

/* The IMDS client for this run (environment read once; token fetched once). Never NULL after
 * 0; -ENOMEM otherwise. */
int check_ctx_imds(const struct check_ctx *ctx, struct imds **ret);

/* How the flavour's persistence and the boot unit stand (persist_check()), read once. 0 or a
 * negative errno. */
int check_ctx_persist(const struct check_ctx *ctx, const struct persist_state **ret);

/* A human explanation of a firewall read error, for summaries. Static string. */
const char *check_fw_error_text(int error, enum fw_backend_kind k);

struct check {
        const char *id;
        int (*run)(const struct check_ctx *ctx, struct check_result *ret);
};

/* Every check, in the order of the contract (DESIGN.md, "status checks"). */
extern const struct check checks[];
extern const size_t n_checks;

int check_imds_block_ipv4(const struct check_ctx *ctx, struct check_result *ret);
int check_imds_block_ipv6(const struct check_ctx *ctx, struct check_result *ret);
int check_bridge_coverage(const struct check_ctx *ctx, struct check_result *ret);
int check_persistence(const struct check_ctx *ctx, struct check_result *ret);
int check_boot_unit(const struct check_ctx *ctx, struct check_result *ret);
int check_ecs_config(const struct check_ctx *ctx, struct check_result *ret);
int check_imds_v2(const struct check_ctx *ctx, struct check_result *ret);
int check_instance_role_policy(const struct check_ctx *ctx, struct check_result *ret);
int check_host_network_containers(const struct check_ctx *ctx, struct check_result *ret);

/* "ecs-harden [-b B] [-i P]... [--no-ipv6] VERB": the command that repeats the options given on
 * this command line, for remediations. NULL on OOM. */
char *check_ctx_command(const struct check_ctx *ctx, const char *verb);

/* Adds the block rules of FAMILY (from ST) to RET's details: where each stands, what stands
 * ahead and why that is harmless or not. Counts into the out-parameters (any may be NULL) the
 * patterns whose rule is missing and those whose rule is present but not effective, and
 * writes their patterns, comma-separated, into the two lists (each LIST_SIZE bytes). */
int check_describe_block(const struct check_ctx *ctx, const struct fw_status *st, int family,
                         struct check_result *ret, size_t *ret_missing, char *missing, size_t *ret_ineffective,
                         char *ineffective, size_t list_size);

/* The verdict of imds-block-ipv4/ipv6 from ST: the details (check_describe_block(), then
 * EXTRA_DETAIL when not NULL), PASS when every rule of FAMILY is present and effective, else BAD
 * with a summary ending in "(CONTEXT)" and the remediation (APPLY is the apply command line). */
int check_block_verdict(const struct check_ctx *ctx, const struct fw_status *st, int family,
                        enum check_status bad, const char *context, const char *extra_detail, const char *apply,
                        struct check_result *ret);
