#!/usr/bin/env python3
"""docs/rules.md from the rule registry, and a check that the committed page is current.

    rules_doc.py DBADVISE DOC_PATH

Renders `DBADVISE rules --format json` as Markdown and compares it with DOC_PATH: exit 0 when
they are the same, 1 with a diff when not. With DBADVISE_UPDATE_GOLDEN=1 in the environment
it rewrites DOC_PATH instead. Each rule gets a section whose anchor is its id, which is what
the registry's help_path (docs/rules.md#<id>) points at.
"""
import difflib
import json
import os
import subprocess
import sys

CATEGORY_TITLES = [
    ("rewrite", "Query rewrites (lint, and analyze on the workload's statements)"),
    ("index", "Indexes (analyze)"),
    ("plan", "Plans and statistics"),
    ("cache", "Cache (analyze)"),
    ("schema", "Schema maintenance (analyze)"),
    ("config", "Configuration (analyze)"),
    ("application", "Application: batching and caching (analyze)"),
    ("connections", "Connections, transactions and locks (analyze)"),
    ("maintenance", "Maintenance: freezing, key ranges, vacuum and bloat (analyze)"),
    ("input", "Input"),
]


def render(catalogue):
    rules = catalogue["rules"]
    out = [
        "# Rules",
        "",
        "Every finding any dbadvise command reports is of one of these rules. The list is",
        "generated from the rule registry (`analyzer/rule_registry.cpp`) by",
        "`tests/cli/rules_doc.py`, and a test fails when it is out of date; `dbadvise rules`",
        "prints the same, and `dbadvise rules --format json` gives it to programs",
        "([rules.schema.json](rules.schema.json)).",
        "",
        "Each rule has a default severity. Where a command reports it at another severity, the",
        "rule says when; `--fail-on` compares the severity each finding has. The severities each",
        "command may report are part of the contract: a test runs every command on the test data",
        "and on a live server and fails on any finding whose rule, category or severity the",
        "registry does not list.",
        "",
        "| Rule | Category | Severity | Reported by |",
        "| --- | --- | --- | --- |",
    ]
    for rule in rules:
        out.append(f"| [{rule['id']}](#{rule['id']}) | {rule['category']} | {rule['severity']} "
                   f"| {rule['commands']} |")
    for category, title in CATEGORY_TITLES:
        members = [r for r in rules if r["category"] == category]
        if not members:
            continue
        out += ["", f"## {title}"]
        for rule in members:
            out += ["", f"### {rule['id']}", "", rule["summary"], "", rule["rationale"], "",
                    f"**What to do:** {rule['help']}", ""]
            severities = "; ".join(f"{command}: {', '.join(levels)}"
                                   for command, levels in rule["severities"].items())
            line = f"Category `{rule['category']}`, default severity `{rule['severity']}`"
            line += f" (reported by {severities})."
            if "severity_note" in rule:
                line += f" Severity: {rule['severity_note']}."
            out.append(line)
    known = {c for c, _ in CATEGORY_TITLES}
    stray = [r["id"] for r in rules if r["category"] not in known]
    if stray:
        sys.exit(f"rules_doc.py: no section for the category of {stray}")
    return "\n".join(out) + "\n"


def main():
    dbadvise, doc_path = sys.argv[1], sys.argv[2]
    catalogue = json.loads(subprocess.run([dbadvise, "rules", "--format", "json"], check=True,
                                          capture_output=True, text=True).stdout)
    text = render(catalogue)
    if os.environ.get("DBADVISE_UPDATE_GOLDEN") == "1":
        with open(doc_path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {doc_path}")
        return 0
    try:
        current = open(doc_path, encoding="utf-8").read()
    except OSError as error:
        print(f"FAIL: {error}; create it with DBADVISE_UPDATE_GOLDEN=1")
        return 1
    if current != text:
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                   doc_path, "generated"))
        print(f"FAIL: {doc_path} is out of date; rerun with DBADVISE_UPDATE_GOLDEN=1")
        return 1
    print(f"{doc_path} lists the {len(catalogue['rules'])} rules of the registry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
