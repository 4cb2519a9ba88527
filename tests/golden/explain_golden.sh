#!/usr/bin/env bash
# Golden test of `dbadvise explain` on one captured plan: runs it in the plans directory (so
# that file names in the output are relative) in each report format for people and diffs the
# output with GOLDEN_DIR/NAME.<ext>. DBADVISE_UPDATE_GOLDEN=1 rewrites the expected files.
#   explain_golden.sh DBADVISE PLANS_DIR GOLDEN_DIR PLAN_FILE
set -uo pipefail

dbadvise=$1
plans_dir=$2
golden_dir=$3
plan=$4
name=${plan%.*}

status=0
for format in text markdown; do
    extension=$([[ $format == text ]] && echo txt || echo md)
    expected=$golden_dir/$name.$extension
    actual=$(mktemp)
    (cd "$plans_dir" && COLUMNS=100 "$dbadvise" explain --format "$format" "$plan") >"$actual" 2>&1
    code=$?
    if ((code != 0)); then
        echo "FAIL: dbadvise explain on $plan exited with $code" >&2
        cat "$actual" >&2
        rm -f "$actual"
        exit 1
    fi
    if [[ ${DBADVISE_UPDATE_GOLDEN:-} == 1 ]]; then
        if ! cmp -s "$actual" "$expected"; then
            cp "$actual" "$expected"
            echo "updated $expected"
        fi
    elif [[ ! -f $expected ]]; then
        echo "FAIL: $expected is missing; create it with DBADVISE_UPDATE_GOLDEN=1" >&2
        status=1
    elif ! diff -u "$expected" "$actual" >&2; then
        echo "FAIL: explain $plan ($format) differs from $expected (above: expected vs actual);" \
            "if the change is intended, rerun with DBADVISE_UPDATE_GOLDEN=1" >&2
        status=1
    fi
    rm -f "$actual"
done
exit $status
