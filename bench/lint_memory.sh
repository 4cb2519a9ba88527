#!/usr/bin/env bash
# Peak memory of `dbadvise lint` on large inputs, generated at run time in a scratch directory:
#   bench/lint_memory.sh BUILD_DIR [SCRIPT_MB] [FINDINGS_MB]
# 1. one statement with an IN list of 2,000,000 values (16 MB), followed by a small one;
# 2. a clean script of SCRIPT_MB megabytes (default 1024) of ten kinds of short statements
#    without findings: what reading the file costs (lint reads it in pieces);
# 3. a script of FINDINGS_MB megabytes (default 256; 0 skips it) of ten kinds of short
#    statements with five findings per ten statements (findings are kept until the report is
#    written, so memory grows with them: some 6 million findings per GB).
# Prints each input's size, the wall time, the peak RSS (GNU time's %M) and its ratio to the
# input size, and the finding counts.
set -euo pipefail
build="$(cd "${1:?usage: lint_memory.sh BUILD_DIR [SCRIPT_MB] [FINDINGS_MB]}" && pwd)"
script_mb=${2:-1024}
findings_mb=${3:-256}
dbadvise="${build}/dbadvise"
[[ -x "${dbadvise}" ]] || { echo "lint_memory: ${dbadvise} not built" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "lint_memory: needs GNU time (/usr/bin/time)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

python3 - "${work}/in_list.sql" <<'PY'
import sys
with open(sys.argv[1], "w") as out:
    out.write("SELECT * FROM t WHERE id IN (")
    out.write(",".join(str(1000000 + i) for i in range(2000000)))
    out.write(");\nSELECT id FROM t WHERE a = NULL;\n")
PY

python3 - "${work}/clean.sql" "${script_mb}" <<'PY'
import sys
statements = [
    "SELECT id, name FROM customers WHERE id = {0};\n",
    "INSERT INTO events (kind, at) VALUES ('click', now() - interval '{0} seconds');\n",
    "UPDATE orders SET status = 'shipped' WHERE id = {0} AND status = 'paid';\n",
    "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id > {0} ORDER BY o.id LIMIT 50;\n",
    "DELETE FROM sessions WHERE expires_at < now() - interval '{0} days';\n",
    "-- a comment between statements\nSELECT price FROM products WHERE id = {0};\n",
    "WITH recent AS (SELECT id FROM orders WHERE created_at > now() - interval '1 day') SELECT count(*) FROM recent WHERE id <> {0};\n",
    "SELECT name FROM customers WHERE email = 'user{0}@example.com';\n",
    "CREATE INDEX IF NOT EXISTS orders_customer_{0} ON orders (customer_id);\n",
    "SELECT $$dollar ; quoted$$ AS note, 'caf\u00e9' AS word FROM customers WHERE id = {0};\n",
]
target = int(sys.argv[2]) * 1024 * 1024
written = 0
i = 0
with open(sys.argv[1], "w", encoding="utf-8") as out:
    while written < target:
        block = "".join(s.format(i + k) for k, s in enumerate(statements))
        out.write(block)
        written += len(block.encode("utf-8"))
        i += len(statements)
PY

python3 - "${work}/script.sql" "${findings_mb}" <<'PY'
import sys
statements = [
    "SELECT id, name FROM customers WHERE id = {0};\n",
    "INSERT INTO events (kind, at) VALUES ('click', now() - interval '{0} seconds');\n",
    "UPDATE orders SET status = 'shipped' WHERE id = {0} AND status = 'paid';\n",
    "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id > {0} ORDER BY o.id LIMIT 50;\n",
    "SELECT count(*) FROM line_items WHERE order_id IN (SELECT id FROM orders WHERE customer_id = {0});\n",
    "DELETE FROM sessions WHERE expires_at < now() - interval '{0} days';\n",
    "SELECT * FROM products WHERE price = NULL OR id = {0};\n",  # two findings
    "WITH recent AS (SELECT id FROM orders WHERE created_at > now() - interval '1 day') SELECT count(*) FROM recent WHERE id <> {0};\n",
    "SELECT name FROM customers WHERE lower(email) = 'user{0}@example.com';\n",
    "CREATE INDEX IF NOT EXISTS orders_customer_{0} ON orders (customer_id);\n",
]
target = int(sys.argv[2]) * 1024 * 1024
written = 0
i = 0
with open(sys.argv[1], "w") as out:
    while written < target:
        block = "".join(s.format(i + k) for k, s in enumerate(statements))
        out.write(block)
        written += len(block)
        i += len(statements)
PY

run() {
    local name=$1 file=$2 size stats
    size=$(stat -c %s "${file}")
    # The JSON report, as CI reads it, to /dev/null; the text report's summary line after.
    /usr/bin/time -f '%e %M' -o "${work}/time" "${dbadvise}" lint --format json "${file}" \
        >/dev/null || true
    read -r seconds kb <"${work}/time"
    stats=$("${dbadvise}" lint "${file}" | tail -n 1 || true)
    python3 -c 'import sys; n,size,sec,kb,st=sys.argv[1:]; size=int(size); kb=int(kb)
print(f"{n}: input {size/1e6:.1f} MB, {sec} s, peak RSS {kb/1024:.0f} MB ({kb*1024/size:.1f}x the input); {st}")' \
        "${name}" "${size}" "${seconds}" "${kb}" "${stats}"
}

run "IN list of 2M values" "${work}/in_list.sql"
run "clean script" "${work}/clean.sql"
rm -f "${work}/clean.sql"
if ((findings_mb > 0)); then
    run "script with findings" "${work}/script.sql"
fi
