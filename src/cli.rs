//! The command line of DESIGN §4: global options, then a command; no command opens the
//! dashboard.
//!
//! The global options are `global = true`, so `flowdash list --demo` works as well as
//! `flowdash --demo list`. Options that a profile can also set are `Option`s here: a value given
//! here (flag or environment) wins over the profile, and the built-in default comes last.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::api::PAGE_SIZES;
use crate::domain::{SegmentRef, WaitUnit};
use crate::store::{Every, Since};

#[derive(Debug, Parser)]
#[command(
    name = "flowdash",
    version,
    about = "A terminal dashboard and command line for the flows of the Sociostacks SMS API",
    long_about = "A terminal dashboard and command line for the flows of the Sociostacks SMS API.\n\n\
        With no command, opens the dashboard. With no API key configured, the dashboard runs \
        against the embedded demo server; commands need a key or --demo.",
    after_help = "Configuration: `flowdash config init` writes a commented config file with every setting, `flowdash config path` prints where it is read from, `flowdash config check` names its problems."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Verb>,
}

#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Global options")]
#[expect(
    clippy::struct_excessive_bools,
    reason = "each bool is one on/off flag of the command line"
)]
pub struct Global {
    #[arg(
        long,
        value_name = "URL",
        env = "FLOWDASH_BASE_URL",
        global = true,
        help = "API base (default https://sms.sociostacks.com/api)"
    )]
    pub base_url: Option<String>,
    /// API key (visible to other users in `ps`: prefer the env var)
    #[arg(
        long,
        value_name = "KEY",
        env = "FLOWDASH_API_KEY",
        hide_env_values = true,
        global = true
    )]
    pub api_key: Option<String>,
    /// A profile of the config file
    #[arg(long, value_name = "NAME", env = "FLOWDASH_PROFILE", global = true)]
    pub profile: Option<String>,
    /// The config file
    #[arg(long, value_name = "PATH", env = "FLOWDASH_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Use the embedded demo server
    #[arg(long, global = true)]
    pub demo: bool,
    /// Refuse every write
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Requests a minute for flowdash (default 30)
    #[arg(long, value_name = "N", env = "FLOWDASH_BUDGET", global = true)]
    pub budget: Option<u32>,
    /// Of those, kept for operator actions (default 10)
    #[arg(long, value_name = "N", global = true)]
    pub reserve: Option<u32>,
    /// Whole-request time-out (default 20)
    #[arg(long, value_name = "SECS", global = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
    #[arg(
        long,
        value_name = "PATH",
        global = true,
        help = "The history file (default $XDG_DATA_HOME/flowdash/history.sqlite3)"
    )]
    pub history: Option<PathBuf>,
    /// Keep and read no history
    #[arg(long, global = true, conflicts_with = "history")]
    pub no_history: bool,
    /// Print a line per API call on stderr (commands; the dashboard shows them on `L`)
    #[arg(long, global = true)]
    pub verbose: bool,
    #[arg(
        long,
        value_name = "WHEN",
        global = true,
        value_enum,
        default_value_t,
        help = "Colour: auto (none when NO_COLOR is set), always, never"
    )]
    pub color: crate::ui::theme::ColorChoice,
    /// The key was typed on the command line (not taken from the environment): only then is it
    /// the demo server's key for `serve-demo`.
    #[arg(skip)]
    pub api_key_on_command_line: bool,
}

#[derive(Debug, Subcommand)]
pub enum Verb {
    /// List flows as a table (25 a page unless told otherwise)
    List(ListArgs),
    /// Show every field of one flow
    Show {
        /// The flow's id
        #[arg(value_parser = flow_id)]
        id: u64,
        /// Print the API's JSON object, text cleaned
        #[arg(long)]
        json: bool,
    },
    /// Switch flows on (by id, or many with --match or --all)
    Enable {
        #[command(flatten)]
        pick: Pick,
    },
    /// Switch flows off (by id, or many with --match or --all)
    Disable {
        #[command(flatten)]
        pick: Pick,
    },
    /// Create a flow
    Create(CreateArgs),
    /// Change the given fields of a flow, and only those
    Update(UpdateArgs),
    /// Delete flows (production profiles: --confirm NAME as well)
    Delete {
        #[command(flatten)]
        pick: Pick,
        /// The flow's name, as the server has it (required by production profiles)
        #[arg(long, value_name = "NAME")]
        confirm: Option<String>,
    },
    /// List the devices (phones) and their SIMs
    Devices {
        /// Print the API's JSON objects, text cleaned
        #[arg(long)]
        json: bool,
    },
    /// List the saved segments of contacts
    Segments {
        /// Print the API's JSON objects, text cleaned
        #[arg(long)]
        json: bool,
    },
    /// Every flow with its counters, as CSV (the default) or JSON (1000 a page, paced under the
    /// budget, progress on stderr)
    Export(ExportArgs),
    /// Sent, failed and pending per interval of one flow, from the history alone (no request);
    /// without ID, every flow ranked by sent
    History(HistoryArgs),
    /// The messages (SMS) of a flow among the newest 1000 of the account, failures grouped by
    /// error; without ID, every flow's
    Messages(MessagesArgs),
    /// Watch every flow headless: record history, print alert events, serve metrics
    Watch(WatchArgs),
    /// The writes flowdash made on this machine (time, profile, flow, fields sent, result),
    /// oldest first, from the history alone (no request)
    Audit(AuditArgs),
    /// Run the demo server until interrupted (the global --api-key sets its key; default demo)
    ServeDemo(ServeDemoArgs),
    /// Configuration
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Comma-separated values with a header row of the API's field names (the default)
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// The API's JSON objects, as one array, text cleaned
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Page number, from 1
    #[arg(long, value_name = "N", conflicts_with = "all", value_parser = clap::value_parser!(u32).range(1..))]
    pub page: Option<u32>,
    /// Flows a page: 10, 25, 50, 100, 250, 500 or 1000
    #[arg(long, value_name = "N", conflicts_with = "all", value_parser = page_size)]
    pub per_page: Option<u32>,
    /// Every flow (1000 a page, paced under the budget, progress on stderr)
    #[arg(long)]
    pub all: bool,
    /// Print the API's JSON objects, text cleaned
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    /// The flow's name
    #[arg(long, value_name = "S")]
    pub name: String,
    /// The message; {{NAME}} and the like are filled in by the server
    #[arg(long, value_name = "S")]
    pub content: String,
    /// The phone that sends (see `flowdash devices`)
    #[arg(long, value_name = "N")]
    pub device_id: u64,
    /// The SIM of that phone that sends (see `flowdash devices`)
    #[arg(long, value_name = "N")]
    pub sim_subscription_id: u64,
    /// Wait before sending (default 1)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub wait_time: u32,
    /// minutes, hours or days (default days)
    #[arg(long, value_name = "T", value_parser = wait_unit, default_value = "days")]
    pub wait_time_type: WaitUnit,
    /// all, or a segment id
    #[arg(long, value_name = "all|ID", value_parser = segment, default_value = "all")]
    pub segment: SegmentRef,
    /// Create the flow switched on (new flows start switched off)
    #[arg(long)]
    pub enabled: bool,
    /// Switched off, as every new flow starts (accepted for older scripts)
    #[arg(long, conflicts_with = "enabled")]
    pub disabled: bool,
    /// Print the server's JSON object, text cleaned
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    /// The flow's id
    #[arg(value_parser = flow_id)]
    pub id: u64,
    /// A new name
    #[arg(long, value_name = "S")]
    pub name: Option<String>,
    /// A new message; {{NAME}} and the like are filled in by the server
    #[arg(long, value_name = "S")]
    pub content: Option<String>,
    /// Another phone (see `flowdash devices`)
    #[arg(long, value_name = "N")]
    pub device_id: Option<u64>,
    /// Another SIM (see `flowdash devices`)
    #[arg(long, value_name = "N")]
    pub sim_subscription_id: Option<u64>,
    /// A new wait before sending
    #[arg(long, value_name = "N")]
    pub wait_time: Option<u32>,
    /// minutes, hours or days
    #[arg(long, value_name = "T", value_parser = wait_unit)]
    pub wait_time_type: Option<WaitUnit>,
    /// all, or a segment id
    #[arg(long, value_name = "all|ID", value_parser = segment)]
    pub segment: Option<SegmentRef>,
    /// Switch the flow on
    #[arg(long, conflicts_with = "disabled")]
    pub enabled: bool,
    /// Switch the flow off
    #[arg(long)]
    pub disabled: bool,
    /// Print the server's JSON object, text cleaned
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// The flow; without it, every flow ranked by sent
    #[arg(value_parser = flow_id)]
    pub id: Option<u64>,
    /// Time ago (90m, 24h, 7d) or a date (2026-11-01, from local midnight)
    #[arg(long, value_name = "D", value_parser = Since::parse, default_value = "24h")]
    pub since: Since,
    /// Interval: 5m, 15m, 1h, 6h, 1d, ... (default by the range: 5m up to 2 h, 1h up to 3 d, else 1d)
    #[arg(long, value_name = "D", value_parser = Every::parse)]
    pub every: Option<Every>,
    /// Comma-separated values, times in RFC 3339 with the local offset
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// A JSON array, times in RFC 3339 with the local offset
    #[arg(long)]
    pub json: bool,
}

/// The flows a switch or a delete acts on: ids, or every flow whose name matches, or all.
#[derive(Debug, Clone, Args)]
pub struct Pick {
    /// The flows' ids
    #[arg(value_parser = flow_id, value_name = "ID",
          required_unless_present_any = ["matching", "all"])]
    pub ids: Vec<u64>,
    /// Every flow whose name contains TEXT (case-insensitive), over every page
    #[arg(long = "match", value_name = "TEXT", conflicts_with_all = ["ids", "all"])]
    pub matching: Option<String>,
    /// Every flow of the account
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
    /// Print the plan and its cost, send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Go ahead: needed for a delete, and for more than one flow chosen by --match or --all
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Time ago (90m, 24h, 7d) or a date (2026-11-01, from local midnight)
    #[arg(long, value_name = "D", value_parser = Since::parse, default_value = "7d")]
    pub since: Since,
    /// One JSON array, times in RFC 3339 with the local offset
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFilter {
    Sent,
    Pending,
    Failed,
}

#[derive(Debug, Clone, Args)]
pub struct MessagesArgs {
    /// The flow's id (none: every flow)
    #[arg(value_parser = flow_id)]
    pub id: Option<u64>,
    /// Only messages with this status
    #[arg(long, value_enum)]
    pub status: Option<StatusFilter>,
    /// Messages shown at most, newest first
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    /// Print the API's JSON objects, text cleaned
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Seconds between two readings of every flow (the budget may make it slower)
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = every_secs)]
    pub every: std::time::Duration,
    #[arg(
        long,
        value_name = "ADDR",
        value_parser = crate::watch::metrics::parse_addr,
        help = "Serve Prometheus metrics at http://ADDR/metrics (a port alone: on 127.0.0.1)"
    )]
    pub metrics: Option<std::net::SocketAddr>,
    /// One JSON object per alert event and line
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ServeDemoArgs {
    /// Port on 127.0.0.1 (0: any free port)
    #[arg(long, value_name = "N", default_value_t = 8787)]
    pub port: u16,
    /// Behave like the shipped build, every quirk included
    #[arg(long)]
    pub quirks: bool,
    /// Flows to seed
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub flows: usize,
    /// Seed of the demo data and the traffic
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Requests per 60 s window per key
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub rate_limit: u32,
    /// Added to every answer
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Speed of the traffic engine
    #[arg(long, value_name = "N", default_value_t = 1.0)]
    pub pace: f64,
    /// Append one JSON line per request to FILE (never the key)
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// List SMS oldest first, as some accounts do (default: newest first)
    #[arg(long)]
    pub sms_oldest_first: bool,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum ConfigCommand {
    /// Print the path of the config file
    Path,
    /// Read the config file and report every problem (exit status 1 when there is one)
    Check,
    /// Write a commented config file with every setting and its default, then print its path
    /// (never overwrites)
    Init,
}

fn flow_id(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) | Err(_) => Err(format!("`{s}` is not a flow id (a whole number from 1)")),
        Ok(n) => Ok(n),
    }
}

/// Seconds, from 1 (debug builds take fractions down to 0.05, for tests that must be quick).
fn every_secs(s: &str) -> Result<std::time::Duration, String> {
    let least = if cfg!(debug_assertions) { 0.05 } else { 1.0 };
    match s.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= least && n <= 86_400.0 => {
            Ok(std::time::Duration::from_secs_f64(n))
        }
        _ => Err(format!("`{s}` is not a number of seconds from 1 to 86400")),
    }
}

fn page_size(s: &str) -> Result<u32, String> {
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| PAGE_SIZES.contains(n))
        .ok_or_else(|| format!("`{s}` is not one of 10, 25, 50, 100, 250, 500, 1000"))
}

fn wait_unit(s: &str) -> Result<WaitUnit, String> {
    WaitUnit::parse(s).ok_or_else(|| format!("`{s}` is not minutes, hours or days"))
}

fn segment(s: &str) -> Result<SegmentRef, String> {
    match SegmentRef::parse(s) {
        Some(SegmentRef::Saved(0)) | None => Err(format!("`{s}` is not `all` or a segment id")),
        Some(seg) => Ok(seg),
    }
}

impl Cli {
    /// Parses the process's arguments; exits with clap's message and status 2 on a usage error.
    pub fn parse_args() -> Cli {
        Cli::parse_from_iter(std::env::args_os())
    }

    /// Parses `args` (the first is the program name) the way [`Cli::parse_args`] does.
    pub fn parse_from_iter<I, T>(args: I) -> Cli
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = match Cli::command().try_get_matches_from(args) {
            Ok(m) => m,
            Err(e) => usage_error(&e),
        };
        let mut cli = match Cli::from_arg_matches(&matches) {
            Ok(cli) => cli,
            Err(e) => e.exit(),
        };
        cli.global.api_key_on_command_line = key_source(&matches) == Some(ValueSource::CommandLine);
        cli
    }
}

/// Prints clap's message and exits as clap would, but with a usage line that names only what
/// was typed: clap lists the options that came from the environment too, and a usage line
/// showing `--api-key <KEY>` nudges people toward the flag that other users can see in `ps`.
fn usage_error(e: &clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    eprint!("{}", plain_usage(&e.render().to_string()));
    std::process::exit(e.exit_code());
}

/// clap's message with the globals taken from the environment left out of its usage line.
fn plain_usage(message: &str) -> String {
    const FROM_ENV: [&str; 5] = [
        " --api-key <KEY>",
        " --base-url <URL>",
        " --profile <NAME>",
        " --config <PATH>",
        " --budget <N>",
    ];
    message
        .lines()
        .map(|line| {
            if line.starts_with("Usage:") {
                FROM_ENV
                    .iter()
                    .fold(line.to_owned(), |l, opt| l.replace(opt, ""))
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Where `--api-key` came from; global options are recorded where they were typed, so the
/// subcommand's matches are looked at too.
fn key_source(matches: &clap::ArgMatches) -> Option<ValueSource> {
    let own = matches.value_source("api_key");
    if own == Some(ValueSource::CommandLine) {
        return own;
    }
    match matches.subcommand() {
        Some((_, sub)) => key_source(sub).or(own),
        None => own,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        let matches = Cli::command().try_get_matches_from(args)?;
        Cli::from_arg_matches(&matches)
    }

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_before_or_after_the_command() {
        let cli = parse(&["flowdash", "list", "--demo", "--per-page", "50"]).unwrap();
        assert!(cli.global.demo);
        let Some(Verb::List(l)) = cli.command else {
            panic!("not list")
        };
        assert_eq!(l.per_page, Some(50));
        assert!(
            parse(&["flowdash", "--read-only", "show", "12"])
                .unwrap()
                .global
                .read_only
        );
    }

    #[test]
    fn values_are_checked_before_anything_is_sent() {
        assert!(parse(&["flowdash", "list", "--per-page", "30"]).is_err());
        assert!(parse(&["flowdash", "list", "--all", "--page", "2"]).is_err());
        assert!(parse(&["flowdash", "show", "0"]).is_err());
        assert!(parse(&["flowdash", "update", "3", "--enabled", "--disabled"]).is_err());
        assert!(parse(&["flowdash", "enable"]).is_err());
        let cli = parse(&[
            "flowdash",
            "update",
            "3",
            "--segment",
            "7",
            "--wait-time-type",
            "hours",
        ])
        .unwrap();
        let Some(Verb::Update(u)) = cli.command else {
            panic!("not update")
        };
        assert_eq!(u.segment, Some(SegmentRef::Saved(7)));
        assert_eq!(u.wait_time_type, Some(WaitUnit::Hours));
    }

    #[test]
    fn usage_lines_do_not_show_the_key_flag() {
        let err = parse(&["flowdash", "--api-key", "k", "delete"]).unwrap_err();
        let text = plain_usage(&err.render().to_string());
        let usage = text.lines().find(|l| l.starts_with("Usage:")).unwrap();
        assert_eq!(usage, "Usage: flowdash delete <ID>...");
    }

    #[test]
    fn help_keeps_the_commands_options_apart_from_the_global_ones() {
        let help = parse(&["flowdash", "list", "--help"])
            .unwrap_err()
            .render()
            .to_string();
        let global = help.find("Global options:").unwrap();
        assert!(help.find("--per-page").unwrap() < global, "{help}");
        assert!(help.find("--api-key").unwrap() > global, "{help}");
    }

    #[test]
    fn every_argument_says_what_it_is() {
        fn check(cmd: &clap::Command, path: &str) {
            for arg in cmd.get_arguments() {
                if arg.is_hide_set() || ["help", "version"].contains(&arg.get_id().as_str()) {
                    continue;
                }
                assert!(
                    arg.get_help().is_some(),
                    "`{path} {}` has no description",
                    arg.get_id()
                );
            }
            for sub in cmd.get_subcommands() {
                check(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        check(&Cli::command(), "flowdash");
    }

    #[test]
    fn history_takes_a_range_an_interval_and_one_format() {
        let cli = parse(&[
            "flowdash", "history", "12", "--since", "7d", "--every", "1h",
        ])
        .unwrap();
        let Some(Verb::History(h)) = cli.command else {
            panic!("not history")
        };
        assert_eq!(h.id, Some(12));
        assert_eq!(h.every, Some(Every::Hours(1)));
        assert!(parse(&["flowdash", "history", "--csv", "--json"]).is_err());
        assert!(parse(&["flowdash", "history", "--every", "7m"]).is_err());
        assert!(parse(&["flowdash", "history", "--since", "soon"]).is_err());
        assert!(parse(&["flowdash", "--history", "h.db", "--no-history", "list"]).is_err());
        let cli = parse(&["flowdash", "list", "--history", "/tmp/h.sqlite3"]).unwrap();
        assert_eq!(cli.global.history, Some(PathBuf::from("/tmp/h.sqlite3")));
    }

    #[test]
    fn serve_demo_takes_the_key_only_from_the_command_line() {
        let cli = Cli::parse_from_iter(["flowdash", "serve-demo", "--api-key", "k", "--port", "0"]);
        assert!(cli.global.api_key_on_command_line);
        let cli = Cli::parse_from_iter(["flowdash", "serve-demo"]);
        assert!(!cli.global.api_key_on_command_line);
    }
}
