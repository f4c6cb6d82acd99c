/* SPDX-License-Identifier: Apache-2.0 */
/* The result model of audit-policy (audit/judge.h): findings and verdicts, what each reference
 * action is for, and the reference itself (built in, or a file). The judge fills results; the
 * report prints them. */
#include <stdarg.h>
#include <strings.h>

#include "audit/input.h"
#include "audit/judge.h"
#include "audit/policy-builtin.h"
#include "lib/util.h"

const char *finding_kind_to_string(enum finding_kind k) {
        static const char *const t[] = { "excess", "missing", "unknown", "unresolved", "note" };
        return k < _FINDING_KIND_MAX ? t[k] : "?";
}

const char *verdict_to_string(enum verdict v) {
        return v == VERDICT_FAIL ? "FAIL" : v == VERDICT_WARN ? "WARN" : "PASS";
}

/* What the container agent (or a task) loses without each action of the reference policies. */
static const struct {
        const char *action, *consequence;
} consequences[] = {
        { .action = "ec2:DescribeTags", .consequence = "the agent cannot read the instance's EC2 tags (tag propagation to the container "
                                                       "instance, ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM=ec2_instance, fails)" },
        { .action = "ecs:CreateCluster", .consequence = "the agent cannot create its cluster (ECS_CLUSTER, or \"default\") when it does not exist" },
        { .action = "ecs:DeregisterContainerInstance", .consequence = "today's agent does not call it; older agents and scripts cannot "
                                                                      "deregister the instance" },
        { .action = "ecs:DiscoverPollEndpoint", .consequence = "the agent cannot find the ECS control-plane endpoints: the instance receives "
                                                               "no tasks and sends no telemetry" },
        { .action = "ecs:Poll", .consequence = "the agent cannot receive tasks (no session with the ECS control plane)" },
        { .action = "ecs:RegisterContainerInstance", .consequence = "the instance cannot register with its cluster" },
        { .action = "ecs:StartTelemetrySession", .consequence = "no container and task metrics or health reach ECS and CloudWatch" },
        { .action = "ecs:UpdateContainerInstancesState", .consequence = "Spot Instance draining cannot set the instance to DRAINING" },
        { .action = "ecs:Submit*", .consequence = "the agent cannot report task, container and attachment state changes: tasks stay "
                                                  "PENDING or never show as stopped" },
        { .action = "ecs:SubmitTaskStateChange", .consequence = "task state changes are not reported: tasks stay PENDING or never show as stopped" },
        { .action = "ecs:SubmitContainerStateChange", .consequence = "today's agent does not call it; older agents cannot report container state" },
        { .action = "ecs:SubmitAttachmentStateChanges", .consequence = "awsvpc network attachments are not reported: awsvpc tasks do not start" },
        { .action = "ecr:GetAuthorizationToken", .consequence = "images cannot be pulled from private Amazon ECR repositories (no registry login)" },
        { .action = "ecr:BatchCheckLayerAvailability", .consequence = "image pulls from Amazon ECR fail (layer availability checks are denied)" },
        { .action = "ecr:GetDownloadUrlForLayer", .consequence = "image pulls from Amazon ECR fail (layers cannot be downloaded)" },
        { .action = "ecr:BatchGetImage", .consequence = "image pulls from Amazon ECR fail (the image manifest cannot be read)" },
        { .action = "logs:CreateLogStream", .consequence = "containers using the awslogs log driver fail to start (no log stream)" },
        { .action = "logs:PutLogEvents", .consequence = "container logs are not delivered to CloudWatch Logs (awslogs log driver)" },
        { .action = "ecs:TagResource", .consequence = "the agent cannot tag the cluster or container instance it creates or registers: "
                                                      "registration with ECS_CONTAINER_INSTANCE_TAGS fails" },
        { .action = "ecs:ListTagsForResource", .consequence = "the task metadata endpoint cannot return task and container-instance tags "
                                                              "(${ECS_CONTAINER_METADATA_URI_V4}/taskWithTags)" },
        { .action = "ecs:RunTask", .consequence = "scheduled tasks (EventBridge rules) cannot start tasks" },
        { .action = "iam:PassRole", .consequence = "tasks cannot be started with their task or execution role" },
};

const char *action_consequence(const char *action) {
        for (size_t i = 0; i < ELEMENTSOF(consequences); i++)
                if (strcasecmp(consequences[i].action, action) == 0)
                        return consequences[i].consequence;
        return NULL;
}

/* ---- results ---- */

int audit_result_new(const char *name, struct audit_result **ret) {
        struct audit_result *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->name = arena_strdup(&r->arena, name);
        if (!r->name) {
                free(r);
                return -ENOMEM;
        }
        *ret = r;
        return 0;
}

struct audit_result *audit_result_free(struct audit_result *r) {
        if (!r)
                return NULL;
        free(r->findings);
        arena_done(&r->arena);
        free(r);
        return NULL;
}

_printf_(7, 8) int audit_result_add(struct audit_result *r, enum finding_kind kind, const char *action,
                                      const struct statement *st, const char *policy_label, int statement_override,
                                      const char *fmt, ...) {
        _cleanup_free_ char *long_msg = NULL;
        char buf[512], *msg = buf;
        va_list ap;

        /* Most messages fit: no allocation for them. */
        va_start(ap, fmt);
        int k = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if ((size_t) k >= sizeof(buf)) {
                va_start(ap, fmt);
                k = vasprintf(&long_msg, fmt, ap);
                va_end(ap);
                if (k < 0)
                        return -ENOMEM;
                msg = long_msg;
        }
        if (r->n_findings == r->a_findings) {
                size_t na = r->a_findings * 2 + 4;
                struct finding *n = reallocarray(r->findings, na, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                r->findings = n;
                r->a_findings = na;
        }
        struct finding f = {
                .kind = kind,
                .statement = st ? (int) st->index : statement_override,
        };
        bool labelled = policy_label && *policy_label;
        f.action = action ? arena_strdup(&r->arena, action) : NULL;
        f.sid = st && st->sid ? arena_strdup(&r->arena, st->sid) : NULL;
        f.policy = labelled ? arena_strdup(&r->arena, policy_label) : NULL;
        if (labelled) {
                size_t ll = strlen(policy_label), ml = strlen(msg);
                char *m = arena_alloc(&r->arena, ll + ml + 3);
                if (m) {
                        memcpy(m, policy_label, ll);
                        memcpy(m + ll, ": ", 2);
                        memcpy(m + ll + 2, msg, ml + 1);
                }
                f.message = m;
        } else
                f.message = arena_strdup(&r->arena, msg);
        if ((action && !f.action) || (st && st->sid && !f.sid) || !f.message)
                return -ENOMEM;
        r->findings[r->n_findings++] = f;
        r->n_kind[kind]++;
        return 0;
}

/* ---- references ---- */

struct reference *reference_free(struct reference *r) {
        if (!r)
                return NULL;
        policy_free(r->policy);
        free(r->name);
        free(r->version);
        free(r->source);
        free(r);
        return NULL;
}

static int builtin_names(char *buf, size_t size) {
        snprintf(buf, size, "%zu AWS managed policies; --list-references lists them", builtin_policy_count());
        return 0;
}

int reference_load(const char *spec, struct reference **ret, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        struct reference *ref;
        const struct builtin_policy *b = NULL;
        bool name_known = false;
        size_t size;
        int r;

        *ret_error = NULL;
        if (!spec)
                spec = DEFAULT_REFERENCE;
        if (!strchr(spec, '/'))
                b = builtin_policy_find(spec, &name_known);
        else if (strncmp(spec, "arn:", 4) == 0)
                b = builtin_policy_for_arn(spec);

        ref = calloc(1, sizeof(*ref));
        if (!ref)
                return -ENOMEM;

        if (b) {
                r = policy_parse_buffer(b->name, b->json, strlen(b->json), &ref->policy, ret_error);
                if (r < 0)
                        goto fail;
                ref->name = strdup(b->name);
                ref->version = strdup(b->version);
                ref->source = strdup("builtin");
                ref->builtin = true;
                if (!ref->name || !ref->version || !ref->source) {
                        r = -ENOMEM;
                        goto fail;
                }
                *ret = ref;
                return 0;
        }

        if (name_known) {
                char versions[128], name[256];
                snprintf(name, sizeof(name), "%.*s", (int) strcspn(spec, "@"), spec);
                builtin_policy_versions(name, versions, sizeof(versions));
                if (asprintf(ret_error, "%s: no such version of %s (built in: %s)", spec, name, versions) < 0)
                        *ret_error = NULL;
                r = -ENOENT;
                goto fail;
        }

        r = read_full_file(spec, &text, &size);
        if (r < 0) {
                char names[512];
                builtin_names(names, sizeof(names));
                if (r == -ENOENT) {
                        if (asprintf(ret_error, "%s: neither a built-in reference (%s; NAME@vN selects a version) "
                                                "nor a file", spec, names) < 0)
                                *ret_error = NULL;
                } else if (r == -EBADFD || r == -EISDIR) {
                        /* read_full_file() refuses FIFOs, devices and folders: say so, not "bad state". */
                        if (asprintf(ret_error, "%s: not a regular file (%s); give a policy document file or a "
                                                "built-in name (%s)", spec, r == -EISDIR ? "a folder" :
                                                "a FIFO, socket or device", names) < 0)
                                *ret_error = NULL;
                } else if (asprintf(ret_error, "%s: %s", spec, strerror(-r)) < 0)
                        *ret_error = NULL;
                goto fail;
        }
        r = policy_parse_buffer(spec, text, size, &ref->policy, ret_error);
        if (r < 0)
                goto fail;
        ref->name = strdup(spec);
        ref->source = strdup(spec);
        ref->version = ref->policy->version ? strdup(ref->policy->version) : NULL;
        if (!ref->name || !ref->source || (ref->policy->version && !ref->version)) {
                r = -ENOMEM;
                goto fail;
        }
        *ret = ref;
        return 0;
fail:
        reference_free(ref);
        return r;
}

void audit_results_free(struct audit_result **r, size_t n) {
        for (size_t i = 0; i < n; i++)
                audit_result_free(r[i]);
        free(r);
}

enum verdict audit_results_verdict(struct audit_result *const *r, size_t n) {
        enum verdict v = VERDICT_PASS;
        for (size_t i = 0; i < n; i++)
                if (r[i]->verdict > v)
                        v = r[i]->verdict;
        return v;
}
