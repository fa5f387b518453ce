//! The rules over the flows flowdash reads: the readings of a list become samples of each
//! flow, keyed as the history keys them, and the judgements become the events the history
//! settles. `watch` and the dashboard hold one [`Watcher`] each; what fires is decided in the
//! store ([`crate::store::Store::settle_alerts`]), so the two never fire an alert twice.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;

use crate::domain::alerts::{Alerting, FlowFacts, Judgement, Rule, Sample};
use crate::domain::{Flow, WaitUnit};
use crate::store::Account;
use crate::store::{AlertEvent, FIRING, FlowKey, Judged, RESOLVED, Reading, Recorder};

/// How far back this machine's switch-offs are read for `switched_off`.
pub const AUDIT_LOOKBACK: SignedDuration = SignedDuration::from_hours(48);

/// A flow's own wait, when the server says and it is positive.
pub fn wait_of(flow: &Flow) -> Option<SignedDuration> {
    let n = flow.wait_time.filter(|&n| n > 0)?;
    let unit = match flow.wait_unit? {
        WaitUnit::Minutes => 60,
        WaitUnit::Hours => 3600,
        WaitUnit::Days => 86_400,
    };
    Some(SignedDuration::from_secs(n.checked_mul(unit)?))
}

fn facts(key: &FlowKey, name: &str, wait: Option<SignedDuration>) -> FlowFacts {
    FlowFacts {
        id: match key {
            FlowKey::Id(id) => Some(*id),
            FlowKey::Created { .. } => None,
        },
        name: name.to_owned(),
        wait,
    }
}

/// How far back the events of the dashboard's `!` go.
pub const RECENT: SignedDuration = SignedDuration::from_hours(24);

/// The alert rules and what the readings of each flow have shown.
pub struct Watcher {
    alerting: Alerting<FlowKey>,
    /// The rules' memory was read from the history.
    seeded: bool,
}

impl Watcher {
    pub fn new(rules: Vec<Rule>) -> Watcher {
        Watcher {
            alerting: Alerting::new(rules),
            seeded: false,
        }
    }

    /// One reading of `flows` at `at`, through the rules and the history: the first time, the
    /// rules' memory is read from the history; then the reading is observed, judged with this
    /// machine's switch-offs, and settled. Returns the alert events this process wrote (the
    /// ones to tell), or a warning in words.
    pub async fn reading(
        &mut self,
        recorder: &Recorder,
        account: &Account,
        at: Timestamp,
        flows: &[Flow],
        by_id: bool,
        whole: bool,
    ) -> Result<Vec<AlertEvent>, String> {
        if !self.seeded {
            self.seeded = true;
            let since = at - self.lookback();
            let acct = account.clone();
            match recorder
                .query(move |s| s.readings_since(&acct, since))
                .await
            {
                Some(Ok(rows)) => self.seed(rows),
                Some(Err(e)) => tracing::warn!(error = %e, "history not read for the alert rules"),
                None => {}
            }
        }
        self.observe(at, flows, by_id, whole);
        let acct = account.clone();
        let since = at - AUDIT_LOOKBACK;
        let offs = recorder
            .query(move |s| s.switch_offs_since(&acct, since))
            .await
            .and_then(Result::ok)
            .unwrap_or_default();
        let present = whole.then(|| flows.iter().map(|f| FlowKey::of(f, by_id)).collect());
        let judged = self.judge(at, &offs, present);
        match recorder.settle_alerts(account, judged).await {
            Some(Ok(events)) => Ok(events),
            Some(Err(e)) => Err(format!("alerts not settled: {e}")),
            None => Err("alerts not settled: the history is off or behind".to_owned()),
        }
    }

    pub fn rules(&self) -> &[Rule] {
        self.alerting.rules()
    }

    /// How far back the history is worth reading at start.
    pub fn lookback(&self) -> SignedDuration {
        self.alerting.lookback()
    }

    /// The readings of the history, oldest first: the rules' memory when a process starts.
    pub fn seed(&mut self, readings: Vec<(Timestamp, Reading)>) {
        for (at, r) in readings {
            let facts = facts(&r.flow, &r.name, None);
            let sample = sample(at, &r);
            self.alerting.observe(r.flow, facts, sample);
        }
    }

    /// One reading of `flows`, taken at `at`, keyed by id or (the shipped build) by creation
    /// time and name. With `whole`, the flows not among them are forgotten (they are gone).
    pub fn observe(&mut self, at: Timestamp, flows: &[Flow], by_id: bool, whole: bool) {
        for f in flows {
            let r = Reading::of(f, by_id);
            let facts = facts(&r.flow, &r.name, wait_of(f));
            self.alerting.observe(r.flow.clone(), facts, sample(at, &r));
        }
        if whole {
            let present: BTreeSet<FlowKey> = flows.iter().map(|f| FlowKey::of(f, by_id)).collect();
            self.alerting.retain(&present);
        }
    }

    /// Every rule over every flow, at `now`, as events for the history to settle.
    /// `offs_by_us` are this machine's switch-offs (the audit); `whole_list` the flows of a
    /// list read whole, whose absence resolves an alert.
    pub fn judge(
        &self,
        now: Timestamp,
        offs_by_us: &[(FlowKey, Timestamp)],
        whole_list: Option<BTreeSet<FlowKey>>,
    ) -> Judged {
        let offs = |key: &FlowKey| {
            offs_by_us
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, t)| *t)
                .collect()
        };
        let events = self
            .alerting
            .evaluate(now, &offs)
            .into_iter()
            .map(|j| event(now, j))
            .collect();
        Judged {
            at: now,
            events,
            whole_list,
            names: self.rules().iter().map(|r| r.name.clone()).collect(),
        }
    }
}

fn sample(at: Timestamp, r: &Reading) -> Sample {
    Sample {
        at,
        sent: r.sent,
        pending: r.pending,
        failed: r.failed,
        enabled: r.enabled,
    }
}

fn event(at: Timestamp, j: Judgement<FlowKey>) -> AlertEvent {
    AlertEvent {
        at,
        name: j.name,
        rule: j.kind.as_str().to_owned(),
        state: if j.firing { FIRING } else { RESOLVED }.to_owned(),
        flow: Some(j.key),
        flow_name: Some(j.flow.name),
        value: j.value,
        text: j.text,
    }
}

/// What the dashboard's desk tells after each reading.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Told {
    /// The alert events this process wrote.
    pub events: Vec<AlertEvent>,
    /// The account's alerts firing now, whoever fired them, of the rules in force.
    pub firing: Vec<AlertEvent>,
    /// The account's events of the last day, newest first.
    pub recent: Vec<AlertEvent>,
}

struct HandedReading {
    at: Timestamp,
    flows: Vec<Flow>,
    by_id: bool,
    whole: bool,
}

/// The dashboard's alerts: a task of its own that takes the readings one after another,
/// through the same [`Watcher`] as `watch`, and tells what the history says after each.
pub struct Desk {
    tx: mpsc::UnboundedSender<HandedReading>,
}

impl Desk {
    /// Starts the task. `tell` gets the history's word after each reading.
    pub fn start(
        recorder: Recorder,
        rules: Vec<Rule>,
        base_url: url::Url,
        tell: impl Fn(Told) + Send + 'static,
    ) -> Desk {
        let (tx, mut rx) = mpsc::unbounded_channel::<HandedReading>();
        tokio::spawn(async move {
            let names: Vec<String> = rules.iter().map(|r| r.name.clone()).collect();
            let mut watcher = Watcher::new(rules);
            while let Some(job) = rx.recv().await {
                let account = Account::of_flows(&base_url, &job.flows);
                let events = watcher
                    .reading(
                        &recorder, &account, job.at, &job.flows, job.by_id, job.whole,
                    )
                    .await
                    .unwrap_or_else(|w| {
                        tracing::warn!("{w}");
                        Vec::new()
                    });
                let acct = account.clone();
                let since = job.at - RECENT;
                let told = recorder
                    .query(move |s| {
                        let firing = s.firing_alerts(&acct)?;
                        let mut recent = s.alert_events(&acct, since)?;
                        recent.reverse();
                        Ok((firing, recent))
                    })
                    .await
                    .and_then(Result::ok);
                let (mut firing, recent) = told.unwrap_or_default();
                // Alerts of rules no longer in the config are nobody's to resolve: not shown.
                firing.retain(|e| names.contains(&e.name));
                tell(Told {
                    events,
                    firing,
                    recent,
                });
            }
        });
        Desk { tx }
    }

    /// Hands over one reading; a desk whose task ended takes nothing.
    pub fn judge(&self, at: Timestamp, flows: Vec<Flow>, by_id: bool, whole: bool) {
        let _ = self.tx.send(HandedReading {
            at,
            flows,
            by_id,
            whole,
        });
    }
}
