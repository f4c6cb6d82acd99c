#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs the real binary under valgrind memcheck for `make check VALGRIND=1`: any memory error or
# definite leak makes it exit 99, which no test expects, so the test fails.
exec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --track-fds=no \
	--suppressions="$(dirname "$0")/valgrind.supp" "$ECS_HARDEN_REAL" "$@"
