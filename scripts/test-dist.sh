#!/usr/bin/env bash
# Tests the artefacts `make dist` built, not the build tree: a fresh virtual environment installs
# the manylinux wheel and runs the pytest suite; the PHP suite runs on the packaged PHP
# library (its classes, header and libvngate.so); a C program builds from the tarball with
# nothing but its pkg-config file. Prints "N passed, M failed" per part.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
status=0
cargo build --quiet -p vngate-tests --bin vngate-sim || exit 1

# Python: the wheel users download, in a virtual environment that has never seen the source.
venv=$root/target/dist-venv
rm -rf "$venv"
python3 -m venv "$venv" || exit 1
"$venv/bin/pip" install --quiet --disable-pip-version-check pytest flask fastapi uvicorn || exit 1
started=$(date +%s%N)
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps dist/vngate-*.whl || exit 1
echo "# pip install of the wheel: $(( ($(date +%s%N) - started) / 1000000 )) ms"
"$venv/bin/python" -c 'import vngate, sys; assert "dist-venv" in vngate.__file__, vngate.__file__; print("# vngate from", vngate.__file__)' || exit 1
(cd tests/python && "$venv/bin/python" -m pytest -q -p no:cacheprovider) > target/dist-pytest.log 2>&1
rc=$?
tail -n3 target/dist-pytest.log
line=$(grep -hE '^[0-9]+ (passed|failed)' target/dist-pytest.log | tail -n1)
passed=$(echo "$line" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(echo "$line" | grep -oE '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ] || status=1

# PHP: the package as Composer installs it, with its own header and library.
php=$root/dist/vngate-php-$version
. "$root/tests/sim.sh"
export VNGATE_APPOTA_PEM=$root/tests/data/appotapay-partner-key.pem VNGATE_VERSION=$version
VNGATE_PHP_SRC=$php/src VNGATE_LIB=$php/lib/x86_64-linux-gnu/libvngate.so VNGATE_PHP_HEADER=$php/include/vngate_php.h \
    with_sim php -d ffi.enable=1 -d zend.exception_ignore_args=0 php/tests/run.php > target/dist-php.log 2>&1 || status=1
grep -E '^(not ok|FAILED)' target/dist-php.log
grep -E '^[0-9]+ passed, [0-9]+ failed$' target/dist-php.log
# ... and installed as users install it: composer require from path, artifact and VCS.
bash scripts/test-composer.sh "$version" || status=1

# C: the tarball, unpacked anywhere, with nothing but its pkg-config file.
unpacked=$(mktemp -d)
tar -xzf "dist/libvngate-$version-x86_64-linux-gnu.tar.gz" -C "$unpacked"
pc=$unpacked/libvngate-$version-x86_64-linux-gnu/lib/pkgconfig
cc -std=c11 -Wall -Wextra -Werror tests/c/test_basics.c -Itests/c -o "$unpacked/test_basics" \
    $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs vngate) -Wl,-rpath,"$(dirname "$pc")" || status=1
with_sim "$unpacked/test_basics" > target/dist-c.log 2>&1 || status=1
grep -E '^(not ok|[0-9]+ passed, [0-9]+ failed$)' target/dist-c.log

# The command as shipped: its simulator, the config it writes, one read-only call.
cli=$unpacked/libvngate-$version-x86_64-linux-gnu/bin/vngate
cli_passed=0
cli_failed=0
"$cli" sim --write-config "$unpacked/sim" > "$unpacked/sim.out" 2>/dev/null &
cli_sim=$!
for _ in $(seq 50); do [ -s "$unpacked/sim.out" ] && break; sleep 0.1; done
if "$cli" --config "$unpacked/sim/vngate.toml" --account s1 --json chargingws fees | grep -q '"fees"'; then
    cli_passed=$((cli_passed + 1))
else
    cli_failed=$((cli_failed + 1)); status=1; echo "not ok - the shipped vngate command: chargingws fees"
fi
kill $cli_sim
# The licences travel with every artefact: the wheel's dist-info, the sdist, the tarballs.
for artefact in dist/*.whl dist/vngate-"$version".tar.gz dist/libvngate-*.tar.gz dist/vngate-php-*.tar.gz; do
    case $artefact in
        *.whl) listing=$(python3 -m zipfile -l "$artefact") ;;
        *) listing=$(tar -tzf "$artefact") ;;
    esac
    if echo "$listing" | grep -q 'LICENSE-MIT' && echo "$listing" | grep -q 'LICENSE-APACHE'; then
        cli_passed=$((cli_passed + 1))
    else
        cli_failed=$((cli_failed + 1)); status=1; echo "not ok - $(basename "$artefact") lacks the licence texts"
    fi
done
echo "$cli_passed passed, $cli_failed failed"
rm -rf "$unpacked"
exit $status
