/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

/* Read-only client of the Docker Engine API on its unix socket (through src/http.h). */

#define DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"

struct docker_container {
        char *id;
        char *name;             /* without Docker's leading "/" */
        char *image;
        char *network_mode;     /* HostConfig.NetworkMode: "host", "bridge", "awsvpc", "container:ID" ... */
};

void docker_containers_free(struct docker_container *c, size_t n);

/* The socket to talk to: DOCKER_HOST=unix:///PATH as the docker CLI reads it, else
 * ROOT/var/run/docker.sock with its links resolved inside ROOT. 0; -EPROTONOSUPPORT when DOCKER_HOST
 * names something other than a unix socket, -EINVAL when it is unix:// with a relative path (*ret
 * is then the value of DOCKER_HOST); -ENOMEM. */
int docker_socket_path(const char *root, char **ret);

/* Parses the answer of GET /containers/json. 0 or -EBADMSG when it is not a JSON array of
 * container objects (then *ret_error, if not NULL, holds yajl's message or a description;
 * free it). */
int docker_parse_containers(const char *json, struct docker_container **ret, size_t *ret_n, char **ret_error);

/* Lists the running containers. 0; -ENOENT when there is no socket; -ECONNREFUSED when nothing
 * listens; -EACCES; -EPROTO when the daemon answered with an HTTP error (*ret_status holds it);
 * -EBADMSG when the answer could not be parsed; -EOPNOTSUPP when libcurl is missing. */
int docker_list_containers(const char *socket, struct docker_container **ret, size_t *ret_n, long *ret_status,
                           char **ret_error);
