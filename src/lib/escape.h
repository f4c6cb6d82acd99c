/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

/* Text from outside (configuration values, interface patterns, role and policy names, file
 * contents quoted in a message) on its way to a terminal or a log: control characters are
 * written as C escapes (\n, \r, \t, \x1b, and the C1 controls U+0080..U+009F as \xc2\x9b), bytes
 * that are not UTF-8 as \xHH, and a value longer than the bound is cut with a marker that says
 * how long it was. Printable text, UTF-8 included, and backslashes pass unchanged, so escaping
 * escaped text changes nothing. Nothing a value holds can start a new line of the report or
 * drive the terminal. JSON output does not use this: yajl escapes its strings itself. */

/* Bytes of a value kept before the cut in messages and in the report. */
#define ESCAPE_MAX 256
/* The longest escaped form of a value of up to MAX bytes (4 bytes per byte + marker + NUL). */
#define ESCAPE_BUFSIZE(max) (4 * (max) + 64)

/* Writes the escaped form of the SIZE bytes at S, cut after MAX of them, to BUF (BUFSIZE bytes,
 * at least ESCAPE_BUFSIZE(MAX)). Returns BUF. */
char *escape_mem(const char *s, size_t size, size_t max, char *buf, size_t bufsize);

/* The same for a NUL-terminated string; NULL prints as "(null)". */
char *escape_str(const char *s, size_t max, char *buf, size_t bufsize);

/* For printf arguments: the escaped form of S, cut after ESCAPE_MAX bytes, in a buffer that lives
 * until the end of the enclosing block: log_error("bad value '%s'", ESC(value)). */
#define ESC(s) ESCN((s), ESCAPE_MAX)
/* The same with another bound (a compile-time constant). */
#define ESCN(s, max) escape_str((s), (max), (char[ESCAPE_BUFSIZE(max)]) {}, ESCAPE_BUFSIZE(max))

/* A newly allocated escaped copy of S, cut after MAX bytes. NULL when out of memory. */
char *escape_dup(const char *s, size_t max);
