/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

/* The EC2 instance metadata service, as the AWS SDKs reach it: the endpoint from
 * AWS_EC2_METADATA_SERVICE_ENDPOINT (or _ENDPOINT_MODE=IPv6), default http://169.254.169.254;
 * AWS_EC2_METADATA_DISABLED=true means never contact it. A session token (IMDSv2) is fetched
 * once with PUT /latest/api/token. All requests of one client share a budget of one second, so
 * that a host off EC2 costs at most that, and after one transport failure the client does not
 * try again. */

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_DEFAULT_ENDPOINT_IPV6 "http://[fd00:ec2::254]"
#define IMDS_BUDGET_MS 1000
#define IMDS_CONNECT_TIMEOUT_MS 300
#define IMDS_TOKEN_TTL_SECONDS "60" /* the token is used for a second or two */

struct imds;

/* Reads the environment. 0 or -ENOMEM. */
int imds_new(struct imds **ret);
void imds_free(struct imds *m);

bool imds_disabled(const struct imds *m);
const char *imds_endpoint(const struct imds *m);

/* Fetches (once) a session token. 0 with *ret_token set (owned by M); -ECANCELED when IMDS is
 * disabled; -EPROTONOSUPPORT when IMDS answered the PUT with something other than 200 (an
 * IMDSv1-only service), *ret_status (if not NULL) holding that status; another negative errno
 * when nothing answered (-ECONNREFUSED, -ETIMEDOUT, -ENETUNREACH, ...). */
int imds_token(struct imds *m, const char **ret_token, long *ret_status);

/* GET PATH (starting with "/latest/"). With USE_TOKEN, sends the session token when one can be
 * had, and asks without one when the service does not hand out tokens. 0 when the service
 * answered (any status: *ret_status, body in *ret_body if not NULL), or a negative errno as
 * for imds_token(). */
int imds_get(struct imds *m, const char *path, bool use_token, long *ret_status, char **ret_body);

/* The name of the role of the instance profile. 0, -ENOENT when the instance has none (404), or
 * a negative errno as above. */
int imds_role_name(struct imds *m, char **ret);

/* A short text for an error of the functions above ("no answer within 1 s", ...). Static. */
const char *imds_error_text(int error);
