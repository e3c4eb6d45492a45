//! The simulator's hold gate, which the Python suite uses to prove the GIL is released.

use std::time::Duration;

use vngate::Error;
use vngate::chargingws::{ChargingWs, ChargingWsConfig};
use vngate_sim::Sim;
use vngate_sim::sim::CHARGINGWS_S1;

fn control(sim: &Sim, path: &str, body: &str) -> serde_json::Value {
    let mut reply = ureq::post(&format!("{}/__sim/{path}", sim.url()))
        .send(body.to_owned())
        .unwrap();
    serde_json::from_str(&reply.body_mut().read_to_string().unwrap()).unwrap()
}

fn client(sim: &Sim) -> ChargingWs {
    ChargingWs::new(ChargingWsConfig::new(
        sim.url(),
        CHARGINGWS_S1.partner_id,
        CHARGINGWS_S1.partner_key,
    ))
    .unwrap()
}

#[test]
fn a_held_request_waits_for_the_release() {
    let sim = Sim::start();
    control(&sim, "hold", r#"{"timeout_ms": 5000}"#);
    let waiting = {
        let client = client(&sim);
        std::thread::spawn(move || client.fees())
    };
    while control(&sim, "stats", "")["held"] != 1 {
        std::thread::sleep(Duration::from_millis(5));
    }
    control(&sim, "release", "");
    assert_eq!(waiting.join().unwrap().unwrap().fees.len(), 36);
    assert_eq!(control(&sim, "stats", "")["held"], 0);
}

#[test]
fn an_unreleased_request_fails() {
    let sim = Sim::start();
    control(&sim, "hold", r#"{"timeout_ms": 100}"#);
    match client(&sim).fees() {
        Err(Error::BadReply {
            http_status: Some(500),
            excerpt,
            ..
        }) => assert!(excerpt.contains("nothing released it")),
        other => panic!("{other:?}"),
    }
    // One-shot: the next request passes.
    assert!(client(&sim).fees().is_ok());
}
