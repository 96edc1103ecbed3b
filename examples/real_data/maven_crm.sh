#!/usr/bin/env bash
# Real data through the spm CLI: the Maven Analytics "CRM Sales Opportunities"
# pipeline (8,800 deals, 35 agents under 6 managers in 3 offices, 85
# accounts). Builds the org, imports the accounts and the deals with a column
# mapping, then asks the questions a sales manager asks: win rate and cycle by
# agent, team, product and sector, and the won value per quarter.
#
#   examples/real_data/maven_crm.sh SPM DATA_DIR DB
#
# SPM: the spm program (build/examples/spm); DATA_DIR: the folder with
# sales_teams.csv, accounts.csv and sales_pipeline.csv; DB: a new database
# file. The data is not part of the project (docs/real-data.md).
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 SPM DATA_DIR DB" >&2; exit 2; }
spm=$1 data=$2 db=$3
[ ! -e "$db" ] || { echo "$0: $db exists; give a new file" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

s() { "$spm" --db "$db" "$@"; }
# The CSV files are plain (no quoted commas); this reads field N of a line.
field() { cut -d, -f"$2" <<<"$1"; }

s init >/dev/null
# The deal's product is a custom field; in reports "product" means the
# products of line items, "field:product" this field.
s field add opportunity product text >/dev/null

# ---- org: 3 offices, a team per manager, the agents in their manager's team
admin_role=$(s record add role name=admin scope=3 'actions=*')
manager_role=$(s record add role name=manager scope=2)
rep_role=$(s record add role name=rep scope=1)
s record add user name=admin role_id="$admin_role" active=true >/dev/null
root=$(s record add team name=Maven)
declare -A office_team manager_user manager_team
while IFS= read -r line; do
	agent=$(field "$line" 1) manager=$(field "$line" 2) office=$(field "$line" 3)
	if [ -z "${office_team[$office]:-}" ]; then
		office_team[$office]=$(s record add team name="$office" parent_id="$root")
	fi
	if [ -z "${manager_user[$manager]:-}" ]; then
		manager_user[$manager]=$(s record add user name="$manager" \
			role_id="$manager_role" active=true)
		manager_team[$manager]=$(s record add team name="$manager" \
			parent_id="${office_team[$office]}" manager_id="${manager_user[$manager]}")
	fi
	user=$(s record add user name="$agent" role_id="$rep_role" active=true)
	s record add membership user_id="$user" team_id="${manager_team[$manager]}" \
		valid_from=2016-01-01 >/dev/null
done < <(tail -n +2 "$data/sales_teams.csv" | tr -d '\r')
echo "org: $(s record list user | wc -l) users, $(s record list team | wc -l) teams"

# ---- accounts become customers; the sector is the customer's industry
cat > "$work/accounts.map" <<'MAP'
account=name
sector=industry
year_established=
revenue=
employees=
office_location=
subsidiary_of=
MAP
s import customer "$data/accounts.csv" --map "$work/accounts.map"

# ---- the deals
cat > "$work/deals.map" <<'MAP'
opportunity_id=id
sales_agent=owner
product=product
account=account
deal_stage=stage
engage_date=created
close_date=close_date
close_value=amount
MAP
# The stages in their order (an import creating them would order them as
# first seen in the file, which here is Won, Engaging, Prospecting, Lost).
cat > "$work/pipeline.json" <<'JSON'
{"name": "Maven", "allow_skip": true, "stages": [
  {"name": "Prospecting", "probability": 10, "forecast_category": "pipeline"},
  {"name": "Engaging", "probability": 40, "forecast_category": "best_case"},
  {"name": "Won", "probability": 100, "forecast_category": "closed", "outcome": "won"},
  {"name": "Lost", "probability": 0, "forecast_category": "omitted", "outcome": "lost"}]}
JSON
pipeline=$(s pipeline load "$work/pipeline.json")
s opps import --pipeline "$pipeline" "$data/sales_pipeline.csv" --map-opportunities "$work/deals.map" \
	--customer-key name --user-key name --currency USD --skip-bad-rows

q() { echo "== $1"; s report run "$2"; }
q "win rate by office and team (a team's row counts its whole subtree)" \
	'{"query":"win_rate","group_by":"team"}'
q "sales cycle by product (days from engagement to close)" \
	'{"query":"cycle","group_by":"field:product"}'
q "win rate by sector (the account's industry)" \
	'{"query":"win_rate","group_by":"industry"}'
q "won value by quarter" \
	'{"query":"win_rate","period":"quarter"}'
q "funnel: deals that ever reached each stage" \
	"{\"query\":\"funnel\",\"pipeline\":$pipeline,\"funnel\":\"reached\"}"
