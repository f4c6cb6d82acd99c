/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "fw/fw.h"

/* What `auto` asks a backend about the kernel's state; reading only, nothing is created. */
enum fw_probe {
        FW_PROBE_BLOCK,         /* does it hold a block rule (or the tool's table)? */
        FW_PROBE_IN_USE,        /* does it hold rules of others (Docker's)? */
};

/* One backend: a new backend is one file implementing this plus one entry in fw.c's table. */
struct fw_backend {
        const char *name;
        int (*inspect)(const struct block *b, struct fw_status *ret);
        int (*apply)(const struct block *b, bool *ret_changed);
        int (*remove)(const struct block *b, unsigned *ret_removed);
        int (*print_rules)(const struct block *b, FILE *f);
        int (*probe)(enum fw_probe what); /* 1 yes, 0 no (or cannot tell) */
};

extern const struct fw_backend fw_backend_iptables;
extern const struct fw_backend fw_backend_nftables;

/* Appends a note about a rule ahead of a block rule. 0 or -ENOMEM. */
int fw_rule_status_add_ahead(struct fw_rule_status *rs, const char *rule, bool harmful, const char *why);

/* False on a kernel booted with ipv6.disable=1 (no /proc/sys/net/ipv6). */
bool fw_host_has_ipv6(void);
