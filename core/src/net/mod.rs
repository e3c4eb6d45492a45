//! The network: everything between a provider module's request and the bytes of its reply, in
//! one place. [`http`] is the one door the providers use (a `Call` of the registry's
//! operation, sent once, its failure sorted into "not sent" or "outcome unknown"); beneath it
//! [`exchange`] (one HTTP/1.1 request and its reply, and the idle connections between them),
//! [`transport`] (vngate's TCP transport under ureq's proxy and TLS layers), [`resolve`] (the
//! process-wide DNS cache) and [`interrupt`] (stopping a blocking call from its own thread).

pub(crate) mod exchange;
pub(crate) mod http;
pub mod interrupt;
pub(crate) mod resolve;
pub(crate) mod transport;
