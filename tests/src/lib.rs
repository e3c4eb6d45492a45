//! vngate's test tools: the generator of the committed schema and the fronts' generated code
//! ([`generate`]); the simulator is its own crate, `vngate-sim`.

pub mod generate;
