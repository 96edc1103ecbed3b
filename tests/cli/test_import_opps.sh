#!/usr/bin/env bash
# Tests of `spm opps import|export`: Salesforce-layout files written here,
# exact exit status, stdout and stderr.
#
#   tests/cli/test_import_opps.sh PATH/TO/spm
set -euo pipefail

SPM=${1:?usage: test_import_opps.sh PATH/TO/spm}
. "$(dirname "$0")/harness.sh"

usage_err() { printf "spm: %s\nTry 'spm --help'." "$1"; }
counts() { printf '%s\n' "opportunities: $1" "history: $2" "line items: $3"; }

"$SPM" --db "$db" init >/dev/null
"$SPM" --db "$db" record add pipeline name=Sales >/dev/null
"$SPM" --db "$db" field add customer external_id text >/dev/null
"$SPM" --db "$db" record add customer name=Acme external_id=001A >/dev/null
"$SPM" --db "$db" record add stage pipeline_id=1 name=Prospecting position=1 outcome=open >/dev/null
"$SPM" --db "$db" record add stage pipeline_id=1 name=Negotiation/Review position=2 outcome=open >/dev/null
"$SPM" --db "$db" record add stage pipeline_id=1 "name=Closed Won" position=3 outcome=won >/dev/null

cat >"$tmp/Opportunity.csv" <<'CSV'
Id,AccountId,Name,StageName,Amount,CloseDate,CreatedDate
006A,001A,Acme Generators,Closed Won,15000,02/03/24,01/10/24
006B,001A,Acme SLA,Negotiation/Review,5000.50,03/31/24,01/15/24
CSV
cat >"$tmp/OpportunityHistory.csv" <<'CSV'
OpportunityId,CreatedDate,StageName,Amount
006A,02/03/24 05:30 PM,Closed Won,15000
006A,01/10/24 09:00 AM,Prospecting,10000
006B,01/15/24 10:00 AM,Negotiation/Review,5000.50
CSV
cat >"$tmp/Bad.csv" <<'CSV'
Id,AccountId,Name,StageName,Amount,CloseDate,CreatedDate
006C,001A,Acme Pumps,Closed Lost,15000,02/03/24,01/10/24
006D,001Z,Zeta,Prospecting,1.001,02/03/24,01/10/24
CSV

check "usage: no subcommand" 2 "" "$(usage_err "opps needs a subcommand: import or export")" \
	--db "$db" opps
check "usage: no pipeline" 2 "" "$(usage_err "opps import needs --pipeline ID and the opportunities file")" \
	--db "$db" opps import "$tmp/Opportunity.csv"
check "usage: bad pipeline" 2 "" "$(usage_err "--pipeline needs a pipeline id, not 'x'")" \
	--db "$db" opps import --pipeline x "$tmp/Opportunity.csv"
check "usage: bad dates" 2 "" "$(usage_err "--dates is iso, mdy or dmy, not 'ymd'")" \
	--db "$db" opps import --pipeline 1 --dates ymd "$tmp/Opportunity.csv"
check "usage: unknown option" 2 "" "$(usage_err "opps import: unknown option '--fast'")" \
	--db "$db" opps import --pipeline 1 --fast x "$tmp/Opportunity.csv"
check "missing file" 1 "" "spm: opps import: cannot read $tmp/nope.csv" \
	--db "$db" opps import --pipeline 1 "$tmp/nope.csv"
check "no such pipeline" 1 "" "spm: opps import: pipeline 9 does not exist (SPM_ENOTFOUND)" \
	--db "$db" opps import --pipeline 9 --currency USD "$tmp/Opportunity.csv"

check "bad rows: all or nothing" 1 "$(counts \
	'rows 2, created 0, updated 0, unchanged 0, bad 2' \
	'rows 0, created 0, updated 0, unchanged 0, bad 0' \
	'rows 0, created 0, updated 0, unchanged 0, bad 0'
	printf '%s\n' \
	"opportunities line 2, column StageName: stage 'Closed Lost' is not in pipeline 1" \
	"opportunities line 3, column AccountId: no customer has external_id '001Z'")" \
	"spm: opps import: 2 bad rows: nothing stored (SPM_EINVAL)" \
	--db "$db" opps import --pipeline 1 --currency USD --dates mdy "$tmp/Bad.csv"
check "bad rows: lenient, created stages, dry run" 1 "$(counts \
	'rows 2, created 0, updated 0, unchanged 0, bad 1' \
	'rows 0, created 0, updated 0, unchanged 0, bad 0' \
	'rows 0, created 0, updated 0, unchanged 0, bad 0'
	printf '%s\n' \
	"warning: opportunities line 3, column AccountId: no customer has external_id '001Z': left empty" \
	"opportunities line 3, column Amount: Amount: spm_money_parse: USD has 2 decimal(s), the text has 3")" \
	"spm: opps import: 1 bad row: nothing stored (SPM_EINVAL)" \
	--db "$db" opps import --pipeline 1 --currency USD --dates mdy --lenient --create-stages \
	--dry-run "$tmp/Bad.csv"

want=$(counts 'rows 2, created 2, updated 0, unchanged 0, bad 0' \
	'rows 3, created 3, updated 0, unchanged 0, bad 0' \
	'rows 0, created 0, updated 0, unchanged 0, bad 0')
check "import" 0 "$want" "" --db "$db" opps import --pipeline 1 --currency USD --dates mdy \
	"$tmp/Opportunity.csv" --history "$tmp/OpportunityHistory.csv"
check "import again: unchanged" 0 "$(counts 'rows 2, created 0, updated 0, unchanged 2, bad 0' \
	'rows 3, created 0, updated 0, unchanged 3, bad 0' \
	'rows 0, created 0, updated 0, unchanged 0, bad 0')" "" \
	--db "$db" opps import --pipeline 1 --currency USD --dates mdy \
	"$tmp/Opportunity.csv" --history "$tmp/OpportunityHistory.csv"
check "export opportunities" 0 "$(printf '%s\r\n' \
	'Id,AccountId,OwnerId,Name,StageName,Amount,CurrencyIsoCode,CloseDate,CreatedDate,LeadSource' \
	'006A,001A,,Acme Generators,Closed Won,15000.00,USD,2024-02-03,2024-01-10 00:00:00,' \
	'006B,001A,,Acme SLA,Negotiation/Review,5000.50,USD,2024-03-31,2024-01-15 00:00:00,')" "" \
	--db "$db" opps export --pipeline 1 opportunities
check "export history" 0 "$(printf '%s\r\n' \
	'OpportunityId,StageName,CreatedDate,Amount,CurrencyIsoCode,CreatedById' \
	'006A,Prospecting,2024-01-10 09:00:00,10000.00,USD,' \
	'006A,Closed Won,2024-02-03 17:30:00,15000.00,USD,' \
	'006B,Negotiation/Review,2024-01-15 10:00:00,5000.50,USD,')" "" \
	--db "$db" opps export --pipeline 1 history
check "export: bad file" 2 "" "$(usage_err "opps export writes opportunities or history, not 'items'")" \
	--db "$db" opps export --pipeline 1 items

# a custom mapping: the export imports back into a second database
"$SPM" --db "$db" opps export --pipeline 1 opportunities >"$tmp/o.csv"
"$SPM" --db "$db" opps export --pipeline 1 history >"$tmp/h.csv"
printf '# history without actors\nOpportunityId=opportunity\nStageName=stage\nCreatedDate=at\nAmount=amount\nCurrencyIsoCode=currency\n' \
	>"$tmp/h.map"
db2=$tmp/copy.db
"$SPM" --db "$db2" init >/dev/null
"$SPM" --db "$db2" record add pipeline name=Copy >/dev/null
"$SPM" --db "$db2" field add customer external_id text >/dev/null
"$SPM" --db "$db2" record add customer name=Acme external_id=001A >/dev/null
check "round trip: import the export" 0 "$(counts \
	'rows 2, created 2, updated 0, unchanged 0, bad 0' \
	'rows 3, created 3, updated 0, unchanged 0, bad 0' \
	'rows 0, created 0, updated 0, unchanged 0, bad 0'
	echo "stages created: 3")" "" \
	--db "$db2" opps import --pipeline 1 --create-stages "$tmp/o.csv" --history "$tmp/h.csv" \
	--map-history "$tmp/h.map"
check "round trip: same history" 0 "$(<"$tmp/h.csv")" "" --db "$db2" opps export --pipeline 1 history

finish
