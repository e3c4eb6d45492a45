#!/usr/bin/env bash
# What the shipped libraries are made of (`make sizes`):
#   1. the release C library (libvngate.so) and the Python extension, stripped, each with its
#      parts' shares: core, the C ABI or the Python binding, HTTP, TLS, JSON, crypto, the
#      journal and each of its backends (SQLite, PostgreSQL, MySQL), Rust's std;
#   2. the library built without the journal (`--no-default-features`, the `small` profile:
#      every crate optimised for size), its size against the 3 MiB goal, and the C tests that
#      need no journal run against it.
# Shares come from the symbol table (each symbol counted under the crate its path names; C
# symbols by their prefix): approximate by nature, and a stripped file is smaller than their
# sum (the symbol table itself goes).
#
#   scripts/sizes.sh [--no-build]     (--no-build: measure what target/ has)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=1
[ "${1:-}" = "--no-build" ] && build=0
status=0

# The part a symbol belongs to, from the crate its path names.
parts() { # LIB
    nm -S -C --defined-only "$1" | awk '
    NF >= 4 {
        size = strtonum("0x" $2)
        name = $4
        for (i = 5; i <= NF; i++) name = name " " $i
        sub(/^<+/, "", name)
        sub(/^&(mut )?/, "", name)
        if (name ~ /^sqlite3|^Sqlite3/) crate = "sqlite-c"
        else if (name ~ /^(ring_core|ecp_nistz|aes_|gcm_|chacha|poly1305|bn_|x25519|sha(256|512)_block)/) crate = "ring"
        else if (name ~ /::/) { split(name, path, "::"); crate = path[1] }
        else crate = "other"
        if (crate ~ /^(vngate)$/) part = "core (vngate)"
        else if (crate ~ /^vngate_ffi$/) part = "C ABI (vngate_ffi)"
        else if (crate ~ /^(_vngate|vngate_python|pyo3|pyo3_ffi|pyo3_log)$/) part = "Python binding (pyo3)"
        else if (crate ~ /^(vngate_front)$/) part = "front (vngate_front)"
        else if (crate ~ /^(vngate_journal|aes_gcm|aes|ghash|polyval|aead|ctr)$/) part = "journal (records, sealing)"
        else if (crate ~ /^(rusqlite|libsqlite3_sys|sqlite-c|hashlink|fallible_iterator|fallible_streaming_iterator)$/) part = "journal: SQLite"
        else if (crate ~ /^(postgres|tokio_postgres|postgres_protocol|postgres_types|tokio|tokio_util|tokio_postgres_rustls|futures_util|futures_channel|futures_core|futures_task|futures_sink|mio|phf|phf_shared|siphasher|stringprep|unicode_normalization|unicode_bidi|unicode_properties|whoami|parking_lot|parking_lot_core|lock_api|fallible_iterator|byteorder|bytes|rand|rand_core|rand_chacha)$/) part = "journal: PostgreSQL"
        else if (crate ~ /^(mysql|mysql_common|flate2|miniz_oxide|crc32fast|lru|pem|twox_hash|saturating|bufstream|named_pipe|btoi|bitvec|num_bigint|num_traits|num_integer|uuid|regex|regex_automata|regex_syntax|aho_corasick|lazy_static|crossbeam|crossbeam_queue|crossbeam_utils|socket2|url|form_urlencoded|idna|icu_normalizer|icu_properties|icu_collections|icu_provider|zerovec|tinystr|yoke|smallvec|frunk|seq_macro|subprocess|memchr)$/) part = "journal: MySQL"
        else if (crate ~ /^(rustls|ring|webpki|rustls_webpki|rustls_pki_types|webpki_roots|untrusted|rustls_native_certs)$/) part = "TLS (rustls, ring)"
        else if (crate ~ /^(ureq|ureq_proto|http|httparse|percent_encoding|base64)$/) part = "HTTP (ureq)"
        else if (crate ~ /^(serde|serde_core|serde_json|serde_path_to_error|itoa|ryu|zmij)$/) part = "JSON (serde)"
        else if (crate ~ /^(rsa|crypto_bigint|num_bigint_dig|pkcs1|pkcs8|der|spki|sha1|sha2|md5|md_5|hmac|digest|block_buffer|crypto_common|subtle|getrandom|const_oid|signature)$/) part = "crypto (RSA, hashes)"
        else if (crate ~ /^(core|alloc|std|T as core|T as alloc|T as std|hashbrown|gimli|addr2line|miniz|rustc_demangle|object|adler2|panic_unwind)$/) part = "Rust std"
        else part = "other (" crate ")"
        sizes[part] += size; total += size
    }
    END {
        for (part in sizes) if (sizes[part] >= 10240) printf "%8.0f KiB  %5.1f %%  %s\n", sizes[part] / 1024, 100 * sizes[part] / total, part
        rest = 0
        for (part in sizes) if (sizes[part] < 10240) rest += sizes[part]
        printf "%8.0f KiB  %5.1f %%  %s\n", rest / 1024, 100 * rest / total, "(parts under 10 KiB)"
    }' | sort -rn
}

stripped_kib() { # LIB
    local out
    out=$(mktemp)
    strip -o "$out" "$1"
    du -k "$out" | cut -f1
    rm -f "$out"
}

if [ "$build" = 1 ]; then
    cargo build --quiet --release -p vngate-ffi -p vngate-python || exit 1
    # Apart, so that target/release keeps the library that ships; the `small` profile (every
    # crate optimised for size).
    cargo build --quiet --profile small -p vngate-ffi --no-default-features --target-dir target/no-journal || exit 1
fi

lib=target/release/libvngate.so
ext=target/release/lib_vngate.so
small=target/no-journal/small/libvngate.so
echo "== the C library, as shipped: $lib, $(stripped_kib "$lib") KiB stripped"
parts "$lib"
echo
echo "== the Python extension (in the wheel): $ext, $(stripped_kib "$ext") KiB stripped"
parts "$ext"
for wheel in dist/*.whl; do
    [ -f "$wheel" ] || continue
    echo "   $wheel: $(du -k "$wheel" | cut -f1) KiB (compressed); inside:"
    python3 -c "import sys, zipfile; [print(f'   {i.file_size // 1024:8d} KiB  {i.filename}') for i in sorted(zipfile.ZipFile(sys.argv[1]).infolist(), key=lambda i: -i.file_size)[:5]]" "$wheel"
done
echo
kib=$(stripped_kib "$small")
echo "== without the journal: $small, $kib KiB stripped (goal: at most 3072 KiB)"
parts "$small"
if [ "$kib" -le 3072 ]; then
    echo "ok - the library without the journal is $kib KiB, within 3 MiB"
else
    echo "FAIL - the library without the journal is $kib KiB, over 3 MiB"
    status=1
fi
if nm -D "$small" | grep -q sqlite3; then
    echo "FAIL - the library without the journal still has SQLite"
    status=1
fi

# Tested as built: the C tests that need no journal, against it.
cargo build --quiet -p vngate-tests --bin vngate-sim || exit 1
. "$root/tests/sim.sh"
export VNGATE_APPOTA_PEM=$root/tests/data/appotapay-partner-key.pem
work=$(mktemp -d)
ln -sf "$root/$small" "$work/libvngate.so.0"
ln -sf "$root/$small" "$work/libvngate.so"
for name in test_basics test_errors test_providers; do
    cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pthread -I"$root/include" -I"$root/tests/c" \
        "tests/c/$name.c" -o "$work/$name" -L"$work" -Wl,-rpath,"$work" -lvngate || status=1
    echo "--- $name (without the journal)"
    with_sim "$work/$name" || status=1
done
rm -rf "$work"
exit $status
