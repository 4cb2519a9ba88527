#!/usr/bin/env bash
# A fleet against single runs, on a throwaway server:
#   bench/fleet_bench.sh BUILD_DIR [DATABASES] [JOBS]
# Starts tests/pg/cluster (a state file of its own), creates DATABASES (default 10) tenant
# databases with the same schema and workload (a table of 60,000 rows, lookups by an
# unindexed column and a join), then times one `dbadvise analyze` of them all as a fleet
# (--jobs JOBS, default dbadvise's own) against DATABASES single runs one after the other,
# and prints both wall times and their ratio. On demand, not in CI.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:?usage: fleet_bench.sh BUILD_DIR [DATABASES] [JOBS]}" && pwd)"
count=${2:-10}
jobs=${3:-}
dbadvise="${build}/dbadvise"
[[ -x "${dbadvise}" ]] || { echo "fleet_bench: ${dbadvise} not built" >&2; exit 2; }
# shellcheck source=bench/lib/cluster.sh
source "${root}/bench/lib/cluster.sh"
start_throwaway_cluster
base="$("${cluster[@]}" env postgres)"

echo "creating ${count} tenant databases..."
: >"${work}/fleet.txt"
for i in $(seq 1 "${count}"); do
    name="tenant_${i}"
    "${psql_bin}" -X -q -d "${base}" -c "CREATE DATABASE ${name}" >/dev/null
    dsn="$("${cluster[@]}" env "${name}")"
    "${psql_bin}" -X -q -v ON_ERROR_STOP=1 -d "${dsn}" >/dev/null <<'SQL'
CREATE EXTENSION pg_stat_statements;
CREATE EXTENSION hypopg;
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, plan text NOT NULL, note text);
CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts, total numeric, issued date);
INSERT INTO accounts SELECT g, 'user' || g || '@example.org', CASE WHEN g % 10 = 0 THEN 'pro' ELSE 'free' END,
       repeat('x', 100) FROM generate_series(1, 60000) g;
INSERT INTO invoices SELECT g, 1 + g % 60000, g % 1000, DATE '2026-01-01' + g % 300 FROM generate_series(1, 120000) g;
ANALYZE;
SQL
    sql=""
    for j in $(seq 1 30); do
        sql+="SELECT id, plan FROM accounts WHERE email = 'user$((j * 997))@example.org';"
        sql+="SELECT sum(total) FROM invoices WHERE account_id = $((j * 13));"
        sql+="SELECT a.email, i.total FROM accounts a JOIN invoices i ON i.account_id = a.id WHERE i.issued = DATE '2026-03-0$((j % 9 + 1))' AND a.plan = 'pro';"
    done
    "${psql_bin}" -X -q -d "${dsn}" >/dev/null <<<"${sql}"
    echo "${dsn}" >>"${work}/fleet.txt"
done

now() { date +%s.%N; }
fleet_args=(--fleet "${work}/fleet.txt")
[[ -n "${jobs}" ]] && fleet_args+=(--jobs "${jobs}")
start=$(now)
code=0
"${dbadvise}" analyze "${fleet_args[@]}" --format json -o "${work}/fleet.json" 2>"${work}/fleet.err" || code=$?
fleet_s=$(awk -v a="$(now)" -v b="${start}" 'BEGIN { print a - b }')
((code == 0 || code == 1)) || { echo "fleet run exited with ${code}:"; tail -5 "${work}/fleet.err"; exit 1; }

start=$(now)
while IFS= read -r dsn; do
    code=0
    "${dbadvise}" analyze --dsn "${dsn}" --format json -o "${work}/single.json" 2>"${work}/single.err" || code=$?
    ((code == 0 || code == 1)) || { echo "single run exited with ${code}:"; tail -5 "${work}/single.err"; exit 1; }
done <"${work}/fleet.txt"
singles_s=$(awk -v a="$(now)" -v b="${start}" 'BEGIN { print a - b }')

grouped=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["stats"]["findings_in_several_databases"], d["stats"]["jobs"])' "${work}/fleet.json")
printf 'databases:                 %d\n' "${count}"
printf 'fleet run (--jobs %s):      %.2f s\n' "${grouped#* }" "${fleet_s}"
printf '%d single runs in a row:   %.2f s\n' "${count}" "${singles_s}"
printf 'ratio single/fleet:        %.2f\n' "$(awk -v a="${singles_s}" -v b="${fleet_s}" 'BEGIN { print a / b }')"
printf 'findings in several databases: %s\n' "${grouped% *}"
printf 'cores: %s\n' "$(nproc)"
