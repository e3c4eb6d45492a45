#!/usr/bin/env bash
# What the shipped library is made of: `scripts/sizes.sh [LIB]` (default: the release
# libvngate.so, built if missing) sums the sizes of its symbols by the crate that names them
# (Rust paths by their first component; C symbols by their prefix: SQLite, ring's assembly),
# and prints each part's share, largest first. Approximate by nature: generic code is counted
# under the crate whose path names the function, and a stripped library is smaller than the
# sum (the symbol table itself goes). `make sizes` runs it.
set -uo pipefail
cd "$(dirname "$0")/.."
lib=${1:-target/release/libvngate.so}
[ -f "$lib" ] || cargo build --quiet --release -p vngate-ffi || exit 1
stripped=$(mktemp)
trap 'rm -f "$stripped"' EXIT
strip -o "$stripped" "$lib"
echo "$lib: $(du -k "$stripped" | cut -f1) KiB stripped"
nm -S -C --defined-only "$lib" | awk '
    NF >= 4 {
        size = strtonum("0x" $2)
        name = $4
        for (i = 5; i <= NF; i++) name = name " " $i
        sub(/^<+/, "", name)            # <T as Trait>::f: the type names the crate
        sub(/^&(mut )?/, "", name)
        if (name ~ /^sqlite3|^Sqlite3/) part = "SQLite (C)"
        else if (name ~ /^(ring_core|ecp_nistz|aes_|gcm_|chacha|poly1305|bn_|x25519|sha(256|512)_block)/) part = "ring (C, assembly)"
        else if (name ~ /::/) { split(name, path, "::"); part = path[1] }
        else part = "other C / std"
        if (part ~ /^(core|alloc|std|T as core|T as alloc|T as std)$/) part = "Rust std (core, alloc, std)"
        sizes[part] += size; total += size
    }
    END {
        for (part in sizes) printf "%8.0f KiB  %5.1f %%  %s\n", sizes[part] / 1024, 100 * sizes[part] / total, part
        printf "%8.0f KiB  100.0 %%  (all symbols; the rest of the file is tables and headers)\n", total / 1024 > "/dev/stderr"
    }' | sort -rn | head -n "${SIZES_TOP:-25}"
