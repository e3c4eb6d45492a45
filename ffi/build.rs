//! Generates the C header and its PHP variant into `OUT_DIR` (and into `include/` when
//! `VNGATE_WRITE_HEADERS=1`: `make header`). A test compares `include/` with `OUT_DIR`, so CI
//! fails when a committed header is stale.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    println!("cargo:rerun-if-changed=src/lib.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=VNGATE_WRITE_HEADERS");
    // The shared library's SONAME, so programs record `libvngate.so.0` and a distribution can
    // install versions side by side (set here: RUSTFLAGS would rebuild every dependency).
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libvngate.so.0");
        // Never unloaded (dlclose is a no-op), as Python never unloads an extension: PHP's FFI
        // closes the library at shutdown while a resolver thread that outlived its call may
        // still run its code, and the library's process-wide state (shared connection pools,
        // the log sink) would read as leaked.
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }

    let version =
        |part: &str| std::env::var(format!("CARGO_PKG_VERSION_{part}")).expect("cargo sets it");
    let macros = format!(
        "\n#define VNGATE_VERSION_MAJOR {}\n#define VNGATE_VERSION_MINOR {}\n#define VNGATE_VERSION_PATCH {}\n\
         /* MAJOR * 10000 + MINOR * 100 + PATCH */\n#define VNGATE_VERSION_NUMBER ((VNGATE_VERSION_MAJOR * 10000) + (VNGATE_VERSION_MINOR * 100) + VNGATE_VERSION_PATCH)\n\
         #define VNGATE_VERSION_STRING \"{}\"",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH"),
        std::env::var("CARGO_PKG_VERSION").expect("cargo sets it"),
    );

    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("ffi/cbindgen.toml");
    let c = cbindgen::Config {
        after_includes: Some(macros),
        ..config.clone()
    };
    // PHP's FFI parser reads what sits between `#` lines, so the PHP header has none.
    // Its first line names the library version it was made for: the PHP loader compares it with
    // vngate_version() and refuses a mismatch.
    let php = cbindgen::Config {
        header: Some(format!(
            "{}\n/* vngate_php.h for libvngate {} */",
            config.header.clone().unwrap_or_default(),
            std::env::var("CARGO_PKG_VERSION").expect("cargo sets it")
        )),
        cpp_compat: false,
        include_guard: None,
        sys_includes: Vec::new(),
        ..config
    };
    let write_into_tree = std::env::var("VNGATE_WRITE_HEADERS").is_ok_and(|v| v == "1");
    for (config, name) in [(c, "vngate.h"), (php, "vngate_php.h")] {
        let bindings = cbindgen::Builder::new()
            .with_crate(&crate_dir)
            .with_config(config)
            .generate()
            .expect("cbindgen generates the header");
        bindings.write_to_file(out_dir.join(name));
        if write_into_tree {
            bindings.write_to_file(crate_dir.join("../include").join(name));
        }
    }
}
