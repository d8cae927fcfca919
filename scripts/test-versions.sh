#!/usr/bin/env bash
#
# scripts/test-versions.sh — runs the whole test command (scripts/test.sh) against other PostgreSQL
# major versions, each inside a minimal Debian root filesystem of its own.
#
#   scripts/test-versions.sh [MAJOR...]        (default: 17 18; run as root)
#
# For each version:
#   1. builds, or reuses, a root filesystem of the Debian suite that ships that version (17: trixie,
#      18: sid) with `debootstrap --variant=minbase`, from the mirror the host's apt already uses. The
#      root filesystems are a cache under $AG_VERSIONS_CACHE (default /var/tmp/pg_agentguard-versions,
#      one directory per suite); building one takes several minutes, reusing it seconds. Delete a
#      directory to rebuild it. sid's Release file may be past its Valid-Until date on a mirror that
#      is a snapshot, so apt inside the root filesystems does not check that date;
#   2. installs that version's server, its server headers and pgTAP (postgresql-MAJOR,
#      postgresql-server-dev-MAJOR, postgresql-MAJOR-pgtap); the test command installs the rest itself;
#   3. copies the source tree (the files git knows of, committed or not, not ignored) into the root
#      filesystem, so that the host's build directory stays untouched;
#   4. mounts /proc, /dev, /dev/pts and a /dev/shm of its own there, runs `AG_PG_MAJOR=MAJOR
#      scripts/test.sh` in a chroot, and unmounts everything it mounted, also on failure or interrupt
#      (processes still running inside the root filesystem are stopped first).
# Prints one line per version and ends with "N passed, M failed" (versions). The full output of each
# run is in build/test-versions/MAJOR.log.

set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
REPO_ROOT="$(pwd)"
CACHE="${AG_VERSIONS_CACHE:-/var/tmp/pg_agentguard-versions}"
LOG_DIR="$REPO_ROOT/build/test-versions"

VERSIONS=("$@")
((${#VERSIONS[@]})) || VERSIONS=(17 18)

if [[ "$(id -u)" != 0 ]]; then
    echo "scripts/test-versions.sh needs root (debootstrap, mount, chroot)" >&2
    exit 2
fi

suite_of() {
    case "$1" in
        17) echo trixie ;;
        18) echo sid ;;
        *) return 1 ;;
    esac
}

# The mirror the host's apt already uses.
MIRROR="$(grep -hoE '^(URIs:|deb) *(\[[^]]*\] *)?https?://[^ ]+/debian/?( |$)' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
    grep -oE 'https?://[^ ]+' | head -n 1)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

# ---------------------------------------------------------------------------------------------------
# Mounts and processes inside the root filesystem; the exit trap undoes them.

MOUNTED=()       # mount points, in mount order
CURRENT_ROOT=""
CHILD=""

mount_in() { # mount_in TARGET mount-arguments...
    local target="$1"
    shift
    mkdir -p "$target" || return 1
    mount "$@" "$target" || return 1
    MOUNTED+=("$target")
}

# Processes whose root directory is inside $1 (only this script puts processes there).
procs_in_root() {
    local root p r
    root="$(readlink -f "$1")"
    for p in /proc/[0-9]*; do
        r="$(readlink "$p/root" 2>/dev/null)" || continue
        [[ "$r" == "$root" || "$r" == "$root"/* ]] && echo "${p#/proc/}"
    done
}

stop_procs_in_root() {
    [[ -n "$CURRENT_ROOT" ]] || return 0
    local pids i
    for sig in TERM KILL; do
        mapfile -t pids < <(procs_in_root "$CURRENT_ROOT")
        ((${#pids[@]})) || return 0
        kill -s "$sig" "${pids[@]}" 2>/dev/null
        for ((i = 0; i < 50; i++)); do
            [[ -z "$(procs_in_root "$CURRENT_ROOT")" ]] && return 0
            sleep 0.2
        done
    done
}

unmount_all() {
    local i
    for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTED[$i]}" 2>/dev/null || umount -l "${MOUNTED[$i]}" 2>/dev/null ||
            echo "could not unmount ${MOUNTED[$i]}" >&2
    done
    MOUNTED=()
}

cleanup() {
    if [[ -n "$CHILD" ]]; then
        kill -TERM "$CHILD" 2>/dev/null
        wait "$CHILD" 2>/dev/null
        CHILD=""
    fi
    stop_procs_in_root
    unmount_all
    CURRENT_ROOT=""
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# Runs a command in the background and waits for it, so that a signal reaches this shell at once.
run_bg() {
    "$@" &
    CHILD=$!
    wait "$CHILD"
    local rc=$?
    CHILD=""
    return "$rc"
}

in_root() { # in_root ROOT command...
    local root="$1"
    shift
    chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# ---------------------------------------------------------------------------------------------------

# Builds the root filesystem of a suite unless the cache has it.
bootstrap() { # bootstrap SUITE LOG
    local suite="$1" log="$2" root="$CACHE/$1"
    [[ -f "$root/.ag-base-ready" ]] && return 0
    command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >>"$log" 2>&1 ||
        { echo "could not install debootstrap"; return 1; }
    mkdir -p "$CACHE"
    rm -rf "$root.tmp"
    echo "==> debootstrap $suite from $MIRROR (several minutes)" >>"$log"
    run_bg debootstrap --variant=minbase "$suite" "$root.tmp" "$MIRROR" >>"$log" 2>&1 ||
        { echo "debootstrap $suite failed"; return 1; }
    rm -rf "$root" && mv "$root.tmp" "$root" && touch "$root/.ag-base-ready"
}

# Installs the server, headers and pgTAP of a major version into a root filesystem.
prepare_root() { # prepare_root ROOT MAJOR LOG
    local root="$1" v="$2" log="$3"
    # No service starts inside the root filesystem, and apt does not reject a mirror's old Release file.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"
    printf 'Acquire::Check-Valid-Until "false";\n' >"$root/etc/apt/apt.conf.d/99agentguard"
    mkdir -p "$root/etc/postgresql-common"
    [[ -f "$root/etc/postgresql-common/createcluster.conf" ]] ||
        printf 'create_main_cluster = false\n' >"$root/etc/postgresql-common/createcluster.conf"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    [[ -f "$root/.ag-pg-$v-ready" ]] && return 0
    echo "==> installing PostgreSQL $v" >>"$log"
    run_bg in_root "$root" sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confold \
        postgresql-$v postgresql-server-dev-$v postgresql-$v-pgtap" >>"$log" 2>&1 || return 1
    touch "$root/.ag-pg-$v-ready"
}

copy_tree() { # copy_tree DEST
    local dest="$1"
    rm -rf "$dest" && mkdir -p "$dest" || return 1
    git -C "$REPO_ROOT" ls-files -z --cached --others --exclude-standard |
        (cd "$REPO_ROOT" && xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
        tar -C "$REPO_ROOT" --null -T - -cf - | tar -C "$dest" -xf -
}

# Sets LINE to what is printed for the version (not in a subshell: the exit trap must see the mounts).
run_version() { # run_version MAJOR LOG
    local v="$1" log="$2" suite root rc tail_line full
    LINE=""
    suite="$(suite_of "$v")" || { LINE="no Debian suite known for PostgreSQL $v"; return 1; }
    root="$CACHE/$suite"
    LINE="$(bootstrap "$suite" "$log")" || return 1
    CURRENT_ROOT="$root"
    mount_in "$root/proc" -t proc proc &&
        mount_in "$root/dev" --bind /dev &&
        mount_in "$root/dev/pts" --bind /dev/pts &&
        mount_in "$root/dev/shm" -t tmpfs -o mode=1777 shm ||
        { LINE="mounting inside $root failed"; return 1; }
    prepare_root "$root" "$v" "$log" || { LINE="could not install PostgreSQL $v (see $log)"; return 1; }
    copy_tree "$root/srv/pg_agentguard" || { LINE="copying the source tree failed"; return 1; }
    full="$(in_root "$root" "/usr/lib/postgresql/$v/bin/pg_config" --version 2>/dev/null)"
    echo "==> $full in $suite: scripts/test.sh" >>"$log"
    run_bg in_root "$root" env AG_PG_MAJOR="$v" bash -c 'cd /srv/pg_agentguard && ./scripts/test.sh' >>"$log" 2>&1
    rc=$?
    stop_procs_in_root
    unmount_all
    CURRENT_ROOT=""
    tail_line="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)"
    LINE="${full:-PostgreSQL $v} ($suite): ${tail_line:-no result (exit $rc)}"
    ((rc == 0))
}

mkdir -p "$LOG_DIR"
passed=0 failed=0
for v in "${VERSIONS[@]}"; do
    log="$LOG_DIR/$v.log"
    : >"$log"
    start=$SECONDS
    if run_version "$v" "$log"; then
        status=ok
        passed=$((passed + 1))
    else
        status=FAILED
        failed=$((failed + 1))
    fi
    printf 'PostgreSQL %-3s %-6s %5d s  %s\n' "$v" "$status" $((SECONDS - start)) "${LINE//$'\n'/; }"
done
printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
