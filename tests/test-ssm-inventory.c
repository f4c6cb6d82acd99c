/* SPDX-License-Identifier: Apache-2.0 */
/* The SSM inventory item's values and the instance ids that may become folder names. */
#include <yajl/yajl_tree.h>

#include "status/ssm-inventory.h"
#include "test.h"
#include "lib/util.h"

static char *value(const char *in, size_t max) {
        char *out = NULL;
        if (ssm_inventory_value(in, max, &out) < 0)
                abort();
        return out;
}

TEST(value_kept_as_is) {
        _cleanup_free_ char *v = value("IPv4 metadata block present — ok ✓", 4096);
        ASSERT_STR_EQ(v, "IPv4 metadata block present — ok ✓");
}

TEST(value_null_is_empty) {
        _cleanup_free_ char *v = value(NULL, 4096);
        ASSERT_STR_EQ(v, "");
}

TEST(value_control_characters_escaped) {
        _cleanup_free_ char *v = value("evil\x1b[2J\rrole\x07\x7f\tx\n", 4096);
        ASSERT_STR_EQ(v, "evil\\x1b[2J\\x0drole\\x07\\x7f\\x09x\\x0a");
}

TEST(value_invalid_utf8_escaped) {
        /* A lone continuation byte, an overlong '/', a surrogate, a truncated sequence. */
        _cleanup_free_ char *v = value("a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82", 4096);
        ASSERT_STR_EQ(v, "a\\x80b\\xc0\\xafc\\xed\\xa0\\x80d\\xe2\\x82");
}

TEST(value_exactly_at_the_limit_is_not_cut) {
        char in[4097];
        memset(in, 'a', 4096);
        in[4096] = '\0';
        _cleanup_free_ char *v = value(in, 4096);
        ASSERT_INT_EQ(strlen(v), 4096);
        ASSERT_STR_EQ(v, in);
}

TEST(value_10000_characters_cut_to_4096_bytes) {
        char in[10001];
        memset(in, 'a', 10000);
        in[10000] = '\0';
        _cleanup_free_ char *v = value(in, 4096);
        ASSERT_INT_EQ(strlen(v), 4096);
        ASSERT_TRUE(strcmp(v + 4093, "…") == 0);
        ASSERT_TRUE(v[4092] == 'a');
}

TEST(value_cut_never_splits_a_character) {
        /* 3-byte characters: 4093 bytes of room hold 1364 of them (4092 bytes), then the mark. */
        char in[3 * 3000 + 1] = "";
        for (int i = 0; i < 3000; i++)
                strcat(in, "€");
        _cleanup_free_ char *v = value(in, 4096);
        ASSERT_INT_EQ(strlen(v), 4092 + 3);
        ASSERT_TRUE(strcmp(v + 4092, "…") == 0);
}

TEST(value_cut_never_splits_an_escape) {
        char in[2001];
        memset(in, '\x1b', 2000);
        in[2000] = '\0';
        _cleanup_free_ char *v = value(in, 4096);
        /* 1023 escapes of 4 bytes (4092) fit before the mark, the 1024th does not. */
        ASSERT_INT_EQ(strlen(v), 4092 + 3);
        ASSERT_TRUE(strncmp(v + 4088, "\\x1b…", 4 + 3) == 0);
}

TEST(instance_ids) {
        ASSERT_TRUE(ssm_instance_id_valid("i-0123456789abcdef0"));
        ASSERT_TRUE(ssm_instance_id_valid("i-01234567"));
        ASSERT_TRUE(ssm_instance_id_valid("mi-0123456789abcdef0"));
        ASSERT_FALSE(ssm_instance_id_valid(NULL));
        ASSERT_FALSE(ssm_instance_id_valid(""));
        ASSERT_FALSE(ssm_instance_id_valid("i-0123"));
        ASSERT_FALSE(ssm_instance_id_valid("i-0123456789abcdef01"));
        ASSERT_FALSE(ssm_instance_id_valid("../../../../etc"));
        ASSERT_FALSE(ssm_instance_id_valid("i-../../../etc/x"));
        ASSERT_FALSE(ssm_instance_id_valid("i-0123456/"));
        ASSERT_FALSE(ssm_instance_id_valid("mi-01234567"));
        ASSERT_FALSE(ssm_instance_id_valid("x-0123456789abcdef0"));
}

TEST(render_shape_and_entry_cap) {
        struct ssm_inventory_entry entries[] = {
                { .check_id = "imds-block-ipv4", .status = "FAIL", .summary = "missing" },
                { .check_id = "imds-v2", .status = "PASS", .summary = NULL },
        };
        _cleanup_free_ char *out = NULL;
        size_t size;
        char err[128];

        ASSERT_INT_EQ(ssm_inventory_render(&(struct ssm_inventory_item) {
                                                   .entries = entries,
                                                   .n_entries = 2,
                                                   .backend = "nftables",
                                                   .flavour = "al2023",
                                                   .version = "0.1.0",
                                                   .capture_time = 1764862536, /* 2025-12-04T15:35:36Z */
                                           },
                                           &out, &size),
                      0);
        ASSERT_INT_EQ(strlen(out), size);
        yajl_val tree = yajl_tree_parse(out, err, sizeof(err));
        ASSERT_TRUE(tree);
        const char *tn[] = { "TypeName", NULL }, *sv[] = { "SchemaVersion", NULL }, *ct[] = { "Content", NULL };
        ASSERT_STR_EQ(YAJL_GET_STRING(yajl_tree_get(tree, tn, yajl_t_string)), "Custom:ECSHarden");
        ASSERT_STR_EQ(YAJL_GET_STRING(yajl_tree_get(tree, sv, yajl_t_string)), "1.0");
        yajl_val content = yajl_tree_get(tree, ct, yajl_t_array);
        ASSERT_TRUE(content && YAJL_GET_ARRAY(content)->len == 2);
        yajl_val second = YAJL_GET_ARRAY(content)->values[1];
        ASSERT_INT_EQ(YAJL_GET_OBJECT(second)->len, 7);
        for (size_t i = 0; i < YAJL_GET_OBJECT(second)->len; i++)
                ASSERT_TRUE(YAJL_IS_STRING(YAJL_GET_OBJECT(second)->values[i]));
        const char *cap[] = { "CaptureTime", NULL }, *sum[] = { "Summary", NULL };
        ASSERT_STR_EQ(YAJL_GET_STRING(yajl_tree_get(second, cap, yajl_t_string)), "2025-12-04T15:35:36Z");
        ASSERT_STR_EQ(YAJL_GET_STRING(yajl_tree_get(second, sum, yajl_t_string)), "");
        yajl_tree_free(tree);
}

TEST(render_never_more_entries_than_allowed) {
        size_t n = SSM_INVENTORY_MAX_ENTRIES + 5;
        struct ssm_inventory_entry *entries = calloc(n, sizeof(*entries));
        _cleanup_free_ char *out = NULL;
        char err[128];

        ASSERT_TRUE(entries);
        for (size_t i = 0; i < n; i++)
                entries[i] = (struct ssm_inventory_entry) { .check_id = "c", .status = "PASS", .summary = "s" };
        int r = ssm_inventory_render(&(struct ssm_inventory_item) { .entries = entries, .n_entries = n,
                                                                   .capture_time = 0 },
                                     &out, NULL);
        free(entries);
        ASSERT_INT_EQ(r, 0);
        yajl_val tree = yajl_tree_parse(out, err, sizeof(err));
        const char *ct[] = { "Content", NULL };
        yajl_val content = yajl_tree_get(tree, ct, yajl_t_array);
        ASSERT_TRUE(content);
        ASSERT_INT_EQ(YAJL_GET_ARRAY(content)->len, SSM_INVENTORY_MAX_ENTRIES);
        yajl_tree_free(tree);
}
