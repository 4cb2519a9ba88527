#!/usr/bin/env bash
# Lints PostgreSQL's own regression SQL (as libpg_query ships it, test/sql/postgres_regress and
# test/sql/plpgsql_regress) and compares every parse error with libpg_query's parser:
#   bench/pg_regress_lint.sh BUILD_DIR [LIBPG_QUERY]
# LIBPG_QUERY is a clone of https://github.com/pganalyze/libpg_query (a work tree or a bare
# git directory); without it the script clones it (shallow) into a scratch directory. The SQL
# is extracted outside the repository and removed afterwards.
# Prints: files where `dbadvise lint` crashed (exit status from a signal; must be none), then
# regress_parse's totals: statements, findings, parse errors and how many of them libpg_query
# shares. Exit status 1 on a crash or a mismatch.
set -euo pipefail
build="$(cd "${1:?usage: pg_regress_lint.sh BUILD_DIR [LIBPG_QUERY]}" && pwd)"
source_repo=${2:-}
dbadvise="${build}/dbadvise"
checker="${build}/bench/regress_parse"
for program in "${dbadvise}" "${checker}"; do
    [[ -x "${program}" ]] || { echo "pg_regress_lint: ${program} not built" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
if [[ -z ${source_repo} ]]; then
    git clone -q --depth 1 https://github.com/pganalyze/libpg_query "${work}/libpg_query"
    source_repo="${work}/libpg_query"
fi
if [[ -d ${source_repo}/test/sql ]]; then
    cp -r "${source_repo}/test" "${work}/"
else
    git --git-dir="${source_repo}" archive HEAD test/sql | tar -x -C "${work}"
fi
mapfile -t files < <(find "${work}/test/sql/postgres_regress" "${work}/test/sql/plpgsql_regress" \
                        -name '*.sql' | sort)
echo "files: ${#files[@]}"

crashes=0
for file in "${files[@]}"; do
    status=0
    "${dbadvise}" lint --format json "${file}" >/dev/null 2>"${work}/stderr" || status=$?
    # 0: clean, 1: findings, 2: usage; above 128 a signal, and anything above 2 is not ours.
    if ((status > 2)); then
        echo "CRASH (exit ${status}): ${file#"${work}"/}"
        sed -n 1,5p "${work}/stderr"
        crashes=$((crashes + 1))
    fi
done
echo "dbadvise lint crashes: ${crashes}"

status=0
(cd "${work}" && "${checker}" "${files[@]#"${work}"/}") || status=$?
((crashes == 0 && status == 0))
