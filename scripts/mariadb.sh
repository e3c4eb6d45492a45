#!/usr/bin/env bash
# A throwaway MariaDB for the journal's tests: `scripts/mariadb.sh start DIR` installs Debian's
# mariadb-server if it is missing, starts a server with its data in DIR (TCP on 127.0.0.1
# only, TLS with the test CA's certificate for localhost and 127.0.0.1 from tests/data) and
# prints an admin URL; `scripts/mariadb.sh stop DIR` stops it. Exits 3, with the reason on
# stderr, where it cannot start one. The user `tlsonly` may log in over TLS only, as managed
# databases require. Databases: `vngate` (the URL's), `vngate_php` (the PHP suite's), `vngate_laravel` (the Laravel app's).
set -uo pipefail
action=${1:?start|stop}
dir=${2:?a data directory}

case $action in
stop)
    [ -f "$dir/server.pid" ] && kill "$(cat "$dir/server.pid")" 2>/dev/null
    for _ in $(seq 50); do [ -f "$dir/server.pid" ] || break; sleep 0.1; done
    exit 0
    ;;
start)
    if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get install -y -qq --no-install-recommends mariadb-server >/dev/null 2>&1 ||
                { echo "cannot install Debian's mariadb-server package" >&2; exit 3; }
        fi
        [ -x /usr/sbin/mariadbd ] || { echo "no MariaDB here and no way to install it (not root, or no apt-get)" >&2; exit 3; }
    fi
    user=$(id -un)
    if [ "$(id -u)" = 0 ]; then
        id mysql >/dev/null 2>&1 || { echo "no mysql user to run the server as" >&2; exit 3; }
        user=mysql
    fi
    mkdir -p "$dir/data"
    here=$(cd "$(dirname "$0")/.." && pwd)
    cp "$here/tests/data/test-leaf-cert.pem" "$dir/server.crt"
    cp "$here/tests/data/test-leaf-key.pem" "$dir/server.key"
    chmod 600 "$dir/server.key"
    [ "$(id -u)" = 0 ] && chown -R mysql "$dir"
    mariadb-install-db --no-defaults --user="$user" --datadir="$dir/data" --auth-root-authentication-method=socket \
        >"$dir/install.log" 2>&1 || { echo "mariadb-install-db failed: $(tail -n3 "$dir/install.log")" >&2; exit 3; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # Tests need no durability (the log flushed once a second); the benchmark measures it:
    # DURABLE=1 flushes and syncs the log at every commit, as a production server does.
    flush=2
    [ -n "${DURABLE:-}" ] && flush=1
    /usr/sbin/mariadbd --no-defaults --user="$user" --datadir="$dir/data" --socket="$dir/socket" \
        --pid-file="$dir/server.pid" --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
        --innodb-flush-log-at-trx-commit=$flush --max-connections=300 \
        --ssl-cert="$dir/server.crt" --ssl-key="$dir/server.key" \
        --log-error="$dir/server.log" >/dev/null 2>&1 &
    for _ in $(seq 150); do [ -S "$dir/socket" ] && break; sleep 0.2; done
    [ -S "$dir/socket" ] || { echo "the server did not start: $(tail -n3 "$dir/server.log" 2>/dev/null)" >&2; exit 3; }
    mariadb --no-defaults -S "$dir/socket" -u root -e "
        CREATE USER 'vngate'@'127.0.0.1' IDENTIFIED BY 'vngate';
        GRANT ALL ON *.* TO 'vngate'@'127.0.0.1' WITH GRANT OPTION;
        CREATE USER 'tlsonly'@'127.0.0.1' IDENTIFIED BY 'tlsonly' REQUIRE SSL;
        GRANT ALL ON *.* TO 'tlsonly'@'127.0.0.1';
        CREATE DATABASE vngate; CREATE DATABASE vngate_php; CREATE DATABASE vngate_laravel;" >/dev/null 2>&1 || { echo "cannot create the test users" >&2; exit 3; }
    echo "mysql://vngate:vngate@127.0.0.1:$port/vngate"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
