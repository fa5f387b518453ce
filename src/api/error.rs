//! One error type for everything the client can meet, each with a message an operator can act
//! on. No message ever holds the API key: flowdash only ever puts it in the Authorization header,
//! and text from outside (a server that repeats the key back, a config or `api_key_command`
//! error) passes through [`redact`] before it becomes a message, on stderr, on screen or in the
//! log.

use std::borrow::Cow;
use std::fmt;
use std::sync::RwLock;
use std::time::Duration;

use crate::domain::FlowId;

/// What a secret is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Shorter keys are not redacted: a text cannot be told from a key that short (the demo key is
/// `demo`, and every `--demo` in a message would vanish), and such a key is no secret anyway.
const SECRET_MIN_CHARS: usize = 8;

/// Every form of every key this process holds, longest first so that a form holding another is
/// replaced whole.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Standard base64 without padding, enough to recognise a key a server encoded.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

/// Makes `secret` unprintable: from now on [`redact`] replaces it, its URL-encoded form and its
/// base64 forms (a server may echo the key from a query string or a Basic header it built).
pub fn register_secret(secret: &str) {
    let secret = secret.trim();
    if secret.chars().count() < SECRET_MIN_CHARS {
        return;
    }
    let b64 = base64(secret.as_bytes());
    let forms = [
        secret.to_owned(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        b64.replace('+', "-").replace('/', "_"),
        b64,
    ];
    let Ok(mut secrets) = SECRETS.write() else {
        return;
    };
    for form in forms {
        if !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `text` with every registered secret replaced by [`REDACTED`]. Applied to outside text before
/// it is cut to an excerpt (a cut key is still a leak), and again to every error message and log
/// line as they are written.
pub fn redact(text: &str) -> Cow<'_, str> {
    let Ok(secrets) = SECRETS.read() else {
        // A poisoned lock means a panic while registering: say nothing rather than leak.
        return Cow::Owned(REDACTED.to_owned());
    };
    if !secrets.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for s in secrets.iter() {
        out = out.replace(s.as_str(), REDACTED);
    }
    Cow::Owned(out)
}

/// Why flowdash itself refused to send a write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `--read-only` or a read-only profile.
    ReadOnly,
    /// The shipped build names flows by their device id, so no existing flow can be addressed.
    UnreliableIds,
    /// The row's id is 0 or repeated in the list.
    UnaddressableRow(FlowId),
    /// The re-read before the write answered for another id.
    IdMismatch { asked: FlowId, got: FlowId },
    /// `http://` to a host that is not this machine.
    InsecureUrl(String),
    /// The base URL cannot be used at all.
    BadUrl(String),
    /// A background read, while the reserve takes the whole budget.
    PollingOff,
    /// A device, SIM or segment the account does not have: the server would silently store
    /// another one (CONTRACT §12 item 20). The whole sentence, with the ones that exist.
    NoSuch(String),
    /// The shared rate budget file stayed locked by another process for a second.
    BudgetLocked,
    /// A CLI command's time-out ends before the shared budget has room.
    BudgetSpent { secs: u64 },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ReadOnly => write!(f, "read-only mode: flowdash does not write"),
            Refusal::UnreliableIds => write!(
                f,
                "this server does not identify flows reliably; change flows in the web dashboard"
            ),
            Refusal::UnaddressableRow(id) => write!(
                f,
                "flow id {id} is 0 or shared by several flows in the list, so it cannot be changed safely"
            ),
            Refusal::IdMismatch { asked, got } => write!(
                f,
                "asked the server for flow {asked} and it answered with flow {got}; nothing was changed"
            ),
            Refusal::InsecureUrl(host) => write!(
                f,
                "refusing plain http:// to {host}: use https:// (plain http is only allowed to this machine)"
            ),
            Refusal::BadUrl(why) => write!(f, "the base URL is not usable: {why}"),
            Refusal::PollingOff => write!(
                f,
                "live updates are off: the reserve takes the whole budget (raise --budget or lower --reserve)"
            ),
            Refusal::NoSuch(what) => write!(f, "{what}; nothing was sent"),
            Refusal::BudgetLocked => write!(
                f,
                "the shared rate budget file stayed locked by another flowdash process for a second; nothing was sent"
            ),
            Refusal::BudgetSpent { secs } => write!(
                f,
                "the rate budget shared by every flowdash process using this key is spent for another {secs} s, longer than the time-out; nothing was sent"
            ),
        }
    }
}

/// What went wrong with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// 401 with the missing-bearer title: the key did not reach the server.
    KeyMissing,
    /// 401 with the no-access title: the key is wrong, or the account or plan has no API access.
    KeyRejected,
    /// Any other answer where the server says no, with its own words (required fields, plan
    /// limits, ...).
    Refused {
        status: u16,
        title: String,
    },
    NotFound {
        what: String,
    },
    /// 429, or flowdash's own pause after one; `retry_in` is what is left of the server's window.
    RateLimited {
        retry_in: Duration,
    },
    /// 5xx (or another status without a usable error body).
    Server {
        status: u16,
        html: bool,
        excerpt: String,
    },
    /// 3xx: the API never redirects, so this is a disabled API or a wrong base URL.
    Redirect {
        status: u16,
        location: Option<String>,
    },
    /// The connection failed: refused, reset, DNS, TLS.
    Network {
        detail: String,
    },
    /// No whole answer within the time-out.
    Timeout {
        secs: u64,
    },
    /// A read timed out on every attempt: the time-out of each, how many were made and the
    /// time they took together, retries' waits included.
    Timeouts {
        secs: u64,
        attempts: u32,
        total_secs: u64,
    },
    /// An answer that is not what the API sends: HTML, broken JSON, wrong shape.
    Undecodable {
        detail: String,
        excerpt: String,
    },
    /// The answer was larger than flowdash accepts.
    TooLarge {
        limit_mb: u64,
    },
    /// flowdash's own safety rules stopped the request before it was sent.
    Refusal(Refusal),
    /// A create's answer was late or a 5xx, and the search for it found nothing: it did not
    /// land.
    CreateNotLanded {
        cause: Box<ApiError>,
    },
    /// A write landed, but the server stored other values than the ones sent (`what`: `the
    /// server stored device 3, not device 9`).
    StoredOtherwise {
        id: FlowId,
        created: bool,
        what: String,
    },
    /// A write to one flow was answered with another flow's object.
    AnsweredOther {
        asked: FlowId,
        got: FlowId,
    },
    /// A write's answer was late or a 5xx, and a re-read shows it did not land (`state`: `flow 6
    /// is still on`).
    NotLanded {
        cause: Box<ApiError>,
        state: String,
    },
    /// A write's answer was late or a 5xx, and the re-read that would tell whether it landed
    /// failed too.
    LandingUnknown {
        cause: Box<ApiError>,
        reread: Box<ApiError>,
    },
}

impl ApiError {
    /// Worth trying again for a read: the network or the server failed, not the request.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network { .. } | ApiError::Timeout { .. } | ApiError::Timeouts { .. } => true,
            ApiError::Server { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Redirect targets, network causes and answers are the server's words.
        f.write_str(&redact(&Unredacted(self).to_string()))
    }
}

/// The message before redaction.
struct Unredacted<'a>(&'a ApiError);

impl fmt::Display for Unredacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ApiError::KeyMissing => write!(
                f,
                "the server did not receive the API key (missing Bearer header)"
            ),
            ApiError::KeyRejected => write!(
                f,
                "API key rejected: the server says \"You do not have access to the API.\" (wrong key, or no API access on this account or plan)"
            ),
            ApiError::Refused { status, title } => {
                write!(f, "the server refused ({status}): {title}")
            }
            ApiError::NotFound { what } => write!(f, "{what} not found"),
            ApiError::RateLimited { retry_in } => write!(
                f,
                "rate limited for {} s: the server allows 60 requests a minute for this key",
                retry_in.as_secs().max(1)
            ),
            ApiError::Server {
                status,
                html,
                excerpt,
            } => {
                if *html {
                    write!(f, "server error {status}: the server answered an HTML page")?;
                } else {
                    write!(f, "server error {status}")?;
                }
                if !excerpt.is_empty() {
                    write!(f, " ({excerpt})")?;
                }
                Ok(())
            }
            ApiError::Redirect { status, location } => {
                write!(f, "the server redirected ({status})")?;
                if let Some(l) = location {
                    write!(f, " to {l}")?;
                }
                write!(
                    f,
                    ": the API may be disabled on this site, or the base URL is wrong"
                )
            }
            ApiError::Network { detail } => write!(f, "cannot reach the server: {detail}"),
            ApiError::Timeout { secs } => write!(f, "no answer within {secs} s (timed out)"),
            ApiError::Timeouts {
                secs,
                attempts,
                total_secs,
            } => write!(
                f,
                "no answer within {secs} s, {attempts} attempts over {total_secs} s"
            ),
            ApiError::Undecodable { detail, excerpt } => {
                write!(f, "the server's answer could not be read: {detail}")?;
                if !excerpt.is_empty() {
                    write!(f, " (starts with: {excerpt})")?;
                }
                Ok(())
            }
            ApiError::TooLarge { limit_mb } => {
                write!(f, "the server's answer is larger than {limit_mb} MB")
            }
            ApiError::Refusal(r) => write!(f, "refused by flowdash: {r}"),
            ApiError::CreateNotLanded { cause } => write!(
                f,
                "{cause}, and no such flow is on the server: it was not created"
            ),
            ApiError::StoredOtherwise { id, created, what } => {
                let done = if *created { "created" } else { "written" };
                write!(
                    f,
                    "flow {id} was {done}, but {what}: check it before relying on it"
                )
            }
            ApiError::AnsweredOther { asked, got } => write!(
                f,
                "the write to flow {asked} was answered with flow {got}: check both flows before trying again"
            ),
            // What the flow is comes first: the status line may cut the rest.
            ApiError::NotLanded { cause, state } => {
                write!(f, "did not land: {state} (after {cause})")
            }
            ApiError::LandingUnknown { cause, reread } => write!(
                f,
                "{cause}, and whether it landed is unknown: the re-read failed ({reread}); check the flow before trying again"
            ),
        }
    }
}

impl std::error::Error for ApiError {}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError::Refusal(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b"f"), "Zg");
        assert_eq!(base64(b"fo"), "Zm8");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar!"), "Zm9vYmFyIQ");
    }

    #[test]
    fn a_registered_key_is_redacted_in_every_form() {
        let key = "unit-Kx9/q+z=Secret";
        register_secret(key);
        let forms = [
            key.to_owned(),
            url::form_urlencoded::byte_serialize(key.as_bytes()).collect(),
            base64(key.as_bytes()),
        ];
        for form in forms {
            let text = format!("bad token {form}.");
            assert_eq!(redact(&text), "bad token <redacted>.", "{form}");
        }
        let e = ApiError::Refused {
            status: 401,
            title: format!("key {key} unknown"),
        };
        assert_eq!(
            e.to_string(),
            "the server refused (401): key <redacted> unknown"
        );
        // Short keys are not secrets worth mangling every text for.
        register_secret("demo");
        assert_eq!(redact("add --demo"), "add --demo");
    }
}
