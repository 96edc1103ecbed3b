#!/bin/sh
# check-output.sh EXPECTED PROGRAM [ARGS...]: runs an example and compares
# what it prints (stdout and stderr) with the file EXPECTED, exactly. The
# example must also exit with status 0.
set -u
expected=$1
shift
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$@" >"$out" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: $* exited with $rc; it printed:"
	cat "$out"
	exit 1
fi
if ! diff -u "$expected" "$out"; then
	echo "FAIL: $* printed the lines marked + instead of those marked - ($expected)"
	exit 1
fi
echo "ok: $* printed $(wc -l <"$out") lines as expected"
