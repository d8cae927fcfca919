# shellcheck shell=bash
#
# test/lib/cluster.sh: throwaway PostgreSQL clusters for the tests and the demo of pg_agentguard.
#
# Source it from a bash script (do not execute it):
#
#     source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
#     ag_cluster_start main "agentguard.max_rows = 10"
#     ag_psql main -c 'CREATE EXTENSION pg_agentguard'
#
# Contract:
# - ag_install_deps installs the Debian packages the build and the tests need (only the missing ones).
# - ag_build_temp_install builds the extension and installs it into a private copy of the PostgreSQL
#   server tree ($AG_TMP_INSTALL), so that no test ever writes to system directories.
# - ag_cluster_start NAME starts a cluster under this process's run directory ($AG_RUN_DIR, a fresh
#   mktemp -d under /tmp). Every cluster started here is stopped (-m immediate) and the run directory is
#   removed when the sourcing shell exits or gets INT/TERM. Only clusters started by this shell are ever
#   stopped; the library never signals a process it did not start.
# - Call ag_cluster_* functions directly, not inside $( ): a subshell cannot register its clusters.
# - The library owns the EXIT/INT/TERM traps; register extra cleanup with ag_on_exit "command".
#
# Environment (all optional):
#   AG_PG_MAJOR        PostgreSQL major version (default 15)
#   AG_PG_CONFIG       pg_config of that version (default /usr/lib/postgresql/$AG_PG_MAJOR/bin/pg_config)
#   AG_TMP_INSTALL     where the private installation lives (default: a directory under /tmp named for
#                      this source tree; it is a cache shared by runs of the same tree)
#   AG_KEEP=1          keep the run directory (data directories, logs) after exit, for debugging
#   AG_JOBS            parallel make jobs (default 2)
#   AG_LOG_TAIL_ON_FAILURE=0  do not print the tail of each cluster's log when the shell exits non-zero

if [[ -n "${AG__LIB_LOADED:-}" ]]; then
    return 0
fi
AG__LIB_LOADED=1

AG_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
AG_PG_MAJOR="${AG_PG_MAJOR:-15}"
AG_PG_CONFIG="${AG_PG_CONFIG:-/usr/lib/postgresql/${AG_PG_MAJOR}/bin/pg_config}"
if [[ -z "${AG_TMP_INSTALL:-}" ]]; then
    AG_TMP_INSTALL="/tmp/pg_agentguard-$(id -u)-$(printf '%s' "$AG_REPO_ROOT" | cksum | cut -d' ' -f1)/install"
fi
export AG_REPO_ROOT AG_PG_MAJOR AG_PG_CONFIG AG_TMP_INSTALL

# The run directory belongs to this shell alone: never inherit one from a parent run.
AG_RUN_DIR=""
export -n AG_RUN_DIR 2>/dev/null || true

declare -a AG__CLUSTERS=()        # names, in start order
declare -A AG__DATA=() AG__PORT=() AG__SOCK=() AG__LOG=()
declare -a AG__EXIT_HOOKS=()
AG__CLEANED=""

# ---------------------------------------------------------------------------------------------------
# Small helpers

ag_info() { printf '%s\n' "$*" >&2; }

# Prints "FAIL: reason" and exits 1 (the EXIT trap then stops the clusters).
ag_fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

# Registers a command to run at exit, before the clusters are stopped.
ag_on_exit() { AG__EXIT_HOOKS+=("$1"); }

ag__is_root() { [[ "$(id -u)" == 0 ]]; }

# Runs a command as the OS user postgres (the server refuses to run as root), from the run directory so
# that an unreadable current directory does not matter.
ag_as_postgres() {
    if ag__is_root; then
        (cd "${AG_RUN_DIR:-/}" && runuser -u postgres -- "$@")
    else
        (cd "${AG_RUN_DIR:-/}" && "$@")
    fi
}

ag__check_name() {
    # Short, because the socket path (run dir/NAME/.s.PGSQL.port) must stay under ~100 bytes.
    [[ "${1:-}" =~ ^[A-Za-z][A-Za-z0-9_]{0,31}$ ]] || { ag_info "cluster.sh: bad cluster name '${1:-}'"; return 1; }
}

ag__known() {
    ag__check_name "$1" || return 1
    [[ -n "${AG__DATA[$1]:-}" ]] || { ag_info "cluster.sh: no cluster named '$1' in this run"; return 1; }
}

# ---------------------------------------------------------------------------------------------------
# Dependencies

AG_DEB_PACKAGES=(
    "postgresql-${AG_PG_MAJOR}" "postgresql-server-dev-${AG_PG_MAJOR}" "postgresql-${AG_PG_MAJOR}-pgtap"
    libtap-parser-sourcehandler-pgtap-perl libpq-dev g++ make cmake libgtest-dev googletest valgrind pgbouncer
    sqlsmith
    "postgresql-${AG_PG_MAJOR}-pgaudit"
)

# Installs the missing Debian packages; does nothing (and needs no network) when all are there.
ag_install_deps() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        ag_info "cluster.sh: dpkg-query not found; assuming the dependencies are installed"
        return 0
    fi
    local p st missing=()
    for p in "${AG_DEB_PACKAGES[@]}"; do
        st="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
        [[ "$st" == installed ]] || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    if ! ag__is_root; then
        ag_info "cluster.sh: missing packages (run as root to install them): ${missing[*]}"
        return 1
    fi
    ag_info "==> installing packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || return 1
}

# ---------------------------------------------------------------------------------------------------
# Build and private installation

# Sets AG_BINDIR, AG_PKGLIBDIR, AG_SHAREDIR (inside the private installation) and AG_PGXS_DIR.
ag__paths() {
    [[ -x "$AG_PG_CONFIG" ]] || { ag_info "cluster.sh: $AG_PG_CONFIG not found (run ag_install_deps)"; return 1; }
    AG__SYS_BINDIR="$("$AG_PG_CONFIG" --bindir)"
    AG__SYS_SHAREDIR="$("$AG_PG_CONFIG" --sharedir)"
    AG__SYS_PKGLIBDIR="$("$AG_PG_CONFIG" --pkglibdir)"
    AG__SYS_SERVERDIR="$(dirname "$AG__SYS_BINDIR")"
    AG_BINDIR="${AG_TMP_INSTALL}${AG__SYS_BINDIR}"
    AG_SHAREDIR="${AG_TMP_INSTALL}${AG__SYS_SHAREDIR}"
    AG_PKGLIBDIR="${AG_TMP_INSTALL}${AG__SYS_PKGLIBDIR}"
    AG_PGXS_DIR="${AG_PKGLIBDIR}/pgxs"
    export AG_BINDIR AG_SHAREDIR AG_PKGLIBDIR AG_PGXS_DIR
}

# What the copied server tree depends on: the server version and the files of the system tree's
# extension and library directories (a package installed later makes the copy stale).
ag__server_tree_signature() {
    "$AG_PG_CONFIG" --version
    find "$AG__SYS_BINDIR" "$AG__SYS_PKGLIBDIR" "$AG__SYS_SHAREDIR/extension" -maxdepth 1 \
        ! -name 'pg_agentguard*' -printf '%p %s %T@\n' 2>/dev/null | sort | cksum
}

# Runs under the install lock.
ag__build_locked() {
    local root="$AG_TMP_INSTALL" marker sig stage f old new

    ag_info "==> building pg_agentguard"
    make -C "$AG_REPO_ROOT" -j"${AG_JOBS:-2}" PG_CONFIG="$AG_PG_CONFIG" >&2 || {
        ag_info "cluster.sh: make failed"; return 1; }

    marker="$root/.server-tree"
    sig="$(ag__server_tree_signature)"
    if [[ ! -x "$AG_BINDIR/postgres" || ! -f "$marker" || "$(cat "$marker")" != "$sig" ]]; then
        ag_info "==> copying the PostgreSQL ${AG_PG_MAJOR} server tree into $root"
        rm -rf "${root:?}${AG__SYS_SERVERDIR}" "${root:?}${AG__SYS_SHAREDIR}" "$marker"
        mkdir -p "$(dirname "${root}${AG__SYS_SERVERDIR}")" "$(dirname "${root}${AG__SYS_SHAREDIR}")" || return 1
        cp -a "$AG__SYS_SERVERDIR" "${root}${AG__SYS_SERVERDIR}" || return 1
        cp -a "$AG__SYS_SHAREDIR" "${root}${AG__SYS_SHAREDIR}" || return 1
        printf '%s\n' "$sig" >"$marker"
    fi

    # Install into a staging directory, then move each file into place with a rename: a cluster of
    # another run that is using the old files keeps them intact (overwriting a loaded .so in place
    # crashes its backends).
    stage="$(mktemp -d "$root/.stage.XXXXXX")" || return 1
    if ! make -C "$AG_REPO_ROOT" install DESTDIR="$stage" PG_CONFIG="$AG_PG_CONFIG" >"$root/.install.log" 2>&1; then
        rm -rf "$stage"
        cat "$root/.install.log" >&2
        ag_info "cluster.sh: make install failed"
        return 1
    fi
    new="$root/.manifest.new"
    (cd "$stage" && find . \( -type f -o -type l \) -print | sed 's|^\./||' | sort) >"$new"
    while IFS= read -r f; do
        mkdir -p "$(dirname "$root/$f")" || return 1
        cp -a "$stage/$f" "$root/$f.ag-new" && mv -f "$root/$f.ag-new" "$root/$f" || return 1
    done <"$new"
    old="$root/.manifest"
    if [[ -f "$old" ]]; then
        # Files a previous build installed that this one does not (a removed upgrade script, say).
        comm -23 "$old" "$new" | while IFS= read -r f; do rm -f "${root:?}/$f"; done
    fi
    mv -f "$new" "$old"
    rm -rf "$stage"
    chmod -R a+rX "$root" 2>/dev/null || true
}

# Builds the extension (make) and (re)installs it into the private installation $AG_TMP_INSTALL.
ag_build_temp_install() {
    ag__paths || return 1
    local root="$AG_TMP_INSTALL" lockfd rc
    (umask 022 && mkdir -p "$root") || return 1
    if [[ ! -O "$root" ]]; then
        ag_info "cluster.sh: $root is not owned by $(id -un); refusing to use it"
        return 1
    fi
    # Directories on the way must let the postgres user through.
    chmod a+rx "$root" "$(dirname "$root")" 2>/dev/null || true

    exec {lockfd}>"$root/.lock" || return 1
    if ! flock -w 900 "$lockfd"; then
        exec {lockfd}>&-
        ag_info "cluster.sh: timed out waiting for another build in $root"
        return 1
    fi
    (umask 022 && ag__build_locked)
    rc=$?
    exec {lockfd}>&-
    ((rc == 0)) || return "$rc"

    # The copied binaries find share/ and lib/ relative to their own location; prove it.
    local sharedir
    sharedir="$("$AG_BINDIR/pg_config" --sharedir)"
    if [[ "$sharedir" != "$AG_SHAREDIR" ]]; then
        ag_info "cluster.sh: the private installation resolves its share directory to $sharedir, not $AG_SHAREDIR"
        return 1
    fi
    if [[ ! -f "$AG_SHAREDIR/extension/pg_agentguard.control" ]]; then
        ag_info "cluster.sh: pg_agentguard.control is missing from $AG_SHAREDIR/extension after make install"
        return 1
    fi
    if ag__is_root && ! runuser -u postgres -- test -r "$AG_SHAREDIR/extension/pg_agentguard.control"; then
        ag_info "cluster.sh: the OS user postgres cannot read $AG_TMP_INSTALL"
        return 1
    fi
    AG_INSTALL_READY="$AG_TMP_INSTALL"
    export AG_INSTALL_READY
    case ":$PATH:" in
        *":$AG_BINDIR:"*) ;;
        *) PATH="$AG_BINDIR:$PATH"; export PATH ;;
    esac
}

# Builds unless a parent run (the test command) already did for this installation.
ag__ensure_install() {
    if [[ "${AG_INSTALL_READY:-}" == "$AG_TMP_INSTALL" ]]; then
        ag__paths || return 1
        case ":$PATH:" in
            *":$AG_BINDIR:"*) ;;
            *) PATH="$AG_BINDIR:$PATH"; export PATH ;;
        esac
        return 0
    fi
    ag_install_deps || return 1
    ag_build_temp_install
}

# ---------------------------------------------------------------------------------------------------
# Clusters

ag__ensure_run_dir() {
    [[ -n "$AG_RUN_DIR" && -d "$AG_RUN_DIR" ]] && return 0
    AG_RUN_DIR="$(mktemp -d /tmp/agentguard-run.XXXXXX)" || return 1
    chmod 755 "$AG_RUN_DIR"
    if ag__is_root; then
        chown postgres: "$AG_RUN_DIR" || return 1
    fi
}

# True when something listens on TCP port $1 (IPv4 or IPv6), judged from /proc.
ag__port_in_use() {
    local hex
    hex="$(printf '%04X' "$1")"
    awk -v h=":$hex" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == h { found = 1 }
                      END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Prints a TCP port that nothing listens on and that no cluster of this run uses. Picked at random
# below the kernel's ephemeral range so that concurrent runs rarely collide; never 5432.
ag__free_port() {
    local lo=20000 hi=32000 eph p n c taken
    if read -r eph _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null && ((eph > lo + 1000)); then
        hi=$eph
    fi
    for ((n = 0; n < 200; n++)); do
        p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
        ((p == 5432)) && continue
        taken=""
        for c in "${AG__CLUSTERS[@]}"; do
            [[ "${AG__PORT[$c]}" == "$p" ]] && taken=1
        done
        [[ -n "$taken" ]] && continue
        ag__port_in_use "$p" && continue
        printf '%s\n' "$p"
        return 0
    done
    ag_info "cluster.sh: found no free TCP port"
    return 1
}

# ag_cluster_start NAME [postgresql.conf line]...
# initdb + start. Exports PGHOST (the socket directory), PGPORT, PGUSER=postgres and PGDATABASE=postgres
# for this cluster (see ag_cluster_use). Extra lines go last in postgresql.conf, so they win.
ag_cluster_start() {
    local name="${1:-}"
    ag__check_name "$name" || return 1
    shift
    if [[ -n "${AG__DATA[$name]:-}" ]]; then
        ag_info "cluster.sh: cluster '$name' was already started in this run (use ag_cluster_restart)"
        return 1
    fi
    ag__ensure_install || return 1
    ag__ensure_run_dir || return 1

    local dir="$AG_RUN_DIR/$name"
    local data="$dir/data" log="$dir/postgres.log" port line
    mkdir -p "$dir" && chmod 755 "$dir" || return 1
    ag__is_root && { chown postgres: "$dir" || return 1; }

    if ! ag_as_postgres "$AG_BINDIR/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
        >"$dir/initdb.log" 2>&1; then
        ag_info "cluster.sh: initdb failed for cluster '$name':"
        cat "$dir/initdb.log" >&2
        return 1
    fi
    port="$(ag__free_port)" || return 1
    {
        printf '\n# added by test/lib/cluster.sh\n'
        printf "listen_addresses = '127.0.0.1'\n"
        printf 'port = %s\n' "$port"
        printf "unix_socket_directories = '%s'\n" "$dir"
        printf "shared_preload_libraries = 'pg_agentguard'\n"
        printf 'fsync = off\n'
        printf 'log_min_messages = warning\n'
        printf "log_line_prefix = '%%m [%%p] %%q%%u@%%d '\n"
        printf 'max_worker_processes = 16\n'
        # The circuit breaker stops an agent that keeps being refused or changes many rows across
        # statements; tests of other features refuse one agent many times, so clusters start with
        # budgets and breaker off. A test of the breaker turns them on with its own lines (later wins).
        printf 'agentguard.breaker_blocks = 0\n'
        printf 'agentguard.budget_rows = 0\n'
        printf 'agentguard.budget_fraction = 1\n'
        for line in "$@"; do printf '%s\n' "$line"; done
    } >>"$data/postgresql.conf" || return 1

    AG__CLUSTERS+=("$name")
    AG__DATA[$name]="$data"
    AG__SOCK[$name]="$dir"
    AG__LOG[$name]="$log"
    AG__PORT[$name]="$port"

    ag__pg_ctl_start "$name" || return 1
    ag_cluster_use "$name"
}

# Exports PGHOST, PGPORT, PGUSER, PGDATABASE for cluster NAME (plain psql, pgbench, libpq then reach it).
ag_cluster_use() {
    ag__known "${1:-}" || return 1
    PGHOST="${AG__SOCK[$1]}"
    PGPORT="${AG__PORT[$1]}"
    PGUSER=postgres
    PGDATABASE=postgres
    export PGHOST PGPORT PGUSER PGDATABASE
}

# Starts the server of cluster NAME with pg_ctl; the log file is appended to, never truncated.
ag__pg_ctl_start() {
    local name="$1" data="${AG__DATA[$1]}" log="${AG__LOG[$1]}" dir="${AG__SOCK[$1]}"
    local attempt pid i size port new
    # A postmaster killed by a test stays a zombie until init reaps it, and a new server refuses to
    # start while that PID exists; some init processes reap slowly.
    pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]]; then
        for ((i = 0; i < 300; i++)); do
            [[ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" == Z ]] || break
            sleep 0.1
        done
    fi
    for ((attempt = 1; ; attempt++)); do
        size="$(stat -c %s "$log" 2>/dev/null || echo 0)"
        if ag_as_postgres "$AG_BINDIR/pg_ctl" -D "$data" -l "$log" -w -t 120 start >"$dir/pg_ctl.log" 2>&1; then
            return 0
        fi
        new="$(tail -c +"$((size + 1))" "$log" 2>/dev/null)"
        if ((attempt < 15)); then
            if grep -qE 'could not (bind|create any TCP/IP)' <<<"$new"; then
                # Another process took the port between the check and the bind: move to another one.
                port="$(ag__free_port)" || return 1
                sed -i "s/^port = ${AG__PORT[$name]}\$/port = $port/" "$data/postgresql.conf"
                [[ "${PGPORT:-}" == "${AG__PORT[$name]}" && "${PGHOST:-}" == "$dir" ]] && export PGPORT="$port"
                AG__PORT[$name]="$port"
                continue
            fi
            if grep -qE 'pre-existing shared memory block|lock file .* already exists' <<<"$new"; then
                # Backends of a killed postmaster are still on their way out.
                sleep 1
                continue
            fi
        fi
        ag_info "cluster.sh: cluster '$name' did not start; pg_ctl said:"
        cat "$dir/pg_ctl.log" >&2
        ag_info "--- server log:"
        printf '%s\n' "$new" | tail -n 40 >&2
        return 1
    done
}

# ag_cluster_stop NAME [smart|fast|immediate]  (default fast). No-op when it is not running.
ag_cluster_stop() {
    ag__known "${1:-}" || return 1
    local name="$1" mode="${2:-fast}"
    ag__running "$name" || return 0
    if ! ag_as_postgres "$AG_BINDIR/pg_ctl" -D "${AG__DATA[$name]}" -w -t 120 stop -m "$mode" \
        >"${AG__SOCK[$name]}/pg_ctl.log" 2>&1; then
        ag_info "cluster.sh: could not stop cluster '$name':"
        cat "${AG__SOCK[$name]}/pg_ctl.log" >&2
        return 1
    fi
}

# ag_cluster_restart NAME [smart|fast|immediate]  (default fast). Also starts a stopped or crashed cluster.
ag_cluster_restart() {
    ag__known "${1:-}" || return 1
    local name="$1" mode="${2:-fast}"
    if ag__running "$name"; then
        ag_cluster_stop "$name" "$mode" || return 1
    fi
    ag__pg_ctl_start "$name"
}

# Paths and numbers of a cluster.
ag_cluster_log() { ag__known "${1:-}" && printf '%s\n' "${AG__LOG[$1]}"; }
ag_cluster_port() { ag__known "${1:-}" && printf '%s\n' "${AG__PORT[$1]}"; }
ag_cluster_host() { ag__known "${1:-}" && printf '%s\n' "${AG__SOCK[$1]}"; }
ag_cluster_datadir() { ag__known "${1:-}" && printf '%s\n' "${AG__DATA[$1]}"; }

# PID of the postmaster (from postmaster.pid); fails when the cluster is not running.
ag_cluster_pid() {
    ag__known "${1:-}" || return 1
    local pid
    pid="$(head -n 1 "${AG__DATA[$1]}/postmaster.pid" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && ag__is_our_postmaster "$1" "$pid" || return 1
    printf '%s\n' "$pid"
}

# True when PID is alive and is the postmaster of cluster NAME's data directory.
ag__is_our_postmaster() {
    local name="$1" pid="$2" cmdline
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
    [[ "$cmdline" == *"${AG__DATA[$name]}"* ]]
}

ag__running() { ag_cluster_pid "$1" >/dev/null 2>&1; }

# ag_psql NAME [psql args]: psql -X -v ON_ERROR_STOP=1 against cluster NAME, as user postgres, database
# postgres unless the arguments say otherwise (-U, -d or a database name).
ag_psql() {
    ag__known "${1:-}" || return 1
    local name="$1"
    shift
    PGHOST="${AG__SOCK[$name]}" PGPORT="${AG__PORT[$name]}" PGUSER=postgres PGDATABASE=postgres \
        "$AG_BINDIR/psql" -X -v ON_ERROR_STOP=1 "$@"
}

# ag_wait_for_log NAME REGEX [SECONDS=30]: waits until the cluster's log has a line matching REGEX.
ag_wait_for_log() {
    ag__known "${1:-}" || return 1
    local name="$1" re="$2" secs="${3:-30}" i
    for ((i = 0; i < secs * 10; i++)); do
        grep -qE -- "$re" "${AG__LOG[$name]}" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------------------------------------------
# Cleanup

ag__stop_for_cleanup() {
    local name="$1" pid
    pid="$(ag_cluster_pid "$name" 2>/dev/null)" || return 0
    ag_as_postgres "$AG_BINDIR/pg_ctl" -D "${AG__DATA[$name]}" -w -t 30 stop -m immediate >/dev/null 2>&1
    if ag__is_our_postmaster "$name" "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

ag__cleanup() {
    local rc="$1" h name
    [[ -n "$AG__CLEANED" ]] && return 0
    AG__CLEANED=1
    for h in "${AG__EXIT_HOOKS[@]}"; do
        eval "$h" || true
    done
    if ((rc != 0)) && [[ "${AG_LOG_TAIL_ON_FAILURE:-1}" == 1 ]]; then
        for name in "${AG__CLUSTERS[@]}"; do
            [[ -s "${AG__LOG[$name]}" ]] || continue
            printf -- '--- last lines of the server log of cluster %s:\n' "$name" >&2
            tail -n 30 "${AG__LOG[$name]}" >&2
        done
    fi
    for name in "${AG__CLUSTERS[@]}"; do
        ag__stop_for_cleanup "$name"
    done
    if [[ -n "$AG_RUN_DIR" && -d "$AG_RUN_DIR" ]]; then
        if [[ "${AG_KEEP:-0}" == 1 ]]; then
            ag_info "cluster.sh: kept $AG_RUN_DIR (AG_KEEP=1)"
        else
            rm -rf "${AG_RUN_DIR:?}"
        fi
    fi
}

ag__on_exit() {
    local rc=$?
    ag__cleanup "$rc"
    return "$rc"
}

ag__on_signal() {
    local sig="$1"
    ag__cleanup 1
    trap - EXIT "$sig"
    if [[ "$sig" == INT ]]; then exit 130; fi
    exit 143
}

trap 'ag__on_exit' EXIT
trap 'ag__on_signal INT' INT
trap 'ag__on_signal TERM' TERM
