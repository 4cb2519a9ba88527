#!/usr/bin/env python3
"""Renders a dbadvise Markdown report with cmark-gfm (GitHub's Markdown implementation, with
GitHub's extensions: tables, strikethrough, autolinks and the tag filter) and checks the HTML
it gives, next to the JSON report of the same run:

- one h2 heading, a summary table whose rows all have as many cells as its header;
- every finding of the JSON report (not in the baseline) has a collapsed <details> whose
  <summary> holds its title, and its suggested SQL is in a code block as it is;
- text from the database or input files stays text: no element but the ones the report makes
  (no <script>, <img>, <b> or <i> from a query), and the hostile strings given with --literal
  appear literally in the rendered text.

With --shortened BYTES the report must have been cut to fit BYTES (--markdown-limit): it is at
most that long, says "Shortened: N of M findings are not shown", and the findings it shows
plus those its groups say they leave out are all of the JSON report's (lint: no collapsed
groups).

    check_markdown.py REPORT.md REPORT.json [--exact-titles] [--literal TEXT]... [--shortened BYTES]
"""
import html
import json
import re
import subprocess
import sys
from html.parser import HTMLParser

ALLOWED = {"h2", "h3", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "details",
           "summary", "b", "code", "pre", "strong", "em", "blockquote", "sub", "br"}


class Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.stack = []
        self.text = []
        self.summaries = []
        self.codes = []
        self.tables = []
        self._summary = None
        self._code = None
        self._row = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.stack.append(tag)
        if tag == "summary":
            self._summary = []
        elif tag == "code" and "pre" in self.stack:
            self._code = []
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag):
        while self.stack and self.stack[-1] != tag:
            self.stack.pop()
        if self.stack:
            self.stack.pop()
        if tag == "summary" and self._summary is not None:
            self.summaries.append("".join(self._summary))
            self._summary = None
        elif tag == "code" and self._code is not None:
            self.codes.append("".join(self._code))
            self._code = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append([cell.strip() for cell in self._row])
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._summary is not None:
            self._summary.append(data)
        if self._code is not None:
            self._code.append(data)
        if self._row is not None and self._row:
            self._row[-1] += data


def main():
    markdown_path, json_path = sys.argv[1], sys.argv[2]
    literals = []
    exact_titles = False
    shortened = None
    args = sys.argv[3:]
    while args:
        if args[0] == "--literal":
            literals.append(args[1])
            args = args[2:]
        elif args[0] == "--shortened":
            shortened = int(args[1])
            args = args[2:]
        elif args[0] == "--exact-titles":
            exact_titles = True
            args = args[1:]
        else:
            sys.exit(f"unknown argument {args[0]}")
    markdown = open(markdown_path, encoding="utf-8").read()
    report = json.load(open(json_path, encoding="utf-8"))
    rendered = subprocess.run(
        ["cmark-gfm", "--unsafe", "-e", "table", "-e", "strikethrough", "-e", "autolink", "-e", "tagfilter"],
        input=markdown, capture_output=True, text=True, check=True).stdout
    tree = Tree()
    tree.feed(rendered)
    failures = []

    unexpected = sorted(set(tree.tags) - ALLOWED)
    if unexpected:
        failures.append(f"elements the report does not make: {unexpected}")
    if tree.tags.count("h2") != 1:
        failures.append(f"{tree.tags.count('h2')} h2 headings, expected 1")
    if not tree.tables:
        failures.append("no table")
    for t, rows in enumerate(tree.tables):
        widths = {len(row) for row in rows}
        if len(widths) != 1:
            failures.append(f"table {t} has rows of {sorted(widths)} cells: a '|' escaped badly?")
    if tree.tables and tree.tables[0] and tree.tables[0][0][:2] != ["Findings", "Errors"]:
        failures.append(f"the first table is not the summary: {tree.tables[0][0]}")

    findings = [f for f in report["findings"] if not f.get("baseline")]
    summaries = [" ".join(s.split()) for s in tree.summaries]
    codes = tree.codes
    text = "".join(tree.text)
    if shortened is not None:
        size = len(markdown.encode("utf-8"))
        if size > shortened:
            failures.append(f"{size} bytes, over the limit of {shortened}")
        banner = re.search(r"Shortened: (\d+) of (\d+) findings? are not shown", text)
        if not banner:
            failures.append("no 'Shortened: N of M findings are not shown' line")
        rules = {f["rule"] for f in findings}
        shown = sum(1 for s in summaries if s.split()[-1] in rules)
        left = sum(int(n) for n in re.findall(r"(\d+) more findings? in this group not shown", text))
        if banner and (int(banner.group(1)) != left or int(banner.group(2)) != len(findings)):
            failures.append(f"the banner says {banner.group(0)!r}; the groups leave out {left} of {len(findings)}")
        if shown + left != len(findings):
            failures.append(f"{shown} findings shown and {left} left out, of {len(findings)}")
        if shown == 0:
            failures.append("no finding shown at all")
        findings = []  # the per-finding checks below are for whole reports
    # Every finding has its own <details>, whose summary names its rule (and, with
    # --exact-titles, holds its title: for reports of the same run or of deterministic input).
    from collections import Counter
    wanted = Counter(f["rule"] for f in findings)
    for rule, n in wanted.items():
        have = sum(1 for s in summaries if s.endswith(f" {rule}") or f" {rule} (baseline)" in s)
        if have < n:
            failures.append(f"{n} findings of {rule}, {have} <details> summaries name it")
    for f in findings if exact_titles else []:
        title = " ".join(f["title"].split())
        # A title's `code spans` render as <code> in the summary (its text without the
        # backticks); a lone backtick stays as it is.
        paired = title.count("`") % 2 == 0
        shown = title.replace("`", "") if paired else title
        if not any(shown in s for s in summaries):
            failures.append(f"no <details> summary holds the finding {title!r}")
        elif paired and "`" in title and any(title in s for s in summaries):
            failures.append(f"the summary of {title!r} shows its backticks: not rendered as <code>")
    for f in findings:
        title = f["title"]
        sql = f.get("suggestion", {}).get("sql")
        if sql and not any(sql.strip() == c.strip() for c in codes):
            failures.append(f"the suggested SQL of {title!r} is not in a code block as it is")
    for literal in literals:
        if literal not in text:
            failures.append(f"{literal!r} does not appear literally in the rendered text")
    if failures:
        print("\n".join(f"FAIL: {f}" for f in failures))
        sys.exit(1)
    print(f"ok: {markdown_path}: {len(findings)} findings in <details>, {len(tree.tables)} tables render as GFM")


if __name__ == "__main__":
    main()
