/* SPDX-License-Identifier: Apache-2.0 */
/* apply, remove, verify, rules: the commands that read or change the block itself. */
#include <sys/socket.h>

#include "cli/commands.h"
#include "lib/escape.h"
#include "fw/fw.h"
#include "status/journal.h"
#include "lib/json-out.h"
#include "lib/log.h"
#include "lib/util.h"
#include "fw/xtables-lock.h"

static enum fw_backend_kind resolve_backend(const struct options *o, const char **ret_reason) {
        const char *reason;
        enum fw_backend_kind k = fw_backend_resolve(o->backend, &reason);

        log_info("backend: %s (%s)", fw_backend_to_string(k), reason);
        if (ret_reason)
                *ret_reason = reason;
        return k;
}

int fw_error_exit(int r, const char *what, enum fw_backend_kind k) {
        if (r == -EADDRINUSE && k == FW_BACKEND_NFTABLES) {
                log_error("Failed to %s: table inet ecs_harden is owned by another process (flags owner): the kernel "
                          "lets only that process change it, even root; 'nft list table inet ecs_harden' names it "
                          "(progname); stop it (its table goes with it) and run this again", what);
                return EXIT_REFUSED;
        }
        if (r == -EBUSY && k == FW_BACKEND_NFTABLES) {
                log_error("Failed to %s: table inet ecs_harden holds a chain named forward that is not the block's "
                          "base chain, and the kernel refuses to replace it while another chain jumps to it (EBUSY); "
                          "'nft -a list table inet ecs_harden' shows the jump: delete it, or run 'ecs-harden remove' "
                          "(which deletes the tool's table) and apply again", what);
                return EXIT_REFUSED;
        }
        switch (r) {
        case -EPERM:
        case -EACCES:
                log_error("Failed to %s: permission denied; run as root (needs CAP_NET_ADMIN)", what);
                break;
        case -EPROTONOSUPPORT:
                if (k == FW_BACKEND_IPTABLES)
                        log_error("Failed to %s: the kernel offers no legacy iptables filter table here "
                                  "(ip_tables/ip6_tables); load the modules or use --backend nftables "
                                  "(use --no-ipv6 if only IPv6 is missing)", what);
                else
                        log_error("Failed to %s: the kernel offers no nf_tables here; load nf_tables or use "
                                  "--backend iptables", what);
                break;
        case -ENOLCK:
                log_error("Failed to %s: the iptables lock file %s cannot be used (said above); nothing was changed",
                          what, ESC(xtables_lock_path()));
                break;
        case -ETIMEDOUT:
                log_error("Failed to %s: another program held %s for more than 10 s; retry when it is done",
                          what, xtables_lock_path());
                break;
        default:
                log_error_errno(r, "Failed to %s with the %s backend: %m", what, fw_backend_to_string(k));
        }
        return EXIT_REFUSED;
}

/* Tells of a change the tool made: a structured journal entry (ECS_HARDEN_ACTION=) when running
 * as a systemd service, a line on stderr otherwise. */
static void report_change(const char *action, enum fw_backend_kind k, const char *message) {
        if (journal_wanted() && journal_send_action(action, fw_backend_to_string(k), message) >= 0)
                return;
        log_notice("%s", message);
}

static const char *family_name(int family) {
        return family == AF_INET6 ? "ipv6" : "ipv4";
}

static void print_dry_run(const struct fw_status *st) {
        for (size_t i = 0; i < st->n_rules; i++) {
                const struct fw_rule_status *rs = &st->rules[i];
                const char *addr = block_address_string(rs->family);

                if (rs->copies == 0)
                        printf("would insert: %s -i %s -d %s drop\n", family_name(rs->family), rs->pattern, addr);
                else if (!rs->effective)
                        printf("would move to the head: %s -i %s -d %s drop (an earlier rule can accept first)\n",
                               family_name(rs->family), rs->pattern, addr);
                else if (rs->copies > 1)
                        printf("would delete %u extra copies: %s -i %s -d %s drop\n", rs->copies - 1,
                               family_name(rs->family), rs->pattern, addr);
                else
                        printf("unchanged: %s -i %s -d %s drop\n", family_name(rs->family), rs->pattern, addr);
        }
        if (st->drift)
                printf("would repair: %s\n", st->drift);
}

/* From what inspect says remove would take, so that the two agree. */
static void print_dry_run_remove(const struct fw_status *st) {
        unsigned total = 0;
        for (size_t i = 0; i < st->n_rules; i++)
                if (st->rules[i].removable > 0) {
                        printf("would delete %u: %s -i %s -d %s drop\n", st->rules[i].removable,
                               family_name(st->rules[i].family), st->rules[i].pattern,
                               block_address_string(st->rules[i].family));
                        total += st->rules[i].removable;
                }
        if (st->remove_note)
                printf("would %s\n", st->remove_note);
        else if (total == 0)
                printf("nothing to delete\n");
}

/* --dry-run: reads the rules and prints what the command would do with PRINT. */
static int dry_run(const struct options *o, enum fw_backend_kind k, void (*print)(const struct fw_status *st)) {
        struct fw_status st;
        int r = fw_inspect(k, &o->block, &st);
        if (r < 0)
                return fw_error_exit(r, "read the firewall rules", k);
        print(&st);
        fw_status_done(&st);
        return EXIT_OK;
}

int cmd_apply(struct options *o, int argc, char **argv) {
        enum fw_backend_kind k = resolve_backend(o, NULL);
        bool changed;
        int r;

        (void) argc, (void) argv;
        if (o->dry_run)
                return dry_run(o, k, print_dry_run);

        r = fw_apply(k, &o->block, &changed);
        if (r < 0)
                return fw_error_exit(r, "apply the metadata block", k);
        if (changed)
                report_change("apply", k, "metadata block applied");
        else
                log_notice("metadata block already in place; nothing changed");
        return EXIT_OK;
}

int cmd_remove(struct options *o, int argc, char **argv) {
        enum fw_backend_kind k = resolve_backend(o, NULL);
        unsigned removed;
        int r;

        (void) argc, (void) argv;
        if (o->dry_run)
                return dry_run(o, k, print_dry_run_remove);

        r = fw_remove(k, &o->block, &removed);
        if (r < 0)
                return fw_error_exit(r, "remove the metadata block", k);
        if (removed > 0) {
                char msg[64];
                snprintf(msg, sizeof(msg), "removed %u rule%s of the metadata block", removed, removed == 1 ? "" : "s");
                report_change("remove", k, msg);
        } else
                log_notice("removed 0 rules: no rule of the metadata block was there");
        return EXIT_OK;
}

static void verify_print_text(const struct fw_status *st, bool complete, bool fixed) {
        for (size_t i = 0; i < st->n_rules; i++) {
                const struct fw_rule_status *rs = &st->rules[i];
                const char *state;

                if (rs->copies == 0)
                        state = "MISSING";
                else if (!rs->effective)
                        state = "INEFFECTIVE";
                else if (rs->copies > 1)
                        state = "DUPLICATED";
                else
                        state = "OK";
                printf("%-11s %s -i %s -d %s", state, family_name(rs->family), rs->pattern,
                       block_address_string(rs->family));
                if (rs->copies > 0)
                        printf(" (%s, position %u%s)", st->where, rs->position,
                               rs->copies > 1 ? ", more than one copy" : "");
                if (!rs->configured)
                        printf(rs->copies > 0 ? " [installed, not configured: kept]"
                                              : " [installed for the other family, not configured: --fix adds it]");
                putchar('\n');
                /* Rules ahead carry text from outside (comments, names): escaped, so none can
                 * start a line of its own. */
                for (size_t j = 0; j < rs->n_ahead; j++)
                        if (rs->ahead[j].harmful || log_max_level >= LOG_LEVEL_INFO)
                                printf("            ahead: %s: %s\n", ESCN(rs->ahead[j].rule, 1024),
                                       ESCN(rs->ahead[j].why, 1024));
        }
        if (st->drift)
                printf("DRIFT       %s\n", ESCN(st->drift, 1024));
        if (complete)
                printf("%s\n", fixed ? "block repaired and in place" : "block in place and effective");
        else
                printf("block not in place; run 'ecs-harden verify --fix' (or apply)\n");
}

static void verify_print_json(const struct fw_status *st, const char *reason, bool complete, bool fixed) {
        _cleanup_yajl_gen_ yajl_gen g = json_new();
        if (!g)
                return;

        json_open_object(g, NULL);
        json_int(g, "version", 1);
        json_str(g, "backend", fw_backend_to_string(st->backend));
        json_str(g, "backend_reason", reason);
        json_str(g, "where", st->where);
        json_str(g, "drift", st->drift);
        json_bool(g, "ok", complete);
        json_bool(g, "fixed", fixed);
        json_open_array(g, "rules");
        for (size_t i = 0; i < st->n_rules; i++) {
                const struct fw_rule_status *rs = &st->rules[i];
                json_open_object(g, NULL);
                json_str(g, "family", family_name(rs->family));
                json_str(g, "interface", rs->pattern);
                json_str(g, "address", block_address_string(rs->family));
                json_bool(g, "configured", rs->configured);
                json_bool(g, "present", rs->copies > 0);
                json_int(g, "copies", rs->copies);
                json_int(g, "position", rs->position);
                json_bool(g, "effective", rs->effective);
                json_open_array(g, "ahead");
                for (size_t j = 0; j < rs->n_ahead; j++) {
                        json_open_object(g, NULL);
                        json_str(g, "rule", rs->ahead[j].rule);
                        json_bool(g, "harmful", rs->ahead[j].harmful);
                        json_str(g, "why", rs->ahead[j].why);
                        json_close_object(g);
                }
                json_close_array(g);
                json_close_object(g);
        }
        json_close_array(g);
        json_close_object(g);
        (void) json_flush_stdout(g);
}

int cmd_verify(struct options *o, int argc, char **argv) {
        const char *reason;
        enum fw_backend_kind k = resolve_backend(o, &reason);
        struct fw_status st;
        bool fixed = false;
        int r;

        (void) argc, (void) argv;
        r = fw_inspect(k, &o->block, &st);
        if (r < 0)
                return fw_error_exit(r, "read the firewall rules", k);

        if (o->fix && !fw_status_complete(&st)) {
                if (o->dry_run) {
                        print_dry_run(&st);
                        fw_status_done(&st);
                        return EXIT_NOT_SO;
                }
                bool changed;
                fw_status_done(&st);
                r = fw_apply(k, &o->block, &changed);
                if (r < 0)
                        return fw_error_exit(r, "repair the metadata block", k);
                fixed = changed;
                if (changed)
                        report_change("repair", k, "metadata block was not in place; repaired");
                r = fw_inspect(k, &o->block, &st);
                if (r < 0)
                        return fw_error_exit(r, "read the firewall rules after the repair", k);
        }

        bool complete = fw_status_complete(&st);
        if (o->json)
                verify_print_json(&st, reason, complete, fixed);
        else if (log_max_level > LOG_LEVEL_ERROR)
                verify_print_text(&st, complete, fixed);
        fw_status_done(&st);
        return complete ? EXIT_OK : EXIT_NOT_SO;
}

int cmd_rules(struct options *o, int argc, char **argv) {
        enum fw_backend_kind k;
        int r;

        (void) argc, (void) argv;
        if (o->set_format)
                k = o->format == FORMAT_NFT ? FW_BACKEND_NFTABLES : FW_BACKEND_IPTABLES;
        else
                k = resolve_backend(o, NULL);

        if (o->json) {
                _cleanup_yajl_gen_ yajl_gen g = json_new();
                _cleanup_free_ char *text = NULL;
                size_t size = 0;
                if (!g)
                        return log_error_errno(-ENOMEM, "Out of memory"), EXIT_REFUSED;
                FILE *f = open_memstream(&text, &size);
                if (!f)
                        return log_error_errno(-ENOMEM, "Out of memory"), EXIT_REFUSED;
                r = fw_print_rules(k, &o->block, f);
                fclose(f);
                if (r < 0)
                        return log_error_errno(r, "Failed to format the rules: %m"), EXIT_REFUSED;
                json_open_object(g, NULL);
                json_int(g, "version", 1);
                json_str(g, "format", k == FW_BACKEND_NFTABLES ? "nft" : "iptables");
                json_open_array(g, "rules");
                for (size_t i = 0; i < o->block.n_patterns; i++)
                        for (size_t f2 = 0; f2 < block_n_families(&o->block); f2++) {
                                int family = block_family(&o->block, f2);
                                json_open_object(g, NULL);
                                json_str(g, "family", family_name(family));
                                json_str(g, "interface", o->block.patterns[i]);
                                json_str(g, "address", block_address_string(family));
                                json_str(g, "verdict", "drop");
                                json_close_object(g);
                        }
                json_close_array(g);
                json_str(g, "text", text);
                json_close_object(g);
                return json_flush_stdout(g) < 0 ? EXIT_REFUSED : EXIT_OK;
        }

        r = fw_print_rules(k, &o->block, stdout);
        if (r < 0)
                return log_error_errno(r, "Failed to print the rules: %m"), EXIT_REFUSED;
        return EXIT_OK;
}
