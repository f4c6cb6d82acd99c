/* SPDX-License-Identifier: Apache-2.0 */
/* host-network-containers: a container in the host's network namespace sends its packets to IMDS
 * through OUTPUT, not FORWARD, so the block never sees them. */
#include "status/check.h"
#include "status/docker.h"

#define MAX_NAMES_IN_SUMMARY 5

/* The ECS agent itself runs with host networking by design (it needs the instance role). Task
 * containers cannot take its name: ECS names them ecs-<family>-<revision>-<name>-<hash>. */
static bool is_ecs_agent(const struct docker_container *c) {
        return streq_ptr(c->name, "ecs-agent") && c->image && strstr(c->image, "amazon-ecs-agent");
}

static bool is_host(const struct docker_container *c) {
        return streq_ptr(c->network_mode, "host");
}

/* "container:X" shares X's namespace; X may be given by name or (a prefix of) its id. */
static const struct docker_container *joined(const struct docker_container *list, size_t n,
                                             const struct docker_container *c) {
        if (!c->network_mode || strncmp(c->network_mode, "container:", 10) != 0)
                return NULL;
        const char *x = c->network_mode + 10;
        if (!*x)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (streq_ptr(list[i].name, x) || (list[i].id && strncmp(list[i].id, x, strlen(x)) == 0))
                        return &list[i];
        return NULL;
}

int check_host_network_containers(const struct check_ctx *ctx, struct check_result *ret) {
        _cleanup_free_ char *socket = NULL, *error = NULL, *names = NULL;
        struct docker_container *list = NULL;
        size_t n = 0, n_host = 0, names_size = 0;
        long status = 0;
        FILE *f = NULL;
        int r;

        r = docker_socket_path(ctx->root, &socket);
        if (r == -EPROTONOSUPPORT)
                return check_result_set(ret, CHECK_SKIP, "DOCKER_HOST=%s is not a unix:// socket; only a local "
                                                         "Docker daemon is asked", socket);
        if (r == -EINVAL)
                return check_result_set(ret, CHECK_SKIP, "DOCKER_HOST=%s names a relative socket path; write "
                                                         "unix:///ABSOLUTE/PATH (three slashes: unix:// and the "
                                                         "path from /), e.g. unix:///var/run/docker.sock", socket);
        if (r < 0)
                return r;

        r = docker_list_containers(socket, &list, &n, &status, &error);
        switch (r) {
        case 0:
                break;
        case -ENOENT:
                return check_result_set(ret, CHECK_SKIP, "no Docker here (no socket at %s)", socket);
        case -ECONNREFUSED:
        case -ENOTSOCK:
                return check_result_set(ret, CHECK_SKIP, "Docker is not running (nothing answers on %s)", socket);
        case -EACCES:
        case -EPERM:
                return check_result_set(ret, CHECK_SKIP, "permission denied on %s (run as root or in the docker "
                                                         "group)", socket);
        case -EOPNOTSUPP:
                return check_result_set(ret, CHECK_SKIP, "cannot ask Docker: libcurl (libcurl.so.4) could not be "
                                                         "loaded");
        case -ENOMEM:
                return r;
        default:
                /* Docker is there but its answer cannot be judged: someone should look. */
                if (r == -EPROTO && status > 0)
                        r = check_result_set(ret, CHECK_WARN, "Docker answered GET /containers/json with HTTP %ld%s%s",
                                             status, error ? ": " : "", strempty(error));
                else if (r == -EBADMSG)
                        r = check_result_set(ret, CHECK_WARN, "cannot parse Docker's container list: %s",
                                             error ? error : "invalid JSON");
                else {
                        errno = -r;
                        r = check_result_set(ret, CHECK_WARN, "cannot list the containers on %s: %m", socket);
                }
                if (r >= 0)
                        r = check_result_remedy(ret, "check the Docker daemon (journalctl -u docker) and run "
                                                     "'docker ps --filter network=host'");
                return r;
        }

        f = open_memstream(&names, &names_size);
        if (!f) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                const struct docker_container *c = &list[i], *via = joined(list, n, c);
                const char *name = c->name ? c->name : c->id ? c->id : "(unnamed)";
                bool host = is_host(c) || (via && is_host(via));
                char id[13];

                snprintf(id, sizeof(id), "%s", strempty(c->id));
                if (!host)
                        continue;
                if (is_ecs_agent(c)) {
                        r = check_result_detail(ret, "%s (%s): the ECS agent, which runs with host networking by "
                                                     "design; not counted", name, strempty(c->image));
                        if (r < 0)
                                goto out;
                        continue;
                }
                if (via && !is_host(c))
                        r = check_result_detail(ret, "%s (image %s, id %s): shares the network namespace of %s, "
                                                     "which uses host networking", name, strempty(c->image), id,
                                                strempty(via->name));
                else
                        r = check_result_detail(ret, "%s (image %s, id %s): network mode host", name,
                                                strempty(c->image), id);
                if (r < 0)
                        goto out;
                if (n_host < MAX_NAMES_IN_SUMMARY)
                        fprintf(f, "%s%s", n_host ? ", " : "", name);
                n_host++;
        }
        if (n_host > MAX_NAMES_IN_SUMMARY)
                fprintf(f, ", and %zu more", n_host - MAX_NAMES_IN_SUMMARY);
        if (fclose(f) != 0) {
                f = NULL;
                r = -ENOMEM;
                goto out;
        }
        f = NULL;

        if (n_host == 0) {
                r = check_result_set(ret, CHECK_PASS, "no running container uses host networking (%zu running)", n);
                goto out;
        }
        r = check_result_set(ret, CHECK_WARN, "%zu running container%s use%s host networking, which the block "
                                              "cannot stop: %s",
                             n_host, n_host == 1 ? "" : "s", n_host == 1 ? "s" : "", names);
        if (r >= 0)
                r = check_result_remedy(ret, "run these containers with network mode bridge or awsvpc: with host "
                                             "networking their traffic to IMDS leaves through OUTPUT, which the "
                                             "FORWARD block never sees; require IMDSv2 and keep the instance role "
                                             "minimal for what must stay on the host network");
out:
        if (f)
                fclose(f);
        docker_containers_free(list, n);
        return r;
}
