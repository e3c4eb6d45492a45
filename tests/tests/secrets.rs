//! Secrets and card PINs never show: every client is built with its credentials, every
//! operation runs on its happy path, against broken replies, a timeout and bad input, and
//! every `Debug`, `Display` and log line (at `debug`, the most a production app logs) is
//! searched for every key, token, password and PIN.
//!
//! At `trace` level ureq dumps the wire itself (query strings and bodies), which no library
//! over it can redact: the README says so.

use std::sync::Mutex;
use std::time::Duration;

use vngate::appotapay::{
    AppotaPay, AppotaPayConfig, BankAccountRequest, BankTransferRequest, BuyRequest, FeeType,
    MobileTopupRequest,
};
use vngate::chargingws::{
    CardRequest, ChargingWs, ChargingWsConfig, Transport, WalletBalanceRequest,
};
use vngate::esms::{Channel, DisburseRequest, Esms, EsmsConfig};
use vngate::opencard::{OpenCard, OpenCardConfig, OpenCardRequest};
use vngate::topup::{RecheckRequest, Topup, TopupConfig, TopupRequest};
use vngate::{HttpOptions, Secret};
use vngate_sim::sim::{
    APPOTAPAY_OAEP, CHARGINGWS_S1, ESMS_EMAIL, ESMS_PASSWORD, ESMS_SECRET_KEY, OPENCARD_KSORT,
    PARTNER_KEY_PEM, TOPUP_SHA256,
};
use vngate_sim::{FaultMode, Faults, Sim, With};

/// Every log line, as text.
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Debug
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            LOG.lock().unwrap().push(format!(
                "{} {}: {}",
                record.level(),
                record.target(),
                record.args()
            ));
        }
    }

    fn flush(&self) {}
}

/// Sends every log line at `debug` to [`LOG`] (once per process: tests share the logger).
fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Debug);
    });
}

const CHARGE_PIN: &str = "312821445892980";
const OPENCARD_PIN: &str = "123456789012340";

fn http() -> HttpOptions {
    HttpOptions::default().with(|o| {
        o.timeout_ms = 400;
    })
}

/// Runs every operation of every provider once; returns what a program could print of them.
fn every_operation(sim: &Sim) -> Vec<String> {
    let mut seen = Vec::new();

    let chargingws = ChargingWs::new(
        ChargingWsConfig::new(
            sim.url(),
            CHARGINGWS_S1.partner_id,
            CHARGINGWS_S1.partner_key,
        )
        .with(|o| {
            o.transport = Transport::Get;
            o.http = http();
        }),
    )
    .unwrap();
    show(&mut seen, "client", format!("{chargingws:?}"));
    let card = CardRequest::new(
        "VIETTEL",
        CHARGE_PIN,
        "10004783347874",
        10_000,
        vngate::new_request_id(),
    );
    show(&mut seen, "request", format!("{card:?}"));
    show(&mut seen, "charge", both(&chargingws.charge(&card)));
    show(&mut seen, "check", both(&chargingws.check(&card)));
    show(
        &mut seen,
        "fees",
        both(&chargingws.fees().map(|f| f.fees.len())),
    );
    let bad = card.clone().with(|o| {
        o.amount = -1;
    });
    show(&mut seen, "bad", both(&chargingws.charge(&bad)));

    let opencard = OpenCard::new(
        OpenCardConfig::new(OPENCARD_KSORT.partner_id, OPENCARD_KSORT.partner_key).with(|o| {
            o.base_url = sim.url();
            o.http = http();
        }),
    )
    .unwrap();
    show(&mut seen, "client", format!("{opencard:?}"));
    let request = OpenCardRequest::new("VIETTEL", OPENCARD_PIN, "10000000000099", 10_000);
    show(&mut seen, "charge", both(&opencard.charge(&request)));
    show(
        &mut seen,
        "webhook",
        both(&opencard.parse_webhook(format!(r#"{{"code":"{OPENCARD_PIN}"}}"#).as_bytes())),
    );

    payout_operations(sim, &mut seen);
    seen
}

fn payout_operations(sim: &Sim, seen: &mut Vec<String>) {
    let appotapay = AppotaPay::new(
        AppotaPayConfig::new(
            APPOTAPAY_OAEP.partner_code,
            APPOTAPAY_OAEP.api_key,
            APPOTAPAY_OAEP.secret_key,
        )
        .with(|o| {
            o.base_url = sim.url();
            o.private_key_pem = Some(PARTNER_KEY_PEM.into());
            o.http = http();
        }),
    )
    .unwrap();
    show(seen, "client", format!("{appotapay:?}"));
    let buy = BuyRequest::default().with(|o| {
        o.partner_ref_id = vngate::new_request_id();
        o.product_code = "VT10".into();
        o.quantity = 1;
    });
    let bought = appotapay.buy_cards(&buy);
    if let Ok(result) = &bought {
        for card in &result.cards {
            if let Some(code) = &card.code {
                // A bought PIN joins the secrets.
                show(seen, "pin", format!("PIN {}", code.as_str()));
            }
        }
    }
    show(seen, "buy", both(&bought));
    show(
        seen,
        "transaction",
        both(&appotapay.transaction(&buy.partner_ref_id)),
    );
    show(
        seen,
        "products",
        both(&appotapay.products().map(|p| p.products.len())),
    );
    show(seen, "balance", both(&appotapay.balance()));
    appotapay_services(&appotapay, seen);

    // A chargingws site's card shop sends the codes in clear: they join the secrets too.
    let shop = vngate::chargingws::ChargingWs::new(vngate::chargingws::ChargingWsConfig::new(
        sim.url(),
        CHARGINGWS_S1.partner_id,
        CHARGINGWS_S1.partner_key,
    ))
    .unwrap();
    let order =
        vngate::chargingws::BuyCardsRequest::new("VIETTEL", 10_000, 2, vngate::new_request_id());
    let shop_bought = shop.buy_cards(&order);
    if let Ok(result) = &shop_bought {
        assert_eq!(result.cards.len(), 2, "the shop delivered");
        for card in &result.cards {
            show(seen, "pin", format!("PIN {}", card.code.as_str()));
        }
    }
    show(seen, "shop buy", both(&shop_bought));
    let again = vngate::chargingws::RedownloadRequest::new(&order.request_id);
    show(seen, "redownload", both(&shop.redownload(&again)));
    let balance = shop.wallet_balance(&WalletBalanceRequest::default());
    show(seen, "shop balance", both(&balance));

    let esms = Esms::new(EsmsConfig::with_token("unused", ESMS_SECRET_KEY).with(|o| {
        o.base_url = sim.url();
        o.api_token = None;
        o.email = Some(ESMS_EMAIL.into());
        o.password = Some(Secret::new(ESMS_PASSWORD));
        o.http = http();
    }))
    .unwrap();
    show(seen, "client", format!("{esms:?}"));
    let payout = DisburseRequest::new(
        10_000,
        Channel::Momo,
        "0912345671",
        vngate::new_request_id(),
        "d",
    );
    show(seen, "login", both(&esms.login()));
    show(seen, "disburse", both(&esms.disburse(&payout)));
    show(
        seen,
        "verify",
        both(&esms.verify_recipient(Channel::Momo, "0912345671")),
    );
    show(seen, "query", both(&esms.query(&payout.order_id)));

    let topup = Topup::new(
        TopupConfig::new(TOPUP_SHA256.username, TOPUP_SHA256.private_key).with(|o| {
            o.base_url = format!("{}/apipayment", sim.url());
            o.http = http();
        }),
    )
    .unwrap();
    show(seen, "client", format!("{topup:?}"));
    let request = TopupRequest::new("0912345671", 10_000);
    show(seen, "topup", both(&topup.topup(&request)));
    show(
        seen,
        "recheck",
        both(&topup.recheck(&RecheckRequest::by_id_transaction("1"))),
    );
    show(seen, "balance", both(&topup.balance()));
}

/// AppotaPay's signed services: results, a refused reply signature, the IPN path with its
/// error on a forged body.
fn appotapay_services(appotapay: &AppotaPay, seen: &mut Vec<String>) {
    let topup = MobileTopupRequest::new(vngate::new_request_id(), "0912345678", "viettel_10");
    show(seen, "mobile_topup", both(&appotapay.mobile_topup(&topup)));
    show(
        seen,
        "mobile_topup badsig",
        both(&appotapay.mobile_topup(&MobileTopupRequest::new(
            "sec-badsig",
            "0912345678",
            "viettel_10",
        ))),
    );
    show(
        seen,
        "topup_transaction",
        both(&appotapay.topup_transaction(&topup.partner_ref_id)),
    );
    show(
        seen,
        "bank_account_info",
        both(&appotapay.bank_account_info(&BankAccountRequest::new("TPBANK", "0123456789"))),
    );
    let transfer = BankTransferRequest::new(
        vngate::new_request_id(),
        "TPBANK",
        "0123456789",
        "NGUYEN VAN A",
        10_000,
        FeeType::Payer,
        "secrets",
    );
    show(
        seen,
        "bank_transfer",
        both(&appotapay.bank_transfer(&transfer)),
    );
    show(
        seen,
        "transfer_ipn",
        both(&appotapay.parse_transfer_ipn(br#"{"errorCode":0,"signature":"00"}"#)),
    );
}

fn show(seen: &mut Vec<String>, label: &str, mut text: String) {
    text.insert_str(0, &format!("{label}: "));
    seen.push(text);
}

/// `Debug` of a result, and `Display` of its error.
fn both<T: std::fmt::Debug>(result: &Result<T, vngate::Error>) -> String {
    match result {
        Ok(value) => format!("{value:?}"),
        Err(e) => format!("{e:?} / {e}"),
    }
}

#[test]
fn no_secret_or_pin_in_any_output_or_log_line() {
    capture_logs();
    let sim = Sim::start();
    let mut seen = every_operation(&sim);
    for faults in [
        Faults {
            mode: FaultMode::Garbage,
            latency_ms: 0,
        },
        Faults {
            mode: FaultMode::Html502,
            latency_ms: 0,
        },
        Faults {
            mode: FaultMode::Drop,
            latency_ms: 0,
        },
        Faults {
            mode: FaultMode::None,
            latency_ms: 1_000,
        },
    ] {
        sim.set_faults(faults);
        seen.extend(every_operation(&sim));
    }
    std::thread::sleep(Duration::from_millis(50));
    let pins: Vec<String> = seen
        .iter()
        .filter_map(|t| t.strip_prefix("pin: PIN ").map(str::to_owned))
        .collect();
    assert!(!pins.is_empty(), "the happy path bought cards");
    let lines = LOG.lock().unwrap().clone();
    assert!(lines.len() > 10, "ureq logged at debug: {lines:?}");
    // vngate's own lines are there to be searched: one per call at info, the masked request
    // and the reply excerpt at debug, for every provider.
    for provider in ["chargingws", "opencard", "appotapay", "esms", "topup"] {
        for kind in [": HTTP ", " request: ", " reply: "] {
            assert!(
                lines
                    .iter()
                    .any(|l| l.contains(&format!("vngate: {provider} ")) && l.contains(kind)),
                "no vngate {provider} line with {kind:?}"
            );
        }
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("INFO vngate: chargingws charge request_id=")),
        "an info line names the money call's reference"
    );
    let pem_body: String = PARTNER_KEY_PEM.lines().nth(5).unwrap().to_owned();
    let mut secrets = vec![
        CHARGINGWS_S1.partner_key.to_owned(),
        OPENCARD_KSORT.partner_key.to_owned(),
        APPOTAPAY_OAEP.api_key.to_owned(),
        APPOTAPAY_OAEP.secret_key.to_owned(),
        pem_body,
        ESMS_PASSWORD.to_owned(),
        ESMS_SECRET_KEY.to_owned(),
        "sim-api-token-".to_owned(),
        "sim-access-".to_owned(),
        TOPUP_SHA256.private_key.to_owned(),
        CHARGE_PIN.to_owned(),
        OPENCARD_PIN.to_owned(),
    ];
    secrets.extend(pins);
    let own = lines.iter().filter(|l| l.contains("vngate: ")).count();
    println!(
        "# secrets: {} texts and {} log lines at debug ({own} of them vngate's own) checked for {} secrets",
        seen.len(),
        lines.len(),
        secrets.len()
    );
    for text in seen
        .iter()
        .filter(|t| !t.starts_with("pin: "))
        .chain(&lines)
    {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret:?} shows in: {text}"
            );
        }
    }
}

/// A token the provider issues during the call is masked like a configured one when the
/// reply's shape is slightly off (`"success":"true"` as a string, a renamed key).
#[test]
fn tokens_handed_out_in_a_reply_of_the_wrong_shape_stay_out_of_errors() {
    use std::sync::Arc;
    use vngate_sim::server::{Handler, Reply, Server};
    const FRESH: &str = "eyJfresh-access-token-from-the-provider";
    let replies = [
        format!(r#"{{"success":"true","data":{{"token":"{FRESH}"}},"message":"Success"}}"#),
        format!(r#"{{"success":true,"data":{{"access_token":"{FRESH}"}}}}"#),
        format!(r#"{{"success":true,"data":{{"apiToken":"{FRESH}","#),
    ];
    for body in replies {
        let reply = body.clone();
        let handler: Handler = Arc::new(move |_| {
            Reply::with_status(200, "application/json", reply.clone().into_bytes())
        });
        let server = Server::start(0, handler).unwrap();
        let esms = Esms::new(EsmsConfig::with_token("unused", ESMS_SECRET_KEY).with(|o| {
            o.base_url = server.url();
            o.api_token = None;
            o.email = Some(ESMS_EMAIL.into());
            o.password = Some(Secret::new(ESMS_PASSWORD));
        }))
        .unwrap();
        for error in [
            esms.login().unwrap_err(),
            esms.generate_api_token(&Secret::new("an-access-token"))
                .unwrap_err(),
        ] {
            let shown = format!("{error} {error:?} {}", error.to_json());
            assert!(
                matches!(error, vngate::Error::BadReply { .. }),
                "{body}: {shown}"
            );
            assert!(!shown.contains(FRESH), "{body}: {shown}");
        }
    }
}

/// Codes bought from a card shop whose reply names them otherwise than the documents
/// (`card_code`, `pincode`, `mathe`, a numeric `pin` or `code`, a list encoded twice): the
/// reply cannot be read, and its error (Display, Debug, JSON) and the debug log lines show the
/// reply's shape, never a code.
#[test]
fn codes_bought_under_any_name_stay_out_of_errors_and_logs() {
    use std::sync::Arc;
    use vngate::chargingws::BuyCardsRequest;
    use vngate_sim::server::{Handler, Reply, Server};
    const BOUGHT: &str = "918273645546372";
    capture_logs();
    let cards = [
        format!(r#"[{{"serial":"10001112223334","card_code":"{BOUGHT}"}}]"#),
        format!(r#"[{{"serial":"10001112223334","pincode":"{BOUGHT}"}}]"#),
        format!(r#"[{{"serial":"10001112223334","mathe":"{BOUGHT}"}}]"#),
        format!(r#"[{{"serial":"10001112223334","pin":{BOUGHT}}}]"#),
        format!(r#"[{{"serial":"10001112223334","code":{BOUGHT}}}]"#),
        format!(r#""[{{\"serial\":\"10001112223334\",\"code\":\"{BOUGHT}\"}}]""#),
    ];
    for list in cards {
        let body = format!(r#"{{"status":1,"message":"ok","data":{{"cards":{list}}}}}"#);
        let reply = body.clone();
        let handler: Handler = Arc::new(move |_| {
            Reply::with_status(200, "application/json", reply.clone().into_bytes())
        });
        let server = Server::start(0, handler).unwrap();
        let shop = ChargingWs::new(ChargingWsConfig::new(
            server.url(),
            CHARGINGWS_S1.partner_id,
            CHARGINGWS_S1.partner_key,
        ))
        .unwrap();
        let result = shop.buy_cards(&BuyCardsRequest::new("VIETTEL", 10_000, 1, "shop-leak-1"));
        let error = match result {
            // A numeric `code` is the documented field, sent as a number, and a list encoded
            // twice is the same list: both read as sent.
            Ok(order) => {
                assert_eq!(order.cards[0].code.as_str(), BOUGHT, "{body}");
                assert!(!format!("{order:?}").contains(BOUGHT));
                continue;
            }
            Err(error) => error,
        };
        let shown = format!("{error} {error:?} {}", error.to_json());
        assert!(
            matches!(error, vngate::Error::OutcomeUnknown { .. }),
            "{body}: {shown}"
        );
        assert!(!shown.contains(BOUGHT), "{body}: {shown}");
        assert!(
            shown.contains("\"status\":1"),
            "the harmless fields show: {shown}"
        );
    }
    let lines = LOG.lock().unwrap().clone();
    assert!(
        lines.iter().any(|l| l.contains("buy_cards reply:")),
        "the reply was logged"
    );
    for line in &lines {
        assert!(!line.contains(BOUGHT), "{line}");
    }
}
