#!/usr/bin/env bash
# Tests of the spm tool's pipeline commands: pipeline load/export,
# opportunity move (gates, overrides) and opportunity gate.
#
#   tests/cli/test_pipeline.sh PATH/TO/spm
set -euo pipefail

SPM=${1:?usage: test_pipeline.sh PATH/TO/spm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/crm.db
pass=0
fail=0

# check NAME WANT_STATUS WANT_STDOUT WANT_STDERR ARGS...
check() {
	local name=$1 want_status=$2 want_out=$3 want_err=$4
	shift 4
	local status=0 out err
	"$SPM" "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
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

usage_err() { printf "spm: %s\nTry 'spm --help'." "$1"; }
tsv() { printf '%s\n' "$@" | tr '|' '\t'; }

cat >"$tmp/p.json" <<'JSON'
{"name": "New business", "allow_back": true,
 "stages": [
  {"name": "Qualify", "probability": 10, "forecast_category": "pipeline",
   "exit_criteria": [{"name": "budget", "rule": "amount >= 1000.00 CNY"}]},
  {"name": "Won", "probability": 100, "forecast_category": "closed", "outcome": "won"}
 ]}
JSON
cat >"$tmp/bad.json" <<'JSON'
{"name": "Bad", "stages": [{"name": "A", "exit_criteria": [{"name": "b", "rule": "budgte > 1"}]}]}
JSON

check "pipeline without subcommand" 2 "" "$(usage_err "pipeline needs: load FILE, or export ID")" \
	--db "$db" pipeline
check "pipeline export bad id" 2 "" "$(usage_err "pipeline export: 'x' is not an id")" \
	--db "$db" pipeline export x
check "opportunity bad usage" 2 "" \
	"$(usage_err "opportunity needs: move ID STAGE [--override REASON], or gate ID")" \
	--db "$db" opportunity move 1
check "opportunity move bad stage" 2 "" "$(usage_err "opportunity move: 'two' is not a stage id")" \
	--db "$db" opportunity move 1 two
check "pipeline load missing file" 1 "" "spm: pipeline load: cannot read $tmp/none.json" \
	--db "$db" pipeline load "$tmp/none.json"
check "pipeline load" 0 "1" "" --db "$db" pipeline load "$tmp/p.json"
check "pipeline load bad document" 1 "" \
	"spm: pipeline load: stages[0].exit_criteria[0].rule: 1:1: unknown field 'budgte' (SPM_EINVAL)" \
	--db "$db" pipeline load "$tmp/bad.json"
check "pipeline load twice" 1 "" \
	"spm: pipeline load: name: pipeline 'New business' exists already (id 1) (SPM_EEXISTS)" \
	--db "$db" pipeline load "$tmp/p.json"
"$SPM" --db "$db" pipeline export 1 >"$tmp/export.json"
check "pipeline export round trip" 0 "1" "" --db "$tmp/other.db" pipeline load "$tmp/export.json"
check "pipeline export equal" 0 "$(<"$tmp/export.json")" "" --db "$tmp/other.db" pipeline export 1
check "pipeline export missing" 1 "" "spm: pipeline export: pipeline 5 does not exist (SPM_ENOTFOUND)" \
	--db "$db" pipeline export 5

"$SPM" --db "$db" record add role name=admin scope=3 'actions=*' >/dev/null
"$SPM" --db "$db" record add role name=rep scope=1 >/dev/null
"$SPM" --db "$db" record add user name=Ada role_id=1 active=true >/dev/null
"$SPM" --db "$db" record add user name=An role_id=2 active=true >/dev/null
"$SPM" --db "$db" record add user name=Bo role_id=2 active=true >/dev/null
check "deal" 0 "1" "" --db "$db" --actor 2 record add opportunity name=Big pipeline_id=1 amount="10.00 CNY"
check "gate" 0 "$(tsv "budget|amount >= 1000.00 CNY|amount >= 1000.00 CNY: false (amount = 10.00 CNY)")" "" \
	--db "$db" --actor 2 opportunity gate 1
check "move refused" 1 "$(tsv "budget|amount >= 1000.00 CNY|amount >= 1000.00 CNY: false (amount = 10.00 CNY)")" \
	"spm: opportunity move: opportunity 1 cannot leave stage 'Qualify': 1 criteria unmet (first: budget: amount >= 1000.00 CNY: false (amount = 10.00 CNY)) (SPM_EGATE)" \
	--db "$db" --actor 2 opportunity move 1 2
check "override without the action" 1 "" \
	"spm: opportunity move: user 2 may not override a stage gate (needs the 'override_gate' action) (SPM_EPERM)" \
	--db "$db" --actor 2 opportunity move 1 2 --override "signed anyway"
check "override" 0 "$(tsv "budget|amount >= 1000.00 CNY|amount >= 1000.00 CNY: false (amount = 10.00 CNY)")" "" \
	--db "$db" --actor 1 --now 3600 opportunity move 1 2 --override "signed anyway"
status=$("$SPM" --db "$db" record get opportunity 1 | grep -o '"status":"[a-z]*"')
[[ $status == '"status":"won"' ]] && { pass=$((pass + 1)); echo "ok   deal won"; } \
	|| { fail=$((fail + 1)); echo "FAIL deal won: $status"; }
check "other rep" 1 "" "spm: opportunity gate: opportunity 1 does not exist (SPM_ENOTFOUND)" \
	--db "$db" --actor 3 opportunity gate 1

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
