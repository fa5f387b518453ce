//! The writer: a thread of its own that owns the history's connection, takes work over a
//! channel and writes each batch in one transaction. Callers (the dashboard's loop, `watch`)
//! only hand work over and never wait for the disk, and never fail because of it: what goes
//! wrong comes back as a [`StoreEvent`] to show, and is logged.
//!
//! - A file another process holds is waited for up to a second (`busy_timeout`); then the batch
//!   is dropped with a warning.
//! - A damaged file (the first statement that fails with `SQLITE_CORRUPT` or `SQLITE_NOTADB`) is
//!   moved aside with its `-wal` and `-shm` as `history.sqlite3.corrupt-TIME`, a new file is
//!   started, and the batch is written there.
//! - A full or read-only disk (or file) turns history off for the rest of the run.

use std::fmt;
use std::path::PathBuf;
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::{mpsc::UnboundedReceiver, mpsc::UnboundedSender, oneshot};

use super::{Account, AlertEvent, AuditEntry, Reading, Snapshot, Store, StoreError};

/// Batches that may wait for the writer; beyond that a batch is dropped rather than the caller
/// made to wait. At one batch a poll this is minutes of slack.
const QUEUE: usize = 64;
/// How often old readings are thinned and deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// What the history has to tell the operator. Its `Display` is the message to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreEvent {
    /// The file was damaged: it was moved aside and a new one started.
    MovedAside { aside: PathBuf },
    /// History is off for the rest of this run.
    Off { reason: String },
    /// Some work was not stored (`what`: "1000 readings", "the snapshot", ...).
    Dropped { what: String, reason: String },
}

impl fmt::Display for StoreEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreEvent::MovedAside { aside } => write!(
                f,
                "the history file was damaged: moved aside to {}; a new one was started",
                aside.display()
            ),
            StoreEvent::Off { reason } => write!(f, "history off: {reason}"),
            StoreEvent::Dropped { what, reason } => {
                write!(f, "history: {what} not stored: {reason}")
            }
        }
    }
}

type QueryFn = Box<dyn FnOnce(Option<&Store>) + Send>;
type UpdateFn = Box<dyn FnOnce(Option<&mut Store>) + Send>;
type SnapshotFn = Box<dyn FnOnce() -> Snapshot + Send>;

enum Job {
    Readings {
        account: Account,
        at: Timestamp,
        readings: Vec<Reading>,
    },
    Snapshot(Account, Snapshot),
    /// A snapshot built on the writer thread (encoding 1000 flows is work for no caller).
    SnapshotWith(Account, SnapshotFn),
    Alert(Account, AlertEvent),
    Audit(Account, AuditEntry),
    Query(QueryFn),
    Update(UpdateFn),
    Flush(oneshot::Sender<()>),
    /// Close the file: the last connection's close copies the journal back and deletes it.
    Close(oneshot::Sender<()>),
}

impl Job {
    fn what(&self) -> String {
        match self {
            Job::Readings { readings, .. } => format!("{} readings", readings.len()),
            Job::Snapshot(..) | Job::SnapshotWith(..) => "the snapshot".to_owned(),
            Job::Alert(..) => "an alert event".to_owned(),
            Job::Audit(..) => "an audit entry".to_owned(),
            Job::Query(_) | Job::Update(_) | Job::Flush(_) | Job::Close(_) => String::new(),
        }
    }
}

/// Where the writer keeps the history.
#[derive(Clone, Debug)]
enum Location {
    File(PathBuf),
    Memory,
}

/// The handle to the writer. Cheap to clone; the writer stops when every handle is gone.
#[derive(Clone)]
pub struct Recorder {
    tx: SyncSender<Job>,
    events: UnboundedSender<StoreEvent>,
}

impl Recorder {
    /// Starts the writer for the file at `path`. Nothing is opened yet: the file is opened (and
    /// created, and migrated) by the writer, at the first piece of work.
    pub fn start(path: PathBuf, retention_days: u32) -> (Recorder, UnboundedReceiver<StoreEvent>) {
        Recorder::spawn(Location::File(path), retention_days)
    }

    /// A writer whose history lives in memory only (the embedded demo).
    pub fn in_memory() -> (Recorder, UnboundedReceiver<StoreEvent>) {
        Recorder::spawn(Location::Memory, super::DEFAULT_RETENTION_DAYS)
    }

    fn spawn(location: Location, retention_days: u32) -> (Recorder, UnboundedReceiver<StoreEvent>) {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let (etx, erx) = tokio::sync::mpsc::unbounded_channel();
        let mut writer = Writer {
            location,
            retention_days,
            store: None,
            off: false,
            events: etx.clone(),
            last_prune: None,
        };
        let spawned = std::thread::Builder::new()
            .name("flowdash-history".to_owned())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    writer.run(job);
                }
            });
        if let Err(e) = spawned {
            let reason = format!("the history writer could not start: {e}");
            tracing::error!(%reason);
            let _ = etx.send(StoreEvent::Off { reason });
        }
        (Recorder { tx, events: etx }, erx)
    }

    fn send(&self, job: Job) {
        // A writer that is gone (it could not start) was reported once already.
        if let Err(TrySendError::Full(job)) = self.tx.try_send(job) {
            let what = job.what();
            tracing::warn!(what, "history writer behind: work dropped");
            let _ = self.events.send(StoreEvent::Dropped {
                what,
                reason: "the history writer is behind".to_owned(),
            });
        }
    }

    /// Stores one reading of each flow, taken at `at` (see [`Store::write_readings`]).
    pub fn record(&self, account: &Account, at: Timestamp, readings: Vec<Reading>) {
        self.send(Job::Readings {
            account: account.clone(),
            at,
            readings,
        });
    }

    /// Keeps the last list seen of the account.
    pub fn snapshot(&self, account: &Account, snapshot: Snapshot) {
        self.send(Job::Snapshot(account.clone(), snapshot));
    }

    /// Keeps the last list seen of the account, as `build` makes it on the writer thread.
    pub fn snapshot_with(
        &self,
        account: &Account,
        build: impl FnOnce() -> Snapshot + Send + 'static,
    ) {
        self.send(Job::SnapshotWith(account.clone(), Box::new(build)));
    }

    pub fn alert(&self, account: &Account, event: AlertEvent) {
        self.send(Job::Alert(account.clone(), event));
    }

    pub fn audit(&self, account: &Account, entry: AuditEntry) {
        self.send(Job::Audit(account.clone(), entry));
    }

    /// Runs `f` on the writer's connection, after the work handed over before it. `None` when
    /// history is off or the writer is gone or behind.
    pub async fn query<T, F>(&self, f: F) -> Option<Result<T, StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: QueryFn = Box::new(move |store| {
            let _ = tx.send(store.map(f));
        });
        self.tx.try_send(Job::Query(job)).ok()?;
        rx.await.ok().flatten()
    }

    /// Writes what the alert rules judged and answers with the changes of state written (see
    /// [`Store::settle_alerts`]). `None` when history is off or the writer is gone or behind.
    pub async fn settle_alerts(
        &self,
        account: &Account,
        judged: super::Judged,
    ) -> Option<Result<Vec<AlertEvent>, StoreError>> {
        let account = account.clone();
        let (tx, rx) = oneshot::channel();
        let job: UpdateFn = Box::new(move |store| {
            let _ = tx.send(store.map(|s| s.settle_alerts(&account, &judged)));
        });
        self.tx.try_send(Job::Update(job)).ok()?;
        rx.await.ok().flatten()
    }

    /// Writes what was handed over before, then closes the file, so that the next process to
    /// open it finds no journal to read back (which costs a start its first frame). Work handed
    /// over after this is dropped.
    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.try_send(Job::Close(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Waits until everything handed over before has been written (or dropped).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.try_send(Job::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

/// The writer thread's state.
struct Writer {
    location: Location,
    retention_days: u32,
    store: Option<Store>,
    /// History was turned off; work is dropped without a word (the operator was told once).
    off: bool,
    events: UnboundedSender<StoreEvent>,
    last_prune: Option<Instant>,
}

impl Writer {
    fn run(&mut self, job: Job) {
        match job {
            Job::Flush(done) => {
                let _ = done.send(());
            }
            Job::Close(done) => {
                self.store = None;
                // Off without a word: the run is ending.
                self.off = true;
                let _ = done.send(());
            }
            Job::Query(f) => {
                let store = if self.off { None } else { self.open() };
                f(store.map(|s| &*s));
            }
            Job::Update(f) => {
                let store = if self.off { None } else { self.open() };
                f(store);
            }
            Job::SnapshotWith(account, build) => {
                if !self.off {
                    self.write(&Job::Snapshot(account, build()));
                }
            }
            job => self.write(&job),
        }
    }

    fn tell(&self, event: StoreEvent) {
        let _ = self.events.send(event);
    }

    fn turn_off(&mut self, reason: &str) {
        tracing::error!(reason, "history off");
        self.off = true;
        self.store = None;
        self.tell(StoreEvent::Off {
            reason: reason.to_owned(),
        });
    }

    fn open_location(&self) -> Result<(Store, Option<PathBuf>), StoreError> {
        let (mut store, aside) = match &self.location {
            Location::File(path) => Store::open_replacing_damaged(path)?,
            Location::Memory => (Store::open_in_memory()?, None),
        };
        store.set_retention_days(self.retention_days);
        Ok((store, aside))
    }

    /// The open store, opening it (once more after a fault) when needed.
    fn open(&mut self) -> Option<&mut Store> {
        if self.store.is_none() && !self.off {
            match self.open_location() {
                Ok((s, aside)) => {
                    self.store = Some(s);
                    if let Some(aside) = aside {
                        self.moved_aside(aside);
                    }
                }
                Err(e) => {
                    if let Some(reason) = e.off_reason() {
                        self.turn_off(&format!("{reason} ({e})"));
                    } else {
                        // Locked while another process migrates it: try again at the next batch.
                        tracing::warn!(error = %e, "history file not opened");
                    }
                }
            }
        }
        self.store.as_mut()
    }

    fn apply(&mut self, job: &Job) -> Option<Result<(), StoreError>> {
        let store = self.open()?;
        Some(match job {
            Job::Readings {
                account,
                at,
                readings,
            } => store.write_readings(account, *at, readings).map(|_| ()),
            Job::Snapshot(a, s) => store.write_snapshot(a, s),
            Job::Alert(a, e) => store.write_alert(a, e),
            Job::Audit(a, e) => store.write_audit(a, e),
            Job::SnapshotWith(..)
            | Job::Query(_)
            | Job::Update(_)
            | Job::Flush(_)
            | Job::Close(_) => Ok(()),
        })
    }

    fn write(&mut self, job: &Job) {
        if self.off {
            return;
        }
        let mut result = self.apply(job);
        if let Some(Err(e)) = &result
            && e.is_corrupt()
        {
            // Found damaged by this write: start a new file and write the batch there.
            if self.move_aside() {
                result = self.apply(job);
            }
        }
        match result {
            // Not opened: the reason was told or logged by `open`.
            None => {}
            Some(Ok(())) => self.maybe_prune(job),
            Some(Err(e)) => self.failed(job, &e),
        }
    }

    fn failed(&mut self, job: &Job, e: &StoreError) {
        if let Some(reason) = e.off_reason() {
            self.turn_off(&format!("{reason} ({e})"));
            return;
        }
        let reason = if e.is_locked() {
            "the history file stayed locked for a second (another flowdash?)".to_owned()
        } else {
            e.to_string()
        };
        let what = job.what();
        tracing::warn!(what, reason, "history batch dropped");
        self.tell(StoreEvent::Dropped { what, reason });
    }

    fn maybe_prune(&mut self, job: &Job) {
        let Job::Readings { at, .. } = job else {
            return;
        };
        if self.last_prune.is_some_and(|t| t.elapsed() < PRUNE_EVERY) {
            return;
        }
        self.last_prune = Some(Instant::now());
        if let Some(store) = self.store.as_mut()
            && let Err(e) = store.prune(*at)
        {
            // Thinning can wait for the next hour; only a fault that stops writing matters.
            tracing::warn!(error = %e, "history not thinned");
            if let Some(reason) = e.off_reason() {
                self.turn_off(reason);
            }
        }
    }

    fn moved_aside(&self, aside: PathBuf) {
        tracing::error!(aside = %aside.display(), "history file damaged: moved aside");
        self.tell(StoreEvent::MovedAside { aside });
    }

    /// Moves the damaged file and its `-wal` and `-shm` aside (before the connection is closed,
    /// which would delete the `-wal`); false when that failed too (then history is off).
    fn move_aside(&mut self) -> bool {
        let Location::File(path) = &self.location else {
            self.turn_off("the history in memory is damaged");
            return false;
        };
        let path = path.clone();
        let moved = super::schema::move_aside(&path, Timestamp::now());
        self.store = None;
        match moved {
            Ok(aside) => {
                self.moved_aside(aside);
                true
            }
            Err(e) => {
                self.turn_off(&format!(
                    "the damaged history file could not be moved aside: {e}"
                ));
                false
            }
        }
    }
}
