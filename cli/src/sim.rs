//! `vngate sim`: the provider simulator the test suites use, from the same install, so that
//! every command can be tried without credentials. `--write-config DIR` writes a `vngate.toml`
//! for its accounts, with their keys in files beside it (as real secrets should be), and a
//! `[journal]` table.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use clap::{Arg, ArgMatches, Command};
use vngate_sim::sim::{
    APPOTAPAY_OAEP, CHARGINGWS_S1, CHARGINGWS_S2, ESMS_EMAIL, ESMS_PASSWORD, ESMS_SECRET_KEY,
    OPENCARD_KSORT, PARTNER_KEY_PEM, TOPUP_SHA256,
};

use crate::output::Exit;

pub fn command() -> Command {
    Command::new("sim")
        .about("Runs the provider simulator on 127.0.0.1 until stopped (every provider, test accounts, callbacks)")
        .arg(Arg::new("port").long("port").value_name("N").default_value("0").value_parser(clap::value_parser!(u16)).help("The port (0: any free one)"))
        .arg(Arg::new("write-config").long("write-config").value_name("DIR").help("Write DIR/vngate.toml for the simulator's accounts, with their keys in files"))
}

pub fn run(args: &ArgMatches) -> Exit {
    let port = *args.get_one::<u16>("port").expect("a default");
    let sim = match vngate_sim::Sim::start_on(port) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("vngate: cannot listen on 127.0.0.1:{port}: {e}");
            return Exit::Transport;
        }
    };
    if let Some(dir) = args.get_one::<String>("write-config") {
        if let Err(e) = write_config(Path::new(dir), &sim.url()) {
            eprintln!("vngate: cannot write the config in {dir}: {e}");
            return Exit::Internal;
        }
        eprintln!(
            "vngate: wrote {dir}/vngate.toml (accounts chargingws.s1 and .s2, opencard, appotapay, esms, topup)"
        );
    }
    println!("vngate-sim listening on {}", sim.url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}

pub fn write_config(dir: &Path, url: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    // The command refuses an accounts file or directory others can change, whatever the umask.
    #[cfg(unix)]
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let secret = |name: &str, value: &str| -> std::io::Result<String> {
        let path = dir.join(format!("{name}.secret"));
        std::fs::write(&path, value)?;
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        Ok(path.display().to_string())
    };
    let mut toml = String::from(
        "# The simulator's test accounts (vngate sim --write-config). Keys are in the .secret files.\n",
    );
    for (name, account) in [("s1", CHARGINGWS_S1), ("s2", CHARGINGWS_S2)] {
        let _ = write!(
            toml,
            "\n[chargingws.{name}]\nbase_url = \"{url}\"\npartner_id = \"{}\"\npartner_key_file = \"{}\"\n{}",
            account.partner_id,
            secret(&format!("chargingws-{name}"), account.partner_key)?,
            if name == "s2" {
                "sign_scheme = \"s2\"\n"
            } else {
                ""
            }
        );
    }
    let _ = write!(
        toml,
        "\n[opencard.default]\nbase_url = \"{url}\"\npartner_id = \"{}\"\npartner_key_file = \"{}\"\n",
        OPENCARD_KSORT.partner_id,
        secret("opencard", OPENCARD_KSORT.partner_key)?
    );
    let _ = write!(
        toml,
        "\n[appotapay.default]\nbase_url = \"{url}\"\npartner_code = \"{}\"\napi_key_file = \"{}\"\nsecret_key_file = \"{}\"\nprivate_key_pem_file = \"{}\"\n",
        APPOTAPAY_OAEP.partner_code,
        secret("appotapay-api", APPOTAPAY_OAEP.api_key)?,
        secret("appotapay-secret", APPOTAPAY_OAEP.secret_key)?,
        secret("appotapay-private-key", PARTNER_KEY_PEM)?
    );
    let _ = write!(
        toml,
        "\n[esms.default]\nbase_url = \"{url}\"\nemail = \"{ESMS_EMAIL}\"\npassword_file = \"{}\"\nsecret_key_file = \"{}\"\n",
        secret("esms-password", ESMS_PASSWORD)?,
        secret("esms-secret", ESMS_SECRET_KEY)?
    );
    let _ = write!(
        toml,
        "\n[topup.default]\nbase_url = \"{url}/apipayment\"\nusername = \"{}\"\nprivate_key_file = \"{}\"\n",
        TOPUP_SHA256.username,
        secret("topup", TOPUP_SHA256.private_key)?
    );
    // A journal beside it, its key in a file: money-moving calls from this config are
    // journaled, and `vngate reconcile` / `vngate journal list` work at once. Written again
    // into the same directory, the key already there is kept: the journal there was sealed
    // with it, and a new key would lock its records away.
    let key = match std::fs::read_to_string(dir.join("journal-key.secret")) {
        Ok(key) if dir.join("journal.db").exists() => key,
        _ => crate::serve::random_hex(32).map_err(std::io::Error::other)?,
    };
    let _ = write!(
        toml,
        "\n[journal]\npath = \"{}\"\nkey_file = \"{}\"\n# The simulator settles in a second: reconcile at once (the default waits 60 s).\nmin_age_secs = 0\nretry_base_secs = 1\n",
        dir.join("journal.db").display(),
        secret("journal-key", &key)?
    );
    std::fs::write(dir.join("vngate.toml"), toml)?;
    #[cfg(unix)]
    std::fs::set_permissions(
        dir.join("vngate.toml"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )?;
    Ok(())
}
