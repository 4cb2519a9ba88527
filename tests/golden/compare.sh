# Shared by the golden test runners (source it): compares one actual output with its expected
# file, or rewrites the file when DBADVISE_UPDATE_GOLDEN=1.
#   golden_compare ACTUAL EXPECTED WHAT    (WHAT names the run in messages)
# Returns 0 when they match (or the file was rewritten), 1 otherwise, with a diff on stderr.
golden_compare() {
    local actual=$1 expected=$2 what=$3
    if [[ ${DBADVISE_UPDATE_GOLDEN:-} == 1 ]]; then
        if ! cmp -s "$actual" "$expected"; then
            cp "$actual" "$expected"
            echo "updated $PWD/$expected"
        fi
    elif [[ ! -f $expected ]]; then
        echo "FAIL: $expected is missing; create it with DBADVISE_UPDATE_GOLDEN=1" >&2
        return 1
    elif ! diff -u "$expected" "$actual" >&2; then
        echo "FAIL: $what differs from $expected (above: expected vs actual);" \
            "if the change is intended, rerun with DBADVISE_UPDATE_GOLDEN=1" >&2
        return 1
    fi
    return 0
}
