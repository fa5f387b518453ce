//! Tolerant decoding of the API's answers into domain types.
//!
//! The server may be the documented build or the shipped one (CONTRACT §12): `total` or
//! `total_results`, `page` as a number or a string, `settings` as anything, fields left out,
//! numbers sent as strings, quotes as entities. Everything is read through the small lenient
//! getters below, and every text is cleaned here, once.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::DateTime;
use serde_json::{Map, Value};

use super::error::ApiError;
use crate::domain::clean;
use crate::domain::message::{Message, SmsStatus};
use crate::domain::{Device, Flow, FlowId, RowBlock, Segment, SegmentRef, SimCard, WaitUnit};

/// A decoded answer and the cleaned JSON it was decoded from.
#[derive(Clone, Debug, PartialEq)]
pub struct WithJson<T> {
    pub value: T,
    /// The answer's `data` (an object or a list), text cleaned; `Null` when there was none.
    pub json: Value,
}

/// One page of a list, as asked and as answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The page asked for: the server's echo may be a string, garbage, or 0.
    pub page: u32,
    pub per_page: u32,
    pub total: Option<u64>,
    pub total_pages: Option<u32>,
}

impl<T> Page<T> {
    /// The number of pages, from the server's count or, failing that, its total.
    pub fn pages(&self) -> Option<u32> {
        pages(self.total_pages, self.total, self.per_page)
    }
}

/// The number of pages: the server's count and its total over the page size, the smaller when
/// both are sent. A count beyond the total (a server claiming 10^9 pages) is not believed: the
/// pages past the total would be empty.
pub fn pages(total_pages: Option<u32>, total: Option<u64>, per_page: u32) -> Option<u32> {
    let by_total =
        total.map(|t| u32::try_from(t.div_ceil(u64::from(per_page.max(1)))).unwrap_or(u32::MAX));
    total_pages.into_iter().chain(by_total).min()
}

/// The error body `{"errors":[{"title":…,"status":…}]}`; `status` may be a string or a number.
pub fn error_title(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let title = v.get("errors")?.get(0)?.get("title")?.as_str()?;
    Some(clean::one_line(&super::error::redact(title)))
}

/// A short, cleaned start of a body, for messages.
pub fn excerpt(body: &[u8]) -> String {
    // Redacted before it is cut: the start of a key is a leak too. The key is redacted in a
    // longer part than is kept, so one that straddles the cut cannot show either.
    let lossy = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let redacted = super::error::redact(&lossy);
    let text: String = redacted.chars().take(400).collect();
    // An HTML page (a PHP warning, an error page) reads better as its words than as its tags.
    let text = if looks_like_html(body) {
        without_tags(&text)
    } else {
        text
    };
    let one = clean::one_line(&text);
    let squeezed: String = one.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = squeezed.chars().take(80).collect();
    if squeezed.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// The text between the tags: inline tags (`<b>`, `<a …>`) vanish, others become a space. A tag
/// cut off at the end is dropped.
fn without_tags(html: &str) -> String {
    const INLINE: [&str; 8] = ["b", "i", "a", "em", "strong", "span", "code", "font"];
    let mut out = String::with_capacity(html.len());
    let mut tag: Option<String> = None;
    for c in html.chars() {
        match (&mut tag, c) {
            (None, '<') => tag = Some(String::new()),
            (None, c) => out.push(c),
            (Some(t), '>') => {
                let name = t.trim_start_matches('/');
                let name = name.split([' ', '/']).next().unwrap_or_default();
                if !INLINE.iter().any(|i| name.eq_ignore_ascii_case(i)) {
                    out.push(' ');
                }
                tag = None;
            }
            (Some(t), c) => t.push(c),
        }
    }
    out
}

/// True when a body is an HTML page rather than JSON.
pub fn looks_like_html(body: &[u8]) -> bool {
    let start = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    let t = start.trim_start();
    t.starts_with('<') || t.contains("<html") || t.contains("<!doctype")
}

fn undecodable(detail: impl Into<String>, body: &[u8]) -> ApiError {
    let detail = detail.into();
    if looks_like_html(body) {
        return ApiError::Undecodable {
            detail: "the server answered HTML instead of JSON".to_owned(),
            excerpt: excerpt(body),
        };
    }
    ApiError::Undecodable {
        detail,
        excerpt: excerpt(body),
    }
}

fn json_error(e: &serde_json::Error, body: &[u8]) -> ApiError {
    if e.is_eof() && !looks_like_html(body) {
        // The start of a good answer says nothing about why it broke off.
        return ApiError::Undecodable {
            detail: "the answer is cut short (truncated JSON)".to_owned(),
            excerpt: String::new(),
        };
    }
    undecodable(format!("invalid JSON ({e})"), body)
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| json_error(&e, body))
}

fn data_object(v: &Value, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match v.get("data") {
        Some(Value::Object(m)) => Ok(m.clone()),
        _ => Err(undecodable("expected an object under `data`", body)),
    }
}

fn data_array<'a>(v: &'a Value, body: &[u8]) -> Result<&'a Vec<Value>, ApiError> {
    match v.get("data") {
        Some(Value::Array(a)) => Ok(a),
        _ => Err(undecodable("expected a list under `data`", body)),
    }
}

/// Where the lenient getters read a field from: a JSON object, or a list item decoded field by
/// field.
trait Fields {
    fn field(&self, key: &str) -> Option<&Value>;
}

impl Fields for Map<String, Value> {
    fn field(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }
}

/// A flow of a list, each known field kept as raw JSON and every other field skipped. Decoding a
/// page into these instead of a whole `Value` tree keeps a 1000-flow page from costing megabytes
/// of maps on the way.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct RawFlow {
    id: Option<Value>,
    user_id: Option<Value>,
    name: Option<Value>,
    content: Option<Value>,
    device_id: Option<Value>,
    sim_subscription_id: Option<Value>,
    segment: Option<Value>,
    wait_time: Option<Value>,
    wait_time_type: Option<Value>,
    is_enabled: Option<Value>,
    total_sent_sms: Option<Value>,
    total_pending_sms: Option<Value>,
    total_failed_sms: Option<Value>,
    last_sent_datetime: Option<Value>,
    last_datetime: Option<Value>,
    datetime: Option<Value>,
}

impl Fields for RawFlow {
    fn field(&self, key: &str) -> Option<&Value> {
        match key {
            "id" => self.id.as_ref(),
            "user_id" => self.user_id.as_ref(),
            "name" => self.name.as_ref(),
            "content" => self.content.as_ref(),
            "device_id" => self.device_id.as_ref(),
            "sim_subscription_id" => self.sim_subscription_id.as_ref(),
            "segment" => self.segment.as_ref(),
            "wait_time" => self.wait_time.as_ref(),
            "wait_time_type" => self.wait_time_type.as_ref(),
            "is_enabled" => self.is_enabled.as_ref(),
            "total_sent_sms" => self.total_sent_sms.as_ref(),
            "total_pending_sms" => self.total_pending_sms.as_ref(),
            "total_failed_sms" => self.total_failed_sms.as_ref(),
            "last_sent_datetime" => self.last_sent_datetime.as_ref(),
            "last_datetime" => self.last_datetime.as_ref(),
            "datetime" => self.datetime.as_ref(),
            _ => None,
        }
    }
}

/// A page of flows: the items as [`RawFlow`]s, anything else kept only when it is `meta`.
#[derive(serde::Deserialize)]
struct RawFlowPage {
    data: Vec<RawItem>,
    #[serde(default)]
    meta: Option<Value>,
}

/// A list item: a flow object, or anything else (reported as an error, not a parse failure).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum RawItem {
    Flow(Box<RawFlow>),
    Other(serde::de::IgnoredAny),
}

/// A field error names the field but never quotes its value (it may be hostile or huge).
#[derive(Debug)]
struct FieldError(String);

type Field<T> = Result<Option<T>, FieldError>;

fn int<F: Fields + ?Sized>(m: &F, key: &str) -> Field<i64> {
    match m.field(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| FieldError(format!("`{key}` is not a whole number"))),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| FieldError(format!("`{key}` is not a whole number"))),
        Some(_) => Err(FieldError(format!("`{key}` is not a number"))),
    }
}

fn uint<F: Fields + ?Sized>(m: &F, key: &str) -> Field<u64> {
    match int(m, key)? {
        None => Ok(None),
        Some(n) => u64::try_from(n)
            .map(Some)
            .map_err(|_| FieldError(format!("`{key}` is negative"))),
    }
}

fn raw_text<F: Fields + ?Sized>(m: &F, key: &str) -> Field<String> {
    match m.field(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(FieldError(format!("`{key}` is not text"))),
    }
}

fn boolish<F: Fields + ?Sized>(m: &F, key: &str) -> Field<bool> {
    match m.field(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) => Ok(Some(n.as_f64() != Some(0.0))),
        // The server's own truthiness: only "0" and "" are false.
        Some(Value::String(s)) => Ok(Some(!(s.is_empty() || s == "0"))),
        Some(_) => Err(FieldError(format!("`{key}` is not true or false"))),
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC. A value that is not a time reads as absent, not as an error:
/// a broken date must not hide the rest of the flow.
fn time<F: Fields + ?Sized>(m: &F, key: &str) -> Option<Timestamp> {
    let s = m.field(key)?.as_str()?;
    let dt: DateTime = s.trim().replace(' ', "T").parse().ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// The id must be a whole number; `false` (a create the database refused) or text is an error.
fn id_of<F: Fields + ?Sized>(m: &F, what: &str) -> Result<u64, FieldError> {
    match m.field("id") {
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| FieldError(format!("the {what}'s `id` is not a whole number"))),
        Some(Value::Bool(false)) => Err(FieldError(format!(
            "the server answered `id: false`: the {what} was not stored"
        ))),
        Some(_) => Err(FieldError(format!(
            "the {what}'s `id` is not a whole number"
        ))),
        None => Err(FieldError(format!("the {what} has no `id`"))),
    }
}

fn flow_from<F: Fields + ?Sized>(m: &F) -> Result<Flow, FieldError> {
    let id = id_of(m, "flow")?;
    let name = raw_text(m, "name")?.ok_or_else(|| FieldError("a flow has no `name`".into()))?;
    let counter = |key| int(m, key);
    Ok(Flow {
        id: FlowId(id),
        user_id: uint(m, "user_id")?,
        name: clean::one_line(&name),
        content: raw_text(m, "content")?.map(|c| clean::multi_line(&c)),
        device_id: uint(m, "device_id")?,
        sim_subscription_id: uint(m, "sim_subscription_id")?,
        segment: raw_text(m, "segment")?.map(|s| SegmentRef::parse(&s).unwrap_or_default()),
        // Kept as sent, even negative: one absurd wait must neither hide the page nor read
        // as a plausible one.
        wait_time: int(m, "wait_time")?,
        wait_unit: raw_text(m, "wait_time_type")?.and_then(|s| WaitUnit::parse(&s)),
        enabled: boolish(m, "is_enabled")?
            .ok_or_else(|| FieldError("a flow has no `is_enabled`".into()))?,
        sent: counter("total_sent_sms")?,
        pending: counter("total_pending_sms")?,
        failed: counter("total_failed_sms")?,
        last_sent: time(m, "last_sent_datetime"),
        last_changed: time(m, "last_datetime"),
        created: time(m, "datetime"),
        blocked: None,
    })
}

fn meta_page<T>(meta: Option<&Value>, items: Vec<T>, page: u32, per_page: u32) -> Page<T> {
    let empty = Map::new();
    let meta = meta.and_then(Value::as_object).unwrap_or(&empty);
    // Prefer the shipped key; the documented one is the fallback.
    let total = uint(meta, "total_results")
        .ok()
        .flatten()
        .or_else(|| uint(meta, "total").ok().flatten());
    let total_pages = uint(meta, "total_pages")
        .ok()
        .flatten()
        .map(|p| u32::try_from(p).unwrap_or(u32::MAX));
    let per_page = uint(meta, "results_per_page")
        .ok()
        .flatten()
        .and_then(|p| u32::try_from(p).ok())
        .filter(|&p| p > 0)
        .unwrap_or(per_page);
    Page {
        items,
        page,
        per_page,
        total,
        total_pages,
    }
}

/// Marks rows that cannot be addressed: id 0, or an id another row of the list also has.
pub fn mark_unaddressable(flows: &mut [Flow]) {
    let mut seen: HashMap<FlowId, usize> = HashMap::new();
    for f in flows.iter() {
        *seen.entry(f.id).or_default() += 1;
    }
    for f in flows.iter_mut() {
        f.blocked = if f.id.0 == 0 {
            Some(RowBlock::ZeroId)
        } else if seen[&f.id] > 1 {
            Some(RowBlock::RepeatedId)
        } else {
            None
        };
    }
}

pub fn flow_page(body: &[u8], page: u32, per_page: u32) -> Result<Page<Flow>, ApiError> {
    let raw: RawFlowPage = serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            undecodable("expected a list under `data`", body)
        } else {
            json_error(&e, body)
        }
    })?;
    let items = raw
        .data
        .iter()
        .enumerate()
        .map(|(i, item)| {
            match item {
                RawItem::Flow(f) => flow_from(f.as_ref()),
                RawItem::Other(_) => Err(FieldError(format!("item {} is not an object", i + 1))),
            }
            .map_err(|e| undecodable(e.0, body))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut p = meta_page(raw.meta.as_ref(), items, page, per_page);
    mark_unaddressable(&mut p.items);
    Ok(p)
}

/// `{"data": {…}}` of a single read, a create or an update.
pub fn single_flow(body: &[u8]) -> Result<Flow, ApiError> {
    let v = parse_json(body)?;
    flow_from(&data_object(&v, body)?).map_err(|e| undecodable(e.0, body))
}

fn sim_from(v: &Value) -> Option<SimCard> {
    let m = v.as_object()?;
    let subscription_id = uint(m, "subscription_id")
        .ok()
        .flatten()
        .filter(|&s| s != 0)?;
    let slot_index = uint(m, "slot_index").ok().flatten().map(|s| s as u32);
    let display = raw_text(m, "display_name")
        .ok()
        .flatten()
        .map(|s| clean::one_line(&s));
    Some(SimCard {
        subscription_id,
        display_name: display.filter(|s| !s.is_empty()).unwrap_or_else(|| {
            format!(
                "SIM {}",
                slot_index.map_or(subscription_id, |s| u64::from(s) + 1)
            )
        }),
        carrier_name: raw_text(m, "carrier_name")
            .ok()
            .flatten()
            .map(|s| clean::one_line(&s))
            .unwrap_or_default(),
        phone_number: raw_text(m, "phone_number")
            .ok()
            .flatten()
            .map(|s| clean::one_line(&s)),
        slot_index,
    })
}

fn device_from(m: &Map<String, Value>) -> Result<Device, FieldError> {
    let id = id_of(m, "device")?;
    let text = |key| -> Result<Option<String>, FieldError> {
        Ok(raw_text(m, key)?.map(|s| clean::one_line(&s)))
    };
    let sims = match m.get("sims") {
        Some(Value::Array(a)) => Some(a.iter().filter_map(sim_from).collect()),
        _ => None,
    };
    Ok(Device {
        id,
        name: text("name")?.unwrap_or_else(|| format!("device {id}")),
        sims,
        model: text("device_model")?,
        brand: text("device_brand")?,
    })
}

fn segment_from(m: &Map<String, Value>) -> Result<Segment, FieldError> {
    let id = id_of(m, "segment")?;
    Ok(Segment {
        id,
        name: raw_text(m, "name")?.map_or_else(|| format!("segment {id}"), |s| clean::one_line(&s)),
        kind: raw_text(m, "type")?.map(|s| clean::one_line(&s)),
        // A string in lists, a number in single reads.
        total_contacts: uint(m, "total_contacts").ok().flatten(),
    })
}

fn list_of<T>(
    body: &[u8],
    page: u32,
    per_page: u32,
    what: &str,
    from: fn(&Map<String, Value>) -> Result<T, FieldError>,
) -> Result<Page<T>, ApiError> {
    let v = parse_json(body)?;
    let items = data_array(&v, body)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_object()
                .ok_or_else(|| FieldError(format!("{what} {} is not an object", i + 1)))
                .and_then(from)
                .map_err(|e| undecodable(e.0, body))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(meta_page(v.get("meta"), items, page, per_page))
}

/// Decodes one page of some list: body, page asked for, page size asked for.
pub type PageDecoder<T> = fn(&[u8], u32, u32) -> Result<Page<T>, ApiError>;

pub fn device_page(body: &[u8], page: u32, per_page: u32) -> Result<Page<Device>, ApiError> {
    list_of(body, page, per_page, "device", device_from)
}

pub fn segment_page(body: &[u8], page: u32, per_page: u32) -> Result<Page<Segment>, ApiError> {
    list_of(body, page, per_page, "segment", segment_from)
}

/// An SMS row: the id key is `sms_id` (CONTRACT §9); content and error are cleaned here.
fn message_from(m: &Map<String, Value>) -> Result<Message, FieldError> {
    let sms_id = match m.get("sms_id") {
        Some(Value::Number(n)) => n.as_u64(),
        _ => None,
    }
    .ok_or_else(|| FieldError("an SMS has no whole-number `sms_id`".into()))?;
    let status = raw_text(m, "status")?.unwrap_or_default();
    Ok(Message {
        sms_id,
        flow_id: uint(m, "flow_id").ok().flatten().unwrap_or(0),
        contact_id: uint(m, "contact_id").ok().flatten().unwrap_or(0),
        status: SmsStatus::parse(&clean::one_line(&status)),
        error: raw_text(m, "error")?
            .map(|e| clean::one_line(&e))
            .filter(|e| !e.is_empty()),
        content: clean::multi_line(&raw_text(m, "content")?.unwrap_or_default()),
        scheduled: time(m, "scheduled_datetime"),
        time: time(m, "datetime"),
    })
}

pub fn message_page(body: &[u8], page: u32, per_page: u32) -> Result<Page<Message>, ApiError> {
    list_of(body, page, per_page, "SMS", message_from)
}

/// The raw JSON object of a single answer, text cleaned, for `--json` output: the API's field
/// names and counters as received. Only a flow's `content` keeps its line breaks; every other
/// text (names above all) is one line, as the table and the dashboard show it.
pub fn clean_json(v: &Value) -> Value {
    clean_value(v, false)
}

fn clean_value(v: &Value, multi_line: bool) -> Value {
    match v {
        Value::String(s) if multi_line => Value::String(clean::multi_line(s)),
        Value::String(s) => Value::String(clean::one_line(s)),
        Value::Array(a) => Value::Array(a.iter().map(|v| clean_value(v, false)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (clean::one_line(k), clean_value(v, k == "content")))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENTED: &str = r#"{"data":[{"id":12,"device_id":3,"sim_subscription_id":7,"user_id":1,"name":"Welcome","content":"Hi {{NAME}}","segment":"all","settings":{},"wait_time":2,"wait_time_type":"days","is_enabled":true,"total_sent_sms":4210,"total_pending_sms":31,"total_failed_sms":88,"last_sent_datetime":"2026-11-27 09:14:00","last_datetime":null,"datetime":"2025-10-29 03:32:12"}],"meta":{"page":1,"results_per_page":25,"total":1,"total_pages":1}}"#;

    const SHIPPED: &str = r#"{"data":[{"id":3,"user_id":1,"name":"Tom&#39;s \u001b]0;x\u0007deal","segment":"7.0","wait_time":10,"wait_time_type":"minutes","is_enabled":false,"settings":[],"total_sent_sms":"5","total_pending_sms":0,"total_failed_sms":0,"last_sent_datetime":null,"last_datetime":null,"datetime":"2025-10-29 03:32:12"},{"id":3,"user_id":1,"name":"B","segment":"all","wait_time":1,"wait_time_type":"days","is_enabled":true,"settings":null,"total_sent_sms":0,"total_pending_sms":0,"total_failed_sms":0,"last_sent_datetime":null,"last_datetime":null,"datetime":"2025-10-29 03:32:12"},{"id":0,"user_id":1,"name":"C","segment":"all","wait_time":1,"wait_time_type":"days","is_enabled":true,"settings":[],"total_sent_sms":0,"total_pending_sms":0,"total_failed_sms":0,"last_sent_datetime":null,"last_datetime":null,"datetime":"2025-10-29 03:32:12"}],"meta":{"page":"2","total_pages":4,"results_per_page":3,"total_results":11}}"#;

    #[test]
    fn a_page_count_beyond_the_total_is_not_believed() {
        assert_eq!(pages(Some(1_000_000_000), Some(40), 25), Some(2));
        assert_eq!(pages(Some(3), Some(10_000), 25), Some(3));
        assert_eq!(pages(Some(7), None, 25), Some(7));
        assert_eq!(pages(None, Some(51), 25), Some(3));
        assert_eq!(pages(None, Some(0), 25), Some(0));
        assert_eq!(pages(None, None, 25), None);
    }

    #[test]
    fn documented_page() {
        let p = flow_page(DOCUMENTED.as_bytes(), 1, 25).unwrap();
        assert_eq!((p.total, p.pages()), (Some(1), Some(1)));
        let f = &p.items[0];
        assert_eq!(f.id, FlowId(12));
        assert_eq!(f.content.as_deref(), Some("Hi {{NAME}}"));
        assert_eq!((f.device_id, f.sim_subscription_id), (Some(3), Some(7)));
        assert_eq!(f.wait_unit, Some(WaitUnit::Days));
        assert_eq!(f.sent, Some(4210));
        assert_eq!(f.last_sent.unwrap().to_string(), "2026-11-27T09:14:00Z");
        assert!(f.last_changed.is_none() && f.blocked.is_none());
    }

    #[test]
    fn shipped_page() {
        let p = flow_page(SHIPPED.as_bytes(), 2, 3).unwrap();
        assert_eq!((p.page, p.total, p.pages()), (2, Some(11), Some(4)));
        let f = &p.items[0];
        assert_eq!(f.name, "Tom's deal");
        assert_eq!(f.segment, Some(SegmentRef::Saved(7)));
        assert_eq!((f.content.as_deref(), f.device_id), (None, None));
        assert_eq!(f.sent, Some(5));
        assert_eq!(p.items[0].blocked, Some(RowBlock::RepeatedId));
        assert_eq!(p.items[1].blocked, Some(RowBlock::RepeatedId));
        assert_eq!(p.items[2].blocked, Some(RowBlock::ZeroId));
    }

    #[test]
    fn absurd_waits_decode_as_sent() {
        for (wait, want) in [
            ("-5", -5),
            ("0", 0),
            ("4294967296", 4_294_967_296),
            ("\"12\"", 12),
        ] {
            let body = format!(
                r#"{{"data":[{{"id":1,"name":"x","is_enabled":true,"wait_time":{wait},"wait_time_type":"days"}}]}}"#
            );
            let p = flow_page(body.as_bytes(), 1, 25).unwrap();
            assert_eq!(p.items[0].wait_time, Some(want), "{wait}");
        }
    }

    #[test]
    fn create_with_false_id_is_an_error() {
        let body = br#"{"data":{"id":false,"name":"x","is_enabled":true}}"#;
        let e = single_flow(body).unwrap_err();
        assert!(e.to_string().contains("was not stored"), "{e}");
    }

    #[test]
    fn html_and_truncated_bodies_say_so() {
        let e = flow_page(
            b"<!DOCTYPE html><html><body>Internal server error</body>",
            1,
            25,
        )
        .unwrap_err();
        assert!(e.to_string().contains("HTML"), "{e}");
        assert!(!e.to_string().contains('<'), "the words, not the tags: {e}");
        assert!(e.to_string().contains("Internal server error"), "{e}");
        let php = b"<br />\n<b>Warning</b>:  Undefined array key \"x\" in <b>/a.php</b><br />\n{\"data\":[]}";
        assert_eq!(
            flow_page(php, 1, 25).unwrap_err().to_string(),
            "the server's answer could not be read: the server answered HTML instead of JSON \
             (starts with: Warning: Undefined array key \"x\" in /a.php {\"data\":[]})"
        );
        let e = flow_page(&DOCUMENTED.as_bytes()[..60], 1, 25).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the server's answer could not be read: the answer is cut short (truncated JSON)"
        );
    }

    #[test]
    fn wrong_types_name_the_field() {
        let body = br#"{"data":[{"id":1,"name":{"x":1},"is_enabled":true}]}"#;
        let e = flow_page(body, 1, 25).unwrap_err();
        assert!(e.to_string().contains("`name` is not text"), "{e}");
    }

    #[test]
    fn devices_with_null_sims_and_segments_with_string_counts() {
        let body = br#"{"data":[{"id":1,"name":"Front desk","sims":null},{"id":2,"name":"Back","sims":[{"subscription_id":5,"phone_number":null,"carrier_name":"Orange","display_name":"SIM 1","slot_index":0}]}],"meta":{"page":1,"total_pages":1,"results_per_page":100,"total_results":2}}"#;
        let p = device_page(body, 1, 100).unwrap();
        assert_eq!(p.items[0].sims, None);
        assert_eq!(
            p.items[1].sims.as_ref().unwrap()[0].label(),
            "SIM 1 (Orange)"
        );
        let body = br#"{"data":[{"id":7,"name":"VIP","type":"custom","total_contacts":"5"}]}"#;
        assert_eq!(
            segment_page(body, 1, 100).unwrap().items[0].total_contacts,
            Some(5)
        );
    }

    #[test]
    fn error_titles_with_string_or_number_status() {
        let b = br#"{"errors":[{"title":"The request is missing the Bearer Authentication header.","status":"401"}]}"#;
        assert_eq!(
            error_title(b).unwrap(),
            "The request is missing the Bearer Authentication header."
        );
    }

    #[test]
    fn json_names_are_one_line_and_content_keeps_breaks() {
        let v: Value = serde_json::from_str(
            r#"{"name":"carriage\rreturn\u001b]0;t\u0007","content":"a\r\nb\u202e","sims":[{"label":"x\ny"}]}"#,
        )
        .unwrap();
        let c = clean_json(&v);
        assert_eq!(c["name"], "carriage return");
        assert_eq!(c["content"], "a\nb");
        assert_eq!(c["sims"][0]["label"], "x y");
    }
}
