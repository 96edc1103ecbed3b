#!/usr/bin/env bash
# Tests of the spm tool's pipeline commands: pipeline load/export,
# opportunity move (gates, overrides) and opportunity gate.
#
#   tests/cli/test_pipeline.sh PATH/TO/spm
set -euo pipefail

SPM=${1:?usage: test_pipeline.sh PATH/TO/spm}
. "$(dirname "$0")/harness.sh"

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

finish
