/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <strings.h>
#include <time.h>

#include "status/http.h"
#include "status/imds.h"
#include "lib/util.h"

struct imds {
        char *endpoint;
        bool disabled;
        int transport_error;    /* first failure to reach the service; sticky */
        bool token_done;
        int token_error;
        long token_status;
        char *token;
        long long deadline_ms;  /* CLOCK_MONOTONIC; 0 until the first request */
};

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool env_true(const char *name) {
        const char *v = getenv(name);
        return v && strcasecmp(v, "true") == 0;
}

int imds_new(struct imds **ret) {
        struct imds *m = calloc(1, sizeof(*m));
        const char *e = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        const char *mode = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");

        if (!m)
                return -ENOMEM;
        m->disabled = env_true("AWS_EC2_METADATA_DISABLED");
        if (!e || !*e)
                e = mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_DEFAULT_ENDPOINT_IPV6 : IMDS_DEFAULT_ENDPOINT;
        m->endpoint = strdup(e);
        if (!m->endpoint) {
                free(m);
                return -ENOMEM;
        }
        /* "http://host/" and "http://host" name the same service; paths are appended. */
        size_t n = strlen(m->endpoint);
        while (n > 0 && m->endpoint[n - 1] == '/')
                m->endpoint[--n] = '\0';
        *ret = m;
        return 0;
}

void imds_free(struct imds *m) {
        if (!m)
                return;
        free(m->endpoint);
        if (m->token)
                explicit_bzero(m->token, strlen(m->token));
        free(m->token);
        free(m);
}

bool imds_disabled(const struct imds *m) {
        return m->disabled;
}

const char *imds_endpoint(const struct imds *m) {
        return m->endpoint;
}

/* The whole budget of IMDS requests in one run: IMDS_BUDGET_MS, or AWS_METADATA_SERVICE_TIMEOUT
 * seconds as the AWS SDKs read it (for a slow link, or a run under valgrind). */
static long long imds_budget_ms(void) {
        const char *e = getenv("AWS_METADATA_SERVICE_TIMEOUT");
        char *end;

        if (e && *e) {
                double s = strtod(e, &end);
                if (*end == '\0' && s > 0 && s <= 60)
                        return (long long) (s * 1000);
        }
        return IMDS_BUDGET_MS;
}

/* One request within the client's budget. */
static int request(struct imds *m, const char *method, const char *path, const char *const *headers,
                   struct http_response *ret) {
        _cleanup_free_ char *url = NULL;
        long long now = now_ms();
        int r;

        if (m->disabled)
                return -ECANCELED;
        if (m->transport_error < 0)
                return m->transport_error;
        if (m->deadline_ms == 0)
                m->deadline_ms = now + imds_budget_ms();
        if (now >= m->deadline_ms)
                return m->transport_error = -ETIMEDOUT;
        if (asprintf(&url, "%s%s", m->endpoint, path) < 0)
                return -ENOMEM;

        long remaining = (long) (m->deadline_ms - now);
        struct http_request req = {
                .method = method,
                .url = url,
                .headers = headers,
                .timeout_ms = remaining,
                .connect_timeout_ms = remaining < IMDS_CONNECT_TIMEOUT_MS ? remaining : IMDS_CONNECT_TIMEOUT_MS,
                .max_body = 256 * 1024,
        };
        r = http_perform(&req, ret);
        if (r < 0 && r != -ENOMEM && r != -EFBIG && r != -EOPNOTSUPP)
                m->transport_error = r;
        return r;
}

int imds_token(struct imds *m, const char **ret_token, long *ret_status) {
        if (!m->token_done) {
                static const char *const headers[] = {
                        "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL_SECONDS,
                        NULL,
                };
                struct http_response resp = {};
                int r = request(m, "PUT", "/latest/api/token", headers, &resp);
                if (r == -ENOMEM || r == -EOPNOTSUPP)
                        return r; /* not the service's answer: may be retried */
                m->token_done = true;
                if (r < 0)
                        m->token_error = r;
                else {
                        m->token_status = resp.status;
                        char *t = strstrip(resp.body);
                        if (resp.status == 200 && *t && strlen(t) == strcspn(t, "\r\n")) {
                                m->token = strdup(t);
                                if (!m->token)
                                        m->token_error = -ENOMEM;
                        } else
                                m->token_error = -EPROTONOSUPPORT;
                        explicit_bzero(resp.body, resp.size);
                        http_response_done(&resp);
                }
        }
        if (ret_status)
                *ret_status = m->token_status;
        if (m->token_error < 0)
                return m->token_error;
        if (ret_token)
                *ret_token = m->token;
        return 0;
}

int imds_get(struct imds *m, const char *path, bool use_token, long *ret_status, char **ret_body) {
        _cleanup_free_ char *header = NULL;
        const char *headers[2] = {};
        struct http_response resp = {};
        int r;

        if (use_token) {
                const char *token;
                r = imds_token(m, &token, NULL);
                if (r >= 0) {
                        if (asprintf(&header, "X-aws-ec2-metadata-token: %s", token) < 0)
                                return -ENOMEM;
                        headers[0] = header;
                } else if (r != -EPROTONOSUPPORT)
                        return r;
        }

        r = request(m, "GET", path, headers, &resp);
        if (header)
                explicit_bzero(header, strlen(header));
        if (r < 0)
                return r;
        *ret_status = resp.status;
        if (ret_body)
                *ret_body = TAKE_PTR(resp.body);
        http_response_done(&resp);
        return 0;
}

int imds_role_name(struct imds *m, char **ret) {
        _cleanup_free_ char *body = NULL;
        long status;
        int r;

        r = imds_get(m, "/latest/meta-data/iam/security-credentials/", true, &status, &body);
        if (r < 0)
                return r;
        if (status == 404)
                return -ENOENT;
        if (status != 200)
                return -EPROTO;

        /* One role name per line; an instance profile holds exactly one role. */
        char *name = strstrip(body);
        name[strcspn(name, "\r\n")] = '\0';
        if (!*name)
                return -ENOENT;
        for (const char *p = name; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("+=,.@_-", *p))
                        return -EPROTO; /* not an IAM role name */
        char *s = strdup(name);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

const char *imds_error_text(int error) {
        switch (error) {
        case -ECANCELED:
                return "AWS_EC2_METADATA_DISABLED=true";
        case -ETIMEDOUT:
                return "no answer within the time allowed";
        case -ECONNREFUSED:
                return "connection refused";
        case -ENETUNREACH:
        case -EHOSTUNREACH:
                return "no route to the service";
        case -EOPNOTSUPP:
                return "libcurl (libcurl.so.4) could not be loaded";
        case -EPROTO:
                return "the answer was not what IMDS answers";
        case -EINVAL:
                return "the endpoint is not a valid http:// URL";
        default:
                return "the service could not be reached";
        }
}
