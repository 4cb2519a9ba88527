#!/usr/bin/env bash
# Quality of the index advisor on TPC-DS, a public workload nobody here wrote, end to end on a
# throwaway server (on demand, never in CI: SF1 takes tens of minutes):
#
#   bench/tpcds_quality.sh KIT_DIR BUILD_DIR [options]
#
#   KIT_DIR     a checkout of https://github.com/gregrahn/tpcds-kit (read only: tools/ is
#               copied into the work directory and built there)
#   BUILD_DIR   a directory holding the dbadvise binary to measure
#
#   --scale SF              dsdgen's scale factor (default 1, about 1 GB of data; 0.1 or so
#                           for a quick run)
#   --seed N                dsqgen's random seed for the query parameters (default 19620718)
#   --timeout SECONDS       statement_timeout of each workload statement (default 30)
#   --max-indexes LIST      the --max-indexes values of the dbadvise runs (default 5,10,20)
#   --foreign-keys          also add the kit's foreign keys (tools/tpcds_ri.sql); without it
#                           only the primary keys of tools/tpcds.sql exist
#   --work DIR              keep the build, the data, the queries and the reports in DIR (a
#                           rerun with the same DIR and scale reuses the tools and the data);
#                           default: a temporary directory removed at the end
#   --keep                  leave the server running at the end (with --work only), for
#                           further runs of dbadvise on the same workload; the script prints
#                           the connection string and the command that stops it
#
# Steps:
# 1. builds dsdgen and dsqgen from the kit's tools/ with gcc (Makefile.suite, OS=LINUX;
#    -fcommon on the make command line: the kit defines globals in headers, which gcc 10 and
#    later reject by default);
# 2. starts tests/pg/cluster with its own state file, creates the kit's schema
#    (tools/tpcds.sql) in a database `tpcds`, loads dsdgen's data in one stream (\copy, the
#    trailing `|` of each row removed), then adds the primary keys tpcds.sql declares (taken
#    off during the load) and runs ANALYZE;
# 3. generates the 99 queries with dsqgen (dialect netezza: `limit N` at the end; its
#    `date + 30 days` arithmetic is rewritten to `+ interval '30 days'`, which PostgreSQL
#    accepts), splits them into statements, resets pg_stat_statements and runs each
#    statement once under the statement timeout, counting timeouts and errors (PostgreSQL
#    records only statements that complete, so the advisor never sees a timed-out one);
# 4. runs `dbadvise analyze --format json --top ALL` for each --max-indexes value and prints,
#    per run: statements in pg_stat_statements, statements planned and not planned (with the
#    causes of the statement-not-planned findings), recommendations, wall time, planner calls,
#    and the relative estimated workload cost of the recommended set.
#
# The relative cost is computed here, independently of dbadvise's own figures: for every
# statement that completed, EXPLAIN (FORMAT JSON) of its dsqgen text (with its literals) with
# and without the recommended indexes as HypoPG hypothetical indexes, in one session; the
# figure is the sum of the total costs with the set divided by the sum without. It covers the
# statements that completed (the workload dbadvise saw), each counted once, as each ran once.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${root}/scripts/lib/common.sh"

usage() {
    sed -n '5,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[[ $# -ge 2 ]] || usage
kit="$(cd "$1" && pwd)" || usage
build="$(cd "$2" && pwd)" || usage
shift 2
scale=1
seed=19620718
timeout=30
max_indexes=5,10,20
foreign_keys=0
work=""
keep=0
while [[ $# -gt 0 ]]; do
    case "$1" in
    --scale) scale="${2:?--scale needs a value}"; shift 2 ;;
    --seed) seed="${2:?--seed needs a value}"; shift 2 ;;
    --timeout) timeout="${2:?--timeout needs a value}"; shift 2 ;;
    --max-indexes) max_indexes="${2:?--max-indexes needs a value}"; shift 2 ;;
    --foreign-keys) foreign_keys=1; shift ;;
    --work) work="${2:?--work needs a directory}"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) usage ;;
    *) echo "tpcds_quality: unknown option $1" >&2; usage ;;
    esac
done
[[ "${scale}" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "tpcds_quality: --scale must be a number" >&2; exit 2; }
[[ "${seed}" =~ ^[0-9]+$ ]] || { echo "tpcds_quality: --seed must be a number" >&2; exit 2; }
[[ "${timeout}" =~ ^[0-9]+$ && "${timeout}" -gt 0 ]] || { echo "tpcds_quality: --timeout must be a positive number of seconds" >&2; exit 2; }
[[ ${keep} -eq 0 || -n "${work}" ]] || { echo "tpcds_quality: --keep needs --work (the server lives in it)" >&2; exit 2; }
[[ "${max_indexes}" =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "tpcds_quality: --max-indexes must be a list like 5,10,20" >&2; exit 2; }
dbadvise="${build}/dbadvise"
[[ -x "${dbadvise}" ]] || { echo "tpcds_quality: ${dbadvise} is not an executable" >&2; exit 2; }
for f in tools/Makefile.suite tools/tpcds.sql tools/tpcds_ri.sql query_templates/templates.lst query_templates/netezza.tpl; do
    [[ -f "${kit}/${f}" ]] || { echo "tpcds_quality: ${kit} is not a tpcds-kit checkout (no ${f})" >&2; exit 2; }
done

# The kit's build needs a C compiler, make, lex and yacc; the server the cluster script needs.
# shellcheck disable=SC2034 # read by ensure_packages
dbadvise_packages=(gcc make flex bison python3 postgresql-15 postgresql-contrib postgresql-15-hypopg)
ensure_packages
psql_bin=psql
command -v psql >/dev/null || psql_bin=/usr/lib/postgresql/15/bin/psql

if [[ -z "${work}" ]]; then
    work="$(mktemp -d)"
    remove_work=1
else
    mkdir -p "${work}"
    work="$(cd "${work}" && pwd)"
    remove_work=0
fi
state="${work}/cluster.state"
cluster=("${root}/tests/pg/cluster" --state "${state}")
cleanup() {
    if ((keep)) && [[ -f "${state}" ]]; then
        log "server kept: ${cluster[*]} env tpcds; stop it with: ${cluster[*]} stop"
    elif [[ -f "${state}" ]]; then "${cluster[@]}" stop >/dev/null 2>&1 || true; fi
    if ((remove_work)); then rm -rf "${work}"; fi
}
trap cleanup EXIT

started=${SECONDS}
step() { log "$(printf '[%4ds] %s' $((SECONDS - started)) "$*")"; }

# 1. dsdgen and dsqgen, built in a copy of tools/ so that the checkout stays as it is.
tools="${work}/tools"
if [[ ! -x "${tools}/dsdgen" || ! -x "${tools}/dsqgen" ]]; then
    step "building dsdgen and dsqgen (log: ${tools}/build.log)"
    rm -rf "${tools}"
    cp -R "${kit}/tools" "${tools}"
    if ! make -C "${tools}" -f Makefile.suite OS=LINUX CC=gcc LINUX_CC=gcc \
        LINUX_CFLAGS="-O2 -fcommon -Wno-format-overflow" dsdgen dsqgen >"${tools}/build.log" 2>&1; then
        tail -20 "${tools}/build.log" >&2
        echo "tpcds_quality: building the kit's tools failed" >&2
        exit 1
    fi
fi

# dsdgen's data for this scale, generated once per work directory.
data="${work}/data-sf${scale}"
if [[ ! -f "${data}/.complete" ]]; then
    step "generating SF${scale} data with dsdgen (one process)"
    rm -rf "${data}"
    mkdir -p "${data}"
    # dsdgen reads its distributions (tpcds.idx) from the current directory.
    (cd "${tools}" && ./dsdgen -SCALE "${scale}" -DIR "${data}" -FORCE Y -QUIET Y) >"${data}/dsdgen.log" 2>&1 ||
        { cat "${data}/dsdgen.log" >&2; echo "tpcds_quality: dsdgen failed" >&2; exit 1; }
    touch "${data}/.complete"
fi

# 2. The server and the schema.
step "starting a throwaway server"
"${cluster[@]}" start >/dev/null
# The cluster's own database (`shop`, with pg_stat_statements) serves for administration, so
# that the reset and the count below are recorded there and not in the workload of `tpcds`.
admin_dsn="$("${cluster[@]}" env shop)"
admin() { "${psql_bin}" -X -q -At -v ON_ERROR_STOP=1 -d "${admin_dsn}" "$@"; }
dsn="$("${cluster[@]}" env tpcds)"
admin -c "CREATE DATABASE tpcds" >/dev/null
sql() { "${psql_bin}" -X -q -At -v ON_ERROR_STOP=1 -d "${dsn}" "$@"; }
sql -c "CREATE EXTENSION pg_stat_statements" -c "CREATE EXTENSION hypopg" >/dev/null
# The cluster is tuned for the small shop tests (work_mem 4MB, effective_cache_size 64MB);
# an analytic database of a few GB gets settings closer to a real server's. They apply to
# every session of this database, dbadvise's planning sessions included.
sql -c "ALTER DATABASE tpcds SET work_mem = '64MB'" \
    -c "ALTER DATABASE tpcds SET effective_cache_size = '4GB'" >/dev/null

step "creating the schema (tools/tpcds.sql) and loading the data"
sql -f "${kit}/tools/tpcds.sql" >/dev/null
# The primary keys are built after the load (faster than maintaining them row by row): their
# definitions are read back from the catalog, dropped, and added again below.
sql -F $'\t' -c "SELECT conrelid::regclass, conname, pg_get_constraintdef(oid) FROM pg_constraint
                 WHERE contype = 'p' AND connamespace = 'public'::regnamespace ORDER BY 1" >"${work}/primary_keys.tsv"
while IFS=$'\t' read -r table name _; do
    sql -c "ALTER TABLE ${table} DROP CONSTRAINT ${name}"
done <"${work}/primary_keys.tsv"

mapfile -t tables < <(sql -c "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1")
for table in "${tables[@]}"; do
    file="${data}/${table}.dat"
    [[ -f "${file}" ]] || { echo "tpcds_quality: dsdgen wrote no ${file}" >&2; exit 1; }
    # dsdgen writes UTF-8 in this kit (country names such as RÉUNION); older kits wrote Latin-1.
    encoding=UTF8
    iconv -f UTF-8 -t UTF-8 "${file}" >/dev/null 2>&1 || encoding=LATIN1
    # Every row ends with the delimiter, which COPY would read as one more column.
    sed 's/|$//' "${file}" |
        sql -c "\\copy ${table} FROM pstdin WITH (FORMAT text, DELIMITER '|', NULL '', ENCODING '${encoding}')"
done

step "adding the primary keys"
while IFS=$'\t' read -r table name definition; do
    sql -c "ALTER TABLE ${table} ADD CONSTRAINT ${name} ${definition}"
done <"${work}/primary_keys.tsv"
keys_description="primary keys of tools/tpcds.sql"
if ((foreign_keys)); then
    step "adding the foreign keys (tools/tpcds_ri.sql)"
    sql -f "${kit}/tools/tpcds_ri.sql" >/dev/null
    keys_description+=" and foreign keys of tools/tpcds_ri.sql"
fi
step "ANALYZE"
sql -c "VACUUM ANALYZE" >/dev/null

# 3. The queries: one stream of the 99 templates, the order and the values from the seed.
queries="${work}/queries-sf${scale}-seed${seed}"
rm -rf "${queries}"
mkdir -p "${queries}"
step "generating the queries with dsqgen (seed ${seed})"
mkdir -p "${queries}/dsqgen"
(cd "${tools}" && ./dsqgen -DIRECTORY "${kit}/query_templates" -INPUT "${kit}/query_templates/templates.lst" \
    -DIALECT netezza -SCALE "${scale}" -RNGSEED "${seed}" -OUTPUT_DIR "${queries}/dsqgen" -QUIET Y) >"${queries}/dsqgen.log" 2>&1 ||
    { cat "${queries}/dsqgen.log" >&2; echo "tpcds_quality: dsqgen failed" >&2; exit 1; }
[[ -s "${queries}/dsqgen/query_0.sql" ]] || { echo "tpcds_quality: dsqgen wrote no query_0.sql" >&2; exit 1; }
# One file per statement, named after the template (query14.tpl has two statements: q14.1,
# q14.2). A statement ends with the line that ends with `;`; the kit's queries hold no `;`
# inside a literal.
python3 - "${queries}/dsqgen/query_0.sql" "${queries}" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
out = sys.argv[2]
blocks = re.findall(r"-- start query \d+ in stream \d+ using template query(\d+)\.tpl\n(.*?)-- end query", text, re.S)
if len(blocks) != 99:
    sys.exit(f"tpcds_quality: expected 99 queries in {sys.argv[1]}, found {len(blocks)}")
# `+ 30 days` is Netezza's date arithmetic; PostgreSQL needs an interval literal.
days = re.compile(r"([+-])\s*(\d+)\s+days\b")
# PostgreSQL before 16 requires an alias on a subquery in FROM (q2, q14, q23, q49 have none).
after_alias = re.compile(r"\s*(?:$|[),;]|(?:where|group|order|having|limit|union|intersect|except|on|join|inner|left|right|full|cross)\b)", re.I)
after_list_item = re.compile(r"\s*(?:$|;|(?:where|group|order|having|limit|union|intersect|except)\b)", re.I)
def alias_subqueries(sql):
    ends = []
    # After FROM or JOIN; after a comma only when WHERE or the end of the query follows (the
    # last item of a FROM list: q14), never inside a function's arguments.
    for m in re.finditer(r"(?:\b(?:from|join)|,)\s*\(", sql, re.I):
        depth, i = 0, m.end() - 1
        while i < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            if depth == 0:
                break
            i += 1
        follows = (after_list_item if m.group(0).startswith(",") else after_alias).match(sql, i + 1)
        if re.match(r"\s*select\b", sql[m.end():], re.I) and follows:
            ends.append(i + 1)
    for n, end in enumerate(sorted(ends, reverse=True), 1):
        sql = sql[:end] + f" as subquery_{n}" + sql[end:]
    return sql
count = 0
for template, body in blocks:
    statements, current = [], []
    for line in body.splitlines():
        if not current and not line.strip():
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current))
            current = []
    if any(l.strip() for l in current):
        statements.append("\n".join(current))
    for i, statement in enumerate(statements, 1):
        name = f"q{int(template):02d}" + (f".{i}" if len(statements) > 1 else "")
        statement = alias_subqueries(days.sub(lambda m: f"{m.group(1)} interval '{m.group(2)} days'", statement))
        with open(f"{out}/{name}.sql", "w", encoding="utf-8") as f:
            f.write(statement.rstrip().rstrip(";") + ";\n")
        count += 1
print(count)
PY
mapfile -t statement_files < <(find "${queries}" -maxdepth 1 -name 'q[0-9]*.sql' | sort)

step "running ${#statement_files[@]} statements once, statement_timeout ${timeout}s"
admin -c "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = 'tpcds'), 0)" >/dev/null
: >"${queries}/results.tsv"
for file in "${statement_files[@]}"; do
    name="$(basename "${file}" .sql)"
    begin=$(date +%s%N)
    # The timeout comes in the connection options, so that no SET statement joins the workload.
    if PGOPTIONS="-c statement_timeout=${timeout}s" sql -f "${file}" >/dev/null 2>"${queries}/${name}.err"; then
        outcome=ok
    elif grep -q "canceling statement due to statement timeout" "${queries}/${name}.err"; then
        outcome=timeout
    else
        outcome=error
    fi
    ms=$((($(date +%s%N) - begin) / 1000000))
    printf '%s\t%s\t%s\t%s\n' "${name}" "${outcome}" "${ms}" \
        "$(head -1 "${queries}/${name}.err" | sed 's/^psql:[^ ]* //')" >>"${queries}/results.tsv"
done

# 4. dbadvise, once per --max-indexes value. --top covers every statement pg_stat_statements holds.
in_pgss="$(admin -c "SELECT count(*) FROM pg_stat_statements
                     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'tpcds')")"
reports="${work}/reports"
mkdir -p "${reports}"
IFS=, read -r -a limits <<<"${max_indexes}"
for limit in "${limits[@]}"; do
    step "dbadvise analyze --max-indexes ${limit}"
    begin=$(date +%s%N)
    status=0
    "${dbadvise}" analyze --dsn "${dsn}" --format json --top 100000 --max-indexes "${limit}" \
        -o "${reports}/max${limit}.json" 2>"${reports}/max${limit}.stderr" || status=$?
    printf '%s\n%s\n' "$((($(date +%s%N) - begin) / 1000000))" "${status}" >"${reports}/max${limit}.run"
    # Exit 1 means findings at --fail-on's level (not used here); anything else is a failure.
    if ((status > 1)); then
        echo "tpcds_quality: dbadvise exited ${status} at --max-indexes ${limit}:" >&2
        cat "${reports}/max${limit}.stderr" >&2
    fi
done

# The advisor's own view of the same sets, when the build has it: bench/advisor_quality costs
# the normalized statements pg_stat_statements holds, with the advisor's parameter values.
quality=""
for candidate in "${build}/bench/advisor_quality" "${build}/advisor_quality"; do
    [[ -x "${candidate}" ]] && { quality="${candidate}"; break; }
done
if [[ -n "${quality}" ]]; then
    step "advisor_quality at --max-indexes ${max_indexes}"
    quality_args=()
    for limit in "${limits[@]}"; do quality_args+=(--max-indexes "${limit}"); done
    "${quality}" "${dsn}" "${quality_args[@]}" >"${reports}/advisor_quality.txt" 2>&1 ||
        echo "advisor_quality failed (exit $?)" >>"${reports}/advisor_quality.txt"
fi

step "costing the recommended sets with hypothetical indexes"
python3 "${root}/bench/tpcds_report.py" --psql "${psql_bin}" --dsn "${dsn}" --queries "${queries}" \
    --reports "${reports}" --limits "${max_indexes}" --in-pgss "${in_pgss}" \
    --describe "TPC-DS SF${scale}, seed ${seed}, statement_timeout ${timeout}s, ${keys_description}"
if [[ -n "${quality}" ]]; then
    echo
    echo "== ${quality##*/} (the advisor's own costing of the normalized statements):"
    cat "${reports}/advisor_quality.txt"
fi
step "done"
