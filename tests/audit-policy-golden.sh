#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# audit-policy golden reports, byte for byte, captured before the auditor was rebuilt as a
# pipeline (src/audit/): the human report of every case of tests/policy/cases.txt
# (expected/NAME.txt; tests/audit-policy.sh compares their --json), and both reports of the
# 3 000-role dump that bench/gen-authz-dump.py writes (expected/dump-3000.{txt,json}.gz).
# Regenerate after a reviewed change with  UPDATE_GOLDEN=1 make check TESTS=tests/audit-policy-golden.sh
set -u
: "${ECS_HARDEN:?}" "${TESTS_DIR:?}"
dir=$TESTS_DIR/policy
python=${PYTHON:-python3}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0

fail() {
        echo "not ok - $*"
        fails=$((fails + 1))
}

ok() {
        echo "ok - $*"
}

# compare NAME WANT_RC RC EXPECTED GOT
compare() {
        if [ "$3" != "$2" ]; then
                fail "$1: exit $3, expected $2: $(head -c 400 "$tmp/err")"
        elif ! cmp -s "$4" "$5"; then
                fail "$1: output differs from $(basename "$4")"
                diff -u "$4" "$5" | head -40
        else
                ok "$1"
        fi
}

while read -r name want args; do
        case $name in ''|'#'*) continue ;; esac
        n=$((n + 1))
        # shellcheck disable=SC2086 # ARGS is a word list
        (cd "$dir/input" && "$ECS_HARDEN" audit-policy $args) >"$tmp/out" 2>"$tmp/err"
        rc=$?
        [ -n "${UPDATE_GOLDEN:-}" ] && cp "$tmp/out" "$dir/expected/$name.txt"
        compare "$name (text)" "$want" "$rc" "$dir/expected/$name.txt" "$tmp/out"
done <"$dir/cases.txt"

if ! "$python" -c 'import json, random, urllib.parse' 2>/dev/null; then
        echo "ok - # SKIP the 3 000-role dump: no $python"
else
        "$python" "$TESTS_DIR/../bench/gen-authz-dump.py" 3000 "$tmp/dump.json" || exit 99
        for mode in txt json; do
                n=$((n + 1))
                opt=
                [ "$mode" = json ] && opt=--json
                "$ECS_HARDEN" audit-policy $opt "$tmp/dump.json" >"$tmp/out" 2>"$tmp/err"
                rc=$?
                if [ -n "${UPDATE_GOLDEN:-}" ]; then
                        gzip -9n <"$tmp/out" >"$dir/expected/dump-3000.$mode.gz"
                fi
                gzip -dc "$dir/expected/dump-3000.$mode.gz" >"$tmp/want"
                compare "3 000-role dump ($mode)" 1 "$rc" "$tmp/want" "$tmp/out"
        done
fi

echo "1..$n"
[ "$fails" = 0 ]
