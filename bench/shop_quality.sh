#!/usr/bin/env bash
# Quality of the index advisor on the shop workload, end to end on a throwaway server:
#   bench/shop_quality.sh BUILD_DIR
# Starts tests/pg/cluster, loads and drives testdata/workloads/shop, runs analyze_bench, creates
# the recommended indexes for real, drives the workload again, then replaces them with the
# ideal index set (the planted needs of testdata/workloads/shop/README.md) and drives once
# more. Prints the workload's total execution time from pg_stat_statements in each state.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:?usage: shop_quality.sh BUILD_DIR}" && pwd)"
bench="${build}/bench/analyze_bench"
[[ -x "${bench}" ]] || { echo "shop_quality: ${bench} not built" >&2; exit 2; }
# shellcheck source=bench/lib/cluster.sh
source "${root}/bench/lib/cluster.sh"
start_throwaway_cluster
dsn="$("${cluster[@]}" env)"
shop="${root}/testdata/workloads/shop"
sql() { "${psql_bin}" -X -q -At -v ON_ERROR_STOP=1 -d "${dsn}" -c "$1"; }

# The workload's own statements only: not the reset, not dbadvise's EXPLAINs.
total_ms() {
    sql "SELECT round(sum(total_exec_time)::numeric, 1) FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '/* dbadvise */%'"
}

"${shop}/load" "${dsn}"
"${shop}/drive" "${dsn}"
before="$(total_ms)"

mapfile -t recommended < <("${bench}" "${dsn}" | grep -o 'CREATE INDEX CONCURRENTLY .*' | sed 's/  -- .*//')
echo "recommended (${#recommended[@]}):"
names=()
for statement in "${recommended[@]}"; do
    echo "  ${statement}"
    sql "${statement}"
    names+=("$(awk '{print $4}' <<<"${statement}")")
done
sql "ANALYZE"
"${shop}/drive" "${dsn}"
after="$(total_ms)"

for name in "${names[@]}"; do
    sql "DROP INDEX ${name}"
done
readonly ideal=(
    "CREATE INDEX ideal_orders_customer_created ON orders (customer_id, created_at)"
    "CREATE INDEX ideal_order_items_order ON order_items (order_id)"
    "CREATE INDEX ideal_customers_lower_email ON customers (lower(email))"
    "CREATE INDEX ideal_orders_created ON orders (created_at)"
)
for statement in "${ideal[@]}"; do
    sql "${statement}"
done
sql "ANALYZE"
"${shop}/drive" "${dsn}"
ideal_ms="$(total_ms)"

printf 'total execution time (pg_stat_statements, ms): before %s, with recommended indexes %s, with ideal indexes %s\n' \
    "${before}" "${after}" "${ideal_ms}"
