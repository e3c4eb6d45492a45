//! Micro-benchmarks (criterion): each provider's signing, each callback's verification, and
//! AppotaPay's reply-signature check, on the real public functions. `cargo bench -p
//! vngate-tests --bench micro` (part of `make bench`). Benchmarks, never timed tests.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use vngate::appotapay::sign::SignedReply;
use vngate::appotapay::{AppotaPay, AppotaPayConfig};
use vngate::chargingws::{ChargingWs, ChargingWsConfig};
use vngate::esms::{Esms, EsmsConfig, SignatureEncoding};
use vngate::opencard::{OpenCard, OpenCardConfig, SignOrder};
use vngate::topup::Digest;
use vngate_sim::With;

const KEY: &str = "partner_key_example";
/// No request is made: a base URL nobody listens on.
const LOCAL: &str = "http://127.0.0.1:9";

fn signing(c: &mut Criterion) {
    let mut g = c.benchmark_group("sign");
    g.bench_function("chargingws callback_sign (md5)", |b| {
        b.iter(|| {
            vngate::chargingws::sign::callback_sign(
                black_box(KEY),
                "312821445892980",
                "10004783347874",
            )
        });
    });
    g.bench_function("opencard request_sign (ksort md5)", |b| {
        b.iter(|| {
            vngate::opencard::sign::request_sign(
                SignOrder::Ksort,
                black_box(KEY),
                "123456789012341",
                "20001",
                "10000000000001",
                "VIETTEL",
                "charging",
            )
        });
    });
    g.bench_function("appotapay signature (HMAC-SHA256)", |b| {
        b.iter(|| {
            vngate::appotapay::sign::signature(
                black_box(KEY),
                &[
                    ("partnerRefId", "AB123"),
                    ("productCode", "VT10"),
                    ("quantity", "2"),
                ],
            )
        });
    });
    g.bench_function("appotapay jwt", |b| {
        b.iter(|| {
            vngate::appotapay::sign::jwt("TEST", "api-key", black_box(KEY), 1_700_000_000, 300)
        });
    });
    g.bench_function("esms signature (HMAC-SHA256)", |b| {
        b.iter(|| {
            vngate::esms::sign::signature(
                SignatureEncoding::Hex,
                black_box(KEY),
                &["20000", "1", "d", "data", "1", "o1"],
            )
        });
    });
    g.bench_function("topup checksum (sha256)", |b| {
        b.iter(|| {
            vngate::topup::sign::topup_checksum(
                Digest::Sha256,
                "shop",
                "0912345671",
                "50000",
                black_box(KEY),
            )
        });
    });
    g.finish();
}

fn verification(c: &mut Criterion) {
    let mut g = c.benchmark_group("verify");
    let chargingws = ChargingWs::new(ChargingWsConfig::new(LOCAL, "1", KEY)).unwrap();
    let sign = vngate::chargingws::sign::callback_sign(KEY, "312821445892980", "10004783347874");
    let callback = format!(
        r#"{{"status":1,"message":"ok","request_id":"b1","trans_id":"7001","telco":"VIETTEL","code":"312821445892980","serial":"10004783347874","declared_value":10000,"value":10000,"amount":8500,"callback_sign":"{sign}"}}"#
    );
    g.bench_function("chargingws callback", |b| {
        b.iter(|| {
            chargingws
                .parse_callback(black_box(callback.as_bytes()))
                .unwrap()
        });
    });
    let opencard =
        OpenCard::new(OpenCardConfig::new("1", KEY).with(|o| o.base_url = LOCAL.into())).unwrap();
    let sign = vngate::opencard::sign::webhook_sign(
        SignOrder::Ksort,
        KEY,
        "385672323",
        "1",
        "10000",
        "10895648",
    );
    let webhook = format!(
        r#"{{"request_id":"385672323","trans_id":"10895648","telco":"VIETTEL","declared_value":10000,"status":1,"message":"ok","amount":10000,"actual_amount":8600,"sign":"{sign}"}}"#
    );
    g.bench_function("opencard webhook", |b| {
        b.iter(|| {
            opencard
                .parse_callback(black_box(webhook.as_bytes()))
                .unwrap()
        });
    });
    let esms =
        Esms::new(EsmsConfig::with_token("t", KEY).with(|o| o.base_url = LOCAL.into())).unwrap();
    let unsigned = br#"{"orderId":"m-1","status":3,"timestamp":1724290351,"transactionId":"5146","channelId":1,"method":1,"amount":10000,"resultCode":"0","message":"x"}"#;
    g.bench_function("esms callback (unsigned: read)", |b| {
        b.iter(|| esms.parse_callback(black_box(unsigned)).unwrap());
    });
    let appotapay =
        AppotaPay::new(AppotaPayConfig::new("P", "a", KEY).with(|o| o.base_url = LOCAL.into()))
            .unwrap();
    let ipn = r#"{"errorCode":0,"message":"ok","transaction":{"amount":10000,"transferAmount":6700,"transferStatus":"success","appotapayTransId":"T1","partnerRefId":"p-1","time":"14-11-2024 09:38:43"}}"#;
    let signature =
        vngate::appotapay::sign::reply_signature(KEY, SignedReply::TransferIpn, ipn.as_bytes())
            .unwrap();
    let ipn = format!(
        "{},\"signature\":\"{signature}\"}}",
        ipn.strip_suffix('}').unwrap()
    );
    g.bench_function("appotapay transfer IPN", |b| {
        b.iter(|| {
            appotapay
                .parse_transfer_ipn(black_box(ipn.as_bytes()))
                .unwrap()
        });
    });
    let reply = r#"{"errorCode":0,"message":"ok","transaction":{"phoneNumber":"0912345678","amount":9800,"productCode":"viettel_10","topupAmount":"10000","appotapayTransId":"TU1","time":"2024-09-13T17:48:06+07:00"}}"#;
    let signature =
        vngate::appotapay::sign::reply_signature(KEY, SignedReply::Topup, reply.as_bytes())
            .unwrap();
    g.bench_function("appotapay reply signature (top-up)", |b| {
        b.iter(|| {
            assert!(vngate::appotapay::sign::verify_reply(
                KEY,
                SignedReply::Topup,
                black_box(reply.as_bytes()),
                &signature
            ));
        });
    });
    g.finish();
}

criterion_group!(benches, signing, verification);
criterion_main!(benches);
