/* SPDX-License-Identifier: Apache-2.0 */
/* audit-policy's input step (audit/input.h): reads policy documents, role policies, policy
 * versions and authorization dumps with yajl's callback parser, with positions for errors. */
#include <fcntl.h>
#include <sys/stat.h>

#include "audit/input-private.h"
#include "audit/policy-builtin.h"

static void position_from_file(struct parser *p, uint64_t off, unsigned long *line, unsigned long *col);

/* ---- positions and errors ---- */

uint64_t parser_offset(struct parser *p) {
        return p->chunk_base + (p->h ? yajl_get_bytes_consumed(p->h) : 0);
}

/* Moves the line cursor forward to absolute offset OFF (within the current chunk). */
static void advance_to(struct parser *p, uint64_t off) {
        if (off <= p->cursor || !p->chunk)
                return;
        uint64_t end = p->chunk_base + p->chunk_len;
        if (off > end)
                off = end;
        size_t from = p->cursor > p->chunk_base ? (size_t) (p->cursor - p->chunk_base) : 0;
        size_t to = (size_t) (off - p->chunk_base);
        const unsigned char *s = p->chunk + from, *e = p->chunk + to;
        while (s < e) {
                const unsigned char *nl = memchr(s, '\n', (size_t) (e - s));
                if (!nl)
                        break;
                p->line++;
                p->line_start = p->chunk_base + (uint64_t) (nl - p->chunk) + 1;
                s = nl + 1;
        }
        p->cursor = off;
}

static void position_of(struct parser *p, uint64_t off, unsigned long *line, unsigned long *col) {
        if (p->lines_from_file) {
                position_from_file(p, off, line, col);
                return;
        }
        advance_to(p, off);
        *line = p->line;
        *col = (unsigned long) (off >= p->line_start ? off - p->line_start : 0) + 1;
}

_printf_(3, 4) static int parser_fail_at(struct parser *p, uint64_t off, const char *fmt, ...) {
        unsigned long line, col;
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        if (p->error)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        position_of(p, off, &line, &col);
        if (asprintf(&p->error, "%s:%lu:%lu: %s", p->path, line, col, msg ? msg : "out of memory") < 0)
                p->error = NULL;
        return 0;       /* yajl: stop parsing */
}

/* Where a malformation is kept instead of stopping: a version of a dump's managed policy (not
 * a nested parser: its error comes back to the outer one, which decides). */
static char **soft_error_slot(struct parser *p) {
        if (p->outer || p->error || !p->mp.active)
                return NULL;
        for (unsigned d = p->depth; d > 0; d--)
                if (p->frames[d].ctx == C_MVERSION)
                        return &p->mp.cur.error;
        return NULL;
}

/* Stops (0) with MSG at LINE:COL, or keeps it with the managed policy version being read (1). */
static int malformed_pos(struct parser *p, unsigned long line, unsigned long col, const char *msg) {
        char **slot = soft_error_slot(p);

        if (p->error)
                return 0;
        if (!slot) {
                if (asprintf(&p->error, "%s:%lu:%lu: %s", p->path, line, col, msg ? msg : "out of memory") < 0)
                        p->error = NULL;
                return 0;       /* yajl: stop parsing */
        }
        if (*slot)
                return 1;       /* the first one names it */
        if (asprintf(slot, "%s:%lu:%lu: %s", p->path, line, col, msg ? msg : "out of memory") < 0) {
                *slot = NULL;
                return parser_oom(p);
        }
        return 1;
}

static int malformed_at(struct parser *p, uint64_t off, const char *msg) {
        unsigned long line, col;

        position_of(p, off, &line, &col);
        return malformed_pos(p, line, col, msg);
}

/* The offset of the token just read; LEN, when known, is the length of a string token, so
 * that the column points at its opening quote. */
static uint64_t here(struct parser *p, size_t len) {
        uint64_t off = parser_offset(p);
        if (len && off >= len + 2)
                off -= len + 2;
        else if (off > 0)
                off--;
        return off;
}

/* An error at the token just read. */
_printf_(3, 4) int parser_fail_here(struct parser *p, size_t len, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        return parser_fail_at(p, here(p, len), "%s", msg ? msg : "out of memory");
}

_printf_(3, 4) int parser_malformed(struct parser *p, size_t len, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        if (p->error)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        return malformed_at(p, here(p, len), msg);
}

/* A statement that is wrong as a whole: named by its index and where it starts. */
_printf_(2, 3) static int fail_statement(struct parser *p, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL, *full = NULL;
        va_list ap;

        if (p->error)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (asprintf(&full, "statement %u: %s", p->stmt_count - 1, msg ? msg : "out of memory") < 0)
                full = NULL;
        /* From a file, counted now; else counted when the statement began (the cursor only
         * moves forward). */
        if (p->lines_from_file)
                position_of(p, p->st.start, &p->st.line, &p->st.column);
        return malformed_pos(p, p->st.line, p->st.column, full);
}

int parser_oom(struct parser *p) {
        if (!p->error)
                p->error = strdup("out of memory");
        return 0;
}

/* ---- containers ---- */

int parser_push(struct parser *p, enum ctx c) {
        if (p->depth + p->skip >= MAX_DEPTH)
                return parser_fail_here(p, 0, "nesting deeper than %d levels", MAX_DEPTH);
        p->frames[++p->depth] = (struct frame) { .ctx = (uint8_t) c, .val = V_SKIP };
        return 1;
}

int parser_start_skip(struct parser *p) {
        if (p->depth + p->skip >= MAX_DEPTH)
                return parser_fail_here(p, 0, "nesting deeper than %d levels", MAX_DEPTH);
        p->skip = 1;
        return 1;
}

enum val parser_next_val(struct parser *p) {
        if (p->depth == 0) {
                if (p->took_root)
                        return V_SKIP;
                p->took_root = true;
                return p->root;
        }
        const struct frame *f = &p->frames[p->depth];
        switch (f->ctx) {
        case C_STMT_LIST:
                return V_STMT;
        case C_ACTION_LIST:
                return V_ACTION_ITEM;
        case C_RESOURCE_LIST:
                return V_RESOURCE_ITEM;
        case C_CAPTURE_ARRAY:
                return V_CAPTURE;
        case C_ROLES:
                return V_ROLE;
        case C_IP_LIST:
                return V_SKIP;
        case C_ROLE_POLICIES:
                return V_ROLE_POLICY;
        case C_ATTACHED_LIST:
                return V_ATTACHED;
        case C_POLICIES:
                return V_MPOLICY;
        case C_MVERSIONS:
                return V_MVERSION;
        default:
                return (enum val) f->val;
        }
}

static const char *what_expected(enum val v) {
        switch (v) {
        case V_DOC:
        case V_DOC_ROOT:
                return "a policy document (an object or a URL-encoded string)";
        case V_STATEMENT:
                return "Statement to be an object or an array of objects";
        case V_STMT:
                return "each element of Statement to be an object";
        case V_SID:
                return "Sid to be a string";
        case V_EFFECT:
                return "Effect to be \"Allow\" or \"Deny\"";
        case V_ACTION:
                return "Action/NotAction to be a string or an array of strings";
        case V_ACTION_ITEM:
                return "only strings in an action list";
        case V_RESOURCE:
                return "Resource/NotResource to be a string or an array of strings";
        case V_RESOURCE_ITEM:
                return "only strings in a resource list";
        case V_CONDITION:
                return "Condition to be an object";
        case V_VERSION:
                return "Version to be a string";
        case V_PVERSION:
                return "PolicyVersion to be an object";
        case V_ROLES:
        case V_ROLE_POLICIES:
        case V_ATTACHED_LIST:
        case V_POLICIES:
        case V_MVERSIONS:
        case V_IP_LIST:
                return "an array";
        case V_ROLE:
        case V_ROLE_POLICY:
        case V_ATTACHED:
        case V_MPOLICY:
        case V_MVERSION:
                return "an object";
        case V_IS_DEFAULT:
                return "a boolean";
        default:
                return "a string";
        }
}

int parser_type_error(struct parser *p, enum val v, const char *got) {
        if (v == V_ROOT)
                return parser_fail_here(p, 0, "not a policy document nor the output of aws iam get-role-policy, "
                                       "get-policy-version or get-account-authorization-details (top level is %s)", got);
        return parser_malformed(p, 0, "expected %s, got %s", what_expected(v), got);
}

/* ---- documents and statements ---- */

static void stmt_reset(struct stmt_builder *st) {
        free(st->sid);
        free(st->condition);
        strv_clear(&st->actions);
        strv_clear(&st->resources);
        strv_clear(&st->blanked);
        struct strv a = st->actions, r = st->resources, b = st->blanked;
        *st = (struct stmt_builder) { .actions = a, .resources = r, .blanked = b };
}

bool action_valid(const char *s, size_t n, const char **why) {
        if (n == 1 && s[0] == '*')
                return true;
        const char *colon = memchr(s, ':', n);
        if (!colon) {
                *why = "is neither * nor prefix:name";
                return false;
        }
        if (colon == s || colon == s + n - 1) {
                *why = "is neither * nor prefix:name (empty prefix or name)";
                return false;
        }
        if (memchr(colon + 1, ':', (size_t) (s + n - colon - 1))) {
                *why = "is neither * nor prefix:name (more than one colon)";
                return false;
        }
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c <= ' ' || c >= 0x7f) {
                        *why = "is neither * nor prefix:name (blank or non-ASCII character)";
                        return false;
                }
        }
        return true;
}

/* A name with blanks (spaces, tabs) that is prefix:name once they are taken out, as AWS itself
 * published some ("access-analyzer:ListTagsForResource ", "amplifybackend: *"). */
bool action_blanked_valid(const char *s, size_t n) {
        char buf[MAX_PATTERN];
        size_t k = 0;
        const char *why;

        if (n > sizeof(buf) || !memchr(s, ':', n))
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] != ' ' && s[i] != '\t')
                        buf[k++] = s[i];
        return k < n && action_valid(buf, k, &why);
}

int doc_begin(struct parser *p, struct policy *target) {
        p->doc = target;
        p->stmt_count = 0;
        p->doc_has_statement = false;
        return 1;
}

int stmt_begin(struct parser *p) {
        stmt_reset(&p->st);
        p->st.start = parser_offset(p) - 1;
        if (!p->lines_from_file)
                position_of(p, p->st.start, &p->st.line, &p->st.column);
        p->stmt_count++;
        return parser_push(p, C_STMT);
}

int stmt_end(struct parser *p) {
        struct stmt_builder *st = &p->st;
        struct policy *d = p->doc;

        if (!st->has_effect)
                return fail_statement(p, "no Effect");
        if (st->has_action && st->has_not_action)
                return fail_statement(p, "has both Action and NotAction");
        if (!st->has_action && !st->has_not_action)
                return fail_statement(p, "has neither Action nor NotAction");
        if (st->has_resource && st->has_not_resource)
                return fail_statement(p, "has both Resource and NotResource");
        if (!d)
                return 1;

        struct statement s = {
                .index = p->stmt_count - 1,
                .allow = st->allow,
                .not_action = st->has_not_action,
                .not_resource = st->has_not_resource,
                .n_actions = st->actions.n,
                .n_resources = st->resources.n,
                .n_blanked = st->blanked.n,
        };
        if (st->sid && !(s.sid = arena_strdup(&d->arena, st->sid)))
                return parser_oom(p);
        if (st->condition && !(s.condition = arena_strdup(&d->arena, st->condition)))
                return parser_oom(p);
        s.actions = arena_alloc(&d->arena, (st->actions.n + 1) * sizeof(char *));
        s.resources = arena_alloc(&d->arena, (st->resources.n + 1) * sizeof(char *));
        s.blanked = arena_alloc(&d->arena, (st->blanked.n + 1) * sizeof(char *));
        if (!s.actions || !s.resources || !s.blanked)
                return parser_oom(p);
        for (size_t i = 0; i < st->blanked.n; i++)
                if (!(s.blanked[i] = arena_strdup(&d->arena, strv_get(&st->blanked, i))))
                        return parser_oom(p);
        for (size_t i = 0; i < st->actions.n; i++)
                if (!(s.actions[i] = arena_strdup(&d->arena, strv_get(&st->actions, i))))
                        return parser_oom(p);
        for (size_t i = 0; i < st->resources.n; i++) {
                const char *r = strv_get(&st->resources, i);
                if (!(s.resources[i] = arena_strdup(&d->arena, r)))
                        return parser_oom(p);
                if (streq(r, "*"))
                        s.resource_star = true;
        }
        if (policy_add_statement(d, &s) < 0)
                return parser_oom(p);
        return 1;
}

static int parse_nested(struct parser *p, const unsigned char *s, size_t len, struct policy *target);

/* A document given as a string: URL-encoded (as the IAM API returns it) or plain JSON text. */
int doc_string(struct parser *p, const unsigned char *s, size_t len, struct policy *target) {
        _cleanup_free_ char *decoded = NULL;
        size_t dlen = len;
        size_t i = 0;
        int r;

        while (i < len && isspace(s[i]))
                i++;
        if (i < len && s[i] == '{') {
                decoded = strndup((const char *) s, len);
                if (!decoded)
                        return parser_oom(p);
        } else {
                r = url_decode((const char *) s, len, &decoded, &dlen);
                if (r == -ENOMEM)
                        return parser_oom(p);
                if (r < 0)
                        return parser_malformed(p, len, "policy document string is neither JSON nor URL-encoded JSON "
                                                "(bad %%-escape)");
        }
        return parse_nested(p, (const unsigned char *) decoded, dlen, target);
}

static yajl_handle new_handle(struct parser *p) {
        yajl_handle h = yajl_alloc(&parser_callbacks, NULL, p);
        if (!h)
                return NULL;
        /* Strict JSON: no comments, valid UTF-8, one value, nothing after it. */
        yajl_config(h, yajl_allow_comments, 0);
        yajl_config(h, yajl_dont_validate_strings, 0);
        return h;
}

static void parser_done(struct parser *p) {
        if (p->h)
                yajl_free(p->h);
        if (p->cond)
                yajl_gen_free(p->cond);
        stmt_reset(&p->st);
        strv_done(&p->st.actions);
        strv_done(&p->st.resources);
        strv_done(&p->st.blanked);
        role_reset(&p->role);
        strv_done(&p->role.attached_arn);
        strv_done(&p->role.attached_name);
        mpolicy_reset(&p->mp);
        policy_free(p->top);
        free(p->pversion_id);
        free(p->error);
}

/* Feeds one chunk; 0 or -EBADMSG with p->error set. */
int parser_feed(struct parser *p, const unsigned char *buf, size_t len, bool last) {
        yajl_status s;

        p->chunk = buf;
        p->chunk_len = len;
        s = last ? yajl_complete_parse(p->h) : yajl_parse(p->h, buf, len);
        if (s == yajl_status_ok && p->chunk_base + len - p->last_event > MAX_VALUE) {
                /* Blanks aside, what follows the last value is one value that yajl holds until
                 * it ends: stop it growing here. */
                parser_fail_at(p, p->last_event, "a value longer than %d bytes follows (the limit for every string and "
                        "number of the input)", MAX_VALUE);
                return -EBADMSG;
        }
        if (s == yajl_status_ok) {
                if (!p->lines_from_file)
                        advance_to(p, p->chunk_base + len);
                p->chunk_base += len;
                return 0;
        }
        if (!p->error) {
                unsigned char *e = yajl_get_error(p->h, 0, buf, len);
                const char *m = (const char *) e;
                /* yajl says "parse error: X" or "lexical error: X": keep X. */
                const char *colon = m ? strstr(m, "error: ") : NULL;
                _cleanup_free_ char *msg = strdup(colon ? colon + 7 : (m ? m : "invalid JSON"));
                if (e)
                        yajl_free_error(p->h, e);
                if (msg) {
                        char *nl = strchr(msg, '\n');
                        if (nl)
                                *nl = '\0';
                }
                uint64_t off = p->chunk_base + (last ? 0 : yajl_get_bytes_consumed(p->h));
                parser_fail_at(p, off, "invalid JSON: %s", msg ? strstrip(msg) : "parse error");
        }
        return -EBADMSG;
}

/* Parses a decoded document held in memory into TARGET. Errors name the outer position and
 * the position inside the decoded text. */
static int parse_nested(struct parser *p, const unsigned char *s, size_t len, struct policy *target) {
        struct parser n = {
                .path = "decoded document",
                .outer = p,
                .line = 1,
                .root = V_DOC_ROOT,
                .doc = target,
        };
        int r;

        if (p->outer)
                return parser_fail_here(p, len, "URL-encoded document inside a URL-encoded document");
        n.h = new_handle(&n);
        if (!n.h)
                return parser_oom(p);
        r = parser_feed(&n, s, len, false);
        if (r == 0)
                r = parser_feed(&n, s, 0, true);
        if (r == 0 && !n.took_root)
                r = -EBADMSG, n.error = strdup("empty document");
        if (r < 0) {
                r = parser_malformed(p, 0, "in the URL-encoded policy document: %s", n.error ? n.error : "out of memory");
                parser_done(&n);
                return r;
        }
        parser_done(&n);
        return 1;
}

int finish_top(struct parser *p) {
        unsigned shape = p->shape;

        if (shape == 0)
                return parser_fail_here(p, 0, "not a policy document nor the output of aws iam get-role-policy, "
                                       "get-policy-version or get-account-authorization-details (no known key)");
        if (shape & SHAPE_ATTACHED) {
                if (shape != SHAPE_ATTACHED)
                        return parser_fail_here(p, 0, "mixes AttachedPolicies with the keys of another shape");
                return 1;
        }
        if (shape & SHAPE_DUMP) {
                if (shape != SHAPE_DUMP)
                        return parser_fail_here(p, 0, "mixes the keys of an authorization dump with those of a policy");
                return 1;
        }
        if (shape & SHAPE_POLICY_VERSION) {
                if (shape != SHAPE_POLICY_VERSION)
                        return parser_fail_here(p, 0, "mixes PolicyVersion with the keys of another shape");
                if (!p->pversion_doc)
                        return parser_fail_here(p, 0, "PolicyVersion without Document");
                return 1;
        }
        if (shape & SHAPE_ROLE_POLICY) {
                if (shape != SHAPE_ROLE_POLICY)
                        return parser_fail_here(p, 0, "mixes PolicyDocument with the keys of a policy document");
                if (!p->pversion_doc)
                        return parser_fail_here(p, 0, "RoleName/PolicyName without PolicyDocument");
                return 1;
        }
        if (!p->doc_statement_seen)
                return parser_fail_here(p, 0, "policy document without Statement");
        return 1;
}

/* ---- reading inputs ---- */

/* After a non-dump input: its one document is the subject, named after the file. */
static int spool_single(struct parser *p) {
        const char *label = NULL;
        _cleanup_free_ char *l = NULL;

        if (p->shape == SHAPE_ATTACHED) {
                /* No document: the attached policies, resolved when read back. */
                int r = pack_content(&p->in->content, NULL, NULL, 0, &p->role.attached_arn, &p->role.attached_name);
                return r < 0 ? r : store_subject(p, p->path);
        }
        if (!p->top)
                return -EBADMSG;
        if (p->shape == SHAPE_POLICY_VERSION && p->pversion_id) {
                p->top->version = arena_strdup(&p->top->arena, p->pversion_id);
                if (asprintf(&l, "policy version %s", p->pversion_id) < 0)
                        return -ENOMEM;
                label = l;
        }
        int r = pack_content(&p->in->content, &p->top, &label, 1, NULL, NULL);
        return r < 0 ? r : store_subject(p, p->path);
}

/* Reads FD from where it is up to input offset LIMIT (UINT64_MAX: to its end) into P; with
 * COMPLETE, the input ends there. */
static int parse_fd(struct parser *p, int fd, bool complete) {
        _cleanup_free_ unsigned char *buf = malloc(READ_CHUNK);
        bool first = p->chunk_base == 0;
        int r;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf, READ_CHUNK);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                if (first) {
                        size_t i = 0;
                        first = false;
                        while (i < (size_t) k && isspace(buf[i]))
                                i++;
                        if (i < (size_t) k && buf[i] == '%') {
                                /* The whole input is a URL-encoded document. */
                                _cleanup_free_ char *all = NULL, *decoded = NULL;
                                size_t len, dlen;
                                r = read_all(fd, MAX_ENCODED_INPUT, &all, &len, (const char *) buf, (size_t) k);
                                if (r < 0)
                                        return r;
                                if (url_decode(all, len, &decoded, &dlen) < 0) {
                                        parser_fail_at(p, 0, "input is neither JSON nor URL-encoded JSON (bad %%-escape)");
                                        return -EBADMSG;
                                }
                                p->shape = SHAPE_DOC;
                                p->doc_statement_seen = true;
                                if (policy_new(&p->top) < 0)
                                        return -ENOMEM;
                                parse_nested(p, (const unsigned char *) decoded, dlen, p->top);
                                return p->error ? -EBADMSG : 0;
                        }
                }
                r = parser_feed(p, buf, (size_t) k, false);
                if (r < 0)
                        return r;
        }
        if (!complete)
                return 0;
        r = parser_feed(p, buf, 0, true);
        if (r < 0)
                return r;
        if (!p->took_root) {
                parser_fail_at(p, 0, "empty input");
                return -EBADMSG;
        }
        return 0;
}

/* Line and column of input offset OFF, counted from the start of the file. */
static void position_from_file(struct parser *p, uint64_t off, unsigned long *line, unsigned long *col) {
        _cleanup_free_ unsigned char *buf = malloc(READ_CHUNK);
        uint64_t pos = 0, line_start = 0;
        unsigned long n = 1;

        while (buf && pos < off) {
                size_t want = off - pos < READ_CHUNK ? (size_t) (off - pos) : READ_CHUNK;
                ssize_t k = pread(p->lines_fd, buf, want, (off_t) pos);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                for (const unsigned char *c = buf, *e = buf + k, *nl; (nl = memchr(c, '\n', (size_t) (e - c)));
                     c = nl + 1) {
                        n++;
                        line_start = pos + (uint64_t) (nl - buf) + 1;
                }
                pos += (uint64_t) k;
        }
        *line = n;
        *col = (unsigned long) (off - line_start) + 1;
}

int policy_input_add(struct policy_input *in, const char *path, char **ret_error) {
        _cleanup_close_ int fd = -1;
        struct input_file *file;
        struct parser p = {
                .path = path,
                .line = 1,
                .root = V_ROOT,
                .in = in,
        };
        int r;

        *ret_error = NULL;
        if (in->reading)
                return -EBUSY;
        r = input_file_new(in, path, &file);
        if (r < 0)
                return r;
        p.file = file;
        p.file_index = (uint32_t) (in->n_files - 1);
        p.role.ip = -1;

        if (streq(path, "-"))
                fd = dup(STDIN_FILENO);
        else
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = negative_errno();
                if (asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        p.h = new_handle(&p);
        if (!p.h)
                return -ENOMEM;

        struct stat st;
        bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
        if (regular) {
                p.lines_fd = fd;
                p.lines_from_file = true;
        }
        r = parse_fd(&p, fd, true);
        if (r == 0 && p.shape != SHAPE_DUMP) {
                r = spool_single(&p);
                if (r < 0 && r != -ENOMEM) {
                        p.error = spool_error(path, r);
                        p.spool_failed = true;
                }
        }
        if (r < 0 && r != -ENOMEM && !p.error && asprintf(&p.error, "%s: %s", path, strerror(-r)) < 0)
                p.error = NULL;
        if (r < 0 || p.error) {
                *ret_error = TAKE_PTR(p.error);
                parser_done(&p);
                return r == -ENOMEM ? r : p.spool_failed ? -EIO : r < 0 ? r : -EBADMSG;
        }
        parser_done(&p);
        return 0;
}

int policy_parse_buffer(const char *name, const char *text, size_t len, struct policy **ret, char **ret_error) {
        struct policy_input *in = NULL;
        struct parser p = {
                .path = name,
                .line = 1,
                .root = V_ROOT,
        };
        int r;

        *ret_error = NULL;
        r = policy_input_new(&in);
        if (r < 0)
                return r;
        p.in = in;
        r = input_file_new(in, name, &p.file);
        if (r < 0)
                goto finish;
        p.role.ip = -1;
        p.h = new_handle(&p);
        if (!p.h) {
                r = -ENOMEM;
                goto finish;
        }
        size_t i = 0;
        while (i < len && isspace((unsigned char) text[i]))
                i++;
        if (i < len && text[i] == '%') {
                _cleanup_free_ char *decoded = NULL;
                size_t dlen;
                if (url_decode(text, len, &decoded, &dlen) < 0) {
                        parser_fail_at(&p, 0, "neither JSON nor URL-encoded JSON (bad %%-escape)");
                        r = -EBADMSG;
                        goto finish;
                }
                p.shape = SHAPE_DOC;
                p.doc_statement_seen = true;
                if (policy_new(&p.top) < 0) {
                        r = -ENOMEM;
                        goto finish;
                }
                parse_nested(&p, (const unsigned char *) decoded, dlen, p.top);
                r = p.error ? -EBADMSG : 0;
        } else {
                r = parser_feed(&p, (const unsigned char *) text, len, false);
                if (r == 0)
                        r = parser_feed(&p, (const unsigned char *) text, 0, true);
                if (r == 0 && !p.took_root) {
                        parser_fail_at(&p, 0, "empty input");
                        r = -EBADMSG;
                }
        }
        if (r == 0 && !p.error && p.shape == SHAPE_DUMP) {
                parser_fail_at(&p, 0, "an authorization dump holds many policies; give one policy");
                r = -EBADMSG;
        }
        if (r == 0 && !p.error && p.shape == SHAPE_ATTACHED) {
                parser_fail_at(&p, 0, "a list of attached policies holds no document; give one policy");
                r = -EBADMSG;
        }
        if (r == 0 && p.error)
                r = -EBADMSG;
        if (r == 0) {
                if (p.shape == SHAPE_POLICY_VERSION && p.pversion_id)
                        p.top->version = arena_strdup(&p.top->arena, p.pversion_id);
                *ret = TAKE_PTR(p.top);
        }
finish:
        if (r < 0)
                *ret_error = TAKE_PTR(p.error);
        parser_done(&p);
        policy_input_free(in);
        return r;
}
