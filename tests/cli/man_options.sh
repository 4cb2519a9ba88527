#!/usr/bin/env bash
# Fails when an option that `dbadvise --help` or `dbadvise SUBCOMMAND --help` prints is not
# documented in the man page, or a subcommand has no section there.
#   man_options.sh DBADVISE MAN_PAGE
set -uo pipefail

dbadvise=$1
man_page=$2
[[ -r $man_page ]] || { echo "FAIL: cannot read $man_page" >&2; exit 1; }

# The man page as plain text: roff's \- is a hyphen, \fB...\fR are font changes.
man_text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em/-/g' "$man_page")

help_top=$("$dbadvise" --help) || { echo "FAIL: dbadvise --help failed" >&2; exit 1; }
# CLI11 lists subcommands under "Subcommands:" as "  name   summary".
mapfile -t subcommands < <(printf '%s\n' "$help_top" |
    sed -n '/^Subcommands:/,/^$/p' | sed -nE 's/^  ([a-z][a-z-]*) .*/\1/p')
((${#subcommands[@]} > 0)) || { echo "FAIL: no subcommands found in --help" >&2; exit 1; }

missing=0
documented() {
    grep -qE -- "(^|[^A-Za-z0-9-])$1([^A-Za-z0-9-]|$)" <<<"$man_text"
}
check_help() {
    local where=$1 help=$2 line names name
    # Option lines start with two spaces and a dash: "  -o,--output FILE   Write ...".
    while IFS= read -r line; do
        names=$(sed -E 's/^  ([^ ]+).*/\1/' <<<"$line")
        IFS=',' read -ra split <<<"$names"
        for name in "${split[@]}"; do
            name=${name%%[:=]*}
            if ! documented "$name"; then
                echo "FAIL: '$where' has option $name, not documented in the man page" >&2
                missing=1
            fi
        done
    done < <(grep -E '^  -' <<<"$help")
}

check_help "dbadvise" "$help_top"
checked=0
for sub in "${subcommands[@]}"; do
    help_sub=$("$dbadvise" "$sub" --help) || { echo "FAIL: dbadvise $sub --help failed" >&2; exit 1; }
    check_help "dbadvise $sub" "$help_sub"
    if ! grep -qE -- "^\.SS[[:space:]]+\"?(dbadvise )?$sub\b" "$man_page"; then
        echo "FAIL: subcommand '$sub' has no .SS section in the man page" >&2
        missing=1
    fi
    checked=$((checked + 1))
done
# Every rule `dbadvise rules` lists must have an entry (.B rule-id) in the RULES section.
rules_json=$("$dbadvise" rules --format json) || { echo "FAIL: dbadvise rules failed" >&2; exit 1; }
mapfile -t rule_ids < <(sed -nE 's/^ *"id": "([^"]+)",?$/\1/p' <<<"$rules_json")
((${#rule_ids[@]} > 0)) || { echo "FAIL: dbadvise rules listed no rule" >&2; exit 1; }
man_rules=$(sed -e 's/\\-/-/g' "$man_page" | sed -nE 's/^\.B ([a-z0-9-]+)$/\1/p')
for id in "${rule_ids[@]}"; do
    if ! grep -qxF -- "$id" <<<"$man_rules"; then
        echo "FAIL: rule '$id' (dbadvise rules) has no entry in the man page" >&2
        missing=1
    fi
done
((missing == 0)) || exit 1
echo "man page documents every option of dbadvise and its $checked subcommands, and ${#rule_ids[@]} rules"
