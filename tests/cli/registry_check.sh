#!/usr/bin/env bash
# Every finding any command reports must be of a registered rule, with the registry's category
# and at a severity the registry allows for that command (`dbadvise rules --format json`).
#
#   registry_check.sh DBADVISE SOURCE_DIR            lint and explain on all the test data
#   registry_check.sh DBADVISE SOURCE_DIR --analyze  analyze on the test cluster's databases
#                                                    (run through tests/pg/expect, which
#                                                    substitutes @DSN@ and @DSN:name@)
#   registry_check.sh DBADVISE SOURCE_DIR --analyze DSN_SHOP DSN_FAULTS DSN_NOHYPO
#
# lint runs on every SQL file under testdata/ (alone, and the golden and lint cases with their
# schema), on inputs that trip each input check, and on files that do not parse; explain on
# every plan under testdata/plans (JSON and text); analyze on the snapshots of
# testdata/snapshots/golden/*.args. analyze runs on the shop workload (with and
# without HypoPG, with --analyze-plans), on the faults database (quoted names, partitions,
# dropped tables) and on the database without HypoPG. A report the registry must reject is
# checked too, so the check is known to bite. The rules no run reported are listed.
set -uo pipefail

dbadvise=$1
source_dir=$2
shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/dbadvise-registry.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$dbadvise" rules --format json >"$work/rules.json" || { echo "FAIL: dbadvise rules failed" >&2; exit 1; }

n=0
# run COMMAND ARGS...: runs `dbadvise COMMAND --format json ARGS`, keeps the report as
# $work/COMMAND.N.json. Exit 0, 1 (findings) and 3 (an input it could not read, with a report)
# are fine; a run that wrote nothing is skipped only when it exited 3.
run() {
    local command=$1
    shift
    n=$((n + 1))
    local report=$work/$command.$n.json
    "$dbadvise" "$command" --format json "$@" >"$report" 2>"$work/stderr" </dev/null
    local code=$?
    if ((code != 0 && code != 1 && code != 3)); then
        echo "FAIL: dbadvise $command $* exited with $code: $(head -c 500 "$work/stderr")" >&2
        exit 1
    fi
    if [[ ! -s $report ]]; then
        if ((code != 3)); then
            echo "FAIL: dbadvise $command $* wrote no report" >&2
            exit 1
        fi
        rm -f "$report"
    fi
}

if [[ ${1:-} == --analyze ]]; then
    shift
    (($# == 3)) || { echo "usage: registry_check.sh DBADVISE SOURCE_DIR --analyze DSN_SHOP DSN_FAULTS DSN_NOHYPO" >&2; exit 2; }
    shop=$1 faults=$2 nohypo=$3
    run analyze --dsn "$shop"
    run analyze --dsn "$shop" --hypopg off
    run analyze --dsn "$shop" --analyze-plans
    run analyze --dsn "$faults"
    run analyze --dsn "$nohypo"
else
    while IFS= read -r -d '' sql; do
        run lint "$sql"
    done < <(find "$source_dir/testdata" -name '*.sql' -print0 | sort -z)
    run lint --schema "$source_dir/testdata/lint/schema.sql" "$source_dir/testdata/lint/all_rules.sql"
    run lint --schema "$source_dir/testdata/golden/rewrites.schema.sql" "$source_dir/testdata/golden/rewrites.sql"
    printf 'SELECT 1;\nSELECT * FORM t;\nSELECT id FROM docs WHERE body IS JSON;\n' >"$work/bad.sql"
    printf 'PK\x03\x04\x00\x00' >"$work/binary.sql"
    printf "SELECT 'caf\xe9' FROM t OFFSET \$1;\n" >"$work/latin1.sql"
    printf -- '-- nothing here\n' >"$work/empty.sql"
    run lint "$work/bad.sql" "$work/binary.sql" "$work/latin1.sql" "$work/empty.sql"
    while IFS= read -r -d '' plan; do
        run explain "$plan"
    done < <(find "$source_dir/testdata/plans" \( -name '*.json' -o -name '*.txt' \) -print0 | sort -z)
    # analyze with no database, on the snapshots of the golden cases (windows included).
    for args_file in "$source_dir"/testdata/snapshots/golden/*.args; do
        read -r -a args <"$args_file"
        for i in "${!args[@]}"; do
            [[ ${args[i]} == -* ]] || args[i]=$source_dir/testdata/snapshots/${args[i]}
        done
        run analyze "${args[@]}"
    done
fi

# A report the check must reject: an unknown rule, a known one at a severity its command never
# uses, and one with the wrong category.
cat >"$work/broken.lint.json" <<'JSON'
{"findings": [
 {"rule": "no-such-rule", "category": "rewrite", "severity": "info"},
 {"rule": "parse-error", "category": "input", "severity": "warning"},
 {"rule": "select-star", "category": "index", "severity": "info"}]}
JSON

python3 - "$work" <<'PY'
import glob, json, os, sys

work = sys.argv[1]
registry = {r["id"]: r for r in json.load(open(os.path.join(work, "rules.json")))["rules"]}

def problems(path, command):
    doc = json.load(open(path, encoding="utf-8"))
    found = []
    for f in doc["findings"]:
        rule = registry.get(f["rule"])
        if rule is None:
            found.append(f"rule {f['rule']!r} is not in the registry")
            continue
        allowed = rule["severities"].get(command, [])
        if f["severity"] not in allowed:
            found.append(f"{f['rule']} at {f['severity']} from {command}; the registry allows "
                         f"{allowed or 'nothing'} for {command}")
        if f["category"] != rule["category"]:
            found.append(f"{f['rule']} in category {f['category']}; the registry says "
                         f"{rule['category']}")
    return doc["findings"], found

broken = problems(os.path.join(work, "broken.lint.json"), "lint")[1]
if len(broken) != 3:
    sys.exit(f"FAIL: the check does not bite: {broken}")

failed = 0
checked = 0
seen = {}
reports = sorted(p for p in glob.glob(os.path.join(work, "*.*.json")) if "broken" not in p)
for path in reports:
    command = os.path.basename(path).split(".")[0]
    findings, found = problems(path, command)
    for f in findings:
        seen.setdefault(command, set()).add(f["rule"])
    checked += len(findings)
    for problem in found:
        print(f"FAIL: {os.path.basename(path)}: {problem}")
        failed += 1
if failed:
    sys.exit(1)
if checked == 0:
    sys.exit("FAIL: the reports hold no findings; nothing was checked")
for command in sorted(seen):
    unseen = sorted(r for r, info in registry.items()
                    if command in info["severities"] and r not in seen[command])
    print(f"{command}: {len(seen[command])} rules reported; registered for {command} but not "
          f"reported by this data: {', '.join(unseen) or 'none'}")
print(f"{checked} findings in {len(reports)} reports match the registry")
PY
