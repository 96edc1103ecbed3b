#!/usr/bin/env bash
# Tests of `spm demo`: the seeded sample company and its report.
#
#   tests/cli/test_demo.sh PATH/TO/spm
#
# The text report of seed 42 must match tests/golden/demo.txt exactly (to
# regenerate it on purpose, see docs/demo.md). The HTML page is checked with
# python3's html.parser, and in headless Chromium when `chromium` is installed.
set -euo pipefail

SPM=${1:?usage: test_demo.sh PATH/TO/spm}
golden=$(cd "$(dirname "$0")/.." && pwd)/golden/demo.txt
. "$(dirname "$0")/harness.sh"

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }


# --- bad arguments: status 2, a clear message, nothing written
check "seed without a value" 2 "" "$(usage_err "demo: --seed needs a value")" \
	--db "$tmp/x.db" demo --seed
check "seed not a number" 2 "" \
	"$(usage_err "demo: --seed needs a whole number 0..18446744073709551615, not 'abc'")" \
	--db "$tmp/x.db" demo --seed abc
check "negative seed" 2 "" \
	"$(usage_err "demo: --seed needs a whole number 0..18446744073709551615, not '-1'")" \
	--db "$tmp/x.db" demo --seed -1
check "seed too large" 2 "" \
	"$(usage_err "demo: --seed needs a whole number 0..18446744073709551615, not '18446744073709551616'")" \
	--db "$tmp/x.db" demo --seed 18446744073709551616
check "html without a value" 2 "" "$(usage_err "demo: --html needs a value")" \
	--db "$tmp/x.db" demo --html
check "unknown option" 2 "" "$(usage_err "demo: unexpected argument '--colour'")" \
	--db "$tmp/x.db" demo --colour red
check "stray argument" 2 "" "$(usage_err "demo: unexpected argument 'now'")" \
	--db "$tmp/x.db" demo now
[[ ! -e $tmp/x.db ]] && ok "bad arguments create no file" || bad "bad arguments create no file"

# --- an existing file that is not a demo database is never overwritten
"$SPM" --db "$tmp/crm.db" init >/dev/null
"$SPM" --db "$tmp/crm.db" record add team name=Sales >/dev/null
cp "$tmp/crm.db" "$tmp/crm.before"
check "refuses a non-demo database" 2 "" \
	"$(usage_err "demo: '$tmp/crm.db' exists and is not a demo database; give another --db FILE")" \
	--db "$tmp/crm.db" demo
cmp -s "$tmp/crm.db" "$tmp/crm.before" && ok "non-demo database unchanged" \
	|| bad "non-demo database unchanged"
printf 'my notes\n' >"$tmp/notes.txt"
check "refuses a text file" 2 "" \
	"$(usage_err "demo: '$tmp/notes.txt' exists and is not a demo database; give another --db FILE")" \
	demo --db "$tmp/notes.txt"
[[ $(<"$tmp/notes.txt") == "my notes" ]] && ok "text file unchanged" || bad "text file unchanged"

# --- the golden run (into a file) and another seed (in memory), side by side
status=0
"$SPM" --db "$tmp/demo.db" demo --seed 42 --html "$tmp/demo.html" >"$tmp/run1" 2>"$tmp/err1" &
p1=$!
# Seed 43 runs with stderr on a terminal (script(1) makes one): the progress bar.
if command -v script >/dev/null 2>&1; then
	script -qec "'$SPM' demo --db :memory: --seed 43 >'$tmp/run3'" "$tmp/tty3" >/dev/null &
else
	"$SPM" demo --db :memory: --seed 43 >"$tmp/run3" 2>/dev/null &
fi
p3=$!
wait $p1 || status=$?
[[ $status -eq 0 && ! -s $tmp/err1 ]] && ok "seed 42 runs (status 0, no stderr off a tty)" \
	|| { bad "seed 42 runs (status $status)"; cat "$tmp/err1"; }
if diff -u "$golden" "$tmp/run1" >"$tmp/golden.diff"; then
	ok "seed 42 matches tests/golden/demo.txt"
else
	bad "seed 42 matches tests/golden/demo.txt"
	sed 's/^/     /' "$tmp/golden.diff" | head -40
fi
# Again with the same seed, replacing the demo database just written.
status=0
"$SPM" --db "$tmp/demo.db" demo --seed 42 >"$tmp/run2" 2>/dev/null || status=$?
[[ $status -eq 0 ]] && cmp -s "$tmp/run1" "$tmp/run2" \
	&& ok "same seed, same report (replacing the demo database)" \
	|| bad "same seed, same report (replacing the demo database; status $status)"
status=0
wait $p3 || status=$?
if [[ $status -eq 0 ]] && ! cmp -s "$tmp/run1" "$tmp/run3" &&
	[[ $(head -2 "$tmp/run3" | tail -1) == "seed 43: "* ]]; then
	ok "another seed, another report"
else
	bad "another seed, another report (status $status)"
fi
if [[ -e $tmp/tty3 ]]; then
	tr '\r' '\n' <"$tmp/tty3" | grep -q '^generating \[#\{40\}\] 100%' \
		&& ok "progress bar on a terminal" || bad "progress bar on a terminal"
fi
# The generated file holds what the report says: 30 reps, 5 teams.
reps=$("$SPM" --db "$tmp/demo.db" record list user | grep -c '"role_id":[34]' || true)
teams=$("$SPM" --db "$tmp/demo.db" record list team | wc -l)
[[ $reps -eq 30 && $teams -eq 8 ]] && ok "30 reps, 8 teams (company, 2 regions, 5 teams)" \
	|| bad "30 reps, 8 teams (got $reps, $teams)"

# --- the HTML page: well-formed HTML5, the charts, nothing external
if python3 - "$tmp/demo.html" <<'PY'; then ok "html is well-formed with its charts"; else bad "html is well-formed with its charts"; fi
import sys
from html.parser import HTMLParser

VOID = {"meta", "br", "img", "hr", "input", "link", "rect", "line"}
class Check(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.count, self.decl = [], [], {}, None
    def handle_decl(self, decl):
        self.decl = decl
    def handle_starttag(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1
        for name, value in attrs:
            v = (value or "").lower()
            if "http:" in v or "https:" in v or "//" in v.split("?")[0][:2]:
                self.errors.append(f"external reference {name}={value}")
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1
    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> does not close <{self.stack[-1] if self.stack else ''}>")
        else:
            self.stack.pop()

data = open(sys.argv[1], "rb").read()
text = data.decode("utf-8")  # must be valid UTF-8
p = Check()
p.feed(text)
p.close()
errs = p.errors
if p.decl != "DOCTYPE html": errs.append(f"doctype {p.decl!r}")
if p.stack: errs.append(f"unclosed {p.stack}")
if p.count.get("svg", 0) != 3: errs.append(f"{p.count.get('svg', 0)} svg charts, want 3")
if p.count.get("rect", 0) < 8 + 30 + 7: errs.append("too few bars")
if p.count.get("script", 0): errs.append("a script")
if "http" in text.lower(): errs.append("a URL")
if '<meta charset="utf-8">' not in text: errs.append("no charset")
for e in errs: print("     " + e)
sys.exit(1 if errs else 0)
PY

# --- headless Chromium: the page loads with no console message and its
# charts are in the DOM. Off CI it is left out when chromium is not
# installed (scripts/deps.txt lists it); in CI (CI=true) that is a failure.
if command -v chromium >/dev/null 2>&1; then
	profile=$(mktemp -d -p "$tmp")
	status=0
	timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$profile" \
		--enable-logging=stderr --v=0 --dump-dom "file://$tmp/demo.html" \
		>"$tmp/dom" 2>"$tmp/chromium.log" || status=$?
	svgs=$(grep -o '<svg' "$tmp/dom" | wc -l)
	if [[ $status -eq 0 && $svgs -eq 3 ]] && grep -q 'aria-label="Funnel"' "$tmp/dom" &&
		! grep -q 'CONSOLE' "$tmp/chromium.log"; then
		ok "chromium loads the page: 3 charts, no console messages"
	else
		bad "chromium loads the page (status $status, $svgs charts)"
		grep CONSOLE "$tmp/chromium.log" | head -5 | sed 's/^/     /' || true
	fi
elif [[ ${CI:-} == true ]]; then
	bad "chromium is not installed (scripts/deps.txt lists it)"
else
	echo "note: chromium is not installed; its check was left out"
fi

finish
