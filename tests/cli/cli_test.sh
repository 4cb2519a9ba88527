#!/usr/bin/env bash
# End-to-end tests of the dbadvise binary, one case per ctest test:
#   cli_test.sh DBADVISE SOURCE_DIR CASE
# Exit 0: pass; 77: skipped (ctest SKIP_RETURN_CODE); anything else: failure, with the reason.
set -uo pipefail

dbadvise=$1
source_dir=$2
case_name=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/dbadvise-cli.XXXXXX")
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1

fail() {
    echo "FAIL [$case_name]: $*" >&2
    for f in out err; do
        if [[ -s $f ]]; then
            echo "--- $f (first 40 lines):" >&2
            head -n 40 "$f" >&2
        fi
    done
    exit 1
}

# run_dbadvise EXPECTED_CODE ARGS...: runs dbadvise with stdout in ./out and stderr in ./err.
run_dbadvise() {
    local expected=$1
    shift
    "$dbadvise" "$@" >out 2>err </dev/null
    local code=$?
    [[ $code -eq $expected ]] || fail "dbadvise $* exited with $code, expected $expected"
}

# run_stdin EXPECTED_CODE INPUT_FILE ARGS...: as run_dbadvise with INPUT_FILE as stdin.
run_stdin() {
    local expected=$1 input=$2
    shift 2
    "$dbadvise" "$@" <"$input" >out 2>err
    local code=$?
    [[ $code -eq $expected ]] || fail "dbadvise $* <$input exited with $code, expected $expected"
}

expect_err() {
    [[ $(cat err) == "$1" ]] || fail "stderr was '$(cat err)', expected '$1'"
}

expect_out_contains() {
    grep -qF -- "$1" out || fail "stdout lacks '$1'"
}

# json_check PYTHON_EXPRESSION: evaluates the expression with `doc` bound to the JSON on stdout.
json_check() {
    python3 - "$1" <<'PY' || fail "JSON check failed: $1"
import json, sys
doc = json.load(open("out", encoding="utf-8"))
findings = doc.get("findings", [])
rules = [f["rule"] for f in findings]
def finding(rule):
    matches = [f for f in findings if f["rule"] == rule]
    if not matches:
        raise SystemExit(f"no {rule} finding; rules: {rules}")
    return matches[0]
ok = eval(sys.argv[1])
if not ok:
    raise SystemExit(f"false: {sys.argv[1]}\nfindings: {json.dumps(findings, indent=1)[:3000]}")
PY
}

case $case_name in
clean_file_exits_0)
    printf 'SELECT id, name FROM customers WHERE id = 42;\n' >clean.sql
    run_dbadvise 0 lint --fail-on warning clean.sql
    expect_out_contains "summary: no findings"
    ;;
fail_on_sets_exit_1)
    printf 'SELECT 1;\nSELECT * FORM t;\n' >bad.sql
    run_dbadvise 0 lint bad.sql
    run_dbadvise 1 lint --fail-on error bad.sql
    run_dbadvise 1 lint --fail-on info bad.sql
    ;;
usage_error_exits_2)
    run_dbadvise 2 lint --no-such-option x.sql
    grep -q '^dbadvise: error: ' err || fail "no 'dbadvise: error:' prefix"
    run_dbadvise 2 lint --format yaml x.sql
    run_dbadvise 2 lint
    run_dbadvise 2 no-such-command
    run_dbadvise 2
    ;;
help_and_version)
    run_dbadvise 0 --version
    grep -qE '^dbadvise [0-9]+\.[0-9]+\.[0-9]+$' out || fail "bad --version output"
    run_dbadvise 0 --help
    expect_out_contains "lint"
    run_dbadvise 0 lint --help
    expect_out_contains "--fail-on"
    ;;
missing_file_exits_3)
    run_dbadvise 3 lint missing.sql
    expect_err "dbadvise: error: cannot read 'missing.sql': No such file or directory"
    ;;
missing_file_others_still_checked)
    printf 'SELECT * FORM t;\n' >bad.sql
    run_dbadvise 3 lint --format json missing.sql bad.sql
    expect_err "dbadvise: error: cannot read 'missing.sql': No such file or directory"
    json_check 'finding("parse-error")["location"] == {"file": "bad.sql", "line": 1, "column": 10} and doc["notes"] == ["cannot read '"'"'missing.sql'"'"': No such file or directory"]'
    ;;
directory_exits_3)
    mkdir adir
    run_dbadvise 3 lint adir
    expect_err "dbadvise: error: cannot read 'adir': Is a directory"
    ;;
unreadable_file_exits_3)
    printf 'SELECT 1;\n' >secret.sql
    chmod 000 secret.sql
    if cat secret.sql >/dev/null 2>&1; then
        # root (or CAP_DAC_OVERRIDE) reads files whatever their mode; the directory case
        # above covers the unreadable-input path there.
        echo "SKIP: running with privileges that ignore file permissions" >&2
        exit 77
    fi
    run_dbadvise 3 lint secret.sql
    expect_err "dbadvise: error: cannot read 'secret.sql': Permission denied"
    ;;
stdin_dash)
    printf 'SELECT 1;\nSELECT * FORM t;\n' >in.sql
    run_stdin 0 in.sql lint -
    expect_out_contains "-:2:10: error: "
    expect_out_contains "[parse-error]"
    ;;
mixed_good_and_unparsable)
    cat >mixed.sql <<'SQL'
SELECT id FROM customers WHERE id = 1;
SELEC broken FROM nowhere;
SELECT name FROM customers WHERE id = 2;
UPDATE customers SET name = 'x' WHERE id = 3;
SQL
    run_dbadvise 0 lint --format json mixed.sql
    json_check 'doc["stats"]["parse_errors"] == 1 and doc["stats"]["statements"] >= 3 and finding("parse-error")["location"]["line"] == 2 and finding("parse-error")["location"]["column"] == 1'
    ;;
binary_garbage)
    # The start of a zip archive: NUL bytes and bytes that are not UTF-8.
    printf 'PK\x03\x04\x14\x00\x08\x00\xff\xfe garbage' >archive.sql
    run_dbadvise 0 lint --format json archive.sql
    json_check 'rules == ["binary-input"] and finding("binary-input")["location"] == {"file": "archive.sql", "line": 1, "column": 6} and doc["stats"]["statements"] == 0'
    run_dbadvise 1 lint --fail-on error archive.sql
    expect_out_contains "archive.sql:1:6: error: Binary input"
    ;;
non_utf8_bytes)
    printf "SELECT 1;\nSELECT name FROM t WHERE city = 'Z\xfcrich';\n" >latin1.sql
    run_dbadvise 0 lint --format json latin1.sql
    json_check 'finding("invalid-utf8")["location"] == {"file": "latin1.sql", "line": 2, "column": 35} and doc["stats"]["statements"] == 2'
    ;;
empty_file)
    : >empty.sql
    run_dbadvise 0 lint --format json empty.sql
    json_check 'rules == ["empty-input"] and finding("empty-input")["location"] == {"file": "empty.sql"}'
    printf -- '-- only a comment\n\n' >comment.sql
    run_dbadvise 1 lint --fail-on info comment.sql
    expect_out_contains "comment.sql: info: No SQL statement in the input [empty-input]"
    ;;
ten_megabyte_statement)
    # One 10 MB statement, generated here rather than committed: a long IN list.
    python3 -c '
import sys
values = ",".join(str(i) for i in range(1, 1_500_000))
sys.stdout.write("SELECT id FROM orders WHERE id IN (" + values + ");\n")
' >big.sql
    size=$(stat -c %s big.sql)
    ((size > 10000000)) || fail "generated statement is only $size bytes"
    run_dbadvise 0 lint --format json big.sql
    json_check 'doc["stats"]["statements"] == 1 and doc["stats"]["parse_errors"] == 0'
    ;;
ten_megabyte_string_literal)
    python3 -c '
import sys
sys.stdout.write("SELECT id FROM notes WHERE body = '"'"'" + "x" * 10_500_000 + "'"'"';\n")
' >bigstring.sql
    run_dbadvise 0 lint --format json bigstring.sql
    json_check 'doc["stats"]["statements"] == 1 and doc["stats"]["parse_errors"] == 0'
    ;;
unterminated_string)
    printf "SELECT 1;\nSELECT 'no end FROM t;\n" >unterminated.sql
    run_dbadvise 0 lint --format json unterminated.sql
    json_check '"unterminated quoted string" in finding("parse-error")["message"] and finding("parse-error")["location"]["line"] == 2 and finding("parse-error")["location"]["column"] == 8'
    ;;
unterminated_comment)
    printf 'SELECT 1;\nSELECT 2 /* no end\n' >comment.sql
    run_dbadvise 0 lint --format json comment.sql
    json_check '"unterminated /* comment" in finding("parse-error")["message"] and finding("parse-error")["location"]["line"] == 2 and finding("parse-error")["location"]["column"] == 10'
    ;;
plpgsql_do_block)
    cat >do.sql <<'SQL'
DO $$
DECLARE
    n integer;
BEGIN
    SELECT count(*) INTO n FROM orders;
    RAISE NOTICE 'orders: %', n;
END
$$;
SELECT id FROM orders WHERE id = 1;
SQL
    run_dbadvise 0 lint --fail-on error --format json do.sql
    json_check 'doc["stats"]["parse_errors"] == 0 and doc["stats"]["statements"] == 2'
    ;;
psql_meta_commands_do_not_hide_statements)
    # The statement after a meta-command is checked; \gset ends the one before it.
    cat >script.sql <<'SQL'
\set ON_ERROR_STOP on
DELETE FROM orders;
\echo 'clearing sessions'
DELETE FROM sessions;
SELECT id FROM orders WHERE id = :id \gset
UPDATE customers SET name = 'x';
SQL
    run_dbadvise 1 lint --fail-on error --format json script.sql
    json_check '[f["location"]["line"] for f in findings if f["rule"] == "unfiltered-write"] == [2, 4, 6] and doc["stats"]["parse_errors"] == 0 and doc["stats"]["statements"] == 4'
    ;;
extension_scripts_parse)
    # Every extension script PostgreSQL ships parses: `\echo ... \quit` guards and
    # @extowner@ placeholders are read as CREATE EXTENSION reads them.
    dir=/usr/share/postgresql/15/extension
    if ! compgen -G "$dir/*.sql" >/dev/null; then
        echo "SKIP: no PostgreSQL 15 extension scripts in $dir" >&2
        exit 77
    fi
    run_dbadvise 0 lint --format json "$dir"/*.sql
    json_check '[f for f in findings if f["category"] == "input" and f["severity"] == "error"] == [] and doc["stats"]["files"] > 100 and doc["stats"]["statements"] > 1000'
    ;;
newer_than_pg15_syntax)
    cat >pg16.sql <<'SQL'
SELECT id FROM docs WHERE body IS JSON;
SELECT id FROM docs WHERE id = 1;
MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE RETURNING t.id;
SQL
    run_dbadvise 1 lint --fail-on error --format json pg16.sql
    json_check 'doc["stats"]["parse_errors"] == 2 and [f["location"]["line"] for f in findings if f["rule"] == "parse-error"] == [1, 3] and all("syntax error" in f["message"] for f in findings if f["rule"] == "parse-error")'
    ;;
output_file)
    printf 'SELECT * FORM t;\n' >bad.sql
    run_dbadvise 0 lint --format json -o report.json bad.sql
    [[ ! -s out ]] || fail "stdout not empty with -o"
    python3 -c 'import json; json.load(open("report.json"))' || fail "report.json is not JSON"
    run_dbadvise 3 lint -o no-such-dir/report.txt bad.sql
    expect_err "dbadvise: error: cannot write 'no-such-dir/report.txt': No such file or directory"
    ;;
color_only_on_terminal)
    printf 'SELECT * FORM t;\n' >bad.sql
    run_dbadvise 0 lint bad.sql
    if grep -q $'\x1b' out; then fail "escape sequences in piped output"; fi
    # script(1) runs dbadvise on a pseudo-terminal.
    if ! command -v script >/dev/null; then
        echo "SKIP: script(1) is not installed" >&2
        exit 77
    fi
    env -u NO_COLOR script -qec "'$dbadvise' lint bad.sql" /dev/null >tty.txt
    grep -q $'\x1b\\[1;31merror' tty.txt || fail "no colour on a terminal: $(head -c 300 tty.txt)"
    NO_COLOR=1 script -qec "'$dbadvise' lint bad.sql" /dev/null >tty.txt
    if grep -q $'\x1b' tty.txt; then fail "colour on a terminal despite NO_COLOR"; fi
    ;;
rules_lists_every_rule)
    run_dbadvise 0 rules --format json
    json_check 'len(doc["rules"]) >= 4 and all(r["rationale"] and r["summary"] for r in doc["rules"])'
    run_dbadvise 0 rules
    expect_out_contains "parse-error"
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
