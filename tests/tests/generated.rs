//! The committed generated files (`schema/`, `python/vngate/_models.py`, PHP's shapes and status
//! constants) are exactly what `vngate_sim::generate` writes from the Rust types; a stale one
//! fails here, as a stale C header fails CI. `VNGATE_WRITE_GENERATED=1` rewrites them.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn generated_files_are_current() {
    let write = std::env::var_os("VNGATE_WRITE_GENERATED").is_some();
    let mut stale = Vec::new();
    let files = vngate_sim::generate::files();
    for (path, contents) in &files {
        let full = root().join(path);
        if std::fs::read_to_string(&full).ok().as_deref() == Some(contents.as_str()) {
            continue;
        }
        if write {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, contents).unwrap();
        } else {
            stale.push(path.clone());
        }
    }
    // A generated file the generator no longer writes (a type that went away) is stale too.
    for dir in ["php/src", "python/vngate", "schema"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let relative = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            let generated = text.contains(vngate_sim::generate::marker()) || dir == "schema";
            if generated && !files.iter().any(|(p, _)| *p == relative) {
                if write {
                    std::fs::remove_file(&path).unwrap();
                } else {
                    stale.push(relative);
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated` and commit them"
    );
}

#[test]
fn every_registry_type_is_in_the_schema() {
    let schema = vngate_sim::generate::schema();
    for op in vngate::registry::OPERATIONS {
        for name in [op.request, op.result] {
            assert!(
                schema["$defs"].get(name).is_some(),
                "{} {}: no type {name} in the schema",
                op.provider,
                op.name
            );
        }
    }
}
