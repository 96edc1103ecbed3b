#!/usr/bin/env bash
# Tests of `spm report`: exact output against a temporary database.
#
#   tests/cli/test_report.sh PATH/TO/spm
set -euo pipefail

SPM=${1:?usage: test_report.sh PATH/TO/spm}
. "$(dirname "$0")/harness.sh"

add() { "$SPM" --db "$db" record add "$@" >/dev/null; }

T0=1767225600 # 2026-01-01
"$SPM" --db "$db" init >/dev/null
add pipeline name=P
add stage pipeline_id=1 name=Open position=1 probability=50 outcome=open
add stage pipeline_id=1 name=Won position=2 probability=100 outcome=won
add stage pipeline_id=1 name=Lost position=3 probability=0 outcome=lost
add opportunity name=a owner_id=2 pipeline_id=1 stage_id=2 status=won "amount=1000.00 CNY" \
	opened_at=$T0 closed_at=$((T0 + 864000))
add opportunity name=b owner_id=2 pipeline_id=1 stage_id=3 status=lost "amount=500.00 CNY" \
	opened_at=$T0 closed_at=$((T0 + 172800))
add opportunity name=c owner_id=3 pipeline_id=1 stage_id=1 status=open "amount=300.00 CNY" \
	opened_at=$T0 expected_close=2026-02-10

tab=$'\t'
check "run as a table" 0 "owner_id${tab}won${tab}lost${tab}win_rate${tab}won_amount
2${tab}1${tab}1${tab}0.500000${tab}1000.00 CNY
3${tab}0${tab}0${tab}${tab}" "" \
	--db "$db" report run '{"query": "win_rate", "group_by": "owner"}'

check "run as CSV" 0 "open_deals,open_amount,weighted_amount
1,300.00 CNY,150.00 CNY" "" \
	--db "$db" report run '{"query": "pipeline"}' --format csv

check "run as JSON" 0 '[
{"won":1,"won_mean_days":{"ppm":10000000},"won_median_days":{"ppm":10000000},"lost":1,"lost_mean_days":{"ppm":2000000},"lost_median_days":{"ppm":2000000}}
]' "" --db "$db" report run '{"query": "cycle"}' --format json

check "save" 0 "" "" --db "$db" report save wins '{"query": "win_rate"}'
check "show" 0 "won${tab}lost${tab}win_rate${tab}won_amount
1${tab}1${tab}0.500000${tab}1000.00 CNY" "" --db "$db" report show wins
check "list" 0 "wins${tab}{\"query\": \"win_rate\"}" "" --db "$db" report list

check "bad definition" 1 "" "spm: report: \$.group_by: unknown dimension 'colour' (SPM_EINVAL)" \
	--db "$db" report run '{"query": "win_rate", "group_by": "colour"}'
check "unknown saved report" 1 "" "spm: report: no saved report 'nope' (SPM_ENOTFOUND)" \
	--db "$db" report show nope
check "bad save" 1 "" \
	"spm: report save: report 'x': \$.query: unknown query 'q' (SPM_EINVAL)" \
	--db "$db" report save x '{"query": "q"}'
check "bad format" 2 "" "spm: usage: report run ARG [--format table|csv|json]
Try 'spm --help'." --db "$db" report run '{"query": "win_rate"}' --format xml

finish
