/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Reader for the KEY=value files of this world: /etc/os-release, /etc/ecs/ecs.config,
 * /etc/ecs-harden.conf. A UTF-8 byte order mark at the start is skipped. Blank lines and lines starting with '#' are skipped; whitespace around
 * key and value is dropped; a value wholly in "double" or 'single' quotes loses them (os-release
 * also allows \" \\ \$ \` escapes inside double quotes). */

/* Called for each KEY=value line, or with key == NULL (value = the raw line) for a line that is
 * not KEY=value. LINE is 1-based. A negative return stops parsing and is returned. */
typedef int (*kv_callback)(const char *key, const char *value, unsigned line, void *userdata);

/* Parses TEXT (modified in place). 0 or the callback's negative return. */
int kv_parse(char *text, kv_callback cb, void *userdata);

/* Reads ROOT + PATH (links resolved inside ROOT, see read_file_in_root()) and parses it. 0, -ENOENT when it does not exist, -EBADMSG when it holds a NUL
 * byte, the callback's negative return, or another negative errno. */
int kv_parse_file(const char *root, const char *path, kv_callback cb, void *userdata);
