#!/usr/bin/env bash
# Validates the snapshot files of testdata/snapshots (gzip or not; not the bad/ ones) against
# docs/snapshot.schema.json, and the JSON reports `dbadvise analyze` writes from each golden
# case (testdata/snapshots/golden/*.args) against docs/report.schema.json. Broken snapshots
# must be rejected, so the check is known to bite.
#   check_schemas.sh DBADVISE SOURCE_DIR
set -uo pipefail

dbadvise=$1
source_dir=$2
snapshots=$source_dir/testdata/snapshots
work=$(mktemp -d "${TMPDIR:-/tmp}/dbadvise-snapshot-schema.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 -c 'import jsonschema' 2>/dev/null ||
    { echo "FAIL: no python3 with jsonschema (apt-get install python3-jsonschema; scripts/test does)" >&2; exit 1; }

reports=()
cd "$snapshots" || exit 1
for args_file in golden/*.args; do
    name=$(basename "$args_file" .args)
    read -r -a args <"$args_file"
    "$dbadvise" analyze --format json "${args[@]}" >"$work/$name.json" 2>/dev/null
    code=$?
    if ((code != 0)); then
        echo "FAIL: dbadvise analyze ${args[*]} exited with $code" >&2
        exit 1
    fi
    reports+=("$work/$name.json")
done
mapfile -t files < <(find "$snapshots" \( -name '*.json' -o -name '*.json.gz' \) -not -path '*/bad/*' \
    -not -path '*/golden/*' | sort)
((${#files[@]} >= 8)) || { echo "FAIL: only ${#files[@]} snapshots found under $snapshots" >&2; exit 1; }

python3 - "$source_dir/docs/snapshot.schema.json" "$source_dir/docs/report.schema.json" \
    "$snapshots/bad/wrong_type.json" "$snapshots/bad/newer.json" "$snapshots/bad/captured_at_text.json" \
    "$snapshots/bad/invalid_values.json" "${#files[@]}" "${files[@]}" "${reports[@]}" <<'PY'
import gzip, json, sys
import jsonschema

def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)

def validator(path):
    schema = load(path)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)

snapshot, report = validator(sys.argv[1]), validator(sys.argv[2])
for broken in sys.argv[3:7]:
    if not list(snapshot.iter_errors(load(broken))):
        sys.exit(f"FAIL: the snapshot schema accepts {broken}")
count = int(sys.argv[7])
files, reports = sys.argv[8:8 + count], sys.argv[8 + count:]
failed = 0
for path, v in [(p, snapshot) for p in files] + [(p, report) for p in reports]:
    for error in v.iter_errors(load(path)):
        print(f"FAIL: {path}: /{'/'.join(map(str, error.absolute_path))}: {error.message}")
        failed += 1
rows = sum(len(load(p)["pg_stat_statements"]["rows"]) for p in files)
if failed:
    sys.exit(1)
if rows == 0:
    sys.exit("FAIL: the snapshots hold no statements; nothing was validated")
print(f"{len(files)} snapshots ({rows} statements) and {len(reports)} reports match the schemas")
PY
