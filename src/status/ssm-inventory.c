/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <sys/stat.h>

#include "lib/atomic-file.h"
#include "status/imds.h"
#include "lib/json-out.h"
#include "status/ssm-inventory.h"
#include "lib/util.h"

#define CUT_MARK "\xe2\x80\xa6" /* U+2026, "…" */

static bool word_chars(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
                        return false;
        }
        return s[n] == '\0';
}

bool ssm_instance_id_valid(const char *id) {
        if (!id)
                return false;
        if (strncmp(id, "i-", 2) == 0)
                return (strlen(id) == 2 + 8 || strlen(id) == 2 + 17) && word_chars(id + 2, strlen(id) - 2);
        if (strncmp(id, "mi-", 3) == 0)
                return strlen(id) == 3 + 17 && word_chars(id + 3, 17);
        return false;
}

/* The length of the valid UTF-8 character at S (1..4), or 0 when S does not start one: overlong
 * forms, surrogates and code points past U+10FFFF are not characters. */
static size_t utf8_char_len(const unsigned char *s) {
        unsigned c = s[0];
        size_t n;
        unsigned cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, cp = c & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

/* One unit of the output for the input at S: a character copied (*ret_escape false) or one byte
 * escaped as \xNN (4 bytes). Returns the number of input bytes it consumes. */
static size_t next_unit(const unsigned char *s, bool *ret_escape) {
        size_t n = utf8_char_len(s);
        *ret_escape = n == 0 || (n == 1 && (s[0] < 0x20 || s[0] == 0x7f));
        return *ret_escape ? 1 : n;
}

int ssm_inventory_value(const char *value, size_t max, char **ret) {
        const unsigned char *s = (const unsigned char *) strempty(value);
        size_t total = 0, limit, o = 0;
        _cleanup_free_ char *out = NULL;

        if (max < 8)
                return -EINVAL;
        for (const unsigned char *p = s; *p;) {
                bool esc;
                size_t n = next_unit(p, &esc);
                total += esc ? 4 : n;
                p += n;
        }
        /* Room for the mark when the whole does not fit. */
        limit = total <= max ? total : max - strlen(CUT_MARK);

        out = malloc(limit + strlen(CUT_MARK) + 1);
        if (!out)
                return -ENOMEM;
        for (const unsigned char *p = s; *p;) {
                bool esc;
                size_t n = next_unit(p, &esc);
                size_t w = esc ? 4 : n;
                if (o + w > limit)
                        break;
                if (esc)
                        snprintf(out + o, 5, "\\x%02x", p[0]);
                else
                        memcpy(out + o, p, n);
                o += w;
                p += n;
        }
        if (total > max) {
                memcpy(out + o, CUT_MARK, strlen(CUT_MARK));
                o += strlen(CUT_MARK);
        }
        out[o] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

/* One attribute; the value escaped and cut. 0 or -ENOMEM. */
static int attribute(yajl_gen g, const char *name, const char *value) {
        _cleanup_free_ char *v = NULL;
        int r = ssm_inventory_value(value, SSM_INVENTORY_MAX_VALUE, &v);
        if (r < 0)
                return r;
        json_str(g, name, v);
        return 0;
}

int ssm_inventory_render(const struct ssm_inventory_item *item, char **ret, size_t *ret_size) {
        _cleanup_yajl_gen_ yajl_gen g = json_new();
        char capture[sizeof("2006-01-02T15:04:05Z") + 8];
        const unsigned char *buf;
        struct tm tm;
        size_t len;
        int r;

        if (!g)
                return -ENOMEM;
        if (!gmtime_r(&item->capture_time, &tm) || strftime(capture, sizeof(capture), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -EINVAL;

        json_open_object(g, NULL);
        json_str(g, "SchemaVersion", SSM_INVENTORY_SCHEMA_VERSION);
        json_str(g, "TypeName", SSM_INVENTORY_TYPE_NAME);
        json_open_array(g, "Content");
        for (size_t i = 0; i < item->n_entries && i < SSM_INVENTORY_MAX_ENTRIES; i++) {
                const struct ssm_inventory_entry *e = &item->entries[i];
                /* Seven attributes, names well under 64 characters: within the per-entry limits. */
                json_open_object(g, NULL);
                if ((r = attribute(g, "CheckId", e->check_id)) < 0 || (r = attribute(g, "Status", e->status)) < 0 ||
                    (r = attribute(g, "Summary", e->summary)) < 0 || (r = attribute(g, "Backend", item->backend)) < 0 ||
                    (r = attribute(g, "Flavour", item->flavour)) < 0 || (r = attribute(g, "Version", item->version)) < 0 ||
                    (r = attribute(g, "CaptureTime", capture)) < 0)
                        return r;
                json_close_object(g);
        }
        json_close_array(g);
        json_close_object(g);

        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
                return -EIO;
        char *copy = malloc(len + 2);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, buf, len);
        if (len == 0 || copy[len - 1] != '\n')
                copy[len++] = '\n';
        copy[len] = '\0';
        *ret = copy;
        if (ret_size)
                *ret_size = len;
        return 0;
}

int ssm_inventory_write(const char *root, const char *base, const char *sub, const void *data, size_t size) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *copy = NULL;
        int r;

        fd = open_dir_beneath(root, base, 0);
        if (fd < 0)
                return fd;

        if (sub) {
                copy = strdup(sub);
                if (!copy)
                        return -ENOMEM;
                for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                        if (streq(c, ".") || streq(c, ".."))
                                return -EINVAL;
                        if (mkdirat(fd, c, SSM_INVENTORY_DIR_MODE) < 0 && errno != EEXIST)
                                return negative_errno();
                        /* O_NOFOLLOW: a symbolic link planted as a folder is refused, not followed. */
                        int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (next < 0)
                                return negative_errno();
                        close(fd);
                        fd = next;
                }
        }

        r = atomic_write_at(fd, SSM_INVENTORY_FILE, data, size, SSM_INVENTORY_FILE_MODE, 0);
        return r < 0 ? r : 0;
}

int ssm_agent_instance_dir(struct imds *m, char **ret, long *ret_status) {
        _cleanup_free_ char *body = NULL;
        long status = 0;
        int r;

        r = imds_get(m, "/latest/meta-data/instance-id", true, &status, &body);
        if (r < 0)
                return r;
        if (ret_status)
                *ret_status = status;
        const char *id = body ? strstrip(body) : NULL;
        /* The id becomes a folder name: only what SSM itself accepts as one ("../.." is not). */
        if (status != 200 || !ssm_instance_id_valid(id))
                return -EBADMSG;
        if (asprintf(ret, SSM_AGENT_DATA_DIR "/%s", id) < 0)
                return -ENOMEM;
        return 0;
}
