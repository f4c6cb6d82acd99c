/* SPDX-License-Identifier: Apache-2.0 */
/* Rules in nft syntax: libnftables prints them exactly as nft(8) does (it is nft's own code), so
 * it is asked for "list chain" with handles and its text is split by the "# handle N" suffixes. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "lib/dlopen-util.h"
#include "fw/nft-print.h"
#include "lib/util.h"

static void *nft_dl;
static const char *nft_dl_error;

static __typeof__(&nft_ctx_new) sym_nft_ctx_new;
static __typeof__(&nft_ctx_free) sym_nft_ctx_free;
static __typeof__(&nft_ctx_output_set_flags) sym_nft_ctx_output_set_flags;
static __typeof__(&nft_ctx_buffer_output) sym_nft_ctx_buffer_output;
static __typeof__(&nft_ctx_buffer_error) sym_nft_ctx_buffer_error;
static __typeof__(&nft_ctx_get_output_buffer) sym_nft_ctx_get_output_buffer;
static __typeof__(&nft_ctx_get_error_buffer) sym_nft_ctx_get_error_buffer;
static __typeof__(&nft_run_cmd_from_buffer) sym_nft_run_cmd_from_buffer;

static int nft_load(void) {
        return dlopen_many(&nft_dl, "libnftables.so.1", &nft_dl_error,
                           DLSYM_ARG(nft_ctx_new),
                           DLSYM_ARG(nft_ctx_free),
                           DLSYM_ARG(nft_ctx_output_set_flags),
                           DLSYM_ARG(nft_ctx_buffer_output),
                           DLSYM_ARG(nft_ctx_buffer_error),
                           DLSYM_ARG(nft_ctx_get_output_buffer),
                           DLSYM_ARG(nft_ctx_get_error_buffer),
                           DLSYM_ARG(nft_run_cmd_from_buffer),
                           NULL);
}

static void nft_ctxp(struct nft_ctx **c) {
        if (*c)
                sym_nft_ctx_free(*c);
}

static bool name_ok(const char *s) {
        if (!s || !(isalpha((unsigned char) s[0]) || s[0] == '_') || strlen(s) > 255)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("_.-", *s))
                        return false;
        return true;
}

void nft_rules_text_free(struct nft_rules_text *t) {
        if (!t)
                return;
        for (size_t i = 0; i < t->n; i++)
                free(t->rules[i].text);
        free(t->rules);
        free(t);
}

const char *nft_rules_text_find(const struct nft_rules_text *t, uint64_t handle) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n; i++)
                if (t->rules[i].handle == handle)
                        return t->rules[i].text;
        return NULL;
}

/* LINE (not NUL-terminated, LEN bytes) is a rule when it ends in " # handle N" and is not the
 * head of a block ("chain forward { # handle 1"). */
static int parse_line(const char *line, size_t len, struct nft_rules_text *t) {
        static const char tag[] = " # handle ";
        const char *p = NULL;

        while (len > 0 && (*line == '\t' || *line == ' '))
                line++, len--;
        for (const char *q = line; q + strlen(tag) <= line + len; q++)
                if (memcmp(q, tag, strlen(tag)) == 0)
                        p = q; /* the last one: a comment may contain the tag */
        if (!p || p == line || p[-1] == '{')
                return 0;

        uint64_t handle = 0;
        const char *d = p + strlen(tag);
        if (d == line + len)
                return 0;
        for (; d < line + len; d++) {
                if (!isdigit((unsigned char) *d) || handle > (UINT64_MAX - 9) / 10)
                        return 0;
                handle = handle * 10 + (uint64_t) (*d - '0');
        }

        struct nft_rule_text *a = reallocarray(t->rules, t->n + 1, sizeof *a);
        if (!a)
                return -ENOMEM;
        t->rules = a;
        char *text = strndup(line, (size_t) (p - line));
        if (!text)
                return -ENOMEM;
        t->rules[t->n++] = (struct nft_rule_text) { .handle = handle, .text = text };
        return 0;
}

static int error_to_errno(const char *msg) {
        if (!msg)
                return -EIO;
        if (strstr(msg, strerror(ENOENT)))
                return -ENOENT;
        if (strstr(msg, strerror(EPERM)))
                return -EPERM;
        return -EIO;
}

int nft_chain_rules_text(const char *family, const char *table, const char *chain, struct nft_rules_text **ret,
                         char **ret_error) {
        static const char *const families[] = { "ip", "ip6", "inet", "arp", "bridge", "netdev" };
        _cleanup_(nft_ctxp) struct nft_ctx *ctx = NULL;
        _cleanup_(nft_rules_text_freep) struct nft_rules_text *t = NULL;
        _cleanup_free_ char *cmd = NULL;
        bool family_ok = false;
        int r;

        if (ret_error)
                *ret_error = NULL;
        for (size_t i = 0; family && i < ELEMENTSOF(families); i++)
                family_ok |= streq(family, families[i]);
        if (!family_ok || !name_ok(table) || !name_ok(chain) || !ret)
                return -EINVAL;

        r = nft_load();
        if (r < 0) {
                if (ret_error && nft_dl_error)
                        *ret_error = strdup(nft_dl_error);
                return r;
        }

        ctx = sym_nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx)
                return -ENOMEM;
        sym_nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_HANDLE);
        if (sym_nft_ctx_buffer_output(ctx) != 0 || sym_nft_ctx_buffer_error(ctx) != 0)
                return -ENOMEM;
        if (asprintf(&cmd, "list chain %s %s %s", family, table, chain) < 0)
                return -ENOMEM;
        if (sym_nft_run_cmd_from_buffer(ctx, cmd) != 0) {
                const char *msg = sym_nft_ctx_get_error_buffer(ctx);
                if (ret_error && msg && *msg) {
                        *ret_error = strndup(msg, strcspn(msg, "\n"));
                        if (!*ret_error)
                                return -ENOMEM;
                }
                return error_to_errno(msg);
        }

        t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        for (const char *s = sym_nft_ctx_get_output_buffer(ctx); s && *s;) {
                size_t len = strcspn(s, "\n");
                r = parse_line(s, len, t);
                if (r < 0)
                        return r;
                s += len + (s[len] == '\n');
        }
        *ret = TAKE_PTR(t);
        return 0;
}
