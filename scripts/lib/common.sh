# Shared by scripts/test and scripts/demo: the repository root, the Debian packages dbadvise
# needs, installing the missing ones, and configuring and building.
# Source it from bash: `source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"`.

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Everything the build, the tests and the demo need, from Debian 12.
dbadvise_packages=(
    build-essential cmake g++ pkg-config
    libpg-query-dev libpq-dev libcli11-dev libfmt-dev nlohmann-json3-dev doctest-dev
    postgresql-server-dev-15
    libprotobuf-c-dev
    postgresql-15 postgresql-contrib postgresql-15-hypopg
    python3 python3-jsonschema zlib1g-dev
    # The report format tests: a real GFM renderer, a real browser.
    cmark-gfm chromium
)

# npm packages the tests use, at fixed versions, installed into $build_dir/test-tools by
# ensure_test_tools: the SARIF multitool (its validator, and the SARIF 2.1.0 JSON Schema it
# ships) and playwright-core, which drives Debian's chromium (it downloads no browser).
dbadvise_npm_packages=(
    @microsoft/sarif-multitool@5.7.0
    playwright-core@1.65.1
)

log() {
    printf '==> %s\n' "$*" >&2
}

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        log "need root to run: $* (install sudo or run as root)"
        return 1
    fi
}

# Installs the packages of dbadvise_packages that are not installed yet; runs apt-get update
# first, and only when something is missing.
ensure_packages() {
    local missing=() package
    for package in "${dbadvise_packages[@]}"; do
        if [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) != "install ok installed" ]]; then
            missing+=("$package")
        fi
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    log "installing missing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}"
}

# ensure_test_tools DIR: installs dbadvise_npm_packages into DIR/node_modules unless they are
# there at those versions already. Needs node and npm (Debian's nodejs and npm when missing).
ensure_test_tools() {
    local dir=$1 package name version installed missing=()
    if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
        dbadvise_packages=(nodejs npm)
        ensure_packages
    fi
    for package in "${dbadvise_npm_packages[@]}"; do
        name=${package%@*}
        version=${package##*@}
        installed=$(node -p "require('$dir/node_modules/$name/package.json').version" 2>/dev/null || true)
        [[ $installed == "$version" ]] || missing+=("$package")
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    log "installing npm packages for the tests into $dir: ${missing[*]}"
    mkdir -p "$dir"
    [[ -f $dir/package.json ]] || printf '{"name": "dbadvise-test-tools", "private": true}\n' >"$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --save-exact "${dbadvise_npm_packages[@]}" >&2
    # The multitool's binary loses its execute bit when npm skips install scripts.
    chmod u+x "$dir"/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool 2>/dev/null || true
}

# configure_and_build BUILD_DIR [TARGET...] -- [CMAKE_ARGS...]: warnings are errors; two jobs
# (the machines this runs on are small and shared).
configure_and_build() {
    local build_dir=$1
    shift
    local targets=()
    while (($# > 0)) && [[ $1 != -- ]]; do
        targets+=(--target "$1")
        shift
    done
    [[ ${1:-} == -- ]] && shift
    log "configuring $build_dir"
    cmake -S "$repo_root" -B "$build_dir" -DDBADVISE_WERROR=ON "$@"
    log "building${targets:+ ${targets[*]}}"
    cmake --build "$build_dir" -j2 "${targets[@]}"
}

# run_fuzz_targets BUILD_DIR SECONDS: builds every fuzz target (fuzz/CMakeLists.txt) with
# libFuzzer, ASan and UBSan and runs each for SECONDS on a scratch copy of its seeds (the
# corpus it grows stays out of the repository). Fails when any target found a problem.
run_fuzz_targets() {
    local build_dir=$1 seconds=$2
    local targets=(lint script_reader json_tree pg_tree text_shape plan_json plan_text pasted_plan snapshot
        query_log)
    configure_and_build "$build_dir" "${targets[@]/#/fuzz_}" -- \
        -DDBADVISE_FUZZ=ON -DDBADVISE_TESTS=OFF -DDBADVISE_BENCH=OFF \
        "-DCMAKE_CXX_FLAGS=-Wno-maybe-uninitialized"
    local scratch failed=() target
    scratch=$(mktemp -d)
    # shellcheck disable=SC2064 # expand now: the directory is known
    trap "rm -rf '$scratch'" EXIT
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$repo_root/tests/lsan.supp}
    for target in "${targets[@]}"; do
        local corpus=$scratch/$target artifacts=$build_dir/fuzz-artifacts/$target
        mkdir -p "$corpus" "$artifacts"
        local seed n=0
        # Numbered copies: seeds from different folders may share a name.
        while IFS= read -r seed; do
            if [[ -n $seed ]]; then
                cp "$seed" "$corpus/$((n += 1))-${seed##*/}"
            fi
        done < "$build_dir/fuzz/$target.seeds"
        if [[ -d $repo_root/testdata/fuzz/$target ]]; then
            cp "$repo_root"/testdata/fuzz/"$target"/* "$corpus"/
        fi
        log "fuzzing $target for ${seconds}s"
        # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: one that needs 2 GB
        # is a memory bug; -max_len keeps inputs at sizes that run fast.
        if ! "$build_dir/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
            -artifact_prefix="$artifacts/" "$corpus" 2>"$build_dir/fuzz-artifacts/$target.log"; then
            failed+=("$target")
            tail -n 60 "$build_dir/fuzz-artifacts/$target.log" >&2
        fi
        grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+ +DONE' \
            "$build_dir/fuzz-artifacts/$target.log" >&2 || true
    done
    if ((${#failed[@]} > 0)); then
        log "fuzzing found problems in: ${failed[*]} (inputs in $build_dir/fuzz-artifacts/)"
        return 1
    fi
    log "fuzzing: no problem found"
}
