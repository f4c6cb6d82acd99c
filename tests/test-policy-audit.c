/* SPDX-License-Identifier: Apache-2.0 */
/* Table-driven tests of the policy parser and of the audit semantics (DESIGN.md, "audit-policy
 * semantics"), on documents held in memory. */
#include <strings.h>

#include "audit/action-catalog.h"
#include "audit/judge.h"
#include "audit/policy-builtin.h"
#include "audit/input.h"
#include "test.h"
#include "lib/util.h"

/* Prefix shared by the documents below: the reference's own actions (v10), as one statement,
 * so that a case adds only what it tests. */
#define AGENT_STMT                                                                                    \
        "{\"Effect\":\"Allow\",\"Action\":[\"ec2:DescribeTags\",\"ecs:CreateCluster\","              \
        "\"ecs:DeregisterContainerInstance\",\"ecs:DiscoverPollEndpoint\",\"ecs:Poll\","              \
        "\"ecs:RegisterContainerInstance\",\"ecs:StartTelemetrySession\","                            \
        "\"ecs:UpdateContainerInstancesState\",\"ecs:Submit*\",\"ecr:GetAuthorizationToken\","        \
        "\"ecr:BatchCheckLayerAvailability\",\"ecr:GetDownloadUrlForLayer\",\"ecr:BatchGetImage\","   \
        "\"logs:CreateLogStream\",\"logs:PutLogEvents\"],\"Resource\":\"*\"},"                        \
        "{\"Effect\":\"Allow\",\"Action\":\"ecs:TagResource\",\"Resource\":\"*\",\"Condition\":"     \
        "{\"StringEquals\":{\"ecs:CreateAction\":[\"CreateCluster\",\"RegisterContainerInstance\"]}}}," \
        "{\"Effect\":\"Allow\",\"Action\":[\"ecs:ListTagsForResource\"],\"Resource\":"               \
        "[\"arn:aws:ecs:*:*:task/*/*\",\"arn:aws:ecs:*:*:container-instance/*/*\"]}"
#define DOC(...) "{\"Version\":\"2012-10-17\",\"Statement\":[" __VA_ARGS__ "]}"

struct counts {
        enum verdict verdict;
        size_t excess, missing, unknown, note;
};

/* Audits TEXT against REFERENCE; fills C and, when WANT_ACTION is set, whether a finding of
 * WANT_KIND names it. */
static int audit_text(const char *reference, const char *text, struct counts *c, enum finding_kind want_kind,
                      const char *want_action, bool *found) {
        struct reference *ref = NULL;
        struct auditor *a = NULL;
        struct policy *p = NULL;
        struct subject *s = NULL;
        struct audit_result *res = NULL;
        _cleanup_free_ char *err = NULL, *err2 = NULL;
        int r;

        if ((r = reference_load(reference, &ref, &err)) < 0)
                return r;
        if ((r = auditor_new(ref, &a)) < 0)
                goto finish;
        if ((r = policy_parse_buffer("test", text, strlen(text), &p, &err2)) < 0) {
                if (err2)
                        fprintf(stderr, "%s\n", err2);
                goto finish;
        }
        if ((r = subject_new("test", &s)) < 0 || (r = subject_add_policy(s, p, "", true)) < 0)
                goto finish;
        p = NULL;
        if ((r = auditor_run(a, s, &res)) < 0)
                goto finish;
        *c = (struct counts) { res->verdict, res->n_kind[FINDING_EXCESS], res->n_kind[FINDING_MISSING],
                               res->n_kind[FINDING_UNKNOWN], res->n_kind[FINDING_NOTE] };
        if (found) {
                *found = false;
                for (size_t i = 0; i < res->n_findings; i++)
                        if (res->findings[i].kind == want_kind && streq_ptr(res->findings[i].action, want_action))
                                *found = true;
        }
finish:
        audit_result_free(res);
        subject_free(s);
        policy_free(p);
        auditor_free(a);
        reference_free(ref);
        return r;
}

static const struct {
        const char *name, *reference, *doc;
        enum verdict verdict;
        size_t excess, missing, unknown, note;
} cases[] = {
        { "the managed policy today", NULL, DOC(AGENT_STMT), VERDICT_PASS, 0, 0, 0, 0 },
        { "the page's v6 copy: two tagging actions missing", NULL,
          DOC("{\"Effect\":\"Allow\",\"Action\":[\"ec2:DescribeTags\",\"ecs:CreateCluster\","
              "\"ecs:DeregisterContainerInstance\",\"ecs:DiscoverPollEndpoint\",\"ecs:Poll\","
              "\"ecs:RegisterContainerInstance\",\"ecs:StartTelemetrySession\",\"ecs:UpdateContainerInstancesState\","
              "\"ecs:Submit*\",\"ecr:GetAuthorizationToken\",\"ecr:BatchCheckLayerAvailability\","
              "\"ecr:GetDownloadUrlForLayer\",\"ecr:BatchGetImage\",\"logs:CreateLogStream\",\"logs:PutLogEvents\"],"
              "\"Resource\":\"*\"}"),
          VERDICT_WARN, 0, 2, 0, 0 },
        { "today's policy against @v6: two excess", "AmazonEC2ContainerServiceforEC2Role@v6", DOC(AGENT_STMT),
          VERDICT_FAIL, 2, 0, 0, 0 },
        { "Submit*Change within Submit*", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"ecs:Submit*Change\",\"Resource\":\"*\"}"),
          VERDICT_PASS, 0, 0, 0, 0 },
        { "S* is excess", NULL, DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"ecs:S*\",\"Resource\":\"*\"}"),
          VERDICT_FAIL, 1, 0, 0, 0 },
        { "*Submit* is excess", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"ecs:*Submit*\",\"Resource\":\"*\"}"), VERDICT_FAIL, 1, 0,
          0, 0 },
        { "Pol? is excess and known", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"ecs:Pol?\",\"Resource\":\"*\"}"), VERDICT_FAIL, 1, 0, 0,
          0 },
        { "Pol: a typo, excess and unknown", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"ecs:Pol\",\"Resource\":\"*\"}"), VERDICT_FAIL, 1, 0, 1,
          0 },
        { "upper case names", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":[\"ECS:POLL\",\"Ecs:SubmitTaskStateChange\"],"
                         "\"Resource\":\"*\"}"),
          VERDICT_PASS, 0, 0, 0, 0 },
        { "a conditional or scoped Allow still grants", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\","
                         "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"true\"}}}"),
          VERDICT_FAIL, 1, 0, 0, 0 },
        { "NotAction in an Allow grants the rest", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\",\"Resource\":\"*\"}"), VERDICT_FAIL, 1, 0, 0,
          2 },
        { "an unconditional Deny on * takes the excess away", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},"
                         "{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\"}"),
          VERDICT_PASS, 0, 0, 0, 0 },
        { "a trailing blank (ReadOnlyAccess v61): unknown, judged as ecs:Poll", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"ecs:Poll \",\"Resource\":\"*\"}"), VERDICT_WARN, 0, 0, 1,
          0 },
        { "a blank after the colon (AdministratorAccess-Amplify v1): unknown, judged as amplifybackend:*", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"amplifybackend: *\",\"Resource\":\"*\"}"),
          VERDICT_FAIL, 1, 0, 1, 0 },
        { "a blanked name in a Deny still takes its actions away", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},"
                         "{\"Effect\":\"Deny\",\"Action\":\" s3 : * \",\"Resource\":\"*\"}"),
          VERDICT_WARN, 0, 0, 1, 0 },
        { "a Deny with a condition does not", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},"
                         "{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":"
                         "{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}"),
          VERDICT_FAIL, 1, 0, 0, 0 },
        { "a Deny on some resources does not", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},"
                         "{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::b\"}"),
          VERDICT_FAIL, 1, 0, 0, 0 },
        { "a Deny that covers only part leaves excess", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},"
                         "{\"Effect\":\"Deny\",\"Action\":\"s3:Get*\",\"Resource\":[\"*\"]}"),
          VERDICT_FAIL, 1, 0, 0, 0 },
        { "Deny NotAction keeps only the reference", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},"
                         "{\"Effect\":\"Deny\",\"NotAction\":[\"ec2:DescribeTags\",\"ecs:*\",\"ecr:*\",\"logs:*\"],"
                         "\"Resource\":\"*\"}"),
          VERDICT_FAIL, 1, 0, 0, 2 },
        { "a denied reference action is missing", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Deny\",\"Action\":\"ecs:Poll\",\"Resource\":\"*\"}"), VERDICT_WARN, 0, 1, 0,
          0 },
        { "a Deny on some resources leaves it granted somewhere", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Deny\",\"Action\":\"ecs:Poll\",\"Resource\":\"arn:aws:ecs:*:*:x\"}"),
          VERDICT_PASS, 0, 0, 0, 0 },
        { "a wildcard counts when all its known actions are granted", NULL,
          DOC("{\"Effect\":\"Allow\",\"Action\":[\"ec2:DescribeTags\",\"ecs:CreateCluster\","
              "\"ecs:DeregisterContainerInstance\",\"ecs:DiscoverPollEndpoint\",\"ecs:Poll\","
              "\"ecs:RegisterContainerInstance\",\"ecs:StartTelemetrySession\",\"ecs:UpdateContainerInstancesState\","
              "\"ecs:SubmitAttachmentStateChanges\",\"ecs:SubmitContainerStateChange\",\"ecs:SubmitTaskStateChange\","
              "\"ecr:GetAuthorizationToken\",\"ecr:BatchCheckLayerAvailability\",\"ecr:GetDownloadUrlForLayer\","
              "\"ecr:BatchGetImage\",\"logs:CreateLogStream\",\"logs:PutLogEvents\",\"ecs:TagResource\","
              "\"ecs:ListTagsForResource\"],\"Resource\":\"*\"}"),
          VERDICT_PASS, 0, 0, 0, 2 },
        { "one of the three Submit actions missing", NULL,
          DOC("{\"Effect\":\"Allow\",\"Action\":[\"ec2:DescribeTags\",\"ecs:CreateCluster\","
              "\"ecs:DeregisterContainerInstance\",\"ecs:DiscoverPollEndpoint\",\"ecs:Poll\","
              "\"ecs:RegisterContainerInstance\",\"ecs:StartTelemetrySession\",\"ecs:UpdateContainerInstancesState\","
              "\"ecs:SubmitAttachmentStateChanges\",\"ecs:SubmitTaskStateChange\","
              "\"ecr:GetAuthorizationToken\",\"ecr:BatchCheckLayerAvailability\",\"ecr:GetDownloadUrlForLayer\","
              "\"ecr:BatchGetImage\",\"logs:CreateLogStream\",\"logs:PutLogEvents\"],\"Resource\":\"*\"},"
              "{\"Effect\":\"Allow\",\"Action\":\"ecs:TagResource\",\"Resource\":\"*\",\"Condition\":"
              "{\"StringEquals\":{\"ecs:CreateAction\":[\"CreateCluster\",\"RegisterContainerInstance\"]}}},"
              "{\"Effect\":\"Allow\",\"Action\":\"ecs:ListTagsForResource\",\"Resource\":"
              "\"arn:aws:ecs:*:*:task/*/*\"}"),
          VERDICT_WARN, 0, 1, 0, 0 },
        { "everything: excess, notes", NULL, DOC("{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}"),
          VERDICT_FAIL, 1, 0, 0, 2 },
        { "an unknown name in a Deny", NULL,
          DOC(AGENT_STMT ",{\"Effect\":\"Deny\",\"Action\":\"s3:DeleteBuckett\",\"Resource\":\"*\"}"), VERDICT_WARN, 0,
          0, 1, 0 },
        { "statement as an object, action and resource as strings", "AmazonECSTaskExecutionRolePolicy",
          "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"ecr:GetAuthorizationToken\","
          "\"Resource\":\"*\"}}",
          VERDICT_WARN, 0, 5, 0, 0 },
        { "the execution role policy is within the instance role policy", NULL,
          DOC("{\"Effect\":\"Allow\",\"Action\":[\"ecr:GetAuthorizationToken\",\"ecr:BatchCheckLayerAvailability\","
              "\"ecr:GetDownloadUrlForLayer\",\"ecr:BatchGetImage\",\"logs:CreateLogStream\",\"logs:PutLogEvents\"],"
              "\"Resource\":\"*\"}"),
          VERDICT_WARN, 0, 11, 0, 0 },
        { "an empty Statement grants nothing", NULL, DOC(""), VERDICT_WARN, 0, 17, 0, 0 },
};

TEST(semantics_table) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct counts c = {};
                int r = audit_text(cases[i].reference, cases[i].doc, &c, 0, NULL, NULL);
                if (r < 0)
                        FAIL_AT("case '%s': audit failed: %s", cases[i].name, strerror(-r));
                if (c.verdict != cases[i].verdict || c.excess != cases[i].excess || c.missing != cases[i].missing ||
                    c.unknown != cases[i].unknown || c.note != cases[i].note)
                        FAIL_AT("case '%s': %s excess=%zu missing=%zu unknown=%zu note=%zu, expected %s %zu/%zu/%zu/%zu",
                                cases[i].name, verdict_to_string(c.verdict), c.excess, c.missing, c.unknown, c.note,
                                verdict_to_string(cases[i].verdict), cases[i].excess, cases[i].missing,
                                cases[i].unknown, cases[i].note);
        }
}

TEST(finding_names_the_pattern) {
        struct counts c;
        bool found;
        ASSERT_INT_EQ(audit_text(NULL, DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":\"ecs:Pol?\",\"Resource\":\"*\"}"),
                                 &c, FINDING_EXCESS, "ecs:Pol?", &found),
                      0);
        ASSERT_TRUE(found);
        ASSERT_INT_EQ(audit_text("AmazonEC2ContainerServiceforEC2Role@v10", DOC("{\"Effect\":\"Allow\",\"Action\":"
                                                                               "\"ecs:Poll\",\"Resource\":\"*\"}"),
                                 &c, FINDING_MISSING, "ecs:Submit*", &found),
                      0);
        ASSERT_TRUE(found);
}

/* Names with blanks, as AWS published them: the unknown finding names them as written, the
 * excess one as judged (without the blanks). */
TEST(blanked_names) {
        struct counts c;
        bool found;
        const char *doc = DOC(AGENT_STMT ",{\"Effect\":\"Allow\",\"Action\":[\"amplifybackend: *\","
                              "\"access-analyzer:ListTagsForResource \"],\"Resource\":\"*\"}");
        ASSERT_INT_EQ(audit_text(NULL, doc, &c, FINDING_UNKNOWN, "amplifybackend: *", &found), 0);
        ASSERT_TRUE(found);
        ASSERT_INT_EQ(c.unknown, 2);
        ASSERT_INT_EQ(audit_text(NULL, doc, &c, FINDING_UNKNOWN, "access-analyzer:ListTagsForResource ", &found), 0);
        ASSERT_TRUE(found);
        ASSERT_INT_EQ(audit_text(NULL, doc, &c, FINDING_EXCESS, "amplifybackend:*", &found), 0);
        ASSERT_TRUE(found);
        ASSERT_INT_EQ(audit_text(NULL, doc, &c, FINDING_EXCESS, "access-analyzer:ListTagsForResource", &found), 0);
        ASSERT_TRUE(found);
        ASSERT_INT_EQ(c.verdict, VERDICT_FAIL);
}

static const struct {
        const char *text, *error;
} malformed[] = {
        { "{\"Statement\":[{\"Effect\":\"allow\",\"Action\":\"ecs:Poll\"}]}", "statement 0: Effect must be" },
        { "{\"Statement\":[{\"Action\":\"ecs:Poll\"}]}", "statement 0: no Effect" },
        { "{\"Statement\":[{\"Effect\":\"Allow\"}]}", "statement 0: has neither Action nor NotAction" },
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"a:b\",\"NotAction\":\"c:d\"}]}",
          "statement 0: has both Action and NotAction" },
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs\"}]}", "is neither * nor prefix:name" },
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\":Poll\"}]}", "is neither * nor prefix:name" },
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:\"}]}", "is neither * nor prefix:name" },
        /* Blanks alone make a name unknown (blanked_names); these are wrong in other ways too. */
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs: \"}]}", "is neither * nor prefix:name" },
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\" * \"}]}", "is neither * nor prefix:name" },
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:Po ll:x\"}]}", "is neither * nor prefix:name" },
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:Po\\nll\"}]}", "is neither * nor prefix:name" },
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:Po\\u00e9ll\"}]}", "is neither * nor prefix:name" },
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ecs:Poll\",null]}]}", "only strings in an action list" },
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ecs:Poll\",[\"x:y\"]]}]}", "only strings in an action list" },
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":{}}]}", "Action/NotAction to be a string or an array" },
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"a:b\",\"Action\":\"c:d\"}]}", "duplicate key Action" },
        { "{\"Statement\":[\"x\"]}", "each element of Statement to be an object" },
        { "{\"Version\":\"2012-10-17\"}", "without Statement" },
        { "{}", "no known key" },
        { "42", "top level is a number" },
        { "{\"Statement\":[]", "invalid JSON" },
        { "{\"Statement\":[]} x", "invalid JSON" },
        { "{\"PolicyVersion\":{\"VersionId\":\"v1\"}}", "PolicyVersion without Document" },
        { "{\"PolicyDocument\":\"%7B%22Statement%22%3A%5B%7B%7D%5D%7D\"}", "statement 0: no Effect" },
        { "{\"RoleDetailList\":[]}", "give one policy" },
};

TEST(malformed_table) {
        for (size_t i = 0; i < ELEMENTSOF(malformed); i++) {
                struct policy *p = NULL;
                _cleanup_free_ char *err = NULL;
                int r = policy_parse_buffer("m.json", malformed[i].text, strlen(malformed[i].text), &p, &err);
                policy_free(p);
                if (r != -EBADMSG)
                        FAIL_AT("case %zu (%s): r == %d, expected -EBADMSG", i, malformed[i].text, r);
                if (!err || !strstr(err, malformed[i].error) || strncmp(err, "m.json:", 7) != 0)
                        FAIL_AT("case %zu: error '%s', expected it to name m.json and say '%s'", i, strempty(err),
                                malformed[i].error);
        }
}

TEST(shapes) {
        static const char *const docs[] = {
                DOC("{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":[\"ecs:Poll\"],\"Resource\":[\"*\"]}"),
                "{\"RoleName\":\"r\",\"PolicyName\":\"p\",\"PolicyDocument\":" DOC(
                        "{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":[\"ecs:Poll\"],\"Resource\":[\"*\"]}") "}",
                "{\"PolicyVersion\":{\"VersionId\":\"v7\",\"Document\":" DOC(
                        "{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":[\"ecs:Poll\"],\"Resource\":[\"*\"]}") "}}",
                /* URL-encoded, as the IAM API returns documents */
                "{\"PolicyVersion\":{\"VersionId\":\"v7\",\"Document\":\"%7B%22Version%22%3A%222012-10-17%22%2C"
                "%22Statement%22%3A%5B%7B%22Sid%22%3A%22A%22%2C%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B"
                "%22ecs%3APoll%22%5D%2C%22Resource%22%3A%5B%22%2A%22%5D%7D%5D%7D\"}}",
                "%7B%22Statement%22%3A%7B%22Sid%22%3A%22A%22%2C%22Effect%22%3A%22Allow%22%2C%22Action%22%3A"
                "%22ecs%3APoll%22%2C%22Resource%22%3A%22%2A%22%7D%7D",
        };
        for (size_t i = 0; i < ELEMENTSOF(docs); i++) {
                struct policy *p = NULL;
                _cleanup_free_ char *err = NULL;
                int r = policy_parse_buffer("s.json", docs[i], strlen(docs[i]), &p, &err);
                if (r < 0)
                        FAIL_AT("shape %zu: %s", i, strempty(err));
                ASSERT_INT_EQ(p->n_statements, 1);
                ASSERT_STR_EQ(p->statements[0].sid, "A");
                ASSERT_TRUE(p->statements[0].allow);
                ASSERT_INT_EQ(p->statements[0].n_actions, 1);
                ASSERT_STR_EQ(p->statements[0].actions[0], "ecs:Poll");
                ASSERT_TRUE(p->statements[0].resource_star);
                if (i == 2 || i == 3)
                        ASSERT_STR_EQ(p->version, "v7");
                policy_free(p);
        }
}

/* The shipped data (references, catalog): tests/test-aws-data.c. */

TEST(consequences) {
        ASSERT_TRUE(strstr(action_consequence("ecs:Poll"), "cannot receive tasks") != NULL);
        ASSERT_TRUE(action_consequence("ECS:SUBMIT*") != NULL);
        ASSERT_TRUE(action_consequence("s3:GetObject") == NULL);
}

TEST(status_api) {
        /* The one-call API the status check uses, on a file of the test data. */
        const char *dir = getenv("TESTS_DIR");
        _cleanup_free_ char *path = NULL, *err = NULL;
        struct audit_result **res = NULL;
        size_t n = 0;

        if (!dir)
                return;
        ASSERT_TRUE(asprintf(&path, "%s/policy/input/dump-fleet.json", dir) > 0);
        ASSERT_INT_EQ(policy_audit_path(path, NULL, &res, &n, &err), 0);
        ASSERT_INT_EQ(n, 5);
        ASSERT_INT_EQ(audit_results_verdict(res, n), VERDICT_FAIL);
        ASSERT_STR_EQ(res[0]->name, "managed-attached");
        ASSERT_INT_EQ(res[0]->verdict, VERDICT_PASS);
        audit_results_free(res, n);
}

/* status's instance-role-policy check: a role's policy list without documents (a dump with no
 * Policies, or aws iam list-attached-role-policies) resolves from the shipped AWS managed
 * policies: AdministratorAccess FAILs; an ARN nobody knows makes it WARN, never PASS. */
static enum verdict verdict_of_text(const char *text, const char *want_kind, const char *want_action) {
        char tmpl[] = "/tmp/test-policy-audit-XXXXXX";
        _cleanup_free_ char *err = NULL;
        struct audit_result **res = NULL;
        size_t n = 0;
        int fd = mkstemp(tmpl);

        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
        close(fd);
        int r = policy_audit_path(tmpl, NULL, &res, &n, &err);
        unlink(tmpl);
        if (r < 0)
                fprintf(stderr, "%s\n", strempty(err));
        ASSERT_INT_EQ(r, 0);
        ASSERT_INT_EQ(n, 1);
        bool found = false;
        for (size_t i = 0; i < res[0]->n_findings; i++)
                if (streq(finding_kind_to_string(res[0]->findings[i].kind), want_kind) &&
                    streq_ptr(res[0]->findings[i].action, want_action))
                        found = true;
        ASSERT_TRUE(found);
        enum verdict v = res[0]->verdict;
        audit_results_free(res, n);
        return v;
}

#define ATTACHED(name, arn) "{\"PolicyName\":\"" name "\",\"PolicyArn\":\"" arn "\"}"
#define EC2ROLE ATTACHED("AmazonEC2ContainerServiceforEC2Role", \
                         "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role")
#define ADMIN ATTACHED("AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess")

TEST(status_api_policy_list) {
        /* A dump of the instance role alone, no Policies section. */
        ASSERT_INT_EQ(verdict_of_text("{\"RoleDetailList\":[{\"RoleName\":\"ecsInstanceRole\",\"RolePolicyList\":[],"
                                      "\"InstanceProfileList\":[{}],\"AttachedManagedPolicies\":[" EC2ROLE "," ADMIN
                                      "]}]}",
                                      "excess", "*"),
                      VERDICT_FAIL);
        /* aws iam list-attached-role-policies --role-name ecsInstanceRole */
        ASSERT_INT_EQ(verdict_of_text("{\"AttachedPolicies\":[" EC2ROLE "," ADMIN "],\"IsTruncated\":false}", "excess", "*"),
                      VERDICT_FAIL);
        ASSERT_INT_EQ(verdict_of_text("{\"AttachedPolicies\":[" EC2ROLE "," ATTACHED("x", "arn:aws:iam::aws:policy/NoSuchOne")
                                      "]}",
                                      "unresolved", "arn:aws:iam::aws:policy/NoSuchOne"),
                      VERDICT_WARN);
}

TEST(status_api_large_dump) {
        /* A dump large enough to be read in two halves (4 MiB or more, on two CPUs): the one-call
         * API hands out the second half's subjects after the first half's, in input order. */
        static const char role_fmt[] =
                "{\"Path\":\"/\",\"RoleName\":\"role-%05u\",\"Arn\":\"arn:aws:iam::111122223333:role/role-%05u\","
                "\"AssumeRolePolicyDocument\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                "\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]},"
                "\"InstanceProfileList\":[{\"InstanceProfileName\":\"role-%05u\",\"Roles\":[]}],"
                "\"RolePolicyList\":[%s],\"AttachedManagedPolicies\":[{\"PolicyName\":"
                "\"AmazonEC2ContainerServiceforEC2Role\",\"PolicyArn\":\"arn:aws:iam::aws:policy/service-role/"
                "AmazonEC2ContainerServiceforEC2Role\"}],\"RoleLastUsed\":{}}";
        static const char extra[] = "{\"PolicyName\":\"extra\",\"PolicyDocument\":" DOC(
                "{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}") "}";
        char tmpl[] = "/tmp/test-policy-audit-XXXXXX";
        _cleanup_free_ char *err = NULL;
        struct audit_result **res = NULL;
        size_t n = 0, roles = 0;
        FILE *f;
        int fd = mkstemp(tmpl);

        ASSERT_TRUE(fd >= 0);
        f = fdopen(fd, "w");
        ASSERT_TRUE(f != NULL);
        fputs("{\"UserDetailList\":[],\"GroupDetailList\":[],\"RoleDetailList\":[\n", f);
        /* Every third role adds s3:* (FAIL); the others hold the managed policy alone (PASS). */
        for (; ftell(f) < 5L * 1024 * 1024; roles++)
                fprintf(f, "%s", roles ? ",\n" : ""), fprintf(f, role_fmt, (unsigned) roles, (unsigned) roles,
                                                               (unsigned) roles, roles % 3 == 0 ? extra : "");
        fputs("],\"Policies\":[]}\n", f);
        ASSERT_TRUE(fclose(f) == 0);

        int r = policy_audit_path(tmpl, NULL, &res, &n, &err);
        unlink(tmpl);
        ASSERT_INT_EQ(r, 0);
        ASSERT_INT_EQ(n, roles);
        size_t bad = n;
        for (size_t i = 0; i < n && bad == n; i++) {
                char name[16];
                snprintf(name, sizeof(name), "role-%05zu", i);
                if (strcmp(res[i]->name, name) != 0 || res[i]->verdict != (i % 3 == 0 ? VERDICT_FAIL : VERDICT_PASS))
                        bad = i;
        }
        char what[64] = "";
        if (bad < n)
                snprintf(what, sizeof(what), "%s %s", res[bad]->name, verdict_to_string(res[bad]->verdict));
        audit_results_free(res, n);
        if (bad < n)
                FAIL_AT("subject %zu is %s", bad, what);
}

TEST(url_decode) {
        static const struct {
                const char *in, *out;
                int r;
        } t[] = {
                { "", "", 0 },
                { "plain", "plain", 0 },
                { "%7B%22a%22%3A%201%7D", "{\"a\": 1}", 0 },
                { "%7b%22%3a", "{\":", 0 },              /* lower-case hex */
                { "a+b", "a+b", 0 },                     /* RFC 3986 (as IAM encodes): "+" is itself */
                { "%2B", "+", 0 },
                { "100%25", "100%", 0 },
                { "%", NULL, -EINVAL },                  /* escape cut short */
                { "%4", NULL, -EINVAL },
                { "%G0", NULL, -EINVAL },                /* not hex */
                { "%0G", NULL, -EINVAL },
                { "ok%zz", NULL, -EINVAL },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *out = NULL;
                size_t len = 0;
                int r = url_decode(t[i].in, strlen(t[i].in), &out, &len);
                if (r != t[i].r)
                        FAIL_AT("url_decode(\"%s\") = %d, expected %d", t[i].in, r, t[i].r);
                if (r == 0) {
                        ASSERT_STR_EQ(out, t[i].out);
                        ASSERT_INT_EQ(len, strlen(t[i].out));
                }
        }
        /* A NUL byte decoded is kept, counted in the length. */
        _cleanup_free_ char *nul = NULL;
        size_t len = 0;
        ASSERT_INT_EQ(url_decode("a%00b", 5, &nul, &len), 0);
        ASSERT_INT_EQ(len, 3);
        ASSERT_TRUE(memcmp(nul, "a\0b", 3) == 0);
}

/* A document with N Allow and N Deny wildcard actions that make hard inclusion questions. */
static char *hard_wildcards(int n) {
        size_t size = (size_t) n * 80 + 256, len = 0;
        char *s = malloc(size);
        if (!s)
                return NULL;
        len += (size_t) snprintf(s + len, size - len, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[");
        for (int i = 0; i < n; i++) {
                len += (size_t) snprintf(s + len, size - len, "%s\"ecs:*%c*%c*%c?%.*s*", i ? "," : "", 'a' + i % 26,
                                         'a' + (i / 26) % 26, 'a' + (i * 7) % 26, i % 8, "Describe");
                for (int k = 0; k < i % 7; k++)
                        len += (size_t) snprintf(s + len, size - len, "?*");
                len += (size_t) snprintf(s + len, size - len, "\"");
        }
        len += (size_t) snprintf(s + len, size - len, "],\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":[");
        for (int i = 0; i < n; i++) {
                len += (size_t) snprintf(s + len, size - len, "%s\"ecs:*%c?%c*%c*", i ? "," : "", 'a' + i % 26,
                                         'a' + (i / 26) % 26, 'a' + (i * 3) % 26);
                for (int k = 0; k < i % 9; k++)
                        len += (size_t) snprintf(s + len, size - len, "?*");
                len += (size_t) snprintf(s + len, size - len, "\"");
        }
        snprintf(s + len, size - len, "],\"Resource\":\"*\"}]}");
        return s;
}

static bool has_budget_note(const struct audit_result *res) {
        for (size_t i = 0; i < res->n_findings; i++)
                if (res->findings[i].kind == FINDING_NOTE && strstr(res->findings[i].message, "work budget"))
                        return true;
        return false;
}

TEST(subject_work_budget) {
        /* 1 000 Allow x 1 000 Deny wildcard actions (issue 13: 57 s before any budget): the
         * subject's searches stop at its budget, the undecided patterns count as excess, and a
         * note says so; the next subject has a budget of its own. Counted in search steps, not
         * timed. */
        _cleanup_free_ char *hard = hard_wildcards(1000);
        struct reference *ref = NULL;
        struct auditor *a = NULL;
        struct policy *p = NULL, *easy = NULL;
        struct subject *s = NULL, *s2 = NULL;
        struct audit_result *res = NULL, *res2 = NULL;
        _cleanup_free_ char *err = NULL;

        ASSERT_TRUE(hard);
        ASSERT_TRUE(strlen(hard) < 1024 * 1024);
        ASSERT_INT_EQ(reference_load(NULL, &ref, &err), 0);
        ASSERT_INT_EQ(auditor_new(ref, &a), 0);
        ASSERT_INT_EQ(policy_parse_buffer("hard", hard, strlen(hard), &p, &err), 0);
        ASSERT_INT_EQ(subject_new("hard", &s), 0);
        ASSERT_INT_EQ(subject_add_policy(s, p, "", true), 0);
        ASSERT_INT_EQ(auditor_run(a, s, &res), 0);
        ASSERT_INT_EQ(res->verdict, VERDICT_FAIL);
        ASSERT_TRUE(has_budget_note(res));
        size_t undecided = 0;
        for (size_t i = 0; i < res->n_findings; i++)
                if (res->findings[i].kind == FINDING_EXCESS && strstr(res->findings[i].message, "could not be shown"))
                        undecided++;
        ASSERT_TRUE(undecided > 0);

        const char *doc = DOC(AGENT_STMT);
        ASSERT_INT_EQ(policy_parse_buffer("easy", doc, strlen(doc), &easy, &err), 0);
        ASSERT_INT_EQ(subject_new("easy", &s2), 0);
        ASSERT_INT_EQ(subject_add_policy(s2, easy, "", true), 0);
        ASSERT_INT_EQ(auditor_run(a, s2, &res2), 0);
        ASSERT_INT_EQ(res2->verdict, VERDICT_PASS);
        ASSERT_FALSE(has_budget_note(res2));

        audit_result_free(res);
        audit_result_free(res2);
        subject_free(s);
        subject_free(s2);
        auditor_free(a);
        reference_free(ref);
}
