/* SPDX-License-Identifier: Apache-2.0 */
/* An open-addressing hash map (hashmap.h). Entries sit in one table of {hash, key, value};
 * the table doubles when three quarters full; deletion is not needed by the program, so there
 * are no tombstones. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/hashmap.h"

struct entry {
        uint64_t hash;          /* 0: free slot (a hash of 0 is stored as 1) */
        void *key;
        size_t len;
        void *value;
};

struct hashmap {
        struct entry *table;
        size_t size, n;         /* size: a power of two, or 0 */
        size_t key_bytes;
};

/* ---- SipHash-1-3 (Aumasson & Bernstein), as Rust's and Python's maps use it ---- */

static uint64_t sip_key[2];
static bool sip_keyed;

static inline uint64_t rotl(uint64_t x, int b) {
        return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                        \
        do {                                                                            \
                v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);               \
                v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                  \
                v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                  \
                v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);               \
        } while (0)

static void sip_init_key(void) {
        if (sip_keyed)
                return;
        /* Without the kernel's randomness (early boot), a fixed key: still correct, only no
         * longer proof against chosen collisions. */
        if (getrandom(sip_key, sizeof(sip_key), GRND_NONBLOCK) != (ssize_t) sizeof(sip_key)) {
                sip_key[0] = 0x0706050403020100ULL;
                sip_key[1] = 0x0f0e0d0c0b0a0908ULL;
        }
        sip_keyed = true;
}

uint64_t hash_bytes_keyed(const void *data, size_t n) {
        const uint8_t *s = data;
        uint64_t v0, v1, v2, v3, m, b = (uint64_t) n << 56;

        sip_init_key();
        v0 = sip_key[0] ^ 0x736f6d6570736575ULL;
        v1 = sip_key[1] ^ 0x646f72616e646f6dULL;
        v2 = sip_key[0] ^ 0x6c7967656e657261ULL;
        v3 = sip_key[1] ^ 0x7465646279746573ULL;
        for (; n >= 8; s += 8, n -= 8) {
                memcpy(&m, s, 8);
                v3 ^= m;
                SIPROUND;
                v0 ^= m;
        }
        m = 0;
        memcpy(&m, s, n);
        b |= m;
        v3 ^= b;
        SIPROUND;
        v0 ^= b;
        v2 ^= 0xff;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- the map ---- */

int hashmap_new(struct hashmap **ret) {
        struct hashmap *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        *ret = m;
        return 0;
}

void hashmap_clear(struct hashmap *m, void (*free_value)(void *)) {
        if (!m)
                return;
        for (size_t i = 0; i < m->size; i++) {
                struct entry *e = &m->table[i];
                if (!e->hash)
                        continue;
                if (free_value && e->value)
                        free_value(e->value);
                free(e->key);
                *e = (struct entry) {};
        }
        m->n = 0;
        m->key_bytes = 0;
}

struct hashmap *hashmap_free(struct hashmap *m, void (*free_value)(void *)) {
        if (!m)
                return NULL;
        hashmap_clear(m, free_value);
        free(m->table);
        free(m);
        return NULL;
}

static uint64_t hash_of(const void *key, size_t len) {
        uint64_t h = hash_bytes_keyed(key, len);
        return h ? h : 1;
}

/* The slot of KEY (hash H) in M's table: its entry, or the free slot where it would go. */
static struct entry *find(const struct hashmap *m, uint64_t h, const void *key, size_t len) {
        size_t mask = m->size - 1;
        for (size_t i = h & mask;; i = (i + 1) & mask) {
                struct entry *e = &m->table[i];
                if (!e->hash || (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0))
                        return e;
        }
}

static int grow(struct hashmap *m) {
        size_t size = m->size ? m->size * 2 : 16;
        size_t osize = m->size;
        struct entry *old = m->table, *t;

        if (size > SIZE_MAX / sizeof(struct entry) / 2)
                return -ENOMEM;
        t = calloc(size, sizeof(struct entry));
        if (!t)
                return -ENOMEM;
        m->table = t;
        m->size = size;
        for (size_t i = 0; i < osize; i++)
                if (old[i].hash)
                        *find(m, old[i].hash, old[i].key, old[i].len) = old[i];
        free(old);
        return 0;
}

void *hashmap_get(const struct hashmap *m, const void *key, size_t len) {
        if (!m || m->n == 0)
                return NULL;
        struct entry *e = find(m, hash_of(key, len), key, len);
        return e->hash ? e->value : NULL;
}

void **hashmap_slot(struct hashmap *m, const void *key, size_t len, bool *ret_new) {
        uint64_t h = hash_of(key, len);
        struct entry *e;

        if ((m->n + 1) * 4 > m->size * 3 && grow(m) < 0)
                return NULL;
        e = find(m, h, key, len);
        if (ret_new)
                *ret_new = !e->hash;
        if (!e->hash) {
                void *k = malloc(len ? len : 1);
                if (!k)
                        return NULL;
                memcpy(k, key, len);
                *e = (struct entry) { .hash = h, .key = k, .len = len };
                m->n++;
                m->key_bytes += len;
        }
        return &e->value;
}

int hashmap_put(struct hashmap *m, const void *key, size_t len, void *value) {
        void **slot = hashmap_slot(m, key, len, NULL);
        if (!slot)
                return -ENOMEM;
        *slot = value;
        return 0;
}

size_t hashmap_size(const struct hashmap *m) {
        return m ? m->n : 0;
}

size_t hashmap_bytes(const struct hashmap *m) {
        return m ? m->size * sizeof(struct entry) + m->key_bytes + m->n * 16 /* malloc overhead */ : 0;
}
