/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <net/if.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The parts of an ipt_entry/ip6t_entry that the analysis needs, the same for both families.
 * Exposed for the unit tests of the entry <-> rule conversion. */
struct xt_rule {
        int family;
        uint8_t src[16], smsk[16], dst[16], dmsk[16];
        char iniface[IFNAMSIZ + 1], outiface[IFNAMSIZ + 1]; /* pattern text; "" = any */
        bool inv_src, inv_dst, inv_in, inv_out, inv_proto;
        uint16_t proto;
        bool go_to;
        bool has_other_ip_flags; /* -f, TOS and the like */
        char matches[128];       /* " -m name" for each match, empty when none */
        char target[32];         /* "DROP", "ACCEPT", a chain name or an extension */
};

static inline size_t xt_addr_len(int family) {
        return family == AF_INET6 ? 16 : 4;
}

static inline bool xt_all_bytes(const uint8_t *p, size_t n, uint8_t v) {
        for (size_t i = 0; i < n; i++)
                if (p[i] != v)
                        return false;
        return true;
}

/* Size of the buffer iptables_block_entry() needs. */
#define XT_BLOCK_ENTRY_MAX 512

/* Builds the entry `-d ADDR -i PATTERN -j DROP` for FAMILY into BUF exactly as iptables does,
 * so that a hand-added rule and ours are byte-for-byte the same. Returns its size. */
size_t iptables_block_entry(int family, const char *pattern, void *buf);

/* Decodes an entry (ipt_entry for AF_INET, ip6t_entry for AF_INET6). TARGET is the name libiptc
 * reports for it. */
void iptables_entry_to_rule(int family, const void *entry, const char *target, struct xt_rule *ret);

/* True when RULE has exactly the block's shape (destination the metadata address, an input
 * interface pattern or none, no other match, DROP), whatever its pattern, which goes to RET
 * ("+" for a rule without input interface). */
bool xt_rule_block_pattern(const struct xt_rule *rule, char ret[IFNAMSIZ + 1]);

/* True when RULE is exactly the block rule for PATTERN in its family. */
bool xt_rule_is_block(const struct xt_rule *rule, const char *pattern);

/* Formats RULE in iptables-save syntax without the "-A CHAIN" part. */
void xt_rule_format(const struct xt_rule *rule, char *buf, size_t size);

/* Decodes one rule's text as iptables-save writes it after "-A CHAIN " (saved files): addresses,
 * interfaces, protocol, inversions, "-m NAME", the target; other options only mark the rule as
 * having matches (so it is never taken for the block, and judged as one that may match). */
void xt_rule_from_text(int family, const char *text, struct xt_rule *ret);
