#!/usr/bin/env bash
# analyze --queries on logs captured from a real server, in each format.
#   live.sh DBADVISE SOURCE_DIR
# Starts its own throwaway cluster (tests/pg/cluster with a state file of its own, without
# pg_stat_statements: --queries does not need it) with the logging collector writing stderr,
# csvlog and jsonlog files, runs a workload with log_min_duration_statement = 0 (simple and
# extended protocol with parameters, through psql and pgbench), then auto_explain plans in
# text and JSON, then the workload again with log_statement = 'all' as well (the statement
# logged when it starts, a bare duration line when it ends, two pgbench sessions
# interleaved), and checks what analyze --queries reads from each file: the formats
# detected, the statements grouped and weighed, the missing index found, no line unread.
# Exits 77 when PostgreSQL cannot be installed.
set -uo pipefail
dbadvise=$1
source_dir=$2
pg_bin=/usr/lib/postgresql/15/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/dbadvise-queries.XXXXXX")
chmod 755 "$work"
state="$work/cluster.state"
cluster=("$source_dir/tests/pg/cluster" --state "$state")
cleanup() {
    "${cluster[@]}" stop >/dev/null 2>&1
    [[ -n "${DBADVISE_KEEP_WORK:-}" ]] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

dsn=$("${cluster[@]}" start --no-preload)
code=$?
((code == 77)) && { echo "SKIP: PostgreSQL could not be installed"; exit 77; }
((code == 0)) || fail "the cluster did not start"
# shellcheck disable=SC1090
source "$state"
as_owner() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql=("$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -d "$dsn")
"${psql[@]}" -c "ALTER SYSTEM SET logging_collector = on" \
    -c "ALTER SYSTEM SET log_destination = 'stderr,csvlog,jsonlog'" \
    -c "ALTER SYSTEM SET log_directory = 'log'" \
    -c "ALTER SYSTEM SET log_filename = 'server'" \
    -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] %q%u@%d '" >/dev/null || fail "ALTER SYSTEM"
as_owner "$pg_bin/pg_ctl" -D "$cluster_dir/data" -l "$cluster_dir/server.log" -w -t 60 restart >/dev/null ||
    fail "the server did not restart"
logs="$cluster_dir/data/log"

"${psql[@]}" >/dev/null <<'SQL' || fail "setup"
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, note text);
INSERT INTO customers SELECT i, 'c' || i || '@example.com' FROM generate_series(1, 2000) i;
INSERT INTO orders SELECT i, 1 + i % 2000, CASE WHEN i % 50 = 0 THEN 'open' ELSE 'done' END, 'n'
  FROM generate_series(1, 100000) i;
ANALYZE customers;
ANALYZE orders;
SQL
# Phase 1: log_min_duration_statement = 0, the simple protocol (psql) with literals, a
# statement over several lines, and the extended protocol with parameters (pgbench).
"${psql[@]}" >/dev/null <<'SQL' || fail "phase 1"
SET log_min_duration_statement = 0;
SELECT count(*) FROM orders WHERE customer_id = 17;
SELECT count(*) FROM orders WHERE customer_id = 1234;
SELECT id, status
  FROM orders
 WHERE customer_id = 99 AND note = 'it''s "quoted"';
SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = 'c5@example.com';
SQL
cat >"$work/bench.sql" <<'SQL'
\set c random(1, 2000)
SELECT count(*) FROM orders WHERE customer_id = :c;
SQL
PGOPTIONS="-c log_min_duration_statement=0" "$pg_bin/pgbench" -n -M extended -t 5 -f "$work/bench.sql" -d "$dsn" >/dev/null 2>&1 ||
    fail "pgbench"
sleep 1 # the logging collector writes asynchronously
for format in stderr csvlog jsonlog; do
    ext=${format/stderr/}
    ext=${ext/csvlog/.csv}
    ext=${ext/jsonlog/.json}
    cp "$logs/server$ext" "$work/durations.$format" || fail "no $format file"
done
# Phase 2: auto_explain in text and JSON, without duration lines.
"${psql[@]}" >/dev/null <<'SQL' || fail "phase 2"
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SELECT count(*) FROM orders WHERE status = 'open';
SET auto_explain.log_format = 'json';
SELECT count(*) FROM orders WHERE status = 'done';
SQL
sleep 1
for format in stderr csvlog jsonlog; do
    ext=${format/stderr/}
    ext=${ext/csvlog/.csv}
    ext=${ext/jsonlog/.json}
    size=$(stat -c %s "$work/durations.$format")
    tail -c +$((size + 1)) "$logs/server$ext" >"$work/plans.$format"
    stat -c %s "$logs/server$ext" >"$work/size.$format"
done
# Phase 3: log_statement = 'all' and log_min_duration_statement = 0 together, a common setup:
# `statement: SQL` (or `execute <unnamed>: SQL`) when a statement starts, and a bare
# `duration: X ms` when it ends, which dbadvise pairs per server process.
"${psql[@]}" >/dev/null <<'SQL' || fail "phase 3"
SET log_statement = 'all';
SET log_min_duration_statement = 0;
SELECT count(*) FROM orders WHERE customer_id = 17;
SELECT count(*) FROM orders WHERE customer_id = 1234;
SQL
PGOPTIONS="-c log_statement=all -c log_min_duration_statement=0" "$pg_bin/pgbench" -n -M extended -c 2 -t 5 -f "$work/bench.sql" -d "$dsn" >/dev/null 2>&1 ||
    fail "pgbench (phase 3)"
sleep 1
for format in stderr csvlog jsonlog; do
    ext=${format/stderr/}
    ext=${ext/csvlog/.csv}
    ext=${ext/jsonlog/.json}
    tail -c +$(($(cat "$work/size.$format") + 1)) "$logs/server$ext" >"$work/started.$format"
done

check() { # check PHASE FORMAT
    local phase=$1 format=$2 out="$work/$1.$2.report.json"
    "$dbadvise" analyze --queries "$work/$phase.$format" --dsn "$dsn" --format json -o "$out" 2>"$work/stderr"
    local code=$?
    ((code == 0 || code == 1)) || { cat "$work/stderr" >&2; fail "analyze --queries $phase.$format exited with $code"; }
    python3 - "$out" "$phase" "$format" <<'PY' || exit 1
import json, sys
report = json.load(open(sys.argv[1]))
phase, fmt = sys.argv[2], sys.argv[3]
def fail(message):
    sys.exit(f"FAIL: {phase}.{fmt}: {message}")
stats = dict((s["name"], s["value"]) if isinstance(s, dict) else s for s in report["stats"]) if isinstance(report["stats"], list) else report["stats"]
if report["source"]["kind"] != "queries":
    fail(f"source kind {report['source']['kind']}")
if stats.get("queries_format") != fmt:
    fail(f"format read as {stats.get('queries_format')}")
unread = [f for f in report["findings"] if f["rule"] in ("unreadable-line", "parse-error")]
if unread:
    fail(f"lines not read: {unread[0]}")
if phase == "durations":
    # the SET itself, 2 + 1 + 1 psql statements, 5 pgbench executions (each counted once, on
    # execute: its parse and bind lines are not executions)
    if stats.get("queries_executions") != 10:
        fail(f"{stats.get('queries_executions')} executions, expected 10")
    # count by customer_id: 2 literal runs and 5 pgbench runs group into one statement
    if stats.get("queries_statements") != 4:
        fail(f"{stats.get('queries_statements')} statements, expected 4")
    missing = [f for f in report["findings"] if f["rule"] == "missing-index"]
    if not any("customer_id" in (f.get("suggestion", {}).get("sql") or "") for f in missing):
        fail("no index on orders (customer_id) recommended: " + json.dumps(missing)[:400])
elif phase == "started":
    # SET log_min_duration_statement (logged: log_statement was on), 2 psql SELECTs and 10
    # pgbench executions from two sessions, each weighed by its own duration line
    if stats.get("queries_executions") != 13:
        fail(f"{stats.get('queries_executions')} executions, expected 13")
    if stats.get("queries_statements") != 2:
        fail(f"{stats.get('queries_statements')} statements, expected 2")
    timed = [s for s in report.get("workload", {}).get("statements", []) if "customer_id" in s["text"]]
    if not timed or timed[0]["total_ms"] <= 0 or timed[0]["calls"] != 12:
        fail("the count by customer_id has no time: durations not paired")
    if not any("took their duration" in n for n in report.get("notes", [])):
        fail("no note on the paired durations: " + json.dumps(report.get("notes"))[:400])
    missing = [f for f in report["findings"] if f["rule"] == "missing-index"]
    if not any("customer_id" in (f.get("suggestion", {}).get("sql") or "") for f in missing):
        fail("no index on orders (customer_id) recommended: " + json.dumps(missing)[:400])
else:
    if stats.get("queries_executions") != 2:
        fail(f"{stats.get('queries_executions')} plans, expected 2")
    if stats.get("queries_statements") != 1:
        fail(f"{stats.get('queries_statements')} statements, expected 1 (status = $1)")
PY
}
for phase in durations plans started; do
    for format in stderr csvlog jsonlog; do
        check "$phase" "$format"
    done
done
# The same statements as a queries file, through standard input.
printf -- '-- calls: 50, ms: 12\nSELECT count(*) FROM orders WHERE customer_id = 5;\n' |
    "$dbadvise" analyze --queries - --dsn "$dsn" --format json >"$work/sql.json" 2>"$work/stderr"
code=$?
((code == 0 || code == 1)) || { cat "$work/stderr" >&2; fail "analyze --queries - exited with $code"; }
grep -q '"missing-index"' "$work/sql.json" || fail "no missing-index from the queries file"
echo "ok"
