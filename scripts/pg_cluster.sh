#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite.
#
#   scripts/pg_cluster.sh start   create + start a cluster, print its URL
#   scripts/pg_cluster.sh stop    stop it and delete its directory
#   scripts/pg_cluster.sh url     print the URL of the running cluster
#
# The cluster lives in ${EWS_PG_DIR:-/tmp/ews-pg-$UID} (data/, sock/, log,
# url), listens on 127.0.0.1 only, on a free port, with trust auth and
# fsync=off: it is for tests only and holds nothing worth keeping.
# PostgreSQL refuses to run as root, so as root the server runs as the
# system user 'ewspg' (created on first use).
set -euo pipefail

# runuser and useradd live in sbin, which a non-login root PATH may lack.
PATH="$PATH:/usr/sbin:/sbin"

pg_dir="${EWS_PG_DIR:-/tmp/ews-pg-$UID}"
data_dir="$pg_dir/data"
sock_dir="$pg_dir/sock"
log_file="$pg_dir/postgres.log"
url_file="$pg_dir/url"
marker="$pg_dir/.ews-pg-cluster"   # proves the dir is ours before rm -rf
db_name=ews_test
pg_user=ewspg                      # OS user for the server when run as root

die() { echo "pg_cluster: $*" >&2; exit 1; }

usage() { echo "usage: $0 start|stop|url" >&2; exit 2; }

# Run a command as the cluster's owner: 'ewspg' when we are root, else ourselves.
# cd / first so postgres does not warn about an unreadable cwd (e.g. /root).
as_owner() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u "$pg_user" -- "$@")
    else
        "$@"
    fi
}

owner_name() {
    if [[ $EUID -eq 0 ]]; then echo "$pg_user"; else id -un; fi
}

# Directory holding initdb/pg_ctl/psql: PATH first, then the newest
# /usr/lib/postgresql/*/bin. Symlinks are resolved (e.g. /usr/local/bin/initdb
# pointing into /usr/lib/postgresql/15/bin) so the sibling tools are found.
find_bin_dir() {
    local initdb
    initdb="$(command -v initdb 2>/dev/null || true)"
    if [[ -z $initdb ]]; then
        initdb="$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)"
        [[ -x $initdb ]] || return 1
    fi
    dirname "$(readlink -f "$initdb")"
}

ensure_postgres_installed() {
    if ! bin_dir="$(find_bin_dir)"; then
        echo "pg_cluster: no initdb found, installing Debian's postgresql" >&2
        [[ $EUID -eq 0 ]] || die "not root: install the 'postgresql' package first"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bin_dir="$(find_bin_dir)" || die "initdb still not found after installing postgresql"
    fi
    for tool in initdb pg_ctl psql; do
        [[ -x "$bin_dir/$tool" ]] || die "$bin_dir/$tool missing"
    done
}

ensure_pg_user() {
    [[ $EUID -eq 0 ]] || return 0
    if ! id -u "$pg_user" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$pg_user"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Healthy = pg_ctl says it runs and the test database answers a query.
is_healthy() {
    [[ -f $url_file && -f "$data_dir/PG_VERSION" ]] || return 1
    as_owner "$bin_dir/pg_ctl" status -D "$data_dir" >/dev/null 2>&1 || return 1
    local port
    port="$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$data_dir/ews.conf" 2>/dev/null)"
    [[ -n $port ]] || return 1
    as_owner "$bin_dir/psql" -X -q -h "$sock_dir" -p "$port" -d "$db_name" \
        -tAc 'select 1' >/dev/null 2>&1
}

cmd_stop() {
    [[ -e $pg_dir ]] || return 0
    [[ -f $marker ]] || die "$pg_dir exists but was not made by this script; not touching it"
    if [[ -f "$data_dir/postmaster.pid" ]]; then
        ensure_postgres_installed
        # fast = roll back open transactions; fall back to immediate if it hangs
        as_owner "$bin_dir/pg_ctl" stop -D "$data_dir" -m fast -w -t 30 >/dev/null 2>&1 \
            || as_owner "$bin_dir/pg_ctl" stop -D "$data_dir" -m immediate -w -t 30 \
                >/dev/null 2>&1 \
            || true
    fi
    rm -rf -- "$pg_dir"
}

cmd_start() {
    ensure_postgres_installed
    ensure_pg_user

    if [[ -f $marker ]]; then
        if is_healthy; then          # already running and fine: reuse it
            cat "$url_file"
            return 0
        fi
        cmd_stop                     # stale or half-made: start over
    elif [[ -e $pg_dir ]] && [[ -n "$(ls -A "$pg_dir")" ]]; then
        die "$pg_dir exists, is not empty and was not made by this script"
    fi

    mkdir -p "$pg_dir"
    touch "$marker"
    mkdir -p "$sock_dir"
    if [[ $EUID -eq 0 ]]; then
        chown -R "$pg_user:" "$pg_dir"
        chmod 0755 "$pg_dir"
        as_owner test -w "$pg_dir" \
            || die "$pg_user cannot reach $pg_dir (set EWS_PG_DIR to a path under /tmp)"
    fi

    # --auth=trust covers both local (unix socket) and host (127.0.0.1/::1).
    as_owner "$bin_dir/initdb" -D "$data_dir" --username="$(owner_name)" \
        --auth=trust --encoding=UTF8 --no-locale --no-sync >"$pg_dir/initdb.log" 2>&1 \
        || { cat "$pg_dir/initdb.log" >&2; die "initdb failed"; }
    echo "include_if_exists = 'ews.conf'" >>"$data_dir/postgresql.conf"

    # The free port may be grabbed by someone else before postgres binds it:
    # retry a few times with a fresh one.
    local port attempt started=0
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        # written by the owner so the server can read it (postgres is picky)
        as_owner tee "$data_dir/ews.conf" >/dev/null <<EOF
# written by scripts/pg_cluster.sh (attempt $attempt)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock_dir'
$(durability)
max_connections = 200
EOF
        if as_owner "$bin_dir/pg_ctl" start -D "$data_dir" -l "$log_file" -w -t 60 \
            >/dev/null 2>&1; then
            started=1
            break
        fi
    done
    if [[ $started -ne 1 ]]; then
        tail -n 20 "$log_file" >&2 || true
        die "postgres did not start (log: $log_file)"
    fi

    as_owner "$bin_dir/psql" -X -q -h "$sock_dir" -p "$port" -d postgres \
        -c "CREATE DATABASE $db_name" >/dev/null

    echo "postgresql+psycopg://$(owner_name)@127.0.0.1:$port/$db_name" >"$url_file"
    cat "$url_file"
}

# Tests need no durability (fsync off); EWS_PG_DURABLE=1 keeps PostgreSQL's defaults, for
# benchmarks that compare with SQLite's synchronous=FULL.
durability() {
    if [[ ${EWS_PG_DURABLE:-} == 1 ]]; then
        echo "# PostgreSQL's durable defaults (EWS_PG_DURABLE=1)"
    else
        printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'
    fi
}

cmd_url() {
    [[ -f $url_file ]] || die "no cluster in $pg_dir (run: $0 start)"
    cat "$url_file"
}

[[ $# -eq 1 ]] || usage
case "$1" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) cmd_url ;;
    *) usage ;;
esac
