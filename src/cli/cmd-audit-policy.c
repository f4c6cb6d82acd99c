/* SPDX-License-Identifier: Apache-2.0 */
/* audit-policy FILE|-...: compares IAM policies (documents, role policies, policy versions,
 * whole-account authorization dumps) with a reference managed policy and prints a verdict per
 * subject, as text or as the JSON document of DESIGN.md. The pipeline, top-down:
 *   1. the reference, prepared once (audit/judge.h: reference_load(), auditor_new());
 *   2. every input read and checked, its subjects kept aside (audit/input.h, audit/store.h): malformed input
 *      yields no verdict at all;
 *   3. one subject at a time, judged (auditor_next()) and reported (audit/report.h). */
#include "audit/report.h"
#include "cli/commands.h"
#include "lib/log.h"
#include "audit/policy-builtin.h"
#include "audit/judge.h"
#include "audit/input.h"
#include "lib/util.h"

int cmd_audit_policy(struct options *o, int argc, char **argv) {
        struct reference *ref = NULL;
        struct auditor *a = NULL;
        struct policy_input *in = NULL;
        struct report *rep = NULL;
        _cleanup_free_ char *error = NULL;
        int r, ret = EXIT_USAGE;

        if (o->list_references)
                return builtin_policy_print_list(o->json) < 0 ? EXIT_USAGE : EXIT_OK;
        r = reference_load(o->reference, &ref, &error);
        if (r < 0) {
                if (error)
                        log_error("--reference %s", error);
                else
                        log_error_errno(r, "Failed to load the reference policy: %m");
                goto finish;
        }
        r = auditor_new(ref, &a);
        if (r < 0) {
                log_error_errno(r, "Failed to prepare the reference policy: %m");
                ret = EXIT_REFUSED;
                goto finish;
        }
        r = policy_input_new(&in);
        if (r < 0) {
                log_error_errno(r, "Out of memory");
                ret = EXIT_REFUSED;
                goto finish;
        }

        /* Read and check every input first: a malformed one means no verdict at all. */
        for (int i = 0; i < argc; i++) {
                free(error);
                error = NULL;
                r = policy_input_add(in, argv[i], &error);
                if (r < 0) {
                        if (error)
                                log_error("%s", error);
                        else
                                log_error_errno(r, "Failed to read %s: %m", argv[i]);
                        /* Malformed or unreadable input is the user's; no memory or no room
                         * for the temporary file is the machine's. */
                        ret = r == -ENOMEM || r == -EIO ? EXIT_REFUSED : EXIT_USAGE;
                        goto finish;
                }
        }

        /* A report of a whole account is megabytes: written in large pieces, not 4 KiB ones.
         * Static: stdout is flushed at exit, after this function has returned. */
        static char stdout_buffer[64 * 1024];
        if (!isatty(STDOUT_FILENO))
                (void) setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));

        r = report_new(ref, o->json, stdout, &rep);
        for (;;) {
                const struct audit_result *res;
                if (r < 0)
                        break;
                r = auditor_next(a, in, &res);
                if (r <= 0)
                        break;
                r = report_subject(rep, res);
        }
        if (r == 0)
                r = report_finish(rep);
        if (r < 0) {
                if (r == -ENOMEM)
                        log_error_errno(r, "Out of memory");
                else if (r == -EIO)
                        log_error("Failed to write the report");
                else
                        log_error_errno(r, "Failed to audit a subject: %m");
                ret = EXIT_REFUSED;
                goto finish;
        }
        ret = report_verdict(rep) == VERDICT_FAIL ? EXIT_NOT_SO : EXIT_OK;
finish:
        report_free(rep);
        policy_input_free(in);
        auditor_free(a);
        reference_free(ref);
        return ret;
}
