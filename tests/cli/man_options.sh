#!/usr/bin/env bash
# Compares the options each --help prints with the man page, exactly and both ways:
#  - `dbadvise --help` with the GLOBAL OPTIONS section;
#  - for each subcommand, `dbadvise SUB --help` (less -h/--help, which GLOBAL OPTIONS covers)
#    with the options its `.SS "dbadvise SUB"` section documents (the tags of its .TP entries)
#    and with the options its SYNOPSIS lists;
#  - the subcommands --help lists with the man page's .SS sections;
#  - the rules `dbadvise rules --format json` lists with the .TP entries of the RULES section.
# An option mentioned only in running text does not count as documented.
#   man_options.sh DBADVISE MAN_PAGE
set -uo pipefail

dbadvise=$1
man_page=$2
[[ -r $man_page ]] || { echo "FAIL: cannot read $man_page" >&2; exit 1; }

python3 - "$dbadvise" "$man_page" <<'PY'
import json
import re
import subprocess
import sys

dbadvise, man_path = sys.argv[1], sys.argv[2]
man = open(man_path, encoding="utf-8").read().splitlines()
OPTION = re.compile(r"^--?[A-Za-z][A-Za-z0-9-]*$")


def plain(line):
    """A roff line as text: escapes and font changes removed, macro name dropped."""
    line = line.replace("\\-", "-").replace("\\(em", "-").replace("\\&", "")
    line = re.sub(r"\\f[BIRP]", "", line)
    line = re.sub(r"^\.(B|BR|BI|IR|RB|RI|I|IB)\s+", "", line)
    return line.replace('"', " ")


def options_in(text):
    return {token for token in re.split(r"[\s,\[\]|]+", text) if OPTION.match(token)}


def help_options(args):
    out = subprocess.run([dbadvise, *args, "--help"], check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        if line.startswith("  -"):
            first = line.split()[0]
            names |= {name.split("=")[0] for name in first.split(",") if OPTION.match(name.split("=")[0])}
    return names, out


def section(start, stops=(".SS", ".SH")):
    """The lines after the line matching `start` up to the next line starting with a stop."""
    for i, line in enumerate(man):
        if re.match(start, line):
            body = []
            for other in man[i + 1:]:
                if other.startswith(stops):
                    break
                body.append(other)
            return body
    return None


def tagged_options(body):
    """Options named in the tags of the .TP entries of `body`."""
    names = set()
    for i, line in enumerate(body[:-1]):
        if line.strip() == ".TP":
            names |= options_in(plain(body[i + 1]))
    return names


def synopsis_options(command):
    body = section(r"^\.SH SYNOPSIS")
    names, inside = set(), False
    for line in body:
        if re.match(rf"^\.B dbadvise {command}$", line):
            inside = True
        elif inside and (line.startswith(".PP") or line.startswith(".SH")):
            break
        elif inside:
            names |= options_in(plain(line))
    return names if inside else None


failures = []


def compare(where, helped, documented, place):
    for name in sorted(helped - documented):
        failures.append(f"{where}: --help has {name}, {place} does not")
    for name in sorted(documented - helped):
        failures.append(f"{where}: {place} has {name}, --help does not")


top, top_text = help_options([])
compare("dbadvise", top, tagged_options(section(r"^\.SH GLOBAL OPTIONS") or []), "GLOBAL OPTIONS")
subcommands = re.findall(r"^  ([a-z][a-z-]*)  ", top_text.split("Subcommands:", 1)[-1], re.M)
if not subcommands:
    failures.append("no subcommands in dbadvise --help")
documented_subcommands = [m.group(1) for line in man for m in [re.match(r'^\.SS "dbadvise ([a-z-]+)"', line)] if m]
for name in sorted(set(documented_subcommands) ^ set(subcommands)):
    failures.append(f"subcommand {name} is in {'the man page' if name in documented_subcommands else '--help'} only")
for sub in subcommands:
    helped = help_options([sub])[0] - {"-h", "--help"}
    body = section(rf'^\.SS "dbadvise {sub}"')
    if body is not None:
        compare(f"dbadvise {sub}", helped, tagged_options(body), f'.SS "dbadvise {sub}"')
    synopsis = synopsis_options(sub)
    if synopsis is None:
        failures.append(f"dbadvise {sub} has no SYNOPSIS entry")
    else:
        compare(f"dbadvise {sub}", helped, synopsis, "SYNOPSIS")

catalogue = json.loads(subprocess.run([dbadvise, "rules", "--format", "json"], check=True,
                                      capture_output=True, text=True).stdout)
rule_ids = {rule["id"] for rule in catalogue["rules"]}
rules_body = section(r"^\.SH RULES", stops=(".SH",)) or []
man_rules = {plain(rules_body[i + 1]).strip() for i, line in enumerate(rules_body[:-1]) if line.strip() == ".TP"}
for rule in sorted(rule_ids - man_rules):
    failures.append(f"rule {rule} (dbadvise rules) has no .TP entry in RULES")
for rule in sorted(man_rules - rule_ids):
    failures.append(f"RULES documents {rule!r}, which dbadvise rules does not list")

if failures:
    print("\n".join(f"FAIL: {f}" for f in failures), file=sys.stderr)
    sys.exit(1)
print(f"man page and --help agree on the options of dbadvise and its {len(subcommands)} "
      f"subcommands, and on {len(rule_ids)} rules")
PY
