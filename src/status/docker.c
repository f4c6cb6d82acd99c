/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>
#include <yajl/yajl_tree.h>

#include "lib/atomic-file.h"
#include "status/docker.h"
#include "status/http.h"
#include "lib/util.h"

DEFINE_POINTER_CLEANUP(struct yajl_val_s, yajl_tree_free)

/* Docker answers quickly or is wedged; either way status must not hang on it. */
#define DOCKER_TIMEOUT_MS 3000
#define DOCKER_MAX_ANSWER (16u * 1024 * 1024)

void docker_containers_free(struct docker_container *c, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(c[i].id);
                free(c[i].name);
                free(c[i].image);
                free(c[i].network_mode);
        }
        free(c);
}

int docker_socket_path(const char *root, char **ret) {
        const char *host = getenv("DOCKER_HOST");
        char *p;

        if (host && *host) {
                bool is_unix = strncmp(host, "unix://", 7) == 0;
                if (!is_unix || host[7] != '/') {
                        p = strdup(host);
                        if (!p)
                                return -ENOMEM;
                        *ret = p;
                        return is_unix ? -EINVAL : -EPROTONOSUPPORT;
                }
                p = strdup(host + 7);
                if (!p)
                        return -ENOMEM;
                *ret = p;
                return 0;
        }
        if (!root || streq(root, "/")) {
                p = strdup(DOCKER_DEFAULT_SOCKET);
                if (!p)
                        return -ENOMEM;
                *ret = p;
                return 0;
        }
        /* ROOT/var/run is a link to /run in most images: the image's socket, never the host's. */
        int r = path_resolve_in_root(root, DOCKER_DEFAULT_SOCKET, ret);
        if (r != -ENOENT)
                return r;
        /* Nothing there: the joined path, for the message. */
        p = path_join_root(root, DOCKER_DEFAULT_SOCKET);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static const char *object_string(yajl_val v, const char *key) {
        const char *path[] = { key, NULL };
        yajl_val s = yajl_tree_get(v, path, yajl_t_string);
        return s ? YAJL_GET_STRING(s) : NULL;
}

static int dup_or_null(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int docker_parse_containers(const char *json, struct docker_container **ret, size_t *ret_n, char **ret_error) {
        _cleanup_(yajl_tree_freep) yajl_val root = NULL;
        char err[256] = "";
        struct docker_container *list = NULL;
        size_t n = 0;
        int r = 0;

        root = yajl_tree_parse(json, err, sizeof(err));
        if (!root || !YAJL_IS_ARRAY(root)) {
                if (ret_error) {
                        /* yajl's message spans lines (it quotes the input); keep the first. */
                        err[strcspn(err, "\n")] = '\0';
                        *ret_error = strdup(root ? "the answer is not a JSON array" : err[0] ? err : "invalid JSON");
                }
                return -EBADMSG;
        }

        size_t len = YAJL_GET_ARRAY(root)->len;
        list = calloc(len ? len : 1, sizeof(*list));
        if (!list)
                return -ENOMEM;

        for (size_t i = 0; i < len; i++) {
                yajl_val c = YAJL_GET_ARRAY(root)->values[i];
                if (!YAJL_IS_OBJECT(c))
                        continue;

                const char *name = NULL;
                const char *names_path[] = { "Names", NULL };
                yajl_val names = yajl_tree_get(c, names_path, yajl_t_array);
                if (names && YAJL_GET_ARRAY(names)->len > 0 && YAJL_IS_STRING(YAJL_GET_ARRAY(names)->values[0]))
                        name = YAJL_GET_STRING(YAJL_GET_ARRAY(names)->values[0]);
                if (name && name[0] == '/')
                        name++;

                const char *mode_path[] = { "HostConfig", "NetworkMode", NULL };
                yajl_val mode = yajl_tree_get(c, mode_path, yajl_t_string);

                struct docker_container *d = &list[n];
                r = dup_or_null(object_string(c, "Id"), &d->id);
                if (r >= 0)
                        r = dup_or_null(name, &d->name);
                if (r >= 0)
                        r = dup_or_null(object_string(c, "Image"), &d->image);
                if (r >= 0)
                        r = dup_or_null(mode ? YAJL_GET_STRING(mode) : NULL, &d->network_mode);
                n++;
                if (r < 0) {
                        docker_containers_free(list, n);
                        return r;
                }
        }

        *ret = list;
        *ret_n = n;
        return 0;
}

int docker_list_containers(const char *socket, struct docker_container **ret, size_t *ret_n, long *ret_status,
                           char **ret_error) {
        static const char *const headers[] = { "Accept: application/json", NULL };
        struct http_response resp = {};
        struct stat st;
        int r;

        /* Saves loading libcurl on hosts without Docker, and tells "no daemon" from "refused". */
        if (stat(socket, &st) < 0)
                return negative_errno();
        if (!S_ISSOCK(st.st_mode))
                return -ENOTSOCK;

        struct http_request req = {
                .method = "GET",
                /* Unversioned: the daemon serves its newest API; the fields read here are old. */
                .url = "http://localhost/containers/json",
                .unix_socket = socket,
                .headers = headers,
                .timeout_ms = DOCKER_TIMEOUT_MS,
                .max_body = DOCKER_MAX_ANSWER,
        };
        r = http_perform(&req, &resp);
        if (r < 0)
                return r;
        if (ret_status)
                *ret_status = resp.status;
        if (resp.status != 200) {
                if (ret_error) {
                        /* Docker's errors are {"message":"..."}. */
                        _cleanup_(yajl_tree_freep) yajl_val v = yajl_tree_parse(resp.body, NULL, 0);
                        const char *msg = v ? object_string(v, "message") : NULL;
                        *ret_error = msg ? strdup(msg) : NULL;
                }
                http_response_done(&resp);
                return -EPROTO;
        }
        r = docker_parse_containers(resp.body, ret, ret_n, ret_error);
        http_response_done(&resp);
        return r;
}
