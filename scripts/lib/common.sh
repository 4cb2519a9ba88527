# Shared by scripts/test and scripts/demo: the repository root, the Debian packages dbadvise
# needs, installing the missing ones, and configuring and building.
# Source it from bash: `source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"`.

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Everything the build, the tests and the demo need, from Debian 12.
dbadvise_packages=(
    build-essential cmake g++ pkg-config
    libpg-query-dev libpq-dev libcli11-dev libfmt-dev nlohmann-json3-dev doctest-dev
    libprotobuf-c-dev
    postgresql-15 postgresql-contrib postgresql-15-hypopg
    python3 python3-jsonschema
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
