# Sourced by scripts/dist.sh and scripts/dist-cross.sh: `zig_env TARGET [CARGO ARGS…]` exports
# into this shell the environment with which cargo-zigbuild would build for TARGET (its zig
# linker and C compiler wrappers; a glibc floor as in x86_64-unknown-linux-gnu.2.17), so that
# plain `cargo build --target …` and `maturin build --target …` (without --zig) both build with
# it. The build's other cargo arguments matter: with -Zbuild-std cargo-zigbuild sets less.
#
# Why not `cargo zigbuild` and `maturin --zig`: each writes wrappers of its own (in a directory
# named after its own executable); cargo puts the linker in every crate's fingerprint, and the C
# compiler in those of crates that build C, so the wheel's build and the library's never shared
# a crate: every dependency was compiled twice. With one environment they share what their
# features share.
#
# How: cargo-zigbuild runs the cargo that $CARGO names; here that is a script which writes out
# its environment and builds nothing, and every variable cargo-zigbuild set or changed is
# exported here (whatever a later cargo-zigbuild sets, it is taken too).
zig_env() { # target, as cargo-zigbuild takes it; the build's other cargo arguments
    local capture
    capture=$(mktemp -d)
    printf '#!/usr/bin/env bash\nexport -p > "%s/after"\n' "$capture" > "$capture/cargo"
    chmod +x "$capture/cargo"
    export -p > "$capture/before"
    CARGO=$capture/cargo cargo-zigbuild zigbuild --target "$@" &&
        grep -v -E '^declare -x (_|PWD|OLDPWD|SHLVL|CARGO)=' "$capture/after" |
        grep -vxF -f "$capture/before" | sed 's/^declare -x /declare -gx /' > "$capture/set" &&
        grep -q '_LINKER=' "$capture/set" ||
        { echo "zig_env: cargo-zigbuild gave no linker for $1" >&2; rm -rf "$capture"; return 1; }
    # shellcheck disable=SC1091
    . "$capture/set"
    rm -rf "$capture"
}
