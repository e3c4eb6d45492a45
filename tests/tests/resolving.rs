//! The registry's resolving calls, as a journal or a reconciler uses them: for every
//! money-moving operation, the input built from the request (and its answer) is one the
//! resolving operation takes, and its answer says where the money stands, the same as the
//! call's own answer once settled.

use vngate::Outcome;
use vngate::api::Client;
use vngate::registry;
use vngate_sim::Sim;

#[test]
fn every_resolving_call_takes_its_input_from_the_request_and_answers_an_outcome() {
    let sim = Sim::start();
    // Every money-moving operation with a resolving call, with its declared example and a
    // new reference (topup's is left out: vngate makes it).
    let cases = registry::OPERATIONS
        .iter()
        .filter(|op| op.money.is_some_and(|m| m.resolved_by.is_some()))
        .map(|op| {
            let mut request: serde_json::Value =
                serde_json::from_str(op.example.expect("an example")).unwrap();
            let money = op.money.unwrap();
            if money.made_if_missing {
                request
                    .as_object_mut()
                    .unwrap()
                    .remove(money.reference_field);
            } else {
                request[money.reference_field] = vngate::new_request_id().into();
            }
            (
                op.provider,
                sim.client_config(op.provider),
                op.name,
                request,
            )
        });
    let mut covered = 0;
    for (provider, config, operation, request) in cases {
        let client = Client::new(provider, &config.to_string()).unwrap();
        let op = registry::find(provider, operation).unwrap();
        let money = op.money.unwrap();
        // The reference first, as a journal does before anything is sent.
        let request = client.prepare(operation, &request.to_string()).request_json;
        let answer = client.call_answer(operation, &request).unwrap();
        assert!(
            answer.outcome.is_some(),
            "{provider} {operation}: no outcome"
        );
        let input = money
            .resolving_input(&request, Some(&answer.json))
            .unwrap_or_else(|| panic!("{provider} {operation}: no resolving input"));
        let resolving_op = money.resolved_by.unwrap();
        let resolved = client
            .call_answer(resolving_op, &input)
            .unwrap_or_else(|e| panic!("{provider} {resolving_op} {input}: {e}"));
        let outcome = resolved
            .outcome
            .expect("a resolving call answers an outcome");
        assert_ne!(
            outcome,
            Outcome::NotFound,
            "{provider} {resolving_op} {input}"
        );
        if answer.outcome.is_some_and(Outcome::is_final) {
            assert_eq!(Some(outcome), answer.outcome, "{provider} {operation}");
        }
        covered += 1;
    }
    // The eight there are today (a new one only adds): the filter above found them.
    assert!(
        covered >= 8,
        "{covered} money-moving operations with a resolving call"
    );
    // OpenCard has none: its webhook settles it.
    assert!(
        registry::find("opencard", "charge")
            .and_then(|op| op.money)
            .is_some_and(|m| m.resolved_by.is_none() && m.resolving_input("{}", None).is_none())
    );
}
