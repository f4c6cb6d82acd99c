/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "fw/block.h"
#include "lib/util.h"

const char *block_address_string(int family) {
        return family == AF_INET6 ? IMDS_IPV6 : IMDS_IPV4;
}

void block_address(int family, void *ret) {
        int r = inet_pton(family, block_address_string(family), ret);
        (void) r; /* constant input: cannot fail */
}

unsigned block_prefixlen(int family) {
        return family == AF_INET6 ? 128 : 32;
}

size_t block_n_families(const struct block *b) {
        return b->ipv6 ? 2 : 1;
}

int block_family(const struct block *b, size_t i) {
        (void) b;
        return i == 0 ? AF_INET : AF_INET6;
}

int iface_pattern_check(const char *pattern, const char **reason) {
        size_t n = strlen(pattern);
        const char *why = NULL;

        /* The kernel's dev_valid_name() rules, plus iptables' "+" wildcard at the end only. */
        if (n == 0)
                why = "it is empty";
        else if (n >= IFNAMSIZ)
                why = "it is longer than an interface name can be (15 characters)";
        else if (streq(pattern, ".") || streq(pattern, ".."))
                why = "\".\" and \"..\" are not interface names";
        else {
                for (size_t i = 0; i < n; i++) {
                        unsigned char c = (unsigned char) pattern[i];
                        if (c == '+' && i != n - 1) {
                                why = "\"+\" is only allowed at the end, as a wildcard";
                                break;
                        }
                        if (c == '*') {
                                why = "\"*\" is not a wildcard here: write \"+\" at the end, as iptables does "
                                      "(docker+ matches every name that starts with docker)";
                                break;
                        }
                        if (c == '/' || c == ':' || isspace(c) || !isprint(c) || c == '"' || c == '\\' || c == '\'') {
                                why = "it holds a character an interface name cannot hold";
                                break;
                        }
                }
        }

        if (why) {
                if (reason)
                        *reason = why;
                return -EINVAL;
        }
        return 0;
}

int block_add_pattern(struct block *b, const char *pattern, const char **reason) {
        int r = iface_pattern_check(pattern, reason);
        if (r < 0)
                return r;
        for (size_t i = 0; i < b->n_patterns; i++)
                if (streq(b->patterns[i], pattern))
                        return 0;
        if (b->n_patterns >= BLOCK_MAX_PATTERNS) {
                if (reason)
                        *reason = "too many interface patterns (at most 32)";
                return -E2BIG;
        }
        strcpy(b->patterns[b->n_patterns++], pattern);
        return 0;
}

void iface_pattern_split(const char *pattern, char name[IFNAMSIZ], size_t *ret_len, bool *ret_prefix) {
        size_t n = strnlen(pattern, IFNAMSIZ - 1);
        bool prefix = n > 0 && pattern[n - 1] == '+';
        if (prefix)
                n--;
        memset(name, 0, IFNAMSIZ);
        memcpy(name, pattern, n);
        *ret_len = n;
        *ret_prefix = prefix;
}

void iface_pattern_join(const char *name, size_t len, bool prefix, char ret[IFNAMSIZ + 1]) {
        if (len > IFNAMSIZ - 1)
                len = IFNAMSIZ - 1;
        memcpy(ret, name, len);
        if (prefix)
                ret[len++] = '+';
        ret[len] = '\0';
}

bool iface_pattern_matches(const char *pattern, const char *ifname) {
        char name[IFNAMSIZ];
        size_t len;
        bool prefix;

        iface_pattern_split(pattern, name, &len, &prefix);
        if (prefix)
                return strncmp(ifname, name, len) == 0;
        return streq(ifname, name);
}

bool iface_pattern_covers(const char *outer, const char *inner) {
        char on[IFNAMSIZ], in[IFNAMSIZ];
        size_t ol, il;
        bool op, ip;

        iface_pattern_split(outer, on, &ol, &op);
        iface_pattern_split(inner, in, &il, &ip);
        if (!op)
                return !ip && ol == il && memcmp(on, in, ol) == 0;
        /* A prefix covers anything (prefix or name) that starts with it. */
        return il >= ol && memcmp(on, in, ol) == 0;
}

bool iface_pattern_overlaps(const char *a, const char *b) {
        char an[IFNAMSIZ], bn[IFNAMSIZ];
        size_t al, bl;
        bool ap, bp;

        iface_pattern_split(a, an, &al, &ap);
        iface_pattern_split(b, bn, &bl, &bp);
        if (!ap && !bp)
                return al == bl && memcmp(an, bn, al) == 0;
        /* With at least one prefix, they overlap when one text starts with the other's prefix. */
        size_t common = al < bl ? al : bl;
        if (memcmp(an, bn, common) != 0)
                return false;
        if (ap && bp)
                return true;
        return ap ? bl >= al : al >= bl;
}

void iface_pattern_to_nft(const char *pattern, char *ret) {
        size_t n = strnlen(pattern, IFNAMSIZ - 1);
        memcpy(ret, pattern, n);
        if (n > 0 && ret[n - 1] == '+')
                ret[n - 1] = '*';
        ret[n] = '\0';
}
