//! The embedded demo server: started in-process for `--demo` (and the key-less dashboard), or on
//! its own with `serve-demo` until interrupted.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::{Failure, say, warn};
use crate::cli::{Global, ServeDemoArgs};
use crate::sim::{Sim, SimConfig};

/// The key the demo server accepts unless told otherwise. Not a secret.
pub const DEMO_KEY: &str = "demo";

/// The demo server on a free loopback port, with moving counters.
pub async fn start_in_process() -> Result<Sim, Failure> {
    let cfg = SimConfig {
        api_key: DEMO_KEY.to_owned(),
        traffic: true,
        ..SimConfig::default()
    };
    Sim::start(cfg, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .map_err(|e| Failure::msg(format!("could not start the demo server: {e}")))
}

/// `serve-demo`: prints `listening on URL` first, then serves until SIGINT or SIGTERM.
pub async fn serve(global: &Global, args: &ServeDemoArgs) -> Result<(), Failure> {
    // Only a key typed here is the demo server's key: FLOWDASH_API_KEY is the operator's real
    // key, which a demo server has no business accepting.
    let typed = global
        .api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| global.api_key_on_command_line && !k.is_empty());
    let key = typed.unwrap_or(DEMO_KEY).to_owned();
    if !(args.pace.is_finite() && args.pace >= 0.0) {
        return Err(Failure::msg(format!(
            "--pace {} is not a speed (use 0 or more, 1.0 is real time)",
            args.pace
        )));
    }
    let cfg = SimConfig {
        api_key: key,
        quirks: args.quirks,
        flows: args.flows,
        seed: args.seed,
        rate_limit: args.rate_limit,
        latency: Duration::from_millis(args.latency_ms),
        pace: args.pace,
        traffic: true,
        log_path: args.log.clone(),
        sms_oldest_first: args.sms_oldest_first,
    };
    let sim = Sim::start(cfg, SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
        .await
        .map_err(|e| {
            Failure::msg(format!(
                "the demo server cannot listen on 127.0.0.1:{}: {e}",
                args.port
            ))
        })?;
    // The first line, flushed at once: scripts and tests read the port from it.
    say(&format!("listening on {}", sim.base_url()));
    let _ = std::io::stdout().flush();
    let key_hint = if typed.is_some() {
        "the key given with --api-key"
    } else {
        DEMO_KEY
    };
    warn(&format!(
        "demo server{} · key: {key_hint} · try: FLOWDASH_BASE_URL={} FLOWDASH_API_KEY={} flowdash list · Ctrl-C stops it",
        if args.quirks {
            " (quirks of the shipped build)"
        } else {
            ""
        },
        sim.base_url(),
        if typed.is_some() { "…" } else { DEMO_KEY },
    ));
    tracing::info!(addr = %sim.addr(), quirks = args.quirks, "demo server listening");
    wait_for_stop().await?;
    tracing::info!("demo server stopping");
    sim.shutdown();
    Ok(())
}

#[cfg(unix)]
async fn wait_for_stop() -> Result<(), Failure> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())
        .map_err(|e| Failure::msg(format!("cannot listen for SIGTERM: {e}")))?;
    let mut hangup = signal(SignalKind::hangup())
        .map_err(|e| Failure::msg(format!("cannot listen for SIGHUP: {e}")))?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.map_err(|e| Failure::msg(format!("cannot listen for Ctrl-C: {e}"))),
        _ = term.recv() => Ok(()),
        _ = hangup.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_stop() -> Result<(), Failure> {
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Failure::msg(format!("cannot listen for Ctrl-C: {e}")))
}
