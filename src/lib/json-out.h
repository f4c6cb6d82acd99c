/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <yajl/yajl_gen.h>

#include "lib/util.h"

/* Thin helpers over yajl_gen so that the JSON documents read like their schema. */

DEFINE_POINTER_CLEANUP(struct yajl_gen_t, yajl_gen_free)
#define _cleanup_yajl_gen_ _cleanup_(yajl_gen_freep)

/* A generator that writes pretty JSON to stdout when done; NULL on OOM. */
yajl_gen json_new(void);

/* Writes what G generated to stdout, followed by a newline. 0 or -EIO. */
int json_flush_stdout(yajl_gen g);

void json_key(yajl_gen g, const char *key);
void json_str(yajl_gen g, const char *key, const char *value); /* NULL value: null */
void json_int(yajl_gen g, const char *key, long long value);
void json_bool(yajl_gen g, const char *key, bool value);
void json_open_object(yajl_gen g, const char *key);          /* key NULL: inside an array */
void json_open_array(yajl_gen g, const char *key);
void json_close_object(yajl_gen g);
void json_close_array(yajl_gen g);
