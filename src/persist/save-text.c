/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <ctype.h>
#include <sys/socket.h>

#include "persist/save-text.h"
#include "lib/util.h"

#define MAX_TOKENS 256

/* Splits an iptables-save rule line into tokens; iptables-save quotes arguments with spaces
 * ("--comment "a b"") and escapes quotes inside them. Tokens point into BUF. */
size_t save_text_tokenize(char *buf, char *tok[], size_t max) {
        size_t n = 0;
        char *p = buf;

        while (*p && n < max) {
                while (isspace((unsigned char) *p))
                        p++;
                if (!*p)
                        break;
                char *out = p;
                tok[n++] = p;
                bool quoted = false;
                for (; *p; p++) {
                        if (*p == '"') {
                                quoted = !quoted;
                                continue;
                        }
                        if (*p == '\\' && quoted && p[1]) {
                                *out++ = *++p;
                                continue;
                        }
                        if (!quoted && isspace((unsigned char) *p))
                                break;
                        *out++ = *p;
                }
                if (*p)
                        p++;
                *out = '\0';
        }
        return n;
}

static bool address_is(const char *text, int family) {
        char addr[INET6_ADDRSTRLEN + 8];
        unsigned char a[16], want[16];
        const char *slash;

        snprintf(addr, sizeof(addr), "%s", text);
        slash = strchr(addr, '/');
        if (slash) {
                if (strtoul(slash + 1, NULL, 10) != block_prefixlen(family) || !isdigit((unsigned char) slash[1]))
                        return false;
                addr[slash - addr] = '\0';
        }
        if (inet_pton(family, addr, a) != 1)
                return false;
        block_address(family, want);
        return memcmp(a, want, family == AF_INET ? 4 : 16) == 0;
}

/* Is the rule after "-A FORWARD" exactly "-d ADDR -i PATTERN -j DROP" in some order? */
static bool rule_is_block(char *tok[], size_t n, const char *pattern, int family) {
        bool d = false, i = false, j = false;

        if (n != 6)
                return false;
        for (size_t k = 0; k + 1 < n; k += 2) {
                if (streq(tok[k], "-d") || streq(tok[k], "--destination"))
                        d = !d && address_is(tok[k + 1], family);
                else if (streq(tok[k], "-i") || streq(tok[k], "--in-interface"))
                        i = !i && streq(tok[k + 1], pattern);
                else if (streq(tok[k], "-j") || streq(tok[k], "--jump"))
                        j = !j && streq(tok[k + 1], "DROP");
                else
                        return false;
        }
        return d && i && j;
}

bool save_text_has_block(const char *text, const struct block *b, int family) {
        bool found[BLOCK_MAX_PATTERNS] = {};
        bool in_filter = false;
        _cleanup_free_ char *copy = strdup(text);

        if (!copy || b->n_patterns == 0)
                return false;
        for (char *line = copy, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (line[0] == '*') {
                        in_filter = streq(strstrip(line + 1), "filter");
                        continue;
                }
                if (!in_filter || strncmp(line, "-A ", 3) != 0)
                        continue;
                char *tok[MAX_TOKENS];
                size_t n = save_text_tokenize(line, tok, MAX_TOKENS);
                if (n < 2 || !streq(tok[1], "FORWARD"))
                        continue;
                for (size_t p = 0; p < b->n_patterns; p++)
                        if (rule_is_block(tok + 2, n - 2, b->patterns[p], family))
                                found[p] = true;
        }
        for (size_t p = 0; p < b->n_patterns; p++)
                if (!found[p])
                        return false;
        return true;
}

/* The chains dockerd creates and flushes itself; DOCKER-USER is the operator's. */
static bool docker_chain(const char *name) {
        static const char *const chains[] = {
                "DOCKER", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2", "DOCKER-FORWARD",
                "DOCKER-CT", "DOCKER-BRIDGE", "DOCKER-INTERNAL", "DOCKER-INGRESS",
        };
        for (size_t i = 0; i < ELEMENTSOF(chains); i++)
                if (streq(name, chains[i]))
                        return true;
        return false;
}

/* docker0, or a user-defined network's bridge br-<first 12 hex digits of the network id>. */
static bool docker_bridge(const char *name) {
        if (streq(name, "docker0"))
                return true;
        if (strncmp(name, "br-", 3) != 0 || strlen(name) != 15)
                return false;
        for (const char *p = name + 3; *p; p++)
                if (!isxdigit((unsigned char) *p) || isupper((unsigned char) *p))
                        return false;
        return true;
}

/* Is this rule one that dockerd re-creates when it starts? TABLE is the *table it is in. Docker's
 * own chains go whole, as do jumps to them (a jump to a chain left out would not restore). Its
 * ACCEPT/MASQUERADE rules for its bridges go only from the chains it writes them to: filter
 * FORWARD and nat POSTROUTING. The same rule in DOCKER-USER, INPUT or any other chain is the
 * operator's and stays. */
static bool rule_is_docker(const char *table, char *tok[], size_t n) {
        const char *target = NULL;
        bool bridge = false;

        if (n >= 2 && docker_chain(tok[1]))
                return true;
        for (size_t k = 2; k + 1 < n; k++) {
                if (streq(tok[k], "-j") || streq(tok[k], "-g") || streq(tok[k], "--jump") || streq(tok[k], "--goto"))
                        target = tok[k + 1];
                else if (streq(tok[k], "-i") || streq(tok[k], "-o") || streq(tok[k], "--in-interface") ||
                         streq(tok[k], "--out-interface"))
                        bridge = bridge || docker_bridge(tok[k + 1]);
        }
        if (!target)
                return false;
        if (docker_chain(target))
                return true;
        if (!bridge || n < 2)
                return false;
        if (streq(table, "filter") && streq(tok[1], "FORWARD"))
                return streq(target, "ACCEPT");
        if (streq(table, "nat") && streq(tok[1], "POSTROUTING"))
                return streq(target, "MASQUERADE");
        return false;
}

static int prepare(const char *text, const char *header, bool strip, char **ret, unsigned *ret_dropped) {
        _cleanup_free_ char *copy = strdup(text);
        _cleanup_free_ char *out = NULL;
        size_t size = 0;
        unsigned dropped = 0;
        char table[32] = "";
        FILE *f;

        if (!copy)
                return -ENOMEM;
        f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        if (header)
                fprintf(f, "# %s\n", header);

        for (char *line = copy, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                else if (!*line)
                        break;

                if (strncmp(line, "# Generated by", 14) == 0 || strncmp(line, "# Completed on", 14) == 0)
                        continue;
                if (line[0] == '*')
                        snprintf(table, sizeof(table), "%s", line + 1), (void) strstrip(table);
                else if (line[0] == ':') {
                        /* ":CHAIN POLICY [packets:bytes]" */
                        char name[64], policy[32];
                        if (sscanf(line, ":%63s %31s", name, policy) == 2) {
                                if (strip && docker_chain(name)) {
                                        dropped++;
                                        continue;
                                }
                                fprintf(f, ":%s %s [0:0]\n", name, policy);
                                continue;
                        }
                } else if (strncmp(line, "-A ", 3) == 0 || strncmp(line, "-I ", 3) == 0) {
                        _cleanup_free_ char *l = strdup(line);
                        char *tok[MAX_TOKENS];
                        if (!l) {
                                fclose(f);
                                return -ENOMEM;
                        }
                        size_t n = save_text_tokenize(l, tok, MAX_TOKENS);
                        if (strip && rule_is_docker(table, tok, n)) {
                                dropped++;
                                continue;
                        }
                }
                fprintf(f, "%s\n", line);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        if (ret_dropped)
                *ret_dropped = dropped;
        return 0;
}

int save_text_prepare(const char *text, const char *header, char **ret, unsigned *ret_dropped) {
        return prepare(text, header, true, ret, ret_dropped);
}

int save_text_normalize(const char *text, const char *header, char **ret) {
        return prepare(text, header, false, ret, NULL);
}

/* The block's rule for PATTERN, as iptables-save prints it. */
static void block_line(FILE *f, const struct block *b, size_t pattern, int family) {
        fprintf(f, "-A FORWARD -d %s/%u -i %s -j DROP\n", block_address_string(family), block_prefixlen(family),
                b->patterns[pattern]);
}

/* A table as iptables-save prints it with nothing in it but the block. */
static void filter_table(FILE *f, const struct block *b, int family) {
        fputs("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n", f);
        for (size_t i = 0; i < b->n_patterns; i++)
                block_line(f, b, i, family);
        fputs("COMMIT\n", f);
}

int save_text_add_block(const char *text, const struct block *b, int family, const char *header, char **ret,
                        unsigned *ret_added) {
        bool present[BLOCK_MAX_PATTERNS] = {};
        _cleanup_free_ char *copy = NULL, *out = NULL;
        const char *filter_start = NULL, *insert_at = NULL;
        bool in_filter = false, done_filter = false;
        unsigned missing = 0;
        size_t size = 0;
        FILE *f;

        if (b->n_patterns == 0)
                return -EINVAL;

        /* Where the *filter table is, where its FORWARD rules start, and which block rules it holds. */
        if (text) {
                copy = strdup(text);
                if (!copy)
                        return -ENOMEM;
                for (char *line = copy, *next; line; line = next) {
                        next = strchr(line, '\n');
                        if (next)
                                *next++ = '\0';
                        const char *orig = text + (line - copy);
                        if (line[0] == '*') {
                                if (in_filter || (done_filter && streq(strstrip(line + 1), "filter")))
                                        return -EBADMSG; /* no COMMIT, or a second *filter: not a saved file */
                                in_filter = streq(strstrip(line + 1), "filter");
                                if (in_filter)
                                        filter_start = orig;
                                continue;
                        }
                        if (!in_filter)
                                continue;
                        if (streq(strstrip(line), "COMMIT")) {
                                if (!insert_at)
                                        insert_at = orig;
                                in_filter = false;
                                done_filter = true;
                                continue;
                        }
                        if (strncmp(line, "-A ", 3) != 0 && strncmp(line, "-I ", 3) != 0)
                                continue;
                        char *tok[MAX_TOKENS];
                        size_t n = save_text_tokenize(line, tok, MAX_TOKENS);
                        if (n < 2 || !streq(tok[1], "FORWARD"))
                                continue;
                        /* The block goes at the head of FORWARD, ahead of every other rule there. */
                        if (!insert_at)
                                insert_at = orig;
                        for (size_t p = 0; streq(tok[0], "-A") && p < b->n_patterns; p++)
                                if (rule_is_block(tok + 2, n - 2, b->patterns[p], family))
                                        present[p] = true;
                }
                if (in_filter)
                        return -EBADMSG; /* *filter without COMMIT: iptables-restore would refuse it too */
        }
        for (size_t p = 0; p < b->n_patterns; p++)
                missing += !present[p];

        f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        if (!text) {
                if (header)
                        fprintf(f, "# %s\n", header);
                filter_table(f, b, family);
        } else if (missing == 0)
                fputs(text, f);
        else if (!filter_start) {
                /* No filter table yet: add one after the others. */
                fputs(text, f);
                if (text[0] && text[strlen(text) - 1] != '\n')
                        fputc('\n', f);
                filter_table(f, b, family);
        } else {
                fwrite(text, 1, (size_t) (insert_at - text), f);
                for (size_t p = 0; p < b->n_patterns; p++)
                        if (!present[p])
                                block_line(f, b, p, family);
                fputs(insert_at, f);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        if (ret_added)
                *ret_added = text ? missing : (unsigned) b->n_patterns;
        return 0;
}

/* ---- the saved file as iptables-restore reads it ---- */

static bool is_command(const char *t) {
        static const char *const commands[] = { "-A", "-I", "-D", "-R", "-F", "-N", "-X", "-P", "-Z", "-E",
                                                "--append", "--insert", "--delete", "--replace", "--flush",
                                                "--new-chain", "--delete-chain", "--policy", "--zero",
                                                "--rename-chain" };
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(t, commands[i]))
                        return true;
        return false;
}

/* A token that names a chain, as iptables accepts one (at most 28 characters, no blanks). */
static bool chain_name_ok(const char *t) {
        size_t n = strlen(t);
        return n > 0 && n < 29 && t[0] != '-' && t[0] != '!';
}

/* The first byte that iptables-restore would choke on, or that hides such a thing from a reader. */
static const char *bad_byte(const char *text, size_t size, unsigned *ret_line) {
        unsigned line = 1;

        for (size_t i = 0; i < size; i++) {
                unsigned char c = (unsigned char) text[i];
                if (c == '\n')
                        line++;
                else if (c == '\r' || (c < 0x20 && c != '\t') || c >= 0x7f) {
                        *ret_line = line;
                        return c == '\r' ? "a carriage return (CRLF line ends?)"
                               : c >= 0x7f ? "a byte that is not plain ASCII (a binary file?)"
                                           : "a control or NUL byte (a binary file?)";
                }
        }
        return NULL;
}

/* What is wrong with one line (stripped), or NULL. *in_table tracks "*table" ... "COMMIT". */
static const char *bad_line(char *t, bool *in_table) {
        if (!*t || t[0] == '#')
                return NULL;
        if (t[0] == '*') {
                if (*in_table)
                        return "a new table starts before the last one's COMMIT";
                *in_table = true;
                return chain_name_ok(t + 1) ? NULL : "not a table name after '*'";
        }
        if (streq(t, "COMMIT")) {
                if (!*in_table)
                        return "COMMIT outside a table";
                *in_table = false;
                return NULL;
        }
        if (!*in_table)
                return "text outside a table (no '*table' line before it)";
        if (t[0] == ':') {
                char name[64], policy[32];
                if (sscanf(t, ":%63s %31s", name, policy) < 2 || !chain_name_ok(name) ||
                    (!streq(policy, "ACCEPT") && !streq(policy, "DROP") && !streq(policy, "-")))
                        return "not a chain header (\":CHAIN POLICY [packets:bytes]\")";
                return NULL;
        }
        char *tok[MAX_TOKENS];
        size_t n = save_text_tokenize(t, tok, MAX_TOKENS);
        size_t k = n > 0 && tok[0][0] == '[' ? 1 : 0; /* "[packets:bytes] -A ..." */
        if (n <= k || !is_command(tok[k]))
                return "neither a comment, a table, a chain header, COMMIT nor a command";
        if (n > k + 1 && !chain_name_ok(tok[k + 1]))
                return "no chain name after the command";
        if (n == MAX_TOKENS)
                return "a rule with too many words";
        /* An option takes one word, a few two; three words in a row that no option starts is text
         * that iptables-restore would refuse. */
        for (size_t j = k + 4; j < n; j++)
                if (!strchr("-!", tok[j][0]) && !strchr("-!", tok[j - 1][0]) && !strchr("-!", tok[j - 2][0]))
                        return "words that belong to no option";
        return NULL;
}

int save_text_check(const char *text, size_t size, unsigned *ret_line, const char **ret_why) {
        _cleanup_free_ char *copy = NULL;
        bool in_table = false;
        unsigned line = 0;
        const char *why = bad_byte(text, size, &line);

        if (!why) {
                copy = strndup(text, size);
                if (!copy)
                        return -ENOMEM;
                for (char *l = copy, *next; l && !why; l = next) {
                        next = strchr(l, '\n');
                        if (next)
                                *next++ = '\0';
                        line++;
                        why = bad_line(strstrip(l), &in_table);
                }
                if (!why && in_table)
                        why = "the last table has no COMMIT";
        }
        if (!why)
                return 0;
        if (ret_line)
                *ret_line = line;
        if (ret_why)
                *ret_why = why;
        return -EBADMSG;
}

void saved_table_done(struct saved_table *t) {
        for (size_t i = 0; i < t->n_chains; i++) {
                for (size_t j = 0; j < t->chains[i].n_rules; j++)
                        free(t->chains[i].rules[j]);
                free(t->chains[i].rules);
        }
        free(t->chains);
        *t = (struct saved_table) {};
}

const struct saved_chain *saved_table_chain(const struct saved_table *t, const char *name) {
        for (size_t i = 0; i < t->n_chains; i++)
                if (streq(t->chains[i].name, name))
                        return &t->chains[i];
        return NULL;
}

static struct saved_chain *chain_get(struct saved_table *t, const char *name, bool create) {
        struct saved_chain *c = (struct saved_chain *) saved_table_chain(t, name);
        if (c || !create)
                return c;
        c = realloc(t->chains, (t->n_chains + 1) * sizeof(*c));
        if (!c)
                return NULL;
        t->chains = c;
        c = &t->chains[t->n_chains++];
        *c = (struct saved_chain) {};
        snprintf(c->name, sizeof(c->name), "%s", name);
        snprintf(c->policy, sizeof(c->policy), "-");
        return c;
}

static void chain_flush(struct saved_chain *c) {
        for (size_t j = 0; j < c->n_rules; j++)
                free(c->rules[j]);
        c->n_rules = 0;
}

/* Inserts RULE at 0-based POS (clamped). 0 or -ENOMEM. */
static int chain_insert(struct saved_chain *c, size_t pos, const char *rule) {
        if (c->n_rules == c->n_alloc) {
                size_t na = c->n_alloc ? c->n_alloc * 2 : 16;
                char **nr = realloc(c->rules, na * sizeof(*nr));
                if (!nr)
                        return -ENOMEM;
                c->rules = nr;
                c->n_alloc = na;
        }
        char *copy = strdup(rule);
        if (!copy)
                return -ENOMEM;
        if (pos > c->n_rules)
                pos = c->n_rules;
        memmove(c->rules + pos + 1, c->rules + pos, (c->n_rules - pos) * sizeof(char *));
        c->rules[pos] = copy;
        c->n_rules++;
        return 0;
}

static void chain_delete_at(struct saved_chain *c, size_t pos) {
        free(c->rules[pos]);
        memmove(c->rules + pos, c->rules + pos + 1, (c->n_rules - pos - 1) * sizeof(char *));
        c->n_rules--;
}

/* The rest of LINE after the command, the chain and (when NUMBERED) a rule number. */
static const char *rule_rest(const char *line, unsigned skip_words) {
        const char *p = line;
        for (unsigned w = 0; w < skip_words; w++) {
                while (*p && isspace((unsigned char) *p))
                        p++;
                while (*p && !isspace((unsigned char) *p))
                        p++;
        }
        while (*p && isspace((unsigned char) *p))
                p++;
        return p;
}

static int apply_command(struct saved_table *t, const char *line) {
        _cleanup_free_ char *copy = strdup(line);
        char *tok[MAX_TOKENS];
        if (!copy)
                return -ENOMEM;
        size_t n = save_text_tokenize(copy, tok, MAX_TOKENS);
        unsigned skip = 0;
        if (n > 0 && tok[0][0] == '[') { /* counters */
                skip = 1;
                memmove(tok, tok + 1, (n - 1) * sizeof(char *));
                n--;
        }
        if (n == 0)
                return 0;
        const char *cmd = tok[0], *name = n > 1 ? tok[1] : NULL;
        struct saved_chain *c = name ? chain_get(t, name, false) : NULL;
        bool numbered = n > 2 && isdigit((unsigned char) tok[2][0]);
        unsigned long num = numbered ? strtoul(tok[2], NULL, 10) : 0;

        if (streq(cmd, "-A") || streq(cmd, "--append") || streq(cmd, "-I") || streq(cmd, "--insert")) {
                bool insert = cmd[1] == 'I' || streq(cmd, "--insert");
                c = name ? chain_get(t, name, true) : NULL;
                if (!c)
                        return name ? -ENOMEM : 0;
                const char *rest = rule_rest(line, skip + 2 + (insert && numbered));
                return chain_insert(c, insert ? (numbered && num > 0 ? num - 1 : 0) : c->n_rules, rest);
        }
        if ((streq(cmd, "-D") || streq(cmd, "--delete")) && c) {
                if (numbered) {
                        if (num > 0 && num <= c->n_rules)
                                chain_delete_at(c, num - 1);
                        return 0;
                }
                const char *rest = rule_rest(line, skip + 2);
                for (size_t j = 0; j < c->n_rules; j++)
                        if (streq(c->rules[j], rest)) {
                                chain_delete_at(c, j);
                                break;
                        }
                return 0;
        }
        if ((streq(cmd, "-R") || streq(cmd, "--replace")) && c && numbered && num > 0 && num <= c->n_rules) {
                char *copy2 = strdup(rule_rest(line, skip + 3));
                if (!copy2)
                        return -ENOMEM;
                free(c->rules[num - 1]);
                c->rules[num - 1] = copy2;
                return 0;
        }
        if (streq(cmd, "-F") || streq(cmd, "--flush")) {
                for (size_t i = 0; i < t->n_chains; i++)
                        if (!name || streq(t->chains[i].name, name))
                                chain_flush(&t->chains[i]);
                return 0;
        }
        if (streq(cmd, "-N") || streq(cmd, "--new-chain"))
                return name && !chain_get(t, name, true) ? -ENOMEM : 0;
        if (streq(cmd, "-X") || streq(cmd, "--delete-chain")) {
                for (size_t i = 0; i < t->n_chains;)
                        if (streq(t->chains[i].policy, "-") && (!name || streq(t->chains[i].name, name))) {
                                chain_flush(&t->chains[i]);
                                free(t->chains[i].rules);
                                memmove(t->chains + i, t->chains + i + 1, (t->n_chains - i - 1) * sizeof(*t->chains));
                                t->n_chains--;
                        } else
                                i++;
                return 0;
        }
        if ((streq(cmd, "-P") || streq(cmd, "--policy")) && c && n > 2)
                snprintf(c->policy, sizeof(c->policy), "%s", tok[2]);
        return 0;
}

int save_text_load_filter(const char *text, struct saved_table *ret) {
        _cleanup_free_ char *copy = NULL;
        bool in_filter = false;
        int r = 0;

        *ret = (struct saved_table) {};
        if (save_text_check(text, strlen(text), NULL, NULL) < 0)
                return -EBADMSG;
        copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        for (char *l = copy, *next; l && r >= 0; l = next) {
                next = strchr(l, '\n');
                if (next)
                        *next++ = '\0';
                char *t = strstrip(l);
                if (!*t || t[0] == '#')
                        continue;
                if (t[0] == '*') {
                        /* iptables-restore replaces the table whole: what an earlier *filter left goes. */
                        in_filter = streq(t + 1, "filter");
                        if (in_filter)
                                saved_table_done(ret);
                        continue;
                }
                if (!in_filter)
                        continue;
                if (streq(t, "COMMIT")) {
                        in_filter = false;
                        continue;
                }
                if (t[0] == ':') {
                        char name[64], policy[32];
                        if (sscanf(t, ":%63s %31s", name, policy) == 2) {
                                struct saved_chain *c = chain_get(ret, name, true);
                                if (!c)
                                        r = -ENOMEM;
                                else
                                        snprintf(c->policy, sizeof(c->policy), "%s", policy);
                        }
                        continue;
                }
                r = apply_command(ret, t);
        }
        if (r < 0)
                saved_table_done(ret);
        return r;
}
