#!/usr/bin/env bash
# A throwaway PostgreSQL for the journal's tests: `scripts/postgres.sh start DIR` installs
# Debian's package if it is missing, starts a server with its data in DIR (trust auth, TCP on
# 127.0.0.1 only) and prints its URL; `scripts/postgres.sh stop DIR` stops it. Exits 3, with
# the reason on stderr, where it cannot start one (no package, no apt, no user to run it as).
# The server speaks TLS too, with the test CA's certificate for localhost and 127.0.0.1
# (tests/data), and its role `tlsonly` may log in over TLS only, as managed databases require.
set -uo pipefail
action=${1:?start|stop}
dir=${2:?a data directory}

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

as_owner() {
    # initdb and postgres refuse to run as root: run them as the package's postgres user.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case $action in
stop)
    bin=$(find_bin)
    [ -n "$bin" ] && [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
    exit 0
    ;;
start)
    bin=$(find_bin)
    if [ -z "$bin" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 ||
                { echo "cannot install Debian's postgresql package" >&2; exit 3; }
            bin=$(find_bin)
        fi
        [ -n "$bin" ] || { echo "no PostgreSQL here and no way to install it (not root, or no apt-get)" >&2; exit 3; }
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        echo "no postgres user to run the server as" >&2
        exit 3
    fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 ||
        { echo "initdb failed: $(tail -n3 "$dir/initdb.log")" >&2; exit 3; }
    here=$(cd "$(dirname "$0")/.." && pwd)
    cp "$here/tests/data/test-leaf-cert.pem" "$dir/server.crt"
    cp "$here/tests/data/test-leaf-key.pem" "$dir/server.key"
    chmod 600 "$dir/server.key"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/server.crt" "$dir/server.key"
    { echo "hostnossl all tlsonly 127.0.0.1/32 reject"; cat "$dir/data/pg_hba.conf"; } >"$dir/hba"
    cat "$dir/hba" >"$dir/data/pg_hba.conf" && rm -f "$dir/hba"
    # Tests need no durability (fsync=off); the benchmark measures it: DURABLE=1 syncs as a
    # production server does.
    fsync=off
    [ -n "${DURABLE:-}" ] && fsync=on
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=$fsync -c max_connections=200 -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key" start >/dev/null 2>&1 ||
        { echo "the server did not start: $(tail -n3 "$dir/server.log" 2>/dev/null)" >&2; exit 3; }
    as_owner "$bin/psql" -q -h "$dir" -p "$port" -U postgres -d postgres -c "CREATE ROLE tlsonly LOGIN SUPERUSER" >/dev/null 2>&1 ||
        { echo "cannot create the role tlsonly" >&2; exit 3; }
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
