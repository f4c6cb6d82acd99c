/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <net/if.h>

#include "fw/block.h"

/* The internals of the nftables backend, exposed for the unit tests (message build and parse
 * without a kernel) and the namespace tests (stale generation, concurrent writers). */

#define NFT_TABLE "ecs_harden"
#define NFT_CHAIN "forward"
#define NFT_CHAIN_TYPE "filter"
#define NFT_CHAIN_PRIO (-10) /* NF_IP_PRI_FILTER - 10: ahead of Docker's filter chains */
#define NFT_WHERE "inet " NFT_TABLE " " NFT_CHAIN

/* Any single message of ours (a rule of seven expressions is ~400 bytes) fits in this. */
#define NFT_MSG_MAX 1024

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "lib/util.h"

DEFINE_POINTER_CLEANUP(struct nftnl_rule, nftnl_rule_free)
DEFINE_POINTER_CLEANUP(struct nftnl_chain, nftnl_chain_free)
DEFINE_POINTER_CLEANUP(struct nftnl_table, nftnl_table_free)
DEFINE_POINTER_CLEANUP(struct nftnl_expr, nftnl_expr_free)
DEFINE_POINTER_CLEANUP(struct nftnl_gen, nftnl_gen_free)
DEFINE_POINTER_CLEANUP(struct nftnl_expr_iter, nftnl_expr_iter_destroy)

/* The block's rules in chain order: one (IPv4, IPv6) pair per pattern. */
size_t nft_block_n_rules(const struct block *b);
void nft_block_rule_at(const struct block *b, size_t i, int *ret_family, const char **ret_pattern);

/* The objects apply creates, as nft would build them for `iifname "docker*" ip daddr
 * 169.254.169.254 drop` in table inet ecs_harden. NULL on ENOMEM. */
struct nftnl_table *nft_block_table(void);
struct nftnl_chain *nft_block_chain(void);
struct nftnl_rule *nft_block_rule(int family, const char *pattern);

/* True when the two rules have the same expressions (and neither carries user data): the kernel
 * runs them alike. Handles, table and chain are not compared. */
bool nft_rule_same(const struct nftnl_rule *a, const struct nftnl_rule *b);

/* True when R is a block rule (exactly what nft_block_rule() builds) for some pattern, whatever
 * it is: *ret_family and RET_PATTERN ("+" for no iifname) say which. */
bool nft_rule_block_pattern(const struct nftnl_rule *r, int *ret_family, char ret_pattern[IFNAMSIZ + 1]);

/* Can the rule R, standing ahead of a block rule in our chain, end the chain before the drop (an
 * accept, a jump, a verdict map, a statement not known to be harmless)? Conservative: true unless
 * known not to. Sets *why either way, to a static text or to WHYBUF. */
bool nft_rule_can_pass(const struct nftnl_rule *r, char *whybuf, size_t size, const char **why);

/* Formats a rule's expressions in libnftnl's notation ("[ meta load iifname => reg 1 ] ..."),
 * the one `nft --debug=netlink` prints. */
void nft_rule_format(const struct nftnl_rule *r, char *buf, size_t size);

/* What a batch does besides declaring the table (free when it exists as it should) and appending
 * the rules. Changing or deleting existing objects makes the kernel free the old ones after an RCU
 * grace period, and closing the netlink socket waits for that (~10-15 ms here): so the plan
 * leaves alone what is already right. */
struct nft_batch_plan {
        bool replace_chain; /* the chain exists with another hook, type or priority: delete it first */
        bool chain_ok;      /* the chain exists exactly as the block's (hook, type, priority, policy):
                             * no NEWCHAIN */
        bool flush;         /* the chain holds rules that must go: DELRULE on the chain */
        size_t keep;        /* the chain already holds the block's first KEEP rules, in order, and
                             * nothing else: append only the others (0 with FLUSH) */
};

/* Writes one batch (BEGIN carrying GENID, the messages, END) into BUF. Sequence numbers are
 * SEQ for BEGIN and SEQ+1.. for the messages, each of which asks for an ACK. Returns the length
 * or -ENOBUFS; *ret_n_msgs is the number of messages between BEGIN and END. */
ssize_t nft_block_batch(const struct block *b, const struct nft_batch_plan *plan, uint32_t genid, uint32_t seq,
                        void *buf, size_t size, unsigned *ret_n_msgs);

/* The batch remove sends: with TABLE one DELTABLE of table inet ecs_harden (by name), otherwise one
 * DELRULE per handle in HANDLES (rules of chain forward). Layout and return as above. */
ssize_t nft_remove_batch(bool table, const uint64_t *handles, size_t n_handles, uint32_t genid, uint32_t seq,
                         void *buf, size_t size, unsigned *ret_n_msgs);
size_t nft_remove_batch_size(size_t n_handles);

/* Size that nft_block_batch() needs for B. */
size_t nft_block_batch_size(const struct block *b);

/* The ruleset generation, 0 or negative errno. */
int nft_read_genid(uint32_t *ret);

/* Sends BUF (a batch from above) and collects one ACK per message. 0, or the kernel's error:
 * for the whole batch (e.g. -ERESTART when the generation moved) or for the first message that
 * failed (*ret_failed is then its index, 0-based; -1 for the batch as a whole). */
int nft_send_batch(const void *buf, size_t len, uint32_t seq, unsigned n_msgs, int *ret_failed);

/* apply with a test hook: RACE(attempt, userdata) runs after the state was read and before
 * the batch is sent, so a test can change the ruleset in between. */
int nftables_apply_hooked(const struct block *b, bool *ret_changed, unsigned *ret_attempts,
                          void (*race)(unsigned attempt, void *userdata), void *userdata);

/* remove with the same test hook. */
int nftables_remove_hooked(const struct block *b, unsigned *ret_removed, unsigned *ret_attempts,
                           void (*race)(unsigned attempt, void *userdata), void *userdata);
