//! The demo: every provider flow end to end against the embedded simulator, step by step.
//! Exits non-zero if any step does not go as it should.

use std::process::ExitCode;
use std::time::Duration;

use vngate::chargingws::{CardRequest, ChargingWs, ChargingWsConfig, SignScheme, Transport};
use vngate::opencard::{OpenCard, OpenCardConfig, OpenCardRequest, SignOrder};
use vngate::{Error, HttpOptions};
use vngate_sim::sim::{CHARGINGWS_S1, CHARGINGWS_S2, OPENCARD_KSORT};
use vngate_sim::{CallbackSink, Callbacks, FaultMode, Faults, Sim};

type Step = Result<(), String>;

const WAIT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let sim = Sim::start();
    let sink = CallbackSink::start();
    println!(
        "vngate {} demo — simulator at {}, callbacks to {}",
        env!("CARGO_PKG_VERSION"),
        sim.url(),
        sink.url()
    );
    let flows: [(&str, &dyn Fn() -> Step); 4] = [
        (
            "chargingws, S1 signature, form POST, POST JSON callback",
            &|| chargingws(&sim, &sink, SignScheme::S1, Transport::Form, "post"),
        ),
        ("chargingws, S2 signature, JSON POST, GET callback", &|| {
            chargingws(&sim, &sink, SignScheme::S2, Transport::Json, "get")
        }),
        (
            "chargingws, a timeout: outcome unknown, resolved by check",
            &|| unknown_outcome(&sim),
        ),
        ("OpenCard, ksort signature, signed webhook", &|| {
            opencard(&sim, &sink)
        }),
    ];
    let mut failed = 0;
    for (title, flow) in flows {
        println!("\n== {title}");
        if let Err(why) = flow() {
            println!("   FAILED: {why}");
            failed += 1;
        }
    }
    println!("\n{} flows passed, {failed} failed", flows.len() - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn chargingws(
    sim: &Sim,
    sink: &CallbackSink,
    scheme: SignScheme,
    transport: Transport,
    method: &str,
) -> Step {
    let account = if scheme == SignScheme::S1 {
        CHARGINGWS_S1
    } else {
        CHARGINGWS_S2
    };
    sim.set_callbacks(Callbacks {
        chargingws_url: Some(sink.url()),
        chargingws_method: method.into(),
        delay_ms: 300,
        ..Callbacks::default()
    });
    let client = ChargingWs::new(ChargingWsConfig {
        sign_scheme: scheme,
        transport,
        ..ChargingWsConfig::new(sim.url(), account.partner_id, account.partner_key)
    })
    .map_err(|e| e.to_string())?;
    let request = CardRequest {
        telco: "MOBIFONE".into(),
        code: "664196324421".into(),
        serial: "089801001443088".into(),
        amount: 50_000,
        request_id: vngate::new_request_id(),
    };
    println!(
        "1. charge   {} {} serial {} request_id {}",
        request.telco, request.amount, request.serial, request.request_id
    );
    let submitted = client.charge(&request).map_err(|e| e.to_string())?;
    println!(
        "   reply    status {} ({:?}) {:?}, trans_id {}",
        submitted.status.code(),
        submitted.status,
        submitted.message,
        submitted.trans_id.as_deref().unwrap_or("-")
    );
    if !submitted.status.is_pending() {
        return Err("expected pending".into());
    }
    let received = sink.recv(WAIT).ok_or("no callback arrived")?;
    println!(
        "2. callback {} {} bytes",
        received.method,
        received.data().len()
    );
    let callback = client
        .parse_callback(received.data())
        .map_err(|e| e.to_string())?;
    println!(
        "   verified callback_sign; status {} ({:?}) {:?}",
        callback.status.code(),
        callback.status,
        callback.message
    );
    callback
        .check_against(&request)
        .map_err(|e| e.to_string())?;
    println!("   matches the stored request (request_id, telco, serial, declared value)");
    println!(
        "   declared {} → value {} → you receive {}",
        opt(callback.declared_value),
        opt(callback.value),
        opt(callback.amount)
    );
    let checked = client.check(&request).map_err(|e| e.to_string())?;
    println!(
        "3. check    status {} ({:?}) — confirms the callback before crediting",
        checked.status.code(),
        checked.status
    );
    if checked.status != callback.status {
        return Err("check disagrees with the callback".into());
    }
    let fees = client.fees().map_err(|e| e.to_string())?;
    println!(
        "4. fees     {} rows, e.g. {} {}: {}% fee, {}% penalty",
        fees.fees.len(),
        fees.fees[0].telco,
        fees.fees[0].value,
        fees.fees[0].fees,
        fees.fees[0].penalty.unwrap_or(0.0)
    );
    Ok(())
}

fn unknown_outcome(sim: &Sim) -> Step {
    let short = ChargingWs::new(ChargingWsConfig {
        http: HttpOptions {
            timeout_ms: 300,
            ..HttpOptions::default()
        },
        ..ChargingWsConfig::new(
            sim.url(),
            CHARGINGWS_S1.partner_id,
            CHARGINGWS_S1.partner_key,
        )
    })
    .map_err(|e| e.to_string())?;
    let request = CardRequest {
        telco: "VIETTEL".into(),
        code: "312821445892980".into(),
        serial: "10004783347874".into(),
        amount: 100_000,
        request_id: vngate::new_request_id(),
    };
    sim.set_faults(Faults {
        mode: FaultMode::None,
        latency_ms: 1_000,
    });
    println!("1. charge   with the provider answering after 1 s and a 300 ms timeout");
    let result = short.charge(&request);
    sim.set_faults(Faults::default());
    match result {
        Err(e @ Error::OutcomeUnknown { .. }) => println!("   error    {e}"),
        other => return Err(format!("expected outcome unknown, got {other:?}")),
    }
    let checked = short.check(&request).map_err(|e| e.to_string())?;
    println!(
        "2. check    status {} ({:?}): the card was taken; do not resend it",
        checked.status.code(),
        checked.status
    );
    Ok(())
}

fn opencard(sim: &Sim, sink: &CallbackSink) -> Step {
    sim.set_callbacks(Callbacks {
        opencard_url: Some(sink.url()),
        delay_ms: 300,
        ..Callbacks::default()
    });
    let client = OpenCard::new(OpenCardConfig {
        base_url: sim.url(),
        sign_order: SignOrder::Ksort,
        ..OpenCardConfig::new(OPENCARD_KSORT.partner_id, OPENCARD_KSORT.partner_key)
    })
    .map_err(|e| e.to_string())?;
    let request = OpenCardRequest {
        telco: "VIETTEL".into(),
        code: "123456789012342".into(),
        serial: "12345678901234".into(),
        amount: 20_000,
    };
    println!(
        "1. charge   {} {} serial {}",
        request.telco, request.amount, request.serial
    );
    let submitted = client.charge(&request).map_err(|e| e.to_string())?;
    let request_id = submitted
        .request_id
        .clone()
        .ok_or("no request_id in the reply")?;
    println!(
        "   reply    status {} ({:?}) {:?}, OpenCard request_id {request_id}",
        submitted.status.code(),
        submitted.status,
        submitted.message
    );
    let received = sink.recv(WAIT).ok_or("no webhook arrived")?;
    println!(
        "2. webhook {} {}",
        received.method,
        String::from_utf8_lossy(&received.body)
    );
    let hook = client
        .parse_webhook(&received.body)
        .map_err(|e| e.to_string())?;
    if hook.request_id != request_id {
        return Err("the webhook is for another request".into());
    }
    println!(
        "   verified sign (ksort order, numbers signed as PHP's (string) prints them); status {} ({:?}), amount {}, actual_amount {}",
        hook.status.code(),
        hook.status,
        opt(hook.amount),
        opt(hook.actual_amount)
    );
    Ok(())
}

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "-".into(), |v| v.to_string())
}
