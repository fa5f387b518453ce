//! The checks around a write that keep the values the operator chose (DESIGN §8, §15):
//!
//! - before it: the device, SIM and segment being sent exist on the account, since the server
//!   silently stores another device or `all` contacts in their place (CONTRACT §12 item 20);
//! - after it: the answer holds what was sent, field by field, allowing for the server's
//!   documented cleaning of text (CONTRACT §6.5);
//! - when its answer is lost (late, or a 5xx): a re-read says whether it landed.

use super::outcome::{DeleteOutcome, ToggleOutcome, UpdateOutcome};
use super::{ApiError, Client, Refusal, WithJson};
use crate::budget::Priority;
use crate::domain::validate::{CONTENT_MAX, NAME_MAX, stored_as};
use crate::domain::{Device, Flow, FlowDraft, FlowId, FlowPatch, Segment, SegmentRef};

/// A switch or an update that the server stored as sent: the flow it has now, and how the
/// answer was lost (`the answer was late`) when only a re-read showed that it landed. The
/// switch and the update each make their own outcome of it.
#[derive(Debug)]
pub(super) struct Stored {
    pub flow: Flow,
    pub lost_answer: Option<String>,
}

impl Stored {
    /// `written` of the flow when the answer came, `late` of it and how the answer was lost.
    fn outcome<T>(self, written: fn(Flow) -> T, late: fn(Flow, String) -> T) -> T {
        match self.lost_answer {
            None => written(self.flow),
            Some(answer) => late(self.flow, answer),
        }
    }
}

impl From<Stored> for ToggleOutcome {
    fn from(s: Stored) -> Self {
        s.outcome(ToggleOutcome::Written, |flow, answer| {
            ToggleOutcome::WrittenLate { flow, answer }
        })
    }
}

impl From<Stored> for UpdateOutcome {
    fn from(s: Stored) -> Self {
        s.outcome(UpdateOutcome::Written, |flow, answer| {
            UpdateOutcome::WrittenLate { flow, answer }
        })
    }
}

/// One sent field the server has otherwise, both values in words (`device 3`).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Difference {
    field: &'static str,
    sent: String,
    stored: String,
}

/// The sent fields the server has as sent, and those it has otherwise. Fields the answer lacks
/// are in neither.
#[derive(Debug, Default)]
pub(super) struct Comparison {
    pub same: usize,
    pub differ: Vec<Difference>,
}

impl Comparison {
    fn check(&mut self, field: &'static str, same: bool, sent: String, stored: String) {
        if same {
            self.same += 1;
        } else {
            self.differ.push(Difference {
                field,
                sent,
                stored,
            });
        }
    }

    /// `the server stored device 3, not device 9; segment all, not segment 4`
    pub fn stored_otherwise(&self) -> String {
        let parts: Vec<String> = self
            .differ
            .iter()
            .map(|d| format!("{} {}, not {} {}", d.field, d.stored, d.field, d.sent))
            .collect();
        format!("the server stored {}", parts.join("; "))
    }

    /// `flow 6 is still on`, `flow 6 still has wait time 2`
    fn unchanged(&self, id: FlowId) -> String {
        let parts: Vec<String> = self
            .differ
            .iter()
            .map(|d| {
                if d.field == "switched" {
                    format!("is still {}", d.stored)
                } else {
                    format!("still has {} {}", d.field, d.stored)
                }
            })
            .collect();
        format!("flow {id} {}", parts.join(" and "))
    }
}

fn quoted(text: &str) -> String {
    excerpt(text, 40)
}

/// The first `max` characters of `text` in quotes, `…` where it was cut, `⏎` for line ends.
pub(super) fn excerpt(text: &str, max: usize) -> String {
    let mut short: String = text.chars().take(max).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    format!("\"{}\"", short.replace('\n', "⏎"))
}

fn on_off(on: bool) -> String {
    if on { "on" } else { "off" }.to_owned()
}

/// Every field a create sends, as a patch, to compare the answer with.
pub(super) fn sent_by_create(d: &FlowDraft) -> FlowPatch {
    FlowPatch {
        name: Some(d.name.clone()),
        content: Some(d.content.clone()),
        device_id: d.device_id,
        sim_subscription_id: d.sim_subscription_id,
        wait_time: Some(d.wait_time),
        wait_unit: Some(d.wait_unit),
        segment: Some(d.segment),
        enabled: Some(d.enabled),
    }
}

/// Compares what was sent with what the server has. Text is compared as the server cleans it
/// (tags deleted, quotes as entities, spaces and line ends normalised, cut at the limit), and a
/// wait time as the server clamps it, so that neither reads as a substitution.
pub(super) fn compare(sent: &FlowPatch, stored: &Flow) -> Comparison {
    let mut c = Comparison::default();
    if let Some(name) = &sent.name {
        let same = stored_as(name, &stored.name, NAME_MAX);
        c.check("name", same, quoted(name), quoted(&stored.name));
    }
    if let (Some(content), Some(has)) = (&sent.content, &stored.content) {
        let same = stored_as(content, has, CONTENT_MAX);
        c.check("content", same, quoted(content), quoted(has));
    }
    if let (Some(d), Some(has)) = (sent.device_id, stored.device_id) {
        c.check("device", d == has, d.to_string(), has.to_string());
    }
    if let (Some(s), Some(has)) = (sent.sim_subscription_id, stored.sim_subscription_id) {
        c.check("SIM", s == has, s.to_string(), has.to_string());
    }
    if let (Some(w), Some(has)) = (sent.wait_time, stored.wait_time) {
        let unit = sent.wait_unit.or(stored.wait_unit).unwrap_or_default();
        let expected = w.clamp(1, unit.max());
        c.check(
            "wait time",
            i64::from(expected) == has,
            w.to_string(),
            has.to_string(),
        );
    }
    if let (Some(u), Some(has)) = (sent.wait_unit, stored.wait_unit) {
        c.check(
            "wait unit",
            u == has,
            u.as_str().to_owned(),
            has.as_str().to_owned(),
        );
    }
    if let (Some(s), Some(has)) = (sent.segment, stored.segment) {
        c.check("segment", s == has, s.to_form(), has.to_form());
    }
    if let Some(on) = sent.enabled {
        c.check(
            "switched",
            on == stored.enabled,
            on_off(on),
            on_off(stored.enabled),
        );
    }
    c
}

/// The checks of a write's answer: the flow asked for (when an existing one was written), with
/// what was sent. `created` says which words the error uses.
pub(super) fn check_answer(
    asked: Option<FlowId>,
    sent: &FlowPatch,
    stored: &Flow,
    created: bool,
) -> Result<(), ApiError> {
    if let Some(asked) = asked
        && stored.id != asked
    {
        return Err(ApiError::AnsweredOther {
            asked,
            got: stored.id,
        });
    }
    let c = compare(sent, stored);
    if c.differ.is_empty() {
        return Ok(());
    }
    Err(ApiError::StoredOtherwise {
        id: stored.id,
        created,
        what: c.stored_otherwise(),
    })
}

/// Whether a write's error leaves open if it was stored: the request reached the server, and
/// then the answer came too late or as a 5xx.
pub(super) fn fate_unknown(e: &ApiError) -> bool {
    match e {
        ApiError::Timeout { .. } => true,
        ApiError::Server { status, .. } => *status >= 500,
        _ => false,
    }
}

/// `the answer was late`, for the message of a write that landed all the same.
fn lost_answer(e: &ApiError) -> String {
    match e {
        ApiError::Server { status, .. } => format!("the answer was a server error {status}"),
        _ => "the answer was late".to_owned(),
    }
}

fn device_list(devices: &[Device]) -> String {
    if devices.is_empty() {
        return "none".to_owned();
    }
    let names: Vec<String> = devices
        .iter()
        .map(|d| format!("{} {}", d.id, d.name))
        .collect();
    names.join(", ")
}

fn sim_list(device: &Device) -> String {
    let sims: Vec<String> = device
        .sims
        .iter()
        .flatten()
        .map(|s| format!("{} {}", s.subscription_id, s.label()))
        .collect();
    if sims.is_empty() {
        "none".to_owned()
    } else {
        sims.join(", ")
    }
}

fn segment_list(segments: &[Segment]) -> String {
    let mut names = vec!["all (all contacts)".to_owned()];
    names.extend(segments.iter().map(|s| format!("{} {}", s.id, s.name)));
    names.join(", ")
}

fn no_such(what: String) -> ApiError {
    Refusal::NoSuch(what).into()
}

/// The SIM `sim` on `device`, or why not. `kept` says the SIM is the flow's own, not sent.
fn check_sim(device: &Device, sim: u64, kept: bool) -> Result<(), ApiError> {
    if device
        .sims
        .iter()
        .flatten()
        .any(|s| s.subscription_id == sim)
    {
        return Ok(());
    }
    let whose = if kept { "the flow's SIM" } else { "SIM" };
    Err(no_such(format!(
        "{whose} {sim} is not a SIM of device {} ({}); its SIMs: {}",
        device.id,
        device.name,
        sim_list(device)
    )))
}

impl Client {
    /// Refuses a device, SIM or segment the account does not have, or a SIM of another device,
    /// before anything is sent. Reads `/devices` only when a device or SIM is sent, and
    /// `/segments` only when a saved segment is; both in the operator lane. `current` is the
    /// flow's device and SIM before an update.
    pub(super) async fn check_choices(
        &self,
        sent: &FlowPatch,
        current: (Option<u64>, Option<u64>),
    ) -> Result<(), ApiError> {
        let present = |v: Option<u64>| v.filter(|&n| n != 0);
        if sent.device_id.is_some() || sent.sim_subscription_id.is_some() {
            let devices = self.devices().await?;
            let find = |id: u64| devices.iter().find(|d| d.id == id);
            if let Some(d) = sent.device_id
                && find(d).is_none()
            {
                return Err(no_such(format!(
                    "device {d} does not exist on this account; devices: {}",
                    device_list(&devices)
                )));
            }
            // A new device keeps the flow's SIM unless one is sent: it must be on that device.
            let (sim, kept) = match (sent.sim_subscription_id, sent.device_id) {
                (Some(s), _) => (Some(s), false),
                (None, Some(_)) => (present(current.1), true),
                (None, None) => (None, false),
            };
            let device = sent.device_id.or(present(current.0)).and_then(find);
            match (sim, device) {
                (Some(s), Some(device)) => check_sim(device, s, kept)?,
                (Some(s), None) => {
                    let anywhere = devices
                        .iter()
                        .flat_map(|d| d.sims.iter().flatten())
                        .any(|x| x.subscription_id == s);
                    if !anywhere {
                        return Err(no_such(format!(
                            "SIM {s} is not a SIM of any device on this account; devices: {}",
                            device_list(&devices)
                        )));
                    }
                }
                (None, _) => {}
            }
        }
        if let Some(SegmentRef::Saved(n)) = sent.segment {
            let segments = self.segments().await?;
            if !segments.iter().any(|s| s.id == n) {
                return Err(no_such(format!(
                    "segment {n} does not exist on this account; segments: {}",
                    segment_list(&segments)
                )));
            }
        }
        Ok(())
    }

    /// After a switch or update whose answer was lost: re-reads flow `id` and says whether
    /// `sent` landed.
    pub(super) async fn landed_update(
        &self,
        id: FlowId,
        sent: &FlowPatch,
        cause: ApiError,
    ) -> Result<WithJson<Stored>, ApiError> {
        tracing::warn!(%id, error = %cause, "a write's answer was lost; reading the flow again");
        let w = match self.get_flow_json(id, Priority::Operator).await {
            Ok(w) if w.value.id == id => w,
            Ok(w) => {
                return Err(ApiError::LandingUnknown {
                    cause: Box::new(cause),
                    reread: Box::new(
                        Refusal::IdMismatch {
                            asked: id,
                            got: w.value.id,
                        }
                        .into(),
                    ),
                });
            }
            Err(reread) => {
                return Err(ApiError::LandingUnknown {
                    cause: Box::new(cause),
                    reread: Box::new(reread),
                });
            }
        };
        let c = compare(sent, &w.value);
        if c.differ.is_empty() {
            return Ok(WithJson {
                value: Stored {
                    flow: w.value,
                    lost_answer: Some(lost_answer(&cause)),
                },
                json: w.json,
            });
        }
        if c.same == 0 {
            return Err(ApiError::NotLanded {
                state: c.unchanged(id),
                cause: Box::new(cause),
            });
        }
        Err(ApiError::StoredOtherwise {
            id,
            created: false,
            what: c.stored_otherwise(),
        })
    }

    /// After a delete whose answer was lost: re-reads flow `id`; gone means it landed.
    pub(super) async fn landed_delete(
        &self,
        id: FlowId,
        cause: ApiError,
    ) -> Result<DeleteOutcome, ApiError> {
        tracing::warn!(%id, error = %cause, "a delete's answer was lost; reading the flow again");
        match self.get_flow(id, Priority::Operator).await {
            Err(ApiError::NotFound { .. }) => Ok(DeleteOutcome::DeletedLate {
                answer: lost_answer(&cause),
            }),
            Ok(f) if f.id == id => Err(ApiError::NotLanded {
                cause: Box::new(cause),
                state: format!("flow {id} is still there"),
            }),
            Ok(f) => Err(ApiError::LandingUnknown {
                cause: Box::new(cause),
                reread: Box::new(
                    Refusal::IdMismatch {
                        asked: id,
                        got: f.id,
                    }
                    .into(),
                ),
            }),
            Err(reread) => Err(ApiError::LandingUnknown {
                cause: Box::new(cause),
                reread: Box::new(reread),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::WaitUnit;

    fn flow() -> Flow {
        Flow {
            content: Some("Don't miss it...\nsee you".to_owned()),
            device_id: Some(3),
            sim_subscription_id: Some(1),
            segment: Some(SegmentRef::All),
            wait_time: Some(90),
            wait_unit: Some(WaitUnit::Days),
            ..Flow::bare(6, "Tom's shop")
        }
    }

    #[test]
    fn cleaning_and_clamping_are_not_substitutions() {
        let sent = FlowPatch {
            name: Some("Tom's <b>shop</b>".to_owned()),
            content: Some("Don’t  miss it…\r\nsee you".to_owned()),
            wait_time: Some(200),
            wait_unit: Some(WaitUnit::Days),
            ..FlowPatch::default()
        };
        let c = compare(&sent, &flow());
        assert_eq!(c.differ, Vec::new());
        assert_eq!(c.same, 4);
    }

    #[test]
    fn another_device_segment_or_state_is_named() {
        let sent = FlowPatch {
            device_id: Some(9),
            segment: Some(SegmentRef::Saved(4)),
            enabled: Some(false),
            ..FlowPatch::default()
        };
        let c = compare(&sent, &flow());
        assert_eq!(
            c.stored_otherwise(),
            "the server stored device 3, not device 9; segment all, not segment 4; \
             switched on, not switched off"
        );
        assert_eq!(
            c.unchanged(FlowId(6)),
            "flow 6 still has device 3 and still has segment all and is still on"
        );
    }
}
