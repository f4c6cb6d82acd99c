/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the KEY=value reader behind os-release, ecs.config and ecs-harden.conf. */
#include <stdint.h>

#include "lib/kv-file.h"
#include "lib/util.h"

static int count(const char *key, const char *value, unsigned line, void *userdata) {
        size_t *n = userdata;
        /* Touch every byte handed out, so ASan sees any read past the end. */
        *n += (key ? strlen(key) : 0) + strlen(value) + line;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1);
        size_t n = 0;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        (void) kv_parse(text, count, &n);
        free(text);
        return 0;
}
