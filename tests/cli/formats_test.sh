#!/usr/bin/env bash
# End-to-end tests of the report formats (sql, markdown, html, sarif), text wrapping and
# baselines on lint and explain, one case per ctest test; analyze's are in tests/pg_formats.cmake.
#   formats_test.sh DBADVISE SOURCE_DIR TOOLS_DIR CASE
# TOOLS_DIR holds the npm packages scripts/test installs (playwright-core, the SARIF multitool).
set -uo pipefail

dbadvise=$1
source_dir=$2
tools=$3
case_name=$4
source "$source_dir/tests/lib/harness.sh"
harness_workdir formats
export COLUMNS=100

# Hostile names: Markdown and HTML syntax, a pipe that would split a table cell, backticks.
cat >hostile.sql <<'EOF'
SELECT * FROM "we|ird<b>tab`le" WHERE "col|<i>x</i>" = NULL;
SELECT id FROM t WHERE a NOT IN (SELECT "<script>alert(1)</script>" FROM u);
EOF
lint_dir=$source_dir/testdata/lint
plans_dir=$source_dir/testdata/plans

case $case_name in
markdown_renders_as_gfm)
    command -v cmark-gfm >/dev/null || fail "cmark-gfm is missing (apt-get install cmark-gfm; scripts/test does)"
    run_dbadvise 0 lint --format markdown -o hostile.md hostile.sql
    run_dbadvise 0 lint --format json -o hostile.json hostile.sql
    "$python" "$source_dir/tests/cli/check_markdown.py" hostile.md hostile.json --exact-titles \
        --literal 'we|ird<b>tab`le' --literal 'col|<i>x</i> = NULL' \
        --literal '<script>alert(1)</script>' >out 2>&1 || fail "$(cat out)"
    run_dbadvise 0 lint --schema "$lint_dir/schema.sql" --format markdown -o all.md "$lint_dir/all_rules.sql"
    run_dbadvise 0 lint --schema "$lint_dir/schema.sql" --format json -o all.json "$lint_dir/all_rules.sql"
    "$python" "$source_dir/tests/cli/check_markdown.py" all.md all.json --exact-titles >out 2>&1 || fail "$(cat out)"
    run_dbadvise 0 explain --format markdown -o plan.md "$plans_dir/hash_batches.json"
    run_dbadvise 0 explain --format json -o plan.json "$plans_dir/hash_batches.json"
    "$python" "$source_dir/tests/cli/check_markdown.py" plan.md plan.json --exact-titles >out 2>&1 || fail "$(cat out)"
    grep -q '^### Hottest plan nodes' plan.md || fail "the explain Markdown has no hottest nodes"
    ;;
partial_lint_says_so_first)
    # A file that cannot be read: every format says so at the top, not only in a note at the
    # end; JSON has partial and partial_reason.
    printf 'SELECT * FROM t WHERE x = NULL;\n' >ok.sql
    run_dbadvise 3 lint ok.sql gone.sql
    sed -n 3p out | grep -q "^  partial: 1 of 2 files could not be read ('gone.sql'); this report covers the others" ||
        fail "the text report does not say it is partial under its header: $(head -4 out)"
    run_dbadvise 3 lint --format json -o partial.json ok.sql gone.sql
    "$python" - partial.json <<'PY' || fail "the JSON report does not say it is partial"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["partial"] is True, doc
assert doc["partial_reason"].startswith("1 of 2 files could not be read ('gone.sql')"), doc["partial_reason"]
assert "null-comparison" in [f["rule"] for f in doc["findings"]], doc["findings"]
PY
    run_dbadvise 3 lint --format markdown ok.sql gone.sql
    sed -n 3p out | grep -q "^> \*\*Partial:\*\* 1 of 2 files could not be read" || fail "Markdown: $(head -4 out)"
    # explain of a plan that cannot be read: the same, and nothing checked.
    run_dbadvise 3 explain --format json -o plan.json "$plans_dir/bad/truncated.json"
    grep -q '"partial_reason": "the plan could not be read' plan.json || fail "explain: $(cat plan.json)"
    echo "ok: lint and explain reports that miss an input say so first"
    ;;
markdown_size_limit)
    # 3,000 statements with findings: megabytes of Markdown in full. By default it is cut to
    # GitHub's pull-request comment limit and says what it left out; 0 means no limit.
    command -v cmark-gfm >/dev/null || fail "cmark-gfm is missing (apt-get install cmark-gfm; scripts/test does)"
    for i in $(seq 1 3000); do
        printf 'SELECT * FROM orders_%d WHERE note = NULL ORDER BY id OFFSET 100000;\n' "$i"
    done >many.sql
    run_dbadvise 0 lint --format json -o many.json many.sql
    run_dbadvise 0 lint --format markdown -o many.md many.sql
    "$python" "$source_dir/tests/cli/check_markdown.py" many.md many.json --shortened 65536 >out 2>&1 || fail "$(cat out)"
    run_dbadvise 0 lint --format markdown --markdown-limit 20000 -o small.md many.sql
    "$python" "$source_dir/tests/cli/check_markdown.py" small.md many.json --shortened 20000 >out 2>&1 || fail "$(cat out)"
    run_dbadvise 0 lint --format markdown --markdown-limit 0 -o all.md many.sql
    "$python" "$source_dir/tests/cli/check_markdown.py" all.md many.json >out 2>&1 || fail "$(cat out)"
    (($(wc -c <all.md) > 1000000)) || fail "the unlimited report is only $(wc -c <all.md) bytes"
    grep -q 'Shortened' all.md && fail "--markdown-limit 0 shortened the report"
    # Cut, the most severe stay: every null-comparison (error) of the first statements is shown
    # before any select-star (info).
    grep -q 'null-comparison' small.md || fail "the shortened report lost the errors"
    grep -q '<code>select-star</code>' small.md && fail "an info finding was kept before the errors"
    # A report under the limit is the same with and without it.
    run_dbadvise 0 lint --format markdown -o one.md hostile.sql
    run_dbadvise 0 lint --format markdown --markdown-limit 0 -o one_all.md hostile.sql
    cmp -s one.md one_all.md || fail "a small report changed under the default limit"
    run_dbadvise 2 lint --format markdown --markdown-limit -1 many.sql
    grep -q "BYTES must be a whole number, 0 or more: -1" err || fail "a negative limit: $(cat err)"
    echo "ok: 3,000 statements: Markdown within 65,536 and 20,000 bytes, with what was left out counted"
    ;;
sarif_validates)
    pairs=()
    n=0
    sarif() { # sarif COMMAND ARGS...: a SARIF log and the JSON report of the same run
        n=$((n + 1))
        "$dbadvise" "$@" --format sarif -o "log$n.sarif" 2>/dev/null
        local code=$?
        ((code == 0 || code == 1 || code == ${expected_incomplete:-0})) ||
            fail "dbadvise $* --format sarif exited with $code"
        "$dbadvise" "$@" --format json -o "report$n.json" 2>/dev/null
        pairs+=("log$n.sarif" "report$n.json")
    }
    sarif lint --schema "$lint_dir/schema.sql" "$lint_dir/all_rules.sql"
    sarif lint hostile.sql
    printf 'SELECT 1;\nSELECT * FORM t;\n' >"with space.sql"
    sarif lint "with space.sql"
    for plan in hash_batches.json row_misestimate.json workers_not_launched.json sort_spill_text.txt; do
        sarif explain "$plans_dir/$plan"
    done
    # A file that cannot be read: exit 3, and the log says the run did not succeed.
    expected_incomplete=3 sarif lint hostile.sql does-not-exist.sql
    incomplete_log=log$n.sarif
    # A plan that is not valid JSON: still a log (and a JSON report), marked unsuccessful.
    expected_incomplete=3 sarif explain "$plans_dir/bad/truncated.json"
    bad_plan_log=log$n.sarif
    "$python" "$source_dir/tests/cli/check_sarif.py" "$tools" "${pairs[@]}" >out 2>&1 || fail "$(cat out)"
    cat out
    grep -q '"uri": "with%20space.sql"' log3.sarif || fail "a file name with a space is not percent-encoded"
    "$python" - "$incomplete_log" log2.sarif "$bad_plan_log" <<'PY' || fail "executionSuccessful does not tell an incomplete run"
import json, sys
incomplete = json.load(open(sys.argv[1]))["runs"][0]["invocations"][0]
complete = json.load(open(sys.argv[2]))["runs"][0]["invocations"][0]
assert incomplete["executionSuccessful"] is False, incomplete
levels = [n["level"] for n in incomplete["toolExecutionNotifications"]]
assert "error" in levels, levels
bad_plan = json.load(open(sys.argv[3]))["runs"][0]["invocations"][0]
assert bad_plan["executionSuccessful"] is False, bad_plan
texts = [n["message"]["text"] for n in bad_plan["toolExecutionNotifications"]]
assert any("truncated.json:" in t and "invalid JSON" in t for t in texts), texts
assert complete["executionSuccessful"] is True, complete
PY
    ;;
html_in_browser)
    [[ -x /usr/bin/chromium ]] || fail "chromium is missing (apt-get install chromium; scripts/test does)"
    run_dbadvise 0 lint --schema "$lint_dir/schema.sql" --format html -o lint.html "$lint_dir/all_rules.sql"
    run_dbadvise 0 lint --schema "$lint_dir/schema.sql" --format json -o lint.json "$lint_dir/all_rules.sql"
    findings=$("$python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' lint.json)
    node "$source_dir/tests/html/check_html.js" --tools "$tools" --page lint.html --findings "$findings" \
        --section findings --section charts >out 2>&1 || fail "$(cat out)"
    run_dbadvise 0 lint --format html -o hostile.html hostile.sql
    node "$source_dir/tests/html/check_html.js" --tools "$tools" --page hostile.html --findings 3 \
        --section findings >out 2>&1 || fail "$(cat out)"
    run_dbadvise 0 explain --format html -o plan.html "$plans_dir/hash_batches.json"
    node "$source_dir/tests/html/check_html.js" --tools "$tools" --page plan.html --findings 2 \
        --section actions --section charts --section findings >out 2>&1 || fail "$(cat out)"
    ;;
sql_script_shape)
    run_dbadvise 0 lint --schema "$lint_dir/schema.sql" --format sql -o lint.sql "$lint_dir/all_rules.sql"
    run_dbadvise 0 explain --format sql -o plan.sql "$plans_dir/workers_not_launched.json"
    run_dbadvise 0 lint --format sql -o hostile-changes.sql hostile.sql
    "$python" - lint.sql plan.sql hostile-changes.sql <<'PY' || fail "SQL script shape"
import re, sys
for path in sys.argv[1:]:
    lines = open(path, encoding="utf-8").read().splitlines()
    statement = []
    for n, line in enumerate(lines, 1):
        if line.startswith("--") or not line.strip() or line == "\\set ON_ERROR_STOP on":
            if statement:
                sys.exit(f"{path}:{n}: a statement does not end with ';': {statement}")
            continue
        statement.append(line)
        if line.rstrip().endswith(";"):
            statement = []
    if statement:
        sys.exit(f"{path}: the last statement does not end with ';'")
    text = "\n".join(l for l in lines if not l.startswith("--"))
    for word in ("<script>", "NOT IN", "we|ird"):
        if word in text:
            sys.exit(f"{path}: {word!r} outside a comment")
lint = open(sys.argv[1], encoding="utf-8").read()
order = [lint.find(h) for h in ("==== Extensions", "==== Indexes to create", "==== Query rewrites")]
if -1 in order or order != sorted(order):
    sys.exit(f"lint.sql sections out of order: {order}")
plan = open(sys.argv[2], encoding="utf-8").read()
if re.search(r"^ALTER SYSTEM", plan, re.M) or "--   ALTER SYSTEM SET max_parallel_workers" not in plan:
    sys.exit("plan.sql: ALTER SYSTEM is not commented out")
PY
    ;;
sql_script_one_change_per_index)
    # The same index suggested by two rules (the advisor's missing-index, always schema-qualified,
    # and non-sargable-predicate's expression index, from the statement's unqualified name) is
    # one CREATE INDEX with both reasons; before, the script built it twice.
    run_dbadvise 0 analyze --snapshot "$source_dir/testdata/snapshots/shop.json.gz" --format sql -o shop.sql
    "$python" - shop.sql <<'PY' || fail "an index is created twice"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
creates = re.findall(r"^CREATE INDEX CONCURRENTLY (\S+) ON (.*);$", text, re.M)
if not creates:
    sys.exit("no CREATE INDEX in the script")
# The shop's tables are all in public: an unqualified name is the same table.
definitions = [re.sub(r"^public\.", "", on) for _, on in creates]
twice = sorted({d for d in definitions if definitions.count(d) > 1})
if twice:
    sys.exit(f"created twice: {twice}")
if not re.search(r"^CREATE INDEX CONCURRENTLY \S+ ON public\.customers \(\(lower\(email\)\)\);$", text, re.M):
    sys.exit("the expression index on public.customers is missing")
# Led by the advisor's finding, which says what the index saves.
if not re.search(r"\[missing-index\]\n--   saves ~.*\n(--.*\n)*--   also: .*\[non-sargable-predicate\]\nCREATE INDEX CONCURRENTLY customers_lower_email_idx ON public\.customers", text):
    sys.exit("the expression index does not carry both reasons, led by what it saves")
PY
    ;;
text_wraps_to_width)
    for width in 80 120; do
        COLUMNS=$width run_dbadvise 0 lint --schema "$lint_dir/schema.sql" "$lint_dir/all_rules.sql"
        awk -v w="$width" 'length($0) > w && $0 ~ / [^ ]/ && $0 !~ /^        / && $0 !~ /: (info|warning|error): / { print; bad = 1 } END { exit bad }' out ||
            fail "prose lines longer than $width columns"
    done
    COLUMNS=300 run_dbadvise 0 lint "$lint_dir/all_rules.sql"
    awk 'length($0) > 120 && $0 ~ / [^ ]/ && $0 !~ /^        / && $0 !~ /: (info|warning|error): / { bad = 1 } END { exit bad }' out ||
        fail "COLUMNS=300 is not clamped to 120 when the output is not a terminal"
    ;;
baseline_ids_survive_edits)
    cat >queries.sql <<'EOF'
SELECT * FROM orders WHERE customer_id = 1;
SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders);
EOF
    run_dbadvise 0 lint --write-baseline base.json --format json -o before.json queries.sql
    # Moved down, reformatted, another constant, a comment, and other statements added.
    cat >queries.sql <<'EOF'
-- added later
SELECT 1;
SELECT   id
FROM customers
WHERE id NOT IN (SELECT customer_id FROM orders);  -- moved up, reformatted

select * from ORDERS where customer_id = 42;
EOF
    run_dbadvise 0 lint --baseline base.json --fail-on info --format json -o after.json ./queries.sql
    "$python" - before.json after.json <<'PY' || fail "ids changed across unrelated edits"
import json, sys
before = {(f["rule"], f["id"]) for f in json.load(open(sys.argv[1]))["findings"]}
after_doc = json.load(open(sys.argv[2]))
after = {(f["rule"], f["id"]) for f in after_doc["findings"]}
if before != after:
    sys.exit(f"before {sorted(before)}\nafter  {sorted(after)}")
if not all(f.get("baseline") for f in after_doc["findings"]):
    sys.exit("a finding of the baseline is not marked")
if after_doc["baseline"] != {"file": "base.json", "entries": len(before), "matched": len(before)}:
    sys.exit(f"baseline member: {after_doc['baseline']}")
PY
    # Two statements that differ only in a constant: two findings, two ids.
    printf 'SELECT * FROM t WHERE a = 1;\nSELECT * FROM t WHERE a = 2;\n' >twins.sql
    run_dbadvise 0 lint --format json -o twins.json twins.sql
    "$python" -c 'import json,sys; ids=[f["id"] for f in json.load(open("twins.json"))["findings"]]; sys.exit(0 if len(ids)==2 and len(set(ids))==2 else f"ids {ids}")' ||
        fail "findings on statements that differ only in constants share an id"
    ;;
baseline_fail_on_new_only)
    printf 'SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders);\n' >q.sql
    run_dbadvise 0 lint --write-baseline base.json q.sql
    run_dbadvise 0 lint --baseline base.json --fail-on info q.sql
    grep -q 'summary: no new findings, 1 in the baseline' out || fail "text summary does not count the baseline"
    grep -q 'NOT IN' out && fail "a baseline finding is shown without --verbose"
    run_dbadvise 0 lint --baseline base.json --verbose q.sql
    grep -q '\[not-in-subquery\] (baseline)' out || fail "--verbose does not mark the baseline finding"
    printf 'SELECT * FROM t WHERE x = NULL;\n' >>q.sql
    run_dbadvise 1 lint --baseline base.json --fail-on warning q.sql
    grep -q 'summary: 2 new findings (1 error, 0 warnings, 1 info), 1 in the baseline' out || fail "summary of new findings"
    run_dbadvise 1 lint --baseline base.json --fail-on error --format sarif -o log.sarif q.sql
    grep -q '"baselineState": "unchanged"' log.sarif && grep -q '"baselineState": "new"' log.sarif ||
        fail "SARIF has no baselineState"
    # Updating the baseline in place accepts the new findings.
    run_dbadvise 1 lint --baseline base.json --write-baseline base.json --fail-on error q.sql
    run_dbadvise 0 lint --baseline base.json --fail-on info q.sql
    ;;
baseline_from_json_report)
    printf 'SELECT * FROM t WHERE x = NULL;\n' >q.sql
    run_dbadvise 0 lint --format json -o previous.json q.sql
    run_dbadvise 0 lint --baseline previous.json --fail-on info q.sql
    run_dbadvise 0 explain --format json -o plan.json "$plans_dir/hash_batches.json"
    run_dbadvise 0 explain --baseline plan.json --fail-on info "$plans_dir/hash_batches.json"
    ;;
baseline_bad_file)
    printf 'SELECT 1;\n' >q.sql
    run_dbadvise 3 lint --baseline missing.json q.sql
    grep -q "^dbadvise: error: cannot read 'missing.json': No such file or directory (--baseline)$" err || fail "missing baseline"
    printf '{"findings": [\n  {"id": 12}\n' >broken.json
    run_dbadvise 3 lint --baseline broken.json q.sql
    grep -q "^dbadvise: error: broken.json:3:1: invalid JSON" err || fail "invalid JSON is not located"
    printf '{"dbadvise_baseline": 1, "findings": [{"id": "xyz"}]}\n' >badid.json
    run_dbadvise 3 lint --baseline badid.json q.sql
    grep -q 'badid.json: findings\[0\] has no "id" of 16 hexadecimal digits' err || fail "bad id"
    printf '{"something": "else"}\n' >other.json
    run_dbadvise 3 lint --baseline other.json q.sql
    grep -q "other.json: not a dbadvise baseline" err || fail "not a baseline"
    run_dbadvise 2 lint --write-baseline out.txt -o out.txt q.sql
    run_dbadvise 2 lint --write-baseline q.sql q.sql
    [[ $(cat q.sql) == 'SELECT 1;' ]] || fail "--write-baseline overwrote an input"
    ;;
also_writes_every_format)
    # One run, every format: --also writes the same report again, so the SARIF log and the
    # Markdown hold exactly the JSON report's findings (checked as for two runs above), and the
    # text report's summary counts them.
    cp "$lint_dir/all_rules.sql" q.sql
    run_dbadvise 1 lint --fail-on info --format json -o report.json --also sarif:report.sarif \
        --also markdown:report.md --also text:report.txt --also html:report.html q.sql
    [[ ! -s out ]] || fail "--also wrote to standard output: $(head -3 out)"
    "$python" "$source_dir/tests/cli/check_sarif.py" "$tools" report.sarif report.json >out 2>&1 || fail "$(cat out)"
    "$python" "$source_dir/tests/cli/check_markdown.py" report.md report.json >out 2>&1 || fail "$(cat out)"
    findings=$("$python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' report.json)
    ((findings > 5)) || fail "only $findings findings in report.json"
    grep -q "^summary: $findings findings" report.txt || fail "text summary: $(grep '^summary' report.txt)"
    grep -q '<html' report.html || fail "no HTML page"
    # Standard output keeps -o's role: --format text to the terminal and JSON to a file.
    run_dbadvise 1 lint --fail-on info --also json:again.json q.sql
    grep -q "^summary: $findings findings" out || fail "text on standard output: $(tail -2 out)"
    "$python" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if [f["id"] for f in a["findings"]] == [f["id"] for f in b["findings"]] else 1)' \
        report.json again.json || fail "the JSON of --also differs from -o's"
    # Bad values: usage errors (exit 2) that name the value; nothing is written.
    run_dbadvise 2 lint --also yaml:x.yaml q.sql
    grep -q "unknown format 'yaml' in yaml:x.yaml (one of text, json" err || fail "unknown format: $(cat err)"
    run_dbadvise 2 lint --also report.sarif q.sql
    grep -q "expected FORMAT:FILE, such as sarif:report.sarif: report.sarif" err || fail "no colon: $(cat err)"
    run_dbadvise 2 lint --also sarif:- q.sql
    grep -q "standard output is -o's" err || fail "standard output: $(cat err)"
    run_dbadvise 2 lint -o same.json --also sarif:./same.json q.sql
    grep -q "^dbadvise: error: --also sarif:./same.json and -o name the same file './same.json'$" err ||
        fail "same file: $(cat err)"
    [[ ! -e same.json ]] || fail "a refused run wrote same.json"
    run_dbadvise 2 lint --also sarif:q.sql q.sql
    grep -q "it is also an input" err || fail "input as output: $(cat err)"
    cmp -s q.sql "$lint_dir/all_rules.sql" || fail "--also overwrote an input"
    run_dbadvise 3 lint --also sarif:/nonexistent/dir/x.sarif q.sql
    grep -q "cannot write '/nonexistent/dir/x.sarif'" err || fail "unwritable: $(cat err)"
    echo "ok: --also writes the run's report in $(ls report.* | wc -l) formats, all of the same findings"
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
