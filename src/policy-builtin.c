/* SPDX-License-Identifier: Apache-2.0 */
#include <strings.h>

#include "policy-builtin.h"
#include "util.h"

/* "v10" > "v6"; "page" (unknown) is older than any numbered version. */
static long version_number(const char *v) {
        if ((v[0] == 'v' || v[0] == 'V') && v[1] >= '0' && v[1] <= '9')
                return strtol(v + 1, NULL, 10);
        return -1;
}

const struct builtin_policy *builtin_policy_newest(const char *name) {
        const struct builtin_policy *best = NULL;

        for (size_t i = 0; i < builtin_policies_size; i++) {
                const struct builtin_policy *b = &builtin_policies[i];
                if (strcasecmp(b->name, name) != 0)
                        continue;
                if (!best || version_number(b->version) > version_number(best->version))
                        best = b;
        }
        return best;
}

const struct builtin_policy *builtin_policy_find(const char *spec, bool *ret_name_known) {
        const char *at = strrchr(spec, '@');
        size_t nl = at ? (size_t) (at - spec) : strlen(spec);
        char name[256];

        if (ret_name_known)
                *ret_name_known = false;
        if (nl >= sizeof(name))
                return NULL;
        memcpy(name, spec, nl);
        name[nl] = '\0';
        const struct builtin_policy *newest = builtin_policy_newest(name);
        if (!newest)
                return NULL;
        if (ret_name_known)
                *ret_name_known = true;
        if (!at)
                return newest;
        for (size_t i = 0; i < builtin_policies_size; i++)
                if (strcasecmp(builtin_policies[i].name, name) == 0 && strcasecmp(builtin_policies[i].version, at + 1) == 0)
                        return &builtin_policies[i];
        return NULL;
}

const struct builtin_policy *builtin_policy_for_arn(const char *arn) {
        /* arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role, also in
         * the aws-cn and aws-us-gov partitions. */
        if (strncmp(arn, "arn:", 4) != 0)
                return NULL;
        const char *p = strchr(arn + 4, ':');
        if (!p || strncmp(p, ":iam::aws:policy/", 17) != 0)
                return NULL;
        const char *name = strrchr(p, '/') + 1;
        for (size_t i = 0; i < builtin_policies_size; i++)
                if (streq(builtin_policies[i].name, name))
                        return builtin_policy_newest(name);
        return NULL;
}

void builtin_policy_versions(const char *name, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < builtin_policies_size && n < size; i++)
                if (strcasecmp(builtin_policies[i].name, name) == 0) {
                        int k = snprintf(buf + n, size - n, "%s%s", n ? ", " : "", builtin_policies[i].version);
                        if (k < 0)
                                break;
                        n += (size_t) k;
                }
}
