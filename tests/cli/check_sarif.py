#!/usr/bin/env python3
"""Validates dbadvise SARIF logs with two real validators and against the JSON report of the
same run:

- the SARIF 2.1.0 JSON Schema (the copy the SARIF multitool's npm package ships) with
  python3-jsonschema;
- the SARIF multitool's `validate` (the OASIS/Microsoft SDK validator: schema and the SARIF
  rules); any result at level error fails, warnings are printed;
- every finding of the JSON report is a result with the same rule, level, id (as
  partialFingerprints["dbadvise/v1"]), file, line and column; ruleIndex points at its rule,
  which carries help text and a helpUri to docs/rules.md.

    check_sarif.py TOOLS_DIR (LOG.sarif REPORT.json)...
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema

LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def main():
    tools = sys.argv[1]
    pairs = list(zip(sys.argv[2::2], sys.argv[3::2]))
    package = os.path.join(tools, "node_modules", "@microsoft", "sarif-multitool-linux")
    schema_path = os.path.join(package, "sarif-2.1.0.json")
    multitool = os.path.join(package, "Sarif.Multitool")
    for path in (schema_path, multitool):
        if not os.path.exists(path):
            sys.exit(f"FAIL: {path} is missing: scripts/test installs the test tools "
                     "(or: source scripts/lib/common.sh; ensure_test_tools build/test-tools)")
    schema = json.load(open(schema_path, encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    failures = []
    results = 0
    for log_path, report_path in pairs:
        log = json.load(open(log_path, encoding="utf-8"))
        report = json.load(open(report_path, encoding="utf-8"))
        for error in validator.iter_errors(log):
            failures.append(f"{log_path}: schema: {'/'.join(map(str, error.absolute_path))}: {error.message}")
        run = log["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        for rule in rules:
            anchor = f"rules.md#{rule['id']}"
            if not rule.get("help", {}).get("text") or anchor not in rule["help"].get("markdown", ""):
                failures.append(f"{log_path}: rule {rule['id']} lacks help text or the link to {anchor}")
            if rule.get("properties", {}).get("help_path") != f"docs/{anchor}":
                failures.append(f"{log_path}: rule {rule['id']} lacks properties.help_path")
            if "helpUri" in rule and not (re.match(r"^[a-z]+://", rule["helpUri"]) and rule["helpUri"].endswith(anchor)):
                failures.append(f"{log_path}: rule {rule['id']} has helpUri {rule['helpUri']!r}")
        sarif_results = run["results"]
        results += len(sarif_results)
        if len(sarif_results) != len(report["findings"]):
            failures.append(f"{log_path}: {len(sarif_results)} results, the JSON report has {len(report['findings'])} findings")
        for result, finding in zip(sarif_results, report["findings"]):
            where = f"{log_path}: {finding['rule']} {finding['id']}"
            if result["ruleId"] != finding["rule"] or rules[result["ruleIndex"]]["id"] != finding["rule"]:
                failures.append(f"{where}: ruleId/ruleIndex do not name the finding's rule")
            if result["level"] != LEVELS[finding["severity"]]:
                failures.append(f"{where}: level {result['level']} for severity {finding['severity']}")
            if result["partialFingerprints"].get("dbadvise/v1") != finding["id"]:
                failures.append(f"{where}: partialFingerprints do not hold the finding's id")
            location = finding.get("location", {})
            if location.get("file") and location["file"] != "-":
                physical = result["locations"][0].get("physicalLocation", {})
                region = physical.get("region", {})
                if region.get("startLine") != location.get("line") or region.get("startColumn") != location.get("column"):
                    failures.append(f"{where}: region {region} differs from {location}")
            if finding.get("object") and not any(
                    l.get("kind") == finding["object"]["kind"]
                    for loc in result.get("locations", []) for l in loc.get("logicalLocations", [])):
                failures.append(f"{where}: no logical location for the {finding['object']['kind']}")
        with tempfile.TemporaryDirectory() as work:
            out = os.path.join(work, "validation.sarif")
            subprocess.run([multitool, "validate", "--json-schema", schema_path, "--output", out, log_path],
                           capture_output=True, text=True,
                           env={**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"})
            if not os.path.exists(out):
                failures.append(f"{log_path}: the multitool wrote no validation log")
                continue
            validation = json.load(open(out, encoding="utf-8-sig"))
            for run_ in validation.get("runs", []):
                for r in run_.get("results", []):
                    text = r.get("message", {}).get("text") or json.dumps(r.get("message"))
                    line = f"{log_path}: multitool {r.get('ruleId')} {r.get('level', 'warning')}: {text}"
                    if r.get("level") == "error":
                        failures.append(line)
                    else:
                        print(f"note: {line}")
    if failures:
        print("\n".join(f"FAIL: {f}" for f in failures))
        sys.exit(1)
    if results == 0:
        sys.exit("FAIL: the logs hold no results; nothing was validated")
    print(f"ok: {len(pairs)} SARIF logs with {results} results pass the schema, the multitool and match the JSON reports")


if __name__ == "__main__":
    main()
