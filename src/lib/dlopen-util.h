/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Loads an optional shared library on first use, as systemd does for its optional libraries:
 * every library linked into the binary is paid at every exec, and apply/verify sit on the boot
 * path, so libraries only the audits need (libcurl, libsystemd) are loaded when an audit runs.
 *
 * Usage: dlopen_many(&handle, "libcurl.so.4",
 *                    DLSYM_ARG(curl_easy_init), DLSYM_ARG(curl_easy_perform), NULL);
 * where each symbol has a matching function pointer named sym_<name> declared with
 * `static __typeof__(&curl_easy_init) sym_curl_easy_init;`.
 * Returns 0 (also when already loaded) or -EOPNOTSUPP when the library or a symbol is missing;
 * then *ret_error (if not NULL) holds dlerror()'s text (static storage). */
int dlopen_many(void **handle, const char *soname, const char **ret_error, ...) __attribute__((sentinel));

#define DLSYM_ARG(name) (void **) &sym_##name, #name
