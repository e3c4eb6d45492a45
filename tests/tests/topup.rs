//! topup against the simulator: both digests, every outcome class, recheck, balance.

use vngate::Error;
use vngate::topup::{Digest, RecheckRequest, Topup, TopupConfig, TopupOutcome, TopupRequest};
use vngate_sim::sim::{TOPUP_BALANCE, TOPUP_SHA1, TOPUP_SHA256, TopupAccount};
use vngate_sim::{Callbacks, FaultMode, Faults, Sim, With};

fn client(sim: &Sim, account: TopupAccount, digest: Digest, timeout_ms: u64) -> Topup {
    Topup::new(
        TopupConfig::new(account.username, account.private_key).with(|o| {
            o.base_url = format!("{}/apipayment", sim.url());
            o.digest = digest;
            o.http.timeout_ms = timeout_ms;
        }),
    )
    .unwrap()
}

fn topup(phone: &str) -> TopupRequest {
    TopupRequest::new(phone, 50_000).with(|o| {
        o.gateway = Some("VTL".into());
    })
}

#[test]
fn every_outcome_class_with_both_digests() {
    let sim = Sim::start();
    sim.set_callbacks(Callbacks {
        delay_ms: 150,
        ..Callbacks::default()
    });
    for (account, digest) in [(TOPUP_SHA256, Digest::Sha256), (TOPUP_SHA1, Digest::Sha1)] {
        let client = client(&sim, account, digest, 2_000);
        // phone's last digit → (first outcome, outcome on recheck after the delay)
        for (phone, first, later) in [
            (
                "0912345671",
                TopupOutcome::Success,
                Some(TopupOutcome::Success),
            ),
            ("0912345676", TopupOutcome::Failed, None),
            ("0912345677", TopupOutcome::FailedRefundable, None),
            (
                "0912345678",
                TopupOutcome::Unknown,
                Some(TopupOutcome::Success),
            ),
            (
                "0912345679",
                TopupOutcome::Unknown,
                Some(TopupOutcome::FailedRefundable),
            ),
            (
                "0912345670",
                TopupOutcome::Unknown,
                Some(TopupOutcome::Unknown),
            ),
        ] {
            let result = client.topup(&topup(phone)).unwrap();
            assert_eq!(result.status, first, "{digest:?} {phone}");
            let client_trans_id = result.client_trans_id.clone().expect("vngate makes one");
            if let Some(later) = later {
                assert!(result.id_transaction.is_some());
                std::thread::sleep(std::time::Duration::from_millis(200));
                let by_id = client
                    .recheck(&RecheckRequest::by_id_transaction(
                        result.id_transaction.clone().unwrap(),
                    ))
                    .unwrap();
                let by_client = client
                    .recheck(&RecheckRequest::by_client_trans_id(client_trans_id))
                    .unwrap();
                assert_eq!(
                    (by_id.status, by_client.status),
                    (later, later),
                    "{digest:?} {phone}"
                );
            } else {
                assert_eq!(result.id_transaction, None, "`6;` has an empty id");
            }
        }
        let balance = client.balance().unwrap();
        assert_eq!((balance.balance, balance.code), (Some(TOPUP_BALANCE), None));
    }
}

#[test]
fn duplicates_wrong_digests_and_unknown_users() {
    let sim = Sim::start();
    let client = client(&sim, TOPUP_SHA256, Digest::Sha256, 2_000);
    let mine = topup("0912345671").with(|o| {
        o.client_trans_id = Some("order-77".into());
    });
    assert_eq!(client.topup(&mine).unwrap().status, TopupOutcome::Success);
    let again = client.topup(&mine).unwrap();
    assert_eq!(
        (again.status, again.code),
        (TopupOutcome::DuplicateClientId, -308)
    );

    let wrong_digest = self::client(&sim, TOPUP_SHA256, Digest::Sha1, 2_000);
    assert_eq!(wrong_digest.topup(&topup("0912345671")).unwrap().code, -6);
    assert_eq!(wrong_digest.balance().unwrap().code, Some(-6));
    let stranger = Topup::new(TopupConfig::new("who", "k").with(|o| {
        o.base_url = format!("{}/apipayment", sim.url());
    }))
    .unwrap();
    assert_eq!(
        stranger.topup(&topup("0912345671")).unwrap().status,
        TopupOutcome::FailedRefundable
    );
}

#[test]
fn a_recheck_that_names_no_transaction_settles_nothing() {
    use vngate::{MoneyOutcome, Outcome};
    let sim = Sim::start();
    let client = client(&sim, TOPUP_SHA256, Digest::Sha256, 2_000);
    let by_client = || RecheckRequest::by_client_trans_id("order-on-its-way");
    // Asked before the provider has the top-up (still on its way): `61;`, no transaction.
    let early = client.recheck(&by_client()).unwrap();
    assert_eq!(
        (early.status, early.code, early.id_transaction.as_deref()),
        (TopupOutcome::NotFound, 61, None)
    );
    assert_eq!(early.outcome(), Outcome::NotFound);
    assert!(!early.outcome().is_final());
    // Then it arrives and executes: the same recheck names it, and the answer is final.
    let mine = topup("0912345671").with(|o| {
        o.client_trans_id = Some("order-on-its-way".into());
    });
    assert_eq!(client.topup(&mine).unwrap().status, TopupOutcome::Success);
    let later = client.recheck(&by_client()).unwrap();
    assert_eq!(later.status, TopupOutcome::Success);
    assert!(later.id_transaction.is_some());
    // A failure about the recheck itself (a partner the provider does not know) says nothing
    // of the top-up; the same code to a top-up is its failure.
    let stranger = Topup::new(TopupConfig::new("who", "k").with(|o| {
        o.base_url = format!("{}/apipayment", sim.url());
    }))
    .unwrap();
    let refused = stranger.recheck(&by_client()).unwrap();
    assert_eq!(
        (refused.status, refused.code),
        (TopupOutcome::Unknown, -302)
    );
    assert_eq!(refused.outcome(), Outcome::Unknown);
    assert_eq!(
        stranger.topup(&topup("0912345671")).unwrap().outcome(),
        Outcome::Failed
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let sim = Sim::start();
    let client = client(&sim, TOPUP_SHA256, Digest::Sha256, 2_000);
    for (field, request) in [
        ("phone", topup("912345671")),
        ("phone", topup("09123456x1")),
        (
            "amount",
            topup("0912345671").with(|o| {
                o.amount = 15_000;
            }),
        ),
        (
            "amount",
            topup("0912345671").with(|o| {
                o.amount = -10_000;
            }),
        ),
        (
            "gateway",
            topup("0912345671").with(|o| {
                o.gateway = Some("XYZ".into());
            }),
        ),
        (
            "client_trans_id",
            topup("0912345671").with(|o| {
                o.client_trans_id = Some("a;b".into());
            }),
        ),
    ] {
        match client.topup(&request) {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(matches!(
        client.recheck(&RecheckRequest::default()),
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(sim.requests(), 0);
}

#[test]
fn a_timeout_is_an_unknown_outcome_with_the_client_id_and_no_key() {
    let sim = Sim::start();
    let client = client(&sim, TOPUP_SHA256, Digest::Sha256, 300);
    for faults in [
        Faults {
            mode: FaultMode::None,
            latency_ms: 1_000,
        },
        Faults {
            mode: FaultMode::Garbage,
            latency_ms: 0,
        },
    ] {
        sim.set_faults(faults);
        let err = client.topup(&topup("0912345671")).unwrap_err();
        match &err {
            Error::OutcomeUnknown {
                reference_field: "client_trans_id",
                reference,
                ..
            } => {
                assert!(!reference.is_empty());
                assert!(!err.to_string().contains(TOPUP_SHA256.private_key));
            }
            other => panic!("{faults:?}: {other:?}"),
        }
    }
}
