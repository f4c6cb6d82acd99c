/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

/* The AMI flavour decides how persist makes the block survive a reboot (DESIGN.md, "Persistence
 * per flavour"). Detected from ROOT/etc/os-release, overridden with --flavour. */
enum flavour {
        FLAVOUR_NONE,
        FLAVOUR_AL1,
        FLAVOUR_AL2,
        FLAVOUR_AL2023,
        FLAVOUR_DEBIAN,
        _FLAVOUR_MAX,
};

const char *flavour_to_string(enum flavour f);

/* 0 and *ret, or -EINVAL for a name that is not a flavour. */
int flavour_from_string(const char *s, enum flavour *ret);

struct flavour_info {
        enum flavour flavour;
        bool warn;              /* the reason is a warning: os-release missing or not understood */
        char reason[160];       /* how it was decided, for status and -v */
};

/* Classifies os-release TEXT (modified in place). Never fails: anything unrecognisable is
 * FLAVOUR_NONE with info->warn set. */
void flavour_from_os_release(char *text, struct flavour_info *info);

/* Reads ROOT/etc/os-release (or ROOT/usr/lib/os-release, as os-release(5) says) and classifies
 * it; OVERRIDE (a --flavour value, may be NULL) wins. 0, or -EINVAL for a bad OVERRIDE, or -ENOMEM. */
int flavour_detect(const char *root, const char *override, struct flavour_info *info);
