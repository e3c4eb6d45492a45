#!/usr/bin/env bash
# `make dist-check`, after `make dist dist-cross`: the other platforms' artefacts tested as
# shipped, as far as an x86_64 machine allows.
#   aarch64 glibc, in an arm64 Debian root (debootstrap, run under qemu-user through binfmt):
#     a C program built against the tarball (zig, glibc 2.17) runs the C basics; the command
#     runs its own simulator, a fees call and a journaled charge; the root's Python 3.11 runs
#     the pytest suite on the wheel; the root's PHP 8.2 runs the PHP suite on the PHP package,
#     whose loader picks lib/aarch64-linux-gnu by itself.
#   x86_64 musl: the C basics linked with musl-gcc against the tarball's library; the static
#     command (sim, fees, a journaled charge).
#   aarch64 musl: the C basics (zig, aarch64-linux-musl) under qemu with Debian's arm64 musl;
#     the static command under qemu.
#   every wheel: `auditwheel show` (its platform tag and the symbols it needs).
# Not here (no such system on this machine): Alpine itself, PHP on musl, Python on aarch64 musl.
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
toolchain=$root/target/cross
venv=$root/target/venv
export PATH=$venv/bin:$PATH
passed=0 failed=0
check() { # condition-status, what
    if [ "$1" -eq 0 ]; then echo "ok - $2"; passed=$((passed + 1)); else echo "not ok - $2"; failed=$((failed + 1)); fi
}
for platform in aarch64-linux-gnu x86_64-linux-musl aarch64-linux-musl; do
    [ -f "dist/libvngate-$version-$platform.tar.gz" ] || { echo "dist-check: no $platform tarball: run \`make dist-cross\`" >&2; exit 1; }
done
cargo build --quiet -p vngate-tests --bin vngate-sim || exit 1
. tests/sim.sh

# What it needs: qemu-user (with binfmt, so that the root's programs run), debootstrap, musl-gcc,
# and an arm64 Debian root with Python and PHP.
need=()
[ -x /usr/bin/qemu-aarch64-static ] || need+=(qemu-user-static binfmt-support)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v musl-gcc >/dev/null || need+=(musl-tools)
[ ${#need[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null || exit 1
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
arm64=$root/target/arm64-root
if [ ! -x "$arm64/usr/bin/php" ]; then
    started=$(date +%s)
    mirror=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
    debootstrap --arch=arm64 --variant=minbase bookworm "$arm64" "${mirror:-http://deb.debian.org/debian}" >/dev/null || exit 1
    cp /etc/resolv.conf "$arm64/etc/resolv.conf"
    chroot "$arm64" /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 php-cli >/dev/null' || exit 1
    echo "# the arm64 root (debootstrap, python3, php-cli): $(( $(date +%s) - started )) s"
fi
mountpoint -q "$arm64/proc" || mount -t proc proc "$arm64/proc"
trap 'umount "$arm64/proc" 2>/dev/null' EXIT
echo "# arm64 root: $(chroot "$arm64" python3 --version), PHP $(chroot "$arm64" php -r 'echo PHP_VERSION;'), $(chroot "$arm64" uname -m) under $(qemu-aarch64-static --version | head -n1)"

work=$arm64/opt/check
rm -rf "$work"
mkdir -p "$work"
for platform in aarch64-linux-gnu x86_64-linux-musl aarch64-linux-musl; do
    tar -xzf "dist/libvngate-$version-$platform.tar.gz" -C "$work"
done
tar -xzf "dist/vngate-php-$version.tar.gz" -C "$work"
git archive HEAD | tar -x -C "$work" --one-top-level=src
zig=$venv/bin/python-zig
cflags=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pthread -I"$root/tests/c")

# The C basics against each platform's library, run against the simulator (on this host: the
# programs reach it on 127.0.0.1 from the root too).
basics() { # label, runner…
    local label=$1 out
    shift
    out=$(with_sim "$@" 2>&1)
    echo "$out" | grep -E '^[0-9]+ passed, 0 failed$' >/dev/null
    check $? "$label: tests/c/test_basics.c ($(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n1))"
}
gnu=/opt/check/libvngate-$version-aarch64-linux-gnu
"$zig" cc -target aarch64-linux-gnu.2.17 "${cflags[@]}" -I"$arm64$gnu/include" tests/c/test_basics.c -o "$work/basics-aarch64-gnu" \
    -L"$arm64$gnu/lib" -lvngate -Wl,-rpath,"$gnu/lib"
basics "aarch64 glibc, in the arm64 root" chroot "$arm64" /opt/check/basics-aarch64-gnu
musl=$work/libvngate-$version-x86_64-linux-musl
musl-gcc "${cflags[@]}" -I"$musl/include" tests/c/test_basics.c -o "$work/basics-x86_64-musl" -L"$musl/lib" -lvngate -Wl,-rpath,"$musl/lib"
basics "x86_64 musl (musl-gcc, Debian's musl $(dpkg-query -W -f '${Version}' musl 2>/dev/null))" "$work/basics-x86_64-musl"
musl=$work/libvngate-$version-aarch64-linux-musl
# -O2: without it zig links its UBSan runtime, which wants a newer musl than Debian's.
"$zig" cc -target aarch64-linux-musl -O2 "${cflags[@]}" -I"$musl/include" tests/c/test_basics.c -o "$work/basics-aarch64-musl" \
    -L"$musl/lib" -lvngate
basics "aarch64 musl (qemu-aarch64 with Debian's arm64 musl)" env QEMU_LD_PREFIX="$toolchain/root" LD_LIBRARY_PATH="$musl/lib" \
    qemu-aarch64-static "$work/basics-aarch64-musl"

# Each command: its own simulator (`vngate sim --write-config`), fees, a journaled charge, the
# journal's list.
command_check() { # label, the command inside the runner, a fresh directory as the runner sees it, runner…
    local label=$1 vngate=$2 dir=$3 out
    shift 3
    "$@" sh -c "mkdir -p $dir; $vngate sim --port 0 --write-config $dir > $dir/sim.log 2>&1 & sim=\$!; sleep 3; cd $dir \
        && $vngate --account s1 chargingws fees -o json | head -c 60 && echo \
        && printf 312821445892981 | $vngate --account s1 chargingws charge --telco VIETTEL --code-file - --serial 10004783347874 --amount 50000 --request-id c-1 \
        && $vngate journal list; kill \$sim" > "$work/command.log" 2>&1
    out=$(cat "$work/command.log")
    echo "$out" | grep -q '"fees"\|"telco"' && echo "$out" | grep -q '"status":99' && echo "$out" | grep -q 'c-1'
    check $? "$label: vngate sim, fees, a journaled charge, journal list ($(echo "$out" | tr '\n' ' ' | head -c 160)…)"
}
command_check "aarch64 glibc command, in the arm64 root" "$gnu/bin/vngate" /opt/check/cfg-gnu chroot "$arm64"
command_check "x86_64 musl static command" "$work/libvngate-$version-x86_64-linux-musl/bin/vngate" "$work/cfg-musl" env
command_check "aarch64 musl static command, under qemu" "qemu-aarch64-static $work/libvngate-$version-aarch64-linux-musl/bin/vngate" \
    "$work/cfg-aarch64-musl" env

# Python on aarch64: the root's CPython with the wheel and the suite's dependencies (aarch64
# wheels, fetched here), the simulator being the aarch64 command's.
site=$work/site
pip install --quiet --disable-pip-version-check --target "$site" --platform manylinux2014_aarch64 --python-version 3.11 \
    --implementation cp --only-binary=:all: pytest flask fastapi uvicorn mypy >/dev/null
pip install --quiet --disable-pip-version-check --target "$site" --platform manylinux2014_aarch64 --python-version 3.11 \
    --implementation cp --only-binary=:all: --no-deps dist/vngate-*-manylinux2014_aarch64*.whl >/dev/null
printf '#!/bin/sh\nexec %s/bin/vngate sim "$@"\n' "$gnu" > "$work/sim"
chmod +x "$work/sim"
chroot "$arm64" sh -c "cd /opt/check/src/tests/python && PYTHONPATH=/opt/check/site VNGATE_SIM_BIN=/opt/check/sim \
    python3 -m pytest -q -p no:cacheprovider" > "$work/pytest.log" 2>&1
rc=$?
line=$(grep -hE '^[0-9]+ (passed|failed)' "$work/pytest.log" | tail -n1)
grep -E '^(FAILED|ERROR)' "$work/pytest.log" | head -n5
[ "$rc" -eq 0 ]
check $? "aarch64 glibc wheel, the root's $(chroot "$arm64" python3 --version): pytest ($line)"

# PHP on aarch64: the release package's suite on the root's PHP; no VNGATE_LIB, so the loader
# picks lib/aarch64-linux-gnu/ itself.
pkg=/opt/check/vngate-php-$version
said=$(chroot "$arm64" php -d ffi.enable=1 -r "require '$pkg/src/Library.php'; echo Vngate\\Library::platform(), ' ', Vngate\\Library::libraryPath();")
[ "$said" = "aarch64-linux-gnu $pkg/lib/aarch64-linux-gnu/libvngate.so" ]
check $? "the PHP package's loader on arm64 picks its platform's library ($said)"
php_suite() {
    chroot "$arm64" env VNGATE_PHP_SRC="$pkg/src/" VNGATE_APPOTA_PEM=/opt/check/src/tests/data/appotapay-partner-key.pem \
        VNGATE_VERSION="$version" VNGATE_SIM_URL="$VNGATE_SIM_URL" \
        php -d ffi.enable=1 -d zend.exception_ignore_args=0 /opt/check/src/php/tests/run.php
}
out=$(with_sim php_suite 2>&1)
echo "$out" | grep -E '^not ok' | head -n5
echo "$out" | grep -qE '^[0-9]+ passed, 0 failed$'
check $? "aarch64 glibc PHP package, the root's PHP $(chroot "$arm64" php -r 'echo PHP_VERSION;'): php/tests/run.php ($(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n1))"

# The x86_64 musllinux wheel in a CPython linked with musl (scripts/musl-python.sh: Debian's
# source built with musl-gcc; no _ssl, so its pip installs from wheels fetched here).
started=$(date +%s)
py=$(bash scripts/musl-python.sh "$root/target/musl-python") || exit 1
echo "# a musl CPython ($("$py" --version)): $(( $(date +%s) - started )) s"
wheels=$work/musl-wheels
pip download --quiet --disable-pip-version-check -d "$wheels" --platform musllinux_1_2_x86_64 --python-version 3.11 \
    --implementation cp --only-binary=:all: pytest flask fastapi uvicorn mypy >/dev/null
msite=$work/musl-site
refused=$("$py" -m pip install --disable-pip-version-check --no-index --target "$msite" --no-deps dist/vngate-*-manylinux2014_x86_64*.whl 2>&1)
echo "$refused" | grep -q "is not a supported wheel on this platform"
check $? "musl CPython: pip refuses the manylinux wheel ($(echo "$refused" | grep -o 'is not a supported wheel on this platform' | head -n1))"
"$py" -m pip install --quiet --disable-pip-version-check --no-index --find-links "$wheels" --target "$msite" \
    dist/vngate-*-musllinux_1_2_x86_64*.whl pytest flask fastapi uvicorn mypy >/dev/null 2>&1
check $? "musl CPython: pip installs the musllinux_1_2_x86_64 wheel"
# test_the_fastapi_example needs _ssl, which this CPython lacks (its OpenSSL is glibc's).
(cd tests/python && PYTHONPATH=$msite VNGATE_SIM_BIN=$root/target/debug/vngate-sim \
    "$py" -m pytest -q -p no:cacheprovider --deselect test_examples.py::test_the_fastapi_example) > "$work/musl-pytest.log" 2>&1
rc=$?
grep -E '^(FAILED|ERROR)' "$work/musl-pytest.log" | head -n5
[ "$rc" -eq 0 ]
check $? "x86_64 musllinux wheel, musl CPython: pytest ($(grep -hE '^[0-9]+ (passed|failed)' "$work/musl-pytest.log" | tail -n1); the FastAPI example deselected: no _ssl)"

# Every wheel as auditwheel reads it. The manylinux ones: their tag. The musllinux ones: here,
# with musl's libc.so on the library path (this machine's is glibc's), auditwheel sees that
# they need musl's libc and nothing else, no versioned symbol; its tag verdict stays
# linux_*, because zig names musl `libc.so` where Alpine's builds name `libc.musl-ARCH.so.1`
# (musl's loader takes both as itself: the wheel installs and imports, above).
pip install --quiet --disable-pip-version-check auditwheel >/dev/null
for wheel in dist/*.whl; do
    case $wheel in
        *musllinux_1_2_x86_64*) musl=/usr/lib/x86_64-linux-musl ;;
        *musllinux_1_2_aarch64*) musl=$toolchain/root/lib/aarch64-linux-musl ;;
        *) musl= ;;
    esac
    shown=$(LD_LIBRARY_PATH=$musl auditwheel show "$wheel" 2>&1 | tr '\n' ' ' | tr -s ' ')
    if [ -z "$musl" ]; then
        tag=$(echo "$wheel" | grep -o 'manylinux_2_17_[a-z0-9_]*')
        echo "$shown" | grep -q "consistent with the following platform tag: \"$tag\""
    else
        echo "$shown" | grep -q 'references no external versioned symbols' \
            && [ "$(echo "$shown" | grep -o '"[^"]*": "[^"]*"' | cut -d'"' -f2 | tr '\n' ' ')" = "libc.so " ]
    fi
    check $? "auditwheel show $(basename "$wheel"): ${shown:0:230}"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
