/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdarg.h>

#include "commands.h"
#include "flavour.h"
#include "kv-file.h"
#include "log.h"
#include "options.h"
#include "util.h"

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
                        snprintf(left, sizeof(left), "    --%s%s%s", d->name, d->arg ? " " : "", strempty(d->arg));
                fprintf(f, "  %-38s %s\n", left, d->help);
        }
        fprintf(f, "\nExit status: 0 success, 1 the thing checked is not so, 2 bad usage or input,\n"
                   "3 the environment refused (not root, no kernel support). See ecs-harden(8).\n");
}

_printf_(1, 2) static int usage_error(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "ecs-harden: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'ecs-harden --help' for more information.\n");
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
                        return usage_error("unknown option '%s'", argv[optind - 1]);
                }
                for (size_t i = 0; i < ELEMENTSOF(option_defs); i++)
                        if (option_defs[i].id == c && option_defs[i].commands != CMD_ALL) {
                                used |= 1u << i;
                                used_name[i] = option_defs[i].name;
                        }

                switch (c) {
                case OPT_BACKEND:
                        if (set_backend(o, optarg) < 0)
                                return usage_error("unknown backend '%s' (expected auto, iptables or nftables)", optarg);
                        o->set_backend = true;
                        break;
                case OPT_INTERFACE:
                        if (!o->set_interfaces)
                                o->block.n_patterns = 0;
                        o->set_interfaces = true;
                        r = block_add_pattern(&o->block, optarg, &reason);
                        if (r < 0) {
                                fprintf(stderr, "ecs-harden: invalid interface pattern '%s': %s\n", optarg, reason);
                                return usage_error("%s", "see -i in --help");
                        }
                        break;
                case OPT_NO_IPV6:
                        o->block.ipv6 = false;
                        o->set_ipv6 = true;
                        break;
                case OPT_ROOT:
                        if (optarg[0] != '/')
                                return usage_error("--root needs an absolute path, not '%s'", optarg);
                        o->root = optarg;
                        break;
                case OPT_FLAVOUR: {
                        enum flavour f;
                        if (flavour_from_string(optarg, &f) < 0)
                                return usage_error("unknown flavour '%s' (expected al1, al2, al2023, debian or none)",
                                                   optarg);
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
                                return usage_error("unknown format '%s' (expected iptables or nft)", optarg);
                        o->set_format = true;
                        break;
                case OPT_REFERENCE:
                        o->reference = optarg;
                        break;
                case OPT_POLICY:
                        o->policy = optarg;
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
                return usage_error("unknown command '%s'", argv[optind]);

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

struct config_ctx {
        struct options *o;
        const char *path;
        bool failed;
};

static int config_bad(struct config_ctx *c, unsigned line, const char *what, const char *value) {
        log_error("%s:%u: %s '%s'", c->path, line, what, value);
        c->failed = true;
        return 0; /* keep reading: report every bad line at once */
}

static int config_item(const char *key, const char *value, unsigned line, void *userdata) {
        struct config_ctx *c = userdata;
        struct options *o = c->o;

        if (!key)
                return config_bad(c, line, "not a KEY=value line:", value);

        if (streq(key, "INTERFACES")) {
                struct block b = { .ipv6 = o->block.ipv6 };
                _cleanup_free_ char *copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
                for (char *save = NULL, *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
                        const char *reason;
                        if (block_add_pattern(&b, tok, &reason) < 0) {
                                char msg[160];
                                snprintf(msg, sizeof(msg), "invalid interface pattern (%s):", reason);
                                return config_bad(c, line, msg, tok);
                        }
                }
                if (b.n_patterns == 0)
                        return config_bad(c, line, "INTERFACES names no interface:", value);
                if (!o->set_interfaces) {
                        memcpy(o->block.patterns, b.patterns, sizeof(b.patterns));
                        o->block.n_patterns = b.n_patterns;
                }
        } else if (streq(key, "IPV6")) {
                bool v;
                if (streq(value, "yes") || streq(value, "true") || streq(value, "1"))
                        v = true;
                else if (streq(value, "no") || streq(value, "false") || streq(value, "0"))
                        v = false;
                else
                        return config_bad(c, line, "IPV6 must be yes or no, not", value);
                if (!o->set_ipv6)
                        o->block.ipv6 = v;
        } else if (streq(key, "BACKEND")) {
                enum fw_backend_kind k;
                if (fw_backend_from_string(value, &k) < 0)
                        return config_bad(c, line, "BACKEND must be auto, iptables or nftables, not", value);
                if (!o->set_backend)
                        o->backend = k;
        } else
                log_warning("%s:%u: unknown key %s, ignored (known: INTERFACES, IPV6, BACKEND)", c->path, line, key);
        return 0;
}

int options_parse_config_text(struct options *o, char *text, const char *path) {
        struct config_ctx c = { .o = o, .path = path };
        int r = kv_parse(text, config_item, &c);
        if (r < 0)
                return r;
        return c.failed ? -EINVAL : 0;
}

int options_load_config(struct options *o) {
        _cleanup_free_ char *path = path_join_root(o->root, "/etc/ecs-harden.conf");
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        if (!path)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = read_full_file(path, &text, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                log_error_errno(r, "Failed to read %s: %m", path);
                return -EINVAL;
        }
        if (memchr(text, '\0', size)) {
                log_error("%s holds a NUL byte; it is not a KEY=value text file", path);
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
