//! `flowdash watch` (DESIGN §14): headless watching. Every `--every` seconds it reads every
//! flow (1000 a page, in the polling lane of the budget every flowdash process on this machine
//! shares), records the reading in the history, runs the alert rules, prints one line per
//! alert event (`--json`: one object per line), tells people as the rules ask, and serves the
//! numbers to Prometheus at `/metrics`.
//!
//! - [`alerting`]: the rules over the flows read, keyed as the history keys flows; shared
//!   with the dashboard.
//! - [`notify`]: the bell, desktop notifications and the operator's command.
//! - [`metrics`]: the exposition and its HTTP server.
//!
//! Polls never overlap and never catch up: when the budget is short, a poll waits for it and
//! the next one starts `--every` after it began, or two seconds after it ended, whichever is
//! later. SIGINT, SIGTERM and SIGHUP stop it between two awaits: the store is flushed (at most
//! 1.5 s) and it returns.

pub mod alerting;
pub mod metrics;
pub mod notify;

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::api::error::redact;
use crate::api::{AllFlows, ApiError, Client, Refusal, ServerKind};
use crate::budget::Priority;
use crate::domain::alerts::Rule;
use crate::store::{self, Account, AlertEvent, FIRING, FlowKey, Recorder, StoreEvent};
use alerting::Watcher;
use metrics::Metrics;

/// The shortest pause between two polls, whatever `--every` says.
const MIN_GAP: Duration = Duration::from_secs(2);
/// How long the store may take to write what it holds when asked to stop.
const FLUSH_LIMIT: Duration = Duration::from_millis(1500);

/// What `flowdash watch` was asked for.
#[derive(Clone, Debug)]
pub struct Options {
    pub every: Duration,
    pub metrics: Option<SocketAddr>,
    pub json: bool,
}

/// Writes to stdout: event lines and the terminal's notifications. A closed pipe is the
/// reader's business, not a reason to stop watching.
fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
}

fn warn(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// One event as a line: local time, state, the alert's name and text.
pub fn line(e: &AlertEvent, tz: &TimeZone) -> String {
    format!(
        "{}  {:<8}  {}: {}",
        e.at.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M:%S"),
        e.state,
        e.name,
        e.text
    )
}

/// One event as a JSON object (DESIGN §14), its fields in this order.
#[derive(serde::Serialize)]
struct JsonEvent<'a> {
    time: String,
    name: &'a str,
    rule: &'a str,
    state: &'a str,
    /// The flow's id; null on the shipped build, whose ids are device ids.
    flow_id: Option<u64>,
    flow: Option<&'a str>,
    value: Option<f64>,
    text: &'a str,
}

/// One event as a JSON object: `time`, `name`, `rule`, `state`, `flow_id`, `flow`, `value`,
/// `text`.
pub fn json_line(e: &AlertEvent, tz: &TimeZone) -> String {
    let event = JsonEvent {
        time: e
            .at
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        name: &e.name,
        rule: &e.rule,
        state: &e.state,
        flow_id: match &e.flow {
            Some(FlowKey::Id(id)) => Some(*id),
            _ => None,
        },
        flow: e.flow_name.as_deref(),
        value: e.value,
        text: &e.text,
    };
    serde_json::to_string(&event).unwrap_or_default()
}

/// Why watching cannot go on: a problem no later poll can mend.
fn fatal(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::KeyMissing | ApiError::KeyRejected | ApiError::Refusal(Refusal::PollingOff)
    )
}

/// Notes said once a run.
#[derive(Default)]
struct Said {
    /// Desktop notifications were asked for with no terminal and no `notify-send`.
    no_notify_send: bool,
    /// The server is the shipped build.
    shipped: bool,
}

/// The state of one `watch` run.
struct Watch {
    client: Client,
    recorder: Recorder,
    watcher: Watcher,
    metrics: Option<Arc<Metrics>>,
    opts: Options,
    tz: TimeZone,
    /// The output is a terminal: the bell and OSC go there.
    terminal: bool,
    notify_send: Option<PathBuf>,
    said: Said,
    /// The last poll's error, said once until it changes.
    last_error: Option<String>,
}

/// Runs until a signal stops it (`Ok`) or a problem no poll can mend (`Err`, in words).
pub async fn run(
    client: Client,
    rules: Vec<Rule>,
    recorder: Recorder,
    mut store_events: UnboundedReceiver<StoreEvent>,
    opts: Options,
) -> Result<(), String> {
    let mut stop = StopSignals::new().map_err(|e| format!("cannot watch for signals: {e}"))?;
    let metrics = match opts.metrics {
        Some(addr) => Some(start_metrics(addr, client.clone()).await?),
        None => None,
    };
    let mut w = Watch {
        client,
        recorder,
        watcher: Watcher::new(rules),
        metrics,
        tz: TimeZone::system(),
        terminal: std::io::stdout().is_terminal(),
        notify_send: notify::find_notify_send(),
        said: Said::default(),
        last_error: None,
        opts,
    };
    warn(&format!(
        "watching the flows at {} every {} s ({} alert rules)",
        w.client.base_url().host_str().unwrap_or_default(),
        w.opts.every.as_secs_f64(),
        w.watcher.rules().len()
    ));
    let result = w.watch(&mut stop, &mut store_events).await;
    if tokio::time::timeout(FLUSH_LIMIT, w.recorder.flush())
        .await
        .is_err()
    {
        warn("warning: the history did not finish writing in time");
    }
    result
}

async fn start_metrics(addr: SocketAddr, client: Client) -> Result<Arc<Metrics>, String> {
    let m = Arc::new(Metrics::new().map_err(|e| format!("metrics: {e}"))?);
    m.budget_from(move || client.scheduler().snapshot().left);
    let bound = metrics::serve(addr, m.clone())
        .await
        .map_err(|e| format!("cannot serve metrics on {addr}: {e}"))?;
    if !bound.ip().is_loopback() {
        let w = format!(
            "warning: metrics are served on {bound} to whoever can reach it, without authentication"
        );
        tracing::warn!("{w}");
        warn(&w);
    }
    warn(&format!("metrics at http://{bound}/metrics"));
    Ok(m)
}

/// SIGINT, SIGTERM and SIGHUP, as one stream.
struct StopSignals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn new() -> std::io::Result<StopSignals> {
        Ok(StopSignals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
        }
    }
}

impl Watch {
    async fn watch(
        &mut self,
        stop: &mut StopSignals,
        store_events: &mut UnboundedReceiver<StoreEvent>,
    ) -> Result<(), String> {
        let mut next = Instant::now();
        loop {
            // Biased: a stop asked for is honoured before any more work starts.
            tokio::select! {
                biased;
                () = stop.recv() => return Ok(()),
                Some(e) = store_events.recv() => {
                    warn(&format!("warning: {}", redact(&e.to_string())));
                    continue;
                }
                () = tokio::time::sleep_until(next) => {}
            }
            let started = Instant::now();
            // Only the reading is given up for a stop: what follows it is quick and local, and
            // an alert written to the history must also be told.
            let read = tokio::select! {
                biased;
                () = stop.recv() => return Ok(()),
                read = self.read() => read?,
            };
            if let Some((all, by_id)) = read {
                self.after_reading(&all, by_id).await;
            }
            let gap = MIN_GAP.min(self.opts.every);
            next = (started + self.opts.every).max(Instant::now() + gap);
        }
    }

    /// Every flow, and whether they are told apart by id; `None` after a failure that a later
    /// poll may mend (said once), `Err` for one it cannot.
    async fn read(&mut self) -> Result<Option<(AllFlows, bool)>, String> {
        let result = self.client.all_flows(Priority::Poll, |_, _| {}).await;
        self.count_requests();
        let all = match result {
            Ok(all) => all,
            Err(e) if fatal(&e) => return Err(e.to_string()),
            Err(e) => {
                let msg = redact(&e.to_string()).into_owned();
                tracing::warn!(error = %msg, "reading the flows failed");
                if self.last_error.as_deref() != Some(msg.as_str()) {
                    warn(&format!("warning: reading the flows failed: {msg}"));
                }
                self.last_error = Some(msg);
                return Ok(None);
            }
        };
        if self.last_error.take().is_some() {
            warn("reading the flows works again");
        }
        let by_id = self.by_id(&all.flows).await;
        Ok(Some((all, by_id)))
    }

    /// A reading of every flow, just taken: recorded, judged, told and served.
    async fn after_reading(&mut self, all: &AllFlows, by_id: bool) {
        let at = Timestamp::now();
        let account = Account::of_flows(self.client.base_url(), &all.flows);
        let flows = &all.flows;
        self.recorder
            .record(&account, at, store::readings_of(flows, by_id));
        let events = self
            .watcher
            .reading(&self.recorder, &account, at, flows, by_id, all.steady)
            .await
            .unwrap_or_else(|w| {
                warn(&format!("warning: {w}"));
                Vec::new()
            });
        self.tell(&events);
        if let Some(m) = &self.metrics {
            // Encoding 1000 flows takes some milliseconds: off the thread that answers scrapes.
            let (m2, acct, flows, whole) = (m.clone(), account.clone(), flows.clone(), all.steady);
            let updated =
                tokio::task::spawn_blocking(move || m2.update(&acct, &flows, by_id, whole)).await;
            if let Err(e) = updated {
                tracing::error!(error = %e, "metrics not updated");
            }
            m.success(at);
            let names: Vec<String> = self
                .watcher
                .rules()
                .iter()
                .map(|r| r.name.clone())
                .collect();
            let firing = self
                .recorder
                .query(move |s| s.firing_alerts(&account))
                .await
                .and_then(Result::ok)
                .map_or(0, |f| f.iter().filter(|e| names.contains(&e.name)).count());
            m.alerts_firing(firing);
        }
        self.count_requests();
    }

    /// Whether flows are told apart by id: not on the shipped build, whose ids are device ids
    /// (said once).
    async fn by_id(&mut self, flows: &[crate::domain::Flow]) -> bool {
        let kind = self.client.identify(flows, Priority::Poll).await;
        if kind == ServerKind::Shipped && !self.said.shipped {
            self.said.shipped = true;
            warn(
                "note: this server does not identify flows reliably (its ids are device ids): alerts and metrics tell flows apart by creation time and name",
            );
        }
        kind != ServerKind::Shipped
    }

    /// Prints each event and notifies as the rules ask.
    fn tell(&mut self, events: &[AlertEvent]) {
        for e in events {
            let text = if self.opts.json {
                json_line(e, &self.tz)
            } else {
                line(e, &self.tz)
            };
            out(&format!("{}\n", redact(&text)));
            if e.state == FIRING {
                tracing::warn!(name = %e.name, text = %redact(&e.text), "alert firing");
            } else {
                tracing::info!(name = %e.name, text = %redact(&e.text), "alert resolved");
            }
        }
        for plan in notify::plan(events, self.watcher.rules(), self.terminal) {
            if !plan.terminal.is_empty() {
                out(&plan.terminal);
            }
            if plan.notify_send.is_some() && self.notify_send.is_none() && !self.said.no_notify_send
            {
                self.said.no_notify_send = true;
                warn(
                    "warning: desktop notifications need a terminal or notify-send, and neither is here",
                );
            }
            notify::run(&plan, self.notify_send.as_ref(), warn);
        }
    }

    fn count_requests(&self) {
        if let Some(m) = &self.metrics {
            m.requests(
                &self.client.answer_counts(),
                self.client.scheduler().snapshot().left,
            );
        }
    }
}
