/* SPDX-License-Identifier: Apache-2.0 */
#include <systemd/sd-bus.h>
#include <time.h>

#include "lib/bus-systemd.h"
#include "lib/dlopen-util.h"
#include "lib/util.h"

static void *libsystemd;
static __typeof__(&sd_bus_new) sym_sd_bus_new;
static __typeof__(&sd_bus_set_address) sym_sd_bus_set_address;
static __typeof__(&sd_bus_start) sym_sd_bus_start;
static __typeof__(&sd_bus_open_system) sym_sd_bus_open_system;
static __typeof__(&sd_bus_flush_close_unref) sym_sd_bus_flush_close_unref;
static __typeof__(&sd_bus_call_method) sym_sd_bus_call_method;
static __typeof__(&sd_bus_message_new_method_call) sym_sd_bus_message_new_method_call;
static __typeof__(&sd_bus_message_append) sym_sd_bus_message_append;
static __typeof__(&sd_bus_message_append_strv) sym_sd_bus_message_append_strv;
static __typeof__(&sd_bus_call) sym_sd_bus_call;
static __typeof__(&sd_bus_message_read) sym_sd_bus_message_read;
static __typeof__(&sd_bus_message_enter_container) sym_sd_bus_message_enter_container;
static __typeof__(&sd_bus_message_exit_container) sym_sd_bus_message_exit_container;
static __typeof__(&sd_bus_message_unref) sym_sd_bus_message_unref;
static __typeof__(&sd_bus_error_free) sym_sd_bus_error_free;
static __typeof__(&sd_bus_error_has_name) sym_sd_bus_error_has_name;
static __typeof__(&sd_bus_error_get_errno) sym_sd_bus_error_get_errno;
static __typeof__(&sd_bus_match_signal) sym_sd_bus_match_signal;
static __typeof__(&sd_bus_slot_unref) sym_sd_bus_slot_unref;
static __typeof__(&sd_bus_process) sym_sd_bus_process;
static __typeof__(&sd_bus_wait) sym_sd_bus_wait;
static __typeof__(&sd_bus_get_property_string) sym_sd_bus_get_property_string;

static int load_libsystemd(const char **ret_error) {
        return dlopen_many(&libsystemd, "libsystemd.so.0", ret_error,
                           DLSYM_ARG(sd_bus_new), DLSYM_ARG(sd_bus_set_address), DLSYM_ARG(sd_bus_start),
                           DLSYM_ARG(sd_bus_open_system), DLSYM_ARG(sd_bus_flush_close_unref),
                           DLSYM_ARG(sd_bus_call_method), DLSYM_ARG(sd_bus_message_new_method_call),
                           DLSYM_ARG(sd_bus_message_append), DLSYM_ARG(sd_bus_message_append_strv),
                           DLSYM_ARG(sd_bus_call), DLSYM_ARG(sd_bus_message_read),
                           DLSYM_ARG(sd_bus_message_enter_container), DLSYM_ARG(sd_bus_message_exit_container),
                           DLSYM_ARG(sd_bus_message_unref), DLSYM_ARG(sd_bus_error_free),
                           DLSYM_ARG(sd_bus_error_has_name), DLSYM_ARG(sd_bus_error_get_errno),
                           DLSYM_ARG(sd_bus_match_signal), DLSYM_ARG(sd_bus_slot_unref),
                           DLSYM_ARG(sd_bus_process), DLSYM_ARG(sd_bus_wait),
                           DLSYM_ARG(sd_bus_get_property_string), NULL);
}

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

struct removed_job {
        char *path, *result;
};

struct systemd_bus {
        sd_bus *bus;
        char error[256];
        struct removed_job *removed;   /* JobRemoved signals seen so far */
        size_t n_removed;
};

static void messagep(sd_bus_message **m) {
        if (*m)
                sym_sd_bus_message_unref(*m);
}
static void errorp(sd_bus_error *e) {
        sym_sd_bus_error_free(e);
}
static void slotp(sd_bus_slot **s) {
        if (*s)
                sym_sd_bus_slot_unref(*s);
}

const char *systemd_bus_error(const struct systemd_bus *bus) {
        return bus ? bus->error : "";
}

/* Maps a D-Bus error to an errno and keeps its text. */
static int bus_fail(struct systemd_bus *b, const sd_bus_error *e, int r) {
        snprintf(b->error, sizeof(b->error), "%s", e && e->message ? e->message : strerror(r < 0 ? -r : EIO));
        if (e && e->name) {
                if (sym_sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit") ||
                    sym_sd_bus_error_has_name(e, "org.freedesktop.DBus.Error.FileNotFound"))
                        return -ENOENT;
                if (sym_sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitMasked"))
                        return -ERFKILL;
                if (sym_sd_bus_error_has_name(e, "org.freedesktop.DBus.Error.AccessDenied") ||
                    sym_sd_bus_error_has_name(e, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"))
                        return -EACCES;
                int k = sym_sd_bus_error_get_errno(e);
                if (k > 0)
                        return -k;
        }
        return r < 0 ? r : -EIO;
}

static int job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct systemd_bus *b = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        (void) ret_error;
        if (sym_sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        struct removed_job *n = realloc(b->removed, (b->n_removed + 1) * sizeof(*n));
        if (!n)
                return 0;
        b->removed = n;
        n[b->n_removed] = (struct removed_job) { strdup(path), strdup(result) };
        if (n[b->n_removed].path && n[b->n_removed].result)
                b->n_removed++;
        else {
                free(n[b->n_removed].path);
                free(n[b->n_removed].result);
        }
        return 0;
}

void systemd_bus_close(struct systemd_bus *b) {
        if (!b)
                return;
        if (b->bus)
                sym_sd_bus_flush_close_unref(b->bus);
        for (size_t i = 0; i < b->n_removed; i++) {
                free(b->removed[i].path);
                free(b->removed[i].result);
        }
        free(b->removed);
        free(b);
}

static int connect_private(sd_bus **ret) {
        sd_bus *bus = NULL;
        int r = sym_sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sym_sd_bus_set_address(bus, "unix:path=/run/systemd/private");
        if (r >= 0)
                r = sym_sd_bus_start(bus);
        if (r < 0) {
                sym_sd_bus_flush_close_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

int systemd_bus_open(struct systemd_bus **ret) {
        const char *dlerr = NULL;
        int r;

        r = load_libsystemd(&dlerr);
        if (r < 0)
                return r;

        struct systemd_bus *b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        r = -ENOMEDIUM;
        if (geteuid() == 0)
                r = connect_private(&b->bus);
        if (r < 0)
                r = sym_sd_bus_open_system(&b->bus);
        if (r < 0) {
                snprintf(b->error, sizeof(b->error), "cannot reach systemd: %s", strerror(-r));
                systemd_bus_close(b);
                return r == -ENOENT || r == -ECONNREFUSED ? -ENOMEDIUM : r;
        }
        *ret = b;
        return 0;
}

int systemd_unit_file_state(struct systemd_bus *b, const char *unit, char **ret) {
        _cleanup_(errorp) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(messagep) sd_bus_message *reply = NULL;
        const char *state;
        int r;

        r = sym_sd_bus_call_method(b->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnitFileState", &e, &reply,
                                   "s", unit);
        if (r < 0)
                return bus_fail(b, &e, r);
        r = sym_sd_bus_message_read(reply, "s", &state);
        if (r < 0)
                return bus_fail(b, NULL, r);
        *ret = strdup(state);
        return *ret ? 0 : -ENOMEM;
}

int systemd_enable_units(struct systemd_bus *b, const char *const *units, size_t n, unsigned *ret_changes) {
        _cleanup_(errorp) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(messagep) sd_bus_message *m = NULL, *reply = NULL, *reload = NULL;
        char *list[16];
        int carries, r;
        unsigned changes = 0;

        if (n >= ELEMENTSOF(list))
                return -E2BIG;
        for (size_t i = 0; i < n; i++)
                list[i] = (char *) units[i];
        list[n] = NULL;

        r = sym_sd_bus_message_new_method_call(b->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "EnableUnitFiles");
        if (r >= 0)
                r = sym_sd_bus_message_append_strv(m, list);
        if (r >= 0)
                r = sym_sd_bus_message_append(m, "bb", 0, 0);
        if (r < 0)
                return bus_fail(b, NULL, r);
        r = sym_sd_bus_call(b->bus, m, 0, &e, &reply);
        if (r < 0)
                return bus_fail(b, &e, r);
        r = sym_sd_bus_message_read(reply, "b", &carries);
        if (r >= 0)
                r = sym_sd_bus_message_enter_container(reply, 'a', "(sss)");
        if (r >= 0) {
                const char *type, *from, *to;
                while ((r = sym_sd_bus_message_read(reply, "(sss)", &type, &from, &to)) > 0)
                        changes++;
                if (r >= 0)
                        r = sym_sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                return bus_fail(b, NULL, r);

        /* Like systemctl enable: make the manager see the new links now. Reload can take long on a
         * big system; allow it 90 s instead of the default 25 s. */
        sym_sd_bus_message_unref(m);
        m = NULL;
        r = sym_sd_bus_message_new_method_call(b->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Reload");
        if (r < 0)
                return bus_fail(b, NULL, r);
        r = sym_sd_bus_call(b->bus, m, 90ULL * 1000000, &e, &reload);
        if (r < 0)
                return bus_fail(b, &e, r);
        if (ret_changes)
                *ret_changes = changes;
        return 0;
}

static long long now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int systemd_start_unit(struct systemd_bus *b, const char *unit, unsigned timeout_s, char **ret_result) {
        _cleanup_(errorp) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(messagep) sd_bus_message *reply = NULL, *sub = NULL;
        _cleanup_(slotp) sd_bus_slot *slot = NULL;
        _cleanup_free_ char *job = NULL;
        const char *path;
        int r;

        /* Listen before asking, or the job can finish before we listen. */
        r = sym_sd_bus_match_signal(b->bus, &slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                    job_removed, b);
        if (r < 0)
                return bus_fail(b, NULL, r);
        /* The manager only emits job signals while some client is subscribed. */
        r = sym_sd_bus_call_method(b->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe", &e, &sub, "");
        if (r < 0 && !sym_sd_bus_error_has_name(&e, "org.freedesktop.systemd1.AlreadySubscribed"))
                return bus_fail(b, &e, r);
        sym_sd_bus_error_free(&e);

        r = sym_sd_bus_call_method(b->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "StartUnit", &e, &reply, "ss",
                                   unit, "replace");
        if (r < 0)
                return bus_fail(b, &e, r);
        r = sym_sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return bus_fail(b, NULL, r);
        job = strdup(path);
        if (!job)
                return -ENOMEM;

        long long deadline = now_us() + (long long) timeout_s * 1000000;
        for (;;) {
                for (size_t i = 0; i < b->n_removed; i++)
                        if (streq(b->removed[i].path, job)) {
                                *ret_result = strdup(b->removed[i].result);
                                return *ret_result ? 0 : -ENOMEM;
                        }
                r = sym_sd_bus_process(b->bus, NULL);
                if (r < 0)
                        return bus_fail(b, NULL, r);
                if (r > 0)
                        continue;
                long long left = deadline - now_us();
                if (left <= 0) {
                        snprintf(b->error, sizeof(b->error), "job %s for %s did not finish within %u s", job, unit,
                                 timeout_s);
                        return -ETIMEDOUT;
                }
                r = sym_sd_bus_wait(b->bus, (uint64_t) left);
                if (r < 0)
                        return bus_fail(b, NULL, r);
        }
}

int systemd_unit_active_state(struct systemd_bus *b, const char *unit, char **ret) {
        _cleanup_(errorp) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(messagep) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sym_sd_bus_call_method(b->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnit", &e, &reply, "s", unit);
        if (r < 0) {
                /* Units nobody uses are not loaded: that is "inactive", not an error. */
                if (sym_sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit")) {
                        *ret = strdup("inactive");
                        return *ret ? 0 : -ENOMEM;
                }
                return bus_fail(b, &e, r);
        }
        r = sym_sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return bus_fail(b, NULL, r);
        r = sym_sd_bus_get_property_string(b->bus, SYSTEMD_DEST, path, "org.freedesktop.systemd1.Unit", "ActiveState",
                                           &e, ret);
        return r < 0 ? bus_fail(b, &e, r) : 0;
}
