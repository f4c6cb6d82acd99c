/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: /etc/ecs-harden.conf as options_load_config() reads it. */
#include <stdint.h>

#include "log.h"
#include "options.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct options o = { .root = "/", .block.ipv6 = true };
        char *text;

        /* The reader explains every bad line; that is its job, not what is being fuzzed. */
        log_max_level = LOG_LEVEL_OFF;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        (void) options_parse_config_text(&o, text, "fuzz.conf");
        if (o.block.n_patterns > BLOCK_MAX_PATTERNS)
                abort();
        for (size_t i = 0; i < o.block.n_patterns; i++)
                if (iface_pattern_check(o.block.patterns[i], NULL) < 0)
                        abort(); /* only valid patterns may get into the block */
        free(text);
        return 0;
}
