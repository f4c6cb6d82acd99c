/* SPDX-License-Identifier: Apache-2.0 */
/* The report of audit-policy (report.h): text and JSON from the same results. */
#include <yajl/yajl_parse.h>

#include "lib/escape.h"
#include "audit/report.h"
#include "lib/json-out.h"
#include "lib/util.h"

/* The JSON generator is emptied into the stream whenever it holds this much: a subject may
 * have thousands of findings. */
#define JSON_FLUSH_BYTES (64 * 1024)

struct report {
        const struct reference *ref;
        FILE *f;
        yajl_gen g;             /* --json; NULL for the human report */
        unsigned n, n_verdict[VERDICT_FAIL + 1];
};

/* Where AWS keeps its managed policies, for the remediation hint. */
static const struct {
        const char *name, *arn;
} managed_arns[] = {
        { .name = "AmazonEC2ContainerServiceforEC2Role",
          .arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role" },
        { .name = "AmazonEC2ContainerServiceEventsRole",
          .arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceEventsRole" },
        { .name = "AmazonECSTaskExecutionRolePolicy",
          .arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy" },
        { .name = "AmazonECS_FullAccess", .arn = "arn:aws:iam::aws:policy/AmazonECS_FullAccess" },
};

static const char *managed_arn(const struct reference *ref) {
        if (!ref->builtin)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(managed_arns); i++)
                if (streq(managed_arns[i].name, ref->name))
                        return managed_arns[i].arn;
        return NULL;
}

/* Writes what G holds so far to F. 0 or -EIO. */
static int json_drain(yajl_gen g, FILE *f) {
        const unsigned char *buf;
        size_t len;

        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
                return -EIO;
        if (len > 0 && fwrite(buf, 1, len, f) != len)
                return -EIO;
        yajl_gen_clear(g);
        return 0;
}

/* ---- a JSON value given as text, written again through the generator ---- */

static int re_null(void *g) {
        return yajl_gen_null(g) == yajl_gen_status_ok;
}

static int re_bool(void *g, int b) {
        return yajl_gen_bool(g, b) == yajl_gen_status_ok;
}

static int re_number(void *g, const char *s, size_t n) {
        /* yajl's parser checked the token: it is a number. */
        return yajl_gen_number(g, s, n) == yajl_gen_status_ok;
}

static int re_string(void *g, const unsigned char *s, size_t n) {
        return yajl_gen_string(g, s, n) == yajl_gen_status_ok;
}

static int re_start_map(void *g) {
        return yajl_gen_map_open(g) == yajl_gen_status_ok;
}

static int re_end_map(void *g) {
        return yajl_gen_map_close(g) == yajl_gen_status_ok;
}

static int re_start_array(void *g) {
        return yajl_gen_array_open(g) == yajl_gen_status_ok;
}

static int re_end_array(void *g) {
        return yajl_gen_array_close(g) == yajl_gen_status_ok;
}

static const yajl_callbacks regenerate_callbacks = {
        .yajl_null = re_null,
        .yajl_boolean = re_bool,
        .yajl_number = re_number,
        .yajl_string = re_string,
        .yajl_start_map = re_start_map,
        .yajl_map_key = re_string,
        .yajl_end_map = re_end_map,
        .yajl_start_array = re_start_array,
        .yajl_end_array = re_end_array,
};

/* Writes the JSON value TEXT (the parser kept a statement's Condition so) as G's next value.
 * 0 or -EINVAL. */
static int json_value_text(yajl_gen g, const char *text) {
        yajl_handle h = yajl_alloc(&regenerate_callbacks, NULL, g);
        int r = 0;

        if (!h)
                return -ENOMEM;
        if (yajl_parse(h, (const unsigned char *) text, strlen(text)) != yajl_status_ok ||
            yajl_complete_parse(h) != yajl_status_ok)
                r = -EINVAL;
        yajl_free(h);
        return r;
}

/* ---- the human report ---- */

#define AUDIT_TEXT_MAX 1024

static void text_subject(FILE *f, const struct audit_result *res) {
        /* Names, Sids and the actions quoted in messages come from the input: escaped and cut. */
        fprintf(f, "%s  %s\n", verdict_to_string(res->verdict), ESCN(res->name, AUDIT_TEXT_MAX));
        for (enum finding_kind k = 0; k < _FINDING_KIND_MAX; k++) {
                if (res->n_kind[k] == 0)
                        continue;
                if (k == FINDING_NOTE)
                        fprintf(f, "  note:\n");
                else
                        fprintf(f, "  %s (%s):\n", finding_kind_to_string(k), k == FINDING_EXCESS ? "FAIL" : "WARN");
                for (size_t i = 0; i < res->n_findings; i++) {
                        const struct finding *fi = &res->findings[i];
                        if (fi->kind != k)
                                continue;
                        if (k == FINDING_MISSING)
                                /* The index is the reference's statement: say nothing of it here. */
                                fprintf(f, "    - %s\n", ESCN(fi->message, AUDIT_TEXT_MAX));
                        else if (fi->statement >= 0 && fi->sid)
                                fprintf(f, "    - statement %d (Sid %s): %s\n", fi->statement,
                                        ESCN(fi->sid, AUDIT_TEXT_MAX), ESCN(fi->message, AUDIT_TEXT_MAX));
                        else if (fi->statement >= 0)
                                fprintf(f, "    - statement %d: %s\n", fi->statement, ESCN(fi->message, AUDIT_TEXT_MAX));
                        else
                                fprintf(f, "    - %s\n", ESCN(fi->message, AUDIT_TEXT_MAX));
                }
        }
}

static void text_remediation(FILE *f, const struct audit_result *res, const struct reference *ref) {
        const char *arn = managed_arn(ref);

        if (res->n_kind[FINDING_EXCESS])
                fprintf(f, "  remediation: remove the excess grants from this role: every container that reaches the "
                        "instance metadata service inherits them; give tasks what they need through task roles, and "
                        "keep the instance role at the policy printed below\n");
        else if (res->n_kind[FINDING_UNRESOLVED])
                /* What was not judged may grant the missing actions, or far more: judge it first. */
                fprintf(f, "  remediation: give the audit every policy attached to this role (the whole output of aws "
                        "iam get-account-authorization-details carries the customer managed ones) and audit again; "
                        "what it could not read was not judged and may grant anything\n");
        else if (res->n_kind[FINDING_MISSING])
                fprintf(f, "  remediation: grant the missing actions (the policy printed below)%s%s\n",
                        arn ? ", or attach " : "", arn ? arn : "");
        else if (res->n_kind[FINDING_UNKNOWN])
                fprintf(f, "  remediation: correct or remove the unknown names\n");
}

/* The least-privilege document to use instead: the reference's statements. 0 or negative errno. */
static int text_reference_policy(FILE *f, const struct reference *ref) {
        _cleanup_yajl_gen_ yajl_gen g = json_new();
        const struct policy *p = ref->policy;
        int r;

        if (!g)
                return -ENOMEM;
        json_open_object(g, NULL);
        json_str(g, "Version", "2012-10-17");
        json_open_array(g, "Statement");
        for (size_t i = 0; i < p->n_statements; i++) {
                const struct statement *st = &p->statements[i];
                json_open_object(g, NULL);
                if (st->sid)
                        json_str(g, "Sid", st->sid);
                json_str(g, "Effect", st->allow ? "Allow" : "Deny");
                json_open_array(g, st->not_action ? "NotAction" : "Action");
                for (size_t k = 0; k < st->n_actions; k++)
                        json_str(g, NULL, st->actions[k]);
                json_close_array(g);
                if (st->n_resources > 0) {
                        json_open_array(g, st->not_resource ? "NotResource" : "Resource");
                        for (size_t k = 0; k < st->n_resources; k++)
                                json_str(g, NULL, st->resources[k]);
                        json_close_array(g);
                }
                if (st->condition) {
                        json_key(g, "Condition");
                        r = json_value_text(g, st->condition);
                        if (r < 0)
                                return r;
                }
                json_close_object(g);
        }
        json_close_array(g);
        json_close_object(g);
        return json_drain(g, f);
}

/* ---- the JSON report ---- */

/* Empties G into F once it holds JSON_FLUSH_BYTES. 0 or -EIO. */
static int json_maybe_drain(yajl_gen g, FILE *f) {
        const unsigned char *buf;
        size_t len;

        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
                return -EIO;
        return len >= JSON_FLUSH_BYTES ? json_drain(g, f) : 0;
}

static int json_subject(yajl_gen g, FILE *f, const struct audit_result *res) {
        int r = 0;

        json_open_object(g, NULL);
        json_str(g, "name", res->name);
        json_str(g, "verdict", verdict_to_string(res->verdict));
        json_open_array(g, "findings");
        for (size_t i = 0; i < res->n_findings; i++) {
                const struct finding *fi = &res->findings[i];
                json_open_object(g, NULL);
                json_str(g, "kind", finding_kind_to_string(fi->kind));
                json_str(g, "action", fi->action);
                if (fi->statement >= 0)
                        json_int(g, "statement", fi->statement);
                else
                        json_str(g, "statement", NULL);
                json_str(g, "sid", fi->sid);
                json_str(g, "message", fi->message);
                json_close_object(g);
                r = json_maybe_drain(g, f);
                if (r < 0)
                        return r;
        }
        json_close_array(g);
        json_close_object(g);
        return json_maybe_drain(g, f);
}

/* ---- the report ---- */

int report_new(const struct reference *ref, bool json, FILE *f, struct report **ret) {
        _cleanup_free_ struct report *rep = calloc(1, sizeof(struct report));

        if (!rep)
                return -ENOMEM;
        *rep = (struct report) { .ref = ref, .f = f };
        if (json) {
                rep->g = json_new();
                if (!rep->g)
                        return -ENOMEM;
                json_open_object(rep->g, NULL);
                json_int(rep->g, "version", 1);
                json_open_object(rep->g, "reference");
                json_str(rep->g, "name", ref->name);
                json_str(rep->g, "policy_version", ref->version);
                json_str(rep->g, "source", ref->source);
                json_close_object(rep->g);
                json_open_array(rep->g, "subjects");
        } else
                fprintf(f, "Reference: %s%s%s (%s)\n\n", ref->name, ref->version ? " " : "", strempty(ref->version),
                        ref->builtin ? "built in" : ref->source);
        *ret = TAKE_PTR(rep);
        return 0;
}

struct report *report_free(struct report *rep) {
        if (!rep)
                return NULL;
        if (rep->g)
                yajl_gen_free(rep->g);
        free(rep);
        return NULL;
}

int report_subject(struct report *rep, const struct audit_result *res) {
        rep->n++;
        rep->n_verdict[res->verdict]++;
        if (rep->g)
                return json_subject(rep->g, rep->f, res);
        text_subject(rep->f, res);
        text_remediation(rep->f, res, rep->ref);
        return ferror(rep->f) ? -EIO : 0;
}

int report_finish(struct report *rep) {
        const struct reference *ref = rep->ref;
        unsigned n = rep->n, *v = rep->n_verdict;
        int r = 0;

        if (rep->g) {
                json_close_array(rep->g);
                json_open_object(rep->g, "summary");
                json_int(rep->g, "subjects", n);
                json_int(rep->g, "pass", v[VERDICT_PASS]);
                json_int(rep->g, "warn", v[VERDICT_WARN]);
                json_int(rep->g, "fail", v[VERDICT_FAIL]);
                json_close_object(rep->g);
                json_close_object(rep->g);
                /* yajl's pretty output ends with a newline of its own. */
                r = json_drain(rep->g, rep->f);
        } else {
                FILE *f = rep->f;
                if (n == 0)
                        fprintf(f, "No subject: the inputs hold no role with an instance profile.\n");
                fprintf(f, "\n%u subject%s: %u PASS, %u WARN, %u FAIL\n", n, n == 1 ? "" : "s", v[VERDICT_PASS],
                        v[VERDICT_WARN], v[VERDICT_FAIL]);
                if (v[VERDICT_FAIL] + v[VERDICT_WARN] > 0) {
                        const char *arn = managed_arn(ref);
                        fprintf(f, "\nLeast-privilege policy to use instead (%s%s%s%s%s):\n", ref->name,
                                ref->version ? " " : "", strempty(ref->version), arn ? "; or attach " : "",
                                arn ? arn : "");
                        r = text_reference_policy(f, ref);
                }
        }
        if (r == 0 && (fflush(rep->f) != 0 || ferror(rep->f)))
                r = -EIO;
        return r;
}

enum verdict report_verdict(const struct report *rep) {
        return rep->n_verdict[VERDICT_FAIL] ? VERDICT_FAIL : rep->n_verdict[VERDICT_WARN] ? VERDICT_WARN : VERDICT_PASS;
}
