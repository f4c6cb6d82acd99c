/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "fw/block.h"

/* The firewall front end: one block model, two kernel interfaces behind it. Backends do not
 * print; they return negative errno codes and fill in an fw_status that the commands report. */

enum fw_backend_kind {
        FW_BACKEND_AUTO,
        FW_BACKEND_IPTABLES,
        FW_BACKEND_NFTABLES,
        _FW_BACKEND_MAX,
};

const char *fw_backend_to_string(enum fw_backend_kind k);
int fw_backend_from_string(const char *s, enum fw_backend_kind *ret);

/* What stands ahead of a block rule in its chain, and whether it can let the packet through. */
struct fw_ahead {
        char *rule;     /* the earlier rule, iptables-save syntax */
        bool harmful;   /* it can accept the container's packet before the block sees it */
        char *why;
};

struct fw_rule_status {
        int family;
        char pattern[IFNAMSIZ + 1];
        unsigned copies;        /* rules equal to this block rule */
        unsigned position;      /* 1-based position of the first copy in its chain; 0 = absent */
        bool effective;         /* present and nothing ahead can accept the packet first */
        bool configured;        /* the pattern (and family) is configured; false for a rule only
                                 * installed, which is kept and judged the same */
        unsigned removable;     /* rules that remove would delete for this one: the copies, and for
                                 * nftables also those in a chain that does not run */
        struct fw_ahead *ahead;
        size_t n_ahead;
};

struct fw_status {
        enum fw_backend_kind backend;
        char *where;            /* "filter FORWARD" / "inet ecs_harden forward" */
        char *note;             /* backend-wide remark for status output, may be NULL */
        char *drift;            /* what differs from the block besides the rules' states (nftables:
                                 * rules of others in the tool's chain, a dormant table, a wrong
                                 * hook or policy); the block is not complete while set */
        char *remove_note;      /* what remove does besides deleting rules, e.g. "delete table inet
                                 * ecs_harden: it holds nothing else" or "keep table ...: why";
                                 * NULL when there is nothing to say (iptables) */
        struct fw_rule_status rules[BLOCK_MAX_PATTERNS * 2];
        size_t n_rules;
};

void fw_status_done(struct fw_status *s);

/* True when every rule of the block is present, effective, and there exactly once. */
bool fw_status_complete(const struct fw_status *s);

/* Where the system's "iptables" command leads: FW_BACKEND_IPTABLES (legacy), FW_BACKEND_NFTABLES
 * (iptables-nft), or FW_BACKEND_AUTO when there is no iptables command. */
enum fw_backend_kind fw_system_iptables_variant(void);

/* REQUESTED itself, or for FW_BACKEND_AUTO the detected backend; *ret_reason explains. */
enum fw_backend_kind fw_backend_resolve(enum fw_backend_kind requested, const char **ret_reason);

/* Resolves FW_BACKEND_AUTO for this host; *ret_reason is a static explanation. Never fails. */
enum fw_backend_kind fw_backend_detect(const char **ret_reason);

/* Reads the kernel's rules. 0 or negative errno (-EPERM without privilege, -EPROTONOSUPPORT
 * when the kernel lacks the backend's tables). */
int fw_inspect(enum fw_backend_kind k, const struct block *b, struct fw_status *ret);

/* Makes every block rule present, effective and unique; *ret_changed says whether anything
 * was written. 0 or negative errno; -EADDRINUSE when the kernel refused because the objects
 * belong to another program (nftables: table inet ecs_harden with `flags owner`), root or not. */
int fw_apply(enum fw_backend_kind k, const struct block *b, bool *ret_changed);

/* Deletes the rules equal to the block, nothing else; *ret_removed counts them. nftables: the
 * table goes too when it holds nothing but the block's chain and rules the block covers. 0 or
 * negative errno, as fw_apply(). */
int fw_remove(enum fw_backend_kind k, const struct block *b, unsigned *ret_removed);

/* Judges an iptables-save file for FAMILY as the kernel would load it (iptables-restore: the
 * *filter table replaced, its commands applied in order): for each pattern of B, whether FORWARD
 * then holds the block rule and whether a rule ahead of it (jumps followed within the file) can
 * accept a container's packet first; UPLINK is the device the metadata address is routed
 * through, "" or NULL when unknown. ST is filled as fw_inspect() fills it. 0, -EBADMSG (not a
 * file iptables-restore would load) or -ENOMEM. */
int fw_judge_saved(const char *text, int family, const struct block *b, const char *uplink, struct fw_status *st);

/* Prints the rules apply would install, in iptables-save (k = iptables) or nft -f syntax. */
int fw_print_rules(enum fw_backend_kind k, const struct block *b, FILE *f);
