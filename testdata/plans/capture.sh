#!/bin/sh
# Regenerates the captured plans in this directory from a throwaway PostgreSQL 15 server.
#
# For every <case>.sql here (except setup.sql), runs it with psql and stores the output as
# <case>.json when the case asks for FORMAT JSON (psql -A -t: the bare document) and as
# <case>.txt otherwise (psql's default aligned output, with header and footer, as a user
# would copy it). The server lives in a temporary directory, listens on a private Unix socket
# only, and is stopped and removed at the end. Run as root (the server runs as `postgres`
# through runuser) or as an ordinary user.
#
# Usage: testdata/plans/capture.sh [case...]     (default: every case; `pasted`, `auto_explain`
#        and `psql_session` make the directories of those names)
# Environment: PG_BIN (default: /usr/lib/postgresql/15/bin), PG_PORT (default: 54329).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
port=${PG_PORT:-54329}
work=$(mktemp -d)
run_as=""
if [ "$(id -u)" = 0 ]; then
    chown postgres "$work"
    run_as="runuser -u postgres --"
fi

cleanup() {
    $run_as "$pg_bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
# On a signal, exit through the EXIT trap so that the server is always stopped.
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

$run_as "$pg_bin/initdb" -D "$work/data" -A trust -U postgres --no-locale -E UTF8 >/dev/null
# Fixed settings so that the cases provoke what they are meant to: no autovacuum (readings
# must stay unvacuumed, events must keep stale statistics), shared_buffers that hold the
# prewarmed tables but not `big`.
cat >>"$work/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$work'
port = $port
shared_buffers = 64MB
autovacuum = off
max_worker_processes = 8
max_parallel_workers = 8
track_io_timing = on
fsync = off
CONF

start() { $run_as "$pg_bin/pg_ctl" -D "$work/data" -l "$work/log" -w start >/dev/null; }
stop() { $run_as "$pg_bin/pg_ctl" -D "$work/data" -w stop >/dev/null; }
psql_run() { $run_as "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$work" -p "$port" -U postgres -d postgres "$@"; }

start
psql_run -f - <"$here/setup.sql" >/dev/null
# Restart to empty shared buffers, then load everything but `big` into them so that only the
# low_cache_hit case reads from outside shared buffers.
stop
start
psql_run -c "CREATE EXTENSION pg_prewarm" -c "SELECT pg_prewarm(c.oid) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') AND c.relname NOT LIKE 'big%'" \
    >/dev/null

# Plans as people paste them (the case `pasted`, files in pasted/): one EXPLAIN in text format
# and one in JSON are run once and their rows kept in a table; psql then prints those same
# rows in every layout a user copies from a terminal (aligned, tuples only (-t), unaligned
# with its header and row count (-A), wrapped, expanded, borders 0 and 2, Unicode lines, CSV),
# plus the quoted rows that pgAdmin's and DBeaver's "copy with
# headers" give (each row in double quotes, quotes doubled inside). bare.txt and bare.json are
# the plans as EXPLAIN printed them (psql -A -t), which every other form must parse to.
capture_pasted() {
    out="$here/pasted"
    mkdir -p "$out"
    query="SELECT c.region_code, count(*) AS orders FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status <> ''écarté'' AND o.city LIKE ''city1%'' GROUP BY c.region_code ORDER BY 2 DESC LIMIT 5"
    psql_run >/dev/null <<SQL
CREATE FUNCTION pg_temp.plan_rows(query text) RETURNS SETOF text LANGUAGE plpgsql AS \$\$
DECLARE line text;
BEGIN
    FOR line IN EXECUTE query LOOP RETURN NEXT line; END LOOP;
END \$\$;
SET client_min_messages = warning;
DROP TABLE IF EXISTS pasted_plans;
CREATE TABLE pasted_plans (format text, n bigint, "QUERY PLAN" text);
INSERT INTO pasted_plans SELECT 'text', n, line
FROM pg_temp.plan_rows('EXPLAIN (ANALYZE, BUFFERS) $query') WITH ORDINALITY AS p(line, n);
INSERT INTO pasted_plans SELECT 'json', n, line
FROM pg_temp.plan_rows('EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) $query') WITH ORDINALITY AS p(line, n);
SQL
    for format in text json; do
        select="SELECT \"QUERY PLAN\" FROM pasted_plans WHERE format = '$format' ORDER BY n"
        ext=$([ $format = json ] && echo json || echo txt)
        psql_run -A -t -c "$select" >"$out/bare.$ext"
        psql_run -c "$select" >"$out/${format}_aligned.txt"
        psql_run -t -c "$select" >"$out/${format}_tuples_only.txt"
        psql_run -A -c "$select" >"$out/${format}_unaligned.txt"
        psql_run -c '\pset border 0' -c "$select" >"$out/${format}_border0.txt"
        psql_run -c '\pset border 2' -c "$select" >"$out/${format}_border2.txt"
        psql_run -c '\pset format wrapped' -c '\pset columns 44' -c "$select" >"$out/${format}_wrapped.txt"
        psql_run -c '\pset format wrapped' -c '\pset columns 44' -c '\pset border 0' -c "$select" \
            >"$out/${format}_wrapped_border0.txt"
        psql_run -c '\x' -c "$select" >"$out/${format}_expanded.txt"
        psql_run -c '\x' -c '\pset format wrapped' -c '\pset columns 44' -c "$select" \
            >"$out/${format}_expanded_wrapped.txt"
        psql_run -c '\x' -c '\pset border 2' -c "$select" >"$out/${format}_expanded_border2.txt"
        psql_run -c '\pset linestyle unicode' -c '\pset format wrapped' -c '\pset columns 44' \
            -c "$select" >"$out/${format}_unicode_wrapped.txt"
        psql_run -c '\pset linestyle unicode' -c '\pset border 2' -c "$select" \
            >"$out/${format}_unicode_border2.txt"
        psql_run -c '\x' -c '\pset linestyle unicode' -c "$select" >"$out/${format}_unicode_expanded.txt"
        psql_run -c '\pset linestyle unicode' -c '\pset border 2' -c '\pset unicode_border_linestyle double' \
            -c '\pset unicode_column_linestyle double' -c '\pset unicode_header_linestyle double' \
            -c "$select" >"$out/${format}_unicode_double_border2.txt"
        # EXPLAIN's lines under another column name, as a function that returns them gives.
        psql_run -c "SELECT \"QUERY PLAN\" AS plan_line FROM pasted_plans WHERE format = '$format' ORDER BY n" \
            >"$out/${format}_named_column.txt"
        # A script run with psql -a, which echoes its lines (a comment, a SET and its command
        # tag, the query) before the output.
        printf '%s\n' "-- the plan of the nightly report" "SET work_mem = '64MB';" "$select;" >"$work/echoed.sql"
        chmod a+r "$work/echoed.sql"
        $run_as "$pg_bin/psql" -X -a -v ON_ERROR_STOP=1 -h "$work" -p "$port" -U postgres -d postgres \
            -f "$work/echoed.sql" >"$out/${format}_echoed.txt"
        psql_run --csv -c "$select" >"$out/${format}_csv.txt"
        { echo '"QUERY PLAN"'
          psql_run -A -t -c "SELECT '\"' || replace(\"QUERY PLAN\", '\"', '\"\"') || '\"' FROM pasted_plans WHERE format = '$format' ORDER BY n"
        } >"$out/${format}_quoted_rows.txt"
    done
    # DBeaver's text copy of a result grid: each row padded to the widest, then `|`; a rule of
    # dashes ending in `+` under the header. (Made here as DBeaver prints it.)
    psql_run -A -t -c "WITH r AS (SELECT n, \"QUERY PLAN\" AS line FROM pasted_plans WHERE format = 'text'),
        w AS (SELECT max(length(line)) AS w FROM r)
        SELECT t FROM (SELECT 0 AS k, 0::bigint AS n, rpad('QUERY PLAN', w) || '|' AS t FROM w
                       UNION ALL SELECT 1, 0, repeat('-', w) || '+' FROM w
                       UNION ALL SELECT 2, n, rpad(line, w) || '|' FROM r, w) g ORDER BY k, n" \
        >"$out/text_grid_copy.txt"
    # EXPLAIN's own text under the comment it was pasted with.
    { echo "-- the plan of the nightly report"; echo; cat "$out/bare.txt"; } >"$out/text_after_comment.txt"
    psql_run -c "DROP TABLE pasted_plans" >/dev/null
    echo "captured pasted"
}

# Plans as auto_explain writes them to the server log (the case `auto_explain`, files in
# auto_explain/): the same query as `pasted`, run in a session that loads auto_explain with
# log_min_duration 0, in each log_format (text, json) with log_analyze on (and BUFFERS) and
# off. Each file is the log record as the stderr log holds it: the `LOG:  duration: ... plan:`
# line with its log_line_prefix (the default, '%m [%p] '), then the plan's lines, each after
# a tab. The query is spread over lines so that its text is too.
capture_auto_explain() {
    out="$here/auto_explain"
    mkdir -p "$out"
    query="SELECT c.region_code, count(*) AS orders
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.status <> 'écarté' AND o.city LIKE 'city1%'
GROUP BY c.region_code ORDER BY 2 DESC LIMIT 5"
    for format in text json; do
        for analyze in on off; do
            name="${format}_analyze_${analyze}"
            before=$(wc -c <"$work/log")
            psql_run >/dev/null <<SQL
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_format = $format;
SET auto_explain.log_analyze = $analyze;
SET auto_explain.log_buffers = $analyze;
$query;
SQL
            # The record: its first line, and the lines after it that start with a tab.
            tail -c +"$((before + 1))" "$work/log" |
                awk '/LOG:  duration: .* plan:$/ { keep = 1; print; next }
                     keep && /^\t/ { print; next }
                     { keep = 0 }' >"$out/$name.txt"
            [ -s "$out/$name.txt" ] || { echo "no auto_explain record for $name" >&2; exit 1; }
        done
    done
    echo "captured auto_explain"
}

# A psql session as a user copies it from the terminal (the case `psql_session`, files in
# psql_session/): psql runs interactively on a pseudo-terminal (script(1)) with the default
# prompts, the EXPLAIN typed over several lines (so `shop-#` continuation prompts show), its
# aligned output, the `(N rows)` footer and the next prompt. The terminal's carriage returns
# are dropped, as a copy from the terminal does.
capture_psql_session() {
    out="$here/psql_session"
    mkdir -p "$out"
    $run_as "$pg_bin/psql" -X -h "$work" -p "$port" -U postgres -d postgres \
        -c "DROP DATABASE IF EXISTS shop" -c "CREATE DATABASE shop TEMPLATE postgres" >/dev/null
    for format in text json; do
        options="ANALYZE, BUFFERS"
        [ $format = json ] && options="ANALYZE, BUFFERS, FORMAT JSON"
        printf '%s\n' "EXPLAIN ($options) SELECT c.region_code, count(*) AS orders" \
            "FROM orders o JOIN customers c ON c.id = o.customer_id" \
            "WHERE o.status <> 'écarté' AND o.city LIKE 'city1%'" \
            "GROUP BY c.region_code ORDER BY 2 DESC LIMIT 5;" '\q' >"$work/session.sql"
        chmod a+r "$work/session.sql"
        # -n: no readline, so the terminal echoes what is typed as it is. The lines are typed
        # one at a time, after psql has printed its prompt, so that echo and output interleave
        # as on a screen.
        while IFS= read -r line; do sleep 1; printf '%s\n' "$line"; done <"$work/session.sql" |
            $run_as script -q -e -c "PAGER= PSQL_HISTORY=/dev/null '$pg_bin/psql' -X -n -P pager=off \
                -h '$work' -p $port -U postgres -d shop" /dev/null |
            tr -d '\r' >"$out/${format}.txt"
    done
    # A custom prompt (%p: the backend's pid, %n: the user), typed the same way.
    printf '%s\n' "EXPLAIN (ANALYZE, BUFFERS) SELECT c.region_code, count(*) AS orders" \
        "FROM orders o JOIN customers c ON c.id = o.customer_id" \
        "WHERE o.status <> 'écarté' AND o.city LIKE 'city1%'" \
        "GROUP BY c.region_code ORDER BY 2 DESC LIMIT 5;" '\q' >"$work/session.sql"
    while IFS= read -r line; do sleep 1; printf '%s\n' "$line"; done <"$work/session.sql" |
        $run_as script -q -e -c "PAGER= PSQL_HISTORY=/dev/null '$pg_bin/psql' -X -n -P pager=off \
            -v 'PROMPT1=(%p)%n@%/%R%# ' -v 'PROMPT2=(%p)%n@%/%R%# ' \
            -h '$work' -p $port -U postgres -d shop" /dev/null |
        tr -d '\r' >"$out/text_custom_prompt.txt"
    $run_as "$pg_bin/psql" -X -h "$work" -p "$port" -U postgres -d postgres \
        -c "DROP DATABASE shop" >/dev/null
    echo "captured psql_session"
}

if [ $# -eq 0 ]; then
    set -- $(cd "$here" && ls *.sql | sed -e 's/\.sql$//' -e '/^setup$/d')
fi
for name in "$@"; do
    case $name in
    pasted) capture_pasted; continue ;;
    auto_explain) capture_auto_explain; continue ;;
    psql_session) capture_psql_session; continue ;;
    esac
    sql="$here/$name.sql"
    if grep -q 'FORMAT JSON' "$sql"; then
        psql_run -A -t -f - <"$sql" >"$here/$name.json"
    else
        psql_run -f - <"$sql" >"$here/$name.txt"
    fi
    echo "captured $name"
done
stop
