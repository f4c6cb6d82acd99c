/* SPDX-License-Identifier: Apache-2.0 */
/* The status registry and the pieces of the checks that need no kernel: ids, order, result
 * helpers, the Docker answer parser, the IMDS client's reading of the environment. */
#include "status/check.h"
#include "status/docker.h"
#include "status/imds.h"
#include "test.h"

TEST(registry_ids_in_contract_order) {
        static const char *const want[] = {
                "imds-block-ipv4", "imds-block-ipv6", "bridge-coverage", "persistence", "boot-unit",
                "ecs-config", "imds-v2", "instance-role-policy", "host-network-containers",
        };
        ASSERT_INT_EQ(n_checks, ELEMENTSOF(want));
        for (size_t i = 0; i < n_checks; i++) {
                ASSERT_STR_EQ(checks[i].id, want[i]);
                ASSERT_TRUE(checks[i].run != NULL);
        }
}

TEST(status_names) {
        ASSERT_STR_EQ(check_status_to_string(CHECK_PASS), "PASS");
        ASSERT_STR_EQ(check_status_to_string(CHECK_WARN), "WARN");
        ASSERT_STR_EQ(check_status_to_string(CHECK_FAIL), "FAIL");
        ASSERT_STR_EQ(check_status_to_string(CHECK_SKIP), "SKIP");
        ASSERT_STR_EQ(check_status_to_string(CHECK_INFO), "INFO");
        ASSERT_STR_EQ(check_status_to_key(CHECK_INFO), "info");
        ASSERT_TRUE(check_status_to_string(_CHECK_STATUS_MAX) == NULL);
}

TEST(result_helpers) {
        struct check_result r = {};
        ASSERT_INT_EQ(check_result_set(&r, CHECK_WARN, "%d of %d", 1, 2), 0);
        ASSERT_INT_EQ(check_result_set(&r, CHECK_FAIL, "now %s", "fail"), 0);
        ASSERT_INT_EQ(check_result_detail(&r, "a %s", "b"), 0);
        ASSERT_INT_EQ(check_result_detail(&r, "c"), 0);
        ASSERT_INT_EQ(check_result_remedy(&r, "do %s", "x"), 0);
        ASSERT_INT_EQ(r.status, CHECK_FAIL);
        ASSERT_STR_EQ(r.summary, "now fail");
        ASSERT_INT_EQ(r.n_details, 2);
        ASSERT_STR_EQ(r.details[0], "a b");
        ASSERT_STR_EQ(r.details[1], "c");
        ASSERT_STR_EQ(r.remediation, "do x");
        check_result_done(&r);
        ASSERT_TRUE(r.summary == NULL && r.details == NULL && r.n_details == 0);
}

TEST(command_repeats_the_command_line) {
        struct options o = { .root = "/" };
        struct check_cache cache = {};
        struct check_ctx ctx = { .o = &o, .root = "/", .cache = &cache };
        char *s;

        (void) block_add_pattern(&o.block, "docker+", NULL);
        o.block.ipv6 = true;
        s = check_ctx_command(&ctx, "apply");
        ASSERT_STR_EQ(s, "ecs-harden apply");
        free(s);

        (void) block_add_pattern(&o.block, "cni0", NULL);
        o.set_interfaces = o.set_backend = o.set_ipv6 = true;
        o.backend = FW_BACKEND_NFTABLES;
        o.block.ipv6 = false;
        s = check_ctx_command(&ctx, "persist");
        ASSERT_STR_EQ(s, "ecs-harden -b nftables -i docker+ -i cni0 --no-ipv6 persist");
        free(s);
}

TEST(docker_parse) {
        const char *json =
                "[{\"Id\":\"abc\",\"Names\":[\"/web\"],\"Image\":\"nginx\",\"HostConfig\":{\"NetworkMode\":\"bridge\"}},"
                " {\"Id\":\"def\",\"Names\":[\"/exporter\",\"/alias\"],\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"host\"}},"
                " {\"Id\":\"ghi\",\"Names\":[],\"Labels\":{}},"
                " 42]";
        struct docker_container *c = NULL;
        size_t n = 0;

        ASSERT_INT_EQ(docker_parse_containers(json, &c, &n, NULL), 0);
        ASSERT_INT_EQ(n, 3);
        ASSERT_STR_EQ(c[0].name, "web");
        ASSERT_STR_EQ(c[0].network_mode, "bridge");
        ASSERT_STR_EQ(c[1].name, "exporter");
        ASSERT_STR_EQ(c[1].network_mode, "host");
        ASSERT_STR_EQ(c[2].id, "ghi");
        ASSERT_TRUE(c[2].name == NULL && c[2].network_mode == NULL);
        docker_containers_free(c, n);
}

TEST(docker_parse_rejects) {
        struct docker_container *c = NULL;
        size_t n = 0;
        char *err = NULL;

        ASSERT_INT_EQ(docker_parse_containers("{\"message\":\"x\"}", &c, &n, &err), -EBADMSG);
        ASSERT_STR_EQ(err, "the answer is not a JSON array");
        free(err);
        err = NULL;
        ASSERT_INT_EQ(docker_parse_containers("[{\"Id\":", &c, &n, &err), -EBADMSG);
        ASSERT_TRUE(err && *err && !strchr(err, '\n'));
        free(err);
}

TEST(docker_socket_from_environment) {
        char *p = NULL;

        unsetenv("DOCKER_HOST");
        ASSERT_INT_EQ(docker_socket_path("/", &p), 0);
        ASSERT_STR_EQ(p, "/var/run/docker.sock");
        free(p);
        ASSERT_INT_EQ(docker_socket_path("/srv/root/", &p), 0);
        ASSERT_STR_EQ(p, "/srv/root/var/run/docker.sock");
        free(p);
        setenv("DOCKER_HOST", "unix:///tmp/d.sock", 1);
        ASSERT_INT_EQ(docker_socket_path("/srv/root", &p), 0);
        ASSERT_STR_EQ(p, "/tmp/d.sock");
        free(p);
        setenv("DOCKER_HOST", "tcp://10.0.0.1:2375", 1);
        ASSERT_INT_EQ(docker_socket_path("/", &p), -EPROTONOSUPPORT);
        ASSERT_STR_EQ(p, "tcp://10.0.0.1:2375");
        free(p);
        unsetenv("DOCKER_HOST");
}

TEST(imds_environment) {
        struct imds *m = NULL;

        unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
        unsetenv("AWS_EC2_METADATA_DISABLED");
        ASSERT_INT_EQ(imds_new(&m), 0);
        ASSERT_STR_EQ(imds_endpoint(m), "http://169.254.169.254");
        ASSERT_FALSE(imds_disabled(m));
        imds_free(m);

        setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6", 1);
        ASSERT_INT_EQ(imds_new(&m), 0);
        ASSERT_STR_EQ(imds_endpoint(m), "http://[fd00:ec2::254]");
        imds_free(m);

        setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338//", 1);
        setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
        ASSERT_INT_EQ(imds_new(&m), 0);
        ASSERT_STR_EQ(imds_endpoint(m), "http://127.0.0.1:1338");
        ASSERT_TRUE(imds_disabled(m));
        /* Disabled means no request at all, not even an attempt. */
        ASSERT_INT_EQ(imds_token(m, NULL, NULL), -ECANCELED);
        imds_free(m);
        unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
        unsetenv("AWS_EC2_METADATA_DISABLED");
}
