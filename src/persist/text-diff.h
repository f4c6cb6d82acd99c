/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdio.h>

/* Prints a unified diff (3 lines of context) of OLD and NEW, text files of modest size, to F
 * with the labels given. OLD may be NULL (a new file). Prints nothing when they are equal.
 * 0 or -ENOMEM. */
int text_diff_print(FILE *f, const char *old, const char *new, const char *label_old, const char *label_new);
