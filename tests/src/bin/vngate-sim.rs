//! Runs the provider simulator until killed. Prints `vngate-sim listening on http://…` first, so
//! a test harness can read the port.

use std::io::Write;

fn main() {
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().filter(|_| arg == "--port").unwrap_or_else(|| {
            eprintln!("usage: vngate-sim [--port N]");
            std::process::exit(2);
        });
        port = value.parse().unwrap_or_else(|_| {
            eprintln!("vngate-sim: --port takes a number");
            std::process::exit(2);
        });
    }
    let sim = match vngate_sim::Sim::start_on(port) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("vngate-sim: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("vngate-sim listening on {}", sim.url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
