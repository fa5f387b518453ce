//! The demo account's rows (flows, devices, segments), seeded from `assets/demo.json`, and the
//! write rules of CONTRACT §6.3 and §6.4 for both server builds.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::php;

const DEMO: &str = include_str!("../../assets/demo.json");

/// Name and content limits of `input_clean` on flows (CONTRACT §6.3).
const NAME_MAX: usize = 256;
const CONTENT_MAX: usize = 1000;

/// A flow row as the server stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredFlow {
    pub id: u64,
    pub device_id: Option<u64>,
    /// Stored raw: the shipped build keeps whatever string was sent.
    pub sim_subscription_id: Option<String>,
    pub user_id: u64,
    pub name: String,
    pub content: String,
    pub segment: String,
    pub wait_time: u32,
    pub wait_time_type: String,
    pub is_enabled: bool,
    pub total_sent_sms: i64,
    pub total_pending_sms: i64,
    pub total_failed_sms: i64,
    pub last_sent_datetime: Option<String>,
    pub last_datetime: Option<String>,
    pub datetime: String,
}

/// A change made behind the client's back (as from the web dashboard), stored as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct FlowEdit {
    pub name: Option<String>,
    pub content: Option<String>,
    pub is_enabled: Option<bool>,
    pub wait_time: Option<u32>,
    pub wait_time_type: Option<String>,
    pub segment: Option<String>,
    /// Counters as the server's drift can leave them (CONTRACT §12 item 23), negative included.
    pub total_sent_sms: Option<i64>,
    pub total_pending_sms: Option<i64>,
    pub total_failed_sms: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SimCard {
    pub subscription_id: u64,
    pub phone_number: Option<String>,
    pub carrier_name: String,
    pub slot_index: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Device {
    pub id: u64,
    pub name: String,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub os: Option<String>,
    pub battery: Option<u8>,
    pub charging: Option<bool>,
    pub delay: u32,
    age_days: i64,
    pub sims: Option<Vec<SimCard>>,
    #[serde(skip)]
    pub datetime: String,
    #[serde(skip)]
    pub last_ping_datetime: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Segment {
    pub id: u64,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub total_contacts: u64,
    age_days: i64,
    pub settings: serde_json::Value,
    #[serde(skip)]
    pub datetime: String,
}

#[derive(Deserialize)]
struct SeedFlow {
    name: String,
    content: String,
    device: Option<u64>,
    sim: Option<String>,
    wait: (u32, String),
    segment: String,
    enabled: bool,
    sent: i64,
    pending: i64,
    failed: i64,
    age_days: i64,
    edited_days_ago: Option<i64>,
    last_sent_min_ago: Option<i64>,
}

#[derive(Deserialize)]
struct ExtraNames {
    first: Vec<String>,
    second: Vec<String>,
}

#[derive(Deserialize)]
struct Demo {
    user_id: u64,
    devices: Vec<Device>,
    segments: Vec<Segment>,
    flows: Vec<SeedFlow>,
    extra_names: ExtraNames,
}

/// Why a write was refused; the server turns each into its answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WriteError {
    /// 401 `You must fill all the required fields.`
    Required,
    /// 404 `The resource you are looking for does not exist.`
    NotFound,
    /// The shipped build's PHP `TypeError`: a 500 HTML page.
    Fatal,
    /// The shipped build on a strict database: the insert was refused (`is_enabled=0` goes in
    /// as PHP `false`, which strict mode refuses for the integer column, CONTRACT §12 item 13).
    /// The server still answers 201, with the row it tried to store and `"id": false`.
    NotStored(Box<StoredFlow>),
}

pub(crate) struct Store {
    pub user_id: u64,
    pub flows: BTreeMap<u64, StoredFlow>,
    pub devices: Vec<Device>,
    pub segments: Vec<Segment>,
    next_id: u64,
    /// The shipped build stores quotes as HTML entities (CONTRACT §6.5).
    entities: bool,
}

/// UTC `YYYY-MM-DD HH:MM:SS`, the API's datetime format.
pub(crate) fn datetime(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

fn ago(now: Timestamp, seconds: i64) -> String {
    datetime(Timestamp::from_second(now.as_second() - seconds).unwrap_or(now))
}

fn max_wait(unit: &str) -> i64 {
    match unit {
        "minutes" => 129_600,
        "hours" => 2160,
        _ => 90,
    }
}

fn valid_unit(unit: &str) -> bool {
    matches!(unit, "minutes" | "hours" | "days")
}

impl Store {
    /// Seeds `flows` flows: the asset's, then generated ones when more are asked for.
    pub(crate) fn seed(
        flows: usize,
        entities: bool,
        seed: u64,
        now: Timestamp,
    ) -> serde_json::Result<Self> {
        let demo: Demo = serde_json::from_str(DEMO)?;
        let mut devices = demo.devices;
        for device in &mut devices {
            device.datetime = ago(now, device.age_days * 86_400);
            device.last_ping_datetime = device.sims.as_ref().map(|_| ago(now, 30));
        }
        let mut segments = demo.segments;
        for segment in &mut segments {
            segment.datetime = ago(now, segment.age_days * 86_400);
        }
        let mut store = Store {
            user_id: demo.user_id,
            flows: BTreeMap::new(),
            devices,
            segments,
            next_id: 1,
            entities,
        };
        let quote = |text: &str| php::input_clean(text, usize::MAX, entities);
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
        let connected: Vec<(u64, u64)> = store
            .devices
            .iter()
            .filter_map(|d| d.sims.as_ref()?.first().map(|s| (d.id, s.subscription_id)))
            .collect();
        for i in 0..flows {
            let id = store.take_id();
            let row = if let Some(f) = demo.flows.get(i) {
                StoredFlow {
                    id,
                    device_id: f.device,
                    sim_subscription_id: f.sim.clone(),
                    user_id: store.user_id,
                    name: quote(&f.name),
                    content: quote(&f.content),
                    segment: f.segment.clone(),
                    wait_time: f.wait.0,
                    wait_time_type: f.wait.1.clone(),
                    is_enabled: f.enabled,
                    total_sent_sms: f.sent,
                    total_pending_sms: f.pending,
                    total_failed_sms: f.failed,
                    last_sent_datetime: f.last_sent_min_ago.map(|m| ago(now, m * 60)),
                    last_datetime: f.edited_days_ago.map(|d| ago(now, d * 86_400)),
                    datetime: ago(now, f.age_days * 86_400),
                }
            } else {
                let words = &demo.extra_names;
                let first = words.first.get(i % words.first.len().max(1));
                let second = words.second.get((i / 7) % words.second.len().max(1));
                let name = format!(
                    "{} {} {}",
                    first.map_or("Flow", String::as_str),
                    second.map_or("", String::as_str),
                    i + 1
                );
                let (device, sim) = match connected.get(i % (connected.len() + 1)) {
                    Some(&(d, s)) => (Some(d), Some(s.to_string())),
                    None => (None, None),
                };
                let sent = rng.random_range(0..5000);
                StoredFlow {
                    id,
                    device_id: device,
                    sim_subscription_id: sim,
                    user_id: store.user_id,
                    name,
                    content: format!("Hi {{{{NAME}}}}, this is message {} of our series.", i + 1),
                    segment: "all".to_owned(),
                    wait_time: rng.random_range(1..=48),
                    wait_time_type: "hours".to_owned(),
                    is_enabled: rng.random_bool(0.75),
                    total_sent_sms: sent,
                    total_pending_sms: rng.random_range(0..60),
                    total_failed_sms: sent / rng.random_range(20..200),
                    last_sent_datetime: (sent > 0).then(|| ago(now, rng.random_range(60..200_000))),
                    last_datetime: None,
                    datetime: ago(now, rng.random_range(86_400..40_000_000)),
                }
            };
            store.flows.insert(id, row);
        }
        Ok(store)
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn clean(&self, raw: &str, max: usize) -> String {
        php::input_clean(raw, max, self.entities)
    }

    /// A segment given as `all` or a numeric id that exists (looked up without an ownership
    /// check); the raw string is kept when found (CONTRACT §6.3).
    fn resolve_segment(&self, raw: &str) -> String {
        let found = php::numeric_value(raw).is_some_and(|n| {
            self.segments
                .iter()
                .any(|s| (s.id as f64 - n).abs() < f64::EPSILON)
        });
        if found {
            raw.to_owned()
        } else {
            "all".to_owned()
        }
    }

    /// The device id if it is one of the account's devices.
    fn accept_device(&self, raw: &str) -> Option<&Device> {
        let id = php::intval(raw);
        self.devices.iter().find(|d| d.id as i64 == id)
    }

    /// The SIM if it is on the device, as the device reports it.
    fn accept_sim(device: &Device, raw: &str) -> Option<String> {
        let id = php::intval(raw);
        device
            .sims
            .iter()
            .flatten()
            .find(|s| s.subscription_id as i64 == id)
            .map(|s| s.subscription_id.to_string())
    }

    /// API create. `quirks`: the shipped build, which always stores a NULL device and, on its
    /// strict database, stores nothing for a create with `is_enabled=0`.
    pub(crate) fn create(
        &mut self,
        form: &BTreeMap<String, String>,
        quirks: bool,
        now: Timestamp,
    ) -> Result<u64, WriteError> {
        let field = |key: &str| form.get(key).map(String::as_str);
        let required = ["name", "content", "device_id", "sim_subscription_id"];
        if required
            .iter()
            .any(|k| field(k).is_none_or(|v| v.trim().is_empty()))
        {
            return Err(WriteError::Required);
        }
        let raw = |key: &str| field(key).unwrap_or_default();
        let name = self.clean(raw("name"), NAME_MAX);
        let content = php::normalize_sms(&self.clean(raw("content"), CONTENT_MAX));
        let device = if quirks {
            None
        } else {
            self.accept_device(raw("device_id"))
        };
        let sim = match device {
            Some(device) => Self::accept_sim(device, raw("sim_subscription_id")),
            None => Some(raw("sim_subscription_id").to_owned()),
        };
        let device_id = device.map(|d| d.id);
        let unit = field("wait_time_type")
            .filter(|u| valid_unit(u))
            .unwrap_or("days")
            .to_owned();
        let wait = php::intval(raw("wait_time")).clamp(1, max_wait(&unit)) as u32;
        let segment = self.resolve_segment(field("segment").unwrap_or("all"));
        let enabled = field("is_enabled").is_none_or(php::truthy);
        let refused = quirks && !enabled;
        let id = if refused { 0 } else { self.take_id() };
        let row = StoredFlow {
            id,
            device_id,
            sim_subscription_id: sim,
            user_id: self.user_id,
            name,
            content,
            segment,
            wait_time: wait,
            wait_time_type: unit,
            is_enabled: enabled,
            total_sent_sms: 0,
            total_pending_sms: 0,
            total_failed_sms: 0,
            last_sent_datetime: None,
            last_datetime: None,
            datetime: datetime(now),
        };
        if refused {
            return Err(WriteError::NotStored(Box::new(row)));
        }
        self.flows.insert(id, row);
        Ok(id)
    }

    /// API update (`POST /flows/{id}`): absent fields keep their stored value, except the shipped
    /// build's SIM, which is wiped when omitted; a flow with a device ends in its 500.
    pub(crate) fn update(
        &mut self,
        id: u64,
        form: &BTreeMap<String, String>,
        quirks: bool,
        now: Timestamp,
    ) -> Result<(), WriteError> {
        let field = |key: &str| form.get(key).map(String::as_str);
        let old = self.flows.get(&id).ok_or(WriteError::NotFound)?;
        let name = field("name").map_or_else(|| old.name.clone(), |n| self.clean(n, NAME_MAX));
        let content = field("content").map_or_else(
            || old.content.clone(),
            |c| {
                let cleaned = self.clean(c, CONTENT_MAX);
                if quirks {
                    cleaned
                } else {
                    php::normalize_sms(&cleaned)
                }
            },
        );
        let device = if quirks {
            old.device_id
        } else {
            field("device_id")
                .and_then(|d| self.accept_device(d))
                .map(|d| d.id)
                .or(old.device_id)
        };
        let sim = match (quirks, device, field("sim_subscription_id")) {
            (true, Some(_), _) => return Err(WriteError::Fatal),
            (true, None, given) => given.map(str::to_owned),
            (false, Some(d), Some(given)) => self
                .devices
                .iter()
                .find(|dev| dev.id == d)
                .and_then(|dev| Self::accept_sim(dev, given)),
            (false, None, Some(given)) => Some(given.to_owned()),
            (false, _, None) => old.sim_subscription_id.clone(),
        };
        let unit = field("wait_time_type")
            .filter(|u| valid_unit(u))
            .map_or_else(|| old.wait_time_type.clone(), str::to_owned);
        let wait = field("wait_time").map_or(i64::from(old.wait_time), php::intval);
        let wait = wait.clamp(1, max_wait(&unit)) as u32;
        let is_enabled = field("is_enabled").map_or(old.is_enabled, php::truthy);
        let segment = self.resolve_segment(field("segment").unwrap_or(&old.segment));
        let Some(row) = self.flows.get_mut(&id) else {
            return Err(WriteError::NotFound);
        };
        row.name = name;
        row.content = content;
        row.device_id = device;
        row.sim_subscription_id = sim;
        row.wait_time_type = unit;
        row.wait_time = wait;
        row.is_enabled = is_enabled;
        row.segment = segment;
        row.last_datetime = Some(datetime(now));
        Ok(())
    }

    pub(crate) fn delete(&mut self, id: u64) -> bool {
        self.flows.remove(&id).is_some()
    }

    /// A change made elsewhere (the web dashboard, another operator), stored as given.
    pub(crate) fn edit(&mut self, id: u64, edit: FlowEdit, now: Timestamp) -> bool {
        let Some(row) = self.flows.get_mut(&id) else {
            return false;
        };
        if let Some(name) = edit.name {
            row.name = name;
        }
        if let Some(content) = edit.content {
            row.content = content;
        }
        if let Some(enabled) = edit.is_enabled {
            row.is_enabled = enabled;
        }
        if let Some(wait) = edit.wait_time {
            row.wait_time = wait;
        }
        if let Some(unit) = edit.wait_time_type {
            row.wait_time_type = unit;
        }
        if let Some(segment) = edit.segment {
            row.segment = segment;
        }
        for (to, from) in [
            (&mut row.total_sent_sms, edit.total_sent_sms),
            (&mut row.total_pending_sms, edit.total_pending_sms),
            (&mut row.total_failed_sms, edit.total_failed_sms),
        ] {
            if let Some(n) = from {
                *to = n;
            }
        }
        row.last_datetime = Some(datetime(now));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn seeds_the_asset_and_more() {
        let store = Store::seed(45, false, 1, Timestamp::now()).unwrap();
        assert_eq!(store.flows.len(), 45);
        assert_eq!(store.devices.len(), 4);
        assert_eq!(store.segments.len(), 3);
        let ids: Vec<u64> = store.flows.keys().copied().collect();
        assert_eq!(ids, (1..=45).collect::<Vec<_>>());
    }

    #[test]
    fn update_switching_unit_clamps_against_the_new_unit() {
        let mut store = Store::seed(40, false, 1, Timestamp::now()).unwrap();
        let now = Timestamp::now();
        let id = store
            .create(
                &form(&[
                    ("name", "n"),
                    ("content", "c"),
                    ("device_id", "3"),
                    ("sim_subscription_id", "1"),
                    ("wait_time", "1000"),
                    ("wait_time_type", "minutes"),
                ]),
                false,
                now,
            )
            .unwrap();
        store
            .update(id, &form(&[("wait_time_type", "days")]), false, now)
            .unwrap();
        assert_eq!(store.flows[&id].wait_time, 90);
        assert_eq!(store.flows[&id].device_id, Some(3));
    }

    #[test]
    fn segments_resolve_like_php() {
        let store = Store::seed(1, false, 1, Timestamp::now()).unwrap();
        assert_eq!(store.resolve_segment("4"), "4");
        assert_eq!(store.resolve_segment("4.0"), "4.0");
        assert_eq!(store.resolve_segment("5"), "all");
        assert_eq!(store.resolve_segment("vip"), "all");
    }
}
