#!/usr/bin/env bash
# `dbadvise explain` on plans nobody here wrote: the plan files of PEV2's tests (dalibo/pev2,
# src/services/__tests__: psql's frames and line styles, plans a terminal wrapped, text plans
# with the parse PEV2 expects in an NN-expect file beside each NN-plan):
#   bench/pev2_plans.sh BUILD_DIR [PEV2]
# PEV2 is a clone of https://github.com/dalibo/pev2 (a work tree or a bare git directory);
# without it the script clones it (shallow) into a scratch directory. The files are extracted
# outside the repository and removed afterwards.
# Prints: files where explain crashed (exit status from a signal; must be none); how many
# plans it read, and for each it did not, the first line of its message; and for the plans
# with PEV2's expected parse, those where dbadvise reads fewer plan nodes than PEV2 lists
# (lost nodes) or more (PEV2's expectations are partial: check by hand).
# Exit status 1 on a crash.
set -euo pipefail
build="$(cd "${1:?usage: pev2_plans.sh BUILD_DIR [PEV2]}" && pwd)"
source_repo=${2:-}
dbadvise="${build}/dbadvise"
[[ -x "${dbadvise}" ]] || { echo "pev2_plans: ${dbadvise} not built" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
tests=src/services/__tests__
if [[ -z ${source_repo} ]]; then
    git clone -q --depth 1 https://github.com/dalibo/pev2 "${work}/pev2"
    source_repo="${work}/pev2"
fi
if [[ -d ${source_repo}/${tests} ]]; then
    mkdir -p "${work}/${tests}"
    cp -r "${source_repo}/${tests}/." "${work}/${tests}/"
else
    git --git-dir="${source_repo}" archive HEAD "${tests}" | tar -x -C "${work}"
fi

cd "${work}/${tests}"
crashed=0
: >"${work}/results"
while IFS= read -r plan; do
    code=0
    "${dbadvise}" explain --format json "${plan}" >"${work}/out.json" 2>"${work}/err" || code=$?
    if ((code > 128)); then
        echo "CRASH (signal $((code - 128))): ${plan}"
        crashed=1
    fi
    counts=$(python3 -c 'import json,sys
try:
    stats = json.load(open(sys.argv[1]))["stats"]
    print(stats["nodes"], stats["statements"], sep="\t")
except Exception: print("\t")' "${work}/out.json")
    printf '%s\t%s\t%s\t%s\n' "${plan}" "${code}" "${counts}" "$(head -1 "${work}/err")" >>"${work}/results"
done < <(find . -type f \( -name '*.plan' -o -name '*-plan' \) | sed 's|^\./||' | sort)

python3 - "${work}/results" <<'PY'
import os, re, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1], encoding="utf-8")]
read = [r for r in rows if r[1] in ("0", "1")]
print(f"plans: {len(rows)}, read: {len(read)}, not read: {len(rows) - len(read)}")
for plan, code, _, _, message in rows:
    if code not in ("0", "1"):
        print(f"  not read: {plan}: {message[:160]}")
# PEV2's expected parse: the JSON tree it builds, in which each plan node has a "Node Type".
# Its tests match a part of the tree (toMatchObject), so an expectation may list fewer nodes
# than the plan has (none at all when it checks only a statement's figures: left out here);
# one that lists more than dbadvise read points at nodes dbadvise lost.
compared = same = 0
fewer, more = [], []
for plan, code, nodes, _, _ in read:
    expect = re.sub(r"plan$", "expect", plan)
    if expect == plan or not os.path.exists(expect) or not nodes:
        continue
    expected = len(re.findall(r'"Node Type"', open(expect, encoding="utf-8").read()))
    if expected == 0:
        continue
    compared += 1
    if expected == int(nodes):
        same += 1
    elif expected > int(nodes):
        fewer.append(f"{plan}: dbadvise {nodes}, PEV2 {expected}")
    else:
        more.append(f"{plan}: dbadvise {nodes}, PEV2 lists {expected}")
# Each file holds one EXPLAIN: a second statement is a piece of a line read as a plan of its own.
several = [f"{plan}: {statements} statements" for plan, _, _, statements, _ in read if statements not in ("", "1")]
print(f"read as more than one statement: {len(several)}")
for line in several:
    print(f"  {line}")
print(f"with PEV2's expected parse: {compared}, same number of nodes: {same}, "
      f"fewer than PEV2 (nodes lost): {len(fewer)}, more than PEV2 lists (a partial expectation): {len(more)}")
for line in fewer:
    print(f"  fewer: {line}")
for line in more:
    print(f"  more: {line}")
PY
exit "${crashed}"
