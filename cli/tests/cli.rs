//! The `vngate` command as an ops person runs it: against `vngate sim`, with the config the
//! simulator writes (keys in files), checking outputs and exit codes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const VNGATE: &str = env!("CARGO_BIN_EXE_vngate");

/// `vngate sim --write-config DIR`, stopped when dropped.
struct Sim {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sim(name: &str) -> Sim {
    let dir = std::env::temp_dir().join(format!("vngate-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut command = Command::new(VNGATE);
    command.args(["sim", "--write-config"]).arg(&dir);
    let (child, url) = listening(&mut command, "vngate-sim listening on http://");
    Sim { child, url, dir }
}

/// `command` started, and the URL its first line ends with (it starts with `opening`).
fn listening(command: &mut Command, opening: &str) -> (Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with(opening), "{line:?}");
    (child, line.trim().rsplit(' ').next().unwrap().to_owned())
}

impl Sim {
    fn config(&self) -> PathBuf {
        self.dir.join("vngate.toml")
    }

    /// Runs `vngate --config <the sim's> args…` with `stdin`.
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        run_with(&self.config(), args, stdin)
    }

    /// The simulator's log of money-moving requests.
    fn money_log(&self) -> Vec<String> {
        self.control("/__sim/money_log", "{}")["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect()
    }

    /// A control request to the simulator (faults, the money log); its JSON answer.
    fn control(&self, path: &str, body: &str) -> serde_json::Value {
        let (status, answer) = http(&self.url, "POST", path, "", body);
        assert_eq!(status, 200, "{path}: {answer}");
        answer
    }
}

fn run_with(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(VNGATE)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap()
}

fn stdout(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A card PIN in a file of its own (never on a command line), for `--code_file`: a file per
/// call, since tests run in parallel and a file shared by two would be truncated by one while
/// the other's command reads it (an empty code: exit 2).
fn pin_file(pin: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("vngate-cli-pin-{}-{n}-{pin}", std::process::id()));
    std::fs::write(&path, format!("{pin}\n")).unwrap();
    path.to_string_lossy().into_owned()
}

fn card_args(request_id: &str) -> Vec<String> {
    let pin = pin_file("312821445892981");
    [
        "--telco",
        "VIETTEL",
        "--code_file",
        pin.as_str(),
        "--serial",
        "10004783347874",
        "--amount",
        "50000",
        "--request_id",
        request_id,
    ]
    .map(str::to_owned)
    .to_vec()
}

#[test]
fn charge_then_check_with_fields_as_arguments_or_json_on_stdin() {
    let sim = sim("charge");
    let id = vngate::new_request_id();
    let mut args = vec!["--account", "s1", "chargingws", "charge"];
    let card = card_args(&id);
    args.extend(card.iter().map(String::as_str));
    let charged = sim.run(&args, "");
    assert_eq!(code(&charged), 0, "{charged:?}");
    assert_eq!(stdout(&charged)["status"], 99);
    let request = format!(
        r#"{{"telco":"VIETTEL","code":"312821445892981","serial":"10004783347874","amount":50000,"request_id":"{id}"}}"#
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let checked = sim.run(&["--account", "s1", "chargingws", "check"], &request);
    assert_eq!(code(&checked), 0, "{checked:?}");
    assert_eq!(stdout(&checked)["status"], 1);
    assert_eq!(stdout(&checked)["request_id"], id.as_str());

    // A table on request: the PIN masked, the raw body left out.
    let table = sim.run(
        &["--table", "--account", "s1", "chargingws", "check"],
        &request,
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("***81") && !text.contains("312821445892981"),
        "{text}"
    );

    // Bought codes are masked in a table too, inside the list of cards.
    let order = vngate::new_request_id();
    let bought = sim.run(
        &[
            "--table",
            "--account",
            "s1",
            "chargingws",
            "buy_cards",
            "--service_code",
            "VIETTEL",
            "--value",
            "10000",
            "--qty",
            "2",
            "--request_id",
            &order,
        ],
        "",
    );
    assert_eq!(code(&bought), 0, "{bought:?}");
    let again = sim.run(
        &[
            "--json",
            "--account",
            "s1",
            "chargingws",
            "redownload",
            "--request_id",
            &order,
        ],
        "",
    );
    let cards = stdout(&again)["cards"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(cards.len(), 2, "{again:?}");
    let table = String::from_utf8_lossy(&bought.stdout);
    for card in &cards {
        let code = card["code"].as_str().unwrap();
        assert!(!table.contains(code), "{code} in {table}");
        assert!(table.contains(&vngate::mask_pin(code)), "{table}");
    }
}

#[test]
fn exit_codes_follow_the_error_kind() {
    let sim = sim("exits");
    // Invalid input, named, before any I/O.
    let bad = sim.run(
        &["--account", "s1", "chargingws", "check", "--amount", "x"],
        "",
    );
    assert_eq!(code(&bad), 2);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid amount"));
    // The connection dropped after the request: a charge's outcome is unknown.
    sim.control("/__sim/faults", r#"{"mode": "drop"}"#);
    let card = card_args(&vngate::new_request_id());
    let mut args = vec!["--account", "s1", "chargingws", "charge"];
    args.extend(card.iter().map(String::as_str));
    let unknown = sim.run(&args, "");
    assert_eq!(code(&unknown), 4, "{unknown:?}");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("do not resend"));
    // The same for a read-only call: nothing changed.
    let mut args = vec!["--account", "s1", "chargingws", "check"];
    args.extend(card.iter().map(String::as_str));
    let checked = sim.run(&args, "");
    assert_eq!(code(&checked), 3, "{checked:?}");
    sim.control("/__sim/reset", "{}");
}

#[test]
fn verify_callback_valid_forged_and_not_the_stored_card() {
    let sim = sim("verify");
    let sign = vngate::chargingws::sign::callback_sign(
        "sim-s1-partner-key",
        "312821445892981",
        "10004783347874",
    );
    let body = format!(
        r#"{{"status":1,"message":"OK","request_id":"r-1","trans_id":"1","telco":"VIETTEL","code":"312821445892981","serial":"10004783347874","declared_value":50000,"value":50000,"amount":40000,"callback_sign":"{sign}"}}"#
    );
    let valid = sim.run(&["--account", "s1", "verify-callback", "chargingws"], &body);
    assert_eq!(code(&valid), 0, "{valid:?}");
    assert_eq!(stdout(&valid)["amount"], 40000);
    // Every provider with a callback is a choice (the list comes from the registry): an
    // AppotaPay transfer IPN with a forged signature is refused as such, not as a usage error.
    let forged = r#"{"amount":1,"appotapayTransId":"1","errorCode":0,"partnerRefId":"r","time":"t","transferAmount":1,"transferStatus":"success","message":"","signature":"00"}"#;
    let ipn = sim.run(&["verify-callback", "appotapay"], forged);
    assert_eq!(code(&ipn), 6, "{ipn:?}");
    let forged = sim.run(
        &["--account", "s1", "verify-callback", "chargingws"],
        &body.replace("312821445892981", "312821445892982"),
    );
    assert_eq!(code(&forged), 6);
    let stored = sim.dir.join("stored.json");
    std::fs::write(
        &stored,
        r#"{"telco":"VIETTEL","code":"312821445892981","serial":"10004783347874","amount":50000,"request_id":"r-2"}"#,
    )
    .unwrap();
    let other = sim.run(
        &[
            "--account",
            "s1",
            "verify-callback",
            "chargingws",
            "--expected-file",
            stored.to_str().unwrap(),
        ],
        &body,
    );
    assert_eq!(code(&other), 7, "{other:?}");
}

#[test]
fn detect_scheme_finds_s2_and_never_charges() {
    let sim = sim("detect");
    // The s2 account, its scheme forgotten: a copy of the config without `sign_scheme`.
    let config = std::fs::read_to_string(sim.config())
        .unwrap()
        .replace("sign_scheme = \"s2\"\n", "");
    let path = sim.dir.join("forgot.toml");
    std::fs::write(&path, config).unwrap();
    let found = run_with(
        &path,
        &["--account", "s2", "chargingws", "detect-scheme"],
        "",
    );
    assert_eq!(code(&found), 0, "{found:?}");
    assert!(String::from_utf8_lossy(&found.stdout).contains("sign_scheme = \"s2\""));
}

#[test]
fn a_batch_recheck_prints_a_json_line_per_request() {
    let sim = sim("batch");
    let mut lines: Vec<String> = (0..20)
        .map(|i| {
            format!(r#"{{"telco":"VIETTEL","code":"3128214458929{i:02}","serial":"100047833478{i:02}","amount":10000,"request_id":"b-{i}"}}"#)
        })
        .collect();
    lines.push(
        r#"{"telco":"VIETTEL","code":"1","serial":"2","amount":"x","request_id":"bad"}"#.into(),
    );
    let file = sim.dir.join("pending.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let batch = sim.run(
        &[
            "--account",
            "s1",
            "chargingws",
            "check",
            "--from",
            file.to_str().unwrap(),
            "--concurrency",
            "4",
        ],
        "",
    );
    let out: Vec<serde_json::Value> = String::from_utf8_lossy(&batch.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), 21);
    assert_eq!(
        out.iter().filter(|l| l["result"]["status"] == 101).count(),
        20
    );
    assert_eq!(
        out.iter().find(|l| l["line"] == 21).unwrap()["error"]["field"],
        "amount"
    );
    assert_eq!(code(&batch), 2, "the first error's code");
    // Only read-only operations take --from: a money-moving one is never run in bulk.
    let charge = sim.run(
        &["--account", "s1", "chargingws", "charge", "--from", "x"],
        "",
    );
    assert_eq!(code(&charge), 2);
}

#[test]
fn secrets_never_come_from_the_command_line_or_inline_in_the_config() {
    let sim = sim("secrets");
    let refused = sim.run(
        &[
            "--account",
            "s1",
            "chargingws",
            "fees",
            "--partner_key",
            "hunter2",
        ],
        "",
    );
    assert_eq!(code(&refused), 2);
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("partner_key_file") && !message.contains("hunter2"),
        "{message}"
    );

    let inline = sim.dir.join("inline.toml");
    std::fs::write(
        &inline,
        format!("[chargingws.default]\nbase_url = \"{}\"\npartner_id = \"10001\"\npartner_key = \"sim-s1-partner-key\"\n", sim.url),
    )
    .unwrap();
    let refused = run_with(&inline, &["chargingws", "fees"], "");
    assert_eq!(code(&refused), 2);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("partner_key is a secret"));
    // Optional credentials too (eSMS's password, an API token).
    std::fs::write(
        &inline,
        format!("[esms.default]\nbase_url = \"{}\"\nemail = \"a@b.vn\"\npassword = \"pw-1\"\nsecret_key_env = \"X\"\n", sim.url),
    )
    .unwrap();
    let refused = run_with(&inline, &["esms", "login"], "");
    assert_eq!(code(&refused), 2);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("password is a secret"));
    let refused = sim.run(&["esms", "login", "--api_token", "tok-1"], "");
    assert_eq!(code(&refused), 2);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("api_token_file"));

    // -vv logs the request and reply: the PIN masked, the key nowhere.
    let mut args = vec!["-vv", "--account", "s1", "chargingws", "charge"];
    let card = card_args(&vngate::new_request_id());
    args.extend(card.iter().map(String::as_str));
    let logged = sim.run(&args, "");
    let log = String::from_utf8_lossy(&logged.stderr);
    assert!(
        log.contains("[DEBUG vngate] chargingws charge request:") && log.contains("code=***81"),
        "{log}"
    );
    assert!(
        !log.contains("312821445892981") && !log.contains("sim-s1-partner-key"),
        "{log}"
    );
    println!(
        "# -vv: {} log lines checked",
        log.lines().filter(|l| l.contains(" vngate] ")).count()
    );

    // From the environment, it works.
    std::fs::write(
        &inline,
        format!("[chargingws.default]\nbase_url = \"{}\"\npartner_id = \"10001\"\npartner_key_env = \"VNGATE_TEST_KEY\"\n", sim.url),
    )
    .unwrap();
    let fees = Command::new(VNGATE)
        .arg("--config")
        .arg(&inline)
        .args(["chargingws", "fees"])
        .env("VNGATE_TEST_KEY", "sim-s1-partner-key")
        .output()
        .unwrap();
    assert_eq!(code(&fees), 0, "{fees:?}");
}

/// A card PIN is refused on the command line by name, before anything is sent; from stdin
/// (`--code_file -`) or the environment it is taken.
#[test]
fn a_card_pin_is_refused_on_the_command_line() {
    let sim = sim("pin");
    let pin = "312821445892981";
    let on_argv = [
        "--account",
        "s1",
        "chargingws",
        "charge",
        "--telco",
        "VIETTEL",
        "--code",
        pin,
        "--serial",
        "10004783347874",
        "--amount",
        "50000",
        "--request_id",
        "cli-pin-argv",
    ];
    let refused = sim.run(&on_argv, "");
    assert_eq!(code(&refused), 2, "{refused:?}");
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("--code refused")
            && message.contains("--code-file")
            && !message.contains(pin),
        "{message}"
    );
    assert!(
        !sim.money_log().iter().any(|r| r.contains("cli-pin-argv")),
        "nothing was sent"
    );
    let mut from_stdin = on_argv.to_vec();
    from_stdin[6] = "--code_file";
    from_stdin[7] = "-";
    from_stdin[13] = "cli-pin-stdin";
    let charged = sim.run(&from_stdin, &format!("{pin}\n"));
    assert_eq!(code(&charged), 0, "{charged:?}");
    assert_eq!(stdout(&charged)["code"], pin);
    let mut from_env = on_argv.to_vec();
    from_env[6] = "--code_env";
    from_env[7] = "VNGATE_TEST_PIN";
    from_env[13] = "cli-pin-env";
    let charged = Command::new(VNGATE)
        .arg("--config")
        .arg(sim.config())
        .args(from_env)
        .env("VNGATE_TEST_PIN", pin)
        .output()
        .unwrap();
    assert_eq!(code(&charged), 0, "{charged:?}");
    assert_eq!(stdout(&charged)["code"], pin);
}

#[test]
fn every_operation_of_the_registry_is_a_command_and_esms_mints_a_token() {
    let help = Command::new(VNGATE)
        .args(["chargingws", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    for provider in vngate::api::PROVIDERS {
        let help = Command::new(VNGATE)
            .args([provider, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&help.stdout).into_owned();
        for op in vngate::registry::of(provider) {
            // Shown kebab-case (`buy-cards`), as command lines write them.
            let shown = op.name.replace('_', "-");
            assert!(help.contains(&shown), "{provider} {shown}: {help}");
        }
    }
    assert!(help.contains("detect-scheme"));
    let sim = sim("token");
    let token = sim.run(&["esms", "token"], "");
    assert_eq!(code(&token), 0, "{token:?}");
    assert!(!String::from_utf8_lossy(&token.stdout).trim().is_empty());
}

#[test]
// One story, told in order: journaled calls of every provider, then the reconcile.
#[allow(clippy::too_many_lines)]
fn money_calls_are_journaled_and_reconcile_resolves_every_provider() {
    let sim = sim("journal");
    let call = |args: &[&str]| {
        let output = sim.run(args, "");
        assert_eq!(
            code(&output),
            0,
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let mut charge: Vec<String> = vec![
        "chargingws".into(),
        "charge".into(),
        "--account".into(),
        "s1".into(),
    ];
    charge.extend(card_args("cli-j-1"));
    let charge: Vec<&str> = charge.iter().map(String::as_str).collect();
    call(&charge);
    // The same reference again is answered by `check`: never charged twice.
    call(&charge);
    let charges = sim
        .money_log()
        .iter()
        .filter(|l| l.as_str() == "chargingws charge cli-j-1")
        .count();
    assert_eq!(charges, 1, "{:?}", sim.money_log());
    call(&[
        "appotapay",
        "mobile_topup",
        "--partner_ref_id",
        "cli-tu-pending",
        "--phone_number",
        "0912345678",
        "--product_code",
        "viettel_10",
    ]);
    call(&[
        "appotapay",
        "bank_transfer",
        "--partner_ref_id",
        "cli-bt-fails",
        "--bank_code",
        "TPBANK",
        "--account_no",
        "0123456789",
        "--account_name",
        "NGUYEN VAN A",
        "--amount",
        "100000",
        "--fee_type",
        "payer",
        "--message",
        "Hoan tien",
    ]);
    call(&[
        "esms",
        "disburse",
        "--amount",
        "20000",
        "--channel",
        "momo",
        "--phone",
        "0912345671",
        "--order_id",
        "cli-esms-1",
        "--description",
        "d",
    ]);
    call(&[
        "topup",
        "topup",
        "--phone",
        "0912345678",
        "--amount",
        "100000",
        "--client_trans_id",
        "cli-topup-8",
    ]);
    let open_pin = pin_file("123456789012341");
    call(&[
        "opencard",
        "charge",
        "--telco",
        "VIETTEL",
        "--code_file",
        &open_pin,
        "--serial",
        "10000000000019",
        "--amount",
        "10000",
    ]);
    let open = stdout(&sim.run(
        &[
            "journal", "list", "--state", "pending", "--state", "unknown",
        ],
        "",
    ));
    let open: Vec<&str> = open
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    assert_eq!(open.len(), 6, "{open:?}");
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    // A batch of resolving calls goes through the journal too: the top-up's recheck settles it.
    let rechecks = sim.dir.join("rechecks.jsonl");
    std::fs::write(&rechecks, r#"{"client_trans_id": "cli-topup-8"}"#).unwrap();
    call(&["topup", "recheck", "--from", rechecks.to_str().unwrap()]);
    let settled = stdout(&sim.run(&["journal", "list", "--state", "succeeded"], ""));
    assert!(
        settled
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["reference"] == "cli-topup-8"),
        "{settled}"
    );
    let report = stdout(&sim.run(&["reconcile"], ""));
    assert_eq!(report["resolved"], 4, "{report}");
    assert_eq!(report["awaiting_callback"], 1, "OpenCard: {report}");
    let states: Vec<(String, String)> = report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["reference"].as_str().unwrap().to_owned(),
                l["after"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        states.contains(&("cli-bt-fails".into(), "failed".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("cli-j-1".into(), "succeeded".into())),
        "{states:?}"
    );
    let left = stdout(&sim.run(
        &[
            "journal", "list", "--state", "pending", "--state", "unknown",
        ],
        "",
    ));
    assert_eq!(left.as_array().unwrap().len(), 1, "only OpenCard's: {left}");
    let attention = stdout(&sim.run(&["journal", "list", "--attention"], ""));
    assert_eq!(attention, serde_json::json!([]), "none past a day");
    // Without a [journal] table, reconcile says what is missing.
    let plain = sim.dir.join("plain.toml");
    let text = std::fs::read_to_string(sim.config()).unwrap();
    std::fs::write(&plain, &text[..text.find("[journal]").unwrap()]).unwrap();
    let output = run_with(&plain, &["reconcile"], "");
    assert_eq!(code(&output), 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("[journal]"));
}

/// Every way a command can end says what happened and exits with a documented code: a signal
/// during a money call, an answer that cannot be written, a site that is down for
/// detect-scheme, a reconcile whose resolving calls failed.
#[test]
fn signals_closed_output_and_failed_reconciles_have_their_own_exit() {
    let sim = sim("ends");
    let pin = pin_file("312821445892980"); // pending forever: reconcile has work
    let charge = |id: &str| -> Command {
        let mut command = Command::new(VNGATE);
        command.arg("--config").arg(sim.config()).args([
            "--account",
            "s1",
            "chargingws",
            "charge",
            "--telco",
            "VIETTEL",
            "--code_file",
            &pin,
            "--serial",
            "10004783347874",
            "--amount",
            "50000",
            "--request_id",
            id,
        ]);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command
    };

    // SIGTERM while the provider takes its time: outcome unknown, said, journaled.
    sim.control("/__sim/faults", r#"{"mode": "none", "latency_ms": 5000}"#);
    let child = charge("cli-sigterm-1").spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    let started = std::time::Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let stopped = child.wait_with_output().unwrap();
    assert!(started.elapsed().as_millis() < 2000, "stopped at once");
    let said = String::from_utf8_lossy(&stopped.stderr);
    assert_eq!(code(&stopped), 4, "{said}");
    assert!(
        said.contains("stopped by SIGTERM")
            && said.contains("cli-sigterm-1")
            && said.contains("do not resend"),
        "{said}"
    );
    sim.control("/__sim/faults", r#"{"mode": "none"}"#);
    let unknown = stdout(&sim.run(&["journal", "list", "--state", "unknown"], ""));
    assert!(unknown.to_string().contains("cli-sigterm-1"), "{unknown}");

    // The answer came but stdout is closed: never a panic, exit 9, the reference, no resend.
    let mut child = charge("cli-closed-1").spawn().unwrap();
    drop(child.stdout.take());
    let closed = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&closed.stderr);
    assert_eq!(code(&closed), 9, "{said}");
    assert!(
        said.contains("cli-closed-1")
            && said.contains("do not resend")
            && !said.contains("panicked"),
        "{said}"
    );

    // detect-scheme against a site that is down: not sent (3), never "signature mismatch".
    let down = sim.dir.join("down.toml");
    let config = std::fs::read_to_string(sim.config()).unwrap();
    std::fs::write(&down, config.replace(&sim.url, "http://127.0.0.1:9")).unwrap();
    let detect = run_with(
        &down,
        &["--account", "s1", "chargingws", "detect-scheme"],
        "",
    );
    let said = String::from_utf8_lossy(&detect.stderr);
    assert_eq!(code(&detect), 3, "{said}");
    assert!(said.contains("nothing can be concluded"), "{said}");

    // reconcile whose every resolving call fails: 3, and it says the records stay open.
    sim.control("/__sim/faults", r#"{"mode": "drop"}"#);
    let reconcile = sim.run(&["reconcile"], "");
    sim.control("/__sim/faults", r#"{"mode": "none"}"#);
    let said = String::from_utf8_lossy(&reconcile.stderr);
    assert_eq!(code(&reconcile), 3, "{said}");
    assert!(
        said.contains("failed") && said.contains("stay open"),
        "{said}"
    );
    let reconcile = sim.run(&["reconcile"], "");
    assert_eq!(code(&reconcile), 0, "{reconcile:?}");
}

/// The accounts file: its errors never quote its text, two sources of one field are refused
/// naming both, loose permissions are refused as ssh refuses them (with the chmod to run), and
/// `ca_file` is the CA file it names, not a secret read from it.
#[test]
fn config_files_never_quote_secrets_and_refuse_loose_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let sim = sim("config");
    let dir = sim.dir.join("config-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("s1.key");
    std::fs::write(&key, "sim-s1-partner-key\n").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let file = dir.join("vngate.toml");
    let head = format!(
        "[chargingws.default]\nbase_url = \"{}\"\npartner_id = \"10001\"\n",
        sim.url
    );
    let fees = |text: &str| {
        std::fs::write(&file, text).unwrap();
        let output = run_with(&file, &["chargingws", "fees"], "");
        (
            code(&output),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let good = format!("{head}partner_key_file = \"{}\"\n", key.display());
    assert_eq!(fees(&good).0, 0, "{}", fees(&good).1);

    // A syntax error on the line of a secret: where, never the line.
    let (exit, said) = fees(&format!("{head}partner_key = \"hunter2-in-clear\n"));
    assert_eq!(exit, 2);
    assert!(
        said.contains("line 4") && !said.contains("hunter2"),
        "{said}"
    );
    // A secret pasted as a key: described, never quoted.
    let (exit, said) = fees(&format!("{good}\"sk-live-hunter3\" = 1\n"));
    assert_eq!(exit, 2);
    assert!(
        !said.contains("hunter3") && said.contains("not a config field"),
        "{said}"
    );
    // A plain typo is named.
    let (exit, said) = fees(&format!("{good}partner_kye = 1\n"));
    assert!(exit == 2 && said.contains("partner_kye"), "{said}");
    // Two sources of one secret: both named.
    let (exit, said) = fees(&format!("{good}partner_key_env = \"HOME\"\n"));
    assert!(
        exit == 2 && said.contains("partner_key_file") && said.contains("partner_key_env"),
        "{said}"
    );
    // ca_file is settable: it is read as a CA (a file that is not one is refused as such).
    let ca = env!("CARGO_MANIFEST_DIR").replace("/cli", "/tests/data/test-ca.pem");
    assert_eq!(fees(&format!("{good}ca_file = \"{ca}\"\n")).0, 0);
    let (exit, said) = fees(&format!("{good}ca_file = \"{}\"\n", key.display()));
    assert!(exit == 2 && said.contains("ca_file"), "{said}");

    // Loose permissions: the accounts file, its directory, a key file.
    std::fs::write(&file, &good).unwrap();
    let refused = |what: &Path, mode: u32, fix: &str| {
        let before = std::fs::metadata(what).unwrap().permissions();
        std::fs::set_permissions(what, std::fs::Permissions::from_mode(mode)).unwrap();
        let output = run_with(&file, &["chargingws", "fees"], "");
        std::fs::set_permissions(what, before).unwrap();
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(code(&output), 2, "{mode:o} {}: {said}", what.display());
        assert!(said.contains(fix), "{said}");
    };
    refused(&file, 0o666, "chmod go-w");
    refused(&dir, 0o777, "chmod go-w");
    refused(&key, 0o644, "chmod 600");
    assert_eq!(code(&run_with(&file, &["chargingws", "fees"], "")), 0);
}

/// The command as ops people expect it: kebab-case flags and commands (the vocabulary's
/// `snake_case` still taken), `new-request-id`, `--output`, statuses named and lists one row per
/// item in a table, timestamps in `-v` lines, completions and a man page from the same
/// definitions.
#[test]
fn flags_commands_and_output_as_a_shell_user_expects() {
    let sim = sim("conventions");
    let id = String::from_utf8(
        Command::new(VNGATE)
            .arg("new-request-id")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let id = id.trim();
    assert!(
        id.len() >= 21 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id:?}"
    );
    let pin = pin_file("312821445892981");
    let kebab = sim.run(
        &[
            "-v",
            "--output",
            "table",
            "--account",
            "s1",
            "chargingws",
            "charge",
            "--telco",
            "VIETTEL",
            "--code-file",
            &pin,
            "--serial",
            "10004783347874",
            "--amount",
            "50000",
            "--request-id",
            id,
        ],
        "",
    );
    assert_eq!(code(&kebab), 0, "{kebab:?}");
    let table = String::from_utf8_lossy(&kebab.stdout);
    assert!(
        table.contains("status") && table.contains("99 PENDING"),
        "{table}"
    );
    let log = String::from_utf8_lossy(&kebab.stderr);
    let stamp = log
        .lines()
        .find(|l| l.contains("[INFO vngate]"))
        .unwrap_or_default();
    assert!(
        stamp.len() > 24 && stamp.as_bytes()[4] == b'-' && stamp[..24].ends_with('Z'),
        "a UTC timestamp first: {log}"
    );
    // The vocabulary's snake_case is still taken, for commands and flags.
    let snake = sim.run(
        &[
            "--json",
            "--account",
            "s1",
            "chargingws",
            "wallet_balance",
            "--service",
            "topup",
        ],
        "",
    );
    assert_eq!(code(&snake), 0, "{snake:?}");
    assert_eq!(stdout(&snake)["site_status"], "success");
    // A list is one row per item, not one long line.
    let fees = sim.run(
        &["-o", "table", "--account", "s1", "chargingws", "fees"],
        "",
    );
    let text = String::from_utf8_lossy(&fees.stdout);
    assert!(
        text.contains("(36 rows)") && text.lines().all(|l| l.len() < 120),
        "{text}"
    );
    // Completions and a man page, from the same definitions.
    let bash = Command::new(VNGATE)
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let bash = String::from_utf8_lossy(&bash.stdout);
    assert!(
        bash.contains("complete -F") && bash.contains("buy-cards"),
        "{bash}"
    );
    let man = Command::new(VNGATE).arg("man").output().unwrap();
    let man = String::from_utf8_lossy(&man.stdout);
    assert!(
        man.contains(".TH vngate 1") && man.contains("new\\-request\\-id"),
        "{man}"
    );
}

/// The README's first session with the command, as written there (bash, `HOME` a scratch
/// directory, the command on `PATH`), run twice: the second `vngate sim --write-config` into
/// the same directory keeps the journal's key, so the journaled charge works again.
#[test]
fn the_readmes_first_session_runs_as_written() {
    let home = std::env::temp_dir().join(format!("vngate-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    for round in 1..=2 {
        let stdout = readme_block("vngate sim --write-config", &home, &[]);
        assert_eq!(
            stdout.matches("\"message\":\"PENDING\"").count(),
            2,
            "round {round}: the charge and the check answer pending: {stdout}"
        );
        assert!(stdout.contains("fees"), "round {round}: {stdout}");
    }
    let _ = std::fs::remove_dir_all(&home);
}

/// Runs the README's shell block that starts with `opening` as written (bash, `set -e`, `HOME`
/// at `home`, the command on `PATH`, the block's background job stopped after), each
/// `(from, to)` of `replace` applied; its standard output.
fn readme_block(opening: &str, home: &Path, replace: &[(&str, &str)]) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let start = readme
        .find(&format!("```sh\n{opening}"))
        .unwrap_or_else(|| panic!("no README block starting with {opening}"));
    let block = &readme[start + "```sh\n".len()..];
    let mut block = block[..block.find("```").unwrap()].to_owned();
    for (from, to) in replace {
        block = block.replace(from, to);
    }
    let bin = Path::new(VNGATE).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = format!("set -e\ntrap 'kill %1 2>/dev/null' EXIT\n{block}");
    let out = Command::new("bash")
        .args(["-c", &script])
        .env("HOME", home)
        .env("PATH", &path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{opening}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Every `vngate …` command that the README and `docs/` show in a shell block exists: its
/// subcommand path (the words before its first flag) answers `--help`. A renamed or removed
/// command fails here, not in a reader's terminal.
#[test]
fn every_command_the_docs_show_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut pages = vec![root.join("README.md")];
    let mut dirs = vec![root.join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    let mut checked = std::collections::BTreeSet::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for block in text.split("```sh\n").skip(1) {
            let block = &block[..block.find("```").unwrap_or(block.len())];
            // A command starts a line, or follows a pipe, `;`, `&&` or `$(`.
            let commands = block
                .lines()
                .flat_map(|line| {
                    line.split(['|', '(', ';'])
                        .flat_map(|part| part.split("&&"))
                })
                .filter_map(|part| part.trim_start().strip_prefix("vngate "));
            for command in commands {
                let mut words = Vec::new();
                let mut tokens = command.split_whitespace();
                while let Some(token) = tokens.next() {
                    match token {
                        // Global options and their values come before the subcommand.
                        "--account" | "--config" | "-o" | "--output" => {
                            tokens.next();
                        }
                        "-v" | "-vv" | "--json" | "--table" => {}
                        t if t.starts_with(['-', '>', '<', '#', '&', '"', '\'', '$', ')']) => break,
                        t => words.push(t.trim_end_matches([')', '"']).to_owned()),
                    }
                }
                if words.is_empty() || !checked.insert(words.clone()) {
                    continue;
                }
                let out = Command::new(VNGATE)
                    .args(&words)
                    .arg("--help")
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}: `vngate {}` does not exist: {}",
                    page.display(),
                    words.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
    assert!(checked.len() >= 10, "{checked:?}");
}

/// One HTTP request on a connection of its own (the simulator's or the gateway's), with a
/// bearer `token`: the status and the body as JSON.
fn http(url: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, serde_json::Value) {
    let host = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let status = reply.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = reply.split("\r\n\r\n").nth(1).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or_default())
}

/// `vngate serve` on a free port, and its URL.
fn serve(args: &[&str]) -> (Child, String) {
    let mut command = Command::new(VNGATE);
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args);
    listening(&mut command, "vngate serve listening on http://")
}

/// The README's one command (`vngate serve --sim`): the gateway on the simulator's accounts,
/// answering over HTTP with the token it wrote; SIGTERM during a money call lets the call
/// finish, answer and be journaled before the process exits 0.
#[test]
#[allow(unsafe_code)]
fn serve_answers_over_http_and_finishes_its_calls_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("vngate-cli-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (mut child, url) = serve(&["--sim", "--dir", dir.to_str().unwrap()]);
    let token = std::fs::read_to_string(dir.join("serve-token.secret")).unwrap();
    let (status, balance) = http(&url, "POST", "/v1/topup/balance", &token, "{}");
    assert_eq!(status, 200, "{balance}");
    assert_eq!(
        http(
            &url,
            "POST",
            "/v1/topup/balance",
            "wrong-token-wrong-token",
            "{}"
        )
        .0,
        401
    );
    // The simulator inside answers slowly; SIGTERM arrives while the top-up waits.
    let config = std::fs::read_to_string(dir.join("vngate.toml")).unwrap();
    let sim = Sim {
        child: Command::new("true").spawn().unwrap(),
        url: config
            .lines()
            .find_map(|l| l.strip_prefix("base_url = \""))
            .unwrap()
            .trim_end_matches('"')
            .to_owned(),
        dir: dir.clone(),
    };
    sim.control("/__sim/faults", r#"{"mode": "none", "latency_ms": 1500}"#);
    let request = r#"{"phone": "0912345671", "amount": 10000, "client_trans_id": "serve-term-1"}"#;
    let call = {
        let (url, token) = (url.clone(), token.clone());
        std::thread::spawn(move || http(&url, "POST", "/v1/topup/topup", &token, request))
    };
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SAFETY: kill with a child's pid and a valid signal number.
    unsafe {
        libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGTERM);
    }
    let (status, answer) = call.join().unwrap();
    assert_eq!(status, 200, "the call in flight was cut: {answer}");
    assert_eq!(answer["client_trans_id"], "serve-term-1", "{answer}");
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "{exit:?}");
    drop(sim);
    let listed = run_with(&dir.join("vngate.toml"), &["journal", "list", "--json"], "");
    let records = stdout(&listed);
    let record = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reference"] == "serve-term-1")
        .unwrap_or_else(|| panic!("not journaled: {records}"));
    assert_ne!(record["state"], "sent", "{record}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without a `[journal]` table serve journals in the user's data directory (its key made
/// there, readable by the user alone); without a token it does not start.
#[test]
fn serve_journals_by_default_and_needs_a_token() {
    use std::os::unix::fs::PermissionsExt;
    let sim = sim("serve-default");
    let config = std::fs::read_to_string(sim.config()).unwrap();
    let accounts = config.split("\n[journal]").next().unwrap();
    let dir = sim.dir.join("plain");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let without_token = dir.join("no-token.toml");
    std::fs::write(&without_token, accounts).unwrap();
    let data = dir.join("data");
    let output = Command::new(VNGATE)
        .args([
            "--config",
            without_token.to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("XDG_DATA_HOME", &data)
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no token"),
        "{output:?}"
    );
    let token_file = dir.join("token.secret");
    std::fs::write(&token_file, "a-token-of-thirty-two-characters\n").unwrap();
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let with_token = dir.join("vngate.toml");
    std::fs::write(
        &with_token,
        format!(
            "{accounts}\n[serve]\ntoken_file = \"{}\"\n",
            token_file.display()
        ),
    )
    .unwrap();
    let (mut child, url) = listening(
        Command::new(VNGATE)
            .args([
                "--config",
                with_token.to_str().unwrap(),
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .env("XDG_DATA_HOME", &data),
        "vngate serve listening on http://",
    );
    let request =
        r#"{"phone": "0912345671", "amount": 10000, "client_trans_id": "serve-default-1"}"#;
    let (status, answer) = http(
        &url,
        "POST",
        "/v1/topup/topup",
        "a-token-of-thirty-two-characters",
        request,
    );
    assert_eq!(status, 200, "{answer}");
    let (status, records) = http(
        &url,
        "GET",
        "/v1/journal/records?provider=topup",
        "a-token-of-thirty-two-characters",
        "",
    );
    assert_eq!(status, 200, "{records}");
    assert_eq!(records[0]["reference"], "serve-default-1", "{records}");
    let _ = child.kill();
    let _ = child.wait();
    let key = data.join("vngate/journal-key.secret");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(data.join("vngate/journal.db").exists());
    let _ = std::fs::remove_dir_all(&sim.dir);
}

/// The README's `vngate serve --sim` block, run as written (its port made free): the balance,
/// a top-up and the journal's record of it.
#[test]
fn the_readmes_serve_session_runs_as_written() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let home = std::env::temp_dir().join(format!("vngate-readme-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let listen = format!("127.0.0.1:{port}");
    let stdout = readme_block("vngate serve --sim", &home, &[("127.0.0.1:8080", &listen)]);
    assert!(stdout.contains("\"balance\""), "{stdout}");
    assert!(
        stdout.contains("\"client_trans_id\":\"first-1\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"reference\":\"first-1\""), "{stdout}");
    assert!(stdout.contains("money.settled"), "{stdout}");
    let _ = std::fs::remove_dir_all(&home);
}

/// A fresh database for `name` on the test server whose admin URL is in `env` (`make test`
/// starts PostgreSQL and MariaDB), made with the server's own client; `None`, saying why, when
/// there is no server.
fn server_database(env: &str, name: &str) -> Option<String> {
    let Ok(admin) = std::env::var(env) else {
        println!("{env} is not set: skipped (make test starts the server)");
        return None;
    };
    let database = format!("vngate_{name}_{}", std::process::id());
    let created = if admin.starts_with("postgresql://") {
        Command::new("psql")
            .args([&admin, "-q", "-c", &format!("CREATE DATABASE {database}")])
            .status()
    } else {
        // mysql://user:password@host:port/db
        let rest = admin.trim_start_matches("mysql://");
        let (credentials, place) = rest.split_once('@').unwrap();
        let (user, password) = credentials.split_once(':').unwrap();
        let (host, port) = place.split('/').next().unwrap().split_once(':').unwrap();
        Command::new("mysql")
            .args(["-h", host, "-P", port, "-u", user, &format!("-p{password}")])
            .args(["-e", &format!("CREATE DATABASE {database}")])
            .status()
    };
    assert!(created.unwrap().success(), "cannot create {database}");
    let (base, _) = admin.rsplit_once('/').unwrap();
    Some(format!("{base}/{database}"))
}

/// The application for the two-server test: every delivery's `webhook-id`, in order; the first
/// one held `hold` before its answer (the server that sent it is killed meanwhile).
fn held_application(
    hold: std::time::Duration,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::sync::{Arc, Mutex};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let (mut id, mut length) = (String::new(), 0usize);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    let (name, value) = line.split_once(':').unwrap_or((line, ""));
                    match name.to_ascii_lowercase().as_str() {
                        "webhook-id" => value.trim().clone_into(&mut id),
                        "content-length" => length = value.trim().parse().unwrap_or(0),
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let first = {
                    let mut log = log.lock().unwrap();
                    log.push(id);
                    log.len() == 1
                };
                if first {
                    std::thread::sleep(hold);
                }
                let mut stream = stream;
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            });
        }
    });
    (url, received)
}

/// Several servers behind a load balancer on one PostgreSQL or MySQL journal: events are
/// claimed through the database. One server is killed (SIGKILL) in the middle of a delivery;
/// the other takes its claimed events once their lease ends and delivers every one; with both
/// alive, no event is delivered twice.
#[test]
fn two_servers_share_one_journal_and_deliver_each_event_once() {
    for env in ["VNGATE_TEST_POSTGRES", "VNGATE_TEST_MYSQL"] {
        if let Some(url) = server_database(env, "two_servers") {
            two_servers(&url);
        }
    }
}

/// A server killed when dropped: a failed assertion leaves none running.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[allow(clippy::too_many_lines)] // one story: killed mid-delivery, taken over, then both alive
fn two_servers(database: &str) {
    use std::collections::BTreeMap;
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, Instant};
    let label = database.split(':').next().unwrap();
    let sim = sim(&format!("two-{label}"));
    let (app, received) = held_application(Duration::from_secs(4));
    let token = "two-servers-token-0123456789";
    for (name, value) in [
        ("token", token.to_owned()),
        (
            "webhook",
            format!("whsec_{}", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="),
        ),
    ] {
        let path = sim.dir.join(format!("{name}.secret"));
        std::fs::write(&path, value).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let text = std::fs::read_to_string(sim.config()).unwrap();
    let (accounts, journal) = text.split_once("\n[journal]").unwrap();
    let key_file = journal.lines().find(|l| l.starts_with("key_file")).unwrap();
    let config = |instance: &str| {
        let path = sim.dir.join(format!("{instance}.toml"));
        std::fs::write(
            &path,
            format!(
                "{accounts}\n[journal]\npath = \"{database}\"\n{key_file}\nmin_age_secs = 0\n\n[serve]\ninstance = \"{instance}\"\ntoken_file = \"{}\"\nwebhook_secret_file = \"{}\"\ndeliver_to = \"{app}\"\nretry_base_secs = 1\ndelivery_lease_secs = 3\n",
                sim.dir.join("token.secret").display(),
                sim.dir.join("webhook.secret").display()
            ),
        )
        .unwrap();
        path
    };
    let start = |instance: &str| {
        let config = config(instance);
        let (child, url) = serve(&["--config", config.to_str().unwrap()]);
        (Server(child), url)
    };
    let topups = |url: &str, from: usize, n: usize| {
        for i in from..from + n {
            let request = format!(
                r#"{{"phone": "0912345671", "amount": 10000, "client_trans_id": "two-{i}"}}"#
            );
            let (status, answer) = http(url, "POST", "/v1/topup/topup", token, &request);
            assert_eq!(status, 200, "{label}: {answer}");
        }
    };
    let wait = |what: &str, done: &dyn Fn() -> bool| {
        let started = Instant::now();
        while !done() {
            assert!(
                started.elapsed() < Duration::from_secs(40),
                "{label}: timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let distinct = || {
        let mut ids: Vec<String> = received.lock().unwrap().clone();
        ids.sort();
        ids.dedup();
        ids.len()
    };
    // A alone: ten events; its first delivery is held while A is killed.
    let (a, a_url) = start("a");
    topups(&a_url, 0, 10);
    wait("the first delivery", &|| {
        !received.lock().unwrap().is_empty()
    });
    drop(a); // SIGKILL
    let held = received.lock().unwrap()[0].clone();
    // B takes over once A's lease on its claimed events ends, and delivers all ten.
    let (_b, b_url) = start("b");
    wait("every event of the killed server", &|| distinct() == 10);
    // Both alive: twenty more, sent through either; each delivered once.
    let (_a, a_url) = start("a");
    topups(&a_url, 10, 10);
    topups(&b_url, 20, 10);
    wait("thirty events", &|| distinct() == 30);
    // The held event too, once A's lease on it ends: nothing left to deliver.
    wait("no event pending", &|| {
        let (_, pending) = http(&b_url, "GET", "/v1/events?state=pending", token, "");
        pending.as_array().is_some_and(Vec::is_empty)
    });
    std::thread::sleep(Duration::from_millis(1500));
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for id in received.lock().unwrap().iter() {
        *counts.entry(id.clone()).or_default() += 1;
    }
    for (id, n) in &counts {
        let allowed = if *id == held { 2 } else { 1 };
        assert!(
            *n <= allowed,
            "{label}: {id} delivered {n} times: {counts:?}"
        );
    }
    let (status, pending) = http(&b_url, "GET", "/v1/events?state=pending", token, "");
    assert_eq!(
        (status, pending.as_array().map(Vec::len)),
        (200, Some(0)),
        "{label}: {pending}"
    );
    let (_, event) = http(&b_url, "GET", &format!("/v1/events/{held}"), token, "");
    let attempts = event["attempts"].as_array().unwrap();
    assert_eq!(attempts.last().unwrap()["status"], 200, "{label}: {event}");
    println!(
        "{label}: 30 events, {} deliveries; the held one {} time(s), finished by {}",
        received.lock().unwrap().len(),
        counts[&held],
        attempts.last().unwrap()["instance"]
    );
    let _ = std::fs::remove_dir_all(&sim.dir);
}
