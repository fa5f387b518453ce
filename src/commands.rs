//! Runs what the command line asked for: resolves the settings, connects (to the configured API
//! or to the embedded demo server), and hands over to the dashboard or to one command.
//!
//! Every command prints its result on stdout and anything else on stderr; a failure is one
//! `error:` line (printed by `main`) and a non-zero exit status.

mod audit;
mod bulk;
mod config_file;
mod demo;
mod export;
mod flows;
mod history;
mod messages;
mod table;
mod watch;

use std::fmt;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use crate::api::{ApiError, ApiKey, Client, ClientConfig};
use crate::cli::{Cli, Verb};
use crate::config::{self, ConfigError, Settings};
use crate::dashboard::{self, DashboardSettings, HistoryPlace, host_with_port};
use crate::sim::Sim;

/// The exact words of DESIGN §4.
pub const NO_KEY: &str =
    "no API key: set FLOWDASH_API_KEY, pass --api-key, use a profile, or add --demo";

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// One line for `error: …`.
    Message(String),
    /// The `error:` lines were printed already (a command over several flows).
    Reported,
}

impl Failure {
    pub(crate) fn msg(m: impl Into<String>) -> Failure {
        Failure::Message(m.into())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Message(m) => f.write_str(m),
            Failure::Reported => f.write_str("failed"),
        }
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Message(e.to_string())
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Message(e.to_string())
    }
}

impl From<color_eyre::Report> for Failure {
    fn from(e: color_eyre::Report) -> Self {
        Failure::Message(format!("{e:#}"))
    }
}

/// Writes lines to stdout. A closed pipe (`flowdash list | head`) is not an error worth a
/// panic: the reader has what it wanted.
pub(crate) fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// A warning or a note on stderr, never mixed into what a script reads.
pub(crate) fn warn(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// The connection a command or the dashboard works through.
struct Connection {
    client: Client,
    /// The in-process demo server, kept alive for as long as the client is used.
    sim: Option<Sim>,
}

/// Runs the command line; `log_path` is where the log goes, for the dashboard's help.
pub async fn run(cli: Cli, log_path: Option<PathBuf>) -> Result<(), Failure> {
    let Cli { global, command } = cli;
    match &command {
        Some(Verb::Config(cmd)) => return config_file::run(&global, *cmd),
        Some(Verb::ServeDemo(args)) => return demo::serve(&global, args).await,
        _ => {}
    }
    if command.is_none() && !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
        return Err(Failure::msg(
            "the dashboard needs a terminal; for scripts use a command (see flowdash --help)",
        ));
    }
    let settings = config::load(&global)?;
    for w in &settings.warnings {
        warn(&format!("warning: {w}"));
    }
    // History is read from the file alone: no key, no connection.
    if let Some(Verb::History(args)) = &command {
        return history::run(&global, &settings, args);
    }
    if let Some(Verb::Audit(args)) = &command {
        return audit::run(&global, &settings, args);
    }
    let waits = if matches!(command, None | Some(Verb::Watch(_))) {
        Waits::Polls
    } else {
        Waits::Command
    };
    let conn = connect(&settings, global.demo, command.is_none(), waits).await?;
    tracing::info!(
        host = conn.client.base_url().host_str().unwrap_or_default(),
        profile = settings.profile.as_deref().unwrap_or("-"),
        demo = conn.sim.is_some(),
        "connected"
    );
    if global.verbose && command.is_some() {
        conn.client.ledger().set_verbose(true);
    }
    let result = match command {
        None => {
            let dash = DashboardSettings {
                host: host_with_port(conn.client.base_url()),
                profile: settings.profile.clone(),
                demo: conn.sim.is_some(),
                production: settings.production,
                page_size: settings.page_size,
                log_path,
                history: history_place(
                    settings.history.as_ref(),
                    global.no_history,
                    conn.sim.is_some(),
                ),
                retention_days: crate::store::DEFAULT_RETENTION_DAYS,
                alerts: settings.alerts.clone(),
                keys: settings.keys.clone(),
                key_problems: settings.key_problems.clone(),
                theme: crate::ui::theme::in_force(&settings.theme, global.color),
                columns: settings.columns.clone(),
                global: Some(global.clone()),
            };
            dashboard::run(conn.client.clone(), dash)
                .await
                .map_err(Failure::from)
        }
        Some(Verb::Messages(args)) => messages::run(&conn.client, &args).await,
        Some(Verb::Export(args)) => export::run(&conn.client, &args).await,
        Some(Verb::Watch(args)) => {
            let client = conn.client.in_lane(crate::api::Lane::Watch);
            watch::run(&client, &settings, &args).await
        }
        Some(cmd) => {
            let trail = audit::Trail::start(&settings, &conn.client, conn.sim.is_some());
            let result = flows::run(&conn.client, &settings, cmd).await;
            if let Some(trail) = trail {
                trail.finish().await;
            }
            result
        }
    };
    if let Some(sim) = conn.sim {
        sim.shutdown();
    }
    result
}

/// How a process waits for the budget every flowdash process shares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Waits {
    /// The dashboard and `watch`: polls wait as long as it takes.
    Polls,
    /// A command waits as long as it would wait for an answer, and says so.
    Command,
}

/// The configured API with its key, or the embedded demo server: with `--demo`, or for the
/// dashboard when there is no key at all. A command without a key fails.
async fn connect(
    settings: &Settings,
    demo: bool,
    dashboard: bool,
    waits: Waits,
) -> Result<Connection, Failure> {
    // With --demo the key is not needed, so no api_key_command runs (it may ask for a PIN).
    let key = if demo {
        None
    } else {
        settings.api_key().await?
    };
    let (base_url, key, sim) = match key {
        Some(key) => (settings.base_url.clone(), key, None),
        None if demo || dashboard => {
            let sim = demo::start_in_process().await?;
            (sim.base_url(), ApiKey::new(demo::DEMO_KEY), Some(sim))
        }
        None => return Err(Failure::msg(NO_KEY)),
    };
    let client = Client::new(ClientConfig {
        base_url,
        api_key: key,
        timeout: settings.timeout,
        read_only: settings.read_only,
        trust_ids: settings.trust_ids,
        budget: settings.budget,
        shared_budget: config::budget_file_path(),
        // A command waits for the shared budget as long as it would wait for an answer.
        budget_wait: (waits == Waits::Command).then_some(settings.timeout),
        in_process: None,
    })?;
    if !dashboard && let Some(w) = client.shared_budget_warning() {
        warn(&format!("warning: {w}"));
    }
    Ok(Connection { client, sim })
}

/// Where the dashboard keeps its history: the embedded demo's flows are not the operator's,
/// so its history stays in memory and never reaches the operator's file. `--no-history` turns
/// either off.
fn history_place(file: Option<&PathBuf>, off: bool, demo: bool) -> HistoryPlace {
    match file {
        _ if off => HistoryPlace::Off,
        _ if demo => HistoryPlace::Memory,
        Some(path) => HistoryPlace::File(path.clone()),
        None => HistoryPlace::Off,
    }
}

#[cfg(test)]
mod tests {
    use super::{HistoryPlace, PathBuf, history_place, host_with_port};

    #[test]
    fn the_demo_keeps_its_history_in_memory_whatever_the_settings_say() {
        let file = PathBuf::from("/home/op/.local/share/flowdash/history.sqlite3");
        assert_eq!(
            history_place(Some(&file), false, true),
            HistoryPlace::Memory
        );
        assert_eq!(history_place(None, false, true), HistoryPlace::Memory);
        assert_eq!(
            history_place(Some(&file), false, false),
            HistoryPlace::File(file.clone())
        );
        assert_eq!(history_place(None, false, false), HistoryPlace::Off);
        assert_eq!(history_place(None, true, true), HistoryPlace::Off);
    }

    #[test]
    fn the_header_host_keeps_a_port_the_url_names() {
        let url = |s: &str| url::Url::parse(s).expect("a URL");
        assert_eq!(
            host_with_port(&url("http://127.0.0.1:8787/api/")),
            "127.0.0.1:8787"
        );
        assert_eq!(
            host_with_port(&url("https://sms.sociostacks.com/api/")),
            "sms.sociostacks.com"
        );
        // The scheme's own port is not named in the URL, so not in the header.
        assert_eq!(
            host_with_port(&url("https://sms.sociostacks.com:443/api/")),
            "sms.sociostacks.com"
        );
    }
}
