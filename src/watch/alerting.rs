//! The rules over the flows flowdash reads: the readings of a list become samples of each
//! flow, keyed as the history keys them, and the judgements become the events the history
//! settles. `watch` and the dashboard hold one [`Watcher`] each; what fires is decided in the
//! store ([`crate::store::Store::settle_alerts`]), so the two never fire an alert twice.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};

use crate::domain::alerts::{Alerting, FlowFacts, Judgement, Rule, Sample};
use crate::domain::{Flow, WaitUnit};
use crate::store::{AlertEvent, FIRING, FlowKey, Judged, RESOLVED, Reading};

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

/// The alert rules and what the readings of each flow have shown.
pub struct Watcher {
    alerting: Alerting<FlowKey>,
}

impl Watcher {
    pub fn new(rules: Vec<Rule>) -> Watcher {
        Watcher {
            alerting: Alerting::new(rules),
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
