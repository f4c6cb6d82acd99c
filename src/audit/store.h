/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Where audit-policy keeps the subjects of its inputs between reading and judging, so that
 * memory stays flat whatever the number and size of subjects: each subject is a name and a
 * content (opaque bytes: what the subject's verdict depends on), appended to an unlinked
 * temporary file in input order. Contents are interned: subjects with the same content in the
 * same input share one copy and one number, so that the judge can judge a content once. A
 * content is written with the first subject that has it; from its second use on it is also kept
 * in memory (up to STORE_MAX_MEMORY bytes in all), which is where later repeats are compared. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_MAX_MEMORY (4u * 1024 * 1024)

struct store;

/* 0 or -ENOMEM. The temporary file is created with the first subject. */
int store_new(struct store **ret);
struct store *store_free(struct store *st);

/* Appends the subject NAME of input number FILE with CONTENT. 0; the negative errno of creating
 * the temporary file (in $TMPDIR, else /tmp), or -EIO when it cannot be written; -E2BIG for a
 * content of 4 GiB or more; -ENOMEM; -EBUSY once reading has begun. */
int store_add(struct store *st, uint32_t file, const char *name, const void *content, size_t len);

/* A subject read back. */
struct store_subject {
        const char *name;       /* valid until the next store_next() */
        uint32_t file;
        uint64_t content;       /* the content's number (from 1, without gaps), or 0 for a content
                                 * that is not shared (over the store's bounds) */
        unsigned later;         /* how many subjects after this one have the same content */
};

/* Steps to the next subject, in the order they were added: 1 with *ret set, 0 at the end,
 * -EIO, -EBADMSG (the temporary file is damaged), -ENOMEM. */
int store_next(struct store *st, struct store_subject *ret);

/* The current subject's content: valid until the next call. 0, -ESRCH before store_next(),
 * -EIO, -ENOMEM. */
int store_content(struct store *st, const uint8_t **ret, size_t *ret_len);
