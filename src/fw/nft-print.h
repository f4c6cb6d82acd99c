/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The rules of one nftables chain in nft syntax, keyed by handle, so an operator can find a rule
 * with `nft -a list chain …`: e.g. handle 4 → `iifname "docker0" ip daddr 169.254.169.254 drop`. */
struct nft_rule_text {
        uint64_t handle;
        char *text; /* as `nft -a list chain` prints it, without indentation and " # handle N" */
};

struct nft_rules_text {
        size_t n;
        struct nft_rule_text *rules; /* in chain order */
};

/* Lists chain FAMILY TABLE CHAIN ("inet", "ecs_harden", "forward") through libnftables, which
 * is dlopen()ed on the first call (nothing is loaded on the boot path). Read-only: it runs
 * "list chain" and nothing else. Names must be plain identifiers ([A-Za-z0-9_.-], not starting
 * with a digit, '.' or '-').
 *
 * Returns 0 and sets *ret (free with nft_rules_text_free()), or a negative errno:
 * -EINVAL (bad name), -EOPNOTSUPP (libnftables cannot be loaded), -ENOENT (no such table or
 * chain), -EPERM, -EIO (any other failure of nft), -ENOMEM. On failure, when ret_error is not
 * NULL, *ret_error gets nft's or dlerror()'s message (free() it), or NULL. */
int nft_chain_rules_text(const char *family, const char *table, const char *chain, struct nft_rules_text **ret,
                         char **ret_error);

/* The text of the rule with HANDLE, or NULL. */
const char *nft_rules_text_find(const struct nft_rules_text *t, uint64_t handle);

void nft_rules_text_free(struct nft_rules_text *t);
static inline void nft_rules_text_freep(struct nft_rules_text **t) {
        nft_rules_text_free(*t);
}
