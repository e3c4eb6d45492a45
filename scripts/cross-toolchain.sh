#!/usr/bin/env bash
# The Rust toolchain for the other platforms' artefacts (scripts/dist-cross.sh), without
# rustup targets (this machine cannot add any) and without touching dpkg's state: Debian's
# rustc-web / cargo-web 1.96 with the arm64 standard library and the standard library's sources
# (for musl, which no Debian package builds a std for: -Zbuild-std), unpacked into DIR, with
# `rustc` and `cargo` wrappers in DIR/bin. Idempotent. Usage: scripts/cross-toolchain.sh DIR
set -euo pipefail
dir=$(realpath -m "${1:?the directory}")
[ -x "$dir/bin/cargo" ] && "$dir/bin/rustc" --version >/dev/null 2>&1 && exit 0
mkdir -p "$dir/debs" "$dir/apt-arm64/lists/partial" "$dir/apt-arm64/cache/archives/partial" "$dir/root"
touch "$dir/apt-arm64/status"
cd "$dir/debs"
# The host's packages (amd64), then the arm64 standard library from an apt state of its own.
apt-get download -q rustc-web cargo-web libstd-rust-web-1.96 libstd-rust-web-dev rust-web-src \
    libllvm22 libgit2-1.5 libhttp-parser2.9 libmbedcrypto7 libmbedtls14 libmbedx509-1 >/dev/null 2>"$dir/apt.log"
arm64=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o "Dir::State::Lists=$dir/apt-arm64/lists"
       -o "Dir::Cache=$dir/apt-arm64/cache" -o "Dir::State::status=$dir/apt-arm64/status")
apt-get "${arm64[@]}" update -qq >/dev/null
apt-get "${arm64[@]}" download -q libstd-rust-web-dev:arm64 libstd-rust-web-1.96:arm64 musl:arm64 >/dev/null 2>>"$dir/apt.log"
for deb in *.deb; do dpkg -x "$deb" "$dir/root"; done
mkdir -p "$dir/bin"
libs=$dir/root/usr/lib/x86_64-linux-gnu
cat >"$dir/bin/rustc" <<SH
#!/bin/sh
LD_LIBRARY_PATH=$libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} exec $dir/root/usr/bin/rustc "\$@"
SH
cat >"$dir/bin/cargo" <<SH
#!/bin/sh
RUSTC=$dir/bin/rustc LD_LIBRARY_PATH=$libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} exec $dir/root/usr/bin/cargo "\$@"
SH
chmod +x "$dir/bin/rustc" "$dir/bin/cargo"
cd "$dir"
rm -rf "$dir/debs" "$dir/apt-arm64/cache"
"$dir/bin/rustc" --version
