//! Faults the demo server can be told to commit, so clients can be tested against bad answers
//! (DESIGN §8, §9).

use std::collections::VecDeque;
use std::time::Duration;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::php;
use super::render::Paging;

/// A bad answer for the next API requests. Deserialises from `{"kind":"late_answer","ms":3000}`
/// (`kind` in snake case; `ms` for the two delays, default 1000).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "FaultSpec")]
pub enum Fault {
    /// 502 from a proxy, HTML with an HTML content type; the request is not processed.
    Html502,
    /// 500 PHP fatal error page, HTML under a JSON content type; not processed.
    Html500,
    /// 200 with PHP warnings printed before the JSON; processed.
    InvalidJson,
    /// The JSON answer cut in half (framing intact, so the body ends early); processed.
    Truncated,
    /// 429 with the real body and `X-RateLimit-Reset`; not processed, no quota used.
    RateLimitBurst,
    /// 302 to `{site}/not-found`, an HTML page, as when the API is disabled; not processed.
    Redirect,
    /// The connection is closed without an answer; not processed.
    Reset,
    /// This delay before the request is handled.
    Latency(Duration),
    /// The request is processed (a write is stored), then the answer waits this long.
    LateAnswer(Duration),
    /// A 200 JSON list answer over 16 MB; not processed.
    Oversize,
    /// Flow names and content in the answer are replaced with terminal escapes, bidi controls,
    /// zero-width and control characters, a very long and an empty name; processed.
    HostileNames,
    /// The flow list's `meta` claims [`LYING_PAGE_COUNT`] pages, and a page past the end answers
    /// the last page again, as a server that clamps the page number would; processed.
    LyingMeta,
    /// 429 with this `X-RateLimit-Reset`, whatever it means (an epoch in milliseconds, 10^11);
    /// not processed. `{"kind":"rate_limit_reset","reset":100000000000}`.
    RateLimitReset(u64),
    /// 401 whose error title and `detail` repeat the Authorization header the request carried,
    /// as a careless server does; not processed.
    EchoCredentials,
    /// The write is stored, then answered with a 500 PHP error page, as when a fatal error comes
    /// after the insert; processed.
    StoredThen500,
    /// The write is stored with what the server chose instead of what was sent: the account's
    /// first device and its first SIM, segment `all`, switched on (each only when sent), as a
    /// server that checks against the wrong list does (CONTRACT §12 item 20); processed.
    Substitute,
    /// The write is processed, then answered with another flow's object; processed.
    OtherFlow,
    /// A page of the flow list is answered, then the first stored flow is deleted, as when
    /// someone deletes flows while the list is read page by page: the flows after it move up a
    /// place; processed. `{"kind":"list_shifts"}`.
    ListShifts,
}

/// The page count the `LyingMeta` fault claims.
pub(crate) const LYING_PAGE_COUNT: u64 = 1_000_000_000;

/// The JSON form of a fault order, as `POST /_demo/fault` takes it.
#[derive(Debug, Deserialize)]
pub(crate) struct FaultSpec {
    pub kind: String,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub ms: Option<u64>,
    /// The header value of `rate_limit_reset` (default 10^11).
    #[serde(default)]
    pub reset: Option<u64>,
    /// Only writes take the fault; reads pass it by (so the re-read before a write does not).
    #[serde(default)]
    pub writes: bool,
}

impl TryFrom<FaultSpec> for Fault {
    type Error = String;

    fn try_from(spec: FaultSpec) -> Result<Self, Self::Error> {
        let delay = Duration::from_millis(spec.ms.unwrap_or(1000));
        let kind: String = spec
            .kind
            .chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        Ok(match kind.as_str() {
            "html502" => Fault::Html502,
            "html500" => Fault::Html500,
            "invalidjson" => Fault::InvalidJson,
            "truncated" => Fault::Truncated,
            "ratelimitburst" | "ratelimit" | "429" => Fault::RateLimitBurst,
            "redirect" => Fault::Redirect,
            "reset" => Fault::Reset,
            "latency" => Fault::Latency(delay),
            "lateanswer" => Fault::LateAnswer(delay),
            "oversize" => Fault::Oversize,
            "hostilenames" => Fault::HostileNames,
            "lyingmeta" => Fault::LyingMeta,
            "ratelimitreset" => Fault::RateLimitReset(spec.reset.unwrap_or(100_000_000_000)),
            "echocredentials" | "echokey" => Fault::EchoCredentials,
            "storedthen500" | "storethen500" => Fault::StoredThen500,
            "substitute" => Fault::Substitute,
            "otherflow" => Fault::OtherFlow,
            "listshifts" => Fault::ListShifts,
            _ => return Err(format!("unknown fault kind `{}`", spec.kind)),
        })
    }
}

/// A fault waiting in the queue.
#[derive(Debug)]
struct Queued {
    fault: Fault,
    /// Requests left; 0 stays until cleared.
    left: u32,
    /// Reads pass it by.
    writes_only: bool,
}

/// Faults waiting for requests, oldest first; a count of 0 stays until cleared.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    queue: VecDeque<Queued>,
}

impl FaultQueue {
    pub(crate) fn push(&mut self, fault: Fault, count: u32, writes_only: bool) {
        self.queue.push_back(Queued {
            fault,
            left: count,
            writes_only,
        });
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }

    /// The fault for the request being handled, if any. A fault for writes waits at the front
    /// while reads go by untouched.
    pub(crate) fn take(&mut self, write: bool) -> Option<Fault> {
        let front = self.queue.front_mut()?;
        if front.writes_only && !write {
            return None;
        }
        let fault = front.fault.clone();
        match front.left {
            0 => {}
            1 => {
                self.queue.pop_front();
            }
            _ => front.left -= 1,
        }
        Some(fault)
    }
}

/// The hostile texts, cycled over the flows of an answer.
fn hostile_texts() -> Vec<String> {
    vec![
        "\u{1b}]0;pwned title\u{7}Window title".to_owned(),
        "\u{1b}]52;c;ZWNobyBoYWNrZWQ=\u{7}Clipboard write".to_owned(),
        "\u{1b}[2J\u{1b}[HCleared \u{1b}[5mblinking\u{1b}[0m".to_owned(),
        "\u{1b}P+q544e\u{1b}\\Device control".to_owned(),
        "lone \u{1b} escape and C1 \u{9b}31m CSI".to_owned(),
        "\u{202e}desrever\u{202c} right-to-left override".to_owned(),
        "\u{2066}left\u{2069} \u{2067}right\u{2069} \u{2068}first strong\u{2069} isolates"
            .to_owned(),
        "zero\u{200b}width\u{200d}joiner\u{feff}bom\u{2060}".to_owned(),
        "carriage\rreturn".to_owned(),
        "line\nfeed".to_owned(),
        "tab\tbed".to_owned(),
        "back\u{8}\u{8}\u{8}space".to_owned(),
        "W".repeat(5000),
        String::new(),
    ]
}

/// Name and content for the `index`th flow of a hostile answer.
pub(crate) fn hostile(index: usize) -> (String, String) {
    let texts = hostile_texts();
    let name = texts[index % texts.len()].clone();
    let content = format!(
        "{} then {}",
        texts[(index + 3) % texts.len()],
        texts[(index + 9) % texts.len()]
    );
    (name, content)
}

/// The query of a flow list under the `LyingMeta` fault: a page past the end becomes the last.
pub(crate) fn clamp_page(
    query: &BTreeMap<String, String>,
    total: usize,
    quirks: bool,
) -> BTreeMap<String, String> {
    let paging = Paging::new(query, total, quirks);
    let last = total.div_ceil(paging.limit.max(1));
    let mut query = query.clone();
    if last > 0 && paging.offset >= total {
        query.insert("page".to_owned(), last.to_string());
    }
    query
}

/// A list answer whose `meta` claims [`LYING_PAGE_COUNT`] pages.
pub(crate) fn lying_meta(body: &[u8]) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    let meta = value.get_mut("meta")?.as_object_mut()?;
    meta.insert("total_pages".to_owned(), Value::from(LYING_PAGE_COUNT));
    Some(php::json_encode(&value))
}
/// The error body of [`Fault::EchoCredentials`]: the header's value, as received, in the title
/// and again in the detail.
pub(crate) fn echo_credentials(authorization: &str) -> serde_json::Value {
    serde_json::json!({ "errors": [{
        "status": 401,
        "title": format!("Invalid credentials: {authorization}"),
        "detail": format!("The Authorization header was `{authorization}`; no such key."),
    }] })
}

/// PHP notices printed before the JSON, as a misconfigured server does.
pub(crate) fn invalid_json(body: &[u8]) -> Vec<u8> {
    let mut out = b"<br />\n<b>Warning</b>:  Undefined array key \"results_per_page\" in <b>/var/www/html/app/core/Paginator.php</b> on line <b>42</b><br />\n".to_vec();
    out.extend_from_slice(body);
    out
}

/// The first half of the answer (at least one byte short of it).
pub(crate) fn truncated(body: &[u8]) -> Vec<u8> {
    body[..body.len() / 2].to_vec()
}

/// Over 16 MB of a valid list answer: one flow object repeated.
pub(crate) fn oversize(item: &[u8]) -> Vec<u8> {
    const TARGET: usize = 17 * 1024 * 1024;
    let copies = TARGET / (item.len() + 1) + 1;
    let mut out = Vec::with_capacity(TARGET + item.len() + 200);
    out.extend_from_slice(b"{\"data\":[");
    for i in 0..copies {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
    }
    out.extend_from_slice(
        format!(
            "],\"meta\":{{\"page\":1,\"total_pages\":1,\"results_per_page\":{copies},\"total_results\":{copies}}}}}"
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_counts_down_and_sticks_at_zero() {
        let mut queue = FaultQueue::default();
        queue.push(Fault::Html502, 2, false);
        queue.push(Fault::Reset, 0, false);
        assert_eq!(queue.take(false), Some(Fault::Html502));
        assert_eq!(queue.take(true), Some(Fault::Html502));
        assert_eq!(queue.take(false), Some(Fault::Reset));
        assert_eq!(queue.take(false), Some(Fault::Reset));
        queue.clear();
        assert_eq!(queue.take(false), None);
    }

    #[test]
    fn a_fault_for_writes_lets_reads_by() {
        let mut queue = FaultQueue::default();
        queue.push(Fault::StoredThen500, 1, true);
        assert_eq!(queue.take(false), None);
        assert_eq!(queue.take(true), Some(Fault::StoredThen500));
        assert_eq!(queue.take(true), None);
    }

    #[test]
    fn deserialises_from_the_control_json() {
        let fault: Fault =
            serde_json::from_str(r#"{"kind":"late_answer","count":1,"ms":3000}"#).unwrap();
        assert_eq!(fault, Fault::LateAnswer(Duration::from_secs(3)));
        let fault: Fault = serde_json::from_str(r#"{"kind":"html502"}"#).unwrap();
        assert_eq!(fault, Fault::Html502);
        let fault: Fault =
            serde_json::from_str(r#"{"kind":"rate_limit_reset","reset":1700000000000}"#).unwrap();
        assert_eq!(fault, Fault::RateLimitReset(1_700_000_000_000));
        let fault: Fault = serde_json::from_str(r#"{"kind":"lying_meta"}"#).unwrap();
        assert_eq!(fault, Fault::LyingMeta);
        let fault: Fault = serde_json::from_str(r#"{"kind":"echo_credentials"}"#).unwrap();
        assert_eq!(fault, Fault::EchoCredentials);
        for (kind, fault) in [
            ("stored_then_500", Fault::StoredThen500),
            ("substitute", Fault::Substitute),
            ("other_flow", Fault::OtherFlow),
        ] {
            let json = format!(r#"{{"kind":"{kind}","writes":true}}"#);
            assert_eq!(serde_json::from_str::<Fault>(&json).unwrap(), fault);
        }
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"nope"}"#).is_err());
    }

    #[test]
    fn oversize_is_valid_json_over_16_mb() {
        let body = oversize(br#"{"id":1,"name":"x"}"#);
        assert!(body.len() > 16 * 1024 * 1024);
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(value["data"].as_array().unwrap().len() > 1000);
    }
}
