#!/usr/bin/env python3
"""The figures of bench/tpcds_quality.sh: reads how each statement ran, dbadvise's JSON
reports, and costs every recommended set with HypoPG hypothetical indexes on the live server.

The relative estimated workload cost of a set is the sum, over the statements, of the
planner's total cost (EXPLAIN (FORMAT JSON) of the dsqgen text, literals included) with the
set's indexes created by hypopg_create_index(), divided by the same sum without them; all in
one session, after hypopg_reset(). Two sums are printed: over the statements that completed
(the workload pg_stat_statements held, which dbadvise saw) and over every statement the
server can plan (timed-out ones included, which dbadvise never saw).

The relative estimated time weighs each completed statement by the time it took: the sum of
its measured milliseconds times its cost ratio (with the set / without), divided by the sum of
the milliseconds. It is the quantity dbadvise itself minimizes (measured time, scaled by the
planner's cost ratios), computed independently: a statement the planner overestimates (a high
cost that ran fast) counts for its real time, not its cost."""

import argparse
import json
import os
import subprocess
import sys
from collections import Counter


def run_psql(psql, dsn, script):
    """Runs a psql script in one session; returns its standard output."""
    # The costing is not workload: pg_stat_statements leaves this session out (set at connection,
    # so that not even a SET is recorded), and a later dbadvise run on the same server
    # (tpcds_quality.sh --keep) reads the workload alone.
    env = dict(os.environ, PGOPTIONS=(os.environ.get("PGOPTIONS", "") + " -c pg_stat_statements.track=none").strip())
    result = subprocess.run([psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=0", "-d", dsn],
                            input=script, capture_output=True, text=True, check=False, env=env)
    if result.returncode not in (0, 3):
        sys.exit(f"tpcds_report: psql failed: {result.stderr.strip()}")
    return result.stdout, result.stderr


def quote_literal(text):
    return "'" + text.replace("'", "''") + "'"


def explain_costs(psql, dsn, statements, indexes):
    """Total cost of each statement's plan with `indexes` (ON clauses) as hypothetical indexes.
    Returns ({name: cost}, [ON clauses HypoPG refused])."""
    lines = ["SELECT hypopg_reset();"]
    for i, on_clause in enumerate(indexes):
        lines.append(f"\\echo @@index {i}")
        lines.append(f"SELECT hypopg_create_index({quote_literal('CREATE INDEX ' + on_clause)}) IS NOT NULL;")
    for name, text in statements.items():
        lines.append(f"\\echo @@statement {name}")
        lines.append("EXPLAIN (FORMAT JSON) " + text.rstrip().rstrip(";") + ";")
    lines.append("\\echo @@end")
    out, _ = run_psql(psql, dsn, "\n".join(lines) + "\n")
    costs, created, current, body = {}, set(), None, []

    def close():
        if current is None:
            return
        kind, key = current
        text = "\n".join(body).strip()
        if kind == "index" and text == "t":
            created.add(int(key))
        elif kind == "statement" and text.startswith("["):
            costs[key] = json.loads(text)[0]["Plan"]["Total Cost"]

    for line in out.splitlines():
        if line.startswith("@@"):
            close()
            parts = line[2:].split(" ", 1)
            current, body = (parts[0], parts[1] if len(parts) > 1 else ""), []
        else:
            body.append(line)
    close()
    refused = [on for i, on in enumerate(indexes) if i not in created]
    return costs, refused


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--psql", required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--reports", required=True)
    parser.add_argument("--limits", required=True)
    parser.add_argument("--in-pgss", type=int, required=True)
    parser.add_argument("--describe", required=True)
    args = parser.parse_args()

    results = []
    with open(os.path.join(args.queries, "results.tsv"), encoding="utf-8") as f:
        for line in f:
            name, outcome, ms, message = (line.rstrip("\n").split("\t") + [""])[:4]
            results.append((name, outcome, int(ms), message))
    texts = {name: open(os.path.join(args.queries, name + ".sql"), encoding="utf-8").read()
             for name, *_ in results}
    outcomes = Counter(outcome for _, outcome, _, _ in results)
    completed = {name: texts[name] for name, outcome, _, _ in results if outcome == "ok"}
    measured_ms = {name: ms for name, _, ms, _ in results}

    print()
    print(f"== {args.describe}")
    print(f"workload: {len(results)} statements from 99 templates: {outcomes['ok']} completed, "
          f"{outcomes['timeout']} timed out, {outcomes['error']} failed; "
          f"{sum(ms for _, _, ms, _ in results) / 1000:.0f} s in all")
    for name, outcome, ms, message in results:
        if outcome != "ok":
            print(f"  {name}: {outcome} ({ms / 1000:.1f} s){': ' + message if outcome == 'error' else ''}")
    print(f"pg_stat_statements holds {args.in_pgss} statements of the workload "
          "(a statement that times out or fails is never recorded)")

    baseline, _ = explain_costs(args.psql, args.dsn, texts, [])
    unplannable = sorted(set(texts) - set(baseline))
    if unplannable:
        print(f"EXPLAIN failed without hypothetical indexes (left out of the sums): {', '.join(unplannable)}")

    total = sum(baseline.values())
    heaviest = sorted(baseline.items(), key=lambda item: -item[1])[:8]
    print("the heaviest statements by estimated cost without new indexes (share of the sum): " +
          ", ".join(f"{n} {c / total:.1%}{'' if n in completed else ' (not seen)'}" for n, c in heaviest))

    rows = []
    costs_with = {}
    for limit in args.limits.split(","):
        path = os.path.join(args.reports, f"max{limit}.json")
        with open(os.path.join(args.reports, f"max{limit}.run"), encoding="utf-8") as f:
            wall_ms, status = (int(x) for x in f.read().split())
        print()
        print(f"-- dbadvise analyze --max-indexes {limit}: exit {status}, {wall_ms / 1000:.1f} s")
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            print("   no report (see the .stderr file next to it)")
            rows.append((limit, None, wall_ms, None, None, None, None))
            continue
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        stats = report.get("stats", {})
        findings = report.get("findings", [])
        recommended = [f for f in findings if f.get("rule") == "missing-index"]
        not_planned = [f for f in findings if f.get("rule") == "statement-not-planned"]
        print(f"   stats: {json.dumps(stats)}")
        if report.get("partial"):
            print("   the run was partial")
        if report.get("index_advisor", {}).get("stopped_by"):
            print(f"   selection stopped by: {report['index_advisor']['stopped_by']}")
        candidates = report.get("index_advisor", {}).get("candidates", [])
        if candidates:
            by_status = Counter(c.get("status") for c in candidates)
            print(f"   candidates: {len(candidates)} ({', '.join(f'{k} {v}' for k, v in sorted(by_status.items()))})")
            # Per kind (single, composite, join-pair, include, partial, or-arm, ...): how many
            # were proposed and how many recommended.
            proposed = Counter(c.get("kind", "?") for c in candidates)
            chosen = Counter(c.get("kind", "?") for c in candidates if c.get("status") == "recommended")
            print("   by kind (recommended/proposed): " +
                  ", ".join(f"{k} {chosen.get(k, 0)}/{v}" for k, v in sorted(proposed.items())))
        for f in not_planned:
            evidence = f.get("evidence", {})
            query = " ".join(f.get("query", {}).get("text", "").split())
            print(f"   not planned ({evidence.get('cause', '?')}, SQLSTATE {evidence.get('sqlstate', '?')}): "
                  f"{f.get('message', '')}")
            print(f"      statement: {query[:300]}{'...' if len(query) > 300 else ''}")
        indexes = []
        for f in recommended:
            evidence = f.get("evidence", {})
            indexes.append(evidence["index"])
            impact = f.get("impact", {})
            flags = []
            if not evidence.get("verified", False):
                flags.append("unverified")
            if evidence.get("relies_on_early_exit"):
                flags.append("early exit")
            print(f"   {f.get('severity', '?'):7} {evidence['index']}  "
                  f"size {evidence.get('estimated_size', '?')}, helps {evidence.get('statements_helped', '?')} "
                  f"statement(s), cost {impact.get('cost_before', '?')} -> {impact.get('cost_after', '?')}"
                  f"{' (' + ', '.join(flags) + ')' if flags else ''}")
        with_set, refused = explain_costs(args.psql, args.dsn, texts, indexes)
        costs_with[limit] = with_set
        for on in refused:
            print(f"   HypoPG refused: {on}")

        def relative(names):
            names = [n for n in names if n in baseline and n in with_set]
            before = sum(baseline[n] for n in names)
            return sum(with_set[n] for n in names) / before if before else None

        rel_seen = relative(completed)
        rel_all = relative(texts)
        timed = [n for n in completed if n in baseline and n in with_set and baseline[n] > 0]
        time_before = sum(measured_ms[n] for n in timed)
        rel_time = (sum(measured_ms[n] * with_set[n] / baseline[n] for n in timed) / time_before
                    if time_before else None)
        improved = sorted(((with_set[n] / baseline[n], n) for n in completed if n in baseline and n in with_set
                           and baseline[n] > 0 and with_set[n] < baseline[n] * 0.95))
        if improved:
            print("   statements it makes >5% cheaper: " +
                  ", ".join(f"{n} {r:.2f}" for r, n in improved))
        rows.append((limit, stats, wall_ms, len(recommended), rel_seen, rel_all, rel_time))

    # Every statement's cost without and with each set, for a closer look.
    with open(os.path.join(args.reports, "costs.tsv"), "w", encoding="utf-8") as f:
        f.write("\t".join(["statement", "outcome", "without"] + [f"max{l}" for l in costs_with]) + "\n")
        for name, outcome, _, _ in results:
            f.write("\t".join([name, outcome, str(baseline.get(name, ""))] +
                               [str(c.get(name, "")) for c in costs_with.values()]) + "\n")

    print()
    print("== summary (relative cost: planner's total cost with the recommended set as hypothetical "
          "indexes / without; 'seen': the completed statements, 'all': every statement that plans; "
          "'time': the completed statements weighted by their measured time)")
    header = ("max-indexes", "in pgss", "planned", "not planned", "recommended", "wall s",
              "planner calls", "rel. cost seen", "rel. cost all", "rel. time")
    table = [header]
    for limit, stats, wall_ms, count, rel_seen, rel_all, rel_time in rows:
        if stats is None:
            table.append((limit, str(args.in_pgss), "-", "-", "-", f"{wall_ms / 1000:.1f}", "-", "-", "-", "-"))
            continue
        table.append((limit, str(stats.get("statements", "?")), str(stats.get("statements_planned", "?")),
                      str(stats.get("statements_not_planned", "?")), str(count), f"{wall_ms / 1000:.1f}",
                      str(stats.get("planner_calls", "?")),
                      f"{rel_seen:.3f}" if rel_seen is not None else "-",
                      f"{rel_all:.3f}" if rel_all is not None else "-",
                      f"{rel_time:.3f}" if rel_time is not None else "-"))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths)))


if __name__ == "__main__":
    main()
