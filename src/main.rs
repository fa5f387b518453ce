//! flowdash: parse the command line, set up error reports and the log file, then run the
//! dashboard or a command (see `flowdash::commands`).

use std::io::Write as _;
use std::process::ExitCode;

use flowdash::cli::Cli;
use flowdash::commands::{self, Failure};

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    if let Err(e) = color_eyre::install() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let (log_path, _log_guard) = flowdash::logging::init();
    // One thread: the dashboard's work is waiting, not computing, and one thread means one
    // allocator arena instead of one a thread, which keeps resident memory low.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(commands::run(cli, log_path));
    // Background tasks (the demo server) end with the runtime, without waiting for them.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Reported) => ExitCode::FAILURE,
        Err(Failure::Message(m)) => {
            // The last net before stderr: a message built from outside text is redacted too.
            let m = flowdash::api::error::redact(&m);
            tracing::warn!(error = %m, "command failed");
            // Not `eprintln!`: it panics when stderr is gone (the terminal hung up).
            let _ = writeln!(std::io::stderr(), "error: {m}");
            ExitCode::FAILURE
        }
    }
}
