# shellcheck shell=bash
# The throwaway PostgreSQL server of the end-to-end benchmarks (fleet_bench.sh,
# pgss_footprint.sh, shop_quality.sh), sourced after `root` (the checkout) is set:
#   source "${root}/bench/lib/cluster.sh"
#   start_throwaway_cluster            # sets work, state, cluster and psql_bin
#   dsn="$("${cluster[@]}" env DBNAME)"
# tests/pg/cluster runs it with a state file of its own under a fresh temporary directory
# `work`, so it never touches the test suite's server; the EXIT trap stops it and removes
# `work`. tpcds_quality.sh keeps its own (its work directory may outlive the run).

psql_bin=psql
command -v psql >/dev/null || psql_bin=/usr/lib/postgresql/15/bin/psql

start_throwaway_cluster() {
    work="$(mktemp -d)"
    state="${work}/cluster.state"
    cluster=("${root}/tests/pg/cluster" --state "${state}")
    trap '"${cluster[@]}" stop >/dev/null 2>&1 || true; rm -rf "${work}"' EXIT
    "${cluster[@]}" start >/dev/null
}
