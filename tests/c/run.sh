#!/usr/bin/env bash
# The C suites: each test program built with -Wall -Wextra -Werror against the shared and the
# static library, run against the simulator, then once more under valgrind.
# Usage: tests/c/run.sh [--no-valgrind]
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=$root/tests/c/build
mkdir -p "$build"
valgrind=1
[ "${1:-}" = "--no-valgrind" ] && valgrind=0

cargo build --quiet -p vngate-ffi && cargo build --quiet -p vngate-tests --bin vngate-sim || exit 1
lib=$root/target/debug
# The library's SONAME is libvngate.so.0: what a linked program asks the loader for.
ln -sf libvngate.so "$lib/libvngate.so.0"

. "$root/tests/sim.sh"
export VNGATE_APPOTA_PEM=$root/tests/data/appotapay-partner-key.pem

cflags=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pthread -I"$root/include" -I"$root/tests/c")
status=0
for src in tests/c/test_*.c; do
    name=$(basename "$src" .c)
    cc "${cflags[@]}" "$src" -o "$build/$name.shared" -L"$lib" -Wl,-rpath,"$lib" -lvngate || status=1
    cc "${cflags[@]}" "$src" -o "$build/$name.static" "$lib/libvngate.a" -lm -ldl || status=1
    for kind in shared static; do
        echo "--- $name ($kind)"
        with_sim "$build/$name.$kind" || status=1
    done
done

# The pkg-config file: a program compiled with nothing but its flags links and runs.
pcdir=$build/pkgconfig
mkdir -p "$pcdir" "$build/prefix/lib" "$build/prefix/include"
ln -sf "$lib/libvngate.so" "$build/prefix/lib/libvngate.so"
ln -sf "$lib/libvngate.so" "$build/prefix/lib/libvngate.so.0"
ln -sf "$root/include/vngate.h" "$build/prefix/include/vngate.h"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
sed -e "s|@PREFIX@|$build/prefix|" -e "s|@VERSION@|$version|" ffi/vngate.pc.in > "$pcdir/vngate.pc"
echo "--- pkg-config: vngate $(PKG_CONFIG_PATH=$pcdir pkg-config --modversion vngate)"
soname=$(readelf -d "$lib/libvngate.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
echo "# SONAME: $soname"
[ "$soname" = libvngate.so.0 ] || { echo "not ok - the library's SONAME is '$soname'"; status=1; }
# The exports: exactly the functions include/symbols.txt lists (a new one adds a line there).
exported=$(nm -D --defined-only "$lib/libvngate.so" | awk '$2 == "T" && $3 ~ /^vngate_/ {print $3}' | sort)
listed=$(grep -v '^#' include/symbols.txt | awk '{print $1}' | sort)
if [ "$exported" = "$listed" ]; then
    echo "ok - the library exports the $(echo "$listed" | wc -l) functions of include/symbols.txt"
    echo "1 passed, 0 failed"
else
    echo "not ok - exports and include/symbols.txt differ:"
    diff <(echo "$listed") <(echo "$exported")
    echo "0 passed, 1 failed"
    status=1
fi
cc "${cflags[@]}" tests/c/test_basics.c -o "$build/test_basics.pc" \
    $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs vngate) -Wl,-rpath,"$build/prefix/lib" || status=1
with_sim "$build/test_basics.pc" > "$build/test_basics.pc.log" || status=1
tail -n1 "$build/test_basics.pc.log"

# The C example, as a user builds it (pkg-config), against the simulator.
cc "${cflags[@]}" examples/c/charge.c -o "$build/example_charge" \
    $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs vngate) -Wl,-rpath,"$build/prefix/lib" || status=1
example() {
    VNGATE_BASE_URL=$VNGATE_SIM_URL VNGATE_PARTNER_ID=10001 VNGATE_PARTNER_KEY=sim-s1-partner-key "$build/example_charge"
}
if with_sim example > "$build/example_charge.log" 2>&1 && grep -q '^charged: .*"status":99' "$build/example_charge.log" \
        && grep -q '^checked: .*"status":99' "$build/example_charge.log"; then
    echo "ok - examples/c/charge.c charges and checks a card"
    echo "1 passed, 0 failed"
else
    cat "$build/example_charge.log"
    echo "0 passed, 1 failed"
    status=1
fi

if [ "$valgrind" = 1 ]; then
    if ! command -v valgrind >/dev/null; then
        echo "valgrind is not installed"; exit 1
    fi
    for src in tests/c/test_*.c; do
        name=$(basename "$src" .c)
        # A forked child's leaked pool (on purpose: its sockets are the parent's) reads as a
        # leak to valgrind; the fork test runs natively only.
        [ "$name" = test_fork ] && continue
        args=()
        # Under valgrind the thread test makes fewer calls: 16 threads x 10.
        [ "$name" = test_threads ] && args=(10)
        echo "--- $name (valgrind)"
        with_sim valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \
            --log-file="$build/$name.valgrind" "$build/$name.shared" "${args[@]}" || status=1
        grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost" "$build/$name.valgrind" | sed "s/^==[0-9]*== */# valgrind $name: /"
    done
fi
exit $status
