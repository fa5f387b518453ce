//! A flow as flowdash knows it, and the draft and patch used to create and change one.

use std::fmt;

use jiff::Timestamp;

/// A flow's id as the server named it. On the shipped build the id in lists and single reads is
/// the flow's device id, so an id alone never proves which flow a row is (see `api::safety`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u64);

impl fmt::Display for FlowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The unit of a flow's wait time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum WaitUnit {
    Minutes,
    Hours,
    #[default]
    Days,
}

impl WaitUnit {
    pub const ALL: [WaitUnit; 3] = [WaitUnit::Minutes, WaitUnit::Hours, WaitUnit::Days];

    /// The wire name, also what `--wait-time-type` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitUnit::Minutes => "minutes",
            WaitUnit::Hours => "hours",
            WaitUnit::Days => "days",
        }
    }

    pub fn parse(s: &str) -> Option<WaitUnit> {
        match s.trim() {
            "minutes" => Some(WaitUnit::Minutes),
            "hours" => Some(WaitUnit::Hours),
            "days" => Some(WaitUnit::Days),
            _ => None,
        }
    }

    /// The largest wait the server keeps ("max 90 days ahead"); above it clamps silently.
    pub fn max(self) -> u32 {
        match self {
            WaitUnit::Minutes => 129_600,
            WaitUnit::Hours => 2160,
            WaitUnit::Days => 90,
        }
    }

    /// Singular and plural words for `wait 2 days`.
    pub fn words(self, n: i64) -> &'static str {
        match (self, n == 1) {
            (WaitUnit::Minutes, true) => "minute",
            (WaitUnit::Minutes, false) => "minutes",
            (WaitUnit::Hours, true) => "hour",
            (WaitUnit::Hours, false) => "hours",
            (WaitUnit::Days, true) => "day",
            (WaitUnit::Days, false) => "days",
        }
    }

    /// The short form used in the table: `m`, `h`, `d`.
    pub fn short(self) -> &'static str {
        match self {
            WaitUnit::Minutes => "m",
            WaitUnit::Hours => "h",
            WaitUnit::Days => "d",
        }
    }
}

/// Who a flow sends to: every contact or one saved segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SegmentRef {
    #[default]
    All,
    Saved(u64),
}

impl SegmentRef {
    /// Reads the server's `segment`: `"all"`, or a numeric string such as `"7"` or `"7.0"`.
    pub fn parse(s: &str) -> Option<SegmentRef> {
        let s = s.trim();
        if s == "all" {
            return Some(SegmentRef::All);
        }
        if let Ok(n) = s.parse::<u64>() {
            return Some(SegmentRef::Saved(n));
        }
        match s.parse::<f64>() {
            Ok(f) if f.is_finite() && f >= 1.0 && f.fract() == 0.0 && f < 1e15 => {
                Some(SegmentRef::Saved(f as u64))
            }
            _ => None,
        }
    }

    /// The form value the server takes.
    pub fn to_form(self) -> String {
        match self {
            SegmentRef::All => "all".to_owned(),
            SegmentRef::Saved(n) => n.to_string(),
        }
    }
}

/// Identifies a row across refreshes. The id is enough where ids are unique; a row whose id is 0
/// or repeated (the shipped build names flows by their device id) is told apart from its
/// namesakes by when it was created and its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RowKey {
    pub id: FlowId,
    namesake: Option<(Option<Timestamp>, String)>,
}

/// Why a row can be looked at but not changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowBlock {
    /// The server named this flow with id 0.
    ZeroId,
    /// Another row of the same list has the same id.
    RepeatedId,
}

impl RowBlock {
    pub fn reason(self) -> &'static str {
        match self {
            RowBlock::ZeroId => "the server lists this flow with id 0, so it cannot be addressed",
            RowBlock::RepeatedId => {
                "the server lists another flow with the same id, so this one cannot be addressed"
            }
        }
    }
}

/// A flow as decoded from the server, text already cleaned. Fields the server may leave out are
/// `Option`: `None` means "not provided by this server", never a default.
#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    pub id: FlowId,
    pub user_id: Option<u64>,
    pub name: String,
    pub content: Option<String>,
    /// `Some(0)` is the server saying "no device".
    pub device_id: Option<u64>,
    pub sim_subscription_id: Option<u64>,
    pub segment: Option<SegmentRef>,
    /// As the server sent it, absurd values included (zero, negative, beyond any limit): they
    /// are shown as they are, never clamped into something plausible.
    pub wait_time: Option<i64>,
    pub wait_unit: Option<WaitUnit>,
    pub enabled: bool,
    pub sent: Option<i64>,
    pub pending: Option<i64>,
    pub failed: Option<i64>,
    pub last_sent: Option<Timestamp>,
    pub last_changed: Option<Timestamp>,
    pub created: Option<Timestamp>,
    /// Set when the list this flow came from makes it unaddressable.
    pub blocked: Option<RowBlock>,
}

impl Flow {
    /// A flow with only its id and name, switched on, every field a server may leave out
    /// unknown (`None`). Tests and benchmarks start their flows from it:
    /// `Flow { sent: Some(98), ..Flow::bare(1, "Welcome") }`.
    pub fn bare(id: u64, name: &str) -> Flow {
        Flow {
            id: FlowId(id),
            user_id: None,
            name: name.to_owned(),
            content: None,
            device_id: None,
            sim_subscription_id: None,
            segment: None,
            wait_time: None,
            wait_unit: None,
            enabled: true,
            sent: None,
            pending: None,
            failed: None,
            last_sent: None,
            last_changed: None,
            created: None,
            blocked: None,
        }
    }

    pub fn row_key(&self) -> RowKey {
        RowKey {
            id: self.id,
            namesake: self.blocked.map(|_| (self.created, self.name.clone())),
        }
    }

    /// Failure share: failed / (sent + failed), with negative counters clamped to 0.
    pub fn failure_share(&self) -> Option<f64> {
        let sent = self.sent?.max(0);
        let failed = self.failed?.max(0);
        let total = sent + failed;
        (total > 0).then(|| failed as f64 / total as f64)
    }

    /// The flow as a draft, for the edit form. Fields the server did not send take the new-flow
    /// defaults but are remembered as unknown by the caller through `Flow` itself.
    pub fn to_draft(&self) -> FlowDraft {
        FlowDraft {
            name: self.name.clone(),
            content: self.content.clone().unwrap_or_default(),
            device_id: self.device_id.filter(|&d| d != 0),
            sim_subscription_id: self.sim_subscription_id.filter(|&s| s != 0),
            // A wait no form or command could send becomes 0, which the checks refuse.
            wait_time: self.wait_time.map_or(1, |w| u32::try_from(w).unwrap_or(0)),
            wait_unit: self.wait_unit.unwrap_or_default(),
            segment: self.segment.unwrap_or_default(),
            enabled: self.enabled,
        }
    }
}

/// One SIM of a device.
#[derive(Clone, Debug, PartialEq)]
pub struct SimCard {
    pub subscription_id: u64,
    pub display_name: String,
    pub carrier_name: String,
    pub phone_number: Option<String>,
    pub slot_index: Option<u32>,
}

impl SimCard {
    /// `SIM 1 (Orange)`, or `SIM 1` without a carrier.
    pub fn label(&self) -> String {
        if self.carrier_name.is_empty() {
            self.display_name.clone()
        } else {
            format!("{} ({})", self.display_name, self.carrier_name)
        }
    }
}

/// A phone that sends SMS.
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub id: u64,
    pub name: String,
    /// `None` for a device that never connected.
    pub sims: Option<Vec<SimCard>>,
    pub model: Option<String>,
    pub brand: Option<String>,
}

/// A saved segment of contacts.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub id: u64,
    pub name: String,
    pub kind: Option<String>,
    pub total_contacts: Option<u64>,
}

/// Everything a flow is made of, as the form edits it and as a create sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowDraft {
    pub name: String,
    pub content: String,
    pub device_id: Option<u64>,
    pub sim_subscription_id: Option<u64>,
    pub wait_time: u32,
    pub wait_unit: WaitUnit,
    pub segment: SegmentRef,
    pub enabled: bool,
}

impl Default for FlowDraft {
    /// A new flow: 1 day, all contacts, switched off, so that it sends nothing before the
    /// operator has looked at it (DESIGN §15); device and SIM are chosen by the caller.
    fn default() -> Self {
        FlowDraft {
            name: String::new(),
            content: String::new(),
            device_id: None,
            sim_subscription_id: None,
            wait_time: 1,
            wait_unit: WaitUnit::Days,
            segment: SegmentRef::All,
            enabled: false,
        }
    }
}

impl FlowDraft {
    /// The form fields of a create: every field, `is_enabled` as `1` or `0`.
    pub fn to_form(&self) -> Vec<(&'static str, String)> {
        let mut form = vec![
            ("name", self.name.clone()),
            ("content", self.content.clone()),
        ];
        if let Some(d) = self.device_id {
            form.push(("device_id", d.to_string()));
        }
        if let Some(s) = self.sim_subscription_id {
            form.push(("sim_subscription_id", s.to_string()));
        }
        form.push(("wait_time", self.wait_time.to_string()));
        form.push(("wait_time_type", self.wait_unit.as_str().to_owned()));
        form.push(("segment", self.segment.to_form()));
        form.push((
            "is_enabled",
            if self.enabled { "1" } else { "0" }.to_owned(),
        ));
        form
    }
}

/// The fields an update changes; `None` fields are not sent at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowPatch {
    pub name: Option<String>,
    pub content: Option<String>,
    pub device_id: Option<u64>,
    pub sim_subscription_id: Option<u64>,
    pub wait_time: Option<u32>,
    pub wait_unit: Option<WaitUnit>,
    pub segment: Option<SegmentRef>,
    pub enabled: Option<bool>,
}

impl FlowPatch {
    /// Only what differs between the draft the form started from and the one it ends with.
    pub fn between(before: &FlowDraft, after: &FlowDraft) -> FlowPatch {
        fn changed<T: PartialEq + Clone>(a: &T, b: &T) -> Option<T> {
            (a != b).then(|| b.clone())
        }
        FlowPatch {
            name: changed(&before.name, &after.name),
            content: changed(&before.content, &after.content),
            device_id: changed(&before.device_id, &after.device_id).flatten(),
            sim_subscription_id: changed(&before.sim_subscription_id, &after.sim_subscription_id)
                .flatten(),
            wait_time: changed(&before.wait_time, &after.wait_time),
            wait_unit: changed(&before.wait_unit, &after.wait_unit),
            segment: changed(&before.segment, &after.segment),
            enabled: changed(&before.enabled, &after.enabled),
        }
    }

    /// A patch that only switches the flow on or off.
    pub fn toggle(enabled: bool) -> FlowPatch {
        FlowPatch {
            enabled: Some(enabled),
            ..FlowPatch::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == FlowPatch::default()
    }

    /// The form fields of an update, only for the fields that changed.
    pub fn to_form(&self) -> Vec<(&'static str, String)> {
        let mut form = Vec::new();
        if let Some(v) = &self.name {
            form.push(("name", v.clone()));
        }
        if let Some(v) = &self.content {
            form.push(("content", v.clone()));
        }
        if let Some(v) = self.device_id {
            form.push(("device_id", v.to_string()));
        }
        if let Some(v) = self.sim_subscription_id {
            form.push(("sim_subscription_id", v.to_string()));
        }
        if let Some(v) = self.wait_time {
            form.push(("wait_time", v.to_string()));
        }
        if let Some(v) = self.wait_unit {
            form.push(("wait_time_type", v.as_str().to_owned()));
        }
        if let Some(v) = self.segment {
            form.push(("segment", v.to_form()));
        }
        if let Some(v) = self.enabled {
            form.push(("is_enabled", if v { "1" } else { "0" }.to_owned()));
        }
        form
    }
}

/// What switching a flow off does not do (CONTRACT §6.6, §10): the SMS it already scheduled still
/// go out, and the contacts that arrive meanwhile are never sent its SMS, even once it is on again.
pub const SWITCH_OFF_NOTE: &str =
    "pending SMS still go out; contacts arriving while off never get it";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_parses_the_server_forms() {
        assert_eq!(SegmentRef::parse("all"), Some(SegmentRef::All));
        assert_eq!(SegmentRef::parse("7"), Some(SegmentRef::Saved(7)));
        assert_eq!(SegmentRef::parse(" 7.0"), Some(SegmentRef::Saved(7)));
        assert_eq!(SegmentRef::parse("abc"), None);
    }

    #[test]
    fn patch_holds_only_changes() {
        let before = FlowDraft {
            name: "a".into(),
            content: "c".into(),
            ..FlowDraft::default()
        };
        let mut after = before.clone();
        after.name = "b".into();
        let patch = FlowPatch::between(&before, &after);
        assert_eq!(patch.to_form(), vec![("name", "b".to_owned())]);
        assert!(FlowPatch::between(&before, &before).is_empty());
        assert_eq!(
            FlowPatch::toggle(false).to_form(),
            vec![("is_enabled", "0".to_owned())]
        );
    }

    #[test]
    fn failure_share_clamps_negatives() {
        let mut f = Flow {
            sent: Some(98),
            failed: Some(2),
            ..Flow::bare(1, "")
        };
        assert_eq!(f.failure_share(), Some(0.02));
        f.sent = Some(-5);
        f.failed = Some(0);
        assert_eq!(f.failure_share(), None);
    }
}
