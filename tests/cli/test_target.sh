#!/usr/bin/env bash
# Tests of `spm target …`: runs the built binary against a temporary database
# and compares exit status, stdout and stderr exactly.
#
#   tests/cli/test_target.sh PATH/TO/spm
set -euo pipefail

SPM=${1:?usage: test_target.sh PATH/TO/spm}
. "$(dirname "$0")/harness.sh"

add() { "$SPM" --db "$db" record add "$@" >/dev/null; }

check "split" 0 "$(printf '%s\n' 1428572 1428572 1428572 1428572 1428571 1428571 1428571)" "" \
	--db "$db" target split 10000001 1 1 1 1 1 1 1
check "split negative" 1 "" "spm: target split: split: a negative target (-5) cannot be decomposed (SPM_EINVAL)" \
	--db "$db" target split -5 1 1
check "split bad weight" 2 "" "$(usage_err "target split: 'x' is not an integer weight")" \
	--db "$db" target split 5 1 x
check "no subcommand" 2 "" \
	"$(usage_err "target needs a subcommand: split, decompose, decompose-tree, progress, export or import")" \
	--db "$db" target

"$SPM" --db "$db" init >/dev/null
add role name=admin scope=3 'actions=*'
add user name=Ann role_id=1 active=true
add user name=Bo role_id=1 active=true
add team name=R
add membership user_id=1 team_id=1 valid_from=2026-01-01
add membership user_id=2 team_id=1 valid_from=2026-01-01
add pipeline name=P
add stage pipeline_id=1 name=won position=1 outcome=won
add target metric=won_amount owner_kind=team owner_ref=1 period_kind=month \
	period_start=2026-03-01 value=310000 currency=CNY reason=plan
add opportunity name=a pipeline_id=1 owner_id=1 stage_id=1 status=won 'amount=1000.00 CNY' \
	closed_at=2026-03-05T10:00:00Z

check "decompose" 0 "$(tsv 'user|1|2026-03-01|155000|2' 'user|2|2026-03-01|155000|3')" "" \
	--db "$db" target decompose 1 '{"method":"equal_members"}' "org plan"
check "decompose bad plan" 1 "" "spm: plan: \$.method: unknown method (SPM_EINVAL)" \
	--db "$db" target decompose 1 '{"method":"magic"}' "x"
check "decompose manual imbalance" 0 "$(tsv 'user|1|2026-03-01|100|2' 'user|2|2026-03-01|100|3')" \
	"spm: target decompose: imbalance -309800" \
	--db "$db" target decompose 1 '{"method":"manual","weights":[100,100]}' "by hand"
check "progress" 0 "$(printf '%s\r\n' \
	'owner_kind,owner_ref,target_id,period_start,period_end,target,attained,attainment,elapsed,expected,pace,projection,gap,pipeline,coverage,currency' \
	'team,1,1,2026-03-01,2026-03-31,3100.00,1000.00,0.322581,0.645161,2000.00,0.5,1550.00,2100.00,0.00,0,CNY' \
	'user,1,2,2026-03-01,2026-03-31,1.00,1000.00,1000,0.645161,0.65,1538.461538,1550.00,0.00,0.00,1,CNY' \
	'user,2,3,2026-03-01,2026-03-31,1.00,0.00,0,0.645161,0.65,0,0.00,1.00,0.00,0,CNY')" "" \
	--db "$db" target progress 1 2026-03-20
check "progress bad date" 2 "" "$(usage_err "target progress: 'March' is not a date (YYYY-MM-DD)")" \
	--db "$db" target progress 1 March
check "progress missing" 1 "" "spm: target progress: target 9 does not exist (SPM_ENOTFOUND)" \
	--db "$db" target progress 9 2026-03-20
"$SPM" --db "$db" target export >"$tmp/targets.json"
[[ $(grep -c '"metric"' "$tmp/targets.json") -eq 3 ]] && { pass=$((pass + 1)); echo "ok   export"; } \
	|| { fail=$((fail + 1)); echo "FAIL export"; cat "$tmp/targets.json"; }
check "import" 0 "3" "" --db "$db" target import "$tmp/targets.json" copy
printf '[{"value": "x"}]' >"$tmp/bad.json"
check "import bad" 1 "" "spm: target import: \$[0].value: 'x' is not an integer (SPM_EINVAL)" \
	--db "$db" target import "$tmp/bad.json" copy


# a whole tree in one call: team 1 over sub-team 2 and its members, then team 2 over Cy
add user name=Cy role_id=1 active=true
add team name=S parent_id=1
add membership user_id=3 team_id=2 valid_from=2026-01-01
add target metric=won_amount owner_kind=team owner_ref=1 period_kind=month \
	period_start=2026-04-01 value=3000 currency=CNY reason=plan
check "decompose-tree" 0 "$(tsv 'team|2|2026-04-01|1000|8' 'user|1|2026-04-01|1000|9' \
	'user|2|2026-04-01|1000|10' 'user|3|2026-04-01|1000|11')" "" \
	--db "$db" target decompose-tree 7 '{"method":"headcount"}' "April plan"
check "decompose-tree weights" 1 "" \
	"spm: target decompose-tree: decompose_tree: the method must be equal_members, headcount or last_period (weights and values are per team) (SPM_EINVAL)" \
	--db "$db" target decompose-tree 7 '{"method":"weights","weights":[1,1,1]}' "x"
check "decompose-tree usage" 2 "" "$(usage_err "target decompose-tree needs ID PLAN REASON")" \
	--db "$db" target decompose-tree 7

finish
