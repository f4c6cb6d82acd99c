/* SPDX-License-Identifier: Apache-2.0 */
/* ecs-config: the ECS agent settings that complement the block. */
#include "status/check.h"
#include "lib/kv-file.h"

#define ECS_CONFIG "/etc/ecs/ecs.config"

static const struct setting {
        const char *key;
        const char *why;
} settings[] = {
        { "ECS_ENABLE_TASK_IAM_ROLE",
          "tasks get credentials for their own task role from the agent (169.254.170.2), so they need not "
          "borrow the instance role through IMDS, which the block closes to them" },
        { "ECS_AWSVPC_BLOCK_IMDS",
          "tasks in awsvpc network mode leave through their own ENI, never through the host's FORWARD chain; "
          "only the agent can block IMDS inside their network namespace" },
};

struct seen {
        char *value[ELEMENTSOF(settings)];
        unsigned line[ELEMENTSOF(settings)];
};

static int item(const char *key, const char *value, unsigned line, void *userdata) {
        struct seen *s = userdata;

        if (!key)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(settings); i++)
                if (streq(key, settings[i].key)) {
                        /* The agent reads the file as an environment file: the last line wins. */
                        char *v = strdup(value);
                        if (!v)
                                return -ENOMEM;
                        free(s->value[i]);
                        s->value[i] = v;
                        s->line[i] = line;
                }
        return 0;
}

/* As Go's strconv.ParseBool, which the agent uses for these settings. */
static int parse_bool(const char *v) {
        static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
        static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (streq(v, yes[i]))
                        return 1;
                if (streq(v, no[i]))
                        return 0;
        }
        return -EINVAL;
}

int check_ecs_config(const struct check_ctx *ctx, struct check_result *ret) {
        _cleanup_free_ char *path = path_join_root(ctx->root, ECS_CONFIG);
        struct seen seen = {};
        char missing[256] = "", lines[256] = "";
        size_t n_bad = 0;
        int r;

        if (!path)
                return -ENOMEM;

        r = kv_parse_file(ctx->root, ECS_CONFIG, item, &seen);
        if (r < 0 && r != -ENOENT) {
                errno = -r;
                r = check_result_set(ret, CHECK_WARN, "cannot read %s: %m", path);
                if (r >= 0)
                        r = check_result_remedy(ret, "make %s a readable KEY=value file with "
                                                     "ECS_ENABLE_TASK_IAM_ROLE=true and ECS_AWSVPC_BLOCK_IMDS=true",
                                                path);
                goto out;
        }
        if (r == -ENOENT) {
                r = check_result_detail(ret, "%s does not exist: the agent's defaults apply (false for both)", path);
                if (r < 0)
                        goto out;
        }

        for (size_t i = 0; i < ELEMENTSOF(settings); i++) {
                const char *v = seen.value[i];
                int b = v ? parse_bool(v) : 0;

                if (b > 0)
                        r = check_result_detail(ret, "%s=%s (line %u): %s", settings[i].key, v, seen.line[i],
                                                settings[i].why);
                else {
                        if (!v)
                                r = check_result_detail(ret, "%s is not set (the agent's default is false); "
                                                             "with =true %s", settings[i].key, settings[i].why);
                        else
                                r = check_result_detail(ret, "%s=%s (line %u)%s; with =true %s", settings[i].key, v,
                                                        seen.line[i], b < 0 ? ", not a boolean the agent reads" : "",
                                                        settings[i].why);
                        snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
                                 n_bad ? " and " : "", settings[i].key);
                        snprintf(lines + strlen(lines), sizeof(lines) - strlen(lines), "%s%s=true",
                                 n_bad ? ", " : "", settings[i].key);
                        n_bad++;
                }
                if (r < 0)
                        goto out;
        }

        if (n_bad == 0) {
                r = check_result_set(ret, CHECK_PASS, "%s enables task IAM roles and blocks IMDS for awsvpc tasks",
                                     path);
                goto out;
        }
        r = check_result_set(ret, CHECK_WARN, "%s does not set %s to true", path, missing);
        if (r >= 0)
                r = check_result_remedy(ret, "add %s to %s, then restart the ECS agent (systemctl restart ecs)",
                                        lines, path);
out:
        for (size_t i = 0; i < ELEMENTSOF(settings); i++)
                free(seen.value[i]);
        return r;
}
