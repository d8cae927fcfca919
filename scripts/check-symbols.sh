#!/usr/bin/env bash
#
# scripts/check-symbols.sh — builds pg_agentguard's module against the server headers of several
# PostgreSQL major versions and fails when a module would not load there.
#
#   scripts/check-symbols.sh [MAJOR...]        (default: 15 17 18)
#
# Why: PGXS links a shared module with undefined symbols allowed, so a PostgreSQL header that reached
# C++ code outside `extern "C"` (and gave its functions mangled names such as `_Z9GetUserIdv`) builds
# cleanly and only the server's dlopen() fails. For each version this script
#   1. gets that version's server headers and server binary: the installed ones when
#      /usr/lib/postgresql/MAJOR exists, otherwise the Debian packages postgresql-server-dev-MAJOR and
#      postgresql-MAJOR, downloaded with apt-get from the suite that has them (trixie, sid) and unpacked
#      with dpkg -x into build/pg-versions/ — nothing is installed;
#   2. compiles every source with -Werror (no optimisation: this is about linkage, not speed) and links
#      the module;
#   3. lists the module's undefined symbols and fails on any C++-mangled name that the C++ runtime
#      does not define (a PostgreSQL function seen with C++ linkage), and on any plain name that neither
#      the server binary nor the C/C++ runtime libraries export.
# Prints one line per version and ends with "N passed, M failed".

set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
REPO_ROOT="$(pwd)"
WORK="$REPO_ROOT/build/pg-versions"
mkdir -p "$WORK"

VERSIONS=("$@")
((${#VERSIONS[@]})) || VERSIONS=(15 17 18)

CXX="${CXX:-g++}"

# Debian suites to look in for versions the host does not have (bookworm has 15, trixie 17, sid 18).
APT_SUITES=(bookworm trixie sid)

apt_opts() {
    printf '%s\n' -o "Dir::Etc::SourceList=$WORK/apt/sources.list" -o "Dir::Etc::SourceParts=/dev/null" \
        -o "Dir::State::Lists=$WORK/apt/lists" -o "Dir::Cache=$WORK/apt/cache" \
        -o "Acquire::Check-Valid-Until=false" -o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1" \
        -o "APT::Sandbox::User=root"
}

apt_ready=""
prepare_apt() {
    [[ -n "$apt_ready" ]] && return 0
    local mirror s
    # The mirror the host's apt already uses.
    mirror="$(grep -hoE '^(URIs:|deb) *(\[[^]]*\] *)?https?://[^ ]+/debian/?( |$)' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
        grep -oE 'https?://[^ ]+' | head -n 1)"
    mirror="${mirror:-http://deb.debian.org/debian}"
    mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial"
    : >"$WORK/apt/sources.list"
    for s in "${APT_SUITES[@]}"; do
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main" >>"$WORK/apt/sources.list"
    done
    mapfile -t opts < <(apt_opts)
    apt-get "${opts[@]}" -qq update >"$WORK/apt/update.log" 2>&1 || { cat "$WORK/apt/update.log" >&2; return 1; }
    apt_ready=1
}

# Prints "INCLUDEDIR POSTGRES-BINARY" for a major version, fetching the packages when needed.
locate_version() {
    local v="$1" root
    if [[ -x "/usr/lib/postgresql/$v/bin/postgres" && -d "/usr/include/postgresql/$v/server" ]]; then
        echo "/usr/include/postgresql/$v/server /usr/lib/postgresql/$v/bin/postgres"
        return 0
    fi
    root="$WORK/$v/root"
    if [[ ! -x "$root/usr/lib/postgresql/$v/bin/postgres" || ! -d "$root/usr/include/postgresql/$v/server" ]]; then
        prepare_apt || return 1
        rm -rf "$WORK/$v" && mkdir -p "$WORK/$v/debs" "$root"
        mapfile -t opts < <(apt_opts)
        (cd "$WORK/$v/debs" && apt-get "${opts[@]}" -qq download "postgresql-server-dev-$v" "postgresql-$v") \
            >"$WORK/$v/download.log" 2>&1 || { cat "$WORK/$v/download.log" >&2; return 1; }
        local deb
        for deb in "$WORK/$v/debs"/*.deb; do
            dpkg -x "$deb" "$root" || return 1
        done
    fi
    echo "$root/usr/include/postgresql/$v/server $root/usr/lib/postgresql/$v/bin/postgres"
}

# Defined dynamic symbols of the given ELF files, one name per line, without version suffixes.
exported() {
    nm -D --defined-only "$@" 2>/dev/null | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u
}

check_version() {
    local v="$1" inc bin out objs=() src obj log
    read -r inc bin < <(locate_version "$v") || { echo "could not get PostgreSQL $v"; return 1; }
    [[ -n "${inc:-}" ]] || { echo "could not get PostgreSQL $v"; return 1; }
    out="$WORK/$v/build"
    mkdir -p "$out"
    log="$out/build.log"
    : >"$log"
    local cflags=(-std=c++17 -fPIC -O0 -Wall -Wextra -Wno-missing-field-initializers -Werror
        -Isrc -isystem "$inc" -D_GNU_SOURCE)
    local pids=() jobs="${AG_JOBS:-2}"
    for src in src/core/*.cpp src/pg/*.cpp; do
        obj="$out/$(echo "$src" | tr '/' '_').o"
        objs+=("$obj")
        "$CXX" "${cflags[@]}" -c "$src" -o "$obj" >>"$log" 2>&1 &
        pids+=($!)
        if ((${#pids[@]} >= jobs)); then
            wait "${pids[0]}" || { wait; echo "compile failed"; tail -n 40 "$log"; return 1; }
            pids=("${pids[@]:1}")
        fi
    done
    local p
    for p in "${pids[@]}"; do
        wait "$p" || { wait; echo "compile failed"; tail -n 40 "$log"; return 1; }
    done
    "$CXX" -shared -o "$out/pg_agentguard.so" "${objs[@]}" -lstdc++ >>"$log" 2>&1 ||
        { echo "link failed"; tail -n 40 "$log"; return 1; }

    local undefined provided bad
    undefined="$(nm -D --undefined-only "$out/pg_agentguard.so" | awk '$1 == "U" { sub(/@.*/, "", $2); print $2 }' | sort -u)"
    provided="$( { exported "$bin"
        exported $(ldconfig -p 2>/dev/null |
            awk '/\/(libc|libm|libstdc\+\+|libgcc_s)\.so\.[0-9]+$/ && /x86-64/ { print $NF }')
        } | sort -u)"
    bad="$(comm -23 <(echo "$undefined") <(echo "$provided"))"
    if [[ -n "$bad" ]]; then
        echo "the module references symbols PostgreSQL $v's server does not export:"
        echo "$bad" | c++filt | sed 's/^/    /' | head -n 40
        if echo "$bad" | grep -q '^_Z'; then
            echo "    (mangled names: a PostgreSQL header reached C++ code outside extern \"C\"; include pg/pg_headers.hpp)"
        fi
        return 1
    fi
    echo "$(echo "$undefined" | wc -l) references, all exported"
}

passed=0 failed=0
for v in "${VERSIONS[@]}"; do
    start=$SECONDS
    if msg="$(check_version "$v" 2>&1)"; then
        printf 'symbols PostgreSQL %-3s ok      %3d s  %s\n' "$v" $((SECONDS - start)) "$msg"
        passed=$((passed + 1))
    else
        printf 'symbols PostgreSQL %-3s FAILED  %3d s\n%s\n' "$v" $((SECONDS - start)) "$msg"
        failed=$((failed + 1))
    fi
done
printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
