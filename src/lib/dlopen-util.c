/* SPDX-License-Identifier: Apache-2.0 */
#include <dlfcn.h>
#include <stdarg.h>

#include "lib/dlopen-util.h"
#include "lib/util.h"

int dlopen_many(void **handle, const char *soname, const char **ret_error, ...) {
        va_list ap;
        void *dl;

        if (*handle)
                return 0;

        dl = dlopen(soname, RTLD_NOW | RTLD_NODELETE);
        if (!dl) {
                if (ret_error)
                        *ret_error = dlerror();
                return -EOPNOTSUPP;
        }

        va_start(ap, ret_error);
        for (;;) {
                void **fn = va_arg(ap, void **);
                if (!fn)
                        break;
                const char *sym = va_arg(ap, const char *);
                *fn = dlsym(dl, sym);
                if (!*fn) {
                        va_end(ap);
                        if (ret_error)
                                *ret_error = dlerror();
                        dlclose(dl);
                        return -EOPNOTSUPP;
                }
        }
        va_end(ap);

        *handle = dl;
        return 0;
}
