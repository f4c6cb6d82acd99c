/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/json-out.h"

yajl_gen json_new(void) {
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return NULL;
        yajl_gen_config(g, yajl_gen_beautify, 1);
        yajl_gen_config(g, yajl_gen_indent_string, "  ");
        /* Output may carry names from untrusted input: keep it valid UTF-8. */
        yajl_gen_config(g, yajl_gen_validate_utf8, 1);
        return g;
}

int json_flush_stdout(yajl_gen g) {
        const unsigned char *buf;
        size_t len;

        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
                return -EIO;
        if (fwrite(buf, 1, len, stdout) != len)
                return -EIO;
        if (len == 0 || buf[len - 1] != '\n')
                fputc('\n', stdout);
        yajl_gen_clear(g);
        return fflush(stdout) == 0 ? 0 : -EIO;
}

void json_key(yajl_gen g, const char *key) {
        if (key)
                yajl_gen_string(g, (const unsigned char *) key, strlen(key));
}

void json_str(yajl_gen g, const char *key, const char *value) {
        json_key(g, key);
        if (!value) {
                yajl_gen_null(g);
                return;
        }
        if (yajl_gen_string(g, (const unsigned char *) value, strlen(value)) == yajl_gen_invalid_string)
                /* Not UTF-8: emit a marked replacement rather than an invalid document. */
                yajl_gen_string(g, (const unsigned char *) "(invalid UTF-8)", 15);
}

void json_int(yajl_gen g, const char *key, long long value) {
        json_key(g, key);
        yajl_gen_integer(g, value);
}

void json_bool(yajl_gen g, const char *key, bool value) {
        json_key(g, key);
        yajl_gen_bool(g, value);
}

void json_open_object(yajl_gen g, const char *key) {
        json_key(g, key);
        yajl_gen_map_open(g);
}

void json_open_array(yajl_gen g, const char *key) {
        json_key(g, key);
        yajl_gen_array_open(g);
}

void json_close_object(yajl_gen g) {
        yajl_gen_map_close(g);
}

void json_close_array(yajl_gen g) {
        yajl_gen_array_close(g);
}
