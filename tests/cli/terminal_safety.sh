#!/usr/bin/env bash
# Terminal safety of everything dbadvise prints from input files: a hostile plan file (ESC
# sequences that set the window title and clear the screen, a C1 CSI, a bidirectional
# override) and hostile file names. Text output and error messages must carry none of those
# bytes raw (they show as \x1b, \u{009b}, ...); JSON output keeps the strings exact.
#   terminal_safety.sh DBADVISE
set -uo pipefail
dbadvise="${1:?usage: terminal_safety.sh DBADVISE}"
work="$(mktemp -d "${TMPDIR:-/tmp}/dbadvise-term.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
cd "${work}" || exit 1
failed=0
fail() {
    echo "FAIL: $*"
    failed=1
}
# raw_controls FILE: true when FILE holds a C0 control other than \n, DEL, a UTF-8 C1 control
# or a bidirectional control.
raw_controls() {
    LC_ALL=C grep -Pq '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$1"
}

# A plan whose relation name and filter carry the sequences (valid JSON escapes).
printf '[{"Plan": {"Node Type": "Seq Scan", "Relation Name": "t\\u001b]0;pwned\\u0007\\u001b[2J\\u202e", "Actual Total Time": 10, "Actual Rows": 5, "Actual Loops": 1, "Plan Rows": 1000, "Rows Removed by Filter": 100000, "Filter": "(x = 1)\\u009b2J", "Startup Cost": 0, "Total Cost": 100}, "Execution Time": 10}]' >hostile.json
"${dbadvise}" explain hostile.json >out 2>err
raw_controls out && fail "explain text output holds raw control characters"
grep -qF 'Seq Scan on t\x1b]0;pwned\x07\x1b[2J\u{202e}' out || fail "explain text output does not show the escaped relation name"
grep -qF '(x = 1)\u{009b}2J' out || fail "explain text output does not show the escaped filter"
"${dbadvise}" explain --format json hostile.json >out.json 2>err
python3 -c '
import json, sys
def strings(v):
    if isinstance(v, str): yield v
    elif isinstance(v, dict): yield from (s for x in v.values() for s in strings(x))
    elif isinstance(v, list): yield from (s for x in v for s in strings(x))
text = "\n".join(strings(json.load(open("out.json"))))
sys.exit(0 if "t\x1b]0;pwned\x07\x1b[2J\u202e" in text and "(x = 1)\x9b2J" in text else 1)' ||
    fail "JSON output does not keep the strings exact"

# A file that is no plan at all: the error message quotes it, escaped.
printf '\x1b]0;pwned\x07 garbage \x1b[2J\xc2\x9b' >hostile.txt
"${dbadvise}" explain hostile.txt >out 2>err
code=$?
[[ "${code}" == 3 ]] || fail "explain of a non-plan exited ${code}, expected 3"
raw_controls err && fail "explain's error message holds raw control characters"
grep -qF 'found "\x1b]0;pwned\x07 garbage \x1b[2J\u{009b}"' err || fail "explain's error message does not quote the line escaped: $(cat err)"

# Hostile file names in lint's messages and report.
name="$(printf 'evil\x1b[2J.sql')"
printf 'SELECT * FROM t WHERE x = NULL;\n' >"${name}"
"${dbadvise}" lint "${name}" "$(printf 'missing\x1b]0;t\x07.sql')" >out 2>err
raw_controls out && fail "lint text output holds raw control characters"
raw_controls err && fail "lint's error message holds raw control characters"
grep -qF 'evil\x1b[2J.sql:1:' out || fail "lint does not show the escaped file name"
grep -qF "cannot read 'missing\\x1b]0;t\\x07.sql'" err || fail "lint's error does not show the escaped file name: $(cat err)"

# A usage error echoes the bad value, escaped.
"${dbadvise}" lint --fail-on "$(printf 'x\x1b[2J')" x.sql >out 2>err
raw_controls err && fail "a usage error holds raw control characters"

[[ "${failed}" == 0 ]] && echo "ok: control characters escaped in text output and errors, exact in JSON"
exit "${failed}"
