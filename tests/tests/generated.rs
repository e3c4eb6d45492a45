//! The committed generated files (`schema/`, `python/vngate/_models.py`, PHP's shapes and status
//! constants) are exactly what `vngate_tests::generate` writes from the Rust types; a stale one
//! fails here, as a stale C header fails CI. `VNGATE_WRITE_GENERATED=1` rewrites them.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn generated_files_are_current() {
    let write = std::env::var_os("VNGATE_WRITE_GENERATED").is_some();
    let mut stale = Vec::new();
    let files = vngate_tests::generate::files();
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
            let generated = text.contains(vngate_tests::generate::marker()) || dir == "schema";
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
    let schema = vngate_tests::generate::schema();
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
/// and the count of C functions in `docs/c.md` against both.
#[test]
fn hand_kept_lists_match_the_registry_and_the_header() {
    use std::collections::BTreeSet;
    if std::env::var_os("VNGATE_WRITE_GENERATED").is_some() {
        write_operation_rows();
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let crate_docs = std::fs::read_to_string(root().join("core/src/lib.rs")).unwrap();
    // The `names` of a table row's last column.
    let listed = |row: &str| -> BTreeSet<String> {
        let column = row.rsplit('|').nth(1).unwrap_or_default();
        column
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    for provider in vngate::api::PROVIDERS {
        let registry: BTreeSet<String> = vngate::registry::of(provider)
            .map(|op| op.name.to_owned())
            .collect();
        let aliases: BTreeSet<String> = vngate::registry::of(provider)
            .flat_map(|op| op.aliases.iter().map(|a| (*a).to_owned()))
            .collect();
        for (what, text, prefix) in [
            ("the README", &readme, format!("| **{provider}**")),
            (
                "the crate docs",
                &crate_docs,
                format!("//! | [`{provider}`]"),
            ),
        ] {
            let row = text
                .lines()
                .find(|line| line.starts_with(&prefix))
                .unwrap_or_else(|| panic!("{what}' table has no row for {provider}"));
            let named: BTreeSet<String> = listed(row).difference(&aliases).cloned().collect();
            assert_eq!(named, registry, "{what}' row for {provider}");
        }
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
    let c_page = std::fs::read_to_string(root().join("docs/c.md")).unwrap();
    assert!(c_page.contains(&said), "docs/c.md should say: {said}");
}

/// With `VNGATE_WRITE_GENERATED`: the operations column of each provider's row in the README's
/// table and the crate docs' table, rewritten from the registry when it does not name exactly
/// the registry's operations (the crate docs with their aliases), so that a new operation needs
/// no hand edit there.
fn write_operation_rows() {
    for (path, prefix, with_aliases) in [
        ("README.md", "| **{}**", false),
        ("core/src/lib.rs", "//! | [`{}`]", true),
    ] {
        let text = std::fs::read_to_string(root().join(path)).unwrap();
        let mut changed = false;
        let lines: Vec<String> = text
            .lines()
            .map(|line| {
                let Some(provider) = vngate::api::PROVIDERS
                    .iter()
                    .find(|p| line.starts_with(&prefix.replace("{}", p)))
                else {
                    return line.to_owned();
                };
                let column: Vec<String> = vngate::registry::of(provider)
                    .map(|op| match (with_aliases, op.aliases) {
                        (true, [_, ..]) => format!(
                            "`{}` ({})",
                            op.name,
                            op.aliases
                                .iter()
                                .map(|a| format!("alias `{a}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        _ => format!("`{}`", op.name),
                    })
                    .collect();
                let rewritten = format!(
                    "{}| {} |",
                    &line[..line
                        .trim_end()
                        .trim_end_matches('|')
                        .trim_end()
                        .rfind('|')
                        .unwrap()],
                    column.join(", ")
                );
                let same = |row: &str| -> Vec<String> {
                    let mut names: Vec<String> = row
                        .rsplit('|')
                        .nth(1)
                        .unwrap_or_default()
                        .split('`')
                        .skip(1)
                        .step_by(2)
                        .map(str::to_owned)
                        .collect();
                    names.sort_unstable();
                    names
                };
                if same(line) == same(&rewritten) {
                    return line.to_owned();
                }
                changed = true;
                rewritten
            })
            .collect();
        if changed {
            std::fs::write(root().join(path), lines.join("\n") + "\n").unwrap();
        }
    }
}

/// Every operation is a method of its provider's Python class, sync and async: generated into
/// `_operations.py` (and the classes inherit it), or written by hand for the few that are not
/// pass-throughs (`PY_HAND_WRITTEN`), as is every alias. A forgotten one fails here.
#[test]
fn every_operation_is_a_python_method_sync_and_async() {
    use vngate_tests::generate::{CLASSES, PY_HAND_WRITTEN};
    let package = std::fs::read_to_string(root().join("python/vngate/__init__.py")).unwrap();
    let aio = std::fs::read_to_string(root().join("python/vngate/aio.py")).unwrap();
    let generated = std::fs::read_to_string(root().join("python/vngate/_operations.py")).unwrap();
    // The body of `class Name(…)` up to the next top-level statement.
    let class_body = |source: &str, class: &str| -> String {
        let start = source
            .find(&format!("\nclass {class}("))
            .unwrap_or_else(|| panic!("no class {class}"));
        let rest = &source[start + 1..];
        let end = rest[1..]
            .find("\nclass ")
            .or_else(|| rest[1..].find("\n\n\n"))
            .map_or(rest.len(), |at| at + 1);
        rest[..end].to_owned()
    };
    for (provider, class) in CLASSES {
        let sync = class_body(&package, class);
        let asynchronous = class_body(&aio, class);
        assert!(
            sync.contains(&format!("_operations._{class}Operations)")),
            "vngate.{class} inherits its generated operations"
        );
        assert!(
            asynchronous.contains(&format!("_{class}AsyncOperations)")),
            "vngate.aio.{class} inherits its generated operations"
        );
        for op in vngate::registry::of(provider) {
            let names = std::iter::once(op.name).chain(op.aliases.iter().copied());
            for name in names {
                let hand_written =
                    name != op.name || PY_HAND_WRITTEN.contains(&(provider, op.name));
                if hand_written {
                    assert!(
                        sync.contains(&format!("    def {name}(")),
                        "vngate.{class}.{name}"
                    );
                    assert!(
                        asynchronous.contains(&format!("    async def {name}(")),
                        "vngate.aio.{class}.{name}"
                    );
                } else {
                    let mixin = class_body(&generated, &format!("_{class}Operations"));
                    assert!(
                        mixin.contains(&format!("    def {name}(")),
                        "generated {class}.{name}"
                    );
                }
            }
        }
    }
}

/// The same for PHP: every operation a method of its provider's class, from the generated
/// trait it uses or written by hand (callbacks and aliases).
#[test]
fn every_operation_is_a_php_method() {
    use vngate_tests::generate::{CLASSES, PHP_HAND_WRITTEN, camel};
    for (provider, class) in CLASSES {
        let source = std::fs::read_to_string(root().join(format!("php/src/{class}.php"))).unwrap();
        let generated =
            std::fs::read_to_string(root().join(format!("php/src/{class}Operations.php"))).unwrap();
        assert!(
            source.contains(&format!("    use {class}Operations;")),
            "{class} uses its trait"
        );
        for op in vngate::registry::of(provider) {
            for name in std::iter::once(op.name).chain(op.aliases.iter().copied()) {
                let method = format!("public function {}(", camel(name));
                let hand_written =
                    name != op.name || PHP_HAND_WRITTEN.contains(&(provider, op.name));
                let file = if hand_written { &source } else { &generated };
                assert!(file.contains(&method), "Vngate\\{class}::{}", camel(name));
            }
        }
    }
}
