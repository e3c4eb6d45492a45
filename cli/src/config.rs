//! Accounts from a TOML file: one table per provider, one sub-table per named account.
//!
//! ```toml
//! [chargingws.default]
//! base_url = "https://thesieure.com"
//! partner_id = "1234567890"
//! partner_key_env = "THESIEURE_PARTNER_KEY"      # or partner_key_file = "/run/secrets/thesieure"
//! ```
//!
//! A secret (any field the schema marks `x-vngate-secret`) comes only from an environment
//! variable (`<name>_env`) or a file (`<name>_file`): never inline in the file, never from the
//! command line, where every user of the machine can read it.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use vngate_front::model::Model;

/// Where the config is looked for when `--config` is not given.
pub fn default_paths() -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from("vngate.toml")];
    if let Some(dir) = dirs::config_dir() {
        paths.push(dir.join("vngate").join("config.toml"));
    }
    paths
}

/// The accounts file and its contents.
fn document(path: Option<&Path>, wanted: &str) -> Result<(PathBuf, toml::Table), String> {
    let path = match path {
        Some(path) => path.to_owned(),
        None => default_paths()
            .into_iter()
            .find(|p| p.exists())
            .ok_or_else(|| {
                format!(
                    "no config: pass --config FILE, or create ./vngate.toml (or {}) with a {wanted} table",
                    default_paths().last().map_or_else(String::new, |p| p.display().to_string())
                )
            })?,
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    safe_config(&path)?;
    // toml's own message quotes the offending line, which may hold a secret: only where.
    let document: toml::Table = toml::from_str(&text).map_err(|e| {
        let at = e.span().map_or_else(String::new, |span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |n| n + 1) + 1;
            format!(" at line {line}, column {column}")
        });
        format!(
            "{}: not valid TOML{at}: {}",
            path.display(),
            e.message().lines().next().unwrap_or_default()
        )
    })?;
    Ok((path, document))
}

/// The accounts file as ssh takes its own config: refused when a user other than its owner
/// (or root) could change it, since whoever can edit it can point `base_url` at their own
/// server and collect every key and card sent there. Its directory likewise, unless sticky.
#[cfg(unix)]
fn safe_config(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let me = users_uid();
    let unsafe_for = |meta: &std::fs::Metadata, what: &str, shown: &Path| -> Result<(), String> {
        let sticky_dir = meta.is_dir() && meta.mode() & 0o1000 != 0;
        if meta.uid() != 0 && meta.uid() != me {
            return Err(format!(
                "{what} {} belongs to another user (uid {}): refused, since they could change \
                 the accounts in it; run: chown {me} {}",
                shown.display(),
                meta.uid(),
                shown.display()
            ));
        }
        if meta.mode() & 0o022 != 0 && !sticky_dir {
            return Err(format!(
                "{what} {} can be changed by other users (mode {:o}): refused, since they could \
                 point base_url at their own server; run: chmod go-w {}",
                shown.display(),
                meta.mode() & 0o7777,
                shown.display()
            ));
        }
        Ok(())
    };
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    unsafe_for(&meta, "the config file", path)?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let meta = std::fs::metadata(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    unsafe_for(&meta, "the config file's directory", &dir)
}

#[cfg(not(unix))]
fn safe_config(_: &Path) -> Result<(), String> {
    Ok(())
}

/// A file that holds a secret, as ssh takes a private key: refused when it is the user's own
/// and others may read it (the fix is theirs to make: `chmod 600`). A file of another owner
/// (root's `/run/secrets`) is taken as its owner set it.
#[cfg(unix)]
fn safe_secret_file(key: &str, file: &str) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(file).map_err(|e| format!("{key}: cannot read {file}: {e}"))?;
    if meta.uid() == users_uid() && meta.mode() & 0o077 != 0 {
        return Err(format!(
            "{key}: {file} holds a secret and other users may read it (mode {:o}): refused; \
             run: chmod 600 {file}",
            meta.mode() & 0o7777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn safe_secret_file(_: &str, _: &str) -> Result<(), String> {
    Ok(())
}

#[cfg(unix)]
#[allow(unsafe_code)]
fn users_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// Every (provider, account) the file names, in its order.
pub fn accounts(path: Option<&Path>) -> Result<Vec<(String, String)>, String> {
    let (_, document) = document(path, "[<provider>.<account>]")?;
    Ok(document
        .iter()
        .filter(|(provider, _)| vngate::api::PROVIDERS.contains(&provider.as_str()))
        .filter_map(|(provider, accounts)| accounts.as_table().map(|a| (provider, a)))
        .flat_map(|(provider, accounts)| {
            accounts
                .keys()
                .map(move |account| (provider.clone(), account.clone()))
        })
        .collect())
}

/// The `[journal]` table as the journal's JSON config, filed under `account`; `None` when the
/// file has none.
///
/// ```toml
/// [journal]
/// path = "/var/lib/shop/vngate-journal.db"
/// key_env = "VNGATE_JOURNAL_KEY"    # the variable's name; or key_file = "/run/secrets/journal"
/// ```
pub fn journal(path: Option<&Path>, account: &str) -> Result<Option<Value>, String> {
    let (path, document) = document(path, "[journal]")?;
    let Some(table) = document.get("journal") else {
        return Ok(None);
    };
    let Value::Object(mut config) = to_json(table) else {
        return Err(format!("{}: [journal] must be a table", path.display()));
    };
    if let Some(file) = config.get("key_file").and_then(Value::as_str) {
        safe_secret_file("journal.key_file", file)?;
    }
    config.insert("account".into(), Value::from(account));
    Ok(Some(Value::Object(config)))
}

/// The config JSON of `provider`'s account `account` (the only one when not named), with its
/// secrets read from the environment or files, and the account's name.
pub fn account(
    model: &Model,
    path: Option<&Path>,
    provider: &str,
    account: Option<&str>,
) -> Result<(String, Value), String> {
    let (path, document) = document(path, &format!("[{provider}.default]"))?;
    let Some(toml::Value::Table(accounts)) = document.get(provider) else {
        return Err(format!(
            "{} has no [{provider}.<account>] table",
            path.display()
        ));
    };
    let (name, table) = match account {
        Some(name) => (name, accounts.get(name)),
        None if accounts.len() == 1 => {
            let (name, table) = accounts.iter().next().expect("one");
            (name.as_str(), Some(table))
        }
        None => ("default", accounts.get("default")),
    };
    let Some(toml::Value::Table(table)) = table else {
        let names: Vec<&String> = accounts.keys().collect();
        return Err(format!(
            "{}: no account {name} for {provider} (accounts: {names:?}; choose with --account)",
            path.display()
        ));
    };
    let mut config = Map::new();
    // Which key gave each field, to refuse two ways of giving one.
    let mut given_by: Map<String, Value> = Map::new();
    for (key, value) in table {
        // `<secret>_env` and `<secret>_file` are a secret's sources; any other key (`ca_file`
        // too, which names a file vngate reads itself) is the field it names.
        let (field, source) = match (key.strip_suffix("_env"), key.strip_suffix("_file")) {
            (Some(field), _) if model.is_config_secret(provider, field) => (field, Source::Env),
            (_, Some(field)) if model.is_config_secret(provider, field) => (field, Source::File),
            _ => (key.as_str(), Source::Inline),
        };
        if let Some(Value::String(other)) = given_by.insert(field.to_owned(), key.clone().into()) {
            return Err(format!(
                "{}: {provider}.{name} gives {field} twice, as {other} and as {key}: keep one",
                path.display()
            ));
        }
        let value = match source {
            Source::Inline if model.is_config_secret(provider, field) => {
                return Err(format!(
                    "{}: {provider}.{name}.{field} is a secret: give it as {field}_env = \"VARIABLE\" or {field}_file = \"/path/to/file\", not in the file itself",
                    path.display()
                ));
            }
            Source::Inline => to_json(value),
            source @ (Source::Env | Source::File) => Value::String(secret_from(
                source,
                &format!("{provider}.{name}.{key}"),
                value.as_str(),
            )?),
        };
        config.insert(field.to_owned(), value);
    }
    Ok((name.to_owned(), Value::Object(config)))
}

/// A secret given by `key` (`<name>_env` or `<name>_file`; `named`: the variable or the file it
/// names, when it is text), read.
fn secret_from(source: Source, key: &str, named: Option<&str>) -> Result<String, String> {
    match source {
        Source::Env => {
            let variable = named.ok_or_else(|| format!("{key} names an environment variable"))?;
            std::env::var(variable)
                .map_err(|_| format!("{key}: the environment variable {variable} is not set"))
        }
        Source::File => {
            let file = named.ok_or_else(|| format!("{key} names a file"))?;
            read_secret_file(key, file)
        }
        Source::Inline => Err(format!("{key} is not a secret's source")),
    }
}

/// The secret `name` of the table `table` (`serve.token`): from `<name>_env` or `<name>_file`,
/// never inline; `None` when neither is given.
pub fn table_secret(settings: &Value, table: &str, name: &str) -> Result<Option<String>, String> {
    if settings.get(name).is_some() {
        return Err(format!(
            "{table}.{name} is a secret: give it as {name}_env = \"VARIABLE\" or {name}_file = \"/path/to/file\", not in the file itself"
        ));
    }
    let (env, file) = (format!("{name}_env"), format!("{name}_file"));
    let (source, key, value) = match (settings.get(&env), settings.get(&file)) {
        (Some(_), Some(_)) => return Err(format!("{table} gives {env} and {file}: keep one")),
        (Some(variable), None) => (Source::Env, env, variable),
        (None, Some(path)) => (Source::File, file, path),
        (None, None) => return Ok(None),
    };
    secret_from(source, &format!("{table}.{key}"), value.as_str()).map(Some)
}

/// A secret from a file, refused when others may read it. A key file ends with a newline that
/// is not part of the key (a PEM keeps its own).
pub fn read_secret_file(key: &str, file: &str) -> Result<String, String> {
    safe_secret_file(key, file)?;
    let text =
        std::fs::read_to_string(file).map_err(|e| format!("{key}: cannot read {file}: {e}"))?;
    Ok(if text.contains("-----BEGIN") {
        text
    } else {
        text.trim_end_matches(['\r', '\n']).to_owned()
    })
}

/// The `[serve]` table as JSON (empty when the file has none).
pub fn serve(path: Option<&Path>) -> Result<Value, String> {
    let (path, document) = document(path, "[serve]")?;
    match document.get("serve") {
        None => Ok(Value::Object(Map::new())),
        Some(table @ toml::Value::Table(_)) => Ok(to_json(table)),
        Some(_) => Err(format!("{}: [serve] must be a table", path.display())),
    }
}

#[derive(Clone, Copy)]
enum Source {
    Inline,
    Env,
    File,
}

fn to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        toml::Value::Table(table) => {
            Value::Object(table.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}
