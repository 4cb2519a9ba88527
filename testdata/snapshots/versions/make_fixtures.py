#!/usr/bin/env python3
"""Writes the hand-made snapshot fixtures of testdata/snapshots: one small snapshot per
PostgreSQL major version (12 to 17) with exactly the pg_stat_statements columns that version
has (pg_stat_statements 1.7 to 1.11), pairs of captures for windows, and bad inputs.

The workload is the same everywhere: an `accounts` table of 200,000 rows, a lookup by e-mail
(which an index on email would serve), a lookup by primary key, and an UPDATE. Counters are
set so that every version gives the same report, which the golden tests check.

Usage: testdata/snapshots/versions/make_fixtures.py   (rewrites the files; deterministic)
"""
import gzip
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

INT, FLOAT, NUM, TEXT, OID, BOOL, TS = ("bigint", "double precision", "numeric", "text", "oid",
                                        "boolean", "timestamp with time zone")

BLOCKS = [("shared_blks_hit", INT), ("shared_blks_read", INT), ("shared_blks_dirtied", INT),
          ("shared_blks_written", INT), ("local_blks_hit", INT), ("local_blks_read", INT),
          ("local_blks_dirtied", INT), ("local_blks_written", INT), ("temp_blks_read", INT),
          ("temp_blks_written", INT)]
PLANNING = [("plans", INT), ("total_plan_time", FLOAT), ("min_plan_time", FLOAT),
            ("max_plan_time", FLOAT), ("mean_plan_time", FLOAT), ("stddev_plan_time", FLOAT)]
EXEC = [("calls", INT), ("total_exec_time", FLOAT), ("min_exec_time", FLOAT),
        ("max_exec_time", FLOAT), ("mean_exec_time", FLOAT), ("stddev_exec_time", FLOAT)]
WAL = [("wal_records", INT), ("wal_fpi", INT), ("wal_bytes", NUM)]
JIT = [("jit_functions", INT), ("jit_generation_time", FLOAT), ("jit_inlining_count", INT),
       ("jit_inlining_time", FLOAT), ("jit_optimization_count", INT),
       ("jit_optimization_time", FLOAT), ("jit_emission_count", INT), ("jit_emission_time", FLOAT)]

# pg_stat_statements' columns, in the view's order, per server major version.
COLUMNS = {
    12: [("userid", OID), ("dbid", OID), ("queryid", INT), ("query", TEXT), ("calls", INT),
         ("total_time", FLOAT), ("min_time", FLOAT), ("max_time", FLOAT), ("mean_time", FLOAT),
         ("stddev_time", FLOAT), ("rows", INT)] + BLOCKS +
        [("blk_read_time", FLOAT), ("blk_write_time", FLOAT)],
    13: [("userid", OID), ("dbid", OID), ("queryid", INT), ("query", TEXT)] + PLANNING + EXEC +
        [("rows", INT)] + BLOCKS + [("blk_read_time", FLOAT), ("blk_write_time", FLOAT)] + WAL,
}
COLUMNS[14] = COLUMNS[13][:2] + [("toplevel", BOOL)] + COLUMNS[13][2:]
COLUMNS[15] = (COLUMNS[14][:COLUMNS[14].index(("blk_write_time", FLOAT)) + 1] +
               [("temp_blk_read_time", FLOAT), ("temp_blk_write_time", FLOAT)] + WAL + JIT)
COLUMNS[16] = COLUMNS[15]
# 17 renamed blk_read_time to shared_blk_read_time and added local block timings, JIT
# deform counters and the entry's creation time (stats_since).
COLUMNS[17] = (COLUMNS[14][:COLUMNS[14].index(("temp_blks_written", INT)) + 1] +
               [("shared_blk_read_time", FLOAT), ("shared_blk_write_time", FLOAT),
                ("local_blk_read_time", FLOAT), ("local_blk_write_time", FLOAT),
                ("temp_blk_read_time", FLOAT), ("temp_blk_write_time", FLOAT)] + WAL + JIT +
               [("jit_deform_count", INT), ("jit_deform_time", FLOAT), ("stats_since", TS),
                ("minmax_stats_since", TS)])

VERSIONS = {12: ("12.22", 120022, "1.7"), 13: ("13.18", 130018, "1.8"),
            14: ("14.15", 140015, "1.9"), 15: ("15.10", 150010, "1.10"),
            16: ("16.6", 160006, "1.10"), 17: ("17.2", 170002, "1.11")}

STATEMENTS = [
    # queryid, text, calls, total ms, rows, hit, read
    (-4211734501391251302, "SELECT id, email, created_at FROM accounts WHERE email = $1", 20000,
     48000.0, 20000, 400000, 1500000),
    (3385204618265023003, "SELECT id, email FROM accounts WHERE id = $1", 50000, 1500.0, 50000,
     200000, 100),
    (889146330711434577, "UPDATE accounts SET last_seen = now() WHERE id = $1", 5000, 900.0, 5000,
     25000, 40),
]


def row(version, columns, statement, scale=1.0, stats_since="2025-03-01 00:00:00+00"):
    queryid, text, calls, total, rows, hit, read = statement
    calls = int(calls * scale)
    total = total * scale
    mean = total / calls
    values = {
        "userid": 10, "dbid": 16384, "toplevel": True, "queryid": queryid, "query": text,
        "calls": calls, "rows": int(rows * scale), "shared_blks_hit": int(hit * scale),
        "shared_blks_read": int(read * scale), "plans": 0, "total_plan_time": 0.0,
        "stats_since": stats_since, "minmax_stats_since": stats_since, "wal_bytes": 0,
    }
    for prefix in ("", "exec_"):
        values["total_" + prefix + "time"] = total
        values["mean_" + prefix + "time"] = mean
        values["min_" + prefix + "time"] = mean / 2
        values["max_" + prefix + "time"] = mean * 4
        values["stddev_" + prefix + "time"] = mean / 3
    out = []
    for name, kind in columns:
        if name in values:
            out.append(values[name])
        elif kind == FLOAT:
            out.append(0.0)
        elif kind == INT:
            out.append(0)
        elif kind == NUM:
            out.append(0)
        else:
            out.append(None)
    return out


def snapshot(major, captured_at="2025-03-02 12:00:00+00", statements=STATEMENTS, scale=1.0,
             stats_since=None, dealloc=0, stats_reset="2025-03-01 00:00:00+00",
             system_identifier="7476543210987654321", top_level=None):
    version, version_num, extversion = VERSIONS[major]
    columns = COLUMNS[major]
    rows = []
    for statement in statements:
        since = (stats_since or {}).get(statement[0], "2025-03-01 00:00:00+00")
        rows.append(row(major, columns, statement, scale, since))
    doc = {
        "snapshot_version": 1,
        "tool": {"name": "dbadvise", "version": "0.1.0"},
        "captured_at": captured_at,
        "values_omitted": False,
        "statement_limit": 0,
        "server": {
            "version": version, "version_num": version_num,
            "system_identifier": system_identifier, "started_at": "2025-03-01 00:00:00+00",
            "database": "app", "database_oid": 16384, "search_path": ["public"],
            "hypopg_available": False,
            "settings": [
                {"name": "block_size", "value": "8192", "unit": "", "setting": "8192"},
                {"name": "pg_stat_statements.max", "value": "5000", "unit": "", "setting": "5000"},
                {"name": "random_page_cost", "value": "4", "unit": "", "setting": "4"},
                {"name": "shared_buffers", "value": "128MB", "unit": "8kB", "setting": "16384"},
                {"name": "track_activity_query_size", "value": "1kB", "unit": "B", "setting": "1024"},
                {"name": "track_io_timing", "value": "on", "unit": "", "setting": "on"},
                {"name": "work_mem", "value": "4MB", "unit": "kB", "setting": "4096"},
            ],
        },
        "database_stats": {"blks_hit": int(625000 * scale), "blks_read": int(1500140 * scale),
                           "size_bytes": 60000000, "temp_files": 0, "temp_bytes": 0,
                           "stats_reset": ""},
        "pg_stat_statements": {
            "version": extversion,
            "info": {"dealloc": dealloc, "stats_reset": stats_reset} if major >= 14 else None,
            "columns": [{"name": n, "type": t} for n, t in columns],
            "rows": rows,
        },
        "tables": [{
            "schema": "public", "name": "accounts", "kind": "r", "temporary": False,
            "is_partition": False, "reltuples": 200000.0, "relpages": 5000,
            "size_bytes": 40960000,
            "columns": [
                {"name": "id", "type": "bigint", "attnum": 1, "not_null": True},
                {"name": "email", "type": "text", "attnum": 2, "not_null": True},
                {"name": "created_at", "type": "timestamp with time zone", "attnum": 3, "not_null": True},
                {"name": "last_seen", "type": "timestamp with time zone", "attnum": 4, "not_null": False},
            ],
            "seq_scan": int(20000 * scale), "seq_tup_read": int(4000000000 * scale),
            "idx_scan": int(55000 * scale), "n_tup_ins": 200000, "n_tup_upd": int(5000 * scale),
            "n_tup_del": 0, "n_live_tup": 200000, "n_dead_tup": 1000, "n_mod_since_analyze": 5000,
            "ever_analyzed": True, "heap_blks_read": int(1500000 * scale),
            "heap_blks_hit": int(400000 * scale), "idx_blks_read": 140, "idx_blks_hit": int(225000 * scale),
        }],
        "indexes": [{
            "schema": "public", "name": "accounts_pkey", "table_schema": "public",
            "table": "accounts", "keys": ["id"], "descending": [False], "include": [],
            "predicate": "", "method": "btree",
            "definition": "CREATE UNIQUE INDEX accounts_pkey ON public.accounts USING btree (id)",
            "unique": True, "primary": True, "is_constraint": True, "valid": True,
            "partitioned": False, "size_bytes": 4505600, "idx_scan": int(55000 * scale),
            "idx_blks_hit": int(225000 * scale), "idx_blks_read": 140,
        }],
        "foreign_keys": [],
        "column_stats": [
            {"schema": "public", "table": "accounts", "column": "id", "null_frac": 0.0,
             "n_distinct": -1.0, "avg_width": 8, "correlation": 1.0, "most_common_freqs": [],
             "histogram_count": 3, "most_common_vals": [], "histogram_bounds": ["1", "100000", "200000"]},
            {"schema": "public", "table": "accounts", "column": "email", "null_frac": 0.0,
             "n_distinct": -1.0, "avg_width": 24, "correlation": 0.01, "most_common_freqs": [],
             "histogram_count": 3, "most_common_vals": [],
             "histogram_bounds": ["a0@example.com", "m5@example.com", "z9@example.com"]},
        ],
    }
    return doc


def write(path, doc, compress=False):
    text = json.dumps(doc, indent=1) + "\n"
    full = os.path.join(TOP, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    if compress:
        with open(full, "wb") as f:
            # mtime=0: the same bytes on every run.
            with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as z:
                z.write(text.encode())
    else:
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)


def main():
    for major in sorted(COLUMNS):
        write(f"versions/pg{major}.json", snapshot(major))
    empty = snapshot(15)
    empty["pg_stat_statements"]["rows"] = []
    write("versions/empty.json", empty)

    # Windows. PostgreSQL 17: an hour later the e-mail lookup ran 10% more, the UPDATE's
    # entry was evicted and came back (stats_since after the earlier capture), the primary-key
    # lookup did not run, and a new statement appeared.
    before = snapshot(17, captured_at="2025-03-02 12:00:00+00")
    new = (123456789, "SELECT count(*) FROM accounts WHERE created_at > $1", 10, 3000.0, 10, 10, 50000)
    grown = [(q, t, c, total, r, h, rd) for (q, t, c, total, r, h, rd) in STATEMENTS]
    after = snapshot(17, captured_at="2025-03-02 13:00:00+00",
                     statements=[grown[0], grown[1], (grown[2][0], grown[2][1], 50, 9.0, 50, 250, 0), new],
                     stats_since={grown[2][0]: "2025-03-02 12:30:00+00", new[0]: "2025-03-02 12:40:00+00"})
    a_rows = after["pg_stat_statements"]["rows"]
    cols = [c["name"] for c in after["pg_stat_statements"]["columns"]]
    first = a_rows[0]
    for name in ("calls", "rows", "shared_blks_hit", "shared_blks_read"):
        first[cols.index(name)] = int(first[cols.index(name)] * 1.1)
    first[cols.index("total_exec_time")] = 48000.0 + 9600.0
    first[cols.index("mean_exec_time")] = (48000.0 + 9600.0) / first[cols.index("calls")]
    after["database_stats"]["blks_hit"] += 40000
    after["database_stats"]["blks_read"] += 150000
    write("windows/pg17_before.json", before)
    write("windows/pg17_after.json.gz", after, compress=True)

    # PostgreSQL 14: the view was full and evicted entries (dealloc grew); the UPDATE is gone.
    evicted = snapshot(14, captured_at="2025-03-02 13:00:00+00", statements=STATEMENTS[:2], dealloc=250)
    names = [c["name"] for c in evicted["pg_stat_statements"]["columns"]]
    lookup = evicted["pg_stat_statements"]["rows"][0]
    for name, grown_by in (("calls", 3000), ("rows", 3000), ("total_exec_time", 7200.0),
                           ("shared_blks_read", 225000)):
        lookup[names.index(name)] += grown_by
    lookup[names.index("mean_exec_time")] = lookup[names.index("total_exec_time")] / lookup[names.index("calls")]
    write("windows/pg14_evicted.json", evicted)

    # Bad: pg_stat_statements reset as a whole after pg14.json was taken; another server.
    write("bad/pg14_reset.json",
          snapshot(14, captured_at="2025-03-02 13:00:00+00", stats_reset="2025-03-02 12:30:00+00"))
    write("bad/other_server.json",
          snapshot(14, captured_at="2025-03-02 13:00:00+00", system_identifier="7000000000000000001"))
    newer = snapshot(15)
    newer["snapshot_version"] = 2
    newer["tool"]["version"] = "9.4.0"
    write("bad/newer.json", newer)
    wrong = snapshot(15)
    wrong["tables"][0]["reltuples"] = "many"
    write("bad/wrong_type.json", wrong)
    text = json.dumps(snapshot(15), indent=1)
    with open(os.path.join(TOP, "bad/truncated.json"), "w", encoding="utf-8") as f:
        f.write(text[: len(text) * 2 // 3])
    with open(os.path.join(TOP, "bad/truncated.json.gz"), "wb") as f:
        f.write(gzip.compress(text.encode(), mtime=0)[:600])
    packed = bytearray(gzip.compress(text.encode(), mtime=0))
    for i in range(40, 80):
        packed[i] ^= 0x5A
    with open(os.path.join(TOP, "bad/corrupt.json.gz"), "wb") as f:
        f.write(bytes(packed))


if __name__ == "__main__":
    main()
