#!/usr/bin/env bash
# A CPython linked with musl, for testing the musllinux wheel on this glibc machine (no Alpine
# here): Debian's python3.11, zlib and sqlite3 sources (a private apt state for deb-src,
# nothing of the system's changed), built with Debian's musl-gcc into DIR/prefix (zlib and
# SQLite static, -fPIC, for the zlib and sqlite3 modules). No _ssl or _ctypes (their libraries
# here are glibc builds); pip comes from the source's ensurepip. About 5 minutes on two cores.
# Idempotent. Usage: scripts/musl-python.sh DIR   (prints the interpreter's path)
set -euo pipefail
dir=$(realpath -m "${1:?the directory}")
python=$dir/prefix/bin/python3.11
if [ -x "$python" ]; then echo "$python"; exit 0; fi
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/src" "$dir/bin"
touch "$dir/apt/status"
printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || echo http://deb.debian.org/debian)" \
    > "$dir/apt/src.sources"
apt=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$dir/apt" -o "Dir::State::Lists=$dir/apt/lists"
     -o "Dir::Cache=$dir/apt/cache" -o "Dir::State::status=$dir/apt/status")
apt-get "${apt[@]}" update -qq >/dev/null 2>&1
cd "$dir/src"
apt-get "${apt[@]}" source --download-only -qq python3.11 zlib sqlite3 >/dev/null 2>&1
# configure asks the compiler for its multiarch triplet; musl-gcc (gcc underneath) would say
# x86_64-linux-gnu, which contradicts the musl it detects.
cat >"$dir/bin/musl-cc" <<'SH'
#!/bin/sh
for a in "$@"; do case $a in -print-multiarch | --print-multiarch) echo x86_64-linux-musl; exit 0 ;; esac; done
exec musl-gcc "$@"
SH
chmod +x "$dir/bin/musl-cc"
tar -xjf zlib_*.orig.tar.bz2
(cd zlib-*/ && CC="$dir/bin/musl-cc" CFLAGS="-O2 -fPIC" ./configure --static --prefix="$dir/prefix" >/dev/null && make -s -j2 install >/dev/null)
tar -xf sqlite3_*.orig.tar.*
(cd sqlite3-*/ && CC="$dir/bin/musl-cc" CFLAGS="-O2 -fPIC" ./configure --disable-shared --enable-static --disable-tcl --disable-readline --disable-editline \
    --prefix="$dir/prefix" >/dev/null && make -s -j2 install >/dev/null 2>&1)
tar -xzf python3.11_*.orig.tar.gz
cd Python-3.11*/
CC="$dir/bin/musl-cc" CPPFLAGS="-I$dir/prefix/include" LDFLAGS="-L$dir/prefix/lib" \
    LIBSQLITE3_CFLAGS="-I$dir/prefix/include" LIBSQLITE3_LIBS="-L$dir/prefix/lib -lsqlite3" \
    ./configure --prefix="$dir/prefix" --with-ensurepip=install >"$dir/configure.log" 2>&1
make -s -j2 >"$dir/make.log" 2>&1
make -s install >"$dir/install.log" 2>&1
echo "$python"
