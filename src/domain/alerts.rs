//! Alert rules (DESIGN §14) as pure functions over readings of a flow's counters.
//!
//! A [`Series`] holds what the readings of one flow have shown: the samples of the longest
//! window a rule looks at, and a few facts that outlive it (when the counter `sent` last rose,
//! when the flow was last seen on). The rule functions read a series and give a [`Verdict`]:
//! firing (with a value), clear, or unknown when the readings do not cover enough time to
//! tell. An unknown verdict changes nothing: an alert that fired before a restart keeps firing
//! until the readings say otherwise.
//!
//! Counters are totals, so what happened in a window is the rise of the counter across it. A
//! counter that falls (drift, CONTRACT §12 item 23) starts a new base: a fall is never a send
//! and never makes a share negative.
//!
//! [`engine::Alerting`] runs every rule over every flow and says, in words, why.

pub mod engine;

use std::collections::VecDeque;
use std::fmt;

use jiff::{SignedDuration, Timestamp};

pub use engine::{Alerting, FlowFacts, Judgement};

/// What a rule watches for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// The failure share of the messages finished in the window is above a threshold.
    FailedShare,
    /// Pending above zero and nothing sent for a while (never less than the flow's wait).
    PendingStuck,
    /// An enabled flow sent nothing for a while.
    Silent,
    /// A flow seen on, then off, that no write from this machine switched off.
    SwitchedOff,
}

impl RuleKind {
    pub const ALL: [RuleKind; 4] = [
        RuleKind::FailedShare,
        RuleKind::PendingStuck,
        RuleKind::Silent,
        RuleKind::SwitchedOff,
    ];

    /// The config's and the output's name.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::FailedShare => "failed_share",
            RuleKind::PendingStuck => "pending_stuck",
            RuleKind::Silent => "silent",
            RuleKind::SwitchedOff => "switched_off",
        }
    }

    pub fn parse(s: &str) -> Option<RuleKind> {
        RuleKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

impl fmt::Display for RuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which flows a rule looks at.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    All,
    /// These flow ids (on a server whose ids name flows).
    Flows(Vec<u64>),
    /// Flows whose name contains this text, ignoring case.
    Match(String),
}

impl Scope {
    pub fn covers(&self, id: Option<u64>, name: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Flows(ids) => id.is_some_and(|id| ids.contains(&id)),
            Scope::Match(text) => name.to_lowercase().contains(&text.to_lowercase()),
        }
    }
}

/// How an alert event is told, beyond the dashboard's `!` and `watch`'s output line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Notify {
    /// The terminal's bell.
    Bell,
    /// A desktop notification: OSC 777 and OSC 9 to the terminal, or `notify-send`.
    Desktop,
    /// The rule's `command`, run with `sh -c`.
    Command,
}

impl Notify {
    pub const ALL: [Notify; 3] = [Notify::Bell, Notify::Desktop, Notify::Command];

    pub fn as_str(self) -> &'static str {
        match self {
            Notify::Bell => "bell",
            Notify::Desktop => "desktop",
            Notify::Command => "command",
        }
    }

    pub fn parse(s: &str) -> Option<Notify> {
        Notify::ALL.into_iter().find(|n| n.as_str() == s.trim())
    }
}

/// One alert rule, as the config gives it (or a built-in one).
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Unique among the rules: the alert's name in the store and in every notification.
    pub name: String,
    pub kind: RuleKind,
    /// `failed_share`: the share (0 to 1) above which the rule fires.
    pub above: f64,
    /// `for`: the window of `failed_share`, or how long `pending_stuck` and `silent` wait.
    pub window: SignedDuration,
    /// `failed_share`: the fewest finished messages in the window worth judging.
    pub min_messages: u64,
    pub scope: Scope,
    pub notify: Vec<Notify>,
    /// Run by `notify = ["command"]`.
    pub command: Option<String>,
}

impl Rule {
    /// A rule of `kind` with the defaults of the built-in rules, covering every flow and
    /// notifying nobody beyond the dashboard and `watch`'s output.
    pub fn new(name: impl Into<String>, kind: RuleKind) -> Rule {
        Rule {
            name: name.into(),
            kind,
            above: 0.10,
            window: match kind {
                RuleKind::FailedShare => SignedDuration::from_mins(30),
                _ => SignedDuration::from_hours(1),
            },
            min_messages: 20,
            scope: Scope::All,
            notify: Vec::new(),
            command: None,
        }
    }
}

/// The rules built in and on unless `builtin_alerts = false` (DESIGN §14): `failed_share`
/// above 10 % over 30 min with at least 20 messages, `pending_stuck` for 60 min, and
/// `switched_off`. `silent` is not among them: it also fires when no contacts arrive.
pub fn builtin_rules() -> Vec<Rule> {
    [
        RuleKind::FailedShare,
        RuleKind::PendingStuck,
        RuleKind::SwitchedOff,
    ]
    .into_iter()
    .map(|k| Rule::new(k.as_str(), k))
    .collect()
}

/// One reading of a flow's counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    pub at: Timestamp,
    pub sent: Option<i64>,
    pub pending: Option<i64>,
    pub failed: Option<i64>,
    pub enabled: bool,
}

/// Readings closer together than this are merged (the last one kept): the dashboard reads
/// every few seconds, and a window of hours needs no more than a sample or two a minute.
const MERGE_WITHIN: SignedDuration = SignedDuration::from_secs(20);

/// What the readings of one flow have shown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Oldest first; the first one may lie before the longest window (the base it starts from).
    samples: VecDeque<Sample>,
    /// The first reading of this flow.
    first_at: Option<Timestamp>,
    /// The reading at which `sent` was last seen higher than at the reading before.
    last_send: Option<Timestamp>,
    /// The reading since which the flow has been on without a break (None while off).
    on_since: Option<Timestamp>,
    /// The last reading that showed the flow on.
    last_on: Option<Timestamp>,
    /// The first reading that showed it off after it was seen on (None while on, or when it
    /// was never seen on).
    off_since: Option<Timestamp>,
}

impl Series {
    /// Adds a reading; samples older than `keep` before it (but the last one before that, the
    /// window's base) are forgotten. A reading older than the newest one is ignored.
    pub fn push(&mut self, s: Sample, keep: SignedDuration) {
        let last = self.samples.back().copied();
        if last.is_some_and(|l| s.at < l.at) {
            return;
        }
        self.first_at.get_or_insert(s.at);
        if let Some(l) = last
            && let (Some(before), Some(now)) = (l.sent, s.sent)
            && now > before
        {
            self.last_send = Some(s.at);
        }
        if s.enabled {
            if self.on_since.is_none() {
                self.on_since = Some(s.at);
            }
            self.last_on = Some(s.at);
            self.off_since = None;
        } else {
            self.on_since = None;
            if self.last_on.is_some() && self.off_since.is_none() {
                self.off_since = Some(s.at);
            }
        }
        let len = self.samples.len();
        if len >= 2 && s.at.duration_since(self.samples[len - 2].at) < MERGE_WITHIN {
            self.samples.pop_back();
        }
        self.samples.push_back(s);
        let start = s.at - keep;
        while self.samples.len() > 1 && self.samples[1].at <= start {
            self.samples.pop_front();
        }
    }

    /// The newest reading.
    pub fn latest(&self) -> Option<&Sample> {
        self.samples.back()
    }

    /// Since when the readings of this flow go back.
    pub fn first_at(&self) -> Option<Timestamp> {
        self.first_at
    }

    /// Rises of `sent` and `failed` from the base of the window starting at `start` to the
    /// newest reading, and whether the readings reach back to `start`.
    fn rises_since(&self, start: Timestamp) -> Option<Rises> {
        let base = self
            .samples
            .iter()
            .rposition(|s| s.at <= start)
            .unwrap_or(0);
        let window: Vec<&Sample> = self.samples.iter().skip(base).collect();
        if window.len() < 2 {
            return None;
        }
        let rise = |a: Option<i64>, b: Option<i64>| match (a, b) {
            (Some(a), Some(b)) if b > a => (b - a) as u64,
            _ => 0,
        };
        let (sent, failed) = window.windows(2).fold((0, 0), |(s, f), w| {
            (
                s + rise(w[0].sent, w[1].sent),
                f + rise(w[0].failed, w[1].failed),
            )
        });
        Some(Rises {
            sent,
            failed,
            covered: window[0].at <= start,
        })
    }
}

struct Rises {
    sent: u64,
    failed: u64,
    /// The readings reach back to the window's start.
    covered: bool,
}

/// What a rule says of one flow now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    Firing(Option<f64>),
    Clear(Option<f64>),
    /// The readings do not tell yet (too short, or never seen the flow on): whatever the
    /// alert's state is, it stays.
    Unknown,
}

/// `failed_share`: failed / (sent + failed) of the messages finished in the last `window`,
/// firing above `above` with at least `min_messages` finished. The value is the share.
///
/// With readings that do not yet cover the window, it fires when what they cover already
/// passes both bounds, and otherwise does not tell; with fewer than `min_messages` finished in
/// a covered window it is clear.
pub fn failed_share(
    series: &Series,
    now: Timestamp,
    window: SignedDuration,
    above: f64,
    min_messages: u64,
) -> Verdict {
    let Some(r) = series.rises_since(now - window) else {
        return Verdict::Unknown;
    };
    let total = r.sent + r.failed;
    let share = (total > 0).then(|| r.failed as f64 / total as f64);
    let firing = total >= min_messages.max(1) && share.is_some_and(|s| s > above);
    match (firing, r.covered) {
        (true, _) => Verdict::Firing(share),
        (false, true) => Verdict::Clear(share),
        (false, false) => Verdict::Unknown,
    }
}

/// `pending_stuck`: pending above zero and nothing sent for `wait` (the caller makes it no
/// shorter than the flow's own wait). The value is the pending count.
pub fn pending_stuck(series: &Series, now: Timestamp, wait: SignedDuration) -> Verdict {
    let Some(latest) = series.latest() else {
        return Verdict::Unknown;
    };
    let pending = latest.pending.unwrap_or(0);
    if pending <= 0 {
        return Verdict::Clear(Some(pending.max(0) as f64));
    }
    quiet(series, now, wait, series.first_at, pending as f64)
}

/// `silent`: an enabled flow that sent nothing for `wait`. The value is the minutes since the
/// last send seen (or since the flow was on and watched).
pub fn silent(series: &Series, now: Timestamp, wait: SignedDuration) -> Verdict {
    let Some(on_since) = series.on_since else {
        return Verdict::Clear(None);
    };
    let from = series
        .last_send
        .into_iter()
        .chain([on_since])
        .max()
        .unwrap_or(on_since);
    let minutes = now.duration_since(from).as_secs() as f64 / 60.0;
    // Watched since it was switched on: the start of the quiet time is known.
    let known = Some(on_since).filter(|&t| series.first_at.is_some_and(|f| t > f));
    quiet(
        series,
        now,
        wait,
        known.or(series.first_at),
        minutes.floor(),
    )
}

/// Firing when nothing was sent from `since` (or the last send, whichever is later) for
/// `wait`; clear when a send was seen within `wait`; unknown while the readings are younger.
fn quiet(
    series: &Series,
    now: Timestamp,
    wait: SignedDuration,
    since: Option<Timestamp>,
    value: f64,
) -> Verdict {
    let Some(since) = since else {
        return Verdict::Unknown;
    };
    let from = series.last_send.map_or(since, |s| s.max(since));
    if now.duration_since(from) >= wait {
        Verdict::Firing(Some(value))
    } else if series.last_send.is_some() || since > series.first_at.unwrap_or(since) {
        Verdict::Clear(Some(value))
    } else {
        Verdict::Unknown
    }
}

/// How long a flow is seen off before `switched_off` judges it: longer than flowdash takes to
/// record its own write (in another process, through the history file, which may be held for
/// up to a second by another writer).
pub const OFF_SETTLE: SignedDuration = SignedDuration::from_secs(5);

/// `switched_off`: the flow was seen on, then off, and no write from this machine switched it
/// off. `offs_by_us` are the times this machine's writes switched the flow off (the audit);
/// one from a minute before it was last seen on counts, as clocks and recording lag differ.
/// A flow never seen on does not tell: an alert that fired before a restart keeps firing.
/// A flow seen off for less than [`OFF_SETTLE`] does not tell yet either: a write of flowdash
/// in another process is recorded a moment after the server answered it, and a reading taken
/// in between must not fire.
pub fn switched_off(series: &Series, offs_by_us: &[Timestamp]) -> Verdict {
    let Some(latest) = series.latest() else {
        return Verdict::Unknown;
    };
    if latest.enabled {
        return Verdict::Clear(None);
    }
    match (series.last_on, series.off_since) {
        (Some(on), Some(off)) => {
            let from = on - SignedDuration::from_mins(1);
            if offs_by_us.iter().any(|&t| t >= from) {
                Verdict::Clear(None)
            } else if latest.at.duration_since(off) < OFF_SETTLE {
                Verdict::Unknown
            } else {
                Verdict::Firing(None)
            }
        }
        _ => Verdict::Unknown,
    }
}

/// A duration in words for the alert texts: `45 s`, `12 min`, `1 h 30 min`, `2 d 3 h`.
pub fn duration_words(d: SignedDuration) -> String {
    let secs = d.as_secs().max(0);
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// A share in percent for the alert texts: `12.5 %`.
pub fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

#[cfg(test)]
mod tests;
