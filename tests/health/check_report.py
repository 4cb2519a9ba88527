#!/usr/bin/env python3
"""Checks a `dbadvise analyze --format json` report read from standard input.

    check_report.py [--section TITLE]... [--finding SPEC]... [--no-finding SPEC]...

SPEC is a list of conditions joined by '&', all of which one finding must meet:
    path=value   the field equals value (dotted path: rule, severity, query.text, evidence.x)
    path~regex   the field, as text, matches the regular expression (Python re.search)
Exits 0 when every check holds, 1 with a message naming each failed check.
"""
import argparse
import json
import re
import sys


def field(finding, path):
    value = finding
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def matches(finding, spec):
    for condition in spec.split("&"):
        if "~" in condition and ("=" not in condition or condition.index("~") < condition.index("=")):
            path, pattern = condition.split("~", 1)
            value = field(finding, path)
            if value is None or not re.search(pattern, str(value)):
                return False
        else:
            path, expected = condition.split("=", 1)
            value = field(finding, path)
            if value is None or str(value) != expected:
                return False
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--section", action="append", default=[])
    parser.add_argument("--finding", action="append", default=[])
    parser.add_argument("--no-finding", action="append", default=[])
    args = parser.parse_args()
    text = sys.stdin.read()
    try:
        report = json.loads(text)
    except json.JSONDecodeError as error:
        print(f"check_report: standard input is not JSON: {error}\n{text[:2000]}")
        return 1
    failures = []
    titles = [section.get("title") for section in report.get("sections", [])]
    for title in args.section:
        if title not in titles:
            failures.append(f"no section titled {title!r} (sections: {titles})")
    findings = report.get("findings", [])
    for spec in args.finding:
        if not any(matches(finding, spec) for finding in findings):
            failures.append(f"no finding matches {spec!r}")
    for spec in args.no_finding:
        hits = [finding.get("rule") for finding in findings if matches(finding, spec)]
        if hits:
            failures.append(f"{len(hits)} finding(s) match {spec!r}, expected none")
    if failures:
        for failure in failures:
            print(f"FAIL: {failure}")
        rules = sorted({(f.get("rule"), f.get("subject", "")) for f in findings})
        print(f"findings present: {[rule for rule, _ in rules]}")
        return 1
    print(f"ok: {len(args.section)} section(s), {len(args.finding)} finding check(s), "
          f"{len(args.no_finding)} absence check(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
