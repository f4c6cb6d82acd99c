/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

/* A small HTTP client over libcurl, which is loaded with dlopen on first use so that the
 * commands on the boot path never pay for it. Used for IMDS and the Docker Engine API. */

struct http_request {
        const char *method;             /* "GET", "PUT" */
        const char *url;
        const char *unix_socket;        /* connect here instead of the URL's host; NULL = TCP */
        const char *const *headers;     /* "Name: value", NULL-terminated; may be NULL */
        long timeout_ms;                /* whole request; > 0 */
        long connect_timeout_ms;        /* 0 = timeout_ms */
        size_t max_body;                /* larger answers fail with -EFBIG; 0 = 1 MiB */
};

struct http_response {
        long status;                    /* HTTP status code */
        char *body;                     /* NUL-terminated */
        size_t size;
};

void http_response_done(struct http_response *r);

/* Performs REQ. 0 when an HTTP answer came (any status), filling *ret. Otherwise a negative
 * errno: -ECONNREFUSED, -ENOENT (no such socket), -EACCES, -ENETUNREACH, -EHOSTUNREACH,
 * -ETIMEDOUT, -EFBIG, -EPROTO (not HTTP), -EOPNOTSUPP when libcurl cannot be loaded (then
 * http_load_error() says why). */
int http_perform(const struct http_request *req, struct http_response *ret);

/* dlerror()'s text after -EOPNOTSUPP, or NULL. */
const char *http_load_error(void);
