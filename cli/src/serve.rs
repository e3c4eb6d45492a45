//! `vngate serve`: every account of the config over HTTP/JSON (the `vngate-serve` crate), with
//! the journal on. `--sim` starts the embedded simulator and serves its test accounts: the
//! whole gateway in one command, with nothing to configure.
//!
//! ```toml
//! [serve]
//! listen = "127.0.0.1:8080"
//! token_file = "/run/secrets/vngate-serve"   # or token_env = "VNGATE_SERVE_TOKEN"; one per line
//! deliver_to = "http://127.0.0.1:8000/vngate/events"   # events for the application (else: poll)
//! webhook_secret_file = "/run/secrets/vngate-webhook" # whsec_…, signs them (Standard Webhooks)
//! ```

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::Value;
use vngate_front::Front;
use vngate_serve::{Account, Options, Server, Token, WebhookSecret};

use crate::output::Exit;
use crate::{config, signals};
use vngate_front::model::Model;

pub fn command() -> Command {
    Command::new("serve")
        .about("Serves every account of the config over HTTP/JSON (POST /v1/<provider>/<operation>), money calls journaled; --sim: against the embedded simulator, nothing to configure")
        .arg(Arg::new("listen").long("listen").value_name("ADDR").help("Where to listen [default: the config's serve.listen, else 127.0.0.1:8080]"))
        .arg(Arg::new("sim").long("sim").action(ArgAction::SetTrue).help("Start the embedded simulator and serve its test accounts (config, keys, journal and token written to --dir)"))
        .arg(Arg::new("dir").long("dir").value_name("DIR").requires("sim").help("With --sim: where to write them [default: a new directory under the temporary directory]"))
}

pub fn run(model: &Model, config_path: Option<PathBuf>, args: &ArgMatches) -> Exit {
    match serve(model, config_path, args) {
        Ok(()) => Exit::Result,
        Err(message) => {
            eprintln!("vngate serve: {message}");
            Exit::InvalidInput
        }
    }
}

fn serve(model: &Model, config_path: Option<PathBuf>, args: &ArgMatches) -> Result<(), String> {
    // The simulator lives as long as the server: it is dropped when serve returns.
    let mut simulator = None;
    let config_path = if args.get_flag("sim") {
        let sim = vngate_sim::Sim::start();
        let dir = match args.get_one::<String>("dir") {
            Some(dir) => PathBuf::from(dir),
            None => temporary_dir()?,
        };
        write_sim_config(&dir, &sim.url())
            .map_err(|e| format!("cannot write the config in {}: {e}", dir.display()))?;
        simulator = Some(sim);
        Some(dir.join("vngate.toml"))
    } else {
        config_path
    };
    let path = config_path.as_deref();
    let settings = config::serve(path)?;
    let options = options(&settings, args.get_one::<String>("listen").cloned())?;
    let accounts = accounts(model, path)?;
    let names: Vec<String> = accounts
        .iter()
        .map(|a| format!("{}.{}", a.provider, a.name))
        .collect();
    let server = Server::start(accounts, options)?;
    if let Some(sim) = &simulator {
        // The simulator's callbacks come to the gateway, as a provider's dashboard would
        // send them (chargingws: to account s1, whose key signs them).
        let base = format!("http://{}/callbacks", server.addr());
        sim.set_callbacks(vngate_sim::Callbacks {
            chargingws_url: Some(format!("{base}/chargingws/s1")),
            opencard_url: Some(format!("{base}/opencard/default")),
            appotapay_ipn_url: Some(format!("{base}/appotapay/default")),
            ..vngate_sim::Callbacks::default()
        });
    }
    // The first line is the address, for whatever started the command (a test, a script).
    println!("vngate serve listening on http://{}", server.addr());
    let _ = std::io::stdout().flush();
    eprintln!("vngate serve: accounts {}", names.join(", "));
    if let Some(path) = config_path.as_deref().filter(|_| args.get_flag("sim")) {
        let dir = path.parent().unwrap_or(Path::new("."));
        eprintln!(
            "vngate serve: simulator accounts, config in {}; try:\n  curl -s -H \"Authorization: Bearer $(cat {}/serve-token.secret)\" -d '{{}}' http://{}/v1/topup/balance",
            path.display(),
            dir.display(),
            server.addr()
        );
    }
    signals::wait_for_stop();
    eprintln!("vngate serve: stopping; calls in flight finish first");
    server.stop();
    Ok(())
}

/// The server's options from the `[serve]` table (`listen` from the command line first).
fn options(settings: &Value, listen: Option<String>) -> Result<Options, String> {
    let mut options = Options::default();
    let listen = listen.or_else(|| {
        settings
            .get("listen")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    if let Some(listen) = listen {
        options.listen = listen.parse().map_err(|_| {
            format!("listen {listen:?} is not an address and port (127.0.0.1:8080)")
        })?;
    }
    options.public = settings["public"].as_bool().unwrap_or(false);
    options.tokens = tokens(settings)?;
    let number = |name: &str| -> Result<Option<u64>, String> {
        match settings.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_u64()
                .filter(|n| *n > 0)
                .map(Some)
                .ok_or_else(|| format!("serve.{name} must be a positive integer")),
        }
    };
    if let Some(n) = number("max_body_bytes")? {
        options.max_body_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = number("read_timeout_secs")? {
        options.read_timeout = Duration::from_secs(n);
    }
    if let Some(n) = number("max_connections")? {
        options.max_connections = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = number("max_calls")? {
        options.max_calls = usize::try_from(n).unwrap_or(usize::MAX);
    }
    options.relay.deliver_to = settings
        .get("deliver_to")
        .map(|url| {
            url.as_str()
                .filter(|url| url.starts_with("http://") || url.starts_with("https://"))
                .map(str::to_owned)
                .ok_or("serve.deliver_to is the application's http(s) URL for events")
        })
        .transpose()?;
    options.relay.secret = webhook_secret(settings)?;
    if options.relay.deliver_to.is_some() && options.relay.secret.is_none() {
        return Err("serve.deliver_to needs a signing secret: webhook_secret_file or webhook_secret_env (whsec_ and base64: echo whsec_$(openssl rand -base64 32))".into());
    }
    if let Some(n) = number("retry_base_secs")? {
        options.relay.retry_base = Duration::from_secs(n);
    }
    if let Some(n) = number("max_attempts")? {
        options.relay.max_attempts = i64::try_from(n).unwrap_or(i64::MAX);
    }
    if let Some(n) = number("delivery_lease_secs")? {
        options.relay.lease = Duration::from_secs(n);
    }
    if let Some(instance) = settings.get("instance") {
        instance
            .as_str()
            .filter(|name| !name.is_empty() && name.len() <= 64)
            .ok_or("serve.instance is this server's name in the delivery log (1 to 64 characters)")?
            .clone_into(&mut options.relay.instance);
    }
    Ok(options)
}

/// The bearer tokens: from `token_env` or `token_file` (one per line; several while one is
/// rotated out), never inline.
fn tokens(settings: &Value) -> Result<Vec<Token>, String> {
    let Some(text) = config::table_secret(settings, "serve", "token")? else {
        return Err("no token: add a [serve] table with token_env = \"VARIABLE\" or token_file = \"/path/to/file\" (generate one: openssl rand -hex 32)".into());
    };
    let tokens: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if let Some(short) = tokens.iter().find(|t| t.len() < 16) {
        return Err(format!(
            "serve: a token of {} characters is too easy to guess: use at least 16 (openssl rand -hex 32)",
            short.len()
        ));
    }
    Ok(tokens.into_iter().map(Token::new).collect())
}

/// The signing secret of events: from `webhook_secret_env` or `webhook_secret_file`.
fn webhook_secret(settings: &Value) -> Result<Option<WebhookSecret>, String> {
    let Some(text) = config::table_secret(settings, "serve", "webhook_secret")? else {
        return Ok(None);
    };
    WebhookSecret::parse(&text)
        .map(Some)
        .map_err(|e| format!("serve.webhook_secret: {e}"))
}

/// Every account of the config, each with its journal: the config's `[journal]`, or by
/// default one in the user's data directory (`vngate/journal.db`, its key beside it, made on
/// first start), since a gateway without a journal could lose a money call's outcome.
fn accounts(model: &Model, path: Option<&Path>) -> Result<Vec<Account>, String> {
    let mut accounts = Vec::new();
    let mut default_journal: Option<Value> = None;
    for (provider, name) in config::accounts(path)? {
        let (name, mut config) = config::account(model, path, &provider, Some(&name))?;
        config["journal"] = if let Some(journal) = config::journal(path, &name)? {
            journal
        } else {
            let mut journal = match &default_journal {
                Some(journal) => journal.clone(),
                None => default_journal.insert(default_journal_config()?).clone(),
            };
            journal["account"] = name.clone().into();
            journal
        };
        let front = Front::new(&provider, &config.to_string())
            .map_err(|e| format!("{provider}.{name}: {e}"))?;
        accounts.push(Account {
            provider,
            name,
            front,
        });
    }
    Ok(accounts)
}

/// The journal of a config without a `[journal]` table: `vngate/journal.db` in the user's data
/// directory, its key beside it (made on first start, readable by the user alone).
fn default_journal_config() -> Result<Value, String> {
    let dir = dirs::data_dir()
        .ok_or("no [journal] table and no data directory to keep one in: add a [journal] table")?
        .join("vngate");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let db = dir.join("journal.db");
    let key = dir.join("journal-key.secret");
    if !key.exists() {
        if db.exists() {
            return Err(format!(
                "{} exists but its key {} does not: its records cannot be read without it. Put the key back, or move the journal away",
                db.display(),
                key.display()
            ));
        }
        write_secret(&key, &random_hex(32)?)
            .map_err(|e| format!("cannot write {}: {e}", key.display()))?;
    }
    eprintln!(
        "vngate serve: no [journal] table: journaling in {}",
        db.display()
    );
    Ok(serde_json::json!({"path": db.display().to_string(), "key_file": key.display().to_string()}))
}

/// `bytes` random bytes as hex: a new key or token.
pub fn random_hex(bytes: usize) -> Result<String, String> {
    let mut key = vec![0u8; bytes];
    getrandom::fill(&mut key).map_err(|e| format!("no random bytes: {e}"))?;
    Ok(vngate::hex(&key))
}

fn write_secret(path: &Path, value: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(value.as_bytes())
}

fn temporary_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("vngate-serve-{}", random_hex(6)?));
    std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// The simulator's accounts (as `vngate sim --write-config`), and a `[serve]` table whose
/// token is in a file beside them.
fn write_sim_config(dir: &Path, url: &str) -> std::io::Result<()> {
    crate::sim::write_config(dir, url)?;
    let token = dir.join("serve-token.secret");
    if !token.exists() {
        write_secret(&token, &random_hex(32).map_err(std::io::Error::other)?)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("vngate.toml"))?;
    write!(file, "\n[serve]\ntoken_file = \"{}\"\n", token.display())
}
