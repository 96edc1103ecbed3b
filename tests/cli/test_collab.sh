#!/usr/bin/env bash
# Tests of the spm tool's quote, contract, task, comment and approval
# commands: exit status, stdout and stderr compared exactly.
#
#   tests/cli/test_collab.sh PATH/TO/spm
set -euo pipefail

SPM=${1:?usage: test_collab.sh PATH/TO/spm}
. "$(dirname "$0")/harness.sh"

# 2026-03-01T09:00:00Z
now=1772355600
as() { local actor=$1; shift; "$SPM" --db "$db" --now "$now" --actor "$actor" "$@"; }
setup() { as 0 record add "$@" >/dev/null; }

"$SPM" --db "$db" init >/dev/null
setup role name=admin scope=3 "actions=*"
setup role name=rep scope=1
setup role name=manager scope=2
setup user name=Ada role_id=1 active=true
setup user name=An role_id=2 active=true
setup user name=Bo role_id=2 active=true
setup user name=Mo role_id=3 active=true
setup team name=T manager_id=4
setup membership user_id=2 team_id=1 valid_from=2026-01-01
setup membership user_id=3 team_id=1 valid_from=2026-01-01
setup pipeline name=Sales
setup stage pipeline_id=1 name=Won position=1 outcome=won
setup customer name=Acme owner_id=2
setup opportunity name=Deal pipeline_id=1 customer_id=1 owner_id=2 stage_id=1 status=won "amount=1000.00 CNY"
setup approval_flow "name=Big discount" action=quote_discount kind=quote \
	"condition=effective_discount_bp > 1500" steps=manager
setup quote opportunity_id=1
setup quote_line quote_id=1 product=Widget quantity=10 "unit_price=100.00 CNY" discount_bp=2000

A=(--db "$db" --now "$now" --actor)

# ---------------------------------------------------------------- quotes and approvals

check "quote send needs approval" 1 "1" \
	"spm: quote send: quote_discount on quote 1 needs approval: request 1 is pending (SPM_EAPPROVAL)" \
	"${A[@]}" 2 quote send 1
check "approval submit while pending" 1 "1" \
	"spm: approval submit: a request for quote_discount on quote 1 is pending already (SPM_EEXISTS)" \
	"${A[@]}" 2 approval submit quote_discount quote 1
check "approval by a non-approver" 1 "" \
	"spm: approval approve: user 3 is not an approver of step 1 of approval request 1 (SPM_EPERM)" \
	"${A[@]}" 3 approval approve 1
check "approval approve" 0 "" "" "${A[@]}" 4 approval approve 1 "fine"
check "quote send once approved" 0 "" "" "${A[@]}" 2 quote send 1
check "quote revise" 0 "2" "" "${A[@]}" 2 quote revise 1
check "quote revise old version" 1 "" \
	"spm: quote revise: quote 1 is not the latest version (SPM_EINVAL)" "${A[@]}" 2 quote revise 1
check "approval cancel unknown" 1 "" \
	"spm: approval cancel: approval request 9 does not exist (SPM_ENOTFOUND)" \
	"${A[@]}" 2 approval cancel 9
check "quote usage" 2 "" "$(usage_err "quote needs: revise ID or send ID")" "${A[@]}" 2 quote open 1
check "approval usage" 2 "" \
	"$(usage_err "approval needs: submit ACTION KIND ID [DETAIL], approve ID [COMMENT], reject ID [COMMENT], or cancel ID")" \
	"${A[@]}" 2 approval cancel 1 now

# ---------------------------------------------------------------- contracts and payments

setup contract opportunity_id=1 "amount=100.00 CNY"
check "contract split" 0 "$(printf '%s\n' 3334 3333 3333)" "" "${A[@]}" 0 contract split 10000 3
check "contract split too small" 1 "" \
	"spm: contract split: installments: the amount must be > 0 and at least one minor unit per installment (SPM_EINVAL)" \
	"${A[@]}" 0 contract split 2 3
check "contract plan wrong sum" 1 "" \
	"spm: contract plan: the installments sum to 99.99 CNY, the contract amount is 100.00 CNY (SPM_EINVAL)" \
	"${A[@]}" 0 contract plan 1 2026-03-10=9999
check "contract plan bad item" 2 "" "$(usage_err "contract plan: 'March=1' is not DUE=AMOUNT")" \
	"${A[@]}" 0 contract plan 1 March=1
check "contract plan" 0 "" "" "${A[@]}" 0 contract plan 1 2026-03-10=3334 2026-04-10=3333 2026-05-10=3333
check "contract pay" 0 "1" "" "${A[@]}" 0 contract pay 1 "50.00 CNY"
check "contract pay too much" 1 "" \
	"spm: contract pay: a payment of 60.00 CNY exceeds the 50.00 CNY outstanding on contract 1 (its overpayment policy is refuse) (SPM_EINVAL)" \
	"${A[@]}" 0 contract pay 1 "60.00 CNY"
check "contract pay an installment" 0 "2" "" "${A[@]}" 0 contract pay 1 "1.00 CNY" 3
check "contract usage" 2 "" \
	"$(usage_err "contract needs: split AMOUNT N, plan ID DUE=AMOUNT..., or pay ID AMOUNT [INSTALLMENT]")" \
	"${A[@]}" 0 contract refund 1 2

# ---------------------------------------------------------------- tasks and comments

check "task add" 0 "1" "" "${A[@]}" 0 task add "Call back" 2 customer 1
check "task add on a missing record" 1 "" \
	"spm: task add: task: customer 9 does not exist (SPM_ENOTFOUND)" \
	"${A[@]}" 0 task add "Call back" 2 customer 9
check "task done" 0 "" "" "${A[@]}" 2 task done 1
check "task done unseen" 1 "" "spm: task done: task 1 does not exist (SPM_ENOTFOUND)" \
	"${A[@]}" 3 task done 1
check "comment add" 0 "1" "" "${A[@]}" 2 comment add customer 1 "@[Mo] please look"
check "comment unknown mention" 1 "" \
	"spm: comment add: comment: the mention @[Nobody] names no user (SPM_EINVAL)" \
	"${A[@]}" 2 comment add customer 1 "@[Nobody]"
check "comment usage" 2 "" "$(usage_err "comment needs: add KIND ID TEXT")" "${A[@]}" 2 comment add customer 1
types=$("$SPM" --db "$db" --now "$now" events tail | cut -f2 |
	grep -E '^(mention|approval|payment|task)' | sort | uniq -c | tr -s ' ')
want=$(printf '%s\n' ' 1 approval.approved' ' 1 approval.submitted' ' 1 mention' \
	' 2 payment.received')
if [[ $types == "$want" ]]; then
	pass=$((pass + 1)); echo "ok   events"
else
	fail=$((fail + 1)); echo "FAIL events"; printf '%s\n' "$types" | sed 's/^/     /'
fi

finish
