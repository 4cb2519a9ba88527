# The shell harness of the end-to-end test scripts (tests/cli/*_test.sh, tests/pg/analyze_formats,
# tests/pg/fleet): a scratch directory, failure reports and dbadvise runs with their exit codes.
# Source it after setting `dbadvise` (the binary) and `case_name` (the ctest case):
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
#   harness_workdir cli        # mktemp -d, cd into it, removed on exit

# harness_workdir NAME: a fresh directory $work under $TMPDIR, the current directory from now on,
# removed on exit (made writable first: a case may take permissions away).
harness_workdir() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/dbadvise-$1.XXXXXX") || exit 1
    trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
    cd "$work" || exit 1
}

# fail MESSAGE: reports the case as failed, with the start of ./out and ./err, and exits 1.
fail() {
    echo "FAIL [$case_name]: $*" >&2
    local f
    for f in out err; do
        if [[ -s $f ]]; then
            echo "--- $f (first 40 lines):" >&2
            head -n 40 "$f" >&2
        fi
    done
    exit 1
}

# run_dbadvise EXPECTED_CODE ARGS...: runs dbadvise with stdout in ./out and stderr in ./err.
run_dbadvise() {
    local expected=$1
    shift
    "$dbadvise" "$@" >out 2>err </dev/null
    local code=$?
    [[ $code -eq $expected ]] || fail "dbadvise $* exited with $code, expected $expected"
}

# run_stdin EXPECTED_CODE INPUT_FILE ARGS...: as run_dbadvise with INPUT_FILE as stdin.
run_stdin() {
    local expected=$1 input=$2
    shift 2
    "$dbadvise" "$@" <"$input" >out 2>err
    local code=$?
    [[ $code -eq $expected ]] || fail "dbadvise $* <$input exited with $code, expected $expected"
}

# The system's python3 (scripts/test installs the packages the checks import there).
python=/usr/bin/python3
[[ -x $python ]] || python=python3
