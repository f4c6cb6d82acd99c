/* SPDX-License-Identifier: Apache-2.0 */
/* imds-v2: IMDS answers only requests that carry a session token. With IMDSv1 on, anything that
 * reaches 169.254.169.254 (a container past a missing block, an SSRF in a host-network service)
 * reads the role's credentials with a single GET; a token needs a PUT first, which SSRFs rarely
 * can send and which a hop limit of 1 keeps inside the host. */
#include "status/check.h"
#include "status/imds.h"

static int remedy(struct imds *m, struct check_result *ret) {
        _cleanup_free_ char *id = NULL;
        long status = 0;

        /* The instance id makes the remediation a command to paste. */
        if (imds_get(m, "/latest/meta-data/instance-id", true, &status, &id) < 0 || status != 200) {
                free(id);
                id = NULL;
        }
        return check_result_remedy(ret, "require session tokens: 'aws ec2 modify-instance-metadata-options "
                                        "--instance-id %s --http-tokens required --http-put-response-hop-limit 1' "
                                        "(launch templates: MetadataOptions HttpTokens=required, "
                                        "HttpPutResponseHopLimit=1)",
                                   id && *strstrip(id) ? strstrip(id) : "INSTANCE_ID");
}

int check_imds_v2(const struct check_ctx *ctx, struct check_result *ret) {
        struct imds *m;
        long put_status = 0, get_status = 0;
        int r;

        r = check_ctx_imds(ctx, &m);
        if (r < 0)
                return r;
        if (imds_disabled(m))
                return check_result_set(ret, CHECK_SKIP, "AWS_EC2_METADATA_DISABLED=true: the metadata service "
                                                         "was not asked");

        r = imds_token(m, NULL, &put_status);
        if (r == -EOPNOTSUPP)
                return check_result_set(ret, CHECK_SKIP, "cannot ask the metadata service: libcurl (libcurl.so.4) "
                                                         "could not be loaded");
        if (r < 0 && r != -EPROTONOSUPPORT)
                return check_result_set(ret, CHECK_SKIP, "not on EC2: no metadata service at %s (%s)",
                                        imds_endpoint(m), imds_error_text(r));
        bool token = r >= 0;

        r = check_result_detail(ret, token ? "PUT %s/latest/api/token: %ld, session token issued"
                                           : "PUT %s/latest/api/token: %ld, no session token (IMDSv1 only)",
                                imds_endpoint(m), put_status);
        if (r < 0)
                return r;

        r = imds_get(m, "/latest/meta-data/", false, &get_status, NULL);
        if (r < 0)
                return check_result_set(ret, CHECK_SKIP, "the metadata service at %s stopped answering (%s)",
                                        imds_endpoint(m), imds_error_text(r));
        r = check_result_detail(ret, "GET %s/latest/meta-data/ without a token: %ld", imds_endpoint(m), get_status);
        if (r < 0)
                return r;

        if (get_status == 200) {
                r = check_result_set(ret, CHECK_WARN, token ? "IMDSv1 is on: the metadata service answers without a "
                                                              "session token"
                                                            : "IMDSv1 only: the metadata service hands out no "
                                                              "session token and answers without one");
                return r < 0 ? r : remedy(m, ret);
        }
        if (get_status == 401 && token)
                return check_result_set(ret, CHECK_PASS, "IMDSv2 required: the metadata service answers only with "
                                                         "a session token");
        if (!token)
                /* Neither a token nor metadata: whatever answers there is not IMDS (a proxy, say). */
                return check_result_set(ret, CHECK_SKIP, "not on EC2: what answers at %s is not the metadata "
                                                         "service (PUT token: %ld, GET: %ld)",
                                        imds_endpoint(m), put_status, get_status);
        return check_result_set(ret, CHECK_INFO, "unexpected answer from %s without a token (HTTP %ld); cannot "
                                                 "tell whether IMDSv1 is off", imds_endpoint(m), get_status);
}
