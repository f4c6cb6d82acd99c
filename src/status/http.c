/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP over libcurl, loaded on first use (src/dlopen-util.h). */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "lib/dlopen-util.h"
#include "status/http.h"
#include "lib/util.h"

static void *curl_dl;
static const char *curl_dl_error;

static __typeof__(&curl_easy_init) sym_curl_easy_init;
static __typeof__(&curl_easy_setopt) sym_curl_easy_setopt;
static __typeof__(&curl_easy_perform) sym_curl_easy_perform;
static __typeof__(&curl_easy_getinfo) sym_curl_easy_getinfo;
static __typeof__(&curl_easy_cleanup) sym_curl_easy_cleanup;
static __typeof__(&curl_slist_append) sym_curl_slist_append;
static __typeof__(&curl_slist_free_all) sym_curl_slist_free_all;

static int curl_load(void) {
        return dlopen_many(&curl_dl, "libcurl.so.4", &curl_dl_error,
                           DLSYM_ARG(curl_easy_init),
                           DLSYM_ARG(curl_easy_setopt),
                           DLSYM_ARG(curl_easy_perform),
                           DLSYM_ARG(curl_easy_getinfo),
                           DLSYM_ARG(curl_easy_cleanup),
                           DLSYM_ARG(curl_slist_append),
                           DLSYM_ARG(curl_slist_free_all),
                           NULL);
}

const char *http_load_error(void) {
        return curl_dl ? NULL : curl_dl_error;
}

static void easy_cleanupp(CURL **c) {
        if (*c)
                sym_curl_easy_cleanup(*c);
}

static void slist_freep(struct curl_slist **l) {
        if (*l)
                sym_curl_slist_free_all(*l);
}

void http_response_done(struct http_response *r) {
        free(r->body);
        memset(r, 0, sizeof(*r));
}

struct sink {
        char *buf;
        size_t size, alloc, max;
        bool too_big;
};

static size_t sink_write(char *data, size_t one, size_t n, void *userdata) {
        struct sink *s = userdata;
        size_t len = one * n;

        if (len > s->max - s->size) {
                s->too_big = true;
                return 0; /* makes curl stop with CURLE_WRITE_ERROR */
        }
        if (s->size + len + 1 > s->alloc) {
                size_t a = s->alloc ? s->alloc : 4096;
                while (a < s->size + len + 1)
                        a *= 2;
                char *b = realloc(s->buf, a);
                if (!b)
                        return 0;
                s->buf = b;
                s->alloc = a;
        }
        memcpy(s->buf + s->size, data, len);
        s->size += len;
        s->buf[s->size] = '\0';
        return len;
}

/* SENT: the request went out, so that the error is about the answer. */
static int map_error(CURLcode code, long os_errno, bool sent) {
        switch (code) {
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                /* The connect() errno says why: refused, no route, no such socket file. */
                return os_errno > 0 ? (int) -os_errno : -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
                return -EHOSTUNREACH;
        case CURLE_UNSUPPORTED_PROTOCOL:
                /* Also curl's verdict on an answer that is no HTTP/1.x (HTTP/0.9, garbage): that is
                 * the server's fault, not the URL's. */
                return sent ? -EPROTO : -EINVAL;
        case CURLE_URL_MALFORMAT:
                return -EINVAL;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
                return -EPROTO;
        default:
                return -EIO;
        }
}

int http_perform(const struct http_request *req, struct http_response *ret) {
        _cleanup_(easy_cleanupp) CURL *c = NULL;
        _cleanup_(slist_freep) struct curl_slist *headers = NULL;
        struct sink sink = { .max = req->max_body ? req->max_body : 1024 * 1024 };
        long status = 0, os_errno = 0;
        CURLcode code;
        int r;

        r = curl_load();
        if (r < 0)
                return r;

        c = sym_curl_easy_init();
        if (!c)
                return -ENOMEM;

        for (const char *const *h = req->headers; h && *h; h++) {
                struct curl_slist *l = sym_curl_slist_append(headers, *h);
                if (!l)
                        return -ENOMEM;
                headers = l;
        }

        sym_curl_easy_setopt(c, CURLOPT_URL, req->url);
        sym_curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
        if (streq(req->method, "PUT")) {
                /* An empty body, sent as Content-Length: 0 (IMDS refuses chunked PUTs). */
                sym_curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
                sym_curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
        }
        if (headers)
                sym_curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        if (req->unix_socket)
                sym_curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
        /* Link-local and local endpoints only: a proxy from the environment must not see them. */
        sym_curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        (void) sym_curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
        sym_curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        sym_curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        sym_curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
        sym_curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                             req->connect_timeout_ms > 0 ? req->connect_timeout_ms : req->timeout_ms);
        sym_curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
        sym_curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);

        code = sym_curl_easy_perform(c);
        if (code != CURLE_OK) {
                free(sink.buf);
                if (sink.too_big)
                        return -EFBIG;
                long sent = 0;
                (void) sym_curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
                (void) sym_curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &sent);
                return map_error(code, os_errno, sent > 0);
        }
        (void) sym_curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);

        if (!sink.buf) {
                sink.buf = strdup("");
                if (!sink.buf)
                        return -ENOMEM;
        }
        *ret = (struct http_response) { .status = status, .body = sink.buf, .size = sink.size };
        return 0;
}
