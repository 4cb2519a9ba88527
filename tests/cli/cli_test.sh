#!/usr/bin/env bash
# End-to-end tests of the dbadvise binary, one case per ctest test:
#   cli_test.sh DBADVISE SOURCE_DIR CASE
# Exit 0: pass; 77: skipped (ctest SKIP_RETURN_CODE); anything else: failure, with the reason.
set -uo pipefail

dbadvise=$1
source_dir=$2
case_name=$3
source "$source_dir/tests/lib/harness.sh"
harness_workdir cli

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
stdin_read_in_pieces)
    # 10 MB on standard input, read in pieces of 4 MiB: the findings past the first piece
    # (a UTF-8 character split between pieces, a COPY block across a cut, a NULL comparison
    # and an invalid byte near the end) are located as when the same text is a file.
    python3 -c '
import sys
out = sys.stdout.buffer
out.write("COPY t FROM stdin;\n".encode())
out.write(b"".join(b"%d\tcaf\xc3\xa9\n" % i for i in range(400000)))
out.write(b"\\.\n")
for i in range(60000):
    out.write(("SELECT id FROM customers WHERE id = %d AND name <> \u0027\u00e9\u0027;\n" % i).encode())
out.write(b"SELECT * FROM t WHERE a = NULL;\nSELECT \x27x\xe9\x27;\n")
' >big.sql
    size=$(stat -c %s big.sql)
    ((size > 8 * 1024 * 1024)) || fail "generated script is only $size bytes"
    run_stdin 0 big.sql lint -
    sed 's/^-:/big.sql:/' out >stdin.out
    run_dbadvise 0 lint big.sql
    diff stdin.out out >/dev/null || fail "lint - and lint big.sql differ: $(diff stdin.out out | head -5)"
    expect_out_contains "big.sql:460003:25: error: "
    expect_out_contains "[null-comparison]"
    expect_out_contains "big.sql:460004:10: warning: "
    expect_out_contains "[invalid-utf8]"
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
gzip_inputs)
    # A compressed SQL file, plan and --schema (a pg_dump kept as .sql.gz, an archived plan)
    # read as the text they hold, as a file and on standard input: the same report, the
    # compressed file's name in it (finding ids, made from the file name, aside). One cut
    # short: the file cannot be read (exit 3, why).
    cp "$source_dir/testdata/lint/all_rules.sql" "$source_dir/testdata/lint/schema.sql" .
    cp "$source_dir/testdata/plans/hash_batches.json" .
    gzip -k all_rules.sql schema.sql hash_batches.json
    run_dbadvise 0 lint --format json --schema schema.sql all_rules.sql
    grep -v '"id": ' out >plain.json
    run_dbadvise 0 lint --format json --schema schema.sql.gz all_rules.sql.gz
    sed 's/all_rules\.sql\.gz/all_rules.sql/g; s/schema\.sql\.gz/schema.sql/g; /"id": /d' out >compressed.json
    cmp -s plain.json compressed.json || fail "lint of the .gz files differs: $(diff plain.json compressed.json | head -20)"
    grep -q '"file": "all_rules.sql.gz"' out || fail "the report does not name all_rules.sql.gz"
    run_stdin 0 all_rules.sql.gz lint --format json -
    sed 's/"-"/"all_rules.sql"/g' out >stdin.json
    run_stdin 0 all_rules.sql lint --format json -
    sed 's/"-"/"all_rules.sql"/g' out >stdin_plain.json
    cmp -s stdin.json stdin_plain.json || fail "lint of compressed standard input differs: $(diff stdin_plain.json stdin.json | head -20)"
    run_dbadvise 0 explain --format json hash_batches.json
    grep -v '"id": ' out >plan.json
    run_dbadvise 0 explain --format json hash_batches.json.gz
    sed 's/hash_batches\.json\.gz/hash_batches.json/g; /"id": /d' out >plan_gz.json
    cmp -s plan.json plan_gz.json || fail "explain of the .gz plan differs: $(diff plan.json plan_gz.json | head -20)"
    head -c 300 all_rules.sql.gz >cut.sql.gz
    run_dbadvise 3 lint cut.sql.gz
    grep -qF "cannot read 'cut.sql.gz': truncated gzip data" err || fail "stderr was '$(cat err)'"
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
psql_variable_tables_unknown)
    # `FROM :"tbl"` parses as the name "tbl", `:tbl` as `_tbl`: tables of those names in
    # --schema must not be taken for the one psql substitutes (even after `\set tbl orders`).
    cat >schema.sql <<'SQL'
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL);
CREATE TABLE tbl (id bigint PRIMARY KEY, x int);
CREATE TABLE _tbl (id bigint PRIMARY KEY, x int);
SQL
    cat >script.sql <<'SQL'
\set tbl orders
SELECT * FROM :"tbl" WHERE customer_id = 1;
SELECT * FROM :tbl;
SELECT id FROM :"tbl" ORDER BY id LIMIT 10 OFFSET 100000;
SELECT * FROM tbl;
SQL
    run_dbadvise 0 lint --schema schema.sql --format json script.sql
    json_check 'doc["stats"]["parse_errors"] == 0 and sorted((f["location"]["line"], f["rule"], "rewritten_query" in f.get("suggestion", {})) for f in findings) == [(2, "select-star", False), (3, "select-star", False), (4, "deep-offset", False), (5, "select-star", True)] and all("psql variable" in f["message"] for f in findings if f["location"]["line"] < 5)'
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
    # -o - is standard output; a standard output that cannot take the report is exit 3.
    run_dbadvise 0 lint --format json -o - bad.sql
    python3 -c 'import json; json.load(open("out"))' || fail "-o - did not write JSON to stdout"
    if [[ -w /dev/full ]]; then
        "$dbadvise" lint bad.sql >/dev/full 2>err
        code=$?
        ((code == 3)) || fail "a full standard output exited with $code, expected 3"
        expect_err "dbadvise: error: cannot write to standard output"
        "$dbadvise" lint -o /dev/full bad.sql 2>err
        code=$?
        ((code == 3)) || fail "-o /dev/full exited with $code, expected 3"
        expect_err "dbadvise: error: cannot write '/dev/full': No space left on device"
    fi
    ;;
output_checked_before_work)
    # -o is checked before analyze connects: the DSN below would fail differently, and later.
    run_dbadvise 3 analyze --dsn "host=127.0.0.1 port=1 dbname=x connect_timeout=5" -o /proc/nope/x.txt
    expect_err "dbadvise: error: cannot write '/proc/nope/x.txt': No such file or directory"
    mkdir adir
    printf 'SELECT 1;\n' >q.sql
    run_dbadvise 3 lint -o adir q.sql
    expect_err "dbadvise: error: cannot write 'adir': Is a directory"
    run_dbadvise 3 explain -o q.sql/x.txt q.sql
    expect_err "dbadvise: error: cannot write 'q.sql/x.txt': Not a directory"
    run_dbadvise 3 rules -o missing/rules.txt
    expect_err "dbadvise: error: cannot write 'missing/rules.txt': No such file or directory"
    ;;
output_refuses_inputs)
    # Writing the report over an input is refused with exit 2 and the input is left alone:
    # by name, through a symlink or a hard link, a --schema file, the plan of explain, and the
    # file standard input reads.
    printf 'SELECT * FROM t;\n' >x.sql
    cp x.sql x.orig
    ln -s x.sql link.sql
    ln x.sql hard.sql
    printf 'CREATE TABLE t (a int);\n' >schema.sql
    cp schema.sql schema.orig
    run_dbadvise 2 lint x.sql -o x.sql
    expect_err "dbadvise: error: refusing to write the report to 'x.sql': it is also an input"
    run_dbadvise 2 lint x.sql -o link.sql
    expect_err "dbadvise: error: refusing to write the report to 'link.sql': it is also an input ('x.sql' is the same file)"
    run_dbadvise 2 lint link.sql -o hard.sql
    run_dbadvise 2 lint --schema schema.sql x.sql -o schema.sql
    run_stdin 2 x.sql lint - -o hard.sql
    cmp -s x.sql x.orig || fail "x.sql changed"
    cmp -s schema.sql schema.orig || fail "schema.sql changed"
    [[ -L link.sql ]] || fail "link.sql is no longer a symlink"
    cp "$source_dir/testdata/plans/sort_spill.json" plan.json
    cp plan.json plan.orig
    run_dbadvise 2 explain plan.json -o plan.json
    cmp -s plan.json plan.orig || fail "plan.json changed"
    # Another file is fine.
    run_dbadvise 0 lint x.sql -o report.txt
    grep -q 'select-star' report.txt || fail "report.txt lacks the finding"
    ;;
output_replaced_atomically)
    # A run that fails while writing leaves the previous report, and no temporary file: the
    # file size limit (SIGXFSZ ignored, so write() fails with EFBIG) stops the write.
    python3 -c '
for i in range(30000):
    print(f"SELECT * FROM t{i % 50} ORDER BY random();")' >big.sql
    printf 'previous report\n' >report.json
    chmod 640 report.json
    (trap '' XFSZ; ulimit -f 64; exec "$dbadvise" lint --format json -o report.json big.sql) >out 2>err
    code=$?
    ((code == 3)) || fail "a write beyond the file size limit exited with $code, expected 3"
    expect_err "dbadvise: error: cannot write 'report.json': File too large"
    [[ $(cat report.json) == "previous report" ]] || fail "report.json was changed by a failed run"
    [[ -z $(find . -name '.report.json.*') ]] || fail "a temporary file was left: $(ls -a)"
    # An interrupted run (SIGTERM while the report is being written) leaves the previous
    # report too, and removes its temporary file. (SIGTERM: a background job of a script
    # starts with SIGINT ignored, and an ignored signal stays ignored.)
    "$dbadvise" lint --format json -o report.json big.sql >out 2>err &
    pid=$!
    for ((i = 0; i < 2000; i++)); do
        [[ -n $(find . -maxdepth 1 -name '.report.json.*.tmp') ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.005
    done
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    code=$?
    if ((code == 143)); then
        [[ $(cat report.json) == "previous report" ]] || fail "report.json was changed by an interrupted run"
    elif ((code == 0)); then
        # The run ended before the signal: the new report must be complete.
        python3 -c 'import json; json.load(open("report.json"))' || fail "report.json is not complete JSON"
    else
        fail "the interrupted run exited with $code"
    fi
    [[ -z $(find . -name '.report.json.*') ]] || fail "a temporary file was left after SIGTERM: $(ls -a)"
    # A successful run replaces the report, keeping its mode.
    run_dbadvise 0 lint --format json -o report.json big.sql
    python3 -c 'import json; json.load(open("report.json"))' || fail "report.json is not JSON"
    [[ $(stat -c %a report.json) == 640 ]] || fail "report.json lost its mode: $(stat -c %a report.json)"
    ;;
files_from_and_missing_ok)
    printf 'SELECT id FROM t WHERE id = 1;\n' >a.sql
    printf 'SELECT * FROM t;\n' >'b c.sql'
    # One name per line, NUL-terminated names, and names on the command line as well.
    printf 'a.sql\nb c.sql\n' >list.txt
    run_dbadvise 0 lint --format json --files-from list.txt
    json_check 'doc["source"]["files"] == ["a.sql", "b c.sql"] and rules == ["select-star"]'
    printf 'b c.sql\0' >list0
    run_stdin 0 list0 lint --format json --files-from - a.sql
    json_check 'doc["source"]["files"] == ["a.sql", "b c.sql"] and doc["stats"]["files"] == 2'
    # An empty list checks nothing: a clean run with a note, even with --fail-on.
    : >empty.txt
    run_dbadvise 0 lint --fail-on info --format json --files-from empty.txt
    json_check 'doc["stats"]["files"] == 0 and findings == [] and doc["notes"] == ["--files-from empty.txt: the list is empty; there was nothing to check"]'
    # No file at all is still a usage error.
    run_dbadvise 2 lint --fail-on info
    grep -q "^dbadvise: error: FILE (or --files-from) is required" err || fail "no usage message"
    # A missing file: exit 3, or skipped with a note under --missing-ok; an unreadable one
    # (here a directory) is an error either way.
    run_dbadvise 3 lint gone.sql a.sql
    run_dbadvise 0 lint --missing-ok --format json gone.sql a.sql
    json_check 'doc["stats"]["files"] == 1 and doc["notes"] == ["skipped '"'"'gone.sql'"'"': it does not exist (--missing-ok)"]'
    mkdir adir
    run_dbadvise 3 lint --missing-ok adir a.sql
    # The list itself must be readable, and '-' cannot be in a list read from standard input.
    run_dbadvise 3 lint --files-from nolist.txt
    expect_err "dbadvise: error: cannot read 'nolist.txt': No such file or directory (--files-from)"
    printf -- '-\n' >dash.txt
    run_stdin 2 dash.txt lint --files-from -
    # The list is an input too: -o cannot overwrite it.
    run_dbadvise 2 lint --files-from list.txt -o list.txt
    ;;
readme_ci_recipe)
    # The CI recipe of README.md ("## In CI"), run as written in a real git repository.
    command -v git >/dev/null || { echo "SKIP: git is not installed" >&2; exit 77; }
    recipe=$(python3 - "$source_dir/README.md" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
section = text.split("\n## In CI\n", 1)[1]
block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
print("\n".join(line for line in block.splitlines() if not line.startswith("#")))
PY
)
    [[ $recipe == *"dbadvise lint --files-from -"* ]] || fail "no recipe found in README.md: $recipe"
    mkdir bin repo
    ln -s "$dbadvise" bin/dbadvise
    export PATH=$work/bin:$PATH
    cd repo || fail "no repo"
    git init -q -b main . && git config user.email t@example.com && git config user.name t
    mkdir -p sql
    printf 'SELECT id FROM t WHERE id = 1;\n' >sql/keep.sql
    printf 'SELECT id FROM t WHERE id = 2;\n' >sql/old.sql
    printf 'SELECT id FROM t WHERE id = 3;\n' >sql/move.sql
    printf 'notes\n' >README
    git add -A && git commit -qm base
    git checkout -qb change
    # run_recipe EXPECTED_CODE: runs the recipe against main, report in lint.json.
    run_recipe() {
        rm -f lint.json
        BASE=main bash -c "set -o pipefail; $recipe" >../out 2>../err
        local code=$?
        [[ $code -eq $1 ]] || fail "the README recipe exited with $code, expected $1 ($(git log --oneline -1))"
    }
    # 1. No SQL file changed.
    printf 'more notes\n' >>README && git commit -qam "docs only"
    run_recipe 0
    python3 -c 'import json; d = json.load(open("lint.json")); assert d["stats"]["files"] == 0 and not d["findings"], d' || fail "no SQL change: $(cat lint.json)"
    # 2. A SQL file deleted, one renamed.
    git rm -q sql/old.sql && git mv sql/move.sql sql/moved.sql && git commit -qm "delete and rename"
    run_recipe 0
    python3 -c 'import json; d = json.load(open("lint.json")); assert d["source"]["files"] == ["sql/moved.sql"] and not d["findings"], d' || fail "deleted file: $(cat lint.json)"
    # 3. A new file, with a space in its name, holding a warning.
    printf 'SELECT id FROM t WHERE x NOT IN (SELECT y FROM u);\n' >'sql/new query.sql'
    git add -A && git commit -qm "new query"
    run_recipe 1
    python3 -c 'import json; d = json.load(open("lint.json")); assert [f["location"]["file"] for f in d["findings"]] == ["sql/new query.sql"], d' || fail "new warning: $(cat lint.json)"
    # The list with deleted files, as other tools give it: --missing-ok skips them.
    git diff -z --name-only main...HEAD -- '*.sql' | dbadvise lint --files-from - --fail-on error --missing-ok --format json -o lint.json >../out 2>../err
    code=$?
    ((code == 0)) || fail "--missing-ok run exited with $code: $(cat ../err)"
    python3 -c 'import json; d = json.load(open("lint.json")); assert d["notes"] == ["skipped '"'"'sql/old.sql'"'"': it does not exist (--missing-ok)"], d' || fail "--missing-ok: $(cat lint.json)"
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
rules_catalogue_matches_schema)
    # `dbadvise rules` lists the registry: JSON valid against docs/rules.schema.json (which must
    # reject a broken catalogue), ids sorted and unique, the text listing the same ids in the
    # same order, and -o writing the same bytes as standard output.
    run_dbadvise 0 rules --format json
    cp out rules.json
    run_dbadvise 0 rules
    cp out rules.txt
    run_dbadvise 0 rules --format json -o rules-o.json
    cmp -s rules.json rules-o.json || fail "rules -o wrote other bytes than standard output"
    python3 - "$source_dir/docs/rules.schema.json" rules.json rules.txt <<'PY' || fail "rules catalogue check failed"
import json, re, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
validator = jsonschema.validators.validator_for(schema)(schema)
broken = {"schema_version": 1, "rules": [dict(doc["rules"][0], severities={"lint": ["fatal"]})]}
if not list(validator.iter_errors(broken)):
    sys.exit("the schema accepts severity 'fatal'")
errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
if errors:
    sys.exit("\n".join(errors[:20]))
ids = [r["id"] for r in doc["rules"]]
if ids != sorted(set(ids)):
    sys.exit(f"ids not sorted and unique: {ids}")
for r in doc["rules"]:
    if r["commands"] != ", ".join(r["severities"]):
        sys.exit(f"{r['id']}: commands {r['commands']!r} disagree with severities {r['severities']}")
    if r["severity"] not in sum(r["severities"].values(), []):
        sys.exit(f"{r['id']}: default severity {r['severity']} is never reported")
text = open(sys.argv[3]).read()
text_ids = re.findall(r"^([a-z0-9-]+)  ", text, re.M)
if text_ids != ids:
    sys.exit(f"text lists {text_ids}, JSON {ids}")
if not text.endswith(f"\n{len(ids)} rules\n"):
    sys.exit("text does not end with the rule count")
PY
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
