//! The card shop of a chargingws site (`/api/cardws`) against the simulator: every outcome
//! class of `buy_cards`, `redownload` resolving it, the wallet, the money rules.

use std::time::Duration;

use vngate::Error;
use vngate::chargingws::{
    BuyCardsRequest, ChargingWs, ChargingWsConfig, OrderStatus, RedownloadRequest, StockRequest,
    WalletBalanceRequest, WalletService,
};
use vngate_sim::sim::{CHARGINGWS_S1, CHARGINGWS_S2, SHOP_BALANCE, TOPUP_SERVICE_BALANCE};
use vngate_sim::{Callbacks, FaultMode, Faults, Sim, With};

fn shop(sim: &Sim) -> ChargingWs {
    ChargingWs::new(
        ChargingWsConfig::new(
            sim.url(),
            CHARGINGWS_S1.partner_id,
            CHARGINGWS_S1.partner_key,
        )
        .with(|o| o.http.timeout_ms = 600),
    )
    .unwrap()
}

fn order(suffix: &str) -> BuyCardsRequest {
    BuyCardsRequest::new(
        "VIETTEL",
        10_000,
        2,
        format!("{}{suffix}", vngate::new_request_id()),
    )
}

#[test]
fn every_outcome_class_of_a_purchase_and_its_resolution() {
    let sim = Sim::start();
    sim.set_callbacks(Callbacks {
        delay_ms: 300,
        ..Callbacks::default()
    });
    let client = shop(&sim);

    let delivered = client.buy_cards(&order("")).unwrap();
    assert_eq!(delivered.status, OrderStatus::Delivered);
    assert_eq!(delivered.cards.len(), 2);
    assert!(delivered.order_code.is_some());
    // The codes are secrets from here on: Debug masks them.
    let shown = format!("{delivered:?}");
    assert!(!shown.contains(delivered.cards[0].code.as_str()), "{shown}");

    // Paid, cards later: never a failure; redownload delivers them after the delay.
    let pending = order("-pending");
    let paid = client.buy_cards(&pending).unwrap();
    assert_eq!(
        (paid.status, paid.site_status, paid.cards.len()),
        (OrderStatus::PaidPending, 2, 0)
    );
    let early = client
        .redownload(&RedownloadRequest::new(&pending.request_id))
        .unwrap();
    assert_eq!(early.status, OrderStatus::PaidPending);
    std::thread::sleep(Duration::from_millis(400));
    let later = client
        .redownload(&RedownloadRequest::new(&pending.request_id))
        .unwrap();
    assert_eq!(
        (later.status, later.cards.len()),
        (OrderStatus::Delivered, 2)
    );

    // 120 "exception": unknown, and the order turns out to exist.
    let exception = order("-exception");
    let unknown = client.buy_cards(&exception).unwrap();
    assert_eq!(
        (unknown.status, unknown.site_status),
        (OrderStatus::Unknown, 120)
    );
    let resolved = client
        .redownload(&RedownloadRequest::new(&exception.request_id))
        .unwrap();
    assert_eq!(resolved.status, OrderStatus::Delivered);

    // A documented failure, a duplicate, an order the site does not know.
    let nostock = client.buy_cards(&order("-nostock")).unwrap();
    assert_eq!(
        (nostock.status, nostock.site_status),
        (OrderStatus::Failed, 118)
    );
    let again = client
        .buy_cards(&BuyCardsRequest::new(
            "VIETTEL",
            10_000,
            2,
            delivered.request_id.clone().unwrap(),
        ))
        .unwrap();
    assert_eq!(
        (again.status, again.site_status),
        (OrderStatus::Duplicate, 109)
    );
    let nowhere = client
        .redownload(&RedownloadRequest::new("never-bought-1"))
        .unwrap();
    assert_eq!(
        nowhere.status,
        OrderStatus::Unresolved,
        "never read as failed"
    );

    // Stock and the product list.
    assert!(
        client
            .stock(&StockRequest::new("VIETTEL", 10_000, 2))
            .unwrap()
            .in_stock
    );
    assert!(
        !client
            .stock(&StockRequest::new("OUTOFSTOCK", 10_000, 1))
            .unwrap()
            .in_stock
    );
    let products = client.card_products().unwrap();
    assert_eq!(products.products[0].service_code, "VIETTEL");
    assert_eq!(products.products[0].values[1].value, 20_000);

    // The wallet paid for the three orders that were paid (delivered, pending, exception).
    let balance = client
        .wallet_balance(&vngate::chargingws::WalletBalanceRequest::default())
        .unwrap();
    assert_eq!(balance.balance, Some(SHOP_BALANCE - 3 * 20_000));
}

#[test]
fn a_purchase_without_an_answer_is_outcome_unknown_with_the_resolving_call() {
    let sim = Sim::start();
    let client = shop(&sim);
    sim.set_faults(Faults {
        mode: FaultMode::Drop,
        ..Faults::default()
    });
    let request = order("");
    let err = client.buy_cards(&request).unwrap_err();
    match err {
        Error::OutcomeUnknown {
            reference_field,
            reference,
            next_step,
            ..
        } => {
            assert_eq!(
                (reference_field, reference.as_str()),
                ("request_id", request.request_id.as_str())
            );
            assert!(next_step.contains("redownload"), "{next_step}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.requests(), 1, "never retried");
}

#[test]
fn bad_input_is_refused_before_any_io_and_the_shop_may_have_its_own_partner() {
    let sim = Sim::start();
    let client = shop(&sim);
    for (request, field) in [
        (BuyCardsRequest::new("", 10_000, 1, "r-1"), "service_code"),
        (BuyCardsRequest::new("VIETTEL", 0, 1, "r-1"), "value"),
        (BuyCardsRequest::new("VIETTEL", 10_000, 0, "r-1"), "qty"),
        (BuyCardsRequest::new("VIETTEL", 10_000, 101, "r-1"), "qty"),
        (
            BuyCardsRequest::new("VIETTEL", 10_000, 1, "bad id"),
            "request_id",
        ),
    ] {
        let err = client.buy_cards(&request).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { field: f, .. } if f == field),
            "{err:?}"
        );
    }
    assert_eq!(sim.requests(), 0);

    // Charging as S1, buying as the S2 partner (C1 signs with the shop's own pair).
    let own = ChargingWs::new(
        ChargingWsConfig::new(
            sim.url(),
            CHARGINGWS_S1.partner_id,
            CHARGINGWS_S1.partner_key,
        )
        .with(|o| {
            o.shop_partner_id = Some(CHARGINGWS_S2.partner_id.into());
            o.shop_partner_key = Some(CHARGINGWS_S2.partner_key.into());
        }),
    )
    .unwrap();
    assert_eq!(
        own.buy_cards(&order("")).unwrap().status,
        OrderStatus::Delivered
    );
    // The wrong key: the site's "bad sign", a documented failure.
    let wrong = ChargingWs::new(ChargingWsConfig::new(
        sim.url(),
        CHARGINGWS_S1.partner_id,
        "not-the-key",
    ))
    .unwrap();
    let refused = wrong.buy_cards(&order("")).unwrap();
    assert_eq!(
        (refused.status, refused.site_status),
        (OrderStatus::Failed, 116)
    );
    // Not "out of stock", not "no balance": the stock check and the balance carry the site's
    // status and message.
    let stock = wrong
        .stock(&StockRequest::new("VIETTEL", 10_000, 1))
        .unwrap();
    assert_eq!(
        (
            stock.in_stock,
            stock.site_status.as_deref(),
            stock.message.as_str()
        ),
        (false, Some("116"), "Sai chữ ký")
    );
    let balance = wrong
        .wallet_balance(&WalletBalanceRequest::default())
        .unwrap();
    assert_eq!(
        (balance.balance, balance.site_status.as_deref()),
        (None, Some("116"))
    );
}

#[test]
fn wallet_balances_of_both_services_and_every_reply_shape() {
    let sim = Sim::start();
    let client = shop(&sim);
    // The card shop: {status: 1, balance}.
    let shop_balance = client
        .wallet_balance(&WalletBalanceRequest::default())
        .unwrap();
    assert_eq!(
        (shop_balance.balance, shop_balance.site_status.as_deref()),
        (Some(SHOP_BALANCE), Some("1"))
    );
    // The top-up service's own wallet: {status: "success", data: {balance, currency}}.
    let topup = client
        .wallet_balance(&WalletBalanceRequest::new(WalletService::Topup))
        .unwrap();
    assert_eq!(
        (
            topup.balance,
            topup.currency.as_deref(),
            topup.site_status.as_deref()
        ),
        (Some(TOPUP_SERVICE_BALANCE), Some("VND"), Some("success"))
    );
    // A site that answers {balance, currency_code} without a status (S2's here).
    let s2 = ChargingWs::new(ChargingWsConfig::new(
        sim.url(),
        CHARGINGWS_S2.partner_id,
        CHARGINGWS_S2.partner_key,
    ))
    .unwrap();
    let bare = s2.wallet_balance(&WalletBalanceRequest::default()).unwrap();
    assert_eq!(
        (bare.balance, bare.currency.as_deref(), bare.site_status),
        (Some(SHOP_BALANCE), Some("VND"), None)
    );
}

#[test]
fn top_up_orders_pending_then_settled_refusals_and_unknown_outcomes() {
    use vngate::chargingws::{TopupOrderRequest, TopupOrderStatus, TopupStatusRequest};
    let sim = Sim::start();
    sim.set_callbacks(Callbacks {
        delay_ms: 300,
        ..Callbacks::default()
    });
    let client = shop(&sim);
    let order = |phone: &str, suffix: &str| {
        TopupOrderRequest::new(
            "vinatt",
            50_000,
            phone,
            format!("{}{suffix}", vngate::new_request_id()),
        )
    };

    // Accepted: pending until the status says completed (or canceled for a phone ending in 8).
    let done = order("0912345671", "");
    let accepted = client.topup_order(&done).unwrap();
    assert_eq!(accepted.status, TopupOrderStatus::Pending);
    assert!(accepted.order_code.is_some());
    let canceled = order("0912345678", "");
    client.topup_order(&canceled).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let status = |request: &TopupOrderRequest| {
        client
            .topup_status(&TopupStatusRequest::new(&request.request_id))
            .unwrap()
            .status
    };
    assert_eq!(status(&done), TopupOrderStatus::Completed);
    assert_eq!(status(&canceled), TopupOrderStatus::Canceled);

    // The order's reply is never final, whatever word it carries: pending until topup_status.
    let said_done = order("0912345677", "");
    let reply = client.topup_order(&said_done).unwrap();
    assert_eq!(
        (reply.status, reply.order_status.as_deref()),
        (TopupOrderStatus::Pending, Some("completed"))
    );
    // A word no source documents is unresolved, carrying the word: never pending forever.
    let odd = order("0912345676", "");
    client.topup_order(&odd).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let answer = client
        .topup_status(&TopupStatusRequest::new(&odd.request_id))
        .unwrap();
    assert_eq!(
        (answer.status, answer.order_status.as_deref()),
        (TopupOrderStatus::Unresolved, Some("failed"))
    );
    assert_eq!(status(&said_done), TopupOrderStatus::Completed);

    // Refused with no order: failed, nothing charged. Unknown to the service: unresolved.
    let poor = client.topup_order(&order("0912345671", "-poor")).unwrap();
    assert_eq!(
        (poor.status, poor.site_status.as_str()),
        (TopupOrderStatus::Failed, "payment_fail")
    );
    let nowhere = client
        .topup_status(&TopupStatusRequest::new("never-ordered-1"))
        .unwrap();
    assert_eq!(
        nowhere.status,
        TopupOrderStatus::Unresolved,
        "never read as failed"
    );

    // The products.
    let products = client.topup_products().unwrap();
    assert_eq!(products.products[0].service_code, "vinatt");

    // No answer: outcome unknown, resolved by topup_status; never retried.
    sim.set_faults(Faults {
        mode: FaultMode::Drop,
        ..Faults::default()
    });
    let lost = order("0912345671", "");
    let before = sim.requests();
    match client.topup_order(&lost).unwrap_err() {
        Error::OutcomeUnknown {
            reference,
            next_step,
            ..
        } => {
            assert_eq!(reference, lost.request_id);
            assert!(next_step.contains("topup_status"), "{next_step}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.requests() - before, 1, "never retried");

    // Bad input, named, before any I/O.
    let err = client.topup_order(&order("12345", "")).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { field, .. } if field == "phone"),
        "{err:?}"
    );
}

/// The card shop takes "JSON, `URL_ENCODE`, `FORM_PARAMS`": each encoding sends the same signed
/// fields, where the site reads them (a server that records what arrived); the top-up service
/// stays JSON, as its documentation says.
#[test]
fn the_card_shop_speaks_json_form_and_query_string() {
    use std::sync::{Arc, Mutex};
    use vngate::chargingws::ShopTransport;
    use vngate_sim::server::{Handler, Reply, Server};
    /// Path, content type, query, body.
    type Seen = Vec<(String, String, String, String)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let log = seen.clone();
    let handler: Handler = Arc::new(move |request| {
        let content_type = request
            .headers
            .iter()
            .find(|(name, _)| name == "content-type")
            .map(|(_, value)| value.clone())
            .unwrap_or_default();
        log.lock().unwrap().push((
            request.path.clone(),
            content_type,
            request.query.clone(),
            String::from_utf8_lossy(&request.body).into_owned(),
        ));
        Reply::json(&serde_json::json!({"status": 1, "balance": 5000}))
    });
    let server = Server::start(0, handler).unwrap();
    let sign = vngate::chargingws::sign::service_sign(
        CHARGINGWS_S1.partner_key,
        CHARGINGWS_S1.partner_id,
        "getbalance",
        None,
    );
    for transport in [
        ShopTransport::Json,
        ShopTransport::Form,
        ShopTransport::Query,
    ] {
        let client = ChargingWs::new(
            ChargingWsConfig::new(
                server.url(),
                CHARGINGWS_S1.partner_id,
                CHARGINGWS_S1.partner_key,
            )
            .with(|o| o.shop_transport = transport),
        )
        .unwrap();
        let balance = client
            .wallet_balance(&WalletBalanceRequest::default())
            .unwrap();
        assert_eq!(balance.balance, Some(5000));
        let topup = client
            .wallet_balance(&WalletBalanceRequest::new(WalletService::Topup))
            .unwrap();
        assert_eq!(topup.balance, Some(5000));
        let requests = std::mem::take(&mut *seen.lock().unwrap());
        let (path, content_type, query, body) = &requests[0];
        assert_eq!(path, "/api/cardws");
        match transport {
            ShopTransport::Json => {
                assert!(
                    content_type.starts_with("application/json"),
                    "{content_type}"
                );
                assert!(body.contains(&format!("\"sign\":\"{sign}\"")), "{body}");
            }
            ShopTransport::Form => {
                assert!(content_type.starts_with("application/x-www-form-urlencoded"));
                assert!(
                    body.contains(&format!("sign={sign}")) && body.contains("command=getbalance"),
                    "{body}"
                );
            }
            _ => {
                assert!(
                    query.contains(&format!("sign={sign}")) && query.contains("command=getbalance"),
                    "{query}"
                );
                assert!(body.is_empty(), "{body}");
            }
        }
        let (path, content_type, _, _) = &requests[1];
        assert_eq!(path, "/api/rechargews");
        assert!(
            content_type.starts_with("application/json"),
            "the top-up service: JSON"
        );
    }
}
