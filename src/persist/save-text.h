/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "fw/block.h"

/* The iptables-save text format, as far as persist needs it: does a saved file hold the block,
 * and the saved text with what Docker re-creates left out. */

/* True when TEXT (iptables-save or ip6tables-save output for FAMILY) holds, in its *filter
 * table's FORWARD chain, a rule equal to the block for every interface pattern of B. Option
 * order and a missing /32 or /128 do not matter; extra matches do (such a rule is not ours). */
bool save_text_has_block(const char *text, const struct block *b, int family);

/* The block added to a saved file without asking the kernel (persist --root: an image, not the
 * running host). TEXT is the file as it is, or NULL when there is none; then the result is a
 * *filter table holding only the block, with HEADER (may be NULL) as its first comment line.
 * Otherwise the block rules that TEXT's *filter FORWARD chain lacks are inserted at the head of
 * that chain (a *filter table with the built-in chains' headers is appended when TEXT has none),
 * and every other byte is kept; when nothing is missing the result equals TEXT. *ret_added
 * counts the rules added. 0, -EBADMSG (a *filter table without COMMIT, or two of them), -EINVAL
 * (no patterns) or -ENOMEM. */
int save_text_add_block(const char *text, const struct block *b, int family, const char *header, char **ret,
                        unsigned *ret_added);

/* Makes TEXT fit for a file that iptables.service restores at boot: drops Docker's own chains
 * (DOCKER, DOCKER-ISOLATION-STAGE-*, DOCKER-FORWARD, ...), rules jumping to them, and Docker's
 * ACCEPT rules for its bridges (docker0, br-<12 hex>) in filter FORWARD and MASQUERADE rules in
 * nat POSTROUTING, which Docker re-creates when it starts and which would otherwise be frozen into the file with stale addresses; keeps
 * DOCKER-USER, INPUT and every other chain, which belong to the operator. Drops the timestamp comments and zeroes chain
 * counters, so that saving an unchanged ruleset gives the same bytes. HEADER (may be NULL) is
 * written as the first comment line. *ret_dropped counts dropped rules and chains.
 * 0 or -ENOMEM. */
int save_text_prepare(const char *text, const char *header, char **ret, unsigned *ret_dropped);

/* Only the normalisation of save_text_prepare() (header, no timestamps, zeroed counters): the
 * live rules as they are, Docker's included. 0 or -ENOMEM. */
int save_text_normalize(const char *text, const char *header, char **ret);

/* Checks that TEXT is iptables-save text that iptables-restore would parse: only comments,
 * "*table", ":CHAIN POLICY [p:b]", "COMMIT" and command lines ("-A CHAIN ...", -I -D -R -F -N -X
 * -P -Z -E) inside a table, every table closed by COMMIT; no carriage return, NUL or other
 * control byte, no stray text. 0, or -EBADMSG with *ret_line (1-based) and *ret_why (static)
 * naming the first offence. */
int save_text_check(const char *text, size_t size, unsigned *ret_line, const char **ret_why);

/* One chain of a saved table, after iptables-restore would have loaded it. */
struct saved_chain {
        char name[32];
        char policy[16];        /* "ACCEPT", "DROP" for built-in chains; "-" for user chains */
        char **rules;           /* the text of each rule after "-A CHAIN ", in order */
        size_t n_rules, n_alloc;
};

struct saved_table {
        struct saved_chain *chains;
        size_t n_chains;
};

/* Loads TEXT's *filter table the way iptables-restore would (the table replaced whole by its
 * ":" lines and commands, -A/-I/-D/-R/-F/-N/-X/-P applied in order), so that what FORWARD holds
 * at boot can be judged. An absent *filter gives no chains. 0, -EBADMSG (the text does not
 * pass save_text_check()) or -ENOMEM. */
int save_text_load_filter(const char *text, struct saved_table *ret);
void saved_table_done(struct saved_table *t);
const struct saved_chain *saved_table_chain(const struct saved_table *t, const char *name);

/* Splits one rule's text into iptables-save tokens (quotes and escapes as iptables-save writes
 * them) in place; TOK gets at most MAX pointers into BUF. Returns the count. */
size_t save_text_tokenize(char *buf, char *tok[], size_t max);
