#!/usr/bin/env bash
# `make dist`: builds, into dist/, what users install, for Linux x86_64 with glibc >= 2.17
# (zig is the linker, so the binaries ask for no newer glibc than 2.17, whatever this machine
# has):
#   - the abi3 wheel (manylinux2014) and the sdist;
#   - libvngate-VERSION-x86_64-linux-gnu.tar.gz: libvngate.so.VERSION with its .so.0 and .so
#     links, libvngate.a, both headers, vngate.pc (relocatable), the `vngate` command in bin/,
#     README, licences, CHANGELOG;
#   - vngate-php-VERSION.tar.gz: the PHP package as Composer installs it, with its header and
#     the portable libvngate.so in lib/.
# Installs what it needs (maturin, ziglang, cargo-zigbuild) into target/venv.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
venv=$root/target/venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# cargo-zigbuild from PyPI: a prebuilt binary, where `cargo install` compiled it for 45 s.
"$venv/bin/pip" install --quiet --disable-pip-version-check maturin ziglang cargo-zigbuild
export PATH=$venv/bin:$PATH CARGO_ZIGBUILD_ZIG_PATH=$venv/bin/python-zig

rm -rf dist
mkdir -p dist
maturin sdist -m python/Cargo.toml -o dist >/dev/null
# The wheel, then the library and the command, one after the other with one zig environment
# (scripts/lib-zig.sh), so the second reuses every crate the first built with the same
# features: measured cold, 166 s + 138 s, where with a zig environment each (`maturin --zig`,
# `cargo zigbuild`) the second compiled everything again (183 s + 188 s).
. scripts/lib-zig.sh
target=x86_64-unknown-linux-gnu
zig_env "$target.2.17"
maturin build --quiet --locked --release --compatibility manylinux2014 --target "$target" -m python/Cargo.toml -o dist
cargo build --quiet --locked --release --target "$target" -p vngate-ffi -p vngate-cli
out=target/$target/release

. scripts/lib-tarball.sh
lib_tarball x86_64-linux-gnu "$out" "$out/vngate" strip
lib=libvngate-$version-x86_64-linux-gnu

# A Composer package's composer.json names the version: Composer's path and artifact
# repositories need one (without it only `*@dev` installed, and the artifact repository
# refused the tarball).
versioned() { # source composer.json, shipped composer.json
    python3 - "$version" "$1" "$2" <<'PY'
import json, sys
package = json.load(open(sys.argv[2]))
package["version"] = sys.argv[1]
json.dump(package, open(sys.argv[3], "w"), indent=4, ensure_ascii=False)
open(sys.argv[3], "a").write("\n")
PY
}
php=vngate-php-$version
mkdir -p "dist/$php/include"
cp -r php/src php/bin php/preload.php "dist/$php/"
versioned php/composer.json "dist/$php/composer.json"
install -m 644 include/vngate_php.h "dist/$php/include/"
mkdir -p "dist/$php/lib/x86_64-linux-gnu"   # one directory per platform; dist-cross.sh adds the others
install -m 755 "dist/$lib/lib/libvngate.so.$version" "dist/$php/lib/x86_64-linux-gnu/libvngate.so"
install -m 644 README.md LICENSE-MIT LICENSE-APACHE "dist/$php/"
tar -czf "dist/$php.tar.gz" -C dist "$php"

# The Laravel integration (docs/laravel.md), which requires the PHP package above.
laravel=vngate-laravel-$version
mkdir -p "dist/$laravel"
cp -r laravel/src laravel/config "dist/$laravel/"
versioned laravel/composer.json "dist/$laravel/composer.json"
install -m 644 LICENSE-MIT LICENSE-APACHE "dist/$laravel/"
tar -czf "dist/$laravel.tar.gz" -C dist "$laravel"

# What was built, and the newest glibc symbol each binary needs.
glibc() { objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sort -t. -k2,2n -k3,3n -u | tail -n1; }
wheel_so=$(mktemp -d)
python3 -m zipfile -e dist/vngate-*.whl "$wheel_so"
echo "# dist/ ($(du -sh dist | cut -f1)):"
for f in dist/*.whl dist/*.tar.gz; do echo "#   $(basename "$f")  $(du -k "$f" | cut -f1) KiB"; done
echo "#   newest glibc symbol: libvngate.so $(glibc "dist/$lib/lib/libvngate.so.$version"), bin/vngate $(glibc "dist/$lib/bin/vngate"), wheel $(glibc "$(find "$wheel_so" -name '*.so')")"
echo "#   SONAME: $(readelf -d "dist/$lib/lib/libvngate.so.$version" | sed -n 's/.*soname: \[\(.*\)\]/\1/p')"
rm -rf "$wheel_so"
