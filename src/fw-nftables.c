/* SPDX-License-Identifier: Apache-2.0 */
/* The nftables backend: table inet ecs_harden through libnftnl + libmnl. (In progress.) */
#include <errno.h>

#include "fw-private.h"

static int nft_unavailable(void) {
        return -EOPNOTSUPP;
}
static int nftables_inspect(const struct block *b, struct fw_status *st) {
        (void) b, (void) st;
        return nft_unavailable();
}
static int nftables_apply(const struct block *b, bool *changed) {
        (void) b, (void) changed;
        return nft_unavailable();
}
static int nftables_remove(const struct block *b, unsigned *n) {
        (void) b, (void) n;
        return nft_unavailable();
}
static int nftables_print_rules(const struct block *b, FILE *f) {
        (void) b, (void) f;
        return nft_unavailable();
}

const struct fw_backend fw_backend_nftables = {
        .name = "nftables",
        .inspect = nftables_inspect,
        .apply = nftables_apply,
        .remove = nftables_remove,
        .print_rules = nftables_print_rules,
};
