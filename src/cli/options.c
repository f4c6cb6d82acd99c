/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdarg.h>

#include <strings.h>
#include <sys/stat.h>

#include "lib/atomic-file.h"
#include "cli/commands.h"
#include "lib/escape.h"
#include "persist/flavour.h"
#include "lib/kv-file.h"
#include "lib/log.h"
#include "cli/options.h"
#include "persist/persist.h"
#include "lib/util.h"

enum {
        OPT_BACKEND = 'b',
        OPT_INTERFACE = 'i',
        OPT_DRY_RUN = 'n',
        OPT_QUIET = 'q',
        OPT_VERBOSE = 'v',
        OPT_HELP = 'h',
        OPT_NO_IPV6 = 0x100,
        OPT_ROOT,
        OPT_FLAVOUR,
        OPT_JSON,
        OPT_FIX,
        OPT_FORMAT,
        OPT_REFERENCE,
        OPT_POLICY,
        OPT_SSM_INVENTORY,
        OPT_VERSION,
        OPT_LIST_REFERENCES,
};

/* The one table behind getopt, validation and --help. */
static const struct option_def {
        const char *name;
        int id;
        int has_arg;
        unsigned commands;
        const char *arg;
        const char *help;
} option_defs[] = {
        { "backend", OPT_BACKEND, required_argument, CMD_ALL, "auto|iptables|nftables",
          "firewall backend (default auto: the one this host uses)" },
        { "interface", OPT_INTERFACE, required_argument, CMD_ALL, "PATTERN",
          "container-side interface, iptables syntax, repeatable (default docker+)" },
        { "no-ipv6", OPT_NO_IPV6, no_argument, CMD_ALL, NULL, "block IPv4 only (default: also fd00:ec2::254)" },
        { "root", OPT_ROOT, required_argument, CMD_ALL, "DIR", "read and write configuration under DIR" },
        { "flavour", OPT_FLAVOUR, required_argument, CMD_ALL, "al1|al2|al2023|debian|none",
          "AMI flavour for persist/status (default: from os-release)" },
        { "json", OPT_JSON, no_argument, CMD_VERIFY | CMD_STATUS | CMD_AUDIT_POLICY | CMD_RULES, NULL,
          "one JSON document on stdout" },
        { "dry-run", OPT_DRY_RUN, no_argument, CMD_ALL, NULL, "print what would change, change nothing" },
        { "fix", OPT_FIX, no_argument, CMD_VERIFY, NULL, "verify: re-apply what is missing" },
        { "format", OPT_FORMAT, required_argument, CMD_RULES, "iptables|nft", "rules: output syntax" },
        { "reference", OPT_REFERENCE, required_argument, CMD_AUDIT_POLICY | CMD_STATUS, "NAME|NAME@vN|FILE",
          "policy to compare with (default AmazonEC2ContainerServiceforEC2Role)" },
        { "list-references", OPT_LIST_REFERENCES, no_argument, CMD_AUDIT_POLICY, NULL,
          "audit-policy: list the shipped AWS managed policies and the data's date" },
        { "policy", OPT_POLICY, required_argument, CMD_STATUS, "FILE", "status: the instance role's policy" },
        { "ssm-inventory", OPT_SSM_INVENTORY, optional_argument, CMD_STATUS, "[=DIR]",
          "status: also write Custom:ECSHarden for SSM Inventory (default: the SSM Agent's folder)" },
        { "quiet", OPT_QUIET, no_argument, CMD_ALL, NULL, "print errors only" },
        { "verbose", OPT_VERBOSE, no_argument, CMD_ALL, NULL, "print more detail" },
        { "help", OPT_HELP, no_argument, CMD_ALL, NULL, "show this help" },
        { "version", OPT_VERSION, no_argument, CMD_ALL, NULL, "show the version" },
};

void options_usage(FILE *f) {
        fprintf(f, "Usage: ecs-harden [OPTIONS] COMMAND [ARGS]\n\n"
                   "Blocks containers on an ECS container instance from the instance metadata service.\n\n"
                   "Commands:\n");
        for (size_t i = 0; i < n_commands; i++) {
                char left[64];
                snprintf(left, sizeof(left), "%s%s%s", commands[i].name, commands[i].args ? " " : "",
                         strempty(commands[i].args));
                fprintf(f, "  %-24s %s\n", left, commands[i].summary);
        }
        fprintf(f, "\nOptions:\n");
        for (size_t i = 0; i < ELEMENTSOF(option_defs); i++) {
                const struct option_def *d = &option_defs[i];
                char left[80];
                if (d->id < 0x100)
                        snprintf(left, sizeof(left), "-%c, --%s%s%s", d->id, d->name, d->arg ? " " : "",
                                 strempty(d->arg));
                else
                        snprintf(left, sizeof(left), "    --%s%s%s", d->name,
                                 d->arg && d->has_arg != optional_argument ? " " : "", strempty(d->arg));
                fprintf(f, "  %-38s %s\n", left, d->help);
        }
        fprintf(f, "\nExit status: 0 success, 1 the thing checked is not so, 2 bad usage or input,\n"
                   "3 the environment refused (not root, no kernel support). See ecs-harden(8).\n");
}

_printf_(1, 2) static int usage_error(const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        /* The arguments quoted in it are the user's: escaped and cut like every message. */
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        char line[ESCAPE_BUFSIZE(LOG_LINE_MAX)];
        fprintf(stderr, "ecs-harden: %s\nTry 'ecs-harden --help' for more information.\n",
                escape_str(msg ? msg : fmt, LOG_LINE_MAX, line, sizeof(line)));
        return -EINVAL;
}

static int set_backend(struct options *o, const char *v) {
        return fw_backend_from_string(v, &o->backend);
}

int options_parse(int argc, char **argv, struct options *o, int *ret_first_arg) {
        struct option longopts[ELEMENTSOF(option_defs) + 1];
        char shortopts[64] = "";
        unsigned used = 0;
        const char *used_name[32] = {};
        size_t n = 0;
        int c;

        for (size_t i = 0; i < ELEMENTSOF(option_defs); i++) {
                const struct option_def *d = &option_defs[i];
                longopts[i] = (struct option) { d->name, d->has_arg, NULL, d->id };
                if (d->id < 0x100) {
                        shortopts[n++] = (char) d->id;
                        if (d->has_arg == required_argument)
                                shortopts[n++] = ':';
                }
        }
        longopts[ELEMENTSOF(option_defs)] = (struct option) {};

        memset(o, 0, sizeof(*o));
        o->root = "/";
        o->block.ipv6 = true;
        opterr = 0;
        optind = 1;

        while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) >= 0) {
                const char *reason = NULL;
                int r;

                if (c == '?') {
                        for (size_t i = 0; optopt && i < ELEMENTSOF(option_defs); i++)
                                if (option_defs[i].id == optopt)
                                        return usage_error("option '--%s' needs an argument (%s)",
                                                           option_defs[i].name, option_defs[i].arg);
                        return usage_error("unknown option '%s'", ESC(argv[optind - 1]));
                }
                for (size_t i = 0; i < ELEMENTSOF(option_defs); i++)
                        if (option_defs[i].id == c && option_defs[i].commands != CMD_ALL) {
                                used |= 1u << i;
                                used_name[i] = option_defs[i].name;
                        }

                switch (c) {
                case OPT_BACKEND:
                        if (set_backend(o, optarg) < 0)
                                return usage_error("unknown backend '%s' (expected auto, iptables or nftables)", ESC(optarg));
                        o->set_backend = true;
                        break;
                case OPT_INTERFACE:
                        if (!o->set_interfaces)
                                o->block.n_patterns = 0;
                        o->set_interfaces = true;
                        r = block_add_pattern(&o->block, optarg, &reason);
                        if (r < 0) {
                                fprintf(stderr, "ecs-harden: invalid interface pattern '%s': %s\n", ESC(optarg), reason);
                                return usage_error("%s", "see -i in --help");
                        }
                        break;
                case OPT_NO_IPV6:
                        o->block.ipv6 = false;
                        o->set_ipv6 = true;
                        break;
                case OPT_ROOT:
                        if (optarg[0] != '/')
                                return usage_error("--root needs an absolute path, not '%s'", ESC(optarg));
                        o->root = optarg;
                        break;
                case OPT_FLAVOUR: {
                        enum flavour f;
                        if (flavour_from_string(optarg, &f) < 0)
                                return usage_error("unknown flavour '%s' (expected al1, al2, al2023, debian or none)",
                                                   ESC(optarg));
                        o->flavour = optarg;
                        break;
                }
                case OPT_JSON:
                        o->json = true;
                        break;
                case OPT_DRY_RUN:
                        o->dry_run = true;
                        break;
                case OPT_FIX:
                        o->fix = true;
                        break;
                case OPT_FORMAT:
                        if (streq(optarg, "iptables"))
                                o->format = FORMAT_IPTABLES;
                        else if (streq(optarg, "nft") || streq(optarg, "nftables"))
                                o->format = FORMAT_NFT;
                        else
                                return usage_error("unknown format '%s' (expected iptables or nft)", ESC(optarg));
                        o->set_format = true;
                        break;
                case OPT_REFERENCE:
                        o->reference = optarg;
                        break;
                case OPT_POLICY:
                        o->policy = optarg;
                        break;
                case OPT_SSM_INVENTORY:
                        if (optarg && optarg[0] != '/')
                                return usage_error("--ssm-inventory=DIR needs an absolute path, not '%s'", optarg);
                        o->ssm_inventory = true;
                        o->ssm_inventory_dir = optarg;
                        break;
                case OPT_LIST_REFERENCES:
                        o->list_references = true;
                        break;
                case OPT_QUIET:
                        log_max_level = LOG_LEVEL_ERROR;
                        break;
                case OPT_VERBOSE:
                        log_max_level = log_max_level < LOG_LEVEL_INFO ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG;
                        break;
                case OPT_HELP:
                        options_usage(stdout);
                        return 1;
                case OPT_VERSION:
                        printf("ecs-harden %s\n", PACKAGE_VERSION);
                        return 1;
                }
        }

        if (optind >= argc)
                return usage_error("%s", "no command given");
        const struct command *cmd = command_find(argv[optind]);
        if (!cmd)
                return usage_error("unknown command '%s'", ESC(argv[optind]));

        for (size_t i = 0; i < ELEMENTSOF(option_defs); i++)
                if ((used & (1u << i)) && !(option_defs[i].commands & cmd->bit)) {
                        fprintf(stderr, "ecs-harden: option --%s does not apply to '%s'\n", used_name[i], cmd->name);
                        return usage_error("%s", "see the option list in --help");
                }

        int nargs = argc - optind - 1;
        if (o->list_references && nargs > 0)
                return usage_error("%s", "--list-references takes no operands");
        if ((nargs < cmd->min_args && !o->list_references) || (cmd->max_args >= 0 && nargs > cmd->max_args)) {
                fprintf(stderr, "ecs-harden: '%s' takes %s\n", cmd->name,
                        cmd->args ? cmd->args : "no operands");
                return usage_error("%s", "wrong number of operands");
        }

        *ret_first_arg = optind;
        return 0;
}

/* The configuration file's grammar (README "Configuration file", ecs-harden(8)):
 *   - a UTF-8 byte order mark at the start is skipped;
 *   - each line is blank, a comment (its first non-blank character is '#'), or KEY=value;
 *   - whitespace around KEY and value is dropped; a value wholly in "double" or 'single' quotes
 *     loses them; a '#' in a value is an error, not a comment;
 *   - booleans are one of yes/no, true/false, on/off, 1/0, in any case;
 *   - a key given twice is an error naming both lines;
 *   - an unknown key is a warning (the first CONFIG_MAX_UNKNOWN of them), never silence;
 *   - anything else (a line that is not KEY=value, a NUL byte, more than CONFIG_MAX_SIZE bytes)
 *     is an error naming file and line: exit 2. */
#define CONFIG_MAX_SIZE (1024 * 1024)
#define CONFIG_MAX_UNKNOWN 10
#define CONFIG_MAX_ERRORS 10

enum { CONF_INTERFACES, CONF_IPV6, CONF_BACKEND, _CONF_MAX };
static const char *const config_keys[_CONF_MAX] = {
        [CONF_INTERFACES] = "INTERFACES",
        [CONF_IPV6] = "IPV6",
        [CONF_BACKEND] = "BACKEND",
};

struct config_ctx {
        struct options *o;
        const char *path;
        unsigned n_errors;
        unsigned n_unknown;
        unsigned key_line[_CONF_MAX];
};

static int config_parse_bool(const char *v) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

_printf_(3, 4) static int config_bad(struct config_ctx *c, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        c->n_errors++;
        if (c->n_errors > CONFIG_MAX_ERRORS)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        log_error("%s:%u: %s", c->path, line, msg ? msg : fmt);
        if (c->n_errors == CONFIG_MAX_ERRORS)
                log_error("%s: stopping after %u errors", c->path, CONFIG_MAX_ERRORS);
        return 0; /* keep reading: report every bad line at once (up to the bound) */
}

/* Stray text in a value: a trailing comment, or quotes that do not pair up. */
static const char *value_stray(const char *value) {
        /* No value of this file has a use for '#': one in a value is a comment put in the wrong place. */
        if (strchr(value, '#'))
                return "a '#' in a value is not a comment (comments go on a line of their own)";
        size_t n = strlen(value);
        if (n > 0 && (strchr("\"'", value[0]) || strchr("\"'", value[n - 1])))
                return "its quotes do not pair up (quote the whole value: KEY=\"value\")";
        return NULL;
}

static int config_item(const char *key, const char *value, unsigned line, void *userdata) {
        struct config_ctx *c = userdata;
        struct options *o = c->o;
        const char *stray;
        size_t k;
        int b;

        if (!key)
                return config_bad(c, line, "not a KEY=value line, a blank line or a '#' comment: '%s'", ESC(value));

        for (k = 0; k < _CONF_MAX; k++)
                if (streq(key, config_keys[k]))
                        break;
        if (k == _CONF_MAX) {
                if (++c->n_unknown <= CONFIG_MAX_UNKNOWN)
                        log_warning("%s:%u: unknown key %s, ignored (known: INTERFACES, IPV6, BACKEND)",
                                    c->path, line, ESC(key));
                return 0;
        }
        if (c->key_line[k])
                return config_bad(c, line, "%s is set again (first on line %u); set each key once", key,
                                  c->key_line[k]);
        c->key_line[k] = line;

        stray = value_stray(value);
        if (stray)
                return config_bad(c, line, "%s='%s': %s", key, ESC(value), stray);

        switch (k) {
        case CONF_INTERFACES: {
                struct block bl = { .ipv6 = o->block.ipv6 };
                _cleanup_free_ char *copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
                for (char *save = NULL, *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
                        const char *reason;
                        if (block_add_pattern(&bl, tok, &reason) < 0)
                                return config_bad(c, line, "invalid interface pattern '%s': %s", ESC(tok), reason);
                }
                if (bl.n_patterns == 0)
                        return config_bad(c, line, "INTERFACES names no interface");
                if (!o->set_interfaces) {
                        memcpy(o->block.patterns, bl.patterns, sizeof(bl.patterns));
                        o->block.n_patterns = bl.n_patterns;
                }
                break;
        }
        case CONF_IPV6:
                b = config_parse_bool(value);
                if (b < 0)
                        return config_bad(c, line, "%s must be yes or no (also true/false, on/off, 1/0), not '%s'",
                                          key, ESC(value));
                if (!o->set_ipv6)
                        o->block.ipv6 = b;
                break;
        case CONF_BACKEND: {
                enum fw_backend_kind kind;
                if (fw_backend_from_string(value, &kind) < 0)
                        return config_bad(c, line, "BACKEND must be auto, iptables or nftables, not '%s'", ESC(value));
                if (!o->set_backend)
                        o->backend = kind;
                break;
        }
        }
        return 0;
}

int options_parse_config_text(struct options *o, char *text, const char *path) {
        struct config_ctx c = { .o = o, .path = path };
        int r = kv_parse(text, config_item, &c);
        if (r < 0)
                return r;
        if (c.n_unknown > CONFIG_MAX_UNKNOWN)
                log_warning("%s: %u more unknown keys not listed", path, c.n_unknown - CONFIG_MAX_UNKNOWN);
        return c.n_errors > 0 ? -EINVAL : 0;
}

int options_load_config(struct options *o) {
        _cleanup_free_ char *path = path_join_root(o->root, ECS_HARDEN_CONF);
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t size;
        int r;

        if (!path)
                return log_error_errno(-ENOMEM, "Out of memory");
        /* The root must exist for every command alike (persist refuses a missing one too). */
        if (stat(o->root, &st) < 0 || !S_ISDIR(st.st_mode)) {
                r = stat(o->root, &st) < 0 ? negative_errno() : -ENOTDIR;
                log_error_errno(r, "--root %s: %m; give the folder that holds the image's /etc", ESC(o->root));
                return -EINVAL;
        }
        r = read_file_in_root(o->root, ECS_HARDEN_CONF, &text, &size);
        if (r == -ENOENT)
                return 0;
        if (r == -EBADFD || r == -EISDIR) {
                log_error("%s is not a regular file (%s); the configuration must be a KEY=value text file",
                          ESC(path), r == -EISDIR ? "a folder" : "a FIFO, socket or device");
                return -EINVAL;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to read %s: %m", ESC(path));
                return -EINVAL;
        }
        if (size > CONFIG_MAX_SIZE) {
                log_error("%s is %zu bytes; a configuration file is at most %u bytes", ESC(path), size,
                          CONFIG_MAX_SIZE);
                return -EINVAL;
        }
        if (memchr(text, '\0', size)) {
                log_error("%s holds a NUL byte; it is not a KEY=value text file", ESC(path));
                return -EINVAL;
        }
        return options_parse_config_text(o, text, path);
}

void options_finish(struct options *o) {
        if (o->block.n_patterns == 0)
                (void) block_add_pattern(&o->block, "docker+", NULL);
        if (!o->set_format)
                o->format = o->backend == FW_BACKEND_NFTABLES ? FORMAT_NFT : FORMAT_IPTABLES;
}
