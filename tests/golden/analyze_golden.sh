#!/usr/bin/env bash
# Golden test of `dbadvise analyze` on snapshots, with no database: runs
# `dbadvise analyze $(cat NAME.args)` in SNAPSHOT_DIR (the arguments name snapshot files
# relative to it) in text and JSON, and diffs the output with golden/NAME.txt and
# golden/NAME.json. The run's elapsed time is the one figure that changes from run to run: it
# is replaced by <elapsed> before the comparison (the stat, and the text header's "in N ms"). DBADVISE_UPDATE_GOLDEN=1 rewrites the
# expected files.
#   analyze_golden.sh DBADVISE SNAPSHOT_DIR NAME
set -uo pipefail

dbadvise=$1
snapshot_dir=$2
name=$3
source "$(dirname "${BASH_SOURCE[0]}")/compare.sh"
cd "$snapshot_dir" || exit 1
read -r -a args <"golden/$name.args" || true

status=0
for format in text json; do
    extension=$([[ $format == text ]] && echo txt || echo json)
    expected=golden/$name.$extension
    actual=$(mktemp)
    "$dbadvise" analyze --format "$format" "${args[@]}" 2>/dev/null |
        sed -E -e 's/elapsed_ms(=|": ?)[0-9]+/elapsed_ms\1<elapsed>/' \
            -e 's/^(  run: .*, in )[0-9][0-9.,]* ?(ms|s|min|h)$/\1<elapsed>/' >"$actual"
    codes=("${PIPESTATUS[@]}")
    if ((codes[0] != 0)); then
        echo "FAIL: dbadvise analyze ${args[*]} exited with ${codes[0]}" >&2
        "$dbadvise" analyze --format "$format" "${args[@]}" >/dev/null
        rm -f "$actual"
        exit 1
    fi
    golden_compare "$actual" "$expected" "analyze ${args[*]} ($format)" || status=1
    rm -f "$actual"
done
exit $status
