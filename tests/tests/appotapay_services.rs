//! AppotaPay's top-up, data packages, bank transfers, account check and transfer IPN against
//! the simulator (which signs its replies with its own code): every outcome class, the reply
//! signatures (a success whose signature fails is never a success), the v1 and `all` options,
//! the three time forms, and the money rules.

use std::sync::Arc;
use std::time::Duration;

use vngate::Error;
use vngate::appotapay::{
    AppotaPay, AppotaPayConfig, BankAccountRequest, BankTransferRequest, DataPackagesRequest,
    FeeType, MobileTopupRequest, TopupApi, TransactionStatus, TransferSign,
};
use vngate_sim::server::{Reply, Server};
use vngate_sim::sim::{APPOTAPAY_OAEP, START_BALANCE, TRANSFER_FEE};
use vngate_sim::{CallbackSink, Callbacks, Faults, Sim, With};

fn client_with(sim: &Sim, tweak: impl FnOnce(&mut AppotaPayConfig)) -> AppotaPay {
    AppotaPay::new(
        AppotaPayConfig::new(
            APPOTAPAY_OAEP.partner_code,
            APPOTAPAY_OAEP.api_key,
            APPOTAPAY_OAEP.secret_key,
        )
        .with(|o| {
            o.base_url = sim.url();
            o.http.timeout_ms = 2_000;
            tweak(o);
        }),
    )
    .unwrap()
}

fn client(sim: &Sim) -> AppotaPay {
    client_with(sim, |_| {})
}

fn transfer(id: &str, amount: i64, fee_type: FeeType) -> BankTransferRequest {
    BankTransferRequest::new(
        id,
        "TPBANK",
        "0123456789",
        "NGUYEN VAN A",
        amount,
        fee_type,
        "Chuyen tien hoan ung",
    )
}

fn quick_callbacks(sim: &Sim, ipn_url: Option<String>) {
    sim.set_callbacks(Callbacks {
        appotapay_ipn_url: ipn_url,
        delay_ms: 300,
        ..Callbacks::default()
    });
}

#[test]
fn a_v2_top_up_is_verified_and_resolved_by_its_transaction() {
    let sim = Sim::start();
    let client = client(&sim);
    let done = client
        .mobile_topup(&MobileTopupRequest::new("tu-1", "0912345678", "viettel_50"))
        .unwrap();
    assert_eq!(
        (done.status, done.error_code, done.signature_verified),
        (TransactionStatus::Success, 0, true)
    );
    assert_eq!(
        (done.amount, done.topup_amount),
        (Some(49_000), Some(50_000)),
        "topupAmount sent as text is read"
    );
    assert_eq!(done.product_code.as_deref(), Some("viettel_50"));
    assert_eq!(done.balance, Some(START_BALANCE - 49_000));
    // RFC 3339 in the v2 reply.
    let time = done.time.as_deref().unwrap();
    assert!(time.contains('T') && time.ends_with("+07:00"), "{time}");
    assert!(done.time_unix.is_some());
    let again = client.topup_transaction("tu-1").unwrap();
    assert_eq!(
        (again.status, again.signature_verified),
        (TransactionStatus::Success, true)
    );
    assert_eq!(again.appotapay_trans_id, done.appotapay_trans_id);
    assert!(again.time_unix.is_some(), "d-m-Y H:i:s in the status reply");
    assert_eq!(
        client.topup_transaction("tu-never").unwrap().status,
        TransactionStatus::NotFound
    );
}

#[test]
fn every_outcome_class_of_a_top_up() {
    let sim = Sim::start();
    quick_callbacks(&sim, None);
    let client = client(&sim);
    let top_up = |id: &str, phone: &str, product: &str| {
        client
            .mobile_topup(&MobileTopupRequest::new(id, phone, product))
            .unwrap()
    };
    assert_eq!(
        top_up("c-dup", "0912345678", "viettel_10").status,
        TransactionStatus::Success
    );
    assert_eq!(
        top_up("c-dup", "0912345678", "viettel_10").status,
        TransactionStatus::Duplicate
    );
    let failed = top_up("c-failed", "0912345633", "viettel_10");
    assert_eq!(
        (failed.status, failed.error_code, failed.signature_verified),
        (TransactionStatus::Failed, 33, false)
    );
    // A code no document lists leaves the money open: the transaction says what happened.
    let odd = top_up("c-odd", "0912345678", "ODD77");
    assert_eq!(
        (odd.status, odd.error_code),
        (TransactionStatus::Unknown, 77)
    );
    assert_eq!(
        client.topup_transaction("c-odd").unwrap().status,
        TransactionStatus::Success
    );
    // Pending (35): unknown, still pending on the first check, then settled either way.
    for (id, settled) in [
        ("c-x-pending", TransactionStatus::Success),
        ("c-x-fails", TransactionStatus::Failed),
    ] {
        assert_eq!(
            top_up(id, "0912345678", "viettel_20").status,
            TransactionStatus::Unknown
        );
        assert_eq!(
            client.topup_transaction(id).unwrap().status,
            TransactionStatus::Unknown,
            "35 from the status call is still unknown"
        );
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(client.topup_transaction(id).unwrap().status, settled);
    }
}

#[test]
fn a_success_whose_signature_fails_is_an_unknown_outcome_never_a_success() {
    let sim = Sim::start();
    let client = client(&sim);
    match client.mobile_topup(&MobileTopupRequest::new(
        "sig-x-badsig",
        "0912345678",
        "viettel_10",
    )) {
        Err(Error::OutcomeUnknown {
            operation: "mobile_topup",
            reference_field: "partner_ref_id",
            reference,
            reason,
            next_step,
        }) => {
            assert_eq!(reference, "sig-x-badsig");
            assert!(reason.contains("BadResponseSignature"), "{reason}");
            assert!(next_step.contains("topup_transaction"), "{next_step}");
        }
        other => panic!("{other:?}"),
    }
    // The status call's reply is signed right: the top-up went through.
    assert_eq!(
        client.topup_transaction("sig-x-badsig").unwrap().status,
        TransactionStatus::Success
    );
    match client.bank_transfer(&transfer("sig-t-badsig", 100_000, FeeType::Payer)) {
        Err(Error::OutcomeUnknown {
            operation: "bank_transfer",
            reason,
            next_step,
            ..
        }) => {
            assert!(reason.contains("BadResponseSignature"), "{reason}");
            assert!(next_step.contains("transfer_transaction"), "{next_step}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        client.transfer_transaction("sig-t-badsig").unwrap().status,
        TransactionStatus::Success
    );
    // With the check off (an option), the success is reported and marked unverified.
    let unchecked = client_with(&sim, |o| o.verify_response_signature = false);
    let result = unchecked
        .mobile_topup(&MobileTopupRequest::new(
            "sig-y-badsig",
            "0912345678",
            "viettel_10",
        ))
        .unwrap();
    assert_eq!(
        (result.status, result.signature_verified),
        (TransactionStatus::Success, false)
    );
}

#[test]
fn a_signed_reply_with_a_repeated_key_or_no_signature_is_refused() {
    // A reply that a lenient reader takes as a success: correctly signed over the last
    // `amount`, but a repeated key means two readers may see two amounts.
    let secret = APPOTAPAY_OAEP.secret_key;
    let unsigned = r#"{"errorCode":0,"message":"ok","transaction":{"amount":1,"amount":9000,"transferAmount":9000,"appotapayTransId":"T1","time":"1608778440"}}"#;
    let signature = vngate::appotapay::sign::reply_signature(
        secret,
        vngate::appotapay::sign::SignedReply::Transfer,
        unsigned.as_bytes(),
    )
    .unwrap();
    let repeated = format!(
        "{},\"signature\":\"{signature}\"}}",
        unsigned.strip_suffix('}').unwrap()
    );
    for (label, body) in [
        ("repeated key", repeated),
        ("no signature", unsigned.to_owned()),
    ] {
        let server = Server::start(
            0,
            Arc::new(move |_| Reply::with_status(200, "application/json", body.clone().into())),
        )
        .unwrap();
        let client = AppotaPay::new(
            AppotaPayConfig::new("P", "a", secret).with(|o| o.base_url = server.url()),
        )
        .unwrap();
        match client.bank_transfer(&transfer("dup-1", 9_000, FeeType::Payer)) {
            Err(Error::OutcomeUnknown { reason, .. }) => {
                assert!(
                    reason.contains("twice") || reason.contains("BadResponseSignature"),
                    "{label}: {reason}"
                );
            }
            other => panic!("{label}: {other:?}"),
        }
        match client.transfer_transaction("dup-1") {
            Err(Error::BadReply { reason, .. }) => {
                assert!(
                    reason.contains("twice") || reason.contains("BadResponseSignature"),
                    "{label}: {reason}"
                );
            }
            other => panic!("{label}: {other:?}"),
        }
    }
}

#[test]
fn the_v1_api_and_an_empty_telco_are_options() {
    let sim = Sim::start();
    let v1 = client_with(&sim, |o| o.topup_api = TopupApi::V1);
    let request = MobileTopupRequest::new("v1-1", "0912345678", "viettel_10").with(|o| {
        o.product_code = None;
        o.amount = Some(20_000);
        o.telco = Some("viettel".into());
    });
    let done = v1.mobile_topup(&request).unwrap();
    assert_eq!(
        (done.status, done.topup_amount, done.signature_verified),
        (TransactionStatus::Success, Some(20_000), true)
    );
    assert!(done.time.as_deref().unwrap().contains(' '), "d-m-Y H:i:s");
    assert!(done.time_unix.is_some());
    // v1 needs an amount and a telco; a product code is refused by name.
    for (tweak, field) in [
        (
            Box::new(|o: &mut MobileTopupRequest| o.telco = None) as Box<dyn Fn(&mut _)>,
            "telco",
        ),
        (
            Box::new(|o: &mut MobileTopupRequest| o.product_code = Some("x".into())),
            "product_code",
        ),
    ] {
        let mut bad = request.clone();
        tweak(&mut bad);
        assert!(
            matches!(v1.mobile_topup(&bad), Err(Error::InvalidInput { field: f, .. }) if f == field)
        );
    }
    // v2 with sign_absent_as_empty sends and signs telco="" (the simulator checks it).
    let empty = client_with(&sim, |o| o.sign_absent_as_empty = true);
    assert_eq!(
        empty
            .mobile_topup(&MobileTopupRequest::new("v2-e", "0912345678", "viettel_10"))
            .unwrap()
            .status,
        TransactionStatus::Success
    );
}

#[test]
fn data_packages_are_listed_and_filtered() {
    let sim = Sim::start();
    let client = client(&sim);
    let all = client
        .data_packages(&DataPackagesRequest::new("0912345678"))
        .unwrap();
    assert_eq!(all.error_code, 0);
    assert_eq!(all.packages.len(), 3);
    assert_eq!(all.packages[1].product_code, "D24");
    let some = client
        .data_packages(&DataPackagesRequest::new("0912345678").with(|o| o.value = Some(20_000)))
        .unwrap();
    assert_eq!(some.packages.len(), 1);
    // A package is bought with mobile_topup and its code.
    assert_eq!(
        client
            .mobile_topup(&MobileTopupRequest::new("data-1", "0912345678", "D24"))
            .unwrap()
            .topup_amount,
        Some(20_000)
    );
}

#[test]
fn bank_transfers_fees_citad_and_the_all_fields_option() {
    let sim = Sim::start();
    let client = client(&sim);
    let payer = client
        .bank_transfer(&transfer("bt-payer", 100_000, FeeType::Payer))
        .unwrap();
    assert_eq!(
        (payer.status, payer.signature_verified),
        (TransactionStatus::Success, true)
    );
    assert_eq!(
        (payer.amount, payer.transfer_amount),
        (Some(100_000 + TRANSFER_FEE), Some(100_000))
    );
    let receiver = client
        .bank_transfer(&transfer("bt-receiver", 100_000, FeeType::Receiver))
        .unwrap();
    assert_eq!(receiver.transfer_amount, Some(100_000 - TRANSFER_FEE));
    // The status reply has the time as unix seconds, and the account.
    let status = client.transfer_transaction("bt-receiver").unwrap();
    assert_eq!(status.status, TransactionStatus::Success);
    assert_eq!(
        status.time_unix.map(|t| t.to_string()),
        status.time.clone(),
        "unix seconds as sent"
    );
    assert_eq!(status.account_no.as_deref(), Some("0123456789"));
    // Citad: channel with its bank id, sent and signed.
    let citad = transfer("bt-citad", 50_000, FeeType::Payer).with(|o| {
        o.channel = Some("citad".into());
        o.bank_id = Some("01310001".into());
        o.customer_phone_number = Some("0912345678".into());
    });
    assert_eq!(
        client.bank_transfer(&citad).unwrap().status,
        TransactionStatus::Success
    );
    let no_branch = citad.clone().with(|o| o.bank_id = None);
    assert!(matches!(
        client.bank_transfer(&no_branch),
        Err(Error::InvalidInput { field, .. }) if field == "bank_id"
    ));
    // All twelve fields, absent ones empty: the simulator verifies what it received.
    let all = client_with(&sim, |o| o.transfer_sign = TransferSign::All);
    assert_eq!(
        all.bank_transfer(&transfer("bt-all", 10_000, FeeType::Payer))
            .unwrap()
            .status,
        TransactionStatus::Success
    );
    // Classes: duplicate, a documented failure, a code no document lists.
    let again = client
        .bank_transfer(&transfer("bt-payer", 100_000, FeeType::Payer))
        .unwrap();
    assert_eq!(again.status, TransactionStatus::Duplicate);
    let nobody = client
        .bank_transfer(
            &transfer("bt-nobody", 10_000, FeeType::Payer).with(|o| o.account_no = "000111".into()),
        )
        .unwrap();
    assert_eq!(
        (nobody.status, nobody.error_code),
        (TransactionStatus::Failed, 42)
    );
    let odd = client
        .bank_transfer(&transfer("bt-odd", 77_000, FeeType::Payer))
        .unwrap();
    assert_eq!(odd.status, TransactionStatus::Unknown);
    assert_eq!(
        client.transfer_transaction("bt-odd").unwrap().status,
        TransactionStatus::Success
    );
}

#[test]
fn a_pending_transfer_is_settled_by_a_verified_ipn_and_its_transaction() {
    let sim = Sim::start();
    let sink = CallbackSink::start();
    quick_callbacks(&sim, Some(sink.url()));
    let client = client(&sim);
    let pending = client
        .bank_transfer(&transfer("ipn-1-pending", 200_000, FeeType::Receiver))
        .unwrap();
    assert_eq!(
        (pending.status, pending.error_code),
        (TransactionStatus::Unknown, 35)
    );
    let ipn = sink
        .recv(Duration::from_secs(5))
        .expect("the simulator POSTs the IPN");
    let read = client.parse_transfer_ipn(ipn.data()).unwrap();
    assert_eq!(read.status, TransactionStatus::Success);
    assert_eq!(read.partner_ref_id, "ipn-1-pending");
    assert_eq!(read.transfer_amount, Some(200_000 - TRANSFER_FEE));
    assert_eq!(read.reply_body, r#"{"status":"ok"}"#);
    assert!(read.time_unix.is_some());
    // Confirm with the transaction before crediting.
    assert_eq!(
        client.transfer_transaction("ipn-1-pending").unwrap().status,
        TransactionStatus::Success
    );
    // Through the dispatcher: parse_callback and its alias.
    let api = vngate::api::Client::new(
        "appotapay",
        &serde_json::json!({"base_url": sim.url(), "partner_code": APPOTAPAY_OAEP.partner_code,
                            "api_key": APPOTAPAY_OAEP.api_key, "secret_key": APPOTAPAY_OAEP.secret_key})
        .to_string(),
    )
    .unwrap();
    let data = String::from_utf8(ipn.body.clone()).unwrap();
    let input = serde_json::json!({ "data": data }).to_string();
    assert_eq!(
        api.call("parse_callback", &input).unwrap(),
        api.call("parse_transfer_ipn", &input).unwrap()
    );
    assert!(matches!(
        api.call("parse_callback", &serde_json::json!({"data": data, "expected": {}}).to_string()),
        Err(Error::InvalidInput { field, .. }) if field == "expected"
    ));
    // Tampered, unsigned or ambiguous IPNs are refused.
    let tampered = data.replace(
        "\"transferStatus\":\"success\"",
        "\"transferStatus\":\"error\"",
    );
    assert_ne!(tampered, data);
    assert!(matches!(
        client.parse_transfer_ipn(tampered.as_bytes()),
        Err(Error::SignatureMismatch { field: "signature" })
    ));
    let value: serde_json::Value = serde_json::from_str(&data).unwrap();
    let mut unsigned = value.clone();
    unsigned.as_object_mut().unwrap().remove("signature");
    assert!(matches!(
        client.parse_transfer_ipn(unsigned.to_string().as_bytes()),
        Err(Error::SignatureMismatch { .. })
    ));
    let repeated = data.replacen('{', "{\"errorCode\":99,", 1);
    assert!(matches!(
        client.parse_transfer_ipn(repeated.as_bytes()),
        Err(Error::BadReply { reason, .. }) if reason.contains("twice")
    ));
    // A failed pending transfer: transferStatus error.
    client
        .bank_transfer(&transfer("ipn-2-fails", 10_000, FeeType::Payer))
        .unwrap();
    let ipn = sink.recv(Duration::from_secs(5)).unwrap();
    assert_eq!(
        client.parse_transfer_ipn(ipn.data()).unwrap().status,
        TransactionStatus::Failed
    );
}

#[test]
fn the_account_check_verifies_a_numeric_account_number_by_its_digits() {
    let sim = Sim::start();
    let client = client(&sim);
    let found = client
        .bank_account_info(&BankAccountRequest::new("TPBANK", "132100132400000"))
        .unwrap();
    assert!(
        found.raw.as_str().contains("\"accountNo\":132100132400000"),
        "sent as a JSON number: {}",
        found.raw.as_str()
    );
    assert_eq!((found.error_code, found.signature_verified), (0, true));
    assert_eq!(found.account_no.as_deref(), Some("132100132400000"));
    assert_eq!(found.account_name.as_deref(), Some("NGUYEN VAN A"));
    // 22 digits, beyond any 64-bit number, sent as a JSON number: read as its digits (a double
    // made it "1.2345678901234568e+21"), and the signature still checks on the raw text.
    let long = client
        .bank_account_info(&BankAccountRequest::new("TPBANK", "1234567890123456789012"))
        .unwrap();
    assert!(
        long.raw
            .as_str()
            .contains("\"accountNo\":1234567890123456789012")
    );
    assert_eq!(long.account_no.as_deref(), Some("1234567890123456789012"));
    assert!(long.signature_verified);
    assert!(!found.partner_ref_id.is_empty(), "made when none is given");
    let missing = client
        .bank_account_info(&BankAccountRequest::new("TPBANK", "000999").with(|o| {
            o.partner_ref_id = Some("chk-1".into());
        }))
        .unwrap();
    assert_eq!(
        (
            missing.error_code,
            missing.signature_verified,
            missing.partner_ref_id.as_str()
        ),
        (42, false, "chk-1")
    );
}

#[test]
fn a_money_call_without_an_answer_is_unknown_and_its_transaction_resolves_it() {
    let sim = Sim::start();
    let client = client_with(&sim, |o| o.http.timeout_ms = 300);
    sim.set_faults(Faults {
        latency_ms: 1_000,
        ..Faults::default()
    });
    match client.mobile_topup(&MobileTopupRequest::new("to-1", "0912345678", "viettel_10")) {
        Err(Error::OutcomeUnknown { reference, .. }) => assert_eq!(reference, "to-1"),
        other => panic!("{other:?}"),
    }
    match client.bank_transfer(&transfer("to-2", 10_000, FeeType::Payer)) {
        Err(Error::OutcomeUnknown { reference, .. }) => assert_eq!(reference, "to-2"),
        other => panic!("{other:?}"),
    }
    sim.set_faults(Faults::default());
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        client.topup_transaction("to-1").unwrap().status,
        TransactionStatus::Success
    );
    assert_eq!(
        client.transfer_transaction("to-2").unwrap().status,
        TransactionStatus::Success
    );
}

#[test]
fn bad_input_is_refused_by_name_before_anything_is_sent() {
    let sim = Sim::start();
    let client = client(&sim);
    let field = |r: Result<(), Error>| match r {
        Err(Error::InvalidInput { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    let top = MobileTopupRequest::new("bi-1", "0912345678", "viettel_10");
    let topup = |t: MobileTopupRequest| client.mobile_topup(&t).map(drop);
    assert_eq!(
        field(topup(
            top.clone().with(|o| o.telco = Some("VIETTEL".into()))
        )),
        "telco"
    );
    assert_eq!(
        field(topup(top.clone().with(|o| o.amount = Some(10_000)))),
        "amount"
    );
    assert_eq!(
        field(topup(top.clone().with(|o| o.phone_number = "12345".into()))),
        "phone_number"
    );
    assert_eq!(
        field(topup(
            top.clone().with(|o| o.partner_ref_id = "x".repeat(51))
        )),
        "partner_ref_id"
    );
    assert_eq!(
        field(topup(top.with(|o| o.product_code = None))),
        "product_code"
    );
    let send = |t: BankTransferRequest| client.bank_transfer(&t).map(drop);
    let base = transfer("bi-2", 10_000, FeeType::Payer);
    assert_eq!(
        field(send(
            base.clone().with(|o| o.message = "Chuyển tiền".into())
        )),
        "message"
    );
    assert_eq!(
        field(send(
            base.clone().with(|o| o.account_name = "A<script>".into())
        )),
        "account_name"
    );
    assert_eq!(
        field(send(base.clone().with(|o| o.account_no = "12".into()))),
        "account_no"
    );
    assert_eq!(field(send(base.clone().with(|o| o.amount = 0))), "amount");
    assert_eq!(
        field(send(
            base.clone().with(|o| o.channel = Some("swift".into()))
        )),
        "channel"
    );
    assert_eq!(
        field(send(base.with(|o| o.bank_id = Some("1".into())))),
        "bank_id"
    );
    assert_eq!(
        field(
            client
                .data_packages(&DataPackagesRequest::new("0912"))
                .map(drop)
        ),
        "phone_number"
    );
    assert_eq!(
        field(
            client
                .bank_account_info(&BankAccountRequest::new("TP BANK", "123456"))
                .map(drop)
        ),
        "bank_code"
    );
    assert_eq!(sim.requests(), 0);
}
