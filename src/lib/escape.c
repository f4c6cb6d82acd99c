/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"

/* The length of the well-formed UTF-8 sequence at S (at most N bytes), or 0. */
static size_t utf8_length(const unsigned char *s, size_t n) {
        size_t len;
        unsigned cp;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* Overlong forms, surrogates, beyond U+10FFFF. */
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        /* The C1 controls (CSI is U+009B) and the line and paragraph separators. */
        if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029)
                return 0;
        return len;
}

char *escape_mem(const char *s, size_t size, size_t max, char *buf, size_t bufsize) {
        const unsigned char *p = (const unsigned char *) s;
        size_t o = 0, i = 0;

        if (bufsize == 0)
                return buf;
        /* Leave room for the marker. */
        size_t room = bufsize > 64 ? bufsize - 64 : 0;

        while (i < size && i < max) {
                unsigned char c = p[i];
                size_t len = c >= 0x20 && c != 0x7f ? utf8_length(p + i, size - i) : 0;

                if (len > 0 && i + len > max)
                        break;
                if (o + (len > 0 ? len : 4) > room)
                        break;
                if (len > 0) {
                        memcpy(buf + o, p + i, len);
                        o += len;
                        i += len;
                        continue;
                }
                const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
                if (named) {
                        memcpy(buf + o, named, 2);
                        o += 2;
                } else
                        o += (size_t) snprintf(buf + o, bufsize - o, "\\x%02x", c);
                i++;
        }
        buf[o] = '\0';
        if (i < size)
                snprintf(buf + o, bufsize - o, "...[cut: %zu bytes in all]", size);
        return buf;
}

char *escape_str(const char *s, size_t max, char *buf, size_t bufsize) {
        if (!s)
                s = "(null)";
        return escape_mem(s, strlen(s), max, buf, bufsize);
}

char *escape_dup(const char *s, size_t max) {
        size_t n = ESCAPE_BUFSIZE(max);
        char *buf = malloc(n);
        if (!buf)
                return NULL;
        return escape_str(s, max, buf, n);
}
