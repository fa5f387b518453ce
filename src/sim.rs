//! The embedded demo server (DESIGN §9): a real HTTP server on loopback that serves the flows,
//! devices, segments and SMS of a demo account, as documented or as the shipped build really behaves
//! (CONTRACT §12), with moving counters, injectable faults and a request log. The tests can also
//! serve it in process ([`Sim::start_in_memory`], [`Sim::in_process`]): the same handlers, no
//! socket, so that a client on tokio's paused clock reaches it.
//!
//! ```text
//! client ──HTTP──▶ server::handle ─┬─ /api/…    faults → auth → rate window → store → render
//!   (or in process: memory::Memory)│
//!                                  ├─ /_demo/…  control: faults, edits behind the client's back, steps
//!                                  └─ request log (memory, and JSON lines with `log_path`)
//! traffic task ── every second ──▶ Traffic::step (pending → sent / failed, an SMS row each)
//! ```
//!
//! Everything lives behind one mutex that is never held across an await.

mod answer;
mod conn;
mod control;
mod fault;
mod memory;
mod messages;
mod php;
mod render;
mod server;
mod store;
mod traffic;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use jiff::Timestamp;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use fault::Fault;
pub use messages::StoredSms;
pub use store::{FlowEdit, StoredFlow};

use crate::api::InProcess;
use conn::{ConnTag, CutListener};
use fault::FaultQueue;
use memory::Memory;
use messages::Messages;
use store::Store;
use traffic::Traffic;

/// How the demo server behaves. `Default` gives the documented server with the demo key `demo`.
/// Its `Debug` hides the key.
#[derive(Clone)]
pub struct SimConfig {
    /// The only key the server accepts.
    pub api_key: String,
    /// `false`: the documented behaviour; `true`: the shipped build with every quirk.
    pub quirks: bool,
    /// How many flows to seed: the demo data's, then generated ones.
    pub flows: usize,
    /// Seed of the demo data generator and the traffic engine.
    pub seed: u64,
    /// Requests per fixed 60 s window per key.
    pub rate_limit: u32,
    /// Added to every API answer.
    pub latency: Duration,
    /// Speed of the traffic engine (engine seconds per second).
    pub pace: f64,
    /// Run the traffic engine in the background; tests turn it off and call [`Sim::step`].
    pub traffic: bool,
    /// Where to append one JSON line per request.
    pub log_path: Option<PathBuf>,
    /// `/api/sms` lists oldest first, as an account set up that way does; newest first otherwise.
    pub sms_oldest_first: bool,
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("api_key", &"[hidden]")
            .field("quirks", &self.quirks)
            .field("flows", &self.flows)
            .field("seed", &self.seed)
            .field("rate_limit", &self.rate_limit)
            .field("latency", &self.latency)
            .field("pace", &self.pace)
            .field("traffic", &self.traffic)
            .field("log_path", &self.log_path)
            .field("sms_oldest_first", &self.sms_oldest_first)
            .finish()
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            api_key: "demo".to_owned(),
            quirks: false,
            flows: 40,
            seed: 1,
            rate_limit: 60,
            latency: Duration::ZERO,
            pace: 1.0,
            traffic: true,
            log_path: None,
            sms_oldest_first: false,
        }
    }
}

/// One request as the server received it. Never holds the key or the `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedRequest {
    /// UTC `YYYY-MM-DD HH:MM:SS.mmm`, when the request arrived.
    pub time: String,
    /// When the request arrived, since the server started, on tokio's clock: the paused one in
    /// tests, where the wall-clock `time` does not move.
    #[serde(skip)]
    pub at: Duration,
    pub method: String,
    /// Without the query.
    pub path: String,
    pub query: String,
    /// 0 while the answer is pending, and for a connection cut by the `Reset` fault.
    pub status: u16,
    /// Form fields received (urlencoded or multipart), the last value of a repeated name.
    pub form: BTreeMap<String, String>,
}

/// The mutable part of the server.
struct State {
    store: Store,
    sms: Messages,
    traffic: Traffic,
    faults: FaultQueue,
    windows: HashMap<String, server::Window>,
}

/// Requests kept in memory; a demo left running for days must not grow without bound.
const LOG_KEEP: usize = 10_000;

struct RequestLog {
    entries: VecDeque<LoggedRequest>,
    /// Entries dropped from the front, so a request keeps its number while it is in flight.
    dropped: usize,
    file: Option<File>,
}

struct Inner {
    cfg: SimConfig,
    addr: SocketAddr,
    /// On tokio's clock, for the request log's `at`.
    started: tokio::time::Instant,
    state: Mutex<State>,
    log: Mutex<RequestLog>,
    stop: watch::Sender<bool>,
}

/// A running demo server; clones share it.
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("addr", &self.inner.addr)
            .field("quirks", &self.inner.cfg.quirks)
            .finish_non_exhaustive()
    }
}

/// The one handler behind every path, on `inner`.
fn router(inner: &Arc<Inner>) -> Router {
    Router::new()
        .fallback(server::handle)
        .with_state(Arc::clone(inner))
}

/// A poisoned lock only means a panic elsewhere; the data is still consistent enough for a demo.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    /// The server's state, seeded, with its request log opened.
    fn new(cfg: SimConfig, addr: SocketAddr) -> io::Result<Arc<Inner>> {
        let now = Timestamp::now();
        let store = Store::seed(cfg.flows, cfg.quirks, cfg.seed, now)
            .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
        let traffic = Traffic::new(cfg.seed, &store.flows);
        let file = match &cfg.log_path {
            Some(path) => Some(OpenOptions::new().create(true).append(true).open(path)?),
            None => None,
        };
        let (stop, _) = watch::channel(false);
        Ok(Arc::new(Inner {
            cfg,
            addr,
            started: tokio::time::Instant::now(),
            state: Mutex::new(State {
                store,
                sms: Messages::default(),
                traffic,
                faults: FaultQueue::default(),
                windows: HashMap::new(),
            }),
            log: Mutex::new(RequestLog {
                entries: VecDeque::new(),
                dropped: 0,
                file,
            }),
            stop,
        }))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn step(&self, seconds: f64) {
        let mut state = self.state();
        let State {
            store,
            sms,
            traffic,
            ..
        } = &mut *state;
        traffic.step(
            &mut store.flows,
            sms,
            seconds * self.cfg.pace,
            Timestamp::now(),
        );
    }

    fn fail_messages(&self, id: u64, count: u32, error: &str) -> bool {
        let mut state = self.state();
        let State { store, sms, .. } = &mut *state;
        let Some(flow) = store.flows.get_mut(&id) else {
            return false;
        };
        flow.total_failed_sms += i64::from(count);
        sms.fail(flow, count, error, &store::datetime(Timestamp::now()));
        true
    }

    fn base_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}/api")
    }

    /// Records a request as it arrives; `finish` fills in the status.
    fn log_begin(&self, entry: LoggedRequest) -> usize {
        let mut log = lock(&self.log);
        if log.entries.len() >= LOG_KEEP {
            log.entries.pop_front();
            log.dropped += 1;
        }
        log.entries.push_back(entry);
        log.dropped + log.entries.len() - 1
    }

    fn log_finish(&self, index: usize, status: u16) {
        let mut log = lock(&self.log);
        let RequestLog {
            entries,
            dropped,
            file,
        } = &mut *log;
        let Some(entry) = index
            .checked_sub(*dropped)
            .and_then(|at| entries.get_mut(at))
        else {
            return;
        };
        entry.status = status;
        if let Some(file) = file {
            let written = serde_json::to_vec(entry).map(|mut line| {
                line.push(b'\n');
                file.write_all(&line)
            });
            if !matches!(written, Ok(Ok(()))) {
                tracing::warn!("demo server could not write its request log");
            }
        }
    }
}

impl Sim {
    /// Binds `addr` and serves on the current tokio runtime.
    pub async fn start(cfg: SimConfig, addr: SocketAddr) -> io::Result<Sim> {
        let listener = TcpListener::bind(addr).await?;
        let inner = Inner::new(cfg, listener.local_addr()?)?;
        let mut stopped = inner.stop.subscribe();
        let serve = axum::serve(
            CutListener { inner: listener },
            router(&inner).into_make_service_with_connect_info::<ConnTag>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|&stop| stop).await;
        });
        tokio::spawn(async move {
            if let Err(err) = serve.await {
                tracing::warn!("demo server stopped: {err}");
            }
        });
        Ok(Sim::run(inner))
    }

    /// A server that listens nowhere: reach it with [`Sim::in_process`]. Its traffic engine (when
    /// on) runs on the current tokio runtime's clock, paused or not. Its base URL,
    /// `http://127.0.0.1:0/api`, only names the paths.
    pub fn start_in_memory(cfg: SimConfig) -> io::Result<Sim> {
        let inner = Inner::new(cfg, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
        Ok(Sim::run(inner))
    }

    /// This server's handlers, for a client to send to in process (`ClientConfig::in_process`).
    pub fn in_process(&self) -> InProcess {
        InProcess::new(Memory {
            router: router(&self.inner),
        })
    }

    /// Starts the traffic engine when the configuration asks for it.
    fn run(inner: Arc<Inner>) -> Sim {
        if inner.cfg.traffic {
            let engine = Arc::clone(&inner);
            let mut stopped = inner.stop.subscribe();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = stopped.wait_for(|&stop| stop) => break,
                        _ = tick.tick() => engine.step(1.0),
                    }
                }
            });
        }
        Sim { inner }
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// `http://127.0.0.1:PORT/api`
    pub fn base_url(&self) -> String {
        self.inner.base_url()
    }

    /// Advances the traffic engine by `seconds` (times the pace).
    pub fn step(&self, seconds: f64) {
        self.inner.step(seconds);
    }

    /// The next `count` API requests get `fault` (0: every request until cleared). Faults
    /// pushed earlier are used up first.
    pub fn push_fault(&self, fault: Fault, count: u32) {
        self.inner.state().faults.push(fault, count, false);
    }

    /// Like [`Sim::push_fault`], for the next `count` writes (POST and DELETE) only: reads, such
    /// as the re-read before a write, pass it by.
    pub fn push_write_fault(&self, fault: Fault, count: u32) {
        self.inner.state().faults.push(fault, count, true);
    }

    pub fn clear_faults(&self) {
        self.inner.state().faults.clear();
    }

    /// Every request received, in arrival order (the latest 10 000).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.inner.log).entries.iter().cloned().collect()
    }

    pub fn flow(&self, id: u64) -> Option<StoredFlow> {
        self.inner.state().store.flows.get(&id).cloned()
    }

    /// Every flow, in id order.
    pub fn flows(&self) -> Vec<StoredFlow> {
        self.inner.state().store.flows.values().cloned().collect()
    }

    /// The SMS rows kept (the newest 20 000), oldest first.
    pub fn messages(&self) -> Vec<StoredSms> {
        self.inner.state().sms.iter().cloned().collect()
    }

    /// `count` failed SMS on flow `id` with the phone error `error`, its failed counter raised to
    /// match; false if the flow is unknown.
    pub fn fail_messages(&self, id: u64, count: u32, error: &str) -> bool {
        self.inner.fail_messages(id, count, error)
    }

    /// Changes a flow behind the client's back and bumps its `last_datetime`; false if unknown.
    pub fn edit_flow(&self, id: u64, edit: FlowEdit) -> bool {
        self.inner.state().store.edit(id, edit, Timestamp::now())
    }

    /// Stops accepting, lets answers in progress finish, and stops the traffic engine.
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
    }
}
