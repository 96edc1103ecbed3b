# Shared by the tests of the spm command-line tool (sourced, not run):
# a temporary directory, the pass/fail counters and check().
#
#   SPM=${1:?usage: test_x.sh PATH/TO/spm}
#   . "$(dirname "$0")/harness.sh"
#   check NAME WANT_STATUS WANT_STDOUT WANT_STDERR ARGS...
#   finish
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/crm.db
pass=0
fail=0

# tsv LINE...: the lines joined by newlines, '|' becoming a tab.
tsv() { printf '%s\n' "$@" | tr '|' '\t'; }

# check NAME WANT_STATUS WANT_STDOUT WANT_STDERR ARGS...: runs spm with ARGS
# (stdin from /dev/null) and compares exit status, stdout and stderr exactly.
check() {
	local name=$1 want_status=$2 want_out=$3 want_err=$4
	shift 4
	local status=0 out err
	"$SPM" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || status=$?
	out=$(<"$tmp/out")
	err=$(<"$tmp/err")
	if [[ $status -eq $want_status && $out == "$want_out" && $err == "$want_err" ]]; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name (status $status, want $want_status)"
		diff -u <(printf '%s\n' "$want_out") <(printf '%s\n' "$out") | sed 's/^/     /' || true
		diff -u <(printf '%s\n' "$want_err") <(printf '%s\n' "$err") | sed 's/^/     /' || true
	fi
}

# The message of a usage error (exit status 2).
usage_err() { printf "spm: %s\nTry 'spm --help'." "$1"; }

# The closing line; the exit status says whether everything passed.
finish() {
	echo "$pass passed, $fail failed"
	[[ $fail -eq 0 ]]
}
