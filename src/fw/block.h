/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* The block: one DROP rule per (interface pattern, family) for the instance metadata address.
 * Interface patterns use iptables syntax: "docker+" is every name starting with "docker",
 * anything else an exact name. */

#define BLOCK_MAX_PATTERNS 32
#define IMDS_IPV4 "169.254.169.254"
#define IMDS_IPV6 "fd00:ec2::254"

struct block {
        char patterns[BLOCK_MAX_PATTERNS][IFNAMSIZ];
        size_t n_patterns;
        bool ipv6;
};

/* The address the block drops for FAMILY (AF_INET or AF_INET6), as text and in binary. */
const char *block_address_string(int family);
void block_address(int family, void *ret); /* 4 or 16 bytes */
unsigned block_prefixlen(int family);

/* Number of families the block covers (1 or 2) and the i-th of them. */
size_t block_n_families(const struct block *b);
int block_family(const struct block *b, size_t i);

/* Validates PATTERN as iptables does for -i; on -EINVAL sets *reason to a static explanation. */
int iface_pattern_check(const char *pattern, const char **reason);

/* Adds PATTERN unless already there. 0, -EINVAL (bad pattern), or -E2BIG (too many). */
int block_add_pattern(struct block *b, const char *pattern, const char **reason);

/* "docker+" -> ("docker", 6, prefix=true); "eth0" -> ("eth0", 4, prefix=false). */
void iface_pattern_split(const char *pattern, char name[IFNAMSIZ], size_t *ret_len, bool *ret_prefix);

/* The inverse: builds the pattern text from a name and whether it is a prefix. */
void iface_pattern_join(const char *name, size_t len, bool prefix, char ret[IFNAMSIZ + 1]);

/* True when the interface IFNAME is matched by PATTERN. */
bool iface_pattern_matches(const char *pattern, const char *ifname);

/* True when every name matched by INNER is also matched by OUTER. */
bool iface_pattern_covers(const char *outer, const char *inner);

/* True when some interface name is matched by both patterns. */
bool iface_pattern_overlaps(const char *a, const char *b);

/* The nft spelling of a pattern: "docker+" -> "docker*". RET must hold IFNAMSIZ + 1 bytes. */
void iface_pattern_to_nft(const char *pattern, char *ret);
