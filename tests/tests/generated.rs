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

/// The hand-kept lists that name operations or exports, checked against their source: the
/// README's provider table against the registry, `include/symbols.txt` against the header,
/// and the README's count of C functions against both.
#[test]
fn hand_kept_lists_match_the_registry_and_the_header() {
    use std::collections::BTreeSet;
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for provider in vngate::api::PROVIDERS {
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| **{provider}**")))
            .unwrap_or_else(|| panic!("the README's table has no row for {provider}"));
        let listed: BTreeSet<&str> = row
            .rsplit('|')
            .nth(1)
            .unwrap_or_default()
            .split('`')
            .skip(1)
            .step_by(2)
            .collect();
        let registry: BTreeSet<&str> = vngate::registry::of(provider).map(|op| op.name).collect();
        assert_eq!(listed, registry, "the README's row for {provider}");
    }

    let header = std::fs::read_to_string(root().join("include/vngate.h")).unwrap();
    let declared: BTreeSet<String> = header
        .lines()
        .filter(|line| !line.starts_with(' ') && !line.starts_with('#') && !line.starts_with('*'))
        .flat_map(|line| {
            line.match_indices("vngate_").filter_map(|(at, _)| {
                let name: String = line[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                line[at + name.len()..].starts_with('(').then_some(name)
            })
        })
        .collect();
    let symbols = std::fs::read_to_string(root().join("include/symbols.txt")).unwrap();
    let listed: BTreeSet<String> = symbols
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| line.split_whitespace().next().unwrap().to_owned())
        .collect();
    assert_eq!(declared, listed, "include/vngate.h and include/symbols.txt");
    let words = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    let said = format!("The whole API is {} functions", words[listed.len()]);
    assert!(readme.contains(&said), "the README should say: {said}");
}
