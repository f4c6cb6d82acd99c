/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <ctype.h>
#include <sys/socket.h>

#include "save-text.h"
#include "util.h"

#define MAX_TOKENS 256

/* Splits an iptables-save rule line into tokens; iptables-save quotes arguments with spaces
 * ("--comment "a b"") and escapes quotes inside them. Tokens point into BUF. */
static size_t tokenize(char *buf, char *tok[], size_t max) {
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
                size_t n = tokenize(line, tok, MAX_TOKENS);
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
                        size_t n = tokenize(l, tok, MAX_TOKENS);
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
                        size_t n = tokenize(line, tok, MAX_TOKENS);
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
