/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: audit-policy's reader and judge on one input of any shape (document,
 * get-role-policy, get-policy-version, authorization dump), as `audit-policy FILE` runs them. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "audit/judge.h"
#include "audit/input.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct reference *ref;
        struct policy_input *in = NULL;
        struct auditor *a = NULL;
        char *error = NULL, path[64];
        int fd, r;

        log_max_level = LOG_LEVEL_OFF;
        if (!ref && reference_load("AmazonEC2ContainerServiceforEC2Role", &ref, &error) < 0)
                abort(); /* the built-in reference must always load */

        /* The reader takes paths (it reads a dump twice); a memfd is a file without a disk. */
        fd = memfd_create("fuzz-policy", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        if (write(fd, data, size) != (ssize_t) size) {
                close(fd);
                return 0;
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

        if (policy_input_new(&in) < 0)
                goto out;
        r = policy_input_add(in, path, &error);
        if (r < 0)
                goto out; /* malformed: an error message, never a verdict */
        if (auditor_new(ref, &a) < 0)
                goto out;
        for (;;) {
                const struct audit_result *res;
                r = auditor_next(a, in, &res);
                if (r <= 0)
                        break;
        }
out:
        free(error);
        auditor_free(a);
        policy_input_free(in);
        close(fd);
        return 0;
}
