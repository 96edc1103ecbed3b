#!/usr/bin/env bash
# Tests of the spm command-line tool: runs the built binary against temporary
# database files and compares exit status, stdout and stderr exactly.
#
#   tests/cli/test_cli.sh PATH/TO/spm
set -euo pipefail

SPM=${1:?usage: test_cli.sh PATH/TO/spm}
. "$(dirname "$0")/harness.sh"

# ---------------------------------------------------------------- usage

check "help" 0 "$("$SPM" --help)" "" --help
[[ $("$SPM" --help | head -1) == "usage: spm --db FILE [--actor ID] [--now SECONDS] COMMAND [ARGS...]" ]] \
	&& { pass=$((pass + 1)); echo "ok   help first line"; } \
	|| { fail=$((fail + 1)); echo "FAIL help first line"; }
check "no command" 2 "" "$(usage_err "no command given")"
check "unknown command" 2 "" "$(usage_err "unknown command 'frobnicate'")" --db "$db" frobnicate
check "unknown option" 2 "" "$(usage_err "unknown option '--verbose'")" --verbose init
check "missing --db" 2 "" "$(usage_err "init needs --db FILE")" init
check "--db without value" 2 "" "$(usage_err "--db needs a value")" --db
check "bad actor" 2 "" "$(usage_err "--actor needs a user id (an integer >= 0), not 'bob'")" \
	--db "$db" --actor bob init
check "bad --now" 2 "" "$(usage_err "--now needs integer seconds, not '1.5'")" --db "$db" --now 1.5 init
check "init with arguments" 2 "" "$(usage_err "init takes no arguments")" --db "$db" init now
check "field without subcommand" 2 "" "$(usage_err "field needs a subcommand: add, list or drop")" \
	--db "$db" field
check "field add too few" 2 "" "$(usage_err "field add needs KIND NAME TYPE")" \
	--db "$db" field add customer grade
check "field add unknown option" 2 "" "$(usage_err "field add: unknown option '--colour'")" \
	--db "$db" field add customer grade text --colour
check "field add --label without value" 2 "" "$(usage_err "--label needs a value")" \
	--db "$db" field add customer grade text --label
check "record add without =" 2 "" "$(usage_err "record add: 'name' is not FIELD=VALUE")" \
	--db "$db" record add customer name
check "record get bad id" 2 "" "$(usage_err "record get: '1x' is not an id")" \
	--db "$db" record get customer 1x
check "events without tail" 2 "" "$(usage_err "events needs the subcommand tail")" --db "$db" events
check "ack without consumer" 2 "" "$(usage_err "--ack needs --consumer")" --db "$db" events tail --ack
check "after with consumer" 2 "" "$(usage_err "--after and --consumer exclude each other")" \
	--db "$db" events tail --after 1 --consumer mailer
[[ ! -e $db ]] && { pass=$((pass + 1)); echo "ok   no database file yet"; } \
	|| { fail=$((fail + 1)); echo "FAIL no database file yet"; }

# ---------------------------------------------------------------- init and failures

check "missing file is not created" 1 "" \
	"spm: $tmp/missing.db: sqlite: open $tmp/missing.db (unable to open database file) (SPM_ESTORAGE)" \
	--db "$tmp/missing.db" record list customer
schema=$("$SPM" --db "$db" init)
check "init" 0 "$schema" "" --db "$db" init
[[ $schema =~ ^schema\ version\ [0-9]+$ ]] && { pass=$((pass + 1)); echo "ok   init output"; } \
	|| { fail=$((fail + 1)); echo "FAIL init output: $schema"; }
check "version" 0 "spm 0.1.0 (libspm 0.1.0, schema ${schema#schema version })" "" --version

# ---------------------------------------------------------------- fields

check "field add enum" 0 "" "" --db "$db" --now 100 field add customer grade enum \
	--choices A,B,C --label "客户分级"
check "field add money" 0 "" "" --db "$db" --now 100 field add customer credit money --required
check "field add existing" 1 "" "spm: field add: customer already has a field 'grade' (SPM_EEXISTS)" \
	--db "$db" field add customer grade text
check "field add sql injection name" 1 "" \
	"spm: field add: field name must match [a-z][a-z0-9_]{0,62} (SPM_EINVAL)" \
	--db "$db" field add customer "a; DROP TABLE x" text
check "field add bad type" 1 "" \
	"spm: field add: unknown field type 'float' (text, integer, money, date, boolean, enum, time) (SPM_EINVAL)" \
	--db "$db" field add customer x float
check "field add unknown kind" 1 "" "spm: field add: no entity kind 'planet' (SPM_ENOTFOUND)" \
	--db "$db" field add planet x text
check "field list" 0 "$(tsv \
	'customer|name|text|required,indexed|-|-' \
	'customer|owner_id|integer|indexed|-|-' \
	'customer|created_at|time|readonly|-|-' \
	'customer|updated_at|time|readonly|-|-' \
	'customer|industry|text|indexed|-|-' \
	'customer|region|text|indexed|-|-' \
	'customer|last_contact_at|time|readonly|-|-' \
	'customer|next_follow_up|date|indexed|-|-' \
	'customer|follow_up_reminded|date|readonly|-|-' \
	'customer|lifecycle|text|indexed|-|-' \
	'customer|level|text|indexed|-|-' \
	'customer|level_manual|boolean|-|-|-' \
	'customer|company_key|text|indexed,readonly|-|-' \
	'customer|duplicate_of|integer|readonly|-|-' \
	'customer|tags|text|indexed|-|-' \
	'customer|grade|enum|custom|A,B,C|客户分级' \
	'customer|credit|money|custom,required|-|-')" "" --db "$db" field list customer
check "field list unknown kind" 1 "" "spm: field list: no entity kind 'planet' (SPM_ENOTFOUND)" \
	--db "$db" field list planet

# ---------------------------------------------------------------- records

check "record add" 0 "1" "" --db "$db" --actor 7 --now 200 record add customer \
	"name=Acme 有限公司" grade=B "credit=5000.00 CNY"
check "record add second" 0 "2" "" --db "$db" --actor 8 --now 300 record add customer \
	name=Beta "credit=12.50 EUR"
check "record add bad enum" 1 "" \
	"spm: record add: customer.grade: 'Z' is not one of its choices (SPM_EINVAL)" \
	--db "$db" record add customer name=X grade=Z credit="1 EUR"
check "record add unknown field" 1 "" "spm: record add: customer has no field 'nope' (SPM_ENOTFOUND)" \
	--db "$db" record add customer nope=1
check "record add too many decimals" 1 "" \
	"spm: record add: spm_money_parse: EUR has 2 decimal(s), the text has 3 (SPM_EINVAL)" \
	--db "$db" record add customer name=X "credit=12.505 EUR"
check "record add required missing" 1 "" "spm: record add: customer.credit is required (SPM_EINVAL)" \
	--db "$db" record add customer name=X
check "record add invalid UTF-8" 1 "" "spm: record add: customer.name: invalid UTF-8 (SPM_EINVAL)" \
	--db "$db" record add customer $'name=\xff' "credit=1 EUR"
check "record get" 0 \
	'{"kind":"customer","id":1,"seq":3,"fields":{"name":"Acme 有限公司","created_at":200,"updated_at":200,"company_key":"acme","grade":"B","credit":{"minor":500000,"currency":"CNY"}}}' \
	"" --db "$db" record get customer 1
check "record get missing" 1 "" "spm: record get: customer 9 does not exist (SPM_ENOTFOUND)" \
	--db "$db" record get customer 9
check "record list" 0 "$(printf '%s\n' \
	'{"kind":"customer","id":1,"seq":3,"fields":{"name":"Acme 有限公司","created_at":200,"updated_at":200,"company_key":"acme","grade":"B","credit":{"minor":500000,"currency":"CNY"}}}' \
	'{"kind":"customer","id":2,"seq":4,"fields":{"name":"Beta","created_at":300,"updated_at":300,"company_key":"beta","credit":{"minor":1250,"currency":"EUR"}}}')" \
	"" --db "$db" record list customer
check "record list empty kind" 0 "" "" --db "$db" record list contact
check "record list unknown kind" 1 "" "spm: record list: no entity kind 'planet' (SPM_ENOTFOUND)" \
	--db "$db" record list planet

# ---------------------------------------------------------------- audit

check "audit of a record" 0 "$(tsv \
	'3|3|200|7|create|customer|1|name|-|Acme 有限公司' \
	'4|3|200|7|create|customer|1|grade|-|B' \
	'5|3|200|7|create|customer|1|credit|-|5000.00 CNY')" "" --db "$db" audit customer 1
check "audit of everything" 0 "$(tsv \
	'1|1|100|0|schema|customer|0|grade|-|enum' \
	'2|2|100|0|schema|customer|0|credit|-|money' \
	'3|3|200|7|create|customer|1|name|-|Acme 有限公司' \
	'4|3|200|7|create|customer|1|grade|-|B' \
	'5|3|200|7|create|customer|1|credit|-|5000.00 CNY' \
	'6|4|300|8|create|customer|2|name|-|Beta' \
	'7|4|300|8|create|customer|2|credit|-|12.50 EUR')" "" --db "$db" audit
check "audit bad id" 2 "" "$(usage_err "audit: '0' is not an id")" --db "$db" audit customer 0
check "audit unknown kind" 1 "" "spm: audit: no entity kind 'planet' (SPM_ENOTFOUND)" \
	--db "$db" audit planet

# ---------------------------------------------------------------- events

ev1='1|field.added|customer|0|{"kind":"customer","name":"grade","type":"enum"}'
ev2='2|field.added|customer|0|{"kind":"customer","name":"credit","type":"money"}'
ev3='3|record.created|customer|1|{"changes":{"name":{"old":null,"new":"Acme 有限公司"},"grade":{"old":null,"new":"B"},"credit":{"old":null,"new":"5000.00 CNY"}}}'
ev4='4|record.created|customer|2|{"changes":{"name":{"old":null,"new":"Beta"},"credit":{"old":null,"new":"12.50 EUR"}}}'
ev5='5|record.created|customer|3|{"changes":{"name":{"old":null,"new":"Gamma"},"credit":{"old":null,"new":"7 JPY"}}}'
check "events tail" 0 "$(tsv "$ev1" "$ev2" "$ev3" "$ev4")" "" --db "$db" events tail
check "events tail --after" 0 "$(tsv "$ev3" "$ev4")" "" --db "$db" events tail --after 2
check "events tail --after the end" 0 "" "" --db "$db" events tail --after 4
check "consumer first run" 0 "$(tsv "$ev1" "$ev2" "$ev3" "$ev4")" "" \
	--db "$db" events tail --consumer mailer --ack
check "consumer second run, nothing new" 0 "" "" --db "$db" events tail --consumer mailer --ack
check "record add third" 0 "3" "" --db "$db" --now 400 record add customer name=Gamma "credit=7 JPY"
check "consumer without ack sees the new event" 0 "$(tsv "$ev5")" "" \
	--db "$db" events tail --consumer mailer
check "consumer again, still unacknowledged" 0 "$(tsv "$ev5")" "" \
	--db "$db" events tail --consumer mailer --ack
check "consumer after ack" 0 "" "" --db "$db" events tail --consumer mailer
check "another consumer starts at the beginning" 0 "$(tsv "$ev1" "$ev2" "$ev3" "$ev4" "$ev5")" "" \
	--db "$db" events tail --consumer audit.export
check "bad consumer name" 1 "" \
	"spm: events tail: a consumer name has 1..63 of [A-Za-z0-9_.-] (SPM_EINVAL)" \
	--db "$db" events tail --consumer "a b"

# ---------------------------------------------------------------- drop

check "field drop core field" 1 "" \
	"spm: field drop: customer.name is a core field and cannot be dropped (SPM_EPERM)" \
	--db "$db" field drop customer name
check "field drop" 0 "" "" --db "$db" field drop customer grade
check "field drop again" 1 "" "spm: field drop: customer has no field 'grade' (SPM_ENOTFOUND)" \
	--db "$db" field drop customer grade
# seq 8: the drop rewrites the record, after the two acknowledgements (5, 7)
# and Gamma (6) each took a change sequence.
check "record after drop" 0 \
	'{"kind":"customer","id":1,"seq":8,"fields":{"name":"Acme 有限公司","created_at":200,"updated_at":200,"company_key":"acme","credit":{"minor":500000,"currency":"CNY"}}}' \
	"" --db "$db" record get customer 1

# ---------------------------------------------------------------- leads

ldb="$tmp/leads.db"
check "leads: init" 0 "schema version 7" "" --db "$ldb" init
check "leads: role" 0 "1" "" --db "$ldb" record add role name=rep scope=1
check "leads: user An" 0 "1" "" --db "$ldb" record add user name=An role_id=1 active=true
check "leads: user Bo" 0 "2" "" --db "$ldb" record add user name=Bo role_id=1 active=true
check "leads: pool lead" 0 "1" "" --db "$ldb" --now 1000 record add lead company=Acme source=web
check "lead claim" 0 "" "" --db "$ldb" --actor 1 --now 2000 lead claim 1
check "lead claim lost" 1 "" \
	"spm: lead claim: lead 1 is not in the pool: someone claimed it (SPM_ECONFLICT)" \
	--db "$ldb" --actor 2 lead claim 1
check "lead release needs a reason" 2 "" "$(usage_err "lead needs: claim ID, release ID REASON, or assign")" \
	--db "$ldb" --actor 1 lead release 1
check "lead release" 0 "" "" --db "$ldb" --actor 1 --now 3000 lead release 1 "wrong region"
check "lead after release" 0 \
	'{"kind":"lead","id":1,"seq":6,"fields":{"company":"Acme","source":"web","status":"new","previous_owner_id":1,"pooled_at":3000,"assigned_at":2000,"released_at":3000,"release_reason":"wrong region","company_key":"acme","created_at":1000,"updated_at":3000}}' \
	"" --db "$ldb" record get lead 1
check "lead bad id" 2 "" "$(usage_err "lead: 'x' is not an id")" --db "$ldb" lead claim x
check "tick" 0 "" "" --db "$ldb" --now 4000 tick
check "assignment rule" 0 "1" "" --db "$ldb" record add assignment_rule position=1 name=rr \
	method=round_robin users=2
check "lead assign" 0 "1" "" --db "$ldb" --now 5000 lead assign
check "lead assign again" 0 "0" "" --db "$ldb" --now 5000 lead assign

# ---------------------------------------------------------------- csv

cdb="$tmp/csv.db"
printf 'Company Name,Owner,Notes\r\nAcme 有限公司,7,x\r\n"Beta, Inc.",8,y\r\n,9,z\r\n' >"$tmp/in.csv"
printf '# a CRM export\nCompany Name=name\nOwner=owner_id\nNotes=\n' >"$tmp/map.txt"
check "csv: init" 0 "schema version 7" "" --db "$cdb" init
check "import all or nothing" 1 "$(printf '%s\n' 'rows 3, stored 0, bad 1' \
	'line 4, column Company Name: Company Name: customer.name is required')" \
	"spm: import: 1 of 3 rows are bad: nothing stored (SPM_EINVAL)" \
	--db "$cdb" import customer "$tmp/in.csv" --map "$tmp/map.txt"
printf 'name\nA\nB\n' >"$tmp/two.csv"
check "import dry run" 0 "$(printf '%s\n' 'rows 2, stored 0, bad 0')" "" \
	--db "$cdb" import customer "$tmp/two.csv" --dry-run
check "import skip bad rows" 0 "$(printf '%s\n' 'rows 3, stored 2, bad 1' \
	'line 4, column Company Name: Company Name: customer.name is required')" "" \
	--db "$cdb" --now 100 import customer "$tmp/in.csv" --map "$tmp/map.txt" --skip-bad-rows
check "import without a mapping" 1 "$(printf '%s\n' 'rows 0, stored 0, bad 0' \
	'line 1, column Company Name: header "Company Name" is not a field of customer' \
	'line 1, column Owner: header "Owner" is not a field of customer' \
	'line 1, column Notes: header "Notes" is not a field of customer')" \
	"spm: import: the header row is refused (3 problems): nothing stored (SPM_EINVAL)" \
	--db "$cdb" import customer "$tmp/in.csv"
check "import bad option" 2 "" "$(usage_err "import: unknown option '--fast'")" \
	--db "$cdb" import customer "$tmp/in.csv" --fast
check "import missing file" 1 "" "spm: import: cannot read $tmp/nope.csv" \
	--db "$cdb" import customer "$tmp/nope.csv"
check "export" 0 "$(printf '%s\r\n' \
	'name,owner_id,created_at,updated_at,industry,region,last_contact_at,next_follow_up,follow_up_reminded,lifecycle,level,level_manual,company_key,duplicate_of,tags' \
	'Acme 有限公司,7,1970-01-01T00:01:40Z,1970-01-01T00:01:40Z,,,,,,,,,acme,,' \
	'"Beta, Inc.",8,1970-01-01T00:01:40Z,1970-01-01T00:01:40Z,,,,,,,,,beta,,')" "" \
	--db "$cdb" export customer


# ---------------------------------------------------------------- record set / delete
sdb=$tmp/set.db
"$SPM" --db "$sdb" init >/dev/null
check "set: add" 0 "1" "" --db "$sdb" --now 100 record add customer name=Acme region=north \
	industry=retail
check "set: change one, clear one" 0 "" "" --db "$sdb" --now 200 record set customer 1 name=Acme2 \
	region=
check "set: the record after" 0 \
	'{"kind":"customer","id":1,"seq":2,"fields":{"name":"Acme2","created_at":100,"updated_at":200,"industry":"retail","company_key":"acme2"}}' \
	"" --db "$sdb" record get customer 1
check "set: unknown field" 1 "" "spm: record set: customer has no field 'nope' (SPM_ENOTFOUND)" \
	--db "$sdb" record set customer 1 nope=1
check "set: missing record" 1 "" "spm: record set: customer 9 does not exist (SPM_ENOTFOUND)" \
	--db "$sdb" record set customer 9 name=x
check "set: clearing a required field" 1 "" \
	"spm: record set: customer.name is required (SPM_EINVAL)" --db "$sdb" record set customer 1 name=
check "set: a value the domain refuses" 1 "" \
	"spm: record set: customer.lifecycle must be prospect, customer, repeat or churned, not 'nonsense' (SPM_EINVAL)" \
	--db "$sdb" record set customer 1 lifecycle=nonsense
check "set: bad id" 2 "" "$(usage_err "record set: '1x' is not an id")" \
	--db "$sdb" record set customer 1x name=a
check "set: no assignment" 2 "" "$(usage_err "record set needs KIND ID FIELD=VALUE...")" \
	--db "$sdb" record set customer 1
check "set: not an assignment" 2 "" "$(usage_err "record set: 'name' is not FIELD=VALUE")" \
	--db "$sdb" record set customer 1 name
check "set: refused writes changed nothing" 0 "$(tsv \
	'1|1|100|0|create|customer|1|name|-|Acme' \
	'2|1|100|0|create|customer|1|industry|-|retail' \
	'3|1|100|0|create|customer|1|region|-|north' \
	'4|2|200|0|update|customer|1|name|Acme|Acme2' \
	'5|2|200|0|update|customer|1|region|north|-')" "" --db "$sdb" audit customer 1
check "delete" 0 "" "" --db "$sdb" --now 300 record delete customer 1
check "delete: gone" 1 "" "spm: record get: customer 1 does not exist (SPM_ENOTFOUND)" \
	--db "$sdb" record get customer 1
check "delete: twice" 1 "" "spm: record delete: customer 1 does not exist (SPM_ENOTFOUND)" \
	--db "$sdb" record delete customer 1
check "delete: usage" 2 "" "$(usage_err "record delete needs KIND ID")" \
	--db "$sdb" record delete customer
check "delete: bad id" 2 "" "$(usage_err "record delete: 'x' is not an id")" \
	--db "$sdb" record delete customer x

finish
