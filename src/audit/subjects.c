/* SPDX-License-Identifier: Apache-2.0 */
/* The subjects of audit-policy's inputs: the roles of a dump with their inline and attached
 * policies, and the managed policies they attach, stored as subjects (audit/store.h) while the
 * input is read; resolved into struct subject (managed policies from their dump, else from the
 * built-in copies) when read back, one at a time. */
#include <fcntl.h>
#include <sys/stat.h>

#include "audit/input-private.h"
#include "audit/policy-builtin.h"

/* ---- dump: roles and managed policies ---- */

void role_reset(struct role_state *r) {
        free(r->name);
        for (size_t i = 0; i < r->n_inline; i++)
                policy_free(r->inline_policies[i]);
        free(r->inline_policies);
        policy_free(r->cur);
        free(r->cur_name);
        free(r->cur_arn);
        strv_clear(&r->attached_arn);
        strv_clear(&r->attached_name);
        struct strv a = r->attached_arn, n = r->attached_name;
        *r = (struct role_state) { .attached_arn = a, .attached_name = n, .ip = -1 };
}

void mversion_reset(struct mversion *v) {
        policy_free(v->doc);
        free(v->version_id);
        free(v->error);
        *v = (struct mversion) {};
}

void mpolicy_reset(struct mpolicy_state *m) {
        free(m->arn);
        free(m->name);
        free(m->default_version);
        for (size_t i = 0; i < m->n_versions; i++)
                mversion_reset(&m->versions[i]);
        mversion_reset(&m->cur);
        *m = (struct mpolicy_state) {};
}

/* The message for a spool that cannot be written: the machine's problem, not the input's. */
char *spool_error(const char *path, int r) {
        char *m;
        if (asprintf(&m, "%s: cannot write the temporary file that holds the subjects (in $TMPDIR, else /tmp): %s",
                     path, strerror(-r)) < 0)
                return NULL;
        return m;
}

/* A subject's content: inline policies (label, policy: no label means "inline policy NAME"),
 * attached policies (ARN, name). */
int pack_content(struct bytes *b, struct policy *const *inl, const char *const *labels, size_t n_inline,
                        const struct strv *arns, const struct strv *names) {
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
                r = pack_str(b, strv_get(arns, i));
                if (r >= 0)
                        r = pack_str(b, strv_get(names, i));
        }
        if (r >= 0 && b->len >= UINT32_MAX)
                r = -E2BIG;
        return r;
}

/* Stores the subject NAME whose content is in in->content. 0 or negative errno. */
int store_subject(struct parser *p, const char *name) {
        return store_add(p->in->store, p->file_index, name, p->in->content.buf, p->in->content.len);
}

int role_end(struct parser *p) {
        struct role_state *r = &p->role;
        int k;

        if (!r->name)
                return parser_fail_here(p, 0, "a role in RoleDetailList without RoleName");
        if (r->ip > 0) {
                /* Inline policies are labelled from their name when read back. */
                k = pack_content(&p->in->content, r->inline_policies, NULL, r->n_inline, &r->attached_arn,
                                 &r->attached_name);
                if (k >= 0)
                        k = store_subject(p, r->name);
                if (k == -ENOMEM)
                        return parser_oom(p);
                if (k < 0) {
                        if (!p->error)
                                p->error = spool_error(p->path, k);
                        p->spool_failed = true;
                        return 0;
                }
                for (size_t i = 0; i < r->attached_arn.n; i++) {
                        const char *arn = strv_get(&r->attached_arn, i);
                        if (hashmap_put(p->file->referenced, arn, strlen(arn), (void *) 1) < 0)
                                return parser_oom(p);
                }
        }
        role_reset(r);
        return 1;
}

bool mpolicy_wanted(struct parser *p) {
        /* Until the roles have all been read, any policy may be attached to one of them. */
        if (!p->in_dump_roles_done)
                return true;
        return p->mp.arn && hashmap_get_str(p->file->referenced, p->mp.arn);
}

int mpolicy_end(struct parser *p) {
        struct mpolicy_state *m = &p->mp;
        struct mversion *chosen = NULL;

        if (!m->arn)
                return parser_fail_here(p, 0, "a managed policy in Policies without Arn");
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
        /* A malformed version that is not in effect is not judged, and no reason to stop; the
         * one in effect is an error as any policy's. */
        if (chosen && chosen->error) {
                if (asprintf(&p->error, "%s (in %s, default version %s)", chosen->error, m->arn,
                             chosen->version_id ? chosen->version_id : "(no VersionId)") < 0) {
                        p->error = NULL;
                        return parser_oom(p);
                }
                return 0;       /* yajl: stop parsing */
        }
        if (chosen) {
                struct policy *d = TAKE_PTR(chosen->doc);
                d->name = m->name ? arena_strdup(&d->arena, m->name) : NULL;
                d->version = chosen->version_id ? arena_strdup(&d->arena, chosen->version_id) : NULL;
                void **slot = hashmap_slot(p->file->managed, m->arn, strlen(m->arn), NULL);
                if (!slot) {
                        policy_free(d);
                        return parser_oom(p);
                }
                policy_free(*slot);
                *slot = d;
        }
        mpolicy_reset(m);
        return 1;
}

static void input_file_free(struct input_file *f) {
        if (!f)
                return;
        hashmap_free(f->referenced, NULL);
        hashmap_free(f->managed, policy_free_void);
        free(f->path);
        free(f);
}

int input_file_new(struct policy_input *in, const char *path, struct input_file **ret) {
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

/* ---- reading subjects back: resolution ---- */

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
