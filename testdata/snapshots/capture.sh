#!/usr/bin/env bash
# Regenerates the shop snapshots in this directory from a throwaway PostgreSQL 15 with the
# shop workload (testdata/workloads/shop), for analyze's golden tests (tests/golden.cmake):
#
#   shop.json.gz            dbadvise snapshot --top 20
#   shop_no_values.json.gz  dbadvise snapshot --top 20 --no-values
#   shop_before.json.gz     every statement, after the shop workload ran once
#   shop_after.json.gz      every statement, after part of it ran again, one statement's
#                           entry was reset and a new statement ran: the window's golden case
#
# Usage: testdata/snapshots/capture.sh [DBADVISE]     (default: build/dbadvise)
# Starts its own server (its own state file, so other test servers are left alone), loads
# and drives the workload (~40 s), takes the snapshots and stops the server. Then rewrite
# the expected outputs: DBADVISE_UPDATE_GOLDEN=1 ctest -R golden.analyze
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
dbadvise="${1:-${root}/build/dbadvise}"
[[ -x "${dbadvise}" ]] || { echo "capture.sh: ${dbadvise} is not built" >&2; exit 1; }
bin_dir=""
if ! command -v pgbench >/dev/null && [[ -x /usr/lib/postgresql/15/bin/pgbench ]]; then
    bin_dir=/usr/lib/postgresql/15/bin/
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/dbadvise-capture.XXXXXX")"
export DBADVISE_PG_STATE="${work}/cluster.state"
cleanup() {
    "${root}/tests/pg/cluster" stop >/dev/null 2>&1 || true
    rm -rf "${work}"
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

"${root}/tests/pg/cluster" start >/dev/null
dsn="$("${root}/tests/pg/cluster" env shop)"
"${root}/testdata/workloads/shop/load" "${dsn}"
"${root}/testdata/workloads/shop/drive" "${dsn}"

snapshot() { "${dbadvise}" snapshot --dsn "${dsn}" "$@" 2>/dev/null; }
snapshot --top 20 -o "${here}/shop.json.gz"
snapshot --top 20 --no-values -o "${here}/shop_no_values.json.gz"
snapshot -o "${here}/shop_before.json.gz"

# The window: part of the workload again, one entry reset (it comes back with fewer calls
# than before), and a statement that was not there before.
drive_part() {
    "${bin_dir}pgbench" -n -c 2 -j 2 -t "$2" --random-seed=7 -f "${root}/testdata/workloads/shop/driver/$1.sql" \
        "${dsn}" >/dev/null 2>&1
}
drive_part customer_orders 40
drive_part order_items_by_order 20
drive_part order_by_id 200
drive_part update_order 50
"${bin_dir}psql" -X -q -v ON_ERROR_STOP=1 -d "${dsn}" -c \
    "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), queryid)
       FROM pg_stat_statements WHERE query LIKE 'SELECT id, sku, name, category, price FROM products WHERE id =%'" >/dev/null
drive_part product_by_id 10
"${bin_dir}psql" -X -q -v ON_ERROR_STOP=1 -d "${dsn}" \
    -c "SELECT count(*) FROM orders WHERE status = 'shipped' AND total > 900" >/dev/null
snapshot -o "${here}/shop_after.json.gz"
ls -l "${here}"/*.json.gz
