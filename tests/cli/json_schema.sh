#!/usr/bin/env bash
# Validates real `dbadvise lint --format json` and `dbadvise explain --format json` output
# against docs/report.schema.json: lint on every SQL file under testdata/, on bad inputs and
# with an unreadable file; explain on every captured plan; and a run with --baseline. A broken
# report must be rejected too, so the check is known to bite.
#   json_schema.sh DBADVISE SOURCE_DIR
set -uo pipefail

dbadvise=$1
source_dir=$2
schema=$source_dir/docs/report.schema.json
work=$(mktemp -d "${TMPDIR:-/tmp}/dbadvise-schema.XXXXXX")
trap 'rm -rf "$work"' EXIT

python=
for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import jsonschema' 2>/dev/null; then
        python=$candidate
        break
    fi
done
[[ -n $python ]] || { echo "FAIL: no python3 with jsonschema (apt-get install python3-jsonschema; scripts/test does)" >&2; exit 1; }

reports=()
n=0
report() { # report ARGS...: runs dbadvise lint --format json ARGS into a new file
    n=$((n + 1))
    "$dbadvise" lint --format json "$@" >"$work/report$n.json" 2>/dev/null
    local code=$?
    if ((code != 0 && code != 1 && code != 3)); then
        echo "FAIL: dbadvise lint $* exited with $code" >&2
        exit 1
    fi
    reports+=("$work/report$n.json")
}

while IFS= read -r -d '' sql; do
    report "$sql"
done < <(find "$source_dir/testdata" -name '*.sql' -print0 2>/dev/null | sort -z)
if [[ -f $source_dir/testdata/lint/schema.sql && -f $source_dir/testdata/lint/all_rules.sql ]]; then
    report --schema "$source_dir/testdata/lint/schema.sql" "$source_dir/testdata/lint/all_rules.sql"
fi
printf 'SELECT 1;\nSELECT * FORM t;\nSELECT x FROM t WHERE y NOT IN (SELECT z FROM u);\n' >"$work/mixed.sql"
printf 'PK\x03\x04\x00\x00' >"$work/binary.sql"
printf "SELECT 'caf\xe9';\n" >"$work/latin1.sql"
: >"$work/empty.sql"
report "$work/mixed.sql" "$work/binary.sql" "$work/latin1.sql" "$work/empty.sql" "$work/missing.sql"

while IFS= read -r -d '' plan; do
    n=$((n + 1))
    "$dbadvise" explain --format json "$plan" >"$work/report$n.json" 2>/dev/null
    reports+=("$work/report$n.json")
done < <({ find "$source_dir/testdata/plans" -maxdepth 1 \( -name '*.json' -o -name '*_text.txt' \) -print0
           # Plans that carry their statement: its report has a Statement section.
           find "$source_dir/testdata/plans/auto_explain" "$source_dir/testdata/plans/psql_session" \
                -name '*.txt' -print0; } 2>/dev/null | sort -z)
# A run compared with a baseline: "baseline" members on the report and its findings.
report "$work/mixed.sql" --write-baseline "$work/baseline.json"
report "$work/mixed.sql" --baseline "$work/baseline.json"

# A report the schema must reject: a finding with an unknown severity and no findings key.
printf '{"schema_version": 1, "tool": {"name": "dbadvise", "version": "0.1.0"}, "source": {"kind": "sql"}, "stats": {}, "findings": [{"id": "0123456789abcdef", "rule": "x", "category": "rewrite", "severity": "fatal", "title": "t", "message": "m"}]}\n' >"$work/broken.json"

"$python" - "$schema" "$work/broken.json" "${reports[@]}" <<'PY'
import json, sys
import jsonschema

schema = json.load(open(sys.argv[1], encoding="utf-8"))
validator_class = jsonschema.validators.validator_for(schema)
validator_class.check_schema(schema)
validator = validator_class(schema)

broken = json.load(open(sys.argv[2], encoding="utf-8"))
if not list(validator.iter_errors(broken)):
    sys.exit("FAIL: the schema accepts a report with severity 'fatal'")

failed = 0
findings = 0
for path in sys.argv[3:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.endswith("\n"):
        print(f"FAIL: {path} does not end with a newline")
        failed += 1
    doc = json.loads(text)
    findings += len(doc["findings"])
    for error in validator.iter_errors(doc):
        print(f"FAIL: {path}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
        failed += 1
if failed:
    sys.exit(1)
if findings == 0:
    sys.exit("FAIL: the reports hold no findings; nothing was validated")
print(f"{len(sys.argv) - 3} reports with {findings} findings match the schema")
PY
status=$?
((status == 0)) || exit $status

# The baseline file --write-baseline wrote, against docs/baseline.schema.json.
"$python" - "$source_dir/docs/baseline.schema.json" "$work/baseline.json" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
validator_class = jsonschema.validators.validator_for(schema)
validator_class.check_schema(schema)
doc = json.load(open(sys.argv[2], encoding="utf-8"))
errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator_class(schema).iter_errors(doc)]
if errors or not doc["findings"]:
    sys.exit("FAIL: the baseline file: " + ("; ".join(errors) or "no findings"))
print(f"the baseline file with {len(doc['findings'])} findings matches docs/baseline.schema.json")
PY
