//! The HTTP client of the Flows API.
//!
//! Every request goes through `Client::send`, where the rate scheduler sits, the key is put in
//! the header, the answer is capped and read, and its status is classified. Reads are retried on
//! network errors and 5xx; writes never are. The rules that keep writes on the flow the operator
//! chose live in `safety`, the checks of what the server stored in `verify`, and how each write
//! ended in `outcome`. Every read is built and paged once, in `raw` (the typed reads the
//! dashboard polls with and the `--json` ones alike), and decoded either to typed values or to
//! those and the JSON that `--json` prints.
//!
//! The files here depend only downward (tests/layers.rs checks it): `raw` uses `start_off`
//! (a new flow the server refuses to store switched off); `safety`, `raw` and `start_off` use
//! `journal`, which uses `verify`, which uses `outcome` and `wire`; this file's `Client` uses
//! none of them.

pub mod error;
mod in_process;
mod journal;
pub mod ledger;
mod messages;
mod outcome;
mod paging;
mod raw;
mod safety;
mod start_off;
mod verify;
pub mod wire;

use std::fmt;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use tokio::sync::mpsc::UnboundedSender;

pub use error::{ApiError, Refusal};
pub use in_process::{InProcess, InRequest, InResponse, Serve};
pub use journal::{AuditSink, FAILED, UNCHANGED, UNKNOWN, WriteRecord, fields as fields_in_words};
pub use ledger::{Call, Lane, Ledger};
pub use messages::{FlowMessages, MESSAGE_PAGE, MESSAGE_PAGES};
pub use outcome::{Conflict, DeleteOutcome, FieldChange, ToggleOutcome, UpdateOutcome};
pub use safety::changes;
pub use start_off::OffAfter;
pub use wire::{Page, WithJson};

use crate::budget::shared::{self, Claim, SharedBudget, SharedError};
use crate::budget::{self, BudgetConfig, Priority, Scheduler};
use crate::domain::Flow;

/// Answers larger than this are refused while they stream in.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;
/// The page sizes the server accepts; anything else is silently replaced by its default.
pub const PAGE_SIZES: [u32; 7] = [10, 25, 50, 100, 250, 500, 1000];
pub const DEFAULT_PAGE_SIZE: u32 = 25;
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The API key. It is only ever written into the Authorization header: `Debug` hides it, and
/// there is no `Display`.
#[derive(Clone)]
pub struct ApiKey(Arc<str>);

impl ApiKey {
    /// The key, which from now on is redacted from every message and log line.
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        error::register_secret(&key);
        ApiKey(Arc::from(key.trim()))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<hidden>)")
    }
}

#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// e.g. `https://sms.sociostacks.com/api`
    pub base_url: String,
    pub api_key: ApiKey,
    /// The whole request, answer included.
    pub timeout: Duration,
    pub read_only: bool,
    /// Trust list ids even when the server looks like the shipped build.
    pub trust_ids: bool,
    pub budget: BudgetConfig,
    /// The file every flowdash process on this machine counts its sends in (DESIGN §14); None:
    /// this process counts alone.
    pub shared_budget: Option<PathBuf>,
    /// CLI commands: how long a send may wait for the shared budget (or another process's 429
    /// countdown), saying so on stderr. None (the dashboard): operators are refused during a
    /// countdown and otherwise wait, as in-process.
    pub budget_wait: Option<Duration>,
    /// Send every request to this server in process instead of the base URL's host (the demo
    /// server's router, for tests on tokio's paused clock). The base URL still names the paths.
    pub in_process: Option<InProcess>,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, api_key: ApiKey) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            api_key,
            timeout: Duration::from_secs(20),
            read_only: false,
            trust_ids: false,
            budget: BudgetConfig::default(),
            shared_budget: None,
            budget_wait: None,
            in_process: None,
        }
    }
}

/// What the client has learned about the server's build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ServerKind {
    /// Not yet known: nothing was listed, or the check could not be made.
    #[default]
    Unknown,
    /// Lists carry every field and ids are flow ids.
    Documented,
    /// Lists leave out content and device, but single reads have them: ids are flow ids and the
    /// detail pane reads the flow for the missing fields.
    SparseList,
    /// The shipped build: ids are device ids. Everything is shown, no existing flow is changed.
    Shipped,
}

impl ServerKind {
    /// Existing flows may be changed.
    pub fn ids_reliable(self) -> bool {
        matches!(self, ServerKind::Documented | ServerKind::SparseList)
    }
}

/// Things the client reports while it works, for the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// A read failed and will be tried again after `delay`.
    Retrying {
        attempt: u32,
        delay: Duration,
        error: ApiError,
    },
}

/// A cheap handle: clones share the scheduler, the ledger and what was learned about the server.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// The lane the ledger names for this handle's requests; `None`: by their priority.
    lane: Option<Lane>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    key: ApiKey,
    timeout: Duration,
    read_only: bool,
    trust_ids: bool,
    scheduler: Scheduler,
    budget_wait: Option<Duration>,
    in_process: Option<InProcess>,
    /// Why the shared budget file is not used, said once.
    shared_warning: Option<String>,
    /// The shared file failed after it was opened; warned once, then in-process only.
    shared_failed: AtomicBool,
    kind: Mutex<ServerKind>,
    events: Mutex<Option<UnboundedSender<ClientEvent>>>,
    /// Where every write goes besides the log (the history's audit), when set.
    audit: Mutex<Option<Arc<dyn journal::AuditSink>>>,
    retry_delays: Vec<Duration>,
    /// Requests sent, by the answer's status (`200`, `429`, ...) or `error` when none came:
    /// `watch` serves them as `flowdash_api_requests_total`.
    answers: Mutex<std::collections::BTreeMap<String, u64>>,
    /// The last calls, for the `L` view and `--verbose`.
    ledger: Ledger,
}

/// What a request asks for, before the key and the scheduler are added.
struct Request<'a> {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    form: Option<Vec<(&'static str, String)>>,
    /// Names the thing asked for in a not-found message.
    what: &'a str,
}

impl<'a> Request<'a> {
    fn get(path: impl Into<String>, what: &'a str) -> Self {
        Request {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            form: None,
            what,
        }
    }
}

/// How a sent request went, for the ledger.
#[derive(Clone, Copy)]
struct Sent {
    started: tokio::time::Instant,
    status: Option<StatusCode>,
    bytes: usize,
}

/// A successful answer.
struct Answer {
    body: Vec<u8>,
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Parses the base URL and applies the transport rules: https, or plain http only to this
/// machine. Checked before any connection is made.
pub fn check_base_url(base: &str) -> Result<Url, Refusal> {
    let trimmed = base.trim().trim_end_matches('/');
    let url = Url::parse(&format!("{trimmed}/")).map_err(|e| Refusal::BadUrl(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Refusal::InsecureUrl(
                url.host_str().unwrap_or_default().to_owned(),
            ));
        }
        other => return Err(Refusal::BadUrl(format!("unsupported scheme {other}"))),
    }
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(Refusal::BadUrl("no host".to_owned()));
    }
    // Credentials in the URL would go out as Basic authentication instead of the key, and a
    // query or fragment would be mangled into every path; the URL is not quoted (a password).
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::BadUrl(
            "it holds a user name or password".to_owned(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Refusal::BadUrl(
            "it has a query string or fragment".to_owned(),
        ));
    }
    Ok(url)
}

/// Whole seconds, rounded up: "0 s" while still waiting would read as a bug.
fn secs_up(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The page and page size a request for one page sends: page 0 is page 1, and the size is an
/// allowed one.
fn page_asked(page: u32, per_page: u32) -> (u32, u32) {
    (page.max(1), allowed_page_size(per_page))
}

/// The page size the server will honour: the nearest allowed one at or above `n`.
pub fn allowed_page_size(n: u32) -> u32 {
    PAGE_SIZES
        .iter()
        .copied()
        .find(|&s| s >= n)
        .unwrap_or(PAGE_SIZES[PAGE_SIZES.len() - 1])
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

const MISSING_BEARER: &str = "The request is missing the Bearer Authentication header.";
const NO_ACCESS: &str = "You do not have access to the API.";

fn header_num<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

const USER_AGENT_VALUE: &str = concat!("flowdash/", env!("CARGO_PKG_VERSION"));

/// An answer whose status and headers are in, and whose body may still be on its way.
enum Reply {
    Http(reqwest::Response),
    InProcess(InResponse),
}

impl Reply {
    fn status(&self) -> StatusCode {
        match self {
            Reply::Http(r) => r.status(),
            Reply::InProcess(r) => r.status,
        }
    }

    fn headers(&self) -> &HeaderMap {
        match self {
            Reply::Http(r) => r.headers(),
            Reply::InProcess(r) => &r.headers,
        }
    }
}

impl Client {
    pub fn new(cfg: ClientConfig) -> Result<Client, ApiError> {
        let base = check_base_url(&cfg.base_url)?;
        crate::install_tls_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(cfg.timeout)
            // A redirect from this API means it is disabled or the URL is wrong; following it
            // would send the key elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT_VALUE)
            .build()
            .map_err(|e| ApiError::Network {
                detail: root_cause(&e),
            })?;
        let (shared, shared_warning) = match &cfg.shared_budget {
            None => (None, None),
            Some(path) => {
                let fp = shared::fingerprint(base.as_str(), &cfg.api_key.0);
                match SharedBudget::open(path, fp) {
                    Ok(s) => (Some(s), None),
                    Err(e) => {
                        let w = format!(
                            "the shared rate budget is not available ({}); this process counts its requests alone",
                            error::redact(&e)
                        );
                        tracing::warn!("{w}");
                        (None, Some(w))
                    }
                }
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                key: cfg.api_key,
                timeout: cfg.timeout,
                read_only: cfg.read_only,
                trust_ids: cfg.trust_ids,
                scheduler: Scheduler::with_shared(cfg.budget, shared),
                budget_wait: cfg.budget_wait,
                in_process: cfg.in_process,
                shared_warning,
                shared_failed: AtomicBool::new(false),
                kind: Mutex::new(ServerKind::Unknown),
                events: Mutex::new(None),
                audit: Mutex::new(None),
                retry_delays: vec![
                    Duration::from_millis(500),
                    Duration::from_secs(1),
                    Duration::from_secs(2),
                ],
                answers: Mutex::new(std::collections::BTreeMap::new()),
                ledger: Ledger::default(),
            }),
            lane: None,
        })
    }

    /// Where progress events go (retries), for the dashboard's status line.
    pub fn set_events(&self, tx: UnboundedSender<ClientEvent>) {
        if let Ok(mut e) = self.inner.events.lock() {
            *e = Some(tx);
        }
    }

    /// Where every write is recorded besides the log (DESIGN §15): the history's audit. Clones
    /// of this client share it.
    pub fn set_audit(&self, sink: Arc<dyn journal::AuditSink>) {
        if let Ok(mut a) = self.inner.audit.lock() {
            *a = Some(sink);
        }
    }

    fn audit_sink(&self) -> Option<Arc<dyn journal::AuditSink>> {
        self.inner.audit.lock().ok().and_then(|a| a.clone())
    }

    /// The calls this process made, shared by every clone.
    pub fn ledger(&self) -> &Ledger {
        &self.inner.ledger
    }

    /// A handle whose requests the ledger puts in `lane` (`watch`, a bulk run).
    #[must_use]
    pub fn in_lane(&self, lane: Lane) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            lane: Some(lane),
        }
    }

    fn lane(&self, priority: Priority) -> Lane {
        self.lane.unwrap_or_else(|| Lane::of(priority))
    }

    /// Puts a call that was sent in the ledger: its URL with the API's own query fields only.
    fn record(&self, req: &Request<'_>, lane: Lane, sent: Sent) {
        let mut url = self.url(&req.path);
        let kept = ledger::fields(&req.query);
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept.iter());
        }
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let budget = self.inner.scheduler.snapshot();
        self.inner.ledger.record(ledger::Call {
            at: jiff::Timestamp::now(),
            method: req.method.to_string(),
            url: url.to_string(),
            path,
            form: req.form.as_deref().map(ledger::fields).unwrap_or_default(),
            status: sent.status.map(|s| s.as_u16()),
            took: sent.started.elapsed(),
            lane,
            bytes: sent.bytes,
            budget: (budget.left, budget.share),
        });
    }

    pub fn scheduler(&self) -> &Scheduler {
        &self.inner.scheduler
    }

    /// Why the shared budget could not be opened, for the caller to show once.
    pub fn shared_budget_warning(&self) -> Option<&str> {
        self.inner.shared_warning.as_deref()
    }

    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    pub fn is_read_only(&self) -> bool {
        self.inner.read_only
    }

    pub fn trusts_ids(&self) -> bool {
        self.inner.trust_ids
    }

    /// Requests sent so far, by the answer's status (`200`, `429`, ...) or `error` when no
    /// answer came, in the order of the status.
    pub fn answer_counts(&self) -> Vec<(String, u64)> {
        self.inner
            .answers
            .lock()
            .map(|a| a.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default()
    }

    fn count_answer(&self, status: Option<StatusCode>) {
        if let Ok(mut a) = self.inner.answers.lock() {
            let key = status.map_or_else(|| "error".to_owned(), |s| s.as_u16().to_string());
            *a.entry(key).or_default() += 1;
        }
    }

    fn emit(&self, ev: ClientEvent) {
        if let Ok(e) = self.inner.events.lock()
            && let Some(tx) = e.as_ref()
        {
            let _ = tx.send(ev);
        }
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.inner.base.clone();
        let base_path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base_path}/{}", path.trim_start_matches('/')));
        url
    }

    /// The one function every request goes through: a permit of the scheduler, then the send.
    async fn send(&self, req: &Request<'_>, priority: Priority) -> Result<Answer, ApiError> {
        match self.inner.scheduler.acquire(priority).await {
            Ok(()) => {}
            Err(budget::Held::RateLimited { retry_in }) => {
                return Err(ApiError::RateLimited { retry_in });
            }
            Err(budget::Held::NoPollShare) => return Err(Refusal::PollingOff.into()),
        }
        self.shared_gate(priority).await?;
        self.send_permitted(req, self.lane(priority)).await
    }

    /// The budget every process on this machine shares (DESIGN §14), after the in-process
    /// permit: waits while the shared count is full or another process's 429 countdown runs.
    /// A CLI command waits at most its `budget_wait`, saying so once on stderr; the dashboard's
    /// operator is refused at once during a countdown, as in-process.
    async fn shared_gate(&self, priority: Priority) -> Result<(), ApiError> {
        let deadline = self
            .inner
            .budget_wait
            .map(|w| tokio::time::Instant::now() + w);
        let mut announced = false;
        loop {
            let (retry_in, blocked) = match self.inner.scheduler.claim_shared(priority).await {
                Ok(Claim::Granted) => return Ok(()),
                Ok(Claim::Full { retry_in }) => (retry_in, false),
                Ok(Claim::Blocked { retry_in }) => (retry_in, true),
                Err(SharedError::Locked) => return Err(Refusal::BudgetLocked.into()),
                Err(SharedError::Failed(detail)) => {
                    // Never stop working over the shared file: count in-process only.
                    if !self.inner.shared_failed.swap(true, Ordering::Relaxed) {
                        tracing::warn!(detail = %error::redact(&detail), "shared rate budget failed");
                    }
                    return Ok(());
                }
            };
            match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                    if retry_in > left {
                        return Err(if blocked {
                            ApiError::RateLimited { retry_in }
                        } else {
                            Refusal::BudgetSpent {
                                secs: secs_up(retry_in),
                            }
                            .into()
                        });
                    }
                    if !announced {
                        announced = true;
                        let mut err = std::io::stderr().lock();
                        let _ =
                            writeln!(err, "waiting for the rate budget ({} s)", secs_up(retry_in));
                    }
                }
                None if blocked && priority == Priority::Operator => {
                    return Err(ApiError::RateLimited { retry_in });
                }
                None => {}
            }
            tokio::time::sleep(retry_in).await;
        }
    }

    /// Sends a request whose permit the scheduler has already given.
    async fn send_permitted(&self, req: &Request<'_>, lane: Lane) -> Result<Answer, ApiError> {
        let mut url = self.url(&req.path);
        if !req.query.is_empty() {
            url.query_pairs_mut().extend_pairs(req.query.iter());
        }
        let mut sent = Sent {
            started: tokio::time::Instant::now(),
            status: None,
            bytes: 0,
        };
        tracing::debug!(method = %req.method, path = %req.path, "request");
        let reply = match &self.inner.in_process {
            None => self.send_http(req, url).await.map(Reply::Http),
            Some(server) => self
                .send_in_process(server, req, url)
                .await
                .map(Reply::InProcess),
        };
        let reply = match reply {
            Ok(reply) => reply,
            Err(e) => {
                self.count_answer(None);
                self.record(req, lane, sent);
                return Err(e);
            }
        };
        let status = reply.status();
        self.count_answer(Some(status));
        sent.status = Some(status);
        let remaining: Option<i64> = header_num(reply.headers(), "x-ratelimit-remaining");
        let reset: Option<u64> = header_num(reply.headers(), "x-ratelimit-reset");
        self.inner
            .scheduler
            .observe(status.as_u16(), remaining, reset);
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = budget::cooldown_after_429(reset, SystemTime::now());
            if let Err(e) = self.inner.scheduler.share_429(wait).await {
                tracing::warn!(?e, "could not tell other processes of the 429");
            }
        }
        let location = reply
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(crate::domain::clean::one_line);
        let body = self.read_body(reply).await;
        sent.bytes = body.as_ref().map_or(0, Vec::len);
        self.record(req, lane, sent);
        let body = body?;
        tracing::debug!(
            status = status.as_u16(),
            bytes = body.len(),
            ?remaining,
            "answer"
        );
        classify(status, body, location, reset, req.what)
    }

    async fn send_http(&self, req: &Request<'_>, url: Url) -> Result<reqwest::Response, ApiError> {
        let mut builder = self
            .inner
            .http
            .request(req.method.clone(), url)
            .bearer_auth(&*self.inner.key.0);
        if let Some(form) = &req.form {
            // Form-encoded: the server reads only $_POST and ignores JSON bodies.
            builder = builder.form(form);
        }
        builder.send().await.map_err(|e| self.transport_error(&e))
    }

    /// The same request, answered in process, within the same time-out.
    async fn send_in_process(
        &self,
        server: &InProcess,
        req: &Request<'_>,
        url: Url,
    ) -> Result<InResponse, ApiError> {
        use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
        let host = self.inner.base.host_str().unwrap_or_default().to_owned();
        let mut headers = reqwest::header::HeaderMap::new();
        let bearer =
            HeaderValue::from_str(&format!("Bearer {}", &*self.inner.key.0)).map_err(|_| {
                ApiError::Network {
                    detail: format!("{host}: the key cannot be sent in a header"),
                }
            })?;
        headers.insert(AUTHORIZATION, bearer);
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        let body = match &req.form {
            Some(form) => {
                headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                );
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish()
                    .into_bytes()
            }
            None => Vec::new(),
        };
        let request = InRequest {
            method: req.method.clone(),
            url,
            headers,
            body,
        };
        match tokio::time::timeout(self.inner.timeout, server.serve(request)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(cause)) => Err(ApiError::Network {
                detail: format!("the answer from {host} broke off: {cause}"),
            }),
            Err(_) => Err(self.timed_out()),
        }
    }

    async fn read_body(&self, reply: Reply) -> Result<Vec<u8>, ApiError> {
        let too_large = ApiError::TooLarge {
            limit_mb: (BODY_LIMIT / (1024 * 1024)) as u64,
        };
        let mut resp = match reply {
            Reply::InProcess(r) if r.body.len() > BODY_LIMIT => return Err(too_large),
            Reply::InProcess(r) => return Ok(r.body),
            Reply::Http(resp) => resp,
        };
        if resp.content_length().is_some_and(|n| n > BODY_LIMIT as u64) {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport_error(&e))? {
            if body.len() + chunk.len() > BODY_LIMIT {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// No answer within the time-out, rounded up: a time-out under a second must not read
    /// "within 0 s".
    fn timed_out(&self) -> ApiError {
        let t = self.inner.timeout;
        ApiError::Timeout {
            secs: t.as_secs() + u64::from(t.subsec_nanos() > 0),
        }
    }

    fn transport_error(&self, e: &reqwest::Error) -> ApiError {
        if e.is_timeout() {
            return self.timed_out();
        }
        let cause = root_cause(e);
        let host = self.inner.base.host_str().unwrap_or_default();
        let detail = if e.is_connect() {
            format!("cannot connect to {host}: {cause}")
        } else if e.is_body() || e.is_decode() {
            format!("the answer from {host} broke off: {cause}")
        } else {
            format!("{host}: {cause}")
        };
        ApiError::Network { detail }
    }

    /// A read, tried again after 0.5, 1 and 2 s (with jitter) on network errors and 5xx. The
    /// first attempt goes in the caller's lane; the retries in the live lane's share, and only
    /// while it has a slot free (see [`Scheduler::take_retry_slot`]): otherwise the last error
    /// is the answer.
    async fn read(&self, req: &Request<'_>, priority: Priority) -> Result<Answer, ApiError> {
        let started = tokio::time::Instant::now();
        let result = self.read_attempts(req, priority).await;
        match result {
            // `--timeout` is per attempt: a message that named only it would hide the retries
            // and the time they took.
            Err((ApiError::Timeout { secs }, attempts)) if attempts > 1 => {
                let total = started.elapsed();
                Err(ApiError::Timeouts {
                    secs,
                    attempts,
                    total_secs: total.as_secs() + u64::from(total.subsec_millis() >= 500),
                })
            }
            Err((e, _)) => Err(e),
            Ok(a) => Ok(a),
        }
    }

    /// The attempts of [`Client::read`]; an error comes with how many requests were sent.
    async fn read_attempts(
        &self,
        req: &Request<'_>,
        priority: Priority,
    ) -> Result<Answer, (ApiError, u32)> {
        let scheduler = &self.inner.scheduler;
        let mut result = self.send(req, priority).await;
        let mut sent = 1;
        for (attempt, base) in (1..).zip(&self.inner.retry_delays) {
            let e = match result {
                Err(e) if e.is_transient() => e,
                Err(e) => return Err((e, sent)),
                Ok(a) => return Ok(a),
            };
            // Looked at before the wait too, so the status line never announces a retry that
            // the budget does not allow.
            if !scheduler.retry_slot_free() {
                tracing::info!(error = %e, "not retrying a read: the live share is spent");
                return Err((e, sent));
            }
            let delay = base.mul_f64(rand::rng().random_range(0.8..1.2));
            tracing::info!(attempt, ?delay, error = %e, "retrying a read");
            self.emit(ClientEvent::Retrying {
                attempt,
                delay,
                error: e.clone(),
            });
            tokio::time::sleep(delay).await;
            if !scheduler.take_retry_slot()
                || !matches!(
                    scheduler.claim_shared(Priority::Poll).await,
                    Ok(Claim::Granted)
                )
            {
                return Err((e, sent));
            }
            // A retry runs in the live lane's share, and the ledger says so.
            result = self.send_permitted(req, self.lane(Priority::Poll)).await;
            sent += 1;
        }
        result.map_err(|e| (e, sent))
    }
}

/// Every flow of the account, as read page by page.
#[derive(Clone, Debug, PartialEq)]
pub struct AllFlows {
    pub flows: Vec<Flow>,
    /// False when the list changed while it was read, twice in a row (flows created or deleted
    /// between pages): some flows may be missing or listed twice, so this is not "all".
    pub steady: bool,
}

/// The result of a create.
#[derive(Clone, Debug, PartialEq)]
pub struct Created {
    pub flow: Flow,
    /// The server stored no device although one was chosen (the shipped build's bug).
    pub device_dropped: bool,
    /// The answer never came or was a 5xx; the flow was found in the list afterwards.
    pub after_timeout: bool,
    /// Set when the server refused to store the flow switched off: it was created switched
    /// on, then switched off by its id (or that failed, and it is on).
    pub off_after: Option<OffAfter>,
}

fn classify(
    status: StatusCode,
    body: Vec<u8>,
    location: Option<String>,
    reset: Option<u64>,
    what: &str,
) -> Result<Answer, ApiError> {
    let code = status.as_u16();
    if status.is_success() {
        return Ok(Answer { body });
    }
    if status.is_redirection() {
        return Err(ApiError::Redirect {
            status: code,
            location,
        });
    }
    let title = wire::error_title(&body);
    match code {
        401 => Err(match title.as_deref() {
            Some(MISSING_BEARER) => ApiError::KeyMissing,
            Some(NO_ACCESS) => ApiError::KeyRejected,
            Some(t) => ApiError::Refused {
                status: code,
                title: t.to_owned(),
            },
            None => ApiError::Refused {
                status: code,
                title: wire::excerpt(&body),
            },
        }),
        404 => Err(ApiError::NotFound {
            what: what.to_owned(),
        }),
        429 => Err(ApiError::RateLimited {
            // The scheduler read the same header the same way: the countdown it refuses with
            // matches this one.
            retry_in: budget::cooldown_after_429(reset, std::time::SystemTime::now()),
        }),
        500..=599 => Err(ApiError::Server {
            status: code,
            html: wire::looks_like_html(&body),
            excerpt: title.unwrap_or_else(|| {
                if wire::looks_like_html(&body) {
                    String::new()
                } else {
                    wire::excerpt(&body)
                }
            }),
        }),
        _ => Err(ApiError::Refused {
            status: code,
            title: title.unwrap_or_else(|| wire::excerpt(&body)),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_with_credentials_query_or_fragment_are_refused() {
        assert!(check_base_url("https://h.example/api").is_ok());
        for (url, why) in [
            (
                "https://op:pw-secret@h.example/api",
                "it holds a user name or password",
            ),
            (
                "https://op@h.example/api",
                "it holds a user name or password",
            ),
            (
                "https://h.example/api?a=1",
                "it has a query string or fragment",
            ),
            (
                "https://h.example/api#top",
                "it has a query string or fragment",
            ),
        ] {
            let refusal = check_base_url(url).unwrap_err();
            assert_eq!(refusal, Refusal::BadUrl(why.to_owned()), "{url}");
            assert!(!refusal.to_string().contains("pw-secret"));
        }
    }
}
