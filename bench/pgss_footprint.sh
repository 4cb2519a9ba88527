#!/usr/bin/env bash
# What one `dbadvise analyze --top N` run leaves in pg_stat_statements, on demand:
#   bench/pgss_footprint.sh [--top N] [--statements M] DBADVISE [DBADVISE...]
# Starts its own throwaway cluster (tests/pg/cluster), records testdata/workloads/many (M
# distinct statements, default 600), and for each binary given (for example one built from
# main and one from a branch), each pg_stat_statements.track setting (top, PostgreSQL's
# default, and all) and each role (the superuser postgres, and dbadvise_monitor with only
# pg_monitor and pg_read_all_stats plus SELECT on the tables) runs `analyze --top N` (default
# 500) once on a freshly recorded workload. Prints, per run: the entries the run added, those
# without the /* dbadvise */ marker (which a later analyze would read as workload), those
# holding a value from pg_stats, the workload's entries whose counters moved, evictions
# (pg_stat_statements_info.dealloc) and the run's time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
top=500
statements=600
while [[ $# -gt 0 && "$1" == --* ]]; do
    case "$1" in
    --top) top="$2"; shift 2 ;;
    --statements) statements="$2"; shift 2 ;;
    *) echo "pgss_footprint: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $# -gt 0 ]] || { echo "usage: pgss_footprint.sh [--top N] [--statements M] DBADVISE..." >&2; exit 2; }
binaries=()
for binary in "$@"; do binaries+=("$(cd "$(dirname "${binary}")" && pwd)/$(basename "${binary}")"); done

# shellcheck source=bench/lib/cluster.sh
source "${root}/bench/lib/cluster.sh"
start_throwaway_cluster
admin="$("${cluster[@]}" env postgres)"
dsn="$("${cluster[@]}" env many)"
"${psql_bin}" -X -q -v ON_ERROR_STOP=1 -d "${admin}" -c "CREATE DATABASE many" -c "CREATE ROLE dbadvise_monitor LOGIN" \
    -c "GRANT pg_monitor, pg_read_all_stats TO dbadvise_monitor" >/dev/null
"${psql_bin}" -X -q -v ON_ERROR_STOP=1 -d "${dsn}" -c "CREATE EXTENSION pg_stat_statements" -c "CREATE EXTENSION hypopg" >/dev/null

snapshot() {
    "${psql_bin}" -X -At -F $'\t' -d "${dsn}" -c "/* bench */ SELECT queryid, calls, regexp_replace(query, '\\s+', ' ', 'g')
        FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND query NOT LIKE '/* bench */%' ORDER BY queryid" >"$1"
}
dealloc() { "${psql_bin}" -X -At -d "${dsn}" -c "/* bench */ SELECT dealloc FROM pg_stat_statements_info"; }

printf '%-28s %-5s %-17s %8s %9s %11s %12s %7s %8s\n' binary track role added unmarked with_values moved_calls dealloc seconds
for binary in "${binaries[@]}"; do
    for track in top all; do
        "${psql_bin}" -X -q -d "${admin}" -c "ALTER DATABASE many SET pg_stat_statements.track = '${track}'" >/dev/null
        for role in postgres dbadvise_monitor; do
            "${root}/testdata/workloads/many/setup" "${dsn}" "${statements}"
            "${psql_bin}" -X -q -d "${dsn}" -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO dbadvise_monitor" >/dev/null
            "${psql_bin}" -X -At -d "${dsn}" -c "/* bench */ SELECT most_common_vals::text FROM pg_stats WHERE tablename LIKE 'many%' AND most_common_vals IS NOT NULL UNION ALL SELECT histogram_bounds::text FROM pg_stats WHERE tablename LIKE 'many%' AND histogram_bounds IS NOT NULL" >"${work}/stats"
            snapshot "${work}/before"
            dealloc_before="$(dealloc)"
            started=${EPOCHREALTIME}
            "${binary}" analyze --dsn "${dsn} user=${role}" --top "${top}" >/dev/null 2>&1 || true
            seconds="$(awk -v s="${started}" -v e="${EPOCHREALTIME}" 'BEGIN { printf "%.1f", e - s }')"
            snapshot "${work}/after"
            dealloc_after="$(dealloc)"
            counts="$(python3 - "${work}" <<'PY'
import re, sys
work = sys.argv[1]
def entries(name):
    out = {}
    for line in open(f"{work}/{name}", encoding="utf-8"):
        queryid, calls, text = line.rstrip("\n").split("\t", 2)
        out[queryid] = (int(calls), text)
    return out
before, after = entries("before"), entries("after")
new = [t for q, (c, t) in after.items() if q not in before]
unmarked = [t for t in new if not t.startswith("/* dbadvise */")]
values = set()
for line in open(f"{work}/stats", encoding="utf-8"):
    for value in re.findall(r'(?:^\{|,)("(?:[^"\\]|\\.)*"|[^,{}]+)', line.strip()):
        value = value.strip('"')
        if len(value) >= 3:
            values.add(value)
with_values = [t for t in new if any(f"'{v}'" in t for v in values)]
moved = [q for q, (c, t) in before.items() if not t.startswith("/* dbadvise */") and q in after and after[q][0] != c]
print(len(new), len(unmarked), len(with_values), len(moved))
PY
)"
            read -r added unmarked with_values moved <<<"${counts}"
            printf '%-28s %-5s %-17s %8s %9s %11s %12s %7s %8s\n' "$(basename "$(dirname "$(dirname "${binary}")")")/$(basename "${binary}")" \
                "${track}" "${role}" "${added}" "${unmarked}" "${with_values}" "${moved}" \
                "$((dealloc_after - dealloc_before))" "${seconds}"
        done
    done
done
