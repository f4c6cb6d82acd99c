/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <pthread.h>
#include <strings.h>
#include <zlib.h>

#include "lib/dlopen-util.h"
#include "lib/json-out.h"
#include "lib/log.h"
#include "audit/policy-builtin.h"
#include "lib/util.h"

/* zlib, loaded when the first policy is inflated (src/dlopen-util.h): apply and verify,
 * which sit on the boot path, never pay for it. */
static void *zlib_dl;
static const char *zlib_dl_error;
static __typeof__(&inflateInit2_) sym_inflateInit2_;
static __typeof__(&inflate) sym_inflate;
static __typeof__(&inflateEnd) sym_inflateEnd;

/* Inflated chunks and loaded policies, by index; kept until exit. audit-policy judges a dump
 * in two threads (the tail job, the parser's split), and both may ask for a policy: LOCK
 * guards these and zlib's loading; a loaded policy does not change. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char **chunks;
static struct builtin_policy **loaded;

static int zlib_load(void) {
        return dlopen_many(&zlib_dl, "libz.so.1", &zlib_dl_error,
                           DLSYM_ARG(inflateInit2_),
                           DLSYM_ARG(inflate),
                           DLSYM_ARG(inflateEnd),
                           NULL);
}

const char *builtin_policy_load_error(void) {
        pthread_mutex_lock(&lock);
        const char *e = zlib_dl ? NULL : zlib_dl_error;
        pthread_mutex_unlock(&lock);
        return e;
}

const char *builtin_policy_source(void) {
        return aws_policy_source;
}

const char *action_catalog_source(void) {
        return iam_action_catalog_source;
}

size_t builtin_policy_count(void) {
        return aws_policy_names_size;
}

const char *builtin_policy_name(size_t i) {
        return aws_policy_names_text + aws_policy_names_offsets[i];
}

static int inflate_chunk(size_t c, char **ret) {
        const struct aws_policy_chunk *k = &aws_policy_chunks[c];
        _cleanup_free_ char *buf = NULL;
        z_stream z = {};
        int r;

        r = zlib_load();
        if (r < 0)
                return r;
        buf = malloc((size_t) k->raw_size + 1);
        if (!buf)
                return -ENOMEM;
        /* 16 + MAX_WBITS: a gzip member, as scripts/embed-data.sh writes them. */
        if (sym_inflateInit2_(&z, 16 + MAX_WBITS, ZLIB_VERSION, (int) sizeof(z)) != Z_OK)
                return -ENOMEM;
        z.next_in = (Bytef *) (aws_policy_chunks_data + k->offset);
        z.avail_in = k->size;
        z.next_out = (Bytef *) buf;
        z.avail_out = k->raw_size + 1;
        r = sym_inflate(&z, Z_FINISH);
        sym_inflateEnd(&z);
        if (r != Z_STREAM_END || z.total_out != k->raw_size)
                return -EBADMSG;
        buf[k->raw_size] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

static int entry_load(size_t i, const struct builtin_policy **ret) {
        const struct aws_policy_entry *e = &aws_policy_index[i];
        _cleanup_free_ struct builtin_policy *b = NULL;
        int r;

        if (!loaded) {
                loaded = calloc(aws_policy_index_size, sizeof(*loaded));
                chunks = calloc(aws_policy_chunks_size, sizeof(*chunks));
                if (!loaded || !chunks) {
                        free(loaded);
                        free(chunks);
                        loaded = NULL;
                        chunks = NULL;
                        return -ENOMEM;
                }
        }
        if (loaded[i]) {
                *ret = loaded[i];
                return 0;
        }
        if (!chunks[e->chunk]) {
                r = inflate_chunk(e->chunk, &chunks[e->chunk]);
                if (r < 0)
                        return r;
        }
        char *json = chunks[e->chunk] + e->offset;
        if ((size_t) e->offset + e->length >= aws_policy_chunks[e->chunk].raw_size || json[e->length] != '\n')
                return -EBADMSG;
        /* Each JSON is followed by a newline in the chunk: terminate it there, in place. */
        json[e->length] = '\0';
        b = malloc(sizeof(*b) + 12);
        if (!b)
                return -ENOMEM;
        char *version = (char *) (b + 1);
        snprintf(version, 12, "v%" PRIu32, e->version);
        *b = (struct builtin_policy) {
                .name = builtin_policy_name(e->name),
                .version = version,
                .json = json,
        };
        *ret = loaded[i] = TAKE_PTR(b);
        return 0;
}

static int entry_load_locked(size_t i, const struct builtin_policy **ret) {
        pthread_mutex_lock(&lock);
        int r = entry_load(i, ret);
        pthread_mutex_unlock(&lock);
        return r;
}

/* The index range [*ret_lo, *ret_hi) of NAME's versions (oldest first); false when none. */
static bool name_range(const char *name, size_t nl, size_t *ret_lo, size_t *ret_hi) {
        size_t lo = 0, hi = aws_policy_index_size;

        /* Sorted by lower-case name: binary search for the first entry whose name does not
         * sort below NAME's first NL characters; NAME itself, when shipped, is that entry. */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const char *n = builtin_policy_name(aws_policy_index[mid].name);
                if (strncasecmp(n, name, nl) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        size_t end = lo;
        while (end < aws_policy_index_size) {
                const char *n = builtin_policy_name(aws_policy_index[end].name);
                if (strncasecmp(n, name, nl) != 0 || n[nl] != '\0')
                        break;
                end++;
        }
        *ret_lo = lo;
        *ret_hi = end;
        return end > lo;
}

int builtin_policy_load(const char *spec, const struct builtin_policy **ret) {
        const char *at = strrchr(spec, '@');
        size_t nl = at ? (size_t) (at - spec) : strlen(spec), lo, hi;

        if (nl == 0 || !name_range(spec, nl, &lo, &hi))
                return -ENOENT;
        if (!at)
                return entry_load_locked(hi - 1, ret);
        if ((at[1] != 'v' && at[1] != 'V') || at[2] < '0' || at[2] > '9')
                return -ENXIO;
        char *end;
        errno = 0;
        unsigned long v = strtoul(at + 2, &end, 10);
        if (*end || errno)
                return -ENXIO;
        for (size_t i = lo; i < hi; i++)
                if (aws_policy_index[i].version == v)
                        return entry_load_locked(i, ret);
        return -ENXIO;
}

const struct builtin_policy *builtin_policy_find(const char *spec, bool *ret_name_known) {
        const struct builtin_policy *b = NULL;
        int r;

        r = builtin_policy_load(spec, &b);
        if (ret_name_known)
                *ret_name_known = r != -ENOENT;
        if (r < 0 && r != -ENOENT && r != -ENXIO) {
                if (r == -EOPNOTSUPP)
                        log_error("%s: the shipped AWS managed policies are compressed, and zlib cannot be "
                                  "loaded (%s): install zlib (libz.so.1), or pass the policy as a FILE",
                                  spec, strempty(builtin_policy_load_error()));
                else
                        log_error_errno(r, "%s: cannot read the shipped copy: %m", spec);
                return NULL;
        }
        return b;
}

const struct builtin_policy *builtin_policy_newest(const char *name) {
        if (strchr(name, '@'))
                return NULL;
        return builtin_policy_find(name, NULL);
}

bool arn_is_aws_managed(const char *arn) {
        /* arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role, also in
         * the aws-cn and aws-us-gov partitions. */
        if (strncmp(arn, "arn:", 4) != 0)
                return false;
        const char *p = strchr(arn + 4, ':');
        return p && strncmp(p, ":iam::aws:policy/", 17) == 0;
}

const struct builtin_policy *builtin_policy_for_arn(const char *arn) {
        if (!arn_is_aws_managed(arn))
                return NULL;
        const char *name = strrchr(arn, '/') + 1;
        size_t lo, hi;
        /* Exact case, as IAM names are. */
        if (strchr(name, '@') || !name_range(name, strlen(name), &lo, &hi) ||
            !streq(builtin_policy_name(aws_policy_index[lo].name), name))
                return NULL;
        return builtin_policy_newest(name);
}

void builtin_policy_versions(const char *name, char *buf, size_t size) {
        size_t n = 0, lo, hi;

        buf[0] = '\0';
        if (!name_range(name, strlen(name), &lo, &hi))
                return;
        for (size_t i = lo; i < hi && n < size; i++) {
                int k = snprintf(buf + n, size - n, "%sv%" PRIu32, n ? ", " : "", aws_policy_index[i].version);
                if (k < 0)
                        break;
                n += (size_t) k;
        }
}

int builtin_policy_print_list(bool json) {
        _cleanup_yajl_gen_ yajl_gen g = NULL;
        char v[16];

        if (json) {
                g = json_new();
                if (!g)
                        return log_error_errno(-ENOMEM, "Failed to list the shipped references: %m");
                json_open_object(g, NULL);
                json_int(g, "version", 1);
                json_str(g, "policies_source", aws_policy_source);
                json_str(g, "actions_source", iam_action_catalog_source);
                json_open_array(g, "references");
        } else
                printf("# AWS managed policies: %s\n# IAM actions: %s\n", aws_policy_source, iam_action_catalog_source);
        for (size_t i = 0; i < aws_policy_index_size;) {
                uint32_t name = aws_policy_index[i].name;
                if (json) {
                        json_open_object(g, NULL);
                        json_str(g, "name", builtin_policy_name(name));
                        json_open_array(g, "versions");
                } else
                        fputs(builtin_policy_name(name), stdout);
                for (; i < aws_policy_index_size && aws_policy_index[i].name == name; i++) {
                        snprintf(v, sizeof(v), "v%" PRIu32, aws_policy_index[i].version);
                        if (json)
                                json_str(g, NULL, v);
                        else
                                printf(" %s", v);
                }
                if (json) {
                        json_close_array(g);
                        json_close_object(g);
                } else
                        putchar('\n');
        }
        if (json) {
                json_close_array(g);
                json_close_object(g);
                if (json_flush_stdout(g) < 0)
                        return log_error_errno(-EIO, "Failed to write the list of references: %m");
        } else if (fflush(stdout) != 0 || ferror(stdout))
                return log_error_errno(-EIO, "Failed to write the list of references: %m");
        return 0;
}
