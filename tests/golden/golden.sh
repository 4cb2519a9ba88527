#!/usr/bin/env bash
# Golden test of one SQL file: runs `dbadvise lint` on GOLDEN_DIR/NAME.sql (with
# --schema NAME.schema.sql when that file exists) in text and JSON, and diffs the output with
# NAME.txt and NAME.json next to it. DBADVISE_UPDATE_GOLDEN=1 rewrites the expected files.
#   golden.sh DBADVISE GOLDEN_DIR NAME
set -uo pipefail

dbadvise=$1
golden_dir=$2
name=$3
source "$(dirname "${BASH_SOURCE[0]}")/compare.sh"
cd "$golden_dir" || exit 1

args=()
[[ -f $name.schema.sql ]] && args+=(--schema "$name.schema.sql")

status=0
for format in text json; do
    extension=$([[ $format == text ]] && echo txt || echo json)
    expected=$name.$extension
    actual=$(mktemp)
    COLUMNS=100 "$dbadvise" lint --format "$format" "${args[@]}" "$name.sql" >"$actual" 2>&1
    code=$?
    if ((code != 0)); then
        echo "FAIL: dbadvise lint on $name.sql exited with $code" >&2
        cat "$actual" >&2
        rm -f "$actual"
        exit 1
    fi
    golden_compare "$actual" "$expected" "$name.sql ($format)" || status=1
    rm -f "$actual"
done
exit $status
