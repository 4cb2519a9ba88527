#!/usr/bin/env python3
"""Runs the examples of the documentation and compares their output with what the page shows.

An example is a fenced code block whose first line is a shell command after "$ " (run with
bash from the repository's root, with the dbadvise under test first on PATH, COLUMNS unset
and standard output not a terminal, as a reader who pipes it would see it); the rest of the
block is its expected standard output. Blocks without a "$ " first line are prose and are not
run. With DBADVISE_UPDATE_GOLDEN=1 the pages are rewritten with the output of this build.

    doc_examples.py DBADVISE SOURCE_DIR PAGE.md...
"""
import os
import re
import subprocess
import sys

FENCE = re.compile(r"^(```+)([a-z]*)\n\$ ([^\n]+)\n(.*?)^\1\n", re.M | re.S)


def run(dbadvise, source_dir, command):
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    env["NO_COLOR"] = "1"
    env["PATH"] = os.path.dirname(os.path.abspath(dbadvise)) + os.pathsep + env.get("PATH", "")
    done = subprocess.run(["bash", "-c", command], cwd=source_dir, env=env, capture_output=True,
                          text=True, timeout=120)
    return done.stdout, done.returncode, done.stderr


def main():
    dbadvise, source_dir, pages = sys.argv[1], sys.argv[2], sys.argv[3:]
    update = os.environ.get("DBADVISE_UPDATE_GOLDEN") == "1"
    failures = []
    examples = 0
    for page in pages:
        path = os.path.join(source_dir, page)
        text = open(path, encoding="utf-8").read()
        out = []
        at = 0
        for match in FENCE.finditer(text):
            fence, language, command, shown = match.groups()
            examples += 1
            actual, code, err = run(dbadvise, source_dir, command)
            if code not in (0, 1):
                failures.append(f"{page}: `{command}` exited with {code}: {err.strip()}")
            if actual != shown:
                if update:
                    out.append(text[at:match.start()])
                    out.append(f"{fence}{language}\n$ {command}\n{actual}{fence}\n")
                    at = match.end()
                    continue
                shown_lines, actual_lines = shown.splitlines(), actual.splitlines()
                first = next((i for i, (a, b) in enumerate(zip(shown_lines, actual_lines)) if a != b),
                             min(len(shown_lines), len(actual_lines)))
                failures.append(
                    f"{page}: the output of `{command}` differs from the page at line {first + 1} of the "
                    f"example:\n  page: {shown_lines[first] if first < len(shown_lines) else '(end)'!r}\n"
                    f"  run:  {actual_lines[first] if first < len(actual_lines) else '(end)'!r}\n"
                    f"  (DBADVISE_UPDATE_GOLDEN=1 ctest -R doc_examples rewrites the page)")
        if update and out:
            out.append(text[at:])
            open(path, "w", encoding="utf-8").write("".join(out))
            print(f"updated {page}")
    if examples == 0:
        failures.append("no example found: a block starts with its command after '$ '")
    if failures:
        print("\n".join(f"FAIL: {f}" for f in failures))
        sys.exit(1)
    print(f"ok: {examples} examples in {len(pages)} pages give the output shown")


if __name__ == "__main__":
    main()
