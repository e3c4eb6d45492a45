# Sourced by scripts/dist.sh: `zig_env TARGET` exports into this shell the environment with which
# cargo-zigbuild would build for TARGET (its zig linker and C compiler wrappers; a glibc floor as
# in x86_64-unknown-linux-gnu.2.17), so that plain `cargo build --target …` and `maturin build
# --target …` (without --zig) both build with it.
#
# Why not `cargo zigbuild` and `maturin --zig`: each writes wrappers of its own (in a directory
# named after its own executable), cargo puts the linker and the C compiler in every crate's
# fingerprint, and so the wheel's build and the library's never shared a crate: every
# dependency was compiled twice. With one environment they share what their features share.
#
# How: cargo-zigbuild runs the cargo that $CARGO names; here that is a script which writes out
# the variables cargo-zigbuild set, and builds nothing.
zig_env() { # target, as cargo-zigbuild takes it
    local capture triple
    capture=$(mktemp -d)
    triple=$(echo "${1%%.*}" | tr - _) # as the variables cargo reads spell it
    cat > "$capture/cargo" <<EOF
#!/bin/sh
export -p | grep -E '^export (CARGO_TARGET_|CARGO_UNSTABLE_|CARGO_ZIGBUILD_|__CARGO_TEST_CHANNEL_OVERRIDE|[A-Z_]+_$triple=)' > "$capture/env"
EOF
    chmod +x "$capture/cargo"
    CARGO=$capture/cargo cargo-zigbuild zigbuild --target "$1" && grep -q '_LINKER=' "$capture/env" ||
        { echo "zig_env: cargo-zigbuild gave no linker for $1" >&2; rm -rf "$capture"; return 1; }
    # shellcheck disable=SC1091
    . "$capture/env"
    rm -rf "$capture"
}
