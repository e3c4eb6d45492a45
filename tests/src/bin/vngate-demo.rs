//! The demo: every provider flow end to end against the embedded simulator, step by step.
//! Exits non-zero if any step does not go as it should.

use std::process::ExitCode;
use std::time::Duration;

use vngate::Error;
use vngate::appotapay::{
    AppotaPay, AppotaPayConfig, BankAccountRequest, BankTransferRequest, BuyRequest,
    DataPackagesRequest, FeeType, MobileTopupRequest, PurchaseStatus, TransactionStatus,
};
use vngate::chargingws::{
    BuyCardsRequest, CardRequest, ChargingWs, ChargingWsConfig, OrderStatus, RedownloadRequest,
    SignScheme, TopupOrderRequest, TopupOrderStatus, TopupStatusRequest, Transport,
};
use vngate::esms::{Channel, DisburseRequest, Esms, EsmsConfig};
use vngate::opencard::{OpenCard, OpenCardConfig, OpenCardRequest, SignOrder};
use vngate::topup::{RecheckRequest, Topup, TopupConfig, TopupOutcome, TopupRequest};
use vngate_sim::sim::{
    APPOTAPAY_OAEP, CHARGINGWS_S1, CHARGINGWS_S2, ESMS_API_TOKEN, ESMS_SECRET_KEY, OPENCARD_KSORT,
    PARTNER_KEY_PEM, TOPUP_SHA256,
};
use vngate_sim::{CallbackSink, Callbacks, FaultMode, Faults, Sim, With};

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
    let flows: [(&str, &dyn Fn() -> Step); 12] = [
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
        (
            "chargingws card shop: buy codes, paid but pending, resolved by redownload",
            &|| card_shop(&sim),
        ),
        (
            "chargingws top-up service: an order, pending, settled by topup_status",
            &|| top_up_service(&sim),
        ),
        ("OpenCard, ksort signature, signed webhook", &|| {
            opencard(&sim, &sink)
        }),
        (
            "AppotaPay, buy card codes (JWT, HMAC, RSA-encrypted codes)",
            &|| appotapay(&sim),
        ),
        (
            "AppotaPay top-up: data packages, a signed reply, a forged signature is not a success",
            &|| appotapay_topup(&sim),
        ),
        (
            "AppotaPay bank transfer: account check, pending, verified IPN, transfer_transaction",
            &|| appotapay_transfer(&sim, &sink),
        ),
        (
            "eSMS, pay out to a MoMo wallet, unsigned callback confirmed by query",
            &|| esms(&sim, &sink),
        ),
        (
            "topup, mobile top-up with text replies and recheck",
            &|| topup(&sim),
        ),
        (
            "journal: recorded before sending, never sent twice, credited once, unknown reconciled",
            &|| journal(&sim, &sink),
        ),
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
    let client = ChargingWs::new(
        ChargingWsConfig::new(sim.url(), account.partner_id, account.partner_key).with(|o| {
            o.sign_scheme = scheme;
            o.transport = transport;
        }),
    )
    .map_err(|e| e.to_string())?;
    let request = CardRequest::new(
        "MOBIFONE",
        "664196324421",
        "089801001443088",
        50_000,
        vngate::new_request_id(),
    );
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
    let short = ChargingWs::new(
        ChargingWsConfig::new(
            sim.url(),
            CHARGINGWS_S1.partner_id,
            CHARGINGWS_S1.partner_key,
        )
        .with(|o| {
            o.http.timeout_ms = 300;
        }),
    )
    .map_err(|e| e.to_string())?;
    let request = CardRequest::new(
        "VIETTEL",
        "312821445892980",
        "10004783347874",
        100_000,
        vngate::new_request_id(),
    );
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
    let client = OpenCard::new(
        OpenCardConfig::new(OPENCARD_KSORT.partner_id, OPENCARD_KSORT.partner_key).with(|o| {
            o.base_url = sim.url();
            o.sign_order = SignOrder::Ksort;
        }),
    )
    .map_err(|e| e.to_string())?;
    let request = OpenCardRequest::new("VIETTEL", "123456789012342", "12345678901234", 20_000);
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
        .parse_callback(&received.body)
        .map_err(|e| e.to_string())?;
    if hook.request_id != request_id {
        return Err("the webhook is for another request".into());
    }
    println!(
        "   verified sign (ksort order, numbers signed as PHP's (string) prints them); status {} ({:?}), amount {}; unsigned: actual_amount {}",
        hook.status.code(),
        hook.status,
        opt(hook.amount),
        opt(hook.unverified.actual_amount)
    );
    Ok(())
}

fn appotapay(sim: &Sim) -> Step {
    sim.set_callbacks(Callbacks {
        delay_ms: 300,
        ..Callbacks::default()
    });
    let client = AppotaPay::new(
        AppotaPayConfig::new(
            APPOTAPAY_OAEP.partner_code,
            APPOTAPAY_OAEP.api_key,
            APPOTAPAY_OAEP.secret_key,
        )
        .with(|o| {
            o.base_url = sim.url();
            o.private_key_pem = Some(PARTNER_KEY_PEM.into());
        }),
    )
    .map_err(|e| e.to_string())?;
    let products = client.products().map_err(|e| e.to_string())?;
    println!(
        "1. products {} on sale, e.g. {} = {}",
        products.products.len(),
        products.products[2].code,
        products.products[2].name
    );
    let request = BuyRequest::default().with(|o| {
        o.partner_ref_id = vngate::new_request_id();
        o.product_code = "VT50".into();
        o.quantity = 2;
    });
    println!(
        "2. buy      2 x VT50, partner_ref_id {}",
        request.partner_ref_id
    );
    let bought = client.buy_cards(&request).map_err(|e| e.to_string())?;
    println!(
        "   reply    errorCode {} ({:?}), {} charged, balance {}",
        bought.error_code,
        bought.status,
        opt(bought.amount),
        opt(bought.balance)
    );
    for card in &bought.cards {
        let code = card
            .code
            .as_ref()
            .ok_or_else(|| format!("{:?}", card.code_error))?;
        println!(
            "   card     serial {} code {code:?} (RSA-OAEP decrypted, {} chars), expires {}",
            card.serial,
            code.as_str().len(),
            card.expiry.as_deref().unwrap_or("-")
        );
    }
    let pending = request.with(|o| {
        o.partner_ref_id = format!("{}-pending", vngate::new_request_id());
    });
    let first = client.buy_cards(&pending).map_err(|e| e.to_string())?;
    println!(
        "3. buy      {} → errorCode {} ({:?}): do not buy again, ask transaction",
        pending.partner_ref_id, first.error_code, first.status
    );
    std::thread::sleep(Duration::from_millis(400));
    let settled = client
        .transaction(&pending.partner_ref_id)
        .map_err(|e| e.to_string())?;
    println!(
        "   transaction → {:?} with {} cards",
        settled.status,
        settled.cards.len()
    );
    if bought.status != PurchaseStatus::Success || settled.status != PurchaseStatus::Success {
        return Err("a purchase did not succeed".into());
    }
    Ok(())
}

fn appotapay_services(sim: &Sim) -> Result<AppotaPay, String> {
    AppotaPay::new(
        AppotaPayConfig::new(
            APPOTAPAY_OAEP.partner_code,
            APPOTAPAY_OAEP.api_key,
            APPOTAPAY_OAEP.secret_key,
        )
        .with(|o| o.base_url = sim.url()),
    )
    .map_err(|e| e.to_string())
}

fn appotapay_topup(sim: &Sim) -> Step {
    let client = appotapay_services(sim)?;
    let packages = client
        .data_packages(&DataPackagesRequest::new("0912345678"))
        .map_err(|e| e.to_string())?;
    println!(
        "1. data packages for 0912345678: {}",
        packages
            .packages
            .iter()
            .map(|p| format!("{} ({} VND)", p.product_code, opt(p.amount)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let request = MobileTopupRequest::new(vngate::new_request_id(), "0912345678", "viettel_50");
    let done = client.mobile_topup(&request).map_err(|e| e.to_string())?;
    println!(
        "2. top-up   viettel_50 → 0912345678: errorCode {} ({:?}), paid {}, topped up {}, reply signature verified: {}",
        done.error_code,
        done.status,
        opt(done.amount),
        opt(done.topup_amount),
        done.signature_verified
    );
    println!(
        "   time     {:?} = unix {}",
        done.time.as_deref().unwrap_or("-"),
        opt(done.time_unix)
    );
    let forged = MobileTopupRequest::new(
        format!("{}-badsig", vngate::new_request_id()),
        "0912345678",
        "D24",
    );
    let answer = client.mobile_topup(&forged);
    match &answer {
        Err(Error::OutcomeUnknown { next_step, .. }) => {
            println!(
                "3. top-up   D24, the reply's signature does not verify → outcome unknown: {next_step}"
            );
        }
        other => return Err(format!("a forged success was not refused: {other:?}")),
    }
    let settled = client
        .topup_transaction(&forged.partner_ref_id)
        .map_err(|e| e.to_string())?;
    println!(
        "   topup_transaction → {:?} (signed right this time: {})",
        settled.status, settled.signature_verified
    );
    if done.status != TransactionStatus::Success || settled.status != TransactionStatus::Success {
        return Err("a top-up did not succeed".into());
    }
    Ok(())
}

fn appotapay_transfer(sim: &Sim, sink: &CallbackSink) -> Step {
    sim.set_callbacks(Callbacks {
        appotapay_ipn_url: Some(sink.url()),
        delay_ms: 300,
        ..Callbacks::default()
    });
    let client = appotapay_services(sim)?;
    let account = client
        .bank_account_info(&BankAccountRequest::new("TPBANK", "132100132400000"))
        .map_err(|e| e.to_string())?;
    println!(
        "1. account  TPBANK 132100132400000 → {} (signature verified: {})",
        account.account_name.as_deref().unwrap_or("-"),
        account.signature_verified
    );
    let transfer = BankTransferRequest::new(
        format!("{}-pending", vngate::new_request_id()),
        "TPBANK",
        "132100132400000",
        account.account_name.clone().unwrap_or_default(),
        500_000,
        FeeType::Receiver,
        "Hoan tien don hang",
    );
    let first = client.bank_transfer(&transfer).map_err(|e| e.to_string())?;
    println!(
        "2. transfer 500000 VND, fee paid by the receiver: errorCode {} ({:?}): do not send again",
        first.error_code, first.status
    );
    let ipn = sink.recv(WAIT).ok_or("no IPN arrived")?;
    let ipn = client
        .parse_transfer_ipn(ipn.data())
        .map_err(|e| e.to_string())?;
    println!(
        "3. IPN      verified: {:?}, {} VND received, answer {}",
        ipn.status,
        opt(ipn.transfer_amount),
        ipn.reply_body
    );
    let confirmed = client
        .transfer_transaction(&transfer.partner_ref_id)
        .map_err(|e| e.to_string())?;
    println!(
        "   transfer_transaction → {:?}, time {} (unix seconds as sent)",
        confirmed.status,
        confirmed.time.as_deref().unwrap_or("-")
    );
    if ipn.status != TransactionStatus::Success || confirmed.status != TransactionStatus::Success {
        return Err("the transfer did not settle".into());
    }
    Ok(())
}

fn esms(sim: &Sim, sink: &CallbackSink) -> Step {
    sim.set_callbacks(Callbacks {
        delay_ms: 300,
        ..Callbacks::default()
    });
    let client = Esms::new(
        EsmsConfig::with_token(ESMS_API_TOKEN, ESMS_SECRET_KEY).with(|o| {
            o.base_url = sim.url();
        }),
    )
    .map_err(|e| e.to_string())?;
    let check = client
        .verify_recipient(Channel::Momo, "0335690161")
        .map_err(|e| e.to_string())?;
    println!(
        "1. verify   MoMo 0335690161 → resultCode {:?} {:?}",
        check.result_code.unwrap_or_default(),
        check.result_message.unwrap_or_default()
    );
    let request = DisburseRequest::new(
        100_000,
        Channel::Momo,
        "0335690161",
        vngate::new_request_id(),
        "Hoàn tiền đơn hàng",
    )
    .with(|o| {
        o.callback_url = Some(sink.url());
    });
    let created = client.disburse(&request).map_err(|e| e.to_string())?;
    println!(
        "2. disburse {} VND, order_id {} → code {} status {:?}",
        request.amount, request.order_id, created.code, created.status
    );
    let received = sink.recv(WAIT).ok_or("no callback arrived")?;
    let callback = client
        .parse_callback(&received.body)
        .map_err(|e| e.to_string())?;
    println!(
        "3. callback status {:?}, confirmed: {} (eSMS does not sign callbacks)",
        callback.status, callback.confirmed
    );
    let truth = client
        .confirm_callback(&callback)
        .map_err(|e| e.to_string())?;
    println!(
        "   confirmed by a signed query: status {:?}, amount {}",
        truth.status,
        opt(truth.amount)
    );
    Ok(())
}

fn topup(sim: &Sim) -> Step {
    sim.set_callbacks(Callbacks {
        delay_ms: 300,
        ..Callbacks::default()
    });
    let client = Topup::new(
        TopupConfig::new(TOPUP_SHA256.username, TOPUP_SHA256.private_key).with(|o| {
            o.base_url = format!("{}/apipayment", sim.url());
        }),
    )
    .map_err(|e| e.to_string())?;
    let done = client
        .topup(&TopupRequest::new("0912345671", 50_000).with(|o| {
            o.gateway = Some("VTL".into());
        }))
        .map_err(|e| e.to_string())?;
    println!(
        "1. topup    0912345671 50000 → {:?} ({}), id {} / ours {}",
        done.status,
        done.raw.as_str(),
        done.id_transaction.unwrap_or_default(),
        done.client_trans_id.unwrap_or_default()
    );
    let doubtful = client
        .topup(&TopupRequest::new("0912345678", 100_000))
        .map_err(|e| e.to_string())?;
    println!(
        "2. topup    0912345678 100000 → {:?} ({}): {}",
        doubtful.status,
        doubtful.raw.as_str(),
        doubtful.message
    );
    std::thread::sleep(Duration::from_millis(400));
    // vngate filled in client_trans_id before sending: the reference to recheck by.
    let reference = doubtful.client_trans_id.clone().unwrap_or_default();
    let rechecked = client
        .recheck(&RecheckRequest::by_client_trans_id(reference))
        .map_err(|e| e.to_string())?;
    println!(
        "   recheck  → {:?} ({})",
        rechecked.status,
        rechecked.raw.as_str()
    );
    let balance = client.balance().map_err(|e| e.to_string())?;
    println!("3. balance  {}", opt(balance.balance));
    if rechecked.status != TopupOutcome::Success {
        return Err("the recheck did not settle".into());
    }
    Ok(())
}

/// The S1 site's client, whose card shop and top-up service settle after 300 ms.
fn site_services(sim: &Sim) -> Result<ChargingWs, String> {
    sim.set_callbacks(Callbacks {
        delay_ms: 300,
        ..Callbacks::default()
    });
    ChargingWs::new(ChargingWsConfig::new(
        sim.url(),
        CHARGINGWS_S1.partner_id,
        CHARGINGWS_S1.partner_key,
    ))
    .map_err(|e| e.to_string())
}

fn card_shop(sim: &Sim) -> Step {
    let client = site_services(sim)?;
    let bought = client
        .buy_cards(&BuyCardsRequest::new(
            "VIETTEL",
            10_000,
            2,
            vngate::new_request_id(),
        ))
        .map_err(|e| e.to_string())?;
    println!(
        "1. buy      VIETTEL 10000 x2 → {:?} (status {}), order {}, cards {:?}",
        bought.status,
        bought.site_status,
        bought.order_code.clone().unwrap_or_default(),
        bought.cards.iter().map(|c| &c.code).collect::<Vec<_>>()
    );
    let pending = BuyCardsRequest::new(
        "VIETTEL",
        20_000,
        1,
        format!("{}-pending", vngate::new_request_id()),
    );
    let paid = client.buy_cards(&pending).map_err(|e| e.to_string())?;
    println!(
        "2. buy      VIETTEL 20000 x1 → {:?} (status {}: {}): paid, never buy again",
        paid.status, paid.site_status, paid.message
    );
    std::thread::sleep(Duration::from_millis(400));
    let resolved = client
        .redownload(&RedownloadRequest::new(&pending.request_id))
        .map_err(|e| e.to_string())?;
    println!(
        "   redownload → {:?}, {} card(s)",
        resolved.status,
        resolved.cards.len()
    );
    let balance = client
        .wallet_balance(&vngate::chargingws::WalletBalanceRequest::default())
        .map_err(|e| e.to_string())?;
    println!("3. wallet   {}", opt(balance.balance));
    if resolved.status != OrderStatus::Delivered {
        return Err("redownload did not deliver".into());
    }
    Ok(())
}

fn top_up_service(sim: &Sim) -> Step {
    let client = site_services(sim)?;
    let products = client.topup_products().map_err(|e| e.to_string())?;
    println!(
        "1. products {:?}",
        products
            .products
            .iter()
            .map(|p| &p.service_code)
            .collect::<Vec<_>>()
    );
    let request = TopupOrderRequest::new("vinatt", 50_000, "0912345671", vngate::new_request_id());
    let order = client.topup_order(&request).map_err(|e| e.to_string())?;
    println!(
        "2. topup    vinatt 50000 → 0912345671: {:?} ({}), order {}, paid {}",
        order.status,
        order.site_status,
        order.order_code.clone().unwrap_or_default(),
        opt(order.pay_amount)
    );
    std::thread::sleep(Duration::from_millis(400));
    let settled = client
        .topup_status(&TopupStatusRequest::new(&request.request_id).with(|o| {
            o.order_code.clone_from(&order.order_code);
        }))
        .map_err(|e| e.to_string())?;
    println!("   status   → {:?}", settled.status);
    if settled.status != TopupOrderStatus::Completed {
        return Err("the top-up did not complete".into());
    }
    Ok(())
}

fn journal(sim: &Sim, sink: &CallbackSink) -> Step {
    use vngate_front::Front;
    sim.set_callbacks(Callbacks {
        chargingws_url: Some(sink.url()),
        delay_ms: 300,
        ..Callbacks::default()
    });
    let dir = std::env::temp_dir().join(format!("vngate-demo-journal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("key"), "d1".repeat(32)).map_err(|e| e.to_string())?;
    let config = |timeout_ms: u64| {
        serde_json::json!({
            "base_url": sim.url(), "partner_id": CHARGINGWS_S1.partner_id, "partner_key": CHARGINGWS_S1.partner_key,
            "timeout_ms": timeout_ms,
            "journal": {"path": dir.join("journal.db"), "key_file": dir.join("key"), "min_age_secs": 0, "retry_base_secs": 0},
        })
        .to_string()
    };
    let shop = Front::new("chargingws", &config(5_000)).map_err(|e| e.to_string())?;
    let card = CardRequest::new(
        "VIETTEL",
        "312821445892981",
        "10004783347874",
        50_000,
        vngate::new_request_id(),
    );
    let request = serde_json::to_string(&card).map_err(|e| e.to_string())?;
    shop.call("charge", &request).map_err(|e| e.to_string())?;
    println!(
        "1. charge   {}: committed as sent, sent, answered pending",
        card.request_id
    );
    shop.call("charge", &request).map_err(|e| e.to_string())?;
    let sent = sim
        .money_log()
        .iter()
        .filter(|l| l.ends_with(&card.request_id))
        .count();
    println!("2. again    the same request_id: answered by check; the site received {sent} charge");
    let callback = sink.recv(WAIT).ok_or("no callback")?;
    shop.parse_callback(callback.data(), Some(&request))
        .map_err(|e| e.to_string())?;
    let settle = |reference: &str| -> Result<serde_json::Value, String> {
        serde_json::from_str(&shop.settle(reference).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())
    };
    let first = settle(&card.request_id)?;
    let second = settle(&card.request_id)?;
    println!(
        "3. callback recorded; settle → {} first={} (credit now); settle again → first={}",
        first["state"], first["first"], second["first"]
    );
    // A charge whose reply never comes: unknown, then resolved by the reconciler.
    sim.set_faults(Faults {
        mode: FaultMode::None,
        latency_ms: 1_000,
    });
    let slow = Front::new("chargingws", &config(300)).map_err(|e| e.to_string())?;
    let lost = CardRequest::new(
        "VIETTEL",
        "312821445892983",
        "10004783347874",
        50_000,
        vngate::new_request_id(),
    );
    let answer = slow.call(
        "charge",
        &serde_json::to_string(&lost).map_err(|e| e.to_string())?,
    );
    println!(
        "4. charge   {}: {}",
        lost.request_id,
        answer
            .err()
            .map_or("answered".into(), |e| e.kind().to_owned())
    );
    sim.set_faults(Faults::default());
    let report: serde_json::Value =
        serde_json::from_str(&slow.reconcile().map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    for line in report["lines"].as_array().into_iter().flatten() {
        println!(
            "   reconcile {} {} → {} ({})",
            line["reference"], line["before"], line["after"], line["note"]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    if first["first"] != true || second["first"] != false || sent != 1 || report["resolved"] != 1 {
        return Err(format!(
            "the journal did not keep its promise: {first} {second} {sent} {report}"
        ));
    }
    Ok(())
}

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "-".into(), |v| v.to_string())
}
