/* SPDX-License-Identifier: Apache-2.0 */
/* audit-policy FILE|-...: compares IAM policies (documents, role policies, policy versions,
 * whole-account authorization dumps) with a reference managed policy and prints a verdict per
 * subject, as text or as the JSON document of DESIGN.md. All inputs are read and checked
 * before anything is printed, so that malformed input yields no verdict at all. */
#include "commands.h"
#include "json-out.h"
#include "log.h"
#include "policy-audit.h"
#include "policy-builtin.h"
#include "policy-parse.h"
#include "util.h"

/* Where AWS keeps its managed policies, for the remediation hint. */
static const struct {
        const char *name, *arn;
} managed_arns[] = {
        { "AmazonEC2ContainerServiceforEC2Role", "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role" },
        { "AmazonEC2ContainerServiceEventsRole", "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceEventsRole" },
        { "AmazonECSTaskExecutionRolePolicy", "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy" },
        { "AmazonECS_FullAccess", "arn:aws:iam::aws:policy/AmazonECS_FullAccess" },
};

static const char *managed_arn(const struct reference *ref) {
        if (!ref->builtin)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(managed_arns); i++)
                if (streq(managed_arns[i].name, ref->name))
                        return managed_arns[i].arn;
        return NULL;
}

/* Writes what the generator holds so far: the JSON report streams, one subject at a time. */
static int json_drain(yajl_gen g) {
        const unsigned char *buf;
        size_t len;

        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
                return -EIO;
        if (len > 0 && fwrite(buf, 1, len, stdout) != len)
                return -EIO;
        yajl_gen_clear(g);
        return 0;
}

static void json_findings(yajl_gen g, const struct audit_result *res) {
        json_open_array(g, "findings");
        for (size_t i = 0; i < res->n_findings; i++) {
                const struct finding *f = &res->findings[i];
                json_open_object(g, NULL);
                json_str(g, "kind", finding_kind_to_string(f->kind));
                json_str(g, "action", f->action);
                if (f->statement >= 0)
                        json_int(g, "statement", f->statement);
                else
                        json_str(g, "statement", NULL);
                json_str(g, "sid", f->sid);
                json_str(g, "message", f->message);
                json_close_object(g);
        }
        json_close_array(g);
}

/* Generated findings of shared results (audit_result.shared), reused: an account's subjects
 * repeat a few results, and generating the same JSON again for each would cost more than
 * everything else of the audit. */
#define RENDER_SLOTS 64

struct rendered {
        uint64_t shared;
        char *text;
        size_t len;
};

struct report {
        yajl_gen g, scratch;
        struct rendered cache[RENDER_SLOTS];
};

static void report_done(struct report *rep) {
        if (rep->g)
                yajl_gen_free(rep->g);
        if (rep->scratch)
                yajl_gen_free(rep->scratch);
        for (size_t i = 0; i < RENDER_SLOTS; i++)
                free(rep->cache[i].text);
}

/* The findings array of RES as the report prints it, generated apart at the same depth (so that
 * the indentation is the same). NULL on OOM. */
static const struct rendered *render_findings(struct report *rep, const struct audit_result *res) {
        struct rendered *slot = &rep->cache[res->shared % RENDER_SLOTS];
        const unsigned char *buf, *open;
        size_t start, len;

        if (slot->shared == res->shared && slot->text)
                return slot;
        if (!rep->scratch && !(rep->scratch = json_new()))
                return NULL;
        yajl_gen_reset(rep->scratch, NULL);
        yajl_gen_clear(rep->scratch);
        json_open_object(rep->scratch, NULL);
        json_open_array(rep->scratch, "subjects");
        json_open_object(rep->scratch, NULL);
        if (yajl_gen_get_buf(rep->scratch, &buf, &start) != yajl_gen_status_ok)
                return NULL;
        json_findings(rep->scratch, res);
        if (yajl_gen_get_buf(rep->scratch, &buf, &len) != yajl_gen_status_ok)
                return NULL;
        /* The key "findings" and its separator, then the array. */
        open = memchr(buf + start, '[', len - start);
        if (!open)
                return NULL;
        free(slot->text);
        slot->len = len - (size_t) (open - buf);
        slot->text = malloc(slot->len);
        if (!slot->text) {
                slot->shared = 0;
                return NULL;
        }
        memcpy(slot->text, open, slot->len);
        slot->shared = res->shared;
        return slot;
}

static int json_subject(struct report *rep, const struct audit_result *res) {
        yajl_gen g = rep->g;
        const struct rendered *r = NULL;

        if (res->shared && !(r = render_findings(rep, res)))
                return -ENOMEM;
        json_open_object(g, NULL);
        json_str(g, "name", res->name);
        json_str(g, "verdict", verdict_to_string(res->verdict));
        if (r) {
                /* yajl_gen_number() writes its text as it is: the array generated before. */
                json_key(g, "findings");
                yajl_gen_number(g, r->text, r->len);
        } else
                json_findings(g, res);
        json_close_object(g);
        return 0;
}

static void print_subject(const struct audit_result *res) {
        printf("%s  %s\n", verdict_to_string(res->verdict), res->name);
        for (enum finding_kind k = 0; k < _FINDING_KIND_MAX; k++) {
                if (res->n_kind[k] == 0)
                        continue;
                if (k == FINDING_NOTE)
                        printf("  note:\n");
                else
                        printf("  %s (%s):\n", finding_kind_to_string(k), k == FINDING_EXCESS ? "FAIL" : "WARN");
                for (size_t i = 0; i < res->n_findings; i++) {
                        const struct finding *f = &res->findings[i];
                        if (f->kind != k)
                                continue;
                        if (k == FINDING_MISSING)
                                /* The index is the reference's statement: say nothing of it here. */
                                printf("    - %s\n", f->message);
                        else if (f->statement >= 0 && f->sid)
                                printf("    - statement %d (Sid %s): %s\n", f->statement, f->sid, f->message);
                        else if (f->statement >= 0)
                                printf("    - statement %d: %s\n", f->statement, f->message);
                        else
                                printf("    - %s\n", f->message);
                }
        }
}

static void print_remediation(const struct audit_result *res, const struct reference *ref) {
        const char *arn = managed_arn(ref);

        if (res->n_kind[FINDING_EXCESS])
                printf("  remediation: remove the excess grants from this role: every container that reaches the "
                       "instance metadata service inherits them; give tasks what they need through task roles, and "
                       "keep the instance role at the policy printed below\n");
        else if (res->n_kind[FINDING_MISSING])
                printf("  remediation: grant the missing actions (the policy printed below)%s%s\n",
                       arn ? ", or attach " : "", arn ? arn : "");
        else if (res->n_kind[FINDING_UNKNOWN])
                printf("  remediation: correct or remove the unknown names; make every attached policy readable "
                       "to the audit\n");
}

/* The least-privilege document to use instead: the reference's Allow statements. */
static int print_reference_policy(const struct reference *ref) {
        _cleanup_yajl_gen_ yajl_gen g = json_new();
        const struct policy *p = ref->policy;

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
                        /* Already valid compact JSON: embed it as it is. */
                        json_key(g, "Condition");
                        yajl_gen_number(g, st->condition, strlen(st->condition));
                }
                json_close_object(g);
        }
        json_close_array(g);
        json_close_object(g);
        return json_flush_stdout(g);
}

int cmd_audit_policy(struct options *o, int argc, char **argv) {
        struct reference *ref = NULL;
        struct auditor *a = NULL;
        struct policy_input *in = NULL;
        _cleanup_free_ char *error = NULL;
        _cleanup_(report_done) struct report rep = {};
        yajl_gen g = NULL;
        unsigned n = 0, n_verdict[3] = {};
        int r, ret = EXIT_USAGE;

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
                        ret = r == -ENOMEM ? EXIT_REFUSED : EXIT_USAGE;
                        goto finish;
                }
        }

        if (o->json) {
                g = rep.g = json_new();
                if (!g) {
                        log_error_errno(-ENOMEM, "Out of memory");
                        ret = EXIT_REFUSED;
                        goto finish;
                }
                json_open_object(g, NULL);
                json_int(g, "version", 1);
                json_open_object(g, "reference");
                json_str(g, "name", ref->name);
                json_str(g, "policy_version", ref->version);
                json_str(g, "source", ref->source);
                json_close_object(g);
                json_open_array(g, "subjects");
        } else
                printf("Reference: %s%s%s (%s)\n\n", ref->name, ref->version ? " " : "", strempty(ref->version),
                       ref->builtin ? "built in" : ref->source);

        for (;;) {
                const struct audit_result *res = NULL;

                r = auditor_next(a, in, &res);
                if (r < 0) {
                        log_error_errno(r, "Failed to audit a subject: %m");
                        ret = EXIT_REFUSED;
                        goto finish;
                }
                if (r == 0)
                        break;
                n++;
                n_verdict[res->verdict]++;
                if (g) {
                        if (json_subject(&rep, res) < 0) {
                                log_error_errno(-ENOMEM, "Out of memory");
                                ret = EXIT_REFUSED;
                                goto finish;
                        }
                        if (n % 256 == 0 && json_drain(g) < 0) {
                                log_error("Failed to write the report");
                                ret = EXIT_REFUSED;
                                goto finish;
                        }
                } else {
                        print_subject(res);
                        print_remediation(res, ref);
                }
        }

        if (g) {
                json_close_array(g);
                json_open_object(g, "summary");
                json_int(g, "subjects", n);
                json_int(g, "pass", n_verdict[VERDICT_PASS]);
                json_int(g, "warn", n_verdict[VERDICT_WARN]);
                json_int(g, "fail", n_verdict[VERDICT_FAIL]);
                json_close_object(g);
                json_close_object(g);
                /* yajl's pretty output ends with a newline of its own. */
                if (json_drain(g) < 0 || fflush(stdout) != 0) {
                        log_error("Failed to write the report");
                        ret = EXIT_REFUSED;
                        goto finish;
                }
        } else {
                if (n == 0)
                        printf("No subject: the inputs hold no role with an instance profile.\n");
                printf("\n%u subject%s: %u PASS, %u WARN, %u FAIL\n", n, n == 1 ? "" : "s", n_verdict[VERDICT_PASS],
                       n_verdict[VERDICT_WARN], n_verdict[VERDICT_FAIL]);
                if (n_verdict[VERDICT_FAIL] + n_verdict[VERDICT_WARN] > 0) {
                        const char *arn = managed_arn(ref);
                        printf("\nLeast-privilege policy to use instead (%s%s%s%s%s):\n", ref->name,
                               ref->version ? " " : "", strempty(ref->version), arn ? "; or attach " : "",
                               arn ? arn : "");
                        fflush(stdout);
                        print_reference_policy(ref);
                }
                fflush(stdout);
        }
        ret = n_verdict[VERDICT_FAIL] ? EXIT_NOT_SO : EXIT_OK;
finish:
        policy_input_free(in);
        auditor_free(a);
        reference_free(ref);
        return ret;
}
