#!/bin/sh
# DuckDB as an independent oracle of the analytics answers, in every test run
# (suite 'duckdb'; scripts/test-all runs it in stage main only). On a small
# bench file (3,000 deals, seed 7) made to hold the cases the definitions
# decide, bench/duckdb-peer must find DuckDB's answers equal to the
# library's. Then it must fail when one library answer is off by one, and
# when npm cannot install DuckDB (a failure naming npm's error, never a skip).
#
#   duckdb_peer_check.sh DUCKDB_PEER ANALYTICS_BENCH DIR
#
# The first run installs npm's @duckdb/node-api into duckdb-peer/ next to
# ANALYTICS_BENCH (network: the npm registry); later runs reuse it offline.
set -eu
peer=$1
bench=$2
db=$3/duckdb-peer-check.db
fake=$(dirname "$bench")/duckdb-peer-check.fake-bench
tmp=$(mktemp -d "${TMPDIR:-/tmp}/duckdb-peer-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

fail() {
	echo "duckdb-peer-check: $*" >&2
	exit 1
}
# an unreachable registry fails in about a minute, not npm's five
: "${npm_config_fetch_timeout:=60000}" "${npm_config_fetch_retries:=1}"
export npm_config_fetch_timeout npm_config_fetch_retries

rm -f "$db" "$db-wal" "$db-shm" "$fake"
"$bench" --n 3000 --seed 7 --digest "$tmp/library.digest" "$db" >/dev/null

# The generator writes none of these; each is made from its deals in id order:
# 40 deals whose first stage-history row leaves a stage (it is deleted: they
# entered that stage when they were opened), 20 closed deals without a close
# date (10 won, 10 lost: in the win rate, not in the cycle), 15 deals without
# an owner, 10 without an open time (no created_at either: out of the cycle).
sqlite3 "$db" "
UPDATE stage_history SET deleted = 1 WHERE id IN (
  SELECT MIN(id) FROM stage_history WHERE opportunity_id IN (
    SELECT opportunity_id FROM stage_history GROUP BY opportunity_id
    HAVING count(*) >= 2 ORDER BY opportunity_id LIMIT 40 OFFSET 20)
  GROUP BY opportunity_id);
UPDATE opportunity SET closed_at = NULL
  WHERE id IN (SELECT id FROM opportunity WHERE status = 'won' ORDER BY id LIMIT 10)
     OR id IN (SELECT id FROM opportunity WHERE status = 'lost' ORDER BY id LIMIT 10);
UPDATE opportunity SET owner_id = NULL
  WHERE id IN (SELECT id FROM opportunity ORDER BY id LIMIT 15 OFFSET 100);
UPDATE opportunity SET opened_at = NULL
  WHERE id IN (SELECT id FROM opportunity ORDER BY id LIMIT 10 OFFSET 200);"

# The file holds each case (the counts the statements above leave).
count() {
	sqlite3 -readonly "$db" "$1"
}
expect() { # WHAT EXPECTED QUERY
	got=$(count "$3")
	[ "$got" = "$2" ] || fail "$1: $got, not $2"
}
expect "deals whose first live history row leaves a stage" 40 "
SELECT count(*) FROM stage_history h WHERE h.deleted = 0 AND h.from_stage_id IS NOT NULL
  AND h.id = (SELECT MIN(id) FROM stage_history WHERE opportunity_id = h.opportunity_id
              AND deleted = 0)"
expect "won and lost deals without a close date" "10|10" "
SELECT sum(status = 'won'), sum(status = 'lost') FROM opportunity
WHERE closed_at IS NULL AND deleted = 0"
expect "deals without an owner" 15 "SELECT count(*) FROM opportunity WHERE owner_id IS NULL"
expect "deals without an open time" 10 "
SELECT count(*) FROM opportunity WHERE COALESCE(opened_at, created_at) IS NULL"
# Medians of an even count whose two middle cycles differ by an odd number
# of seconds (a median with half a second): the generator makes them.
halves=$(count "
WITH c AS (
  SELECT owner_id, status, closed_at - opened_at AS d,
         row_number() OVER (PARTITION BY owner_id, status ORDER BY closed_at - opened_at) AS r,
         count(*) OVER (PARTITION BY owner_id, status) AS n
  FROM opportunity WHERE deleted = 0 AND status IN ('won', 'lost')
    AND closed_at IS NOT NULL AND opened_at IS NOT NULL)
SELECT count(*) FROM (SELECT sum(d) AS s FROM c WHERE n % 2 = 0 AND r IN (n / 2, n / 2 + 1)
                      GROUP BY owner_id, status) WHERE s % 2 = 1")
[ "$halves" -gt 0 ] || fail "no median of an even count with half a second: the data lost that case"
# The library answers for the deals without an owner (a row "-" of its own).
"$bench" --digest "$tmp/library.digest" "$db" >/dev/null
grep -q '^win - ' "$tmp/library.digest" ||
	fail "the library's answers have no row for the deals without an owner"

# 1. DuckDB and the library agree.
if ! "$peer" --runs 1 "$bench" "$db" >"$tmp/agree.out" 2>&1; then
	cat "$tmp/agree.out" >&2
	fail "bench/duckdb-peer failed (above)"
fi
cat "$tmp/agree.out"
lines=$(wc -l <"$tmp/library.digest")
grep -q "^answers agree: DuckDB and the library give the same $lines cells " "$tmp/agree.out" ||
	fail "bench/duckdb-peer did not say that the $lines answers agree"

# 2. It fails when the library's median of an even count is 1 ppm off.
cat >"$fake" <<EOF
#!/bin/sh
# the real bench; then, for --digest, one median of an even count is 1 ppm off
"$bench" "\$@" || exit
[ "\$1" = --digest ] || exit 0
awk '!done && \$1 == "cycle" && \$4 % 2 == 0 { print > "$tmp/orig"; \$7++; print > "$tmp/off"; done = 1 }
     { print }' "\$2" >"\$2.off" && mv "\$2.off" "\$2"
EOF
chmod +x "$fake"
if "$peer" --runs 1 "$fake" "$db" >"$tmp/off.out" 2>&1; then
	cat "$tmp/off.out" >&2
	fail "bench/duckdb-peer passed although one library answer was off"
fi
[ -s "$tmp/off" ] || fail "the library's answers have no cycle of an even count to alter"
grep -qxF -e "duckdb-peer: answers differ: the library has \"$(cat "$tmp/off")\", DuckDB does not" \
	-e "duckdb-peer: answers differ: DuckDB has \"$(cat "$tmp/orig")\", the library does not" \
	"$tmp/off.out" || { cat "$tmp/off.out" >&2; fail "no 'answers differ' naming the altered line"; }
echo "duckdb-peer-check: an answer 1 ppm off fails: $(grep 'answers differ' "$tmp/off.out")"

# 3. A failed install is a failure with npm's error: offline, into an empty
# directory, with an empty npm cache (no network is asked).
if DUCKDB_PEER_DIR=$tmp/empty npm_config_offline=true npm_config_cache=$tmp/npm-cache \
	"$peer" --runs 1 "$bench" "$db" >"$tmp/npm.out" 2>&1; then
	cat "$tmp/npm.out" >&2
	fail "bench/duckdb-peer passed although npm could not install DuckDB"
fi
grep -q "^duckdb-peer: npm install @duckdb/node-api@[^ ]* into $tmp/empty failed" "$tmp/npm.out" &&
	grep -Eq '^npm (error|ERR!) code ENOTCACHED' "$tmp/npm.out" ||
	{ cat "$tmp/npm.out" >&2; fail "a failed npm install did not fail with npm's error"; }
echo "duckdb-peer-check: a failed install fails: $(grep '^duckdb-peer: npm install' "$tmp/npm.out")"

rm -f "$db" "$db-wal" "$db-shm" "$fake"
