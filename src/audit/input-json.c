/* SPDX-License-Identifier: Apache-2.0 */
/* The yajl callbacks of audit-policy's input step: what each key and value means in each shape
 * (input-private.h). */
#include <fcntl.h>
#include <sys/stat.h>

#include "audit/input-private.h"
#include "audit/policy-builtin.h"

/* ---- yajl callbacks ---- */

static int scalar(struct parser *p, enum val v, const char *type) {
        switch (v) {
        case V_SKIP:
        case V_CAPTURE:
                return 1;
        default:
                return parser_type_error(p, v, type);
        }
}

static int cb_null(void *ctx) {
        struct parser *p = ctx;
        if (p->skip)
                return 1;
        enum val v = parser_next_val(p);
        if (v == V_CAPTURE)
                return yajl_gen_null(p->cond) == yajl_gen_status_ok ? 1 : parser_oom(p);
        return scalar(p, v, "null");
}

static int cb_boolean(void *ctx, int b) {
        struct parser *p = ctx;
        if (p->skip)
                return 1;
        enum val v = parser_next_val(p);
        switch (v) {
        case V_CAPTURE:
                return yajl_gen_bool(p->cond, b) == yajl_gen_status_ok ? 1 : parser_oom(p);
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
        enum val v = parser_next_val(p);
        if (v == V_CAPTURE)
                return yajl_gen_number(p->cond, s, n) == yajl_gen_status_ok ? 1 : parser_oom(p);
        return scalar(p, v, "a number");
}

static int set_str(struct parser *p, char **dst, const unsigned char *s, size_t n) {
        free(*dst);
        *dst = strndup((const char *) s, n);
        return *dst ? 1 : parser_oom(p);
}

static int add_action(struct parser *p, const unsigned char *s, size_t n) {
        const char *why = NULL;
        if (n > MAX_PATTERN)
                return parser_malformed(p, n, "statement %u: an action of %zu bytes (at most %d): \"%.40s...\"",
                                 p->stmt_count - 1, n, MAX_PATTERN, (const char *) s);
        if (!memchr(s, '\0', n) && !action_valid((const char *) s, n, &why) &&
            action_blanked_valid((const char *) s, n)) {
                /* Judged without the blanks; the judge names it as written (unknown). */
                char buf[MAX_PATTERN];
                size_t k = 0;
                for (size_t i = 0; i < n; i++)
                        if (s[i] != ' ' && s[i] != '\t')
                                buf[k++] = (char) s[i];
                if (strv_add(&p->st.blanked, (const char *) s, n) < 0 || strv_add(&p->st.actions, buf, k) < 0)
                        return parser_oom(p);
                return 1;
        }
        if (memchr(s, '\0', n) || !action_valid((const char *) s, n, &why))
                return parser_malformed(p, n, "statement %u: action \"%.*s\" %s", p->stmt_count - 1, (int) (n > 200 ? 200 : n),
                                 (const char *) s, why ? why : "contains a NUL byte");
        return strv_add(&p->st.actions, (const char *) s, n) < 0 ? parser_oom(p) : 1;
}

static int add_resource(struct parser *p, const unsigned char *s, size_t n) {
        if (n > MAX_PATTERN)
                return parser_malformed(p, n, "statement %u: a resource of %zu bytes (at most %d): \"%.40s...\"",
                                 p->stmt_count - 1, n, MAX_PATTERN, (const char *) s);
        return strv_add(&p->st.resources, (const char *) s, n) < 0 ? parser_oom(p) : 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n) {
        struct parser *p = ctx;
        if (p->skip)
                return 1;
        enum val v = parser_next_val(p);

        switch (v) {
        case V_SKIP:
        case V_VERSION:
        case V_IGNORE_STRING:
                return 1;
        case V_CAPTURE:
                return yajl_gen_string(p->cond, s, n) == yajl_gen_status_ok ? 1 : parser_oom(p);
        case V_ROOT:
                /* The whole input is one string: a URL-encoded document. */
                p->shape |= SHAPE_DOC;
                p->doc_statement_seen = true;
                if (!p->top && policy_new(&p->top) < 0)
                        return parser_oom(p);
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
                        return parser_malformed(p, n, "statement %u: Effect must be \"Allow\" or \"Deny\", not \"%.*s\"",
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
                        return parser_fail_here(p, n, "ARN contains a NUL byte");
                if (p->depth > 0 && p->frames[p->depth].ctx == C_ATTACHED)
                        return set_str(p, &p->role.cur_arn, s, n);
                return set_str(p, &p->mp.arn, s, n);
        case V_DEFAULT_VERSION_ID:
                return set_str(p, &p->mp.default_version, s, n);
        default:
                return parser_type_error(p, v, "a string");
        }
}

/* Inside a value being skipped, a nested map or array only deepens the skip, within bounds. */
static int skip_deeper(struct parser *p) {
        if (p->depth + p->skip >= MAX_DEPTH)
                return parser_fail_here(p, 0, "nesting deeper than %d levels", MAX_DEPTH);
        p->skip++;
        return 1;
}

static int cb_start_map(void *ctx) {
        struct parser *p = ctx;
        if (p->skip)
                return skip_deeper(p);
        enum val v = parser_next_val(p);

        switch (v) {
        case V_SKIP:
                return parser_start_skip(p);
        case V_ROOT:
                return parser_push(p, C_TOP);
        case V_DOC_ROOT:
        case V_DOC:
                doc_begin(p, p->doc);
                return parser_push(p, C_DOC);
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
                                return parser_oom(p);
                }
                yajl_gen_reset(p->cond, NULL);
                yajl_gen_clear(p->cond);
                if (yajl_gen_map_open(p->cond) != yajl_gen_status_ok)
                        return parser_oom(p);
                return parser_push(p, C_CAPTURE_MAP);
        case V_CAPTURE:
                if (yajl_gen_map_open(p->cond) != yajl_gen_status_ok)
                        return parser_oom(p);
                return parser_push(p, C_CAPTURE_MAP);
        case V_PVERSION:
                return parser_push(p, C_PVERSION);
        case V_ROLE:
                role_reset(&p->role);
                p->role.active = true;
                return parser_push(p, C_ROLE);
        case V_ROLE_POLICY:
                policy_free(p->role.cur);
                p->role.cur = NULL;
                free(p->role.cur_name);
                p->role.cur_name = NULL;
                p->role.cur_has_doc = false;
                if (policy_new(&p->role.cur) < 0)
                        return parser_oom(p);
                p->doc = p->role.cur;
                return parser_push(p, C_ROLE_POLICY);
        case V_ATTACHED:
                free(p->role.cur_arn);
                p->role.cur_arn = NULL;
                free(p->role.cur_name);
                p->role.cur_name = NULL;
                return parser_push(p, C_ATTACHED);
        case V_MPOLICY:
                mpolicy_reset(&p->mp);
                p->mp.active = true;
                return parser_push(p, C_MPOLICY);
        case V_MVERSION:
                mversion_reset(&p->mp.cur);
                p->mp.cur_has_doc = false;
                if (policy_new(&p->mp.cur.doc) < 0)
                        return parser_oom(p);
                p->doc = p->mp.cur.doc;
                return parser_push(p, C_MVERSION);
        default:
                /* Kept (a version not judged): the value is skipped. */
                return parser_type_error(p, v, "an object") ? parser_start_skip(p) : 0;
        }
}

static enum val top_key(struct parser *p, const unsigned char *k, size_t n) {
#define IS(s) (n == sizeof(s) - 1 && memcmp(k, s, n) == 0)
        if (IS("Statement")) {
                p->shape |= SHAPE_DOC;
                if (p->doc_statement_seen)
                        return (void) parser_fail_here(p, n, "duplicate key Statement"), V_SKIP;
                p->doc_statement_seen = true;
                if (!p->top && policy_new(&p->top) < 0)
                        return (void) parser_oom(p), V_SKIP;
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
                        return (void) parser_fail_here(p, n, "duplicate key PolicyDocument"), V_SKIP;
                p->pversion_doc = true;
                if (!p->top && policy_new(&p->top) < 0)
                        return (void) parser_oom(p), V_SKIP;
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
        if (IS("UserDetailList") || IS("GroupDetailList")) {
                p->shape |= SHAPE_DUMP;
                return V_SKIP;
        }
        if (IS("AttachedPolicies")) {
                /* A role's attached policies without their documents: resolved from the
                 * shipped AWS managed policies, else unresolved. */
                p->shape |= SHAPE_ATTACHED;
                return V_ATTACHED_LIST;
        }
        /* Paging keys of both the dump and the list. */
        if (IS("IsTruncated") || IS("Marker"))
                return V_SKIP;
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
                        if (!p->doc_has_statement)
                                v = V_STATEMENT;
                        else if (!parser_malformed(p, n, "duplicate key Statement"))
                                return 0;
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
                        if (*seen) {
                                if (!parser_malformed(p, n, "statement %u: duplicate key %.*s", p->stmt_count - 1, (int) n,
                                                      (const char *) k))
                                        return 0;
                                v = V_SKIP;
                        }
                        *seen = true;
                }
                break;
        }
        case C_CAPTURE_MAP:
                if (yajl_gen_string(p->cond, k, n) != yajl_gen_status_ok)
                        return parser_oom(p);
                v = V_CAPTURE;
                break;
        case C_PVERSION:
                if (IS("Document")) {
                        if (p->pversion_doc)
                                return parser_fail_here(p, n, "duplicate key Document");
                        p->pversion_doc = true;
                        if (!p->top && policy_new(&p->top) < 0)
                                return parser_oom(p);
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

int finish_top(struct parser *p);

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
                        r = parser_malformed(p, 0, "policy document without Statement");
                break;
        case C_CAPTURE_MAP:
                if (yajl_gen_map_close(p->cond) != yajl_gen_status_ok)
                        return parser_oom(p);
                if (p->depth >= 1 && p->frames[p->depth - 1].ctx == C_STMT) {
                        const unsigned char *buf;
                        size_t len;
                        yajl_gen_get_buf(p->cond, &buf, &len);
                        free(p->st.condition);
                        p->st.condition = strndup((const char *) buf, len);
                        if (!p->st.condition)
                                return parser_oom(p);
                }
                break;
        case C_ROLE:
                r = role_end(p);
                break;
        case C_ROLE_POLICY: {
                struct role_state *rs = &p->role;
                if (!rs->cur_has_doc)
                        return parser_fail_here(p, 0, "inline policy %s without PolicyDocument", strempty(rs->cur_name));
                if (rs->cur_name)
                        rs->cur->name = arena_strdup(&rs->cur->arena, rs->cur_name);
                if (rs->n_inline == rs->a_inline) {
                        size_t na = rs->a_inline * 2 + 2;
                        struct policy **np = reallocarray(rs->inline_policies, na, sizeof(*np));
                        if (!np)
                                return parser_oom(p);
                        rs->inline_policies = np;
                        rs->a_inline = na;
                }
                rs->inline_policies[rs->n_inline++] = TAKE_PTR(rs->cur);
                break;
        }
        case C_ATTACHED:
                if (!p->role.cur_arn)
                        return parser_fail_here(p, 0, "attached policy %s without PolicyArn", strempty(p->role.cur_name));
                if (strv_add(&p->role.attached_arn, p->role.cur_arn, strlen(p->role.cur_arn)) < 0 ||
                    strv_add(&p->role.attached_name, strempty(p->role.cur_name), strlen(strempty(p->role.cur_name))) < 0)
                        return parser_oom(p);
                break;
        case C_MPOLICY:
                r = mpolicy_end(p);
                break;
        case C_MVERSION:
                if (!p->mp.cur_has_doc && !parser_malformed(p, 0, "policy version without Document"))
                        return 0;
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
        enum val v = parser_next_val(p);

        switch (v) {
        case V_SKIP:
                return parser_start_skip(p);
        case V_STATEMENT:
                p->doc_has_statement = true;
                return parser_push(p, C_STMT_LIST);
        case V_ACTION:
                return parser_push(p, C_ACTION_LIST);
        case V_RESOURCE:
                return parser_push(p, C_RESOURCE_LIST);
        case V_CAPTURE:
                if (yajl_gen_array_open(p->cond) != yajl_gen_status_ok)
                        return parser_oom(p);
                return parser_push(p, C_CAPTURE_ARRAY);
        case V_ROLES:
                return parser_push(p, C_ROLES);
        case V_IP_LIST:
                p->role.ip = 0;
                return parser_push(p, C_IP_LIST);
        case V_ROLE_POLICIES:
                return parser_push(p, C_ROLE_POLICIES);
        case V_ATTACHED_LIST:
                return parser_push(p, C_ATTACHED_LIST);
        case V_POLICIES:
                return parser_push(p, C_POLICIES);
        case V_MVERSIONS:
                return parser_push(p, C_MVERSIONS);
        default:
                return parser_type_error(p, v, "an array") ? parser_start_skip(p) : 0;
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
                        return parser_oom(p);
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
                return parser_start_skip(p);
        }
        return cb_start_map(ctx);
}

/* Each callback notes where yajl is first: parser_feed() bounds the bytes between two of them. */
static int seen(void *ctx) {
        struct parser *p = ctx;
        p->last_event = parser_offset(p);
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

const yajl_callbacks parser_callbacks = {
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
