/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>

#include "lib/atomic-file.h"
#include "lib/kv-file.h"
#include "lib/util.h"

static bool key_valid(const char *k) {
        if (!*k)
                return false;
        for (const char *p = k; *p; p++)
                if (!(isalnum((unsigned char) *p) || *p == '_'))
                        return false;
        return !isdigit((unsigned char) k[0]);
}

static void unquote(char *v) {
        size_t n = strlen(v);

        if (n < 2 || (v[0] != '"' && v[0] != '\'') || v[n - 1] != v[0])
                return;
        char q = v[0];
        char *out = v;
        for (size_t i = 1; i < n - 1; i++) {
                if (q == '"' && v[i] == '\\' && i + 1 < n - 1 && strchr("\"\\$`", v[i + 1]))
                        i++;
                *out++ = v[i];
        }
        *out = '\0';
}

int kv_parse(char *text, kv_callback cb, void *userdata) {
        unsigned line = 0;

        /* A UTF-8 byte order mark, as some Windows editors write one, is no part of the first key. */
        if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
                text += 3;
        for (char *p = text, *next; p; p = next) {
                next = strchr(p, '\n');
                if (next)
                        *next++ = '\0';
                line++;

                char *l = strstrip(p);
                if (*l == '\0' || *l == '#')
                        continue;

                char *eq = strchr(l, '=');
                int r;
                if (eq) {
                        *eq = '\0';
                        char *key = strstrip(l), *value = strstrip(eq + 1);
                        if (key_valid(key)) {
                                unquote(value);
                                r = cb(key, value, line, userdata);
                        } else {
                                *eq = '=';
                                r = cb(NULL, l, line, userdata);
                        }
                } else
                        r = cb(NULL, l, line, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

int kv_parse_file(const char *root, const char *path, kv_callback cb, void *userdata) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r = read_file_in_root(root, path, &text, &size);
        if (r < 0)
                return r;
        /* A NUL byte means this is no text file; parsing up to it would silently drop the rest. */
        if (memchr(text, '\0', size))
                return -EBADMSG;
        return kv_parse(text, cb, userdata);
}
