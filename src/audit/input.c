/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "audit/store.h"
#include "lib/hashmap.h"
#include "policy-builtin.h"
#include "audit/input.h"
#include "util.h"

/* Deep enough for every real shape (a dump's trust policies sit 13 levels down), shallow
 * enough that hostile input cannot make the parser's stack grow without bound. */
#define MAX_DEPTH 64
#define READ_CHUNK (256 * 1024)
/* A whole-input URL-encoded document is read into memory: bound it. */
#define MAX_ENCODED_INPUT (16 * 1024 * 1024)
/* Every string (and number) of the input: yajl holds a value whole before it hands it over,
 * and what is kept of it is judged and printed. A URL-encoded policy document is a string. */
#define MAX_VALUE (1024 * 1024)
/* An action or resource pattern: IAM's own limit on an ARN is 2 048 characters. */
#define MAX_PATTERN 4096

/* What the next value is expected to be. */
enum val {
        V_SKIP,
        V_ROOT,
        V_DOC,            /* a policy document: object, or URL-encoded string */
        V_DOC_ROOT,       /* the root of a nested (decoded) document */
        V_VERSION,        /* "Version" of a document: ignored but must be a string */
        V_STATEMENT,      /* object or array of objects */
        V_STMT,           /* an element of the Statement array */
        V_SID,
        V_EFFECT,
        V_ACTION,         /* string or array of strings */
        V_ACTION_ITEM,
        V_RESOURCE,
        V_RESOURCE_ITEM,
        V_CONDITION,
        V_CAPTURE,        /* inside a Condition: re-serialised */
        V_PVERSION,       /* get-policy-version's PolicyVersion */
        V_VERSION_ID,
        V_IS_DEFAULT,
        V_ROLES,
        V_ROLE,
        V_ROLE_NAME,
        V_IP_LIST,
        V_ROLE_POLICIES,
        V_ROLE_POLICY,
        V_POLICY_NAME,
        V_ATTACHED_LIST,
        V_ATTACHED,
        V_POLICY_ARN,
        V_POLICIES,
        V_MPOLICY,
        V_DEFAULT_VERSION_ID,
        V_MVERSIONS,
        V_MVERSION,
        V_IGNORE_STRING,  /* a top-level string such as RoleName: checked, not kept */
};

/* What an open container is. */
enum ctx {
        C_TOP,
        C_DOC,
        C_STMT_LIST,
        C_STMT,
        C_ACTION_LIST,
        C_RESOURCE_LIST,
        C_CAPTURE_MAP,
        C_CAPTURE_ARRAY,
        C_PVERSION,
        C_ROLES,
        C_ROLE,
        C_IP_LIST,
        C_ROLE_POLICIES,
        C_ROLE_POLICY,
        C_ATTACHED_LIST,
        C_ATTACHED,
        C_POLICIES,
        C_MPOLICY,
        C_MVERSIONS,
        C_MVERSION,
};

struct frame {
        uint8_t ctx;
        uint8_t val;    /* maps: the expectation for the current key's value */
};

/* A growable list of strings in one buffer, reused from statement to statement. */
struct strvec {
        char *buf;
        size_t len, alloc;
        size_t *offs;
        size_t n, a_offs;
};

static int strvec_add(struct strvec *v, const char *s, size_t n) {
        if (v->len + n + 1 > v->alloc) {
                size_t na = (v->len + n + 1) * 2 + 256;
                char *b = realloc(v->buf, na);
                if (!b)
                        return -ENOMEM;
                v->buf = b;
                v->alloc = na;
        }
        if (v->n == v->a_offs) {
                size_t na = v->a_offs * 2 + 16;
                size_t *o = reallocarray(v->offs, na, sizeof(size_t));
                if (!o)
                        return -ENOMEM;
                v->offs = o;
                v->a_offs = na;
        }
        v->offs[v->n++] = v->len;
        memcpy(v->buf + v->len, s, n);
        v->buf[v->len + n] = '\0';
        v->len += n + 1;
        return 0;
}

static void strvec_clear(struct strvec *v) {
        v->len = v->n = 0;
}

static void strvec_done(struct strvec *v) {
        free(v->buf);
        free(v->offs);
        *v = (struct strvec) {};
}

static inline const char *strvec_get(const struct strvec *v, size_t i) {
        return v->buf + v->offs[i];
}

static void policy_free_void(void *p) {
        policy_free(p);
}

/* The input-wide state of one file (dump shape). */
struct input_file {
        char *path;
        struct hashmap *referenced;     /* ARNs attached to subjects */
        struct hashmap *managed;        /* ARN -> struct policy (default version) */
};

/* The inputs read so far: their subjects in the store (audit/store.h), each with its content
 * (its policies and attached ARNs, in policy_pack() form); per input, the managed policies a
 * dump holds, to resolve attached policies with once the whole input is read. */
struct policy_input {
        struct store *store;
        struct input_file **files;
        size_t n_files;
        struct hashmap *builtin;        /* "NAME@vN" -> parsed built-in policy */
        struct bytes content;           /* scratch for the subject being stored */
        bool reading;
        /* The subject handed out last by policy_input_next_ref(). */
        bool have_current;
        const char *cur_name;
        uint32_t cur_file;
};

/* Keys that decide the shape of the input. */
enum {
        SHAPE_DOC = 1 << 0,
        SHAPE_ROLE_POLICY = 1 << 1,
        SHAPE_POLICY_VERSION = 1 << 2,
        SHAPE_DUMP = 1 << 3,
};

struct stmt_builder {
        bool has_sid, has_effect, has_action, has_not_action, has_resource, has_not_resource, has_condition;
        bool allow;
        char *sid;
        struct strvec actions, resources;
        char *condition;
        uint64_t start;
        unsigned long line, column;
};

struct role_state {
        bool active;
        char *name;
        int ip;                         /* -1 not seen yet, else number of instance profiles */
        struct policy **inline_policies;
        size_t n_inline, a_inline;
        struct strvec attached_arn, attached_name;
        /* the inline policy being read */
        struct policy *cur;
        char *cur_name, *cur_arn;
        bool cur_has_doc;
};

struct mversion {
        struct policy *doc;
        char *version_id;
        bool is_default;
};

struct mpolicy_state {
        bool active;
        char *arn, *name, *default_version;
        bool skip_versions;
        struct mversion versions[8];
        size_t n_versions;
        struct mversion cur;
        bool cur_has_doc;
};

struct parser {
        const char *path;
        yajl_handle h;
        struct parser *outer;           /* for a nested (URL-encoded) document */

        /* Position: the current chunk, and a cursor that counts lines as it moves forward. */
        uint64_t chunk_base;
        const unsigned char *chunk;
        size_t chunk_len;
        uint64_t cursor, line_start;
        unsigned long line;

        struct frame frames[MAX_DEPTH + 2];
        unsigned depth;
        unsigned skip;                  /* > 0: inside a skipped value, its nesting */
        uint8_t root;                   /* V_ROOT or V_DOC_ROOT */
        char *error;
        bool took_root;

        /* Shape of a top-level input. */
        unsigned shape;
        bool doc_statement_seen;
        bool in_dump_roles_done;
        bool pversion_doc;
        char *pversion_id;

        /* The document being read. */
        struct policy *doc;
        unsigned stmt_count;
        bool doc_has_statement;
        struct stmt_builder st;
        yajl_gen cond;
        unsigned cond_depth;

        /* Dump state. */
        struct input_file *file;
        struct policy_input *in;
        uint32_t file_index;
        struct role_state role;
        struct mpolicy_state mp;
        struct policy *top;             /* the single document of the other shapes */

        /* A regular file: lines are counted from it when an error needs them, not on the way. */
        int lines_fd;                   /* valid when LINES_FROM_FILE */
        bool lines_from_file;
        bool spool_failed;              /* the error is the temporary file's, not the input's */
        uint64_t last_event;            /* input offset after the last value yajl handed over */
};

static void position_from_file(struct parser *p, uint64_t off, unsigned long *line, unsigned long *col);

/* ---- positions and errors ---- */

static uint64_t cur_offset(struct parser *p) {
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

_printf_(3, 4) static int fail_at(struct parser *p, uint64_t off, const char *fmt, ...) {
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

/* An error at the token just read; LEN, when known, is the length of a string token, so that
 * the column points at its opening quote. */
_printf_(3, 4) static int fail_here(struct parser *p, size_t len, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        uint64_t off = cur_offset(p);

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (len && off >= len + 2)
                off -= len + 2;
        else if (off > 0)
                off--;
        return fail_at(p, off, "%s", msg ? msg : "out of memory");
}

_printf_(2, 3) static int fail_statement(struct parser *p, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        if (p->error)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (p->lines_from_file)
                position_of(p, p->st.start, &p->st.line, &p->st.column);
        if (asprintf(&p->error, "%s:%lu:%lu: statement %u: %s", p->path, p->st.line, p->st.column, p->stmt_count - 1,
                     msg ? msg : "out of memory") < 0)
                p->error = NULL;
        return 0;
}

static int oom(struct parser *p) {
        if (!p->error)
                p->error = strdup("out of memory");
        return 0;
}

/* ---- containers ---- */

static int push(struct parser *p, enum ctx c) {
        if (p->depth + p->skip >= MAX_DEPTH)
                return fail_here(p, 0, "nesting deeper than %d levels", MAX_DEPTH);
        p->frames[++p->depth] = (struct frame) { .ctx = (uint8_t) c, .val = V_SKIP };
        return 1;
}

static int start_skip(struct parser *p) {
        if (p->depth + p->skip >= MAX_DEPTH)
                return fail_here(p, 0, "nesting deeper than %d levels", MAX_DEPTH);
        p->skip = 1;
        return 1;
}

static enum val next_val(struct parser *p) {
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

static int type_error(struct parser *p, enum val v, const char *got) {
        if (v == V_ROOT)
                return fail_here(p, 0, "not a policy document nor the output of aws iam get-role-policy, "
                                       "get-policy-version or get-account-authorization-details (top level is %s)", got);
        return fail_here(p, 0, "expected %s, got %s", what_expected(v), got);
}

/* ---- documents and statements ---- */

static void stmt_reset(struct stmt_builder *st) {
        free(st->sid);
        free(st->condition);
        strvec_clear(&st->actions);
        strvec_clear(&st->resources);
        struct strvec a = st->actions, r = st->resources;
        *st = (struct stmt_builder) { .actions = a, .resources = r };
}

static bool action_valid(const char *s, size_t n, const char **why) {
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

static int doc_begin(struct parser *p, struct policy *target) {
        p->doc = target;
        p->stmt_count = 0;
        p->doc_has_statement = false;
        return 1;
}

static int stmt_begin(struct parser *p) {
        stmt_reset(&p->st);
        p->st.start = cur_offset(p) - 1;
        if (!p->lines_from_file)
                position_of(p, p->st.start, &p->st.line, &p->st.column);
        p->stmt_count++;
        return push(p, C_STMT);
}

static int stmt_end(struct parser *p) {
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
        };
        if (st->sid && !(s.sid = arena_strdup(&d->arena, st->sid)))
                return oom(p);
        if (st->condition && !(s.condition = arena_strdup(&d->arena, st->condition)))
                return oom(p);
        s.actions = arena_alloc(&d->arena, (st->actions.n + 1) * sizeof(char *));
        s.resources = arena_alloc(&d->arena, (st->resources.n + 1) * sizeof(char *));
        if (!s.actions || !s.resources)
                return oom(p);
        for (size_t i = 0; i < st->actions.n; i++)
                if (!(s.actions[i] = arena_strdup(&d->arena, strvec_get(&st->actions, i))))
                        return oom(p);
        for (size_t i = 0; i < st->resources.n; i++) {
                const char *r = strvec_get(&st->resources, i);
                if (!(s.resources[i] = arena_strdup(&d->arena, r)))
                        return oom(p);
                if (streq(r, "*"))
                        s.resource_star = true;
        }
        if (policy_add_statement(d, &s) < 0)
                return oom(p);
        return 1;
}

static int parse_nested(struct parser *p, const unsigned char *s, size_t len, struct policy *target);

/* A document given as a string: URL-encoded (as the IAM API returns it) or plain JSON text. */
static int doc_string(struct parser *p, const unsigned char *s, size_t len, struct policy *target) {
        _cleanup_free_ char *decoded = NULL;
        size_t dlen = len;
        size_t i = 0;
        int r;

        while (i < len && isspace(s[i]))
                i++;
        if (i < len && s[i] == '{') {
                decoded = strndup((const char *) s, len);
                if (!decoded)
                        return oom(p);
        } else {
                r = url_decode((const char *) s, len, &decoded, &dlen);
                if (r == -ENOMEM)
                        return oom(p);
                if (r < 0)
                        return fail_here(p, len, "policy document string is neither JSON nor URL-encoded JSON "
                                                 "(bad %%-escape)");
        }
        return parse_nested(p, (const unsigned char *) decoded, dlen, target);
}

/* ---- dump: roles and managed policies ---- */

static void role_reset(struct role_state *r) {
        free(r->name);
        for (size_t i = 0; i < r->n_inline; i++)
                policy_free(r->inline_policies[i]);
        free(r->inline_policies);
        policy_free(r->cur);
        free(r->cur_name);
        free(r->cur_arn);
        strvec_clear(&r->attached_arn);
        strvec_clear(&r->attached_name);
        struct strvec a = r->attached_arn, n = r->attached_name;
        *r = (struct role_state) { .attached_arn = a, .attached_name = n, .ip = -1 };
}

static void mversion_reset(struct mversion *v) {
        policy_free(v->doc);
        free(v->version_id);
        *v = (struct mversion) {};
}

static void mpolicy_reset(struct mpolicy_state *m) {
        free(m->arn);
        free(m->name);
        free(m->default_version);
        for (size_t i = 0; i < m->n_versions; i++)
                mversion_reset(&m->versions[i]);
        mversion_reset(&m->cur);
        *m = (struct mpolicy_state) {};
}

/* The message for a spool that cannot be written: the machine's problem, not the input's. */
static char *spool_error(const char *path, int r) {
        char *m;
        if (asprintf(&m, "%s: cannot write the temporary file that holds the subjects (in $TMPDIR, else /tmp): %s",
                     path, strerror(-r)) < 0)
                return NULL;
        return m;
}

/* A subject's content: inline policies (label, policy: no label means "inline policy NAME"),
 * attached policies (ARN, name). */
static int pack_content(struct bytes *b, struct policy *const *inl, const char *const *labels, size_t n_inline,
                        const struct strvec *arns, const struct strvec *names) {
        size_t na = arns ? arns->n : 0;
        int r;

        b->len = 0;
        r = pack_u32(b, (uint32_t) n_inline);
        for (size_t i = 0; i < n_inline && r >= 0; i++) {
                r = pack_str(b, labels ? strempty(labels[i]) : NULL);
                if (r >= 0)
                        r = policy_pack(b, inl[i]);
        }
        if (r >= 0)
                r = pack_u32(b, (uint32_t) na);
        for (size_t i = 0; i < na && r >= 0; i++) {
                r = pack_str(b, strvec_get(arns, i));
                if (r >= 0)
                        r = pack_str(b, strvec_get(names, i));
        }
        if (r >= 0 && b->len >= UINT32_MAX)
                r = -E2BIG;
        return r;
}

/* Stores the subject NAME whose content is in in->content. 0 or negative errno. */
static int store_subject(struct parser *p, const char *name) {
        return store_add(p->in->store, p->file_index, name, p->in->content.buf, p->in->content.len);
}

static int role_end(struct parser *p) {
        struct role_state *r = &p->role;
        int k;

        if (!r->name)
                return fail_here(p, 0, "a role in RoleDetailList without RoleName");
        if (r->ip > 0) {
                /* Inline policies are labelled from their name when read back. */
                k = pack_content(&p->in->content, r->inline_policies, NULL, r->n_inline, &r->attached_arn,
                                 &r->attached_name);
                if (k >= 0)
                        k = store_subject(p, r->name);
                if (k == -ENOMEM)
                        return oom(p);
                if (k < 0) {
                        if (!p->error)
                                p->error = spool_error(p->path, k);
                        p->spool_failed = true;
                        return 0;
                }
                for (size_t i = 0; i < r->attached_arn.n; i++) {
                        const char *arn = strvec_get(&r->attached_arn, i);
                        if (hashmap_put(p->file->referenced, arn, strlen(arn), (void *) 1) < 0)
                                return oom(p);
                }
        }
        role_reset(r);
        return 1;
}

static bool mpolicy_wanted(struct parser *p) {
        /* Until the roles have all been read, any policy may be attached to one of them. */
        if (!p->in_dump_roles_done)
                return true;
        return p->mp.arn && hashmap_get_str(p->file->referenced, p->mp.arn);
}

static int mpolicy_end(struct parser *p) {
        struct mpolicy_state *m = &p->mp;
        struct mversion *chosen = NULL;

        if (!m->arn)
                return fail_here(p, 0, "a managed policy in Policies without Arn");
        if (m->skip_versions || !mpolicy_wanted(p)) {
                mpolicy_reset(m);
                return 1;
        }
        for (size_t i = 0; i < m->n_versions && !chosen; i++)
                if (m->default_version && streq_ptr(m->versions[i].version_id, m->default_version))
                        chosen = &m->versions[i];
        for (size_t i = 0; i < m->n_versions && !chosen; i++)
                if (m->versions[i].is_default)
                        chosen = &m->versions[i];
        if (!chosen && m->n_versions == 1)
                chosen = &m->versions[0];
        if (chosen) {
                struct policy *d = TAKE_PTR(chosen->doc);
                d->name = m->name ? arena_strdup(&d->arena, m->name) : NULL;
                d->version = chosen->version_id ? arena_strdup(&d->arena, chosen->version_id) : NULL;
                void **slot = hashmap_slot(p->file->managed, m->arn, strlen(m->arn), NULL);
                if (!slot) {
                        policy_free(d);
                        return oom(p);
                }
                policy_free(*slot);
                *slot = d;
        }
        mpolicy_reset(m);
        return 1;
}

/* ---- yajl callbacks ---- */

static int scalar(struct parser *p, enum val v, const char *type) {
        switch (v) {
        case V_SKIP:
        case V_CAPTURE:
                return 1;
        default:
                return type_error(p, v, type);
        }
}

static int cb_null(void *ctx) {
        struct parser *p = ctx;
        if (p->skip)
                return 1;
        enum val v = next_val(p);
        if (v == V_CAPTURE)
                return yajl_gen_null(p->cond) == yajl_gen_status_ok ? 1 : oom(p);
        return scalar(p, v, "null");
}

static int cb_boolean(void *ctx, int b) {
        struct parser *p = ctx;
        if (p->skip)
                return 1;
        enum val v = next_val(p);
        switch (v) {
        case V_CAPTURE:
                return yajl_gen_bool(p->cond, b) == yajl_gen_status_ok ? 1 : oom(p);
        case V_IS_DEFAULT:
                if (p->depth > 0 && p->frames[p->depth].ctx == C_MVERSION)
                        p->mp.cur.is_default = b;
                return 1;
        default:
                return scalar(p, v, "a boolean");
        }
}

static int cb_number(void *ctx, const char *s, size_t n) {
        struct parser *p = ctx;
        if (p->skip)
                return 1;
        enum val v = next_val(p);
        if (v == V_CAPTURE)
                return yajl_gen_number(p->cond, s, n) == yajl_gen_status_ok ? 1 : oom(p);
        return scalar(p, v, "a number");
}

static int set_str(struct parser *p, char **dst, const unsigned char *s, size_t n) {
        free(*dst);
        *dst = strndup((const char *) s, n);
        return *dst ? 1 : oom(p);
}

static int add_action(struct parser *p, const unsigned char *s, size_t n) {
        const char *why = NULL;
        if (n > MAX_PATTERN)
                return fail_here(p, n, "statement %u: an action of %zu bytes (at most %d): \"%.40s...\"",
                                 p->stmt_count - 1, n, MAX_PATTERN, (const char *) s);
        if (memchr(s, '\0', n) || !action_valid((const char *) s, n, &why))
                return fail_here(p, n, "statement %u: action \"%.*s\" %s", p->stmt_count - 1, (int) (n > 200 ? 200 : n),
                                 (const char *) s, why ? why : "contains a NUL byte");
        return strvec_add(&p->st.actions, (const char *) s, n) < 0 ? oom(p) : 1;
}

static int add_resource(struct parser *p, const unsigned char *s, size_t n) {
        if (n > MAX_PATTERN)
                return fail_here(p, n, "statement %u: a resource of %zu bytes (at most %d): \"%.40s...\"",
                                 p->stmt_count - 1, n, MAX_PATTERN, (const char *) s);
        return strvec_add(&p->st.resources, (const char *) s, n) < 0 ? oom(p) : 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n) {
        struct parser *p = ctx;
        if (p->skip)
                return 1;
        enum val v = next_val(p);

        switch (v) {
        case V_SKIP:
        case V_VERSION:
        case V_IGNORE_STRING:
                return 1;
        case V_CAPTURE:
                return yajl_gen_string(p->cond, s, n) == yajl_gen_status_ok ? 1 : oom(p);
        case V_ROOT:
                /* The whole input is one string: a URL-encoded document. */
                p->shape |= SHAPE_DOC;
                p->doc_statement_seen = true;
                if (!p->top && policy_new(&p->top) < 0)
                        return oom(p);
                return doc_string(p, s, n, p->top);
        case V_DOC:
        case V_DOC_ROOT:
                return doc_string(p, s, n, p->doc);
        case V_SID:
                p->st.has_sid = true;
                return set_str(p, &p->st.sid, s, n);
        case V_EFFECT:
                if (n == 5 && memcmp(s, "Allow", 5) == 0)
                        p->st.allow = true;
                else if (n == 4 && memcmp(s, "Deny", 4) == 0)
                        p->st.allow = false;
                else
                        return fail_here(p, n, "statement %u: Effect must be \"Allow\" or \"Deny\", not \"%.*s\"",
                                         p->stmt_count - 1, (int) (n > 100 ? 100 : n), (const char *) s);
                return 1;
        case V_ACTION:
        case V_ACTION_ITEM:
                return add_action(p, s, n);
        case V_RESOURCE:
        case V_RESOURCE_ITEM:
                return add_resource(p, s, n);
        case V_VERSION_ID:
                if (p->depth > 0 && p->frames[p->depth].ctx == C_MVERSION)
                        return set_str(p, &p->mp.cur.version_id, s, n);
                return set_str(p, &p->pversion_id, s, n);
        case V_ROLE_NAME:
                return set_str(p, &p->role.name, s, n);
        case V_POLICY_NAME:
                if (p->depth > 0 && p->frames[p->depth].ctx == C_ROLE_POLICY)
                        return set_str(p, &p->role.cur_name, s, n);
                if (p->depth > 0 && p->frames[p->depth].ctx == C_ATTACHED) {
                        /* Kept beside the ARN at the end of the object. */
                        return set_str(p, &p->role.cur_name, s, n);
                }
                return set_str(p, &p->mp.name, s, n);
        case V_POLICY_ARN:
                if (memchr(s, '\0', n))
                        return fail_here(p, n, "ARN contains a NUL byte");
                if (p->depth > 0 && p->frames[p->depth].ctx == C_ATTACHED)
                        return set_str(p, &p->role.cur_arn, s, n);
                return set_str(p, &p->mp.arn, s, n);
        case V_DEFAULT_VERSION_ID:
                return set_str(p, &p->mp.default_version, s, n);
        default:
                return type_error(p, v, "a string");
        }
}

/* Inside a value being skipped, a nested map or array only deepens the skip, within bounds. */
static int skip_deeper(struct parser *p) {
        if (p->depth + p->skip >= MAX_DEPTH)
                return fail_here(p, 0, "nesting deeper than %d levels", MAX_DEPTH);
        p->skip++;
        return 1;
}

static int cb_start_map(void *ctx) {
        struct parser *p = ctx;
        if (p->skip)
                return skip_deeper(p);
        enum val v = next_val(p);

        switch (v) {
        case V_SKIP:
                return start_skip(p);
        case V_ROOT:
                return push(p, C_TOP);
        case V_DOC_ROOT:
        case V_DOC:
                doc_begin(p, p->doc);
                return push(p, C_DOC);
        case V_STATEMENT:
                p->doc_has_statement = true;
                return stmt_begin(p);
        case V_STMT:
                return stmt_begin(p);
        case V_CONDITION:
                p->st.has_condition = true;
                if (!p->cond) {
                        p->cond = yajl_gen_alloc(NULL);
                        if (!p->cond)
                                return oom(p);
                }
                yajl_gen_reset(p->cond, NULL);
                yajl_gen_clear(p->cond);
                if (yajl_gen_map_open(p->cond) != yajl_gen_status_ok)
                        return oom(p);
                return push(p, C_CAPTURE_MAP);
        case V_CAPTURE:
                if (yajl_gen_map_open(p->cond) != yajl_gen_status_ok)
                        return oom(p);
                return push(p, C_CAPTURE_MAP);
        case V_PVERSION:
                return push(p, C_PVERSION);
        case V_ROLE:
                role_reset(&p->role);
                p->role.active = true;
                return push(p, C_ROLE);
        case V_ROLE_POLICY:
                policy_free(p->role.cur);
                p->role.cur = NULL;
                free(p->role.cur_name);
                p->role.cur_name = NULL;
                p->role.cur_has_doc = false;
                if (policy_new(&p->role.cur) < 0)
                        return oom(p);
                p->doc = p->role.cur;
                return push(p, C_ROLE_POLICY);
        case V_ATTACHED:
                free(p->role.cur_arn);
                p->role.cur_arn = NULL;
                free(p->role.cur_name);
                p->role.cur_name = NULL;
                return push(p, C_ATTACHED);
        case V_MPOLICY:
                mpolicy_reset(&p->mp);
                p->mp.active = true;
                return push(p, C_MPOLICY);
        case V_MVERSION:
                mversion_reset(&p->mp.cur);
                p->mp.cur_has_doc = false;
                if (policy_new(&p->mp.cur.doc) < 0)
                        return oom(p);
                p->doc = p->mp.cur.doc;
                return push(p, C_MVERSION);
        default:
                return type_error(p, v, "an object");
        }
}

static enum val top_key(struct parser *p, const unsigned char *k, size_t n) {
#define IS(s) (n == sizeof(s) - 1 && memcmp(k, s, n) == 0)
        if (IS("Statement")) {
                p->shape |= SHAPE_DOC;
                if (p->doc_statement_seen)
                        return (void) fail_here(p, n, "duplicate key Statement"), V_SKIP;
                p->doc_statement_seen = true;
                if (!p->top && policy_new(&p->top) < 0)
                        return (void) oom(p), V_SKIP;
                doc_begin(p, p->top);
                p->doc_has_statement = true;
                return V_STATEMENT;
        }
        if (IS("Version") || IS("Id")) {
                p->shape |= SHAPE_DOC;
                return V_VERSION;
        }
        if (IS("PolicyDocument")) {
                p->shape |= SHAPE_ROLE_POLICY;
                if (p->pversion_doc)
                        return (void) fail_here(p, n, "duplicate key PolicyDocument"), V_SKIP;
                p->pversion_doc = true;
                if (!p->top && policy_new(&p->top) < 0)
                        return (void) oom(p), V_SKIP;
                p->doc = p->top;
                return V_DOC;
        }
        if (IS("RoleName") || IS("PolicyName")) {
                p->shape |= SHAPE_ROLE_POLICY;
                return V_IGNORE_STRING;
        }
        if (IS("PolicyVersion")) {
                p->shape |= SHAPE_POLICY_VERSION;
                return V_PVERSION;
        }
        if (IS("RoleDetailList")) {
                p->shape |= SHAPE_DUMP;
                return V_ROLES;
        }
        if (IS("Policies")) {
                p->shape |= SHAPE_DUMP;
                return V_POLICIES;
        }
        if (IS("UserDetailList") || IS("GroupDetailList") || IS("IsTruncated") || IS("Marker")) {
                p->shape |= SHAPE_DUMP;
                return V_SKIP;
        }
        return V_SKIP;
#undef IS
}

static int cb_map_key(void *ctx, const unsigned char *k, size_t n) {
        struct parser *p = ctx;
        if (p->skip)
                return 1;
        struct frame *f = &p->frames[p->depth];
        enum val v = V_SKIP;
#define IS(s) (n == sizeof(s) - 1 && memcmp(k, s, n) == 0)
        switch (f->ctx) {
        case C_TOP:
                v = top_key(p, k, n);
                if (p->error)
                        return 0;
                break;
        case C_DOC:
                if (IS("Statement")) {
                        if (p->doc_has_statement)
                                return fail_here(p, n, "duplicate key Statement");
                        v = V_STATEMENT;
                } else if (IS("Version") || IS("Id"))
                        v = V_VERSION;
                break;
        case C_STMT: {
                struct stmt_builder *st = &p->st;
                bool *seen = NULL;
                if (IS("Sid"))
                        seen = &st->has_sid, v = V_SID;
                else if (IS("Effect"))
                        seen = &st->has_effect, v = V_EFFECT;
                else if (IS("Action"))
                        seen = &st->has_action, v = V_ACTION;
                else if (IS("NotAction"))
                        seen = &st->has_not_action, v = V_ACTION;
                else if (IS("Resource"))
                        seen = &st->has_resource, v = V_RESOURCE;
                else if (IS("NotResource"))
                        seen = &st->has_not_resource, v = V_RESOURCE;
                else if (IS("Condition"))
                        seen = &st->has_condition, v = V_CONDITION;
                if (seen) {
                        if (*seen)
                                return fail_here(p, n, "statement %u: duplicate key %.*s", p->stmt_count - 1, (int) n,
                                                 (const char *) k);
                        *seen = true;
                }
                break;
        }
        case C_CAPTURE_MAP:
                if (yajl_gen_string(p->cond, k, n) != yajl_gen_status_ok)
                        return oom(p);
                v = V_CAPTURE;
                break;
        case C_PVERSION:
                if (IS("Document")) {
                        if (p->pversion_doc)
                                return fail_here(p, n, "duplicate key Document");
                        p->pversion_doc = true;
                        if (!p->top && policy_new(&p->top) < 0)
                                return oom(p);
                        p->doc = p->top;
                        v = V_DOC;
                } else if (IS("VersionId"))
                        v = V_VERSION_ID;
                break;
        case C_ROLE:
                if (IS("RoleName"))
                        v = V_ROLE_NAME;
                else if (IS("InstanceProfileList"))
                        v = V_IP_LIST;
                else if (IS("RolePolicyList"))
                        v = p->role.ip == 0 ? V_SKIP : V_ROLE_POLICIES;    /* not a subject: no need */
                else if (IS("AttachedManagedPolicies"))
                        v = p->role.ip == 0 ? V_SKIP : V_ATTACHED_LIST;
                break;
        case C_ROLE_POLICY:
                if (IS("PolicyName"))
                        v = V_POLICY_NAME;
                else if (IS("PolicyDocument")) {
                        p->role.cur_has_doc = true;
                        p->doc = p->role.cur;
                        v = V_DOC;
                }
                break;
        case C_ATTACHED:
                if (IS("PolicyName"))
                        v = V_POLICY_NAME;
                else if (IS("PolicyArn"))
                        v = V_POLICY_ARN;
                break;
        case C_MPOLICY:
                if (IS("Arn"))
                        v = V_POLICY_ARN;
                else if (IS("PolicyName"))
                        v = V_POLICY_NAME;
                else if (IS("DefaultVersionId"))
                        v = V_DEFAULT_VERSION_ID;
                else if (IS("PolicyVersionList")) {
                        if (p->mp.arn && !mpolicy_wanted(p))
                                p->mp.skip_versions = true;
                        v = p->mp.skip_versions ? V_SKIP : V_MVERSIONS;
                }
                break;
        case C_MVERSION:
                if (IS("Document")) {
                        p->mp.cur_has_doc = true;
                        p->doc = p->mp.cur.doc;
                        v = V_DOC;
                } else if (IS("VersionId"))
                        v = V_VERSION_ID;
                else if (IS("IsDefaultVersion"))
                        v = V_IS_DEFAULT;
                break;
        default:
                break;
        }
#undef IS
        f->val = (uint8_t) v;
        return 1;
}

static int finish_top(struct parser *p);

static int cb_end_map(void *ctx) {
        struct parser *p = ctx;
        if (p->skip) {
                p->skip--;
                return 1;
        }
        struct frame *f = &p->frames[p->depth];
        int r = 1;

        switch (f->ctx) {
        case C_STMT:
                r = stmt_end(p);
                break;
        case C_DOC:
                if (!p->doc_has_statement)
                        r = fail_here(p, 0, "policy document without Statement");
                break;
        case C_CAPTURE_MAP:
                if (yajl_gen_map_close(p->cond) != yajl_gen_status_ok)
                        return oom(p);
                if (p->depth >= 1 && p->frames[p->depth - 1].ctx == C_STMT) {
                        const unsigned char *buf;
                        size_t len;
                        yajl_gen_get_buf(p->cond, &buf, &len);
                        free(p->st.condition);
                        p->st.condition = strndup((const char *) buf, len);
                        if (!p->st.condition)
                                return oom(p);
                }
                break;
        case C_ROLE:
                r = role_end(p);
                break;
        case C_ROLE_POLICY: {
                struct role_state *rs = &p->role;
                if (!rs->cur_has_doc)
                        return fail_here(p, 0, "inline policy %s without PolicyDocument", strempty(rs->cur_name));
                if (rs->cur_name)
                        rs->cur->name = arena_strdup(&rs->cur->arena, rs->cur_name);
                if (rs->n_inline == rs->a_inline) {
                        size_t na = rs->a_inline * 2 + 2;
                        struct policy **np = reallocarray(rs->inline_policies, na, sizeof(*np));
                        if (!np)
                                return oom(p);
                        rs->inline_policies = np;
                        rs->a_inline = na;
                }
                rs->inline_policies[rs->n_inline++] = TAKE_PTR(rs->cur);
                break;
        }
        case C_ATTACHED:
                if (!p->role.cur_arn)
                        return fail_here(p, 0, "attached policy %s without PolicyArn", strempty(p->role.cur_name));
                if (strvec_add(&p->role.attached_arn, p->role.cur_arn, strlen(p->role.cur_arn)) < 0 ||
                    strvec_add(&p->role.attached_name, strempty(p->role.cur_name), strlen(strempty(p->role.cur_name))) < 0)
                        return oom(p);
                break;
        case C_MPOLICY:
                r = mpolicy_end(p);
                break;
        case C_MVERSION:
                if (!p->mp.cur_has_doc)
                        return fail_here(p, 0, "policy version without Document");
                if (p->mp.n_versions < ELEMENTSOF(p->mp.versions)) {
                        p->mp.versions[p->mp.n_versions++] = p->mp.cur;
                        p->mp.cur = (struct mversion) {};
                } else
                        mversion_reset(&p->mp.cur);
                break;
        case C_TOP:
                r = finish_top(p);
                break;
        default:
                break;
        }
        p->depth--;
        return r;
}

static int cb_start_array(void *ctx) {
        struct parser *p = ctx;
        if (p->skip)
                return skip_deeper(p);
        enum val v = next_val(p);

        switch (v) {
        case V_SKIP:
                return start_skip(p);
        case V_STATEMENT:
                p->doc_has_statement = true;
                return push(p, C_STMT_LIST);
        case V_ACTION:
                return push(p, C_ACTION_LIST);
        case V_RESOURCE:
                return push(p, C_RESOURCE_LIST);
        case V_CAPTURE:
                if (yajl_gen_array_open(p->cond) != yajl_gen_status_ok)
                        return oom(p);
                return push(p, C_CAPTURE_ARRAY);
        case V_ROLES:
                return push(p, C_ROLES);
        case V_IP_LIST:
                p->role.ip = 0;
                return push(p, C_IP_LIST);
        case V_ROLE_POLICIES:
                return push(p, C_ROLE_POLICIES);
        case V_ATTACHED_LIST:
                return push(p, C_ATTACHED_LIST);
        case V_POLICIES:
                return push(p, C_POLICIES);
        case V_MVERSIONS:
                return push(p, C_MVERSIONS);
        default:
                return type_error(p, v, "an array");
        }
}

static int cb_end_array(void *ctx) {
        struct parser *p = ctx;
        if (p->skip) {
                p->skip--;
                return 1;
        }
        switch (p->frames[p->depth].ctx) {
        case C_CAPTURE_ARRAY:
                if (yajl_gen_array_close(p->cond) != yajl_gen_status_ok)
                        return oom(p);
                break;
        case C_ROLES:
                p->in_dump_roles_done = true;
                break;
        default:
                break;
        }
        p->depth--;
        return 1;
}

/* An instance profile is an object in InstanceProfileList: count it while skipping it. */
static int count_ip(struct parser *p) {
        if (p->depth > 0 && p->frames[p->depth].ctx == C_IP_LIST)
                p->role.ip++;
        return 1;
}

static int cb_start_map_outer(void *ctx) {
        struct parser *p = ctx;
        if (!p->skip && p->depth > 0 && p->frames[p->depth].ctx == C_IP_LIST) {
                count_ip(p);
                return start_skip(p);
        }
        return cb_start_map(ctx);
}

/* Each callback notes where yajl is first: feed() bounds the bytes between two of them. */
static int seen(void *ctx) {
        struct parser *p = ctx;
        p->last_event = cur_offset(p);
        return 1;
}

static int on_null(void *ctx) {
        return seen(ctx) && cb_null(ctx);
}

static int on_boolean(void *ctx, int b) {
        return seen(ctx) && cb_boolean(ctx, b);
}

static int on_number(void *ctx, const char *s, size_t n) {
        return seen(ctx) && cb_number(ctx, s, n);
}

static int on_string(void *ctx, const unsigned char *s, size_t n) {
        return seen(ctx) && cb_string(ctx, s, n);
}

static int on_start_map(void *ctx) {
        return seen(ctx) && cb_start_map_outer(ctx);
}

static int on_map_key(void *ctx, const unsigned char *s, size_t n) {
        return seen(ctx) && cb_map_key(ctx, s, n);
}

static int on_end_map(void *ctx) {
        return seen(ctx) && cb_end_map(ctx);
}

static int on_start_array(void *ctx) {
        return seen(ctx) && cb_start_array(ctx);
}

static int on_end_array(void *ctx) {
        return seen(ctx) && cb_end_array(ctx);
}

static const yajl_callbacks callbacks = {
        .yajl_null = on_null,
        .yajl_boolean = on_boolean,
        .yajl_number = on_number,
        .yajl_string = on_string,
        .yajl_start_map = on_start_map,
        .yajl_map_key = on_map_key,
        .yajl_end_map = on_end_map,
        .yajl_start_array = on_start_array,
        .yajl_end_array = on_end_array,
};

static yajl_handle new_handle(struct parser *p) {
        yajl_handle h = yajl_alloc(&callbacks, NULL, p);
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
        strvec_done(&p->st.actions);
        strvec_done(&p->st.resources);
        role_reset(&p->role);
        strvec_done(&p->role.attached_arn);
        strvec_done(&p->role.attached_name);
        mpolicy_reset(&p->mp);
        policy_free(p->top);
        free(p->pversion_id);
        free(p->error);
}

/* Feeds one chunk; 0 or -EBADMSG with p->error set. */
static int feed(struct parser *p, const unsigned char *buf, size_t len, bool last) {
        yajl_status s;

        p->chunk = buf;
        p->chunk_len = len;
        s = last ? yajl_complete_parse(p->h) : yajl_parse(p->h, buf, len);
        if (s == yajl_status_ok && p->chunk_base + len - p->last_event > MAX_VALUE) {
                /* Blanks aside, what follows the last value is one value that yajl holds until
                 * it ends: stop it growing here. */
                fail_at(p, p->last_event, "a value longer than %d bytes follows (the limit for every string and "
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
                fail_at(p, off, "invalid JSON: %s", msg ? strstrip(msg) : "parse error");
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
                return fail_here(p, len, "URL-encoded document inside a URL-encoded document");
        n.h = new_handle(&n);
        if (!n.h)
                return oom(p);
        r = feed(&n, s, len, false);
        if (r == 0)
                r = feed(&n, s, 0, true);
        if (r == 0 && !n.took_root)
                r = -EBADMSG, n.error = strdup("empty document");
        if (r < 0) {
                fail_here(p, 0, "in the URL-encoded policy document: %s", n.error ? n.error : "out of memory");
                parser_done(&n);
                return 0;
        }
        parser_done(&n);
        return 1;
}

static int finish_top(struct parser *p) {
        unsigned shape = p->shape;

        if (shape == 0)
                return fail_here(p, 0, "not a policy document nor the output of aws iam get-role-policy, "
                                       "get-policy-version or get-account-authorization-details (no known key)");
        if (shape & SHAPE_DUMP) {
                if (shape != SHAPE_DUMP)
                        return fail_here(p, 0, "mixes the keys of an authorization dump with those of a policy");
                return 1;
        }
        if (shape & SHAPE_POLICY_VERSION) {
                if (shape != SHAPE_POLICY_VERSION)
                        return fail_here(p, 0, "mixes PolicyVersion with the keys of another shape");
                if (!p->pversion_doc)
                        return fail_here(p, 0, "PolicyVersion without Document");
                return 1;
        }
        if (shape & SHAPE_ROLE_POLICY) {
                if (shape != SHAPE_ROLE_POLICY)
                        return fail_here(p, 0, "mixes PolicyDocument with the keys of a policy document");
                if (!p->pversion_doc)
                        return fail_here(p, 0, "RoleName/PolicyName without PolicyDocument");
                return 1;
        }
        if (!p->doc_statement_seen)
                return fail_here(p, 0, "policy document without Statement");
        return 1;
}

/* ---- reading inputs ---- */

static int hexval(char c) {
        return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

int url_decode(const char *s, size_t n, char **ret, size_t *ret_len) {
        char *d = malloc(n + 1);
        size_t k = 0;

        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '%') {
                        d[k++] = s[i];
                        continue;
                }
                if (i + 2 >= n || !isxdigit((unsigned char) s[i + 1]) || !isxdigit((unsigned char) s[i + 2])) {
                        free(d);
                        return -EINVAL;
                }
                d[k++] = (char) (hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
                i += 2;
        }
        d[k] = '\0';
        *ret = d;
        *ret_len = k;
        return 0;
}

static int read_all(int fd, size_t max, char **ret, size_t *ret_len, const char *first, size_t first_len) {
        size_t len = first_len, alloc = first_len + READ_CHUNK;
        char *buf = malloc(alloc + 1);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, first, first_len);
        for (;;) {
                if (len == alloc) {
                        if (alloc >= max) {
                                free(buf);
                                return -EFBIG;
                        }
                        alloc *= 2;
                        char *nb = realloc(buf, alloc + 1);
                        if (!nb) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = nb;
                }
                ssize_t k = read(fd, buf + len, alloc - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = negative_errno();
                        free(buf);
                        return r;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = '\0';
        *ret = buf;
        *ret_len = len;
        return 0;
}

static void input_file_free(struct input_file *f) {
        if (!f)
                return;
        hashmap_free(f->referenced, NULL);
        hashmap_free(f->managed, policy_free_void);
        free(f->path);
        free(f);
}

static int input_file_new(struct policy_input *in, const char *path, struct input_file **ret) {
        struct input_file **nf = reallocarray(in->files, in->n_files + 1, sizeof(*nf));
        if (!nf)
                return -ENOMEM;
        in->files = nf;
        struct input_file *f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->path = strdup(path);
        if (!f->path || hashmap_new(&f->referenced) < 0 || hashmap_new(&f->managed) < 0) {
                input_file_free(f);
                return -ENOMEM;
        }
        in->files[in->n_files++] = f;
        *ret = f;
        return 0;
}


int policy_input_new(struct policy_input **ret) {
        struct policy_input *in = calloc(1, sizeof(*in));
        if (!in)
                return -ENOMEM;
        if (store_new(&in->store) < 0 || hashmap_new(&in->builtin) < 0) {
                policy_input_free(in);
                return -ENOMEM;
        }
        *ret = in;
        return 0;
}

struct policy_input *policy_input_free(struct policy_input *in) {
        if (!in)
                return NULL;
        store_free(in->store);
        for (size_t i = 0; i < in->n_files; i++)
                input_file_free(in->files[i]);
        free(in->files);
        hashmap_free(in->builtin, policy_free_void);
        bytes_done(&in->content);
        free(in);
        return NULL;
}

/* After a non-dump input: its one document is the subject, named after the file. */
static int spool_single(struct parser *p) {
        const char *label = NULL;
        _cleanup_free_ char *l = NULL;

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
                                        fail_at(p, 0, "input is neither JSON nor URL-encoded JSON (bad %%-escape)");
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
                r = feed(p, buf, (size_t) k, false);
                if (r < 0)
                        return r;
        }
        if (!complete)
                return 0;
        r = feed(p, buf, 0, true);
        if (r < 0)
                return r;
        if (!p->took_root) {
                fail_at(p, 0, "empty input");
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

static int builtin_policy(struct policy_input *in, const struct builtin_policy *b, struct policy **ret) {
        _cleanup_free_ char *key = NULL, *err = NULL;
        struct policy *pol;
        int r;

        if (asprintf(&key, "%s@%s", b->name, b->version) < 0)
                return -ENOMEM;
        pol = hashmap_get_str(in->builtin, key);
        if (!pol) {
                r = policy_parse_buffer(key, b->json, strlen(b->json), &pol, &err);
                if (r < 0)
                        return r;
                pol->name = arena_strdup(&pol->arena, b->name);
                pol->version = arena_strdup(&pol->arena, b->version);
                if (hashmap_put(in->builtin, key, strlen(key), pol) < 0) {
                        policy_free(pol);
                        return -ENOMEM;
                }
        }
        *ret = pol;
        return 0;
}

int policy_input_next_ref(struct policy_input *in, struct subject_ref *ret) {
        struct store_subject ss;
        int r;

        in->have_current = false;
        in->reading = true;
        r = store_next(in->store, &ss);
        if (r <= 0)
                return r;
        if (ss.file >= in->n_files)
                return -EBADMSG;
        in->cur_name = ss.name;
        in->cur_file = ss.file;
        in->have_current = true;
        *ret = (struct subject_ref) { .name = ss.name, .content = ss.content, .later = ss.later };
        return 1;
}

int policy_input_current(struct policy_input *in, struct subject **ret) {
        struct subject *s = NULL;
        struct arena tmp = {};
        const uint8_t *pos, *end;
        uint32_t n;
        int r;

        if (!in->have_current)
                return -ESRCH;
        struct input_file *file = in->files[in->cur_file];
        size_t len;
        r = store_content(in->store, &pos, &len);
        if (r < 0)
                return r;
        end = pos + len;

        r = subject_new(in->cur_name, &s);
        if (r < 0)
                goto fail;
        if ((r = unpack_u32(&pos, end, &n)) < 0)
                goto fail;
        for (uint32_t i = 0; i < n; i++) {
                const char *label;
                struct policy *pol;
                if ((r = unpack_str(&pos, end, &tmp, &label)) < 0 || (r = policy_unpack(&pos, end, &pol)) < 0)
                        goto fail;
                if (!label) {
                        const char *pn = strempty(pol->name);
                        size_t pl = strlen(pn);
                        char *l = arena_alloc(&tmp, pl + 15);
                        if (!l) {
                                policy_free(pol);
                                r = -ENOMEM;
                                goto fail;
                        }
                        memcpy(l, "inline policy ", 14);
                        memcpy(l + 14, pn, pl + 1);
                        label = l;
                }
                r = subject_add_policy(s, pol, label, true);
                if (r < 0) {
                        policy_free(pol);
                        goto fail;
                }
        }
        if ((r = unpack_u32(&pos, end, &n)) < 0)
                goto fail;
        for (uint32_t i = 0; i < n; i++) {
                const char *arn, *pname;
                _cleanup_free_ char *label = NULL;
                struct policy *pol;
                const struct builtin_policy *b;

                if ((r = unpack_str(&pos, end, &tmp, &arn)) < 0 || (r = unpack_str(&pos, end, &tmp, &pname)) < 0 ||
                    !arn) {
                        r = r < 0 ? r : -EBADMSG;
                        goto fail;
                }
                pol = hashmap_get_str(file->managed, arn);
                if (pol) {
                        size_t al = strlen(arn), vl = pol->version ? strlen(pol->version) : 0;
                        label = malloc(al + vl + 17);
                        if (!label) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        char *q = stpcpy(stpcpy(label, "managed policy "), arn);
                        if (pol->version)
                                stpcpy(stpcpy(q, " "), pol->version);
                        r = subject_add_policy(s, pol, label, false);
                } else if ((b = builtin_policy_for_arn(arn))) {
                        r = builtin_policy(in, b, &pol);
                        if (r < 0)
                                goto fail;
                        if (asprintf(&label, "AWS managed policy %s %s (built-in copy)", b->name, b->version) < 0) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        r = subject_add_policy(s, pol, label, false);
                } else
                        r = subject_add_unresolved(s, arn);
                if (r < 0)
                        goto fail;
        }
        if (pos != end) {
                r = -EBADMSG;
                goto fail;
        }
        arena_done(&tmp);
        *ret = s;
        return 0;
fail:
        arena_done(&tmp);
        subject_free(s);
        return r;
}

int policy_input_next(struct policy_input *in, struct subject **ret) {
        struct subject_ref ref;
        int r = policy_input_next_ref(in, &ref);
        if (r <= 0)
                return r;
        r = policy_input_current(in, ret);
        return r < 0 ? r : 1;
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
                        fail_at(&p, 0, "neither JSON nor URL-encoded JSON (bad %%-escape)");
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
                r = feed(&p, (const unsigned char *) text, len, false);
                if (r == 0)
                        r = feed(&p, (const unsigned char *) text, 0, true);
                if (r == 0 && !p.took_root) {
                        fail_at(&p, 0, "empty input");
                        r = -EBADMSG;
                }
        }
        if (r == 0 && !p.error && p.shape == SHAPE_DUMP) {
                fail_at(&p, 0, "an authorization dump holds many policies; give one policy");
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
