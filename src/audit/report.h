/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The last step of audit-policy: the results (audit/judge.h's struct audit_result, one per
 * subject, in input order) put out as they come, as the human report or as the JSON document
 * of DESIGN.md. Both are written from the same result model; the JSON one through yajl's
 * generator only, flushed every few subjects, so that the memory used does not depend on the
 * number of subjects. */

#include <stdbool.h>
#include <stdio.h>

#include "audit/judge.h"

struct report;

/* Starts the report on F: the reference line (text), or the document's head (JSON).
 * REF must outlive the report. 0 or -ENOMEM. */
int report_new(const struct reference *ref, bool json, FILE *f, struct report **ret);
struct report *report_free(struct report *rep);

/* One subject's verdict and findings. 0, -ENOMEM, or -EIO when F cannot be written. */
int report_subject(struct report *rep, const struct audit_result *res);

/* The summary (and, in text, the least-privilege policy when a subject needs it). 0 or as
 * above. */
int report_finish(struct report *rep);

/* The worst verdict reported so far. */
enum verdict report_verdict(const struct report *rep);
