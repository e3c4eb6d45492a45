#!/usr/bin/env bash
# The PHP suite: installs php-cli when missing, runs php/tests/run.php against a fresh
# simulator, then once more under valgrind. Traces keep call arguments
# (zend.exception_ignore_args=0, PHP's built-in default and the official Docker images'), as
# the secrets test needs; Debian's php.ini would hide them.
# Usage: tests/php/run.sh [--no-valgrind]
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

if ! command -v php >/dev/null || ! php -m | grep -qi '^ffi$'; then
    echo "installing php-cli (Debian's PHP, FFI built in)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-cli >/dev/null) || { echo "cannot install php-cli"; exit 1; }
fi
cargo build --quiet -p vngate-ffi && cargo build --quiet -p vngate-tests --bin vngate-sim || exit 1

export VNGATE_LIB=$root/target/debug/libvngate.so
export VNGATE_APPOTA_PEM=$root/tests/data/appotapay-partner-key.pem
export VNGATE_VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
. "$root/tests/sim.sh"

status=0
echo "--- php $(php -r 'echo PHP_VERSION;')"
with_sim php -d ffi.enable=1 -d zend.exception_ignore_args=0 php/tests/run.php || status=1
if [ "${1:-}" != "--no-valgrind" ]; then
    echo "--- php (valgrind)"
    # USE_ZEND_ALLOC=0: PHP's allocator would hide allocations from valgrind; pcre.jit=0: JIT code
    # is opaque to valgrind and reads as uninitialised.
    # Without the MariaDB journal test: its TLS runs ring's assembly AES-GCM, whose output
    # valgrind cannot follow and reports as uninitialised (the plain run above covers it).
    USE_ZEND_ALLOC=0 VNGATE_TEST_MYSQL= with_sim valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \
        --log-file="$root/target/php.valgrind" php -d ffi.enable=1 -d zend.exception_ignore_args=0 -d pcre.jit=0 php/tests/run.php || status=1
    grep -E "ERROR SUMMARY|definitely lost|indirectly lost" "$root/target/php.valgrind" | sed "s/^==[0-9]*== */# valgrind php: /"
fi
# The README's PHP quickstart (examples/php/quickstart.php), from a project with a vendor/.
project=$(mktemp -d)
mkdir -p "$project/vendor"
printf '<?php\nspl_autoload_register(function ($c) { $p = %s . str_replace(["Vngate\\\\", "\\\\"], ["", "/"], $c) . ".php"; if (is_file($p)) { require $p; } });\n' "'$root/php/src/'" > "$project/vendor/autoload.php"
quickstart() { (cd "$project" && VNGATE_BASE_URL=$VNGATE_SIM_URL VNGATE_PARTNER_ID=10001 VNGATE_PARTNER_KEY=sim-s1-partner-key php -d ffi.enable=1 "$root/examples/php/quickstart.php"); }
if with_sim quickstart > "$project/out.log" 2>&1 && grep -q '^status 99 PENDING' "$project/out.log"; then
    echo "ok - examples/php/quickstart.php charges a card"; echo "1 passed, 0 failed"
else
    cat "$project/out.log"; echo "0 passed, 1 failed"; status=1
fi
rm -rf "$project"
# php-fpm and cgi-fcgi (which drives php-fpm without a web server), composer with the zip
# extension (its artifact repository needs it; scripts/test-composer.sh uses one), and for the
# Laravel app (tests/php/laravel.py) Debian's Laravel with PDO's SQLite and MySQL drivers.
if ! ls /usr/sbin/php-fpm* >/dev/null 2>&1 || ! command -v cgi-fcgi >/dev/null || ! command -v composer >/dev/null \
        || ! php -m | grep -qx zip || ! php -m | grep -qx pdo_sqlite || ! php -m | grep -qx pdo_mysql \
        || [ ! -f /usr/share/php/Illuminate/Foundation/Application.php ]; then
    echo "installing php-fpm, libfcgi-bin, composer, php-zip, php-sqlite3, php-mysql and php-laravel-framework"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-fpm libfcgi-bin composer php-zip \
        php-sqlite3 php-mysql php-laravel-framework >/dev/null) || { echo "cannot install php-fpm and Laravel"; exit 1; }
fi
# Both composer.json (the repository root, and php/ as the package ships) validate strictly.
if command -v composer >/dev/null; then
    for dir in . php laravel; do
        if (cd "$dir" && composer validate --strict --no-check-publish --no-interaction >/dev/null 2>&1); then
            echo "ok - composer validate --strict ($dir/composer.json)"; echo "1 passed, 0 failed"
        else
            (cd "$dir" && composer validate --strict --no-check-publish --no-interaction); echo "0 passed, 1 failed"; status=1
        fi
    done
else
    echo "# composer is not installed: composer validate skipped"
fi
# php-fpm, as shops deploy it: both recipes serve a verified callback (tests/php/fpm.py).
fpm=$(ls /usr/sbin/php-fpm* | head -n1)
echo "--- php-fpm ($($fpm -v | head -n1 | cut -d' ' -f1-2))"
python3 tests/php/fpm.py "$fpm" || status=1
# vngate/laravel in a Laravel app served by php-fpm (on MariaDB too with VNGATE_TEST_MYSQL).
echo "--- Laravel under php-fpm"
python3 tests/php/laravel.py "$fpm" || status=1
exit $status
