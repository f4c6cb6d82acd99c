#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Replays every fuzzing seed through its target without libFuzzer (under ASan+UBSan in the
# sanitizer build), so the corpus is a regression test on every make check.
# shellcheck source=integration/lib.sh
. "$(dirname "$0")/integration/lib.sh"
setup_common
here=$(cd "$(dirname "$0")" && pwd)
bin=${BUILDDIR:-$(dirname "$ECS_HARDEN")}/tests/fuzz
for t in ${FUZZ_TARGETS:-kv config policy glob}; do
	check "fuzz seeds of '$t' replay without a crash" "$bin/replay-$t" "$here/fuzz/corpus/$t"
done
finish
