#!/usr/bin/env bash
# Tests of `spm customers`: convert, merge, handover, assign, history, tagged
# and view, against a temporary database; exit status, stdout and stderr exact.
#
#   tests/cli/test_customers.sh PATH/TO/spm
set -euo pipefail

SPM=${1:?usage: test_customers.sh PATH/TO/spm}
. "$(dirname "$0")/harness.sh"

run() { "$SPM" --db "$db" --now 100 "$@" >/dev/null; }

run init
run record add role name=admin scope=3 'actions=*'
run record add role name=rep scope=1
run record add user name=Ada role_id=1 active=true
run record add user name=An role_id=2 active=true
run record add user name=Bo role_id=2 active=true
run record add pipeline name=Sales
run record add stage pipeline_id=1 name=Proposal position=2
run record add stage pipeline_id=1 name=Qualify position=1
run record add lead company=Acme contact_name=Li source=expo owner_id=2

# ---------------------------------------------------------------- usage
check "no subcommand" 2 "" \
	"$(usage_err "customers needs a subcommand: convert, merge, handover, assign, history, tagged or view")" \
	--db "$db" customers
check "convert without lead" 2 "" "$(usage_err "customers convert needs LEAD")" --db "$db" customers convert
check "convert bad id" 2 "" "$(usage_err "customers convert: 'x' is not an id")" \
	--db "$db" customers convert x
check "convert bad amount" 2 "" "$(usage_err "--amount needs text like '12.50 CNY', not '12'")" \
	--db "$db" customers convert 1 --pipeline 1 --amount 12
check "convert unknown option" 2 "" "$(usage_err "customers convert: unknown option '--fast'")" \
	--db "$db" customers convert 1 --fast now
check "merge arity" 2 "" "$(usage_err "customers merge: wrong number of arguments")" \
	--db "$db" customers merge lead 1

# ---------------------------------------------------------------- convert
check "convert unknown pipeline" 1 "" "spm: customers convert: pipeline 9 does not exist (SPM_ENOTFOUND)" \
	--db "$db" customers convert 1 --pipeline 9
check "convert with an opportunity" 0 "customer 1 contact 1 opportunity 1" "" \
	--db "$db" --now 200 customers convert 1 --pipeline 1 --amount "1234.56 CNY"
check "opportunity in the first stage" 0 \
	'{"kind":"opportunity","id":1,"seq":10,"fields":{"name":"Acme","customer_id":1,"owner_id":2,"pipeline_id":1,"stage_id":2,"status":"open","amount":{"minor":123456,"currency":"CNY"},"opened_at":200,"lead_id":1,"source":"expo","stage_entered_at":200,"close_slips":0,"created_at":200,"updated_at":200}}' \
	"" --db "$db" record get opportunity 1
check "convert twice" 1 "" "spm: customers convert: lead 1 is converted (SPM_EINVAL)" \
	--db "$db" customers convert 1

# ---------------------------------------------------------------- merge, handover, history
run record add customer "name=Acme Ltd" region=华东 owner_id=3 tags=vip
check "merge" 0 "" "" --db "$db" --now 300 customers merge customer 1 2
check "merge again" 1 "" "spm: customers merge: customer 2 does not exist (SPM_ENOTFOUND)" \
	--db "$db" customers merge customer 1 2
check "handover" 0 "2" "" --db "$db" --now 400 customers handover 2 3 "An left"
check "handover bad reason" 1 "" \
	"spm: customers handover: a hand-over reason is 1..500 bytes of UTF-8 (SPM_EINVAL)" \
	--db "$db" customers handover 3 2 ""
check "history" 0 "$(tsv \
	'1970-01-01T00:03:20Z|convert||2|0|' \
	'1970-01-01T00:01:40Z|create||3|0|' \
	'1970-01-01T00:06:40Z|handover|2|3|0|An left')" "" --db "$db" customers history customer 1
check "history of another kind" 1 "" \
	"spm: customers history: ownership history is kept for leads, customers and opportunities, not 'user' (SPM_EINVAL)" \
	--db "$db" customers history user 1
check "tagged" 0 "1" "" --db "$db" customers tagged vip
check "tagged bad tag" 1 "" \
	"spm: customers tagged: a tag is 1..50 bytes of UTF-8 without a comma (SPM_EINVAL)" \
	--db "$db" customers tagged "a,b"

# ---------------------------------------------------------------- view, assign
check "view out of scope" 1 "" "spm: customers view: customer 1 does not exist (SPM_ENOTFOUND)" \
	--db "$db" --actor 2 customers view 1
"$SPM" --db "$db" --actor 3 customers view 1 >"$tmp/view"
if grep -q '"opportunity_totals":{"open":1,"won":0,"lost":0,"open_amount":{"CNY":123456},"won_amount":{}}' "$tmp/view" &&
	grep -q '"tags":\["vip"\]' "$tmp/view"; then
	pass=$((pass + 1)); echo "ok   view"
else
	fail=$((fail + 1)); echo "FAIL view: $(cat "$tmp/view")"
fi
run record add assignment_rule position=1 name=fair method=least_busy users=2,3
run record add lead company=Tie
check "assign seeded" 0 "1" "" --db "$db" customers assign 42
check "assign bad seed" 2 "" "$(usage_err "customers: 'x' is not a number")" --db "$db" customers assign x

# ---------------------------------------------------------------- assignment on create
db=$tmp/on_create.db
run init
run record add role name=rep scope=1
run record add user name=An role_id=1 active=true
run record add user name=Bo role_id=1 active=true
run record add assignment_rule position=1 name=rr method=round_robin users=1,2
check "policy with a bad flag" 1 "" \
	"spm: record add: 'maybe' is not a boolean (true or false) (SPM_EINVAL)" \
	--db "$db" record add pool_policy max_open=1 assign_on_create=maybe
run record add pool_policy max_open=1 assign_on_create=true
for c in A B C; do run record add lead company=$c; done
check "assigned on create" 0 "$(tsv '1970-01-01T00:01:40Z|assign||1|0|rule 1 round_robin: user 1, turn 1 of 2')" "" \
	--db "$db" customers history lead 1
check "next turn" 0 "$(tsv '1970-01-01T00:01:40Z|assign||2|0|rule 1 round_robin: user 2, turn 2 of 2')" "" \
	--db "$db" customers history lead 2
check "both full: stays in the pool" 0 \
	'{"kind":"lead","id":3,"seq":8,"fields":{"company":"C","status":"new","pooled_at":100,"company_key":"c","created_at":100,"updated_at":100}}' \
	"" --db "$db" record get lead 3

finish
