/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The program's one hash map: byte-string keys (copied into the map) to pointer values, open
 * addressing with linear probing, SipHash-1-3 under a key drawn at start-up, so that no input
 * can make its lookups slow by colliding on purpose. The order of entries is not defined: never
 * print in it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct hashmap;

/* 0 or -ENOMEM. */
int hashmap_new(struct hashmap **ret);
/* Frees the map and its keys; FREE_VALUE (may be NULL) is called on every value. */
struct hashmap *hashmap_free(struct hashmap *m, void (*free_value)(void *));
/* Removes every entry (FREE_VALUE as above), keeps the map. */
void hashmap_clear(struct hashmap *m, void (*free_value)(void *));

/* The value of KEY, or NULL when absent. */
void *hashmap_get(const struct hashmap *m, const void *key, size_t len);

/* The slot of KEY's value, inserted (value NULL, *ret_new true) when absent. The slot is
 * valid until the next insertion. NULL on OOM. */
void **hashmap_slot(struct hashmap *m, const void *key, size_t len, bool *ret_new);

/* Sets KEY's value (inserted when absent): 0 or -ENOMEM. */
int hashmap_put(struct hashmap *m, const void *key, size_t len, void *value);

size_t hashmap_size(const struct hashmap *m);
/* The bytes the map holds (table and keys), to keep a cache within a budget. */
size_t hashmap_bytes(const struct hashmap *m);

/* Conveniences for NUL-terminated keys. */
static inline void *hashmap_get_str(const struct hashmap *m, const char *key) {
        return hashmap_get(m, key, strlen(key));
}

/* SipHash-1-3 of DATA under the process's key (the map's hash, for callers that keep their own
 * index of hashes). */
uint64_t hash_bytes_keyed(const void *data, size_t n);
