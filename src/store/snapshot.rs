//! The snapshot's format: the last list of an account (flows, devices, segments), kept as the
//! API's own list answers (`{"data": [...], "meta": {...}}`) and read back through the same
//! decoder as a live answer (`api::wire`), so that every text is cleaned again as it is read and
//! rows that cannot be addressed are marked again.

use jiff::Timestamp;
use serde::Serialize;

use super::{Account, Snapshot, Store, StoreError};
use crate::api::wire;
use crate::domain::{Device, Flow, Segment, SimCard};

/// The last list seen of an account, decoded: what an offline start shows.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedList {
    /// When the list was seen.
    pub at: Timestamp,
    pub flows: Vec<Flow>,
    pub devices: Vec<Device>,
    pub segments: Vec<Segment>,
    /// Flows in the account, as the server counted them then.
    pub total: Option<u64>,
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, as the server writes times.
fn wire_time(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
}

/// A flow under the API's field names. Written straight into the text, with no tree of values
/// on the way: a list of 1000 flows would otherwise cost megabytes of short-lived maps.
#[derive(Serialize)]
struct WireFlow<'a> {
    id: u64,
    user_id: Option<u64>,
    name: &'a str,
    content: Option<&'a str>,
    device_id: Option<u64>,
    sim_subscription_id: Option<u64>,
    segment: Option<String>,
    wait_time: Option<i64>,
    wait_time_type: Option<&'static str>,
    is_enabled: u8,
    total_sent_sms: Option<i64>,
    total_pending_sms: Option<i64>,
    total_failed_sms: Option<i64>,
    last_sent_datetime: Option<String>,
    last_datetime: Option<String>,
    datetime: Option<String>,
}

impl<'a> From<&'a Flow> for WireFlow<'a> {
    fn from(f: &'a Flow) -> Self {
        WireFlow {
            id: f.id.0,
            user_id: f.user_id,
            name: &f.name,
            content: f.content.as_deref(),
            device_id: f.device_id,
            sim_subscription_id: f.sim_subscription_id,
            segment: f.segment.map(crate::domain::SegmentRef::to_form),
            wait_time: f.wait_time,
            wait_time_type: f.wait_unit.map(crate::domain::WaitUnit::as_str),
            is_enabled: u8::from(f.enabled),
            total_sent_sms: f.sent,
            total_pending_sms: f.pending,
            total_failed_sms: f.failed,
            last_sent_datetime: wire_time(f.last_sent),
            last_datetime: wire_time(f.last_changed),
            datetime: wire_time(f.created),
        }
    }
}

#[derive(Serialize)]
struct WireSim<'a> {
    subscription_id: u64,
    display_name: &'a str,
    carrier_name: &'a str,
    phone_number: Option<&'a str>,
    slot_index: Option<u32>,
}

#[derive(Serialize)]
struct WireDevice<'a> {
    id: u64,
    name: &'a str,
    device_model: Option<&'a str>,
    device_brand: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sims: Option<Vec<WireSim<'a>>>,
}

impl<'a> From<&'a Device> for WireDevice<'a> {
    fn from(d: &'a Device) -> Self {
        WireDevice {
            id: d.id,
            name: &d.name,
            device_model: d.model.as_deref(),
            device_brand: d.brand.as_deref(),
            sims: d.sims.as_ref().map(|sims| {
                sims.iter()
                    .map(|s: &'a SimCard| WireSim {
                        subscription_id: s.subscription_id,
                        display_name: &s.display_name,
                        carrier_name: &s.carrier_name,
                        phone_number: s.phone_number.as_deref(),
                        slot_index: s.slot_index,
                    })
                    .collect()
            }),
        }
    }
}

#[derive(Serialize)]
struct WireSegment<'a> {
    id: u64,
    name: &'a str,
    #[serde(rename = "type")]
    kind: Option<&'a str>,
    total_contacts: Option<u64>,
}

impl<'a> From<&'a Segment> for WireSegment<'a> {
    fn from(s: &'a Segment) -> Self {
        WireSegment {
            id: s.id,
            name: &s.name,
            kind: s.kind.as_deref(),
            total_contacts: s.total_contacts,
        }
    }
}

#[derive(Serialize)]
struct Meta {
    page: u32,
    results_per_page: usize,
    total: u64,
}

/// `{"data": [...], "meta": {...}}`, each item written as it is made.
#[derive(Serialize)]
struct WireList<I: Serialize> {
    data: I,
    meta: Meta,
}

/// A list's items, made one at a time as they are written.
struct Items<'a, T, W>(&'a [T], fn(&'a T) -> W);

impl<T, W: Serialize> Serialize for Items<'_, T, W> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(self.1))
    }
}

fn list_json<'a, T, W: Serialize>(
    items: &'a [T],
    wire: fn(&'a T) -> W,
    total: Option<u64>,
) -> String {
    let n = items.len();
    let list = WireList {
        data: Items(items, wire),
        meta: Meta {
            page: 1,
            results_per_page: n,
            total: total.unwrap_or(n as u64),
        },
    };
    // Plain data with string keys: writing it cannot fail.
    serde_json::to_string(&list).unwrap_or_default()
}

/// The list of flows as the API would answer it; `total` is the server's count of every flow.
pub fn flows_json(flows: &[Flow], total: Option<u64>) -> String {
    list_json(flows, WireFlow::from, total)
}

/// One flow under the API's field names, indented, as `Y` copies it.
pub fn flow_json(flow: &Flow) -> String {
    // Plain data with string keys: writing it cannot fail.
    serde_json::to_string_pretty(&WireFlow::from(flow)).unwrap_or_default()
}

pub fn devices_json(devices: &[Device]) -> String {
    list_json(devices, WireDevice::from, None)
}

pub fn segments_json(segments: &[Segment]) -> String {
    list_json(segments, WireSegment::from, None)
}

/// The snapshot of a list as the dashboard shows it, ready for [`super::Recorder::snapshot`].
/// Empty devices or segments (not loaded yet) are left out, which keeps what was stored.
pub fn snapshot_of(
    at: Timestamp,
    flows: &[Flow],
    total: Option<u64>,
    devices: &[Device],
    segments: &[Segment],
) -> Snapshot {
    Snapshot {
        at: Some(at),
        flows: Some(flows_json(flows, total)),
        devices: (!devices.is_empty()).then(|| devices_json(devices)),
        segments: (!segments.is_empty()).then(|| segments_json(segments)),
    }
}

impl SavedList {
    /// Decodes a stored snapshot; `None` when it holds no flows or they cannot be read (a part
    /// that cannot be read is left empty: the rows matter most).
    pub fn read(snapshot: &Snapshot) -> Option<SavedList> {
        let at = snapshot.at?;
        let text = snapshot.flows.as_deref()?;
        let page = match wire::flow_page(text.as_bytes(), 1, 1) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "the snapshot's flows cannot be read");
                return None;
            }
        };
        let devices = snapshot
            .devices
            .as_deref()
            .and_then(|t| wire::device_page(t.as_bytes(), 1, 1).ok())
            .map(|p| p.items)
            .unwrap_or_default();
        let segments = snapshot
            .segments
            .as_deref()
            .and_then(|t| wire::segment_page(t.as_bytes(), 1, 1).ok())
            .map(|p| p.items)
            .unwrap_or_default();
        Some(SavedList {
            at,
            total: page.total,
            flows: page.items,
            devices,
            segments,
        })
        .filter(|s| !s.flows.is_empty())
    }
}

impl Store {
    /// The last list seen of the account (before any answer named the user: the account last
    /// seen at its base URL), decoded.
    pub fn saved_list(&self, account: &Account) -> Result<Option<SavedList>, StoreError> {
        Ok(self.snapshot(account)?.and_then(|s| SavedList::read(&s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FlowId, RowBlock, SegmentRef, WaitUnit};

    fn flow(id: u64, name: &str) -> Flow {
        Flow {
            id: FlowId(id),
            user_id: Some(3),
            name: name.to_owned(),
            content: Some("Hello {{NAME}}\nbye".to_owned()),
            device_id: Some(2),
            sim_subscription_id: Some(21),
            segment: Some(SegmentRef::Saved(7)),
            wait_time: Some(-4),
            wait_unit: Some(WaitUnit::Hours),
            enabled: true,
            sent: Some(120),
            pending: Some(3),
            failed: Some(-1),
            last_sent: Some(Timestamp::from_second(1_761_000_000).unwrap()),
            last_changed: None,
            created: Some(Timestamp::from_second(1_760_000_000).unwrap()),
            blocked: None,
        }
    }

    #[test]
    fn a_list_read_back_is_the_list_that_was_saved() {
        let flows = vec![flow(12, "Welcome"), flow(13, "Tom's deal")];
        let devices = vec![Device {
            id: 2,
            name: "Front desk".into(),
            sims: Some(vec![SimCard {
                subscription_id: 21,
                display_name: "SIM 1".into(),
                carrier_name: "Orange".into(),
                phone_number: None,
                slot_index: Some(0),
            }]),
            model: Some("Pixel".into()),
            brand: None,
        }];
        let segments = vec![Segment {
            id: 7,
            name: "VIP".into(),
            kind: Some("static".into()),
            total_contacts: Some(42),
        }];
        let at = Timestamp::from_second(1_761_000_100).unwrap();
        let snap = snapshot_of(at, &flows, Some(40), &devices, &segments);
        let back = SavedList::read(&snap).unwrap();
        assert_eq!(back.at, at);
        assert_eq!(back.flows, flows);
        assert_eq!(back.devices, devices);
        assert_eq!(back.segments, segments);
        assert_eq!(back.total, Some(40));
    }

    #[test]
    fn rows_that_cannot_be_addressed_are_marked_again_and_text_is_cleaned() {
        let a = flow(5, "evil\u{1b}]0;title\u{7}name");
        let b = flow(5, "twin");
        let snap = snapshot_of(Timestamp::UNIX_EPOCH, &[a, b], None, &[], &[]);
        assert_eq!(
            snap.devices, None,
            "no devices loaded: the stored ones stay"
        );
        let back = SavedList::read(&snap).unwrap();
        assert_eq!(back.flows[0].name, "evilname");
        assert_eq!(back.flows[0].blocked, Some(RowBlock::RepeatedId));
        assert_eq!(back.total, Some(2));
    }

    #[test]
    fn a_snapshot_without_flows_or_with_unreadable_flows_shows_nothing() {
        let mut snap = snapshot_of(Timestamp::UNIX_EPOCH, &[], None, &[], &[]);
        assert_eq!(SavedList::read(&snap), None);
        snap.flows = Some("{not json".into());
        assert_eq!(SavedList::read(&snap), None);
    }
}
