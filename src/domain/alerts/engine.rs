//! Every rule over every flow: the series of each flow, fed reading by reading, and the
//! judgements of one evaluation, each with its text in words.
//!
//! Generic over the key that tells flows apart (`store::FlowKey` in flowdash: the id, or the
//! creation time and name on a server whose ids are not flow ids), so that it stays pure.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};

use super::{
    Rule, RuleKind, Sample, Series, Verdict, duration_words, failed_share, pending_stuck, percent,
    silent, switched_off,
};

/// What the rules need to know of a flow besides its counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowFacts {
    /// The flow's id where ids name flows; `None` on the shipped build.
    pub id: Option<u64>,
    /// Cleaned, as shown.
    pub name: String,
    /// The flow's own wait before it sends, when the server says.
    pub wait: Option<SignedDuration>,
}

impl FlowFacts {
    /// `flow 12 "Welcome series"`, or `flow "Welcome series"` without an id.
    pub fn label(&self) -> String {
        match self.id {
            Some(id) => format!("flow {id} \"{}\"", self.name),
            None => format!("flow \"{}\"", self.name),
        }
    }
}

/// What one rule says of one flow, in words.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement<K> {
    /// The rule's name.
    pub name: String,
    pub kind: RuleKind,
    pub key: K,
    pub flow: FlowFacts,
    /// `true` firing, `false` clear; unknown verdicts make no judgement.
    pub firing: bool,
    pub value: Option<f64>,
    pub text: String,
}

/// The rules and what the readings of each flow have shown.
#[derive(Clone, Debug)]
pub struct Alerting<K> {
    rules: Vec<Rule>,
    flows: BTreeMap<K, (FlowFacts, Series)>,
    /// The longest window of a `failed_share` rule: samples older than that are not needed.
    keep: SignedDuration,
}

impl<K: Ord + Clone> Alerting<K> {
    pub fn new(rules: Vec<Rule>) -> Alerting<K> {
        let keep = rules
            .iter()
            .filter(|r| r.kind == RuleKind::FailedShare)
            .map(|r| r.window)
            .max()
            .unwrap_or(SignedDuration::ZERO);
        Alerting {
            rules,
            flows: BTreeMap::new(),
            keep,
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// How far back readings are worth reading from history at start: the longest window of
    /// any rule (a flow's own longer wait is covered as the readings come).
    pub fn lookback(&self) -> SignedDuration {
        self.rules
            .iter()
            .map(|r| r.window)
            .max()
            .unwrap_or(SignedDuration::ZERO)
    }

    /// Adds one reading of the flow `key`.
    pub fn observe(&mut self, key: K, facts: FlowFacts, sample: Sample) {
        let entry = self
            .flows
            .entry(key)
            .or_insert_with(|| (facts.clone(), Series::default()));
        entry.0 = facts;
        entry.1.push(sample, self.keep);
    }

    /// Forgets the flows not in `present` (a whole list was read and they are gone).
    pub fn retain(&mut self, present: &BTreeSet<K>) {
        self.flows.retain(|k, _| present.contains(k));
    }

    /// The series of one flow, for tests and the dashboard's detail.
    pub fn series(&self, key: &K) -> Option<&Series> {
        self.flows.get(key).map(|(_, s)| s)
    }

    /// Every rule over every flow it covers, at `now`. `offs_by_us(key)` are the times this
    /// machine's writes switched the flow off (the audit). Unknown verdicts are left out.
    pub fn evaluate(
        &self,
        now: Timestamp,
        offs_by_us: &dyn Fn(&K) -> Vec<Timestamp>,
    ) -> Vec<Judgement<K>> {
        let mut out = Vec::new();
        for rule in &self.rules {
            for (key, (facts, series)) in &self.flows {
                if !rule.scope.covers(facts.id, &facts.name) {
                    continue;
                }
                let verdict = judge(rule, facts, series, now, &|| offs_by_us(key));
                let (firing, value) = match verdict {
                    Verdict::Firing(v) => (true, v),
                    Verdict::Clear(v) => (false, v),
                    Verdict::Unknown => continue,
                };
                out.push(Judgement {
                    name: rule.name.clone(),
                    kind: rule.kind,
                    key: key.clone(),
                    flow: facts.clone(),
                    firing,
                    value,
                    text: text(rule, facts, series, firing, value),
                });
            }
        }
        out
    }
}

/// How long `pending_stuck` waits for this flow: the rule's `for`, or the flow's own wait
/// when that is longer (its messages are not due before).
pub fn stuck_after(rule: &Rule, facts: &FlowFacts) -> SignedDuration {
    facts.wait.map_or(rule.window, |w| w.max(rule.window))
}

fn judge(
    rule: &Rule,
    facts: &FlowFacts,
    series: &Series,
    now: Timestamp,
    offs_by_us: &dyn Fn() -> Vec<Timestamp>,
) -> Verdict {
    match rule.kind {
        RuleKind::FailedShare => {
            failed_share(series, now, rule.window, rule.above, rule.min_messages)
        }
        RuleKind::PendingStuck => pending_stuck(series, now, stuck_after(rule, facts)),
        RuleKind::Silent => silent(series, now, rule.window),
        RuleKind::SwitchedOff => switched_off(series, &offs_by_us()),
    }
}

/// The alert's text: what fired or resolved, of which flow, and the numbers.
fn text(
    rule: &Rule,
    facts: &FlowFacts,
    series: &Series,
    firing: bool,
    value: Option<f64>,
) -> String {
    let flow = facts.label();
    let share = value.map_or_else(|| "no messages".to_owned(), percent);
    match (rule.kind, firing) {
        (RuleKind::FailedShare, true) => format!(
            "{flow}: {share} of the messages of the last {} failed (above {})",
            duration_words(rule.window),
            percent(rule.above)
        ),
        (RuleKind::FailedShare, false) => format!(
            "{flow}: {share} failed in the last {}",
            duration_words(rule.window)
        ),
        (RuleKind::PendingStuck, true) => format!(
            "{flow}: {} pending and nothing sent for {}",
            value.unwrap_or_default(),
            duration_words(stuck_after(rule, facts))
        ),
        (RuleKind::PendingStuck, false) => match series.latest().and_then(|s| s.pending) {
            Some(p) if p > 0 => format!("{flow}: sending again ({p} pending)"),
            _ => format!("{flow}: nothing pending"),
        },
        (RuleKind::Silent, true) => format!(
            "{flow}: on and nothing sent for {}",
            duration_words(SignedDuration::from_mins(value.unwrap_or_default() as i64))
        ),
        (RuleKind::Silent, false) => match series.latest() {
            Some(s) if s.enabled => format!("{flow}: sending again"),
            _ => format!("{flow}: switched off"),
        },
        (RuleKind::SwitchedOff, true) => {
            format!("{flow}: switched off, not by flowdash on this machine")
        }
        (RuleKind::SwitchedOff, false) => match series.latest() {
            Some(s) if !s.enabled => format!("{flow}: switched off by flowdash on this machine"),
            _ => format!("{flow}: on again"),
        },
    }
}
