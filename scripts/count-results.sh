#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Counts test cases from automake's test logs under the given build folders: each "ok"/"not ok"
# line of a test's log is one case; a skipped test counts once as skipped; a failed test that
# printed no "not ok" line (a crash) counts once as failed. Prints "N passed, N failed, N skipped".
set -u
passed=0 failed=0 skipped=0
while IFS= read -r -d '' trs; do
	log=${trs%.trs}.log
	result=$(sed -n 's/^:test-result: //p' "$trs" | head -n1)
	case "$result" in
	SKIP) skipped=$((skipped + 1)); continue ;;
	esac
	ok=$(grep -c '^ok ' "$log" 2>/dev/null || true)
	bad=$(grep -c '^not ok ' "$log" 2>/dev/null || true)
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${bad:-0}))
	case "$result" in
	PASS) [ "${ok:-0}" = 0 ] && passed=$((passed + 1)) ;;
	FAIL|ERROR|XPASS) [ "${bad:-0}" = 0 ] && failed=$((failed + 1)) ;;
	esac
done < <(find "$@" -name '*.trs' -print0)
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
