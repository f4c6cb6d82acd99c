/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Inside audit-policy's input step (audit/input.h): the parser's state, shared by
 *   input.c       positions and errors, documents and statements, feeding yajl, reading files;
 *   input-json.c  the yajl callbacks: what each key and value means, shape by shape;
 *   subjects.c    roles and managed policies of a dump, stored as subjects, and resolved when
 *                 read back;
 *   decode.c      URL-decoding, reading a whole input.
 * Not for use outside those files. */

#include <ctype.h>
#include <stdarg.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "audit/input.h"
#include "audit/store.h"
#include "lib/hashmap.h"
#include "lib/strv.h"
#include "lib/util.h"

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


static inline void policy_free_void(void *p) {
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
        SHAPE_ATTACHED = 1 << 4,        /* aws iam list-attached-role-policies */
};

struct stmt_builder {
        bool has_sid, has_effect, has_action, has_not_action, has_resource, has_not_resource, has_condition;
        bool allow;
        char *sid;
        struct strv actions, resources, blanked;
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
        struct strv attached_arn, attached_name;
        /* the inline policy being read */
        struct policy *cur;
        char *cur_name, *cur_arn;
        bool cur_has_doc;
};

struct mversion {
        struct policy *doc;
        char *version_id;
        bool is_default;
        char *error;                    /* the first malformation: fatal only in the default version */
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

/* input.c */
bool action_valid(const char *s, size_t n, const char **why);
bool action_blanked_valid(const char *s, size_t n);
uint64_t parser_offset(struct parser *p);
int doc_begin(struct parser *p, struct policy *target);
int doc_string(struct parser *p, const unsigned char *s, size_t len, struct policy *target);
_printf_(3, 4) int parser_fail_here(struct parser *p, size_t len, const char *fmt, ...);
/* Like parser_fail_here() for what is wrong in a policy document, short of invalid JSON or
 * nesting: inside a version of a dump's managed policy it is kept with the version and parsing
 * goes on (1; only the default version is judged, mpolicy_end() decides), else it stops (0). */
_printf_(3, 4) int parser_malformed(struct parser *p, size_t len, const char *fmt, ...);
int parser_feed(struct parser *p, const unsigned char *buf, size_t len, bool last);
int finish_top(struct parser *p);
enum val parser_next_val(struct parser *p);
int parser_oom(struct parser *p);
int parser_push(struct parser *p, enum ctx c);
int parser_start_skip(struct parser *p);
int stmt_begin(struct parser *p);
int stmt_end(struct parser *p);
int parser_type_error(struct parser *p, enum val v, const char *got);

/* subjects.c */
int input_file_new(struct policy_input *in, const char *path, struct input_file **ret);
int mpolicy_end(struct parser *p);
void mpolicy_reset(struct mpolicy_state *m);
bool mpolicy_wanted(struct parser *p);
void mversion_reset(struct mversion *v);
int pack_content(struct bytes *b, struct policy *const *inl, const char *const *labels, size_t n_inline,
                        const struct strv *arns, const struct strv *names);
int role_end(struct parser *p);
void role_reset(struct role_state *r);
char *spool_error(const char *path, int r);
int store_subject(struct parser *p, const char *name);

/* decode.c */
int read_all(int fd, size_t max, char **ret, size_t *ret_len, const char *first, size_t first_len);

extern const yajl_callbacks parser_callbacks;       /* input-json.c */
