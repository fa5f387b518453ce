//! Metrics for Prometheus (DESIGN §14): the text format 0.0.4 at `/metrics`, written by the
//! `prometheus` crate's `TextEncoder`, which `promtool check metrics` lints clean.
//!
//! Per flow, labelled `account` and `flow_id`: `flowdash_flow_sms_sent_total` and
//! `flowdash_flow_sms_failed_total`, `flowdash_flow_sms_pending`, `flowdash_flow_enabled`, and
//! the name once, in `flowdash_flow_info{account,flow_id,flow} 1`. The `_total` series equal the
//! server's counters while those only rise; when one falls (drift, CONTRACT §12 item 23) the
//! series holds, then adds only the rises, so `rate()` sees no false spike. The series of a
//! flow gone from a list read whole are dropped.
//!
//! Nothing here holds the key: labels are the account (base URL without credentials, and the
//! user id) and the flows' ids and cleaned names.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use prometheus::{Encoder as _, Gauge, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

use crate::api::error::redact;
use crate::domain::Flow;
use crate::store::{Account, FlowKey};

/// The `flow_id` label: the id, or on the shipped build (whose ids are device ids) the
/// creation time and name, as the history keys the flow.
pub fn flow_label(key: &FlowKey) -> String {
    match key {
        FlowKey::Id(id) => id.to_string(),
        other @ FlowKey::Created { .. } => other.to_text(),
    }
}

/// How much a `_total` series grows from a reading of `last` to one of `now`: the whole
/// counter the first time, then only rises. A fall adds nothing and becomes the new base.
pub fn rise(last: Option<i64>, now: i64) -> u64 {
    match last {
        None => now.max(0) as u64,
        Some(last) if now > last => (now - last) as u64,
        Some(_) => 0,
    }
}

/// What was last seen of one flow's series.
#[derive(Default)]
struct Seen {
    sent: Option<i64>,
    failed: Option<i64>,
    name: String,
}

/// The families and what was last seen of each flow.
///
/// The flows' families change only with a reading, so they are encoded once a reading (at
/// most once a poll) and a scrape only copies that text; the few families of the process
/// itself are encoded at each scrape, the budget left read then.
pub struct Metrics {
    /// The flows' families.
    registry: Registry,
    /// The process's own: requests, budget, last success, alerts.
    process: Registry,
    /// The flows' families as text, as of the last reading.
    flows_text: Mutex<Arc<str>>,
    /// Reads the budget left at each scrape.
    budget_left: Mutex<Option<Box<dyn Fn() -> u32 + Send>>>,
    sent: IntCounterVec,
    failed: IntCounterVec,
    pending: IntGaugeVec,
    enabled: IntGaugeVec,
    info: IntGaugeVec,
    requests: IntCounterVec,
    budget: IntGauge,
    last_success: Gauge,
    alerts: IntGauge,
    /// By account label and flow label.
    flows: Mutex<HashMap<(String, String), Seen>>,
    /// Requests counted so far, by status, to add only what is new.
    answers: Mutex<BTreeMap<String, u64>>,
}

fn counter(name: &str, help: &str, labels: &[&str]) -> Result<IntCounterVec, prometheus::Error> {
    IntCounterVec::new(Opts::new(name, help), labels)
}

fn gauge(name: &str, help: &str, labels: &[&str]) -> Result<IntGaugeVec, prometheus::Error> {
    IntGaugeVec::new(Opts::new(name, help), labels)
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let flow = ["account", "flow_id"];
        let m = Metrics {
            registry: Registry::new(),
            process: Registry::new(),
            flows_text: Mutex::new(Arc::from("")),
            budget_left: Mutex::new(None),
            sent: counter(
                "flowdash_flow_sms_sent_total",
                "SMS sent by the flow: the server's counter while it rises; a fall is held, then only rises are added.",
                &flow,
            )?,
            failed: counter(
                "flowdash_flow_sms_failed_total",
                "SMS of the flow that failed: the server's counter while it rises; a fall is held, then only rises are added.",
                &flow,
            )?,
            pending: gauge(
                "flowdash_flow_sms_pending",
                "SMS of the flow scheduled and not yet sent.",
                &flow,
            )?,
            enabled: gauge(
                "flowdash_flow_enabled",
                "1 when the flow is switched on, 0 when off.",
                &flow,
            )?,
            info: gauge(
                "flowdash_flow_info",
                "The flow's name, as a label; always 1.",
                &["account", "flow_id", "flow"],
            )?,
            requests: counter(
                "flowdash_api_requests_total",
                "Requests flowdash sent to the API, by the answer's status (error: no answer).",
                &["status"],
            )?,
            budget: IntGauge::new(
                "flowdash_budget_remaining",
                "Requests left of flowdash's budget in the current sliding minute.",
            )?,
            last_success: Gauge::new(
                "flowdash_last_success_timestamp_seconds",
                "When the flows were last read in full, in seconds since the epoch.",
            )?,
            alerts: IntGauge::new(
                "flowdash_alerts_firing",
                "Alerts firing now for this account.",
            )?,
            flows: Mutex::new(HashMap::new()),
            answers: Mutex::new(BTreeMap::new()),
        };
        let r = &m.registry;
        r.register(Box::new(m.sent.clone()))?;
        r.register(Box::new(m.failed.clone()))?;
        r.register(Box::new(m.pending.clone()))?;
        r.register(Box::new(m.enabled.clone()))?;
        r.register(Box::new(m.info.clone()))?;
        let r = &m.process;
        r.register(Box::new(m.requests.clone()))?;
        r.register(Box::new(m.budget.clone()))?;
        r.register(Box::new(m.last_success.clone()))?;
        r.register(Box::new(m.alerts.clone()))?;
        Ok(m)
    }

    /// One reading of `flows`; with `whole` (the list was read whole), the series of flows
    /// not among them are dropped.
    pub fn update(&self, account: &Account, flows: &[Flow], by_id: bool, whole: bool) {
        let acct = redact(&account.to_string()).into_owned();
        let mut seen = self.flows.lock().unwrap_or_else(PoisonError::into_inner);
        let mut present = std::collections::HashSet::new();
        for f in flows {
            let id = flow_label(&FlowKey::of(f, by_id));
            let labels = [acct.as_str(), id.as_str()];
            let name = redact(&f.name).into_owned();
            let entry = seen.entry((acct.clone(), id.clone())).or_default();
            if let Some(sent) = f.sent {
                self.sent
                    .with_label_values(&labels)
                    .inc_by(rise(entry.sent, sent));
                entry.sent = Some(sent);
            }
            if let Some(failed) = f.failed {
                self.failed
                    .with_label_values(&labels)
                    .inc_by(rise(entry.failed, failed));
                entry.failed = Some(failed);
            }
            if let Some(p) = f.pending {
                self.pending.with_label_values(&labels).set(p);
            }
            self.enabled
                .with_label_values(&labels)
                .set(i64::from(f.enabled));
            if entry.name != name {
                let _ = self.info.remove_label_values(&[
                    acct.as_str(),
                    id.as_str(),
                    entry.name.as_str(),
                ]);
                entry.name = name;
            }
            self.info
                .with_label_values(&[acct.as_str(), id.as_str(), entry.name.as_str()])
                .set(1);
            present.insert(id);
        }
        if whole {
            seen.retain(|(a, id), s| {
                let keep = *a != acct || present.contains(id);
                if !keep {
                    self.drop_flow(a, id, &s.name);
                }
                keep
            });
        }
        drop(seen);
        let text = encode(&self.registry);
        *self
            .flows_text
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Arc::from(text);
    }

    /// Where the budget left is read at each scrape.
    pub fn budget_from(&self, read: impl Fn() -> u32 + Send + 'static) {
        *self
            .budget_left
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Box::new(read));
    }

    fn drop_flow(&self, acct: &str, id: &str, name: &str) {
        let labels = [acct, id];
        // A series that was never made (no counter sent) is not there to remove.
        let _ = self.sent.remove_label_values(&labels);
        let _ = self.failed.remove_label_values(&labels);
        let _ = self.pending.remove_label_values(&labels);
        let _ = self.enabled.remove_label_values(&labels);
        let _ = self.info.remove_label_values(&[acct, id, name]);
    }

    /// The client's requests by status, and the budget left.
    pub fn requests(&self, counts: &[(String, u64)], budget_left: u32) {
        let mut known = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        for (status, n) in counts {
            let before = known.insert(status.clone(), *n).unwrap_or(0);
            self.requests
                .with_label_values(&[status.as_str()])
                .inc_by(n.saturating_sub(before));
        }
        self.budget.set(i64::from(budget_left));
    }

    /// The flows were read in full at `at`.
    pub fn success(&self, at: jiff::Timestamp) {
        self.last_success.set(at.as_millisecond() as f64 / 1000.0);
    }

    pub fn alerts_firing(&self, n: usize) {
        self.alerts.set(n as i64);
    }

    /// The exposition, in the text format 0.0.4: the flows' families as of the last reading,
    /// then the process's own as of now.
    pub fn encode(&self) -> String {
        if let Some(read) = self
            .budget_left
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            self.budget.set(i64::from(read()));
        }
        let flows = self
            .flows_text
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let process = encode(&self.process);
        let mut out = String::with_capacity(flows.len() + process.len());
        out.push_str(&flows);
        out.push_str(&process);
        out
    }
}

/// One registry as text. Labels hold no key (they are built from cleaned names and a base URL
/// without credentials); the redaction is the last net, as for every text that leaves.
fn encode(registry: &Registry) -> String {
    let mut out = Vec::new();
    if let Err(e) = prometheus::TextEncoder::new().encode(&registry.gather(), &mut out) {
        tracing::error!(error = %e, "metrics not encoded");
    }
    redact(&String::from_utf8_lossy(&out)).into_owned()
}

/// Serves `/metrics` on `addr` until the runtime ends; the address it listens on.
pub async fn serve(addr: SocketAddr, metrics: Arc<Metrics>) -> std::io::Result<SocketAddr> {
    use axum::http::header::CONTENT_TYPE;
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move { ([(CONTENT_TYPE, prometheus::TEXT_FORMAT)], metrics.encode()) }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics server stopped");
        }
    });
    Ok(bound)
}

/// `127.0.0.1:9464`, `[::1]:9464`, or a port alone (on loopback).
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    let t = text.trim();
    if let Ok(port) = t.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    t.parse().map_err(|_| {
        format!("`{t}` is not an address to serve metrics on: use 127.0.0.1:9464, or a port alone")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_that_falls_holds_and_then_adds_only_rises() {
        // The server: 100, 120, then drift down to 30, then 35.
        let mut total = 0;
        let mut last = None;
        for now in [100, 120, 30, 35] {
            total += rise(last, now);
            last = Some(now);
        }
        assert_eq!(total, 125);
        assert_eq!(rise(None, -4), 0);
    }

    #[test]
    fn addresses_default_to_loopback() {
        assert_eq!(parse_addr("9464").unwrap().to_string(), "127.0.0.1:9464");
        assert_eq!(parse_addr("[::1]:80").unwrap().to_string(), "[::1]:80");
        assert!(parse_addr("localhost:x").is_err());
    }
}
