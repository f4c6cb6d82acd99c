/* SPDX-License-Identifier: Apache-2.0 */
/* The subject store (store.h): records on a temporary file, contents interned through
 * lib/hashmap's index. */
#include <stdio_ext.h>
#include <unistd.h>

#include "audit/store.h"
#include "lib/hashmap.h"
#include "audit/policy.h"
#include "lib/util.h"

#define MAX_CONTENTS (128u * 1024)
/* Contents made to collide on purpose must not cost a comparison each with each. */
#define MAX_SAME_KEY 4
#define NO_CONTENT UINT32_MAX
#define RECORD_CONTENT 1u               /* record flag: the content follows the name */
#define FILE_BUFFER (256 * 1024)

/* A content: where its bytes are, how many subjects have it. */
struct content {
        uint64_t where;                 /* in store.memory when IN_MEMORY, else in the file */
        uint32_t len;
        uint32_t file;                  /* attached policies resolve within their own input */
        uint32_t uses, handed;          /* subjects with it; handed out so far */
        uint32_t next_same;             /* the next content with the same index key, + 1 */
        bool in_memory;
};

/* The index key of a content: its input, length and keyed hash. */
struct content_key {
        uint32_t file, len;
        uint64_t hash;
};

struct store {
        /* A record per subject: file, content number or NO_CONTENT, flags, name; with
         * RECORD_CONTENT, the content's length and bytes. */
        FILE *f;
        char *f_buffer;                 /* stdio's buffer for it */
        uint64_t f_len;
        bool reading;

        struct content *contents;
        size_t n_contents, a_contents;
        struct hashmap *index;          /* struct content_key -> first content with it, + 1 */
        struct bytes memory;            /* the contents kept in memory */
        struct bytes record;            /* scratch for the record being written */

        /* The subject read last. */
        bool have_current, cur_has_content;
        uint32_t cur_file, cur_content;
        struct bytes cur_name, cur_bytes;
};

int store_new(struct store **ret) {
        struct store *st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        if (hashmap_new(&st->index) < 0) {
                free(st);
                return -ENOMEM;
        }
        *ret = st;
        return 0;
}

struct store *store_free(struct store *st) {
        if (!st)
                return NULL;
        if (st->f)
                fclose(st->f);
        free(st->f_buffer);
        free(st->contents);
        hashmap_free(st->index, NULL);
        bytes_done(&st->memory);
        bytes_done(&st->record);
        bytes_done(&st->cur_name);
        bytes_done(&st->cur_bytes);
        free(st);
        return NULL;
}

static int file_open(struct store *st) {
        int fd;

        if (st->f)
                return 0;
        fd = open_scratch_file();
        if (fd < 0)
                return fd;
        st->f = fdopen(fd, "w+");
        if (!st->f) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        /* One thread uses it: no stdio locking. Large buffers: few system calls. */
        __fsetlocking(st->f, FSETLOCKING_BYCALLER);
        st->f_buffer = malloc(FILE_BUFFER);
        if (st->f_buffer)
                (void) setvbuf(st->f, st->f_buffer, _IOFBF, FILE_BUFFER);
        return 0;
}

/* Is content C (on the file only) equal to DATA? If so it is kept in memory from now on. */
static int compare_on_file(struct store *st, struct content *c, const void *data, size_t len) {
        struct bytes *tmp = &st->cur_bytes;     /* unused until reading begins */

        if (fflush(st->f) != 0)
                return -EIO;
        tmp->len = 0;
        if (bytes_reserve(tmp, len) < 0)
                return -ENOMEM;
        if (pread(fileno(st->f), tmp->buf, len, (off_t) c->where) != (ssize_t) len)
                return -EIO;
        if (memcmp(tmp->buf, data, len) != 0)
                return 0;
        c->where = st->memory.len;
        if (bytes_append(&st->memory, data, len) < 0)
                return -ENOMEM;
        c->in_memory = true;
        return 1;
}

/* The number of the content DATA of input FILE, added when new (*ret_new: its bytes go on the
 * file with this subject); NO_CONTENT when over the bounds. 0 or negative errno. */
static int intern(struct store *st, uint32_t file, const void *data, size_t len, uint32_t *ret_id, bool *ret_new) {
        struct content_key key = { .file = file, .len = (uint32_t) len, .hash = hash_bytes_keyed(data, len) };
        bool room = len <= STORE_MAX_MEMORY - st->memory.len, unsure = false;
        unsigned tries = 0;
        void **slot;
        bool fresh;
        int r;

        *ret_new = true;
        slot = hashmap_slot(st->index, &key, sizeof(key), &fresh);
        if (!slot)
                return -ENOMEM;
        for (uintptr_t i = (uintptr_t) *slot; i != 0; i = st->contents[i - 1].next_same) {
                struct content *c = &st->contents[i - 1];
                if (++tries > MAX_SAME_KEY) {
                        unsure = true;
                        break;
                }
                if (c->in_memory)
                        r = memcmp(st->memory.buf + c->where, data, len) == 0;
                else if (room)
                        r = compare_on_file(st, c, data, len);
                else {
                        unsure = true;  /* no room to keep it: cannot tell */
                        continue;
                }
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                c->uses++;
                *ret_id = (uint32_t) (i - 1);
                *ret_new = false;
                return 0;
        }
        if (unsure || st->n_contents >= MAX_CONTENTS) {
                *ret_id = NO_CONTENT;
                return 0;
        }
        if (st->n_contents == st->a_contents) {
                size_t na = st->a_contents ? st->a_contents * 2 : 256;
                struct content *nc = reallocarray(st->contents, na, sizeof(*nc));
                if (!nc)
                        return -ENOMEM;
                st->contents = nc;
                st->a_contents = na;
        }
        /* Where its bytes go on the file is known when the record is written. */
        st->contents[st->n_contents] = (struct content) {
                .len = (uint32_t) len,
                .file = file,
                .uses = 1,
                .next_same = (uint32_t) (uintptr_t) *slot,
        };
        *slot = (void *) (uintptr_t) ++st->n_contents;
        *ret_id = (uint32_t) st->n_contents - 1;
        return 0;
}

int store_add(struct store *st, uint32_t file, const char *name, const void *content, size_t len) {
        struct bytes *rec = &st->record;
        uint32_t id;
        bool fresh;
        int r;

        if (st->reading)
                return -EBUSY;
        if (len >= UINT32_MAX)
                return -E2BIG;
        r = file_open(st);
        if (r < 0)
                return r;
        r = intern(st, file, content, len, &id, &fresh);
        if (r < 0)
                return r;
        rec->len = 0;
        r = pack_u32(rec, file);
        if (r >= 0)
                r = pack_u32(rec, id);
        if (r >= 0)
                r = pack_u32(rec, fresh ? RECORD_CONTENT : 0);
        if (r >= 0)
                r = pack_str(rec, name);
        if (r >= 0 && fresh) {
                r = pack_u32(rec, (uint32_t) len);
                if (r >= 0 && id != NO_CONTENT && !st->contents[id].in_memory)
                        st->contents[id].where = st->f_len + rec->len;
                if (r >= 0)
                        r = bytes_append(rec, content, len);
        }
        if (r < 0)
                return r;
        if (fwrite(rec->buf, 1, rec->len, st->f) != rec->len)
                return -EIO;
        st->f_len += rec->len;
        return 0;
}

static int read_exactly(struct store *st, struct bytes *b, size_t n) {
        b->len = 0;
        if (n == SIZE_MAX || bytes_reserve(b, n + 1) < 0)
                return -ENOMEM;
        if (n > 0 && fread(b->buf, 1, n, st->f) != n)
                return -EBADMSG;
        b->buf[n] = '\0';
        b->len = n;
        return 0;
}

int store_next(struct store *st, struct store_subject *ret) {
        uint32_t hdr[4], len;
        size_t k;
        int r;

        st->have_current = false;
        if (!st->f)
                return 0;
        if (!st->reading) {
                if (fflush(st->f) != 0 || fseek(st->f, 0, SEEK_SET) != 0)
                        return -EIO;
                st->reading = true;
        }
        k = fread(hdr, sizeof(uint32_t), 4, st->f);
        if (k == 0 && feof(st->f))
                return 0;
        if (k != 4 || (hdr[1] != NO_CONTENT && hdr[1] >= st->n_contents) ||
            (hdr[1] == NO_CONTENT && !(hdr[2] & RECORD_CONTENT)) || hdr[3] == UINT32_MAX)
                return -EBADMSG;
        st->cur_file = hdr[0];
        st->cur_content = hdr[1];
        st->cur_has_content = hdr[2] & RECORD_CONTENT;
        if ((r = read_exactly(st, &st->cur_name, hdr[3])) < 0)
                return r;
        if (memchr(st->cur_name.buf, '\0', st->cur_name.len))
                return -EBADMSG;
        *ret = (struct store_subject) { .name = (const char *) st->cur_name.buf, .file = st->cur_file };
        if (st->cur_has_content) {
                if (fread(&len, sizeof(len), 1, st->f) != 1)
                        return -EBADMSG;
                if ((r = read_exactly(st, &st->cur_bytes, len)) < 0)
                        return r;
        }
        if (st->cur_content != NO_CONTENT) {
                struct content *c = &st->contents[st->cur_content];
                if (c->file != st->cur_file || c->handed >= c->uses)
                        return -EBADMSG;
                c->handed++;
                ret->content = (uint64_t) st->cur_content + 1;
                ret->later = c->uses - c->handed;
        }
        st->have_current = true;
        return 1;
}

int store_content(struct store *st, const uint8_t **ret, size_t *ret_len) {
        if (!st->have_current)
                return -ESRCH;
        const struct content *c = st->cur_has_content ? NULL : &st->contents[st->cur_content];
        if (c && c->in_memory) {
                *ret = st->memory.buf + c->where;
                *ret_len = c->len;
                return 0;
        }
        if (c) {
                /* On the file with an earlier subject. */
                st->cur_bytes.len = 0;
                if (bytes_reserve(&st->cur_bytes, c->len) < 0)
                        return -ENOMEM;
                if (pread(fileno(st->f), st->cur_bytes.buf, c->len, (off_t) c->where) != (ssize_t) c->len)
                        return -EIO;
                st->cur_bytes.len = c->len;
        }
        *ret = st->cur_bytes.buf;
        *ret_len = st->cur_bytes.len;
        return 0;
}
