//! `vngate`: every operation of every provider from a shell.
//!
//!     vngate <provider> <operation> --field value …      (or one JSON request on stdin)
//!     vngate verify-callback <provider> [--expected-file F] < body
//!     vngate chargingws detect-scheme
//!     vngate <provider> <read-only operation> --from pending.jsonl [--concurrency N]
//!     vngate esms token
//!     vngate reconcile [--provider P] [--account A]
//!     vngate journal list [--state unknown] [--attention] [--provider P]
//!     vngate sim [--port N] [--write-config DIR]
//!     vngate serve [--listen ADDR] [--sim]
//!
//! With a `[journal]` table in the accounts file, every money-moving call goes through the
//! journal (vngate-journal): recorded before it is sent, never sent twice.
//!
//! The subcommands, their fields and help come from the operation registry and the schema of
//! the core's types: an operation added to the core is a command here with no change.

mod config;
mod output;
mod serve;
mod signals;
mod sim;

use std::fmt::Write as _;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value};
use vngate::api::Client;
use vngate::registry::{self, Kind as OpKind};
use vngate_front::Front;
use vngate_journal::{Filter, JournaledClient, ReconcileReport, State};

use output::{Exit, Format, out};
use vngate_front::model::{Kind, Model};

fn cli(model: &Model) -> Command {
    let mut root = Command::new("vngate")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Vietnamese card and payout provider APIs from a shell: chargingws, OpenCard, AppotaPay, eSMS, topup")
        .after_help(output::EXIT_CODES)
        .subcommand_required(true)
        .arg(
            Arg::new("config")
                .long("config")
                .global(true)
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("The accounts file [default: ./vngate.toml, then the user's config dir/vngate/config.toml]"),
        )
        .arg(
            Arg::new("account")
                .long("account")
                .global(true)
                .value_name("NAME")
                .help("The account of the provider to use [default: the only one, else `default`]"),
        )
        .arg(Arg::new("output").long("output").short('o').global(true).value_name("FORMAT").value_parser(["json", "table"]).help("Output format [default: table on a terminal, else json]"))
        .arg(Arg::new("json").long("json").global(true).action(ArgAction::SetTrue).conflicts_with("output").help("The same as --output json"))
        .arg(Arg::new("table").long("table").global(true).action(ArgAction::SetTrue).conflicts_with_all(["json", "output"]).help("The same as --output table"))
        .arg(Arg::new("verbose").short('v').long("verbose").global(true).action(ArgAction::Count).help("Log each call to stderr (-v); with the request and reply, secrets masked (-vv)"));
    // A credential given as an argument is refused with how to give it instead; hidden, and
    // taken by every command so that the message comes before any other complaint.
    for secret in model.all_config_secrets() {
        root = root.arg(
            Arg::new(format!("secret:{secret}"))
                .long(secret)
                .global(true)
                .hide(true)
                .num_args(0..=1),
        );
    }
    for provider in vngate::api::PROVIDERS {
        let mut command = Command::new(*provider)
            .about(format!("{provider}'s operations"))
            .subcommand_required(true);
        for op in registry::of(provider) {
            command = command.subcommand(operation_command(model, op));
        }
        if *provider == "chargingws" {
            command = command.subcommand(Command::new("detect-scheme").about(
                "Finds the signing scheme and transport a site accepts, with read-only checks of a request id that does not exist (never charges)",
            ));
        }
        if *provider == "esms" {
            command = command.subcommand(Command::new("token").about(
                "Logs in with the account's email and password and mints an API token: put it in the config as api_token (from a file or the environment)",
            ));
        }
        root = root.subcommand(command);
    }
    root.subcommand(
        Command::new("reconcile")
            .about("Resolve the journal's pending and unknown money-moving calls with their resolving calls (never resends, never reads no answer as failed); every account of the config, or --provider/--account")
            .arg(Arg::new("provider").long("provider").value_name("PROVIDER").value_parser(vngate::api::PROVIDERS.to_vec())),
    )
    .subcommand(
        Command::new("journal")
            .about("The journal of money-moving calls (the config's [journal] table)")
            .subcommand_required(true)
            .subcommand(
                Command::new("list")
                    .about("Journaled calls, oldest first")
                    .arg(
                        Arg::new("state")
                            .long("state")
                            .action(ArgAction::Append)
                            .value_parser(State::ALL.map(State::as_str).to_vec())
                            .help("Only records in this state (repeatable)"),
                    )
                    .arg(
                        Arg::new("attention")
                            .long("attention")
                            .action(ArgAction::SetTrue)
                            .help("Only records a person must look at: unresolved past the journal's attention_after_secs or max_attempts (the state attention)"),
                    )
                    .arg(Arg::new("provider").long("provider").value_name("PROVIDER").value_parser(vngate::api::PROVIDERS.to_vec())),
            ),
    )
    .subcommand(
        Command::new("verify-callback")
            .about("Verifies a callback: its raw body or query string on stdin; prints it verified, or why not")
            // Every provider whose registry has a callback to verify (from the registry, so a
            // provider that gains one is here with no change).
            .arg(Arg::new("provider").required(true).value_parser(
                vngate::api::PROVIDERS
                    .iter()
                    .copied()
                    .filter(|p| registry::find(p, "parse_callback").is_some())
                    .collect::<Vec<_>>(),
            ))
            .arg(Arg::new("expected-file").long("expected-file").value_name("FILE").help("The request you stored, as JSON, to match the callback against (chargingws: the card; OpenCard: the charge)")),
    )
    .subcommand(sim::command())
    .subcommand(serve::command())
    .subcommands(tools())
}

/// The commands around the operations: an id, completions, the manual.
fn tools() -> [Command; 3] {
    [
        Command::new("new-request-id").about(
            "Prints a fresh, unique, time-ordered request id (what request_id, partner_ref_id, order_id and client_trans_id take): store it with the request before sending",
        ),
        Command::new("completions")
            .about("Prints the shell completion script: `vngate completions bash > /etc/bash_completion.d/vngate`")
            .arg(Arg::new("shell").required(true).value_parser(clap::value_parser!(clap_complete::Shell))),
        Command::new("man").about("Prints the manual page (roff): `vngate man > /usr/local/share/man/man1/vngate.1`"),
    ]
}

/// `request_id` as a command line writes it: `request-id`.
fn kebab(name: &str) -> String {
    name.replace('_', "-")
}

/// An option `--kebab-name`, also taken as `--snake_name` (the vocabulary's, and what the
/// command took before), with `id` for its value.
fn option(id: String, name: &str) -> Arg {
    let arg = Arg::new(id).long(kebab(name));
    if name.contains('_') {
        arg.alias(name.to_owned())
    } else {
        arg
    }
}

fn operation_command(model: &Model, op: &registry::Operation) -> Command {
    let mut help = op.summary.to_owned();
    if let Some(money) = op.money {
        let _ = write!(
            help,
            ". MOVES MONEY: never retried; if the outcome is unknown (exit 4), {}",
            money.next_step
        );
    }
    // Kebab-case as every command line has it (`buy-cards`), the vocabulary's snake_case
    // (`buy_cards`) accepted too.
    let mut command = Command::new(kebab(op.name))
        .about(help)
        .visible_aliases(op.aliases.iter().map(|alias| kebab(alias)))
        .aliases(
            std::iter::once(op.name)
                .chain(op.aliases.iter().copied())
                .filter(|name| name.contains('_')),
        );
    if op.name == "parse_callback" || op.name == "confirm_callback" {
        return command.about(format!("{} (the raw callback on stdin)", op.summary));
    }
    for field in model.fields(op.request) {
        if field.secret {
            continue; // only in the JSON request on stdin
        }
        let value_name = match field.kind {
            Kind::Integer => "INT",
            Kind::Boolean => "BOOL",
            Kind::Json => "JSON",
            Kind::Text => "TEXT",
        };
        let required = if field.required { " (required)" } else { "" };
        if field.secret_value {
            // Registered only to be refused by name (`request`), never shown.
            command = command
                .arg(option(field.name.clone(), &field.name).hide(true))
                .arg(
                    option(
                        format!("{}_file", field.name),
                        &format!("{}_file", field.name),
                    )
                    .value_name("FILE")
                    .help(format!(
                        "{}{required}: read from FILE (- for stdin); never on the command line",
                        field.help
                    )),
                )
                .arg(
                    option(
                        format!("{}_env", field.name),
                        &format!("{}_env", field.name),
                    )
                    .value_name("VARIABLE")
                    .help(format!(
                        "{}: read from the environment variable VARIABLE",
                        field.help
                    )),
                );
            continue;
        }
        command = command.arg(
            option(field.name.clone(), &field.name)
                .value_name(value_name)
                .help(format!("{}{required}", field.help)),
        );
    }
    if op.kind == OpKind::ReadOnly && op.request != "NoInput" {
        command = command
            .arg(Arg::new("from").long("from").value_name("FILE").help("Run it for every JSON request in FILE (JSON lines; - for stdin): results as JSON lines, a progress bar on a terminal"))
            .arg(Arg::new("concurrency").long("concurrency").value_name("N").default_value("4").value_parser(clap::value_parser!(u16).range(1..=64)).help("Requests in flight with --from"));
    }
    command
}

fn main() -> ExitCode {
    let model = Model::load();
    let matches = cli(&model).get_matches();
    output::init_logging(matches.get_count("verbose"));
    let format = match matches.get_one::<String>("output").map(String::as_str) {
        Some("json") => Format::Json,
        Some(_) => Format::Table,
        None if matches.get_flag("json") => Format::Json,
        None if matches.get_flag("table") || std::io::stdout().is_terminal() => Format::Table,
        None => Format::Json,
    };
    for secret in model.all_config_secrets() {
        if matches.contains_id(&format!("secret:{secret}"))
            && matches.value_source(&format!("secret:{secret}"))
                == Some(clap::parser::ValueSource::CommandLine)
        {
            eprintln!(
                "vngate: --{secret} refused: a command line is visible to every user of this machine (ps, /proc). \
                 Put it in the config as {secret}_env = \"VARIABLE\" or {secret}_file = \"/path/to/file\"."
            );
            return Exit::InvalidInput.into();
        }
    }
    let config_path = matches.get_one::<PathBuf>("config").cloned();
    let account = matches.get_one::<String>("account").cloned();
    let run = Run {
        model: &model,
        config: config_path,
        account,
        format,
    };
    let exit = match matches.subcommand() {
        Some(("sim", args)) => sim::run(args),
        Some(("serve", args)) => serve::run(&model, run.config.clone(), args),
        Some(("new-request-id", _)) => {
            out!("{}", vngate::new_request_id());
            Exit::Result
        }
        Some(("completions", args)) => {
            let shell = *args
                .get_one::<clap_complete::Shell>("shell")
                .expect("required");
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cli(&model), "vngate", &mut script);
            out!("{}", String::from_utf8_lossy(&script).trim_end());
            Exit::Result
        }
        Some(("man", _)) => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(cli(&model)).render(&mut page) {
                Ok(()) => {
                    out!("{}", String::from_utf8_lossy(&page).trim_end());
                    Exit::Result
                }
                Err(_) => Exit::Internal,
            }
        }
        Some(("verify-callback", args)) => run.verify_callback(args),
        Some(("reconcile", args)) => signals::during(|| run.reconcile(args)),
        Some(("journal", args)) => match args.subcommand() {
            Some(("list", args)) => run.journal_list(args),
            _ => Exit::Usage,
        },
        Some((provider, args)) => match args.subcommand() {
            Some(("detect-scheme", _)) => signals::during(|| run.detect_scheme()),
            Some(("token", _)) => signals::during(|| run.esms_token()),
            Some((operation, args)) => run.operation(provider, operation, args),
            None => Exit::Usage,
        },
        None => Exit::Usage,
    };
    if let Some(signal) = signals::received() {
        eprintln!("vngate: stopped by {signal}");
    }
    match output::write_failed() {
        Some(why) if exit == Exit::Result => {
            eprintln!("vngate: the output could not be written: {why}");
            Exit::OutputFailed.into()
        }
        _ => exit.into(),
    }
}

struct Run<'a> {
    model: &'a Model,
    config: Option<PathBuf>,
    account: Option<String>,
    format: Format,
}

impl Run<'_> {
    /// The account's config JSON, its secrets read from files or the environment.
    fn config(&self, provider: &str) -> Result<Value, Exit> {
        self.named_config(provider, self.account.as_deref())
            .map(|(_, config)| config)
    }

    fn named_config(&self, provider: &str, account: Option<&str>) -> Result<(String, Value), Exit> {
        config::account(self.model, self.config.as_deref(), provider, account).map_err(|message| {
            eprintln!("vngate: {message}");
            Exit::InvalidInput
        })
    }

    /// The account's client, journaled when the config has a `[journal]` table.
    fn caller(&self, provider: &str, account: Option<&str>) -> Result<Front, Exit> {
        let (name, mut config) = self.named_config(provider, account)?;
        let journal = config::journal(self.config.as_deref(), &name).map_err(|message| {
            eprintln!("vngate: {message}");
            Exit::InvalidInput
        })?;
        if let Some(journal) = journal {
            config["journal"] = journal;
        }
        Front::new(provider, &config.to_string()).map_err(|e| output::error(self.format, &e))
    }

    fn client_from(&self, provider: &str, config: &Value) -> Result<Client, Exit> {
        Client::new(provider, &config.to_string()).map_err(|e| output::error(self.format, &e))
    }

    fn client(&self, provider: &str) -> Result<Client, Exit> {
        self.client_from(provider, &self.config(provider)?)
    }

    fn operation(&self, provider: &str, operation: &str, args: &ArgMatches) -> Exit {
        let Some(op) = registry::find(provider, &operation.replace('-', "_")) else {
            return Exit::Usage;
        };
        let caller = match self.caller(provider, self.account.as_deref()) {
            Ok(caller) => caller,
            Err(exit) => return exit,
        };
        if op.name == "parse_callback" || op.name == "confirm_callback" {
            let mut data = Vec::new();
            if std::io::stdin().read_to_end(&mut data).is_err() {
                return Exit::InvalidInput;
            }
            let result = if op.name == "parse_callback" {
                caller.parse_callback(&data, None)
            } else {
                let request = serde_json::json!({"data": String::from_utf8_lossy(&data)});
                caller.call(op.name, &request.to_string())
            };
            return output::result(self.model, self.format, op.result, result);
        }
        if let Some(from) = args.try_get_one::<String>("from").ok().flatten() {
            let concurrency = *args.get_one::<u16>("concurrency").expect("a default");
            return output::batch(&caller, op, from, concurrency);
        }
        let request = match self.request(op, args) {
            Ok(request) => request,
            Err(exit) => return exit,
        };
        let answer = signals::during(|| caller.call(op.name, &request.to_string()));
        let answered = answer.is_ok();
        let exit = output::result(self.model, self.format, op.result, answer);
        match (op.money, output::write_failed()) {
            (Some(money), Some(why)) if answered => {
                let reference = request[money.reference_field].as_str().unwrap_or_default();
                eprintln!(
                    "vngate: {} {}={reference} was answered by the provider, but the answer \
                     could not be written ({why}): do not resend; read it again: {}",
                    op.name, money.reference_field, money.next_step
                );
                Exit::OutputFailed
            }
            _ => exit,
        }
    }

    /// A card PIN or code for the request: refused on the command line, where every user of
    /// the machine sees it (`ps`, `/proc`) and shell history keeps it; read from a file (`-`:
    /// stdin) or an environment variable, without the line end.
    fn secret_value(&self, name: &str, args: &ArgMatches) -> Result<Option<String>, Exit> {
        let invalid = |reason: String| {
            let error = vngate::Error::InvalidInput {
                field: name.to_owned(),
                reason,
            };
            output::error(self.format, &error)
        };
        let flag = kebab(name);
        if args.try_get_one::<String>(name).ok().flatten().is_some() {
            return Err(invalid(format!(
                "--{flag} refused: a command line is visible to every user of this machine \
                 (ps, /proc) and stays in shell history. Give it with --{flag}-file FILE \
                 (- for stdin), --{flag}-env VARIABLE, or in the JSON request on stdin"
            )));
        }
        let file = args
            .try_get_one::<String>(&format!("{name}_file"))
            .ok()
            .flatten();
        let env = args
            .try_get_one::<String>(&format!("{name}_env"))
            .ok()
            .flatten();
        let text = match (file, env) {
            (Some(_), Some(_)) => {
                return Err(invalid(format!(
                    "--{flag}-file and --{flag}-env are both given: give one"
                )));
            }
            (Some(path), None) if path == "-" => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|e| invalid(format!("stdin cannot be read: {e}")))?;
                text
            }
            (Some(path), None) => std::fs::read_to_string(path)
                .map_err(|e| invalid(format!("--{flag}-file {path:?} cannot be read: {e}")))?,
            (None, Some(variable)) => std::env::var(variable)
                .map_err(|_| invalid(format!("the environment variable {variable} is not set")))?,
            (None, None) => return Ok(None),
        };
        Ok(Some(
            text.strip_suffix('\n')
                .map_or(text.as_str(), |t| t.strip_suffix('\r').unwrap_or(t))
                .to_owned(),
        ))
    }

    /// The request: the fields given as arguments, or else one JSON object on stdin.
    fn request(&self, op: &registry::Operation, args: &ArgMatches) -> Result<Value, Exit> {
        let mut request = Map::new();
        for field in self.model.fields(op.request) {
            if field.secret_value {
                if let Some(value) = self.secret_value(&field.name, args)? {
                    request.insert(field.name, value.into());
                }
                continue;
            }
            let Some(text) = args.try_get_one::<String>(&field.name).ok().flatten() else {
                continue;
            };
            let value = match field.kind {
                Kind::Integer => text
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| "an integer"),
                Kind::Boolean => text
                    .parse::<bool>()
                    .map(Value::from)
                    .map_err(|_| "true or false"),
                Kind::Json => serde_json::from_str(text).map_err(|_| "JSON"),
                Kind::Text => Ok(Value::String(text.clone())),
            };
            match value {
                Ok(value) => {
                    request.insert(field.name, value);
                }
                Err(expected) => {
                    let error = vngate::Error::InvalidInput {
                        field: field.name,
                        reason: format!("must be {expected}"),
                    };
                    return Err(output::error(self.format, &error));
                }
            }
        }
        if request.is_empty() && op.request != "NoInput" && !std::io::stdin().is_terminal() {
            let mut text = String::new();
            if std::io::stdin().read_to_string(&mut text).is_ok() && !text.trim().is_empty() {
                return serde_json::from_str(&text).map_err(|_| {
                    let error = vngate::Error::InvalidInput {
                        field: "request".into(),
                        reason: "stdin is not one JSON object".into(),
                    };
                    output::error(self.format, &error)
                });
            }
        }
        Ok(Value::Object(request))
    }

    fn verify_callback(&self, args: &ArgMatches) -> Exit {
        let provider = args.get_one::<String>("provider").expect("required");
        let caller = match self.caller(provider, self.account.as_deref()) {
            Ok(caller) => caller,
            Err(exit) => return exit,
        };
        let expected = match args.get_one::<String>("expected-file") {
            Some(file) => match std::fs::read_to_string(file) {
                Ok(text) => Some(text),
                Err(e) => {
                    eprintln!("vngate: cannot read {file}: {e}");
                    return Exit::InvalidInput;
                }
            },
            None => None,
        };
        let mut data = Vec::new();
        if std::io::stdin().read_to_end(&mut data).is_err() {
            return Exit::InvalidInput;
        }
        let data = data.strip_suffix(b"\n").unwrap_or(&data);
        let result = caller.parse_callback(data, expected.as_deref());
        let op = registry::find(provider, "parse_callback").expect("callbacks");
        output::result(self.model, self.format, op.result, result)
    }

    /// Read-only `check`s of a request id no site knows, under each scheme and transport: the
    /// site answers "card not found" to the signature it accepts, "invalid signature" to others.
    fn detect_scheme(&self) -> Exit {
        let card = serde_json::json!({
            "telco": "VIETTEL", "code": "000000000000", "serial": "000000000000",
            "amount": 10_000, "request_id": vngate::new_request_id(),
        })
        .to_string();
        // The account read once (its key from a file or the environment), then each variant.
        let base = match self.config("chargingws") {
            Ok(config) => config,
            Err(exit) => return exit,
        };
        let mut found = None;
        // The first call that got no answer: with no answer at all, the site was not asked.
        let mut unanswered = None;
        for transport in ["form", "json"] {
            for scheme in ["s1", "s2"] {
                let mut config = base.clone();
                config["sign_scheme"] = scheme.into();
                config["transport"] = transport.into();
                let client = match self.client_from("chargingws", &config) {
                    Ok(client) => client,
                    Err(exit) => return exit,
                };
                let verdict = match client.call("check", &card) {
                    Ok(reply) => {
                        let reply: Value = serde_json::from_str(&reply).unwrap_or_default();
                        let message = reply["message"].as_str().unwrap_or_default().to_owned();
                        let refused = message.to_ascii_uppercase().contains("SIGN");
                        if !refused && found.is_none() {
                            found = Some((scheme, transport));
                        }
                        format!(
                            "status {} {message}: {}",
                            reply["status"],
                            if refused {
                                "signature refused"
                            } else {
                                "accepted"
                            }
                        )
                    }
                    Err(e) => {
                        let verdict = format!("{}: {e}", e.kind());
                        unanswered.get_or_insert(e);
                        verdict
                    }
                };
                eprintln!("sign_scheme = {scheme:<3} transport = {transport:<5} → {verdict}");
            }
        }
        if let Some((scheme, transport)) = found {
            out!("sign_scheme = \"{scheme}\"\ntransport = \"{transport}\"");
            Exit::Result
        } else if let Some(error) = unanswered {
            // A site that is down, or refuses every variant with an error, says nothing of the
            // schemes: the error's own code, never "signature mismatch".
            eprintln!("vngate: the site did not answer every variant: nothing can be concluded");
            output::error(self.format, &error)
        } else {
            eprintln!(
                "vngate: the site accepted none of the schemes: check partner_id and partner_key"
            );
            Exit::SignatureMismatch
        }
    }

    fn esms_token(&self) -> Exit {
        let client = match self.client("esms") {
            Ok(client) => client,
            Err(exit) => return exit,
        };
        let token = client.call("login", "{}").and_then(|login| {
            let login: Value = serde_json::from_str(&login).unwrap_or_default();
            let request = serde_json::json!({"access_token": login["access_token"]});
            client.call("generate_api_token", &request.to_string())
        });
        match token {
            Ok(reply) => {
                let reply: Value = serde_json::from_str(&reply).unwrap_or_default();
                eprintln!(
                    "vngate: a token that does not expire: store it as a secret (a file or an environment variable) and name it in the config as api_token_file or api_token_env"
                );
                out!("{}", reply["api_token"].as_str().unwrap_or_default());
                Exit::Result
            }
            Err(e) => output::error(self.format, &e),
        }
    }
}

impl Run<'_> {
    /// The journaled clients of every account (or of `--provider` / `--account`).
    fn journaled(&self, provider: Option<&String>) -> Result<Vec<JournaledClient>, Exit> {
        let accounts = config::accounts(self.config.as_deref()).map_err(|message| {
            eprintln!("vngate: {message}");
            Exit::InvalidInput
        })?;
        let mut clients = Vec::new();
        for (p, account) in accounts {
            if provider.is_some_and(|wanted| *wanted != p)
                || self
                    .account
                    .as_ref()
                    .is_some_and(|wanted| *wanted != account)
            {
                continue;
            }
            match self.caller(&p, Some(&account))? {
                Front::Journaled(journaled) => clients.push(journaled),
                Front::Plain(_) => {
                    eprintln!(
                        "vngate: the config has no [journal] table: add one (path, key_env or key_file) to journal money-moving calls"
                    );
                    return Err(Exit::InvalidInput);
                }
            }
        }
        Ok(clients)
    }

    fn reconcile(&self, args: &ArgMatches) -> Exit {
        let clients = match self.journaled(args.get_one::<String>("provider")) {
            Ok(clients) => clients,
            Err(exit) => return exit,
        };
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{prefix:>22} [{bar:30}] {pos}/{len}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar
        });
        let mut total = ReconcileReport::default();
        for client in &clients {
            let label = format!("{}.{}", client.client().provider(), client.account());
            if let Some(bar) = &bar {
                bar.set_prefix(label.clone());
                bar.set_position(0);
            }
            let report = client.reconcile(&mut |done, total| {
                if let Some(bar) = &bar {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                }
            });
            match report {
                Ok(report) => total.absorb(report),
                Err(e) => return output::error(self.format, &e),
            }
        }
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        if self.format == Format::Json {
            out!(
                "{}",
                serde_json::to_string(&total).expect("reports are JSON")
            );
        } else {
            for line in &total.lines {
                out!(
                    "{:<11} {:<14} {:<34} {:>9} -> {:<9} {}",
                    line.provider,
                    line.operation,
                    line.reference,
                    line.before.as_str(),
                    line.after.as_str(),
                    line.note
                );
            }
            out!(
                "checked {}, resolved {}, still open {}, closed as never sent {}, awaiting a callback {}, errors {}",
                total.checked,
                total.resolved,
                total.still_open,
                total.not_sent,
                total.awaiting_callback,
                total.errors
            );
        }
        if total.errors > 0 {
            // Resolving calls only read: nothing changed, the records stay open for the next run.
            eprintln!(
                "vngate: {} resolving call(s) failed: those records stay open; run reconcile again",
                total.errors
            );
            return Exit::Transport;
        }
        Exit::Result
    }

    fn journal_list(&self, args: &ArgMatches) -> Exit {
        let clients = match self.journaled(args.get_one::<String>("provider")) {
            Ok(clients) => clients,
            Err(exit) => return exit,
        };
        let mut states: Vec<State> = args
            .get_many::<String>("state")
            .into_iter()
            .flatten()
            .filter_map(|s| State::parse(s))
            .collect();
        if args.get_flag("attention") {
            states.push(State::Attention);
        }
        // One journal file holds every account: list it once, filtered to the accounts chosen.
        let Some(first) = clients.first() else {
            return Exit::Result;
        };
        let chosen: Vec<(String, String)> = clients
            .iter()
            .map(|c| (c.client().provider().to_owned(), c.account().to_owned()))
            .collect();
        let mut filter = Filter::default();
        filter.states = states;
        let records = match first.journal().list(&filter) {
            Ok(records) => records,
            Err(e) => return output::error(self.format, &e.into_vngate()),
        };
        let records: Vec<_> = records
            .into_iter()
            .filter(|r| chosen.contains(&(r.provider.clone(), r.account.clone())))
            .collect();
        if self.format == Format::Json {
            out!(
                "{}",
                serde_json::to_string(&records).expect("records are JSON")
            );
        } else {
            for r in &records {
                out!(
                    "{} {:<11} {:<10} {:<14} {:<34} {:<10} attempts {:<3} {}",
                    output::utc(r.created_at_ms),
                    r.provider,
                    r.account,
                    r.operation,
                    r.reference,
                    r.state.as_str(),
                    r.attempts,
                    r.note.as_deref().unwrap_or("")
                );
            }
            eprintln!("{} records", records.len());
        }
        Exit::Result
    }
}
