#!/usr/bin/env bash
# Snapshots of the live shop workload (tests/pg fixture) and what analyze makes of them.
#   live.sh DBADVISE SOURCE_DIR CASE
# Cases:
#   snapshot_matches_live   a snapshot validates against docs/snapshot.schema.json, holds every
#                           pg_stat_statements column of the server, and analyze --snapshot
#                           gives the same index and rewrite findings as a live run with the
#                           same (selectivity) model
#   no_values               --no-values: no data value in the file, counts kept, and the same
#                           index recommendations as with values
#   verify_with_dsn         --snapshot with --dsn: what-if checks with HypoPG on that server,
#                           named in source.planner and in a note
#   window_live             --since: a statement run 3 times before the snapshot and 2 times
#                           after counts 2 calls, one run only after counts as new; source.window
#   writes_nothing          dbadvise snapshot sends nothing but reads
# Exits 77 when the test cluster is not running.
set -uo pipefail
dbadvise=$1
source_dir=$2
case_name=$3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cluster="$source_dir/tests/pg/cluster"
dsn=$("$cluster" env shop 2>/dev/null) || { echo "SKIP: no test cluster"; exit 77; }
psql_bin=psql
command -v psql >/dev/null || psql_bin=/usr/lib/postgresql/15/bin/psql
work=$(mktemp -d "${TMPDIR:-/tmp}/dbadvise-live-snapshot.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
run() { # run FILE ARGS...: dbadvise ARGS > FILE, exit status checked (0 or 1 only)
    local out=$1
    shift
    "$dbadvise" "$@" >"$out" 2>"$work/stderr"
    local code=$?
    ((code == 0 || code == 1)) || { cat "$work/stderr" >&2; fail "dbadvise $* exited with $code"; }
}

case $case_name in
snapshot_matches_live)
    # This query is recorded in pg_stat_statements too: before the snapshot, so that the
    # snapshot and the live run see the same statements (after it, it could push the last
    # statement out of the live run's --top 50, and only the offline run would report it).
    columns=$("$psql_bin" -X -At -d "$dsn" -c "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'pg_stat_statements'::regclass AND attnum > 0 AND NOT attisdropped")
    run "$work/stdout" snapshot --dsn "$dsn" -o "$work/shop.json.gz"
    grep -qE "^dbadvise: wrote $work/shop.json.gz: [0-9]+ statements, [0-9]+ tables, [0-9]+ indexes, [0-9]+ column statistics. [0-9]+ bytes \([0-9]+ uncompressed\)$" \
        "$work/stderr" || { cat "$work/stderr"; fail "no summary line"; }
    run "$work/live.json" analyze --dsn "$dsn" --hypopg off --format json
    run "$work/offline.json" analyze --snapshot "$work/shop.json.gz" --format json
    python3 - "$source_dir/docs/snapshot.schema.json" "$work/shop.json.gz" "$columns" \
        "$work/live.json" "$work/offline.json" <<'PY' || exit 1
import gzip, json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
snapshot = json.load(gzip.open(sys.argv[2], "rt"))
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(snapshot))
if errors:
    sys.exit(f"FAIL: the snapshot does not match the schema: {errors[0].message}")
names = [c["name"] for c in snapshot["pg_stat_statements"]["columns"]]
if names != sys.argv[3].split(","):
    sys.exit(f"FAIL: snapshot columns {names} are not the server's {sys.argv[3]}")
if not snapshot["pg_stat_statements"]["rows"] or not snapshot["column_stats"]:
    sys.exit("FAIL: no statements or no column statistics in the snapshot")
if any(row[names.index("query")].startswith("/* dbadvise */") for row in snapshot["pg_stat_statements"]["rows"]):
    sys.exit("FAIL: dbadvise's own statements are in the snapshot")
if snapshot["pg_stat_statements"]["info"] is None or not snapshot["server"]["system_identifier"]:
    sys.exit("FAIL: pg_stat_statements_info or the system identifier is missing")
# Other tests share the shop database and may add a statement to pg_stat_statements, or run
# one again (rule thresholds read rows and time per call), between the snapshot and the live
# run: the comparison covers the statements the snapshot holds that the live run read, with
# the same calls. (A statement recorded meanwhile can push the snapshot's last statement out
# of the live run's --top 50: it is then in the offline report only, and left out here.)
calls = {str(row[names.index("queryid")]): row[names.index("calls")] for row in snapshot["pg_stat_statements"]["rows"]}
live_calls = {str(s["queryid"]): s["calls"] for s in json.load(open(sys.argv[4])).get("workload", {}).get("statements", [])}
captured = {q for q, n in calls.items() if q in live_calls and live_calls[q] == n}
def kept(path):
    doc = json.load(open(path))
    return doc, sorted((f["rule"], f.get("suggestion", {}).get("sql", ""), f.get("query", {}).get("queryid", ""))
                       for f in doc["findings"] if f["category"] in ("index", "rewrite")
                       and str(f.get("query", {}).get("queryid", "")) in captured | {""})
live, live_findings = kept(sys.argv[4])
offline, offline_findings = kept(sys.argv[5])
if not any(r == "missing-index" for r, _, _ in offline_findings):
    sys.exit("FAIL: no index recommended offline")
if live_findings != offline_findings:
    sys.exit(f"FAIL: offline findings differ from live:\n{live_findings}\n{offline_findings}")
if offline["source"]["kind"] != "snapshot" or "planner" in offline["source"] or "captured_at" not in offline["source"]:
    sys.exit(f"FAIL: source of the offline report: {offline['source']}")
print(f"{len(names)} columns, {len(snapshot['pg_stat_statements']['rows'])} statements; "
      f"{len(offline_findings)} index and rewrite findings equal live and offline")
PY
    ;;
no_values)
    run "$work/stdout" snapshot --dsn "$dsn" --no-values -o "$work/plain.json"
    run "$work/stdout" snapshot --dsn "$dsn" -o "$work/values.json"
    grep -q '"most_common_vals"\|"histogram_bounds"' "$work/plain.json" && fail "values in a --no-values snapshot"
    grep -q '"histogram_bounds"' "$work/values.json" || fail "no values in a plain snapshot"
    grep -q '"values_omitted": true' "$work/plain.json" || fail "values_omitted not set"
    # A value pg_stats holds for the shop (a status, an e-mail domain) never appears.
    grep -q '"delivered"' "$work/values.json" || fail "the snapshot with values lacks the order statuses"
    grep -q '"delivered"' "$work/plain.json" && fail "order statuses in a --no-values snapshot"
    run "$work/a.json" analyze --snapshot "$work/plain.json" --format json
    run "$work/b.json" analyze --snapshot "$work/values.json" --format json
    python3 - "$work/a.json" "$work/b.json" <<'PY' || exit 1
import json, sys
def indexes(path):
    return sorted(f["suggestion"]["sql"] for f in json.load(open(path))["findings"] if f["rule"] == "missing-index")
a, b = indexes(sys.argv[1]), indexes(sys.argv[2])
if not a or a != b:
    sys.exit(f"FAIL: recommendations differ without values:\n{a}\n{b}")
print(f"{len(a)} recommendations, the same with and without values")
PY
    ;;
verify_with_dsn)
    run "$work/stdout" snapshot --dsn "$dsn" -o "$work/shop.json"
    run "$work/report.json" analyze --snapshot "$work/shop.json" --dsn "$dsn" --format json
    python3 - "$work/report.json" "$source_dir/docs/report.schema.json" <<'PY' || exit 1
import json, sys
import jsonschema
doc = json.load(open(sys.argv[1]))
errors = list(jsonschema.Draft202012Validator(json.load(open(sys.argv[2]))).iter_errors(doc))
if errors:
    sys.exit(f"FAIL: the report does not match the schema: {errors[0].message}")
planner = doc["source"].get("planner")
if doc["source"]["kind"] != "snapshot" or not planner or not planner["hypopg"] or planner["database"] != "shop":
    sys.exit(f"FAIL: source: {doc['source']}")
verified = [f for f in doc["findings"] if f["rule"] == "missing-index" and f["evidence"].get("verified")]
if not verified:
    sys.exit("FAIL: no recommendation verified with HypoPG")
if not any("What-if checks" in n and "with HypoPG" in n for n in doc.get("notes", [])):
    sys.exit(f"FAIL: no note on which server verified: {doc.get('notes')}")
if doc["stats"]["planner_calls"] <= 0:
    sys.exit("FAIL: no planner calls")
print(f"{len(verified)} recommendations verified on {planner['server']}")
PY
    ;;
window_live)
    # A database of its own, so that the shop's pg_stat_statements stays as the other tests expect.
    admin=$("$cluster" env postgres)
    "$psql_bin" -X -q -d "$admin" -c "DROP DATABASE IF EXISTS window_test" -c "CREATE DATABASE window_test" >/dev/null ||
        fail "cannot create window_test"
    wdsn=$("$cluster" env window_test)
    "$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$wdsn" >/dev/null <<'SQL' || fail "setup"
CREATE EXTENSION pg_stat_statements;
CREATE TABLE w (id int PRIMARY KEY, note text);
INSERT INTO w SELECT g, 'n' || g FROM generate_series(1, 100) g;
SELECT * FROM w WHERE note = 'a';
SELECT * FROM w WHERE note = 'b';
SELECT * FROM w WHERE note = 'c';
SQL
    run "$work/stdout" snapshot --dsn "$wdsn" -o "$work/before.json.gz"
    "$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$wdsn" >/dev/null <<'SQL' || fail "workload"
SELECT * FROM w WHERE note = 'd';
SELECT * FROM w WHERE note = 'e';
SELECT * FROM w WHERE id > 90;
SQL
    run "$work/window.json" analyze --since "$work/before.json.gz" --dsn "$wdsn" --format json
    python3 - "$work/window.json" "$source_dir/docs/report.schema.json" <<'PY' || exit 1
import json, sys
import jsonschema
doc = json.load(open(sys.argv[1]))
errors = list(jsonschema.Draft202012Validator(json.load(open(sys.argv[2]))).iter_errors(doc))
if errors:
    sys.exit(f"FAIL: the report does not match the schema: {errors[0].message}")
src = doc["source"]
if src["kind"] != "window" or not src.get("window", {}).get("start") or not src["window"]["end"]:
    sys.exit(f"FAIL: source: {src}")
calls = {f["query"]["text"]: f["query"]["calls"] for f in doc["findings"] if f["rule"] == "select-star"}
note = [q for q in calls if "note =" in q]
rng = [q for q in calls if "id >" in q]
if len(note) != 1 or calls[note[0]] != 2:
    sys.exit(f"FAIL: the statement run twice in the window: {calls}")
if len(rng) != 1 or calls[rng[0]] != 1:
    sys.exit(f"FAIL: the statement new in the window: {calls}")
if doc["stats"]["window_statements_new"] < 1 or doc["stats"]["window_statements_gone"] != 0:
    sys.exit(f"FAIL: window stats: {doc['stats']}")
print(f"window {src['window']['start']} .. {src['window']['end']}: {calls}")
PY
    ;;
writes_nothing)
    # The entries of this database that dbadvise's snapshot adds or runs again (other tests'
    # runs, in other databases or before this one, are not its business). As a superuser the
    # session is not tracked at all; tests/pg/footprint checks a role that is.
    entries() {
        "$psql_bin" -X -At -F $'\t' -d "$dsn" -c "SELECT queryid, userid, toplevel, calls, regexp_replace(query, '\s+', ' ', 'g') FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE '/* dbadvise */%' ORDER BY 1, 2, 3"
    }
    entries | sort >"$work/before"
    run "$work/stdout" snapshot --dsn "$dsn" --no-values -o "$work/shop.json"
    entries | sort >"$work/after"
    writes=$(comm -13 "$work/before" "$work/after" | cut -f5 |
        grep -cviE '^/[*] dbadvise [*]/ *(SELECT|WITH|SHOW|SET|RESET|BEGIN|START|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b')
    [[ $writes == 0 ]] || fail "$writes statements dbadvise sent were not reads"
    echo "snapshot sent only reads"
    ;;
*)
    fail "unknown case $case_name"
    ;;
esac
exit 0
