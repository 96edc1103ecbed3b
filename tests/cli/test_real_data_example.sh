#!/usr/bin/env bash
# examples/real_data/maven_crm.sh on a small data set in the same layout,
# written by hand (the real files are not part of the project): every figure
# of its output is checked. The quirks of the real files are here too: an
# agent without deals, deals without an account, a prospect without dates,
# lost deals worth 0, a sector spelled wrong.
#   test_real_data_example.sh PATH/TO/spm PATH/TO/maven_crm.sh
set -euo pipefail
SPM=${1:?usage: $0 SPM SCRIPT}
script=${2:?usage: $0 SPM SCRIPT}
. "$(dirname "$0")/harness.sh"

data=$tmp/data
mkdir "$data"
cat > "$data/sales_teams.csv" <<'CSV'
sales_agent,manager,regional_office
Ann Ames,Mia Moss,North
Bo Berg,Mia Moss,North
Cy Cole,Ned Nash,South
Di Dunn,Ned Nash,South
CSV
cat > "$data/accounts.csv" <<'CSV'
account,sector,year_established,revenue,employees,office_location,subsidiary_of
Acme,retail,1990,10.5,100,United States,
Bolt,software,2001,20.0,50,Kenya,
Core,technolgy,2010,1.0,10,United States,Acme
CSV
# cycles: D1 30 days, D2 10, D3 50 (1 March to 20 April), D5 20, D7 30
cat > "$data/sales_pipeline.csv" <<'CSV'
opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value
D1,Ann Ames,GTX Basic,Acme,Won,2017-01-10,2017-02-09,1000
D2,Ann Ames,GTX Basic,Bolt,Lost,2017-01-20,2017-01-30,0
D3,Bo Berg,GTXPro,Core,Won,2017-03-01,2017-04-20,4500
D4,Bo Berg,GTXPro,,Engaging,2017-05-01,,
D5,Cy Cole,GTX Basic,Acme,Won,2017-04-01,2017-04-21,600
D6,Cy Cole,MG Special,,Prospecting,,,
D7,Cy Cole,MG Special,Bolt,Lost,2017-02-01,2017-03-03,0
CSV

want=$(tsv \
	'org: 7 users, 5 teams' \
	'rows 3, stored 3, bad 0' \
	'opportunities: rows 7, created 7, updated 0, unchanged 0, bad 0' \
	'history: rows 0, created 0, updated 0, unchanged 0, bad 0' \
	'line items: rows 0, created 0, updated 0, unchanged 0, bad 0' \
	"== win rate by office and team (a team's row counts its whole subtree)" \
	'team_id|team|won|lost|win_rate|won_amount' \
	'1|Maven|3|2|0.600000|6100.00 USD' \
	'2|North|2|1|0.666667|5500.00 USD' \
	'3|Mia Moss|2|1|0.666667|5500.00 USD' \
	'4|South|1|1|0.500000|600.00 USD' \
	'5|Ned Nash|1|1|0.500000|600.00 USD' \
	'== sales cycle by product (days from engagement to close)' \
	'product|won|won_mean_days|won_median_days|lost|lost_mean_days|lost_median_days' \
	'GTX Basic|2|25.000000|25.000000|1|10.000000|10.000000' \
	'GTXPro|1|50.000000|50.000000|0||' \
	'MG Special|0|||1|30.000000|30.000000' \
	"== win rate by sector (the account's industry)" \
	'industry|won|lost|win_rate|won_amount' \
	'|0|0||' \
	'retail|2|0|1.000000|1600.00 USD' \
	'software|0|2|0.000000|' \
	'technolgy|1|0|1.000000|4500.00 USD' \
	'== won value by quarter' \
	'period|period_start|won|lost|win_rate|won_amount' \
	'2017-Q1|2017-01-01|1|2|0.333333|1000.00 USD' \
	'2017-Q2|2017-04-01|2|0|1.000000|5100.00 USD' \
	'== funnel: deals that ever reached each stage' \
	'stage_id|stage|position|deals|conversion' \
	'1|Prospecting|1|5|0.800000' \
	'2|Engaging|2|4|0.750000' \
	'3|Won|3|3|' \
	'4|Lost|4|2|')

# run_script NAME WANT_STATUS WANT_STDOUT WANT_STDERR ARGS...: like check, for the script.
run_script() {
	local name=$1 want_status=$2 want_out=$3 want_err=$4
	shift 4
	local status=0
	"$script" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || status=$?
	if [[ $status -eq $want_status && $(<"$tmp/out") == "$want_out" && $(<"$tmp/err") == "$want_err" ]]; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name (status $status, want $want_status)"
		diff -u <(printf '%s\n' "$want_out") "$tmp/out" | sed 's/^/     /' || true
		diff -u <(printf '%s\n' "$want_err") "$tmp/err" | sed 's/^/     /' || true
	fi
}

run_script "maven_crm.sh: every figure" 0 "$want" "" "$SPM" "$data" "$tmp/maven.db"
# An existing database is refused before anything is written to it.
before=$(cksum <"$tmp/maven.db")
run_script "maven_crm.sh refuses an existing database" 2 "" \
	"$script: $tmp/maven.db exists; give a new file" "$SPM" "$data" "$tmp/maven.db"
if [[ $(cksum <"$tmp/maven.db") == "$before" ]]; then
	pass=$((pass + 1))
	echo "ok   maven_crm.sh left the existing database alone"
else
	fail=$((fail + 1))
	echo "FAIL maven_crm.sh left the existing database alone"
fi
finish
