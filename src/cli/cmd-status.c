/* SPDX-License-Identifier: Apache-2.0 */
/* status: runs every check of the registry (src/check.c) and reports them as aligned text or as
 * the JSON document of the contract; findings also go to the journal under systemd. */
#include <strings.h>

#include "status/check.h"
#include "cli/commands.h"
#include "status/imds.h"
#include "status/journal.h"
#include "lib/json-out.h"
#include "lib/log.h"
#include "status/ssm-inventory.h"
#include "lib/util.h"

struct status_run {
        struct check_result results[32];
        unsigned counts[_CHECK_STATUS_MAX];
        bool any_fail, any_warn;
};

static int run_checks(const struct check_ctx *ctx, struct status_run *run) {
        for (size_t i = 0; i < n_checks; i++) {
                struct check_result *res = &run->results[i];
                int r = checks[i].run(ctx, res);

                if (r < 0 || !res->summary) {
                        if (r == -ENOMEM)
                                return r;
                        /* A check that could not judge is worth a look, not a pass. */
                        check_result_done(res);
                        errno = r < 0 ? -r : EINVAL;
                        r = check_result_set(res, CHECK_WARN, "could not be checked: %m");
                        if (r >= 0)
                                r = check_result_remedy(res, "run 'ecs-harden -v status' and look into the error");
                        if (r < 0)
                                return r;
                }
                if (res->status != CHECK_WARN && res->status != CHECK_FAIL && res->remediation) {
                        free(res->remediation);
                        res->remediation = NULL;
                }
                run->counts[res->status]++;
                run->any_fail |= res->status == CHECK_FAIL;
                run->any_warn |= res->status == CHECK_WARN;
        }
        return 0;
}

static bool use_colour(void) {
        const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
        /* https://no-color.org: any non-empty NO_COLOR turns colour off. */
        if (nc && *nc)
                return false;
        if (term && streq(term, "dumb"))
                return false;
        return isatty(STDOUT_FILENO);
}

static const char *colour_of(enum check_status s) {
        switch (s) {
        case CHECK_PASS:
                return "\033[32m";
        case CHECK_WARN:
                return "\033[33m";
        case CHECK_FAIL:
                return "\033[1;31m";
        case CHECK_INFO:
                return "\033[36m";
        default:
                return "\033[2m";
        }
}

static void print_text(const struct check_ctx *ctx, const struct status_run *run) {
        bool colour = use_colour();
        bool quiet = log_max_level <= LOG_LEVEL_ERROR;
        int width = 0;

        for (size_t i = 0; i < n_checks; i++)
                if ((int) strlen(checks[i].id) > width)
                        width = (int) strlen(checks[i].id);

        if (!quiet)
                printf("flavour %s (%s); backend %s (%s)\n\n", flavour_to_string(ctx->flavour),
                       CHECK_TEXT(ctx->flavour_reason), fw_backend_to_string(ctx->backend), CHECK_TEXT(ctx->backend_reason));

        for (size_t i = 0; i < n_checks; i++) {
                const struct check_result *res = &run->results[i];

                if (quiet && res->status != CHECK_WARN && res->status != CHECK_FAIL)
                        continue;
                printf("%s[%s]%s %-*s  %s\n", colour ? colour_of(res->status) : "",
                       check_status_to_string(res->status), colour ? "\033[0m" : "", width, checks[i].id,
                       CHECK_TEXT(res->summary));
                for (size_t j = 0; j < res->n_details; j++)
                        printf("       - %s\n", CHECK_TEXT(res->details[j]));
                if (res->remediation)
                        printf("       %sremediation:%s %s\n", colour ? "\033[1m" : "", colour ? "\033[0m" : "",
                               CHECK_TEXT(res->remediation));
        }

        printf("%s%zu checks: %u pass, %u warn, %u fail, %u skip, %u info\n", quiet ? "" : "\n", n_checks,
               run->counts[CHECK_PASS], run->counts[CHECK_WARN], run->counts[CHECK_FAIL], run->counts[CHECK_SKIP],
               run->counts[CHECK_INFO]);
}

static int print_json(const struct check_ctx *ctx, const struct status_run *run) {
        _cleanup_yajl_gen_ yajl_gen g = json_new();
        if (!g)
                return -ENOMEM;

        json_open_object(g, NULL);
        json_int(g, "version", 1);
        json_open_object(g, "host");
        json_str(g, "flavour", flavour_to_string(ctx->flavour));
        json_str(g, "backend", fw_backend_to_string(ctx->backend));
        json_str(g, "backend_reason", ctx->backend_reason);
        json_close_object(g);
        json_open_array(g, "checks");
        for (size_t i = 0; i < n_checks; i++) {
                const struct check_result *res = &run->results[i];
                json_open_object(g, NULL);
                json_str(g, "id", checks[i].id);
                json_str(g, "status", check_status_to_string(res->status));
                json_str(g, "summary", res->summary);
                json_open_array(g, "details");
                for (size_t j = 0; j < res->n_details; j++)
                        json_str(g, NULL, res->details[j]);
                json_close_array(g);
                json_str(g, "remediation", res->remediation);
                json_close_object(g);
        }
        json_close_array(g);
        json_open_object(g, "summary");
        for (enum check_status s = 0; s < _CHECK_STATUS_MAX; s++)
                json_int(g, check_status_to_key(s), run->counts[s]);
        json_close_object(g);
        json_close_object(g);
        return json_flush_stdout(g);
}

static void log_to_journal(const struct status_run *run) {
        if (!(run->any_fail || run->any_warn) || !journal_wanted())
                return;
        for (size_t i = 0; i < n_checks; i++) {
                const struct check_result *res = &run->results[i];
                if (res->status != CHECK_WARN && res->status != CHECK_FAIL)
                        continue;
                int r = journal_send_check(checks[i].id, check_status_to_string(res->status), res->summary,
                                           CHECK_TEXT(res->remediation));
                if (r < 0) {
                        log_warning_errno(r, "Failed to log the findings to the journal: %m");
                        return;
                }
        }
}

/* --ssm-inventory: the results as Custom:ECSHarden in the SSM Agent's custom inventory folder
 * (src/ssm-inventory.h). 0, or a negative errno after saying what failed. */
static int write_ssm_inventory(const struct check_ctx *ctx, const struct status_run *run) {
        struct ssm_inventory_entry entries[ELEMENTSOF(run->results)];
        _cleanup_free_ char *data = NULL, *agent_dir = NULL;
        const char *base = ctx->o->ssm_inventory_dir, *sub = NULL;
        size_t size;
        int r;

        for (size_t i = 0; i < n_checks; i++)
                entries[i] = (struct ssm_inventory_entry) {
                        .check_id = checks[i].id,
                        .status = check_status_to_string(run->results[i].status),
                        .summary = run->results[i].summary,
                };
        r = ssm_inventory_render(&(struct ssm_inventory_item) {
                                         .entries = entries,
                                         .n_entries = n_checks,
                                         .backend = fw_backend_to_string(ctx->backend),
                                         .flavour = flavour_to_string(ctx->flavour),
                                         .version = PACKAGE_VERSION,
                                         .capture_time = time(NULL),
                                 },
                                 &data, &size);
        if (r < 0)
                return log_error_errno(r, "Failed to build the SSM inventory item: %m");

        if (!base) {
                struct imds *m;
                long status = 0;
                r = check_ctx_imds(ctx, &m);
                if (r >= 0)
                        r = ssm_agent_instance_dir(m, &agent_dir, &status);
                if (r == -EBADMSG)
                        return log_error_errno(r, "Failed to learn the instance id for the SSM inventory: IMDS at %s "
                                               "answered %ld without a valid id; give the folder with "
                                               "--ssm-inventory=DIR", imds_endpoint(m), status);
                if (r < 0)
                        return log_error_errno(r, "Failed to learn the instance id for the SSM inventory: %s; give "
                                               "the folder with --ssm-inventory=DIR",
                                               r == -ENOMEM ? "out of memory" : imds_error_text(r));
                base = agent_dir;
                sub = SSM_INVENTORY_SUBDIR;
        }

        const char *shown_root = streq(ctx->root, "/") ? "" : ctx->root;
        r = ssm_inventory_write(ctx->root, base, sub, data, size);
        if (r == -ENOENT)
                return log_error_errno(r, "No SSM Agent folder %s%s: is the SSM Agent installed and registered "
                                       "on this instance? Nothing written.", shown_root, base);
        if (r < 0)
                return log_error_errno(r, "Failed to write the SSM inventory %s%s/%s%s" SSM_INVENTORY_FILE ": %m",
                                       shown_root, base, strempty(sub), sub ? "/" : "");
        log_info("SSM inventory %s written to %s%s/%s%s" SSM_INVENTORY_FILE, SSM_INVENTORY_TYPE_NAME, shown_root,
                 base, strempty(sub), sub ? "/" : "");
        return 0;
}

int cmd_status(struct options *o, int argc, char **argv) {
        struct check_cache cache = {};
        struct flavour_info flavour;
        struct status_run run = {};
        struct check_ctx ctx = {
                .o = o,
                .root = o->root ? o->root : "/",
                .backend = o->backend,
                .backend_reason = "chosen with --backend or BACKEND=",
                .cache = &cache,
        };
        int r, ret;

        (void) argc, (void) argv;
        _Static_assert(sizeof(run.results) / sizeof(run.results[0]) >= 9, "room for every check");
        if (n_checks > ELEMENTSOF(run.results))
                return log_error_errno(-E2BIG, "Too many checks registered"), EXIT_REFUSED;

        if (geteuid() != 0)
                log_warning("not running as root: the firewall rules cannot be read, so the block checks are "
                            "skipped (run 'sudo ecs-harden status')");
        if (ctx.backend == FW_BACKEND_AUTO)
                ctx.backend = fw_backend_detect(&ctx.backend_reason);
        r = flavour_detect(ctx.root, o->flavour, &flavour);
        if (r < 0)
                return log_error_errno(r, "Failed to determine the AMI flavour: %m"), EXIT_REFUSED;
        ctx.flavour = flavour.flavour;
        ctx.flavour_reason = flavour.reason;

        r = run_checks(&ctx, &run);
        if (r < 0) {
                log_error_errno(r, "Failed to run the status checks: %m");
                ret = EXIT_REFUSED;
                goto out;
        }

        if (o->json) {
                r = print_json(&ctx, &run);
                if (r < 0) {
                        log_error_errno(r, "Failed to write the JSON document: %m");
                        ret = EXIT_REFUSED;
                        goto out;
                }
        } else
                print_text(&ctx, &run);
        fflush(stdout);

        log_to_journal(&run);
        ret = run.any_fail ? EXIT_NOT_SO : EXIT_OK;
        /* The report above stands; an inventory that cannot be written is the environment's refusal. */
        if (o->ssm_inventory && write_ssm_inventory(&ctx, &run) < 0)
                ret = EXIT_REFUSED;
out:
        for (size_t i = 0; i < n_checks; i++)
                check_result_done(&run.results[i]);
        check_cache_done(&cache);
        return ret;
}
