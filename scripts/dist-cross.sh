#!/usr/bin/env bash
# `make dist-cross`, after `make dist`: the other Linux platforms' artefacts, into dist/ beside
# the x86_64 glibc ones, from unchanged sources:
#   - aarch64, glibc >= 2.17: the libvngate tarball and the manylinux2014_aarch64 wheel;
#   - x86_64 and aarch64 musl (Alpine): the libvngate tarball (its `vngate` command static) and
#     the musllinux_1_2 wheels;
#   - the PHP package (vngate-php-VERSION.tar.gz) rebuilt with every platform's library in
#     lib/PLATFORM/ (the loader picks the one for its machine and C library).
# The toolchain is Debian's Rust 1.96 with the arm64 standard library and the standard
# library's sources (scripts/cross-toolchain.sh: this machine cannot add rustup targets); musl
# has no prebuilt standard library there, so it is built with the crate (-Zbuild-std,
# RUSTC_BOOTSTRAP). zig links everything: glibc 2.17 as the floor, musl's C runtime.
# About 30 minutes on 2 cores. Tested by scripts/dist-check.sh (`make dist-check`).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
php=dist/vngate-php-$version
[ -d "$php" ] || { echo "dist-cross: run \`make dist\` first (this adds to its dist/)" >&2; exit 1; }
toolchain=$root/target/cross
bash scripts/cross-toolchain.sh "$toolchain" >/dev/null
command -v llvm-strip-14 >/dev/null || { apt-get install -y -qq llvm-14 >/dev/null; }
venv=$root/target/venv
export PATH=$toolchain/bin:$venv/bin:$PATH CARGO_ZIGBUILD_ZIG_PATH=$venv/bin/python-zig CARGO_TARGET_DIR=$root/target/cross-build
# GNU strip from Debian's x86_64 binutils does not know aarch64 files; llvm-strip knows all.
strip=llvm-strip-14
. scripts/lib-tarball.sh
timed() { # what, command…
    local what=$1 started
    shift
    started=$(date +%s)
    "$@"
    echo "# $what: $(( $(date +%s) - started )) s"
}

. scripts/lib-zig.sh
# Each platform's wheel and library build with one zig environment (scripts/lib-zig.sh), the
# library reusing the crates the wheel built; a subshell each, so that no platform's
# environment reaches the next.

# aarch64, glibc >= 2.17.
target=aarch64-unknown-linux-gnu
(
    zig_env "$target.2.17"
    timed "aarch64 glibc wheel" maturin build --quiet --locked --release --compatibility manylinux2014 --target "$target" -m python/Cargo.toml -o dist
    timed "aarch64 glibc library and command" cargo build --quiet --locked --release -p vngate-ffi -p vngate-cli --target "$target"
)
out=$CARGO_TARGET_DIR/$target/release
lib_tarball aarch64-linux-gnu "$out" "$out/vngate" "$strip"
mkdir -p "$php/lib/aarch64-linux-gnu"
install -m 755 "dist/libvngate-$version-aarch64-linux-gnu/lib/libvngate.so.$version" "$php/lib/aarch64-linux-gnu/libvngate.so"

# musl: the library and the wheel link musl's libc dynamically (a cdylib needs it), the
# command statically (so it runs on any Linux); two builds per target.
export RUSTC_BOOTSTRAP=1
for arch in x86_64 aarch64; do
    target=$arch-unknown-linux-musl
    (
        zig_env "$target" -Zbuild-std=std,panic_unwind
        export RUSTFLAGS="-C link-self-contained=no -C target-feature=-crt-static"
        timed "$arch musl wheel" maturin build --quiet --locked --release --compatibility musllinux_1_2 \
            --target "$target" -m python/Cargo.toml -o dist -Z build-std=std,panic_unwind
        timed "$arch musl library" \
            cargo build --quiet --locked --release -p vngate-ffi --target "$target" -Zbuild-std=std,panic_unwind
    )
    CARGO_TARGET_DIR=$root/target/cross-static RUSTFLAGS="-C link-self-contained=no" timed "$arch musl static command" \
        cargo zigbuild --quiet --locked --release -p vngate-cli --target "$target" -Zbuild-std=std,panic_unwind
    lib_tarball "$arch-linux-musl" "$CARGO_TARGET_DIR/$target/release" "$root/target/cross-static/$target/release/vngate" "$strip"
    mkdir -p "$php/lib/$arch-linux-musl"
    install -m 755 "dist/libvngate-$version-$arch-linux-musl/lib/libvngate.so.$version" "$php/lib/$arch-linux-musl/libvngate.so"
done

tar -czf "$php.tar.gz" -C dist "$(basename "$php")"

# What was built: each artefact's size, and what each binary needs of its C library.
needs() { # a binary: its newest glibc symbol, or that it is musl (and whether static)
    if objdump -T "$1" 2>/dev/null | grep -q 'GLIBC_'; then
        objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sort -t. -k2,2n -k3,3n -u | tail -n1
    elif file "$1" | grep -q 'statically linked'; then
        echo "static"
    else
        echo "musl ($(readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ' | sed 's/ $//'))"
    fi
}
echo "# dist/ ($(du -sh dist | cut -f1)):"
for f in dist/*.whl dist/*.tar.gz; do echo "#   $(basename "$f")  $(du -k "$f" | cut -f1) KiB"; done
for platform in aarch64-linux-gnu x86_64-linux-musl aarch64-linux-musl; do
    base=dist/libvngate-$version-$platform
    echo "#   $platform: libvngate.so $(needs "$base/lib/libvngate.so.$version"), bin/vngate $(needs "$base/bin/vngate"), $(file -b "$base/lib/libvngate.so.$version" | cut -d, -f1-2)"
done
echo "#   the PHP package's libraries: $(cd "$php/lib" && echo */libvngate.so)"
