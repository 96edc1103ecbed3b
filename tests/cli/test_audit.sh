#!/usr/bin/env bash
# Tests of `spm audit head` and `spm audit verify`: exact output against a
# temporary database, damaged with the sqlite3 shell as an attacker would.
#
#   tests/cli/test_audit.sh PATH/TO/spm
set -euo pipefail

SPM=${1:?usage: test_audit.sh PATH/TO/spm}
. "$(dirname "$0")/harness.sh"

zero=0000000000000000000000000000000000000000000000000000000000000000
"$SPM" --db "$db" init >/dev/null
check "head of an empty log" 0 "0:$zero" "" --db "$db" audit head
check "an empty log verifies" 0 "ok: the chain is whole" "" --db "$db" audit verify

"$SPM" --db "$db" record add customer name=Acme industry=Retail >/dev/null
"$SPM" --db "$db" record set customer 1 name=Acme2 >/dev/null
"$SPM" --db "$db" record add customer name=Bolt >/dev/null
stored=$(sqlite3 "$db" "SELECT id || ':' || hash FROM _audit ORDER BY id DESC LIMIT 1")
check "head is the newest stored row" 0 "$stored" "" --db "$db" audit head
[[ $stored == 4:* ]] || { echo "FAIL the newest row is 4, not ${stored%%:*}"; fail=$((fail + 1)); }
anchor=$stored

check "verify" 0 "ok: the chain is whole" "" --db "$db" audit verify
check "verify with the anchor" 0 "ok: the chain is whole and holds the anchor" "" \
	--db "$db" audit verify --anchor "$anchor"
check "bad anchor" 2 "" "$(usage_err "audit verify: '4:abc' is not ID:HASH (64 hex digits)")" \
	--db "$db" audit verify --anchor 4:abc
check "head takes no arguments" 2 "" "$(usage_err "audit head takes no arguments")" \
	--db "$db" audit head 1
check "anchor of another chain" 1 "" \
	"spm: audit verify: audit entry 4 does not match the anchor (SPM_ECORRUPT)" \
	--db "$db" audit verify --anchor "4:$zero"

# the triggers refuse raw edits
if sqlite3 "$db" "UPDATE _audit SET actor = 9" 2>"$tmp/sqlerr"; then
	echo "FAIL a raw UPDATE of _audit went through"; fail=$((fail + 1))
else
	check "the raw UPDATE changed nothing" 0 "ok: the chain is whole" "" --db "$db" audit verify
fi

drop='DROP TRIGGER "_audit:no_update"; DROP TRIGGER "_audit:no_delete";'
cp "$db" "$tmp/edited.db"
sqlite3 "$tmp/edited.db" "$drop UPDATE _audit SET actor = 9 WHERE id = 3"
check "an edited row" 1 "" "spm: audit verify: audit entry 3: hash does not match (SPM_ECORRUPT)" \
	--db "$tmp/edited.db" audit verify

cp "$db" "$tmp/cut.db"
sqlite3 "$tmp/cut.db" "$drop DELETE FROM _audit WHERE id = 4"
check "a cut tail without the anchor" 0 "ok: the chain is whole" "" --db "$tmp/cut.db" audit verify
check "a cut tail with the anchor" 1 "" \
	"spm: audit verify: audit entry 4 (the anchor) is missing (SPM_ECORRUPT)" \
	--db "$tmp/cut.db" audit verify --anchor "$anchor"

finish
