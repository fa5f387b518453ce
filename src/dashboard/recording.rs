//! What the dashboard keeps in the history (DESIGN §13): the readings of every list that
//! answers (a page, a 1000-page, every flow; a live refresh or the operator's), at most one a flow
//! and minute, and the list on screen as the snapshot an offline start shows. Everything is
//! handed to the history's writer thread; nothing here waits for the disk.
//!
//! Flows are keyed by id where the server names them reliably, and by creation time and name on
//! the shipped build (CONTRACT §12 item 9), whose ids are device ids. Before the build is known
//! nothing is recorded: a reading put on the wrong flow could not be taken back.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::api::{Client, ServerKind};
use crate::app::{Msg, State};
use crate::domain::Flow;
use crate::store::{Account, FlowKey, Reading, Recorder, SavedList, StoreEvent, snapshot_of};

/// The snapshot is saved at most this often while the list is refreshed (and at the end).
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(60);
/// Flows whose minute is remembered; beyond this (flows come and go) the memory starts again.
const MINUTES_KEPT: usize = 100_000;

/// How long the first frame may wait for the history's snapshot: it is read and decoded on the
/// writer thread in a few milliseconds, but a file another process holds must not keep the
/// screen blank. A snapshot that comes later is still shown if no answer came before it.
pub const SNAPSHOT_WAIT: Duration = Duration::from_millis(100);
/// How long the end of the run waits for the history's last batches and its close.
pub(super) const HISTORY_CLOSE: Duration = Duration::from_millis(500);

/// Where the dashboard keeps its history (DESIGN §13).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum HistoryPlace {
    /// `--no-history`, or no data directory to put it in.
    #[default]
    Off,
    /// In memory, gone at exit: the embedded demo, whose flows are not the operator's.
    Memory,
    File(PathBuf),
}

/// The read of the history's snapshot at start.
pub(super) type SavedRead = Pin<Box<dyn Future<Output = Option<SavedList>> + Send>>;

/// The snapshot once read; waits forever when there is none to wait for.
pub(super) async fn saved_list(slot: &mut Option<SavedRead>) -> Option<SavedList> {
    match slot {
        Some(read) => {
            let saved = read.await;
            *slot = None;
            saved
        }
        None => std::future::pending().await,
    }
}

/// The history's next fault to tell; waits forever without a history.
pub(super) async fn history_fault(recording: Option<&mut Recording>) -> Msg {
    match recording {
        Some(r) => r.next_fault().await,
        None => std::future::pending().await,
    }
}

/// The dashboard's side of the history: the recorder and what was handed to it.
pub(super) struct Recording {
    pub(super) recorder: Recorder,
    base: url::Url,
    events: Option<UnboundedReceiver<StoreEvent>>,
    /// The minute of each flow's last reading handed over: one a flow and minute is kept, and
    /// a live refresh every few seconds would otherwise send the same minute again and again.
    minutes: HashMap<FlowKey, i64>,
    /// The account of the latest list, once one has answered.
    account: Option<Account>,
    saved_at: Option<Instant>,
    devices_saved: bool,
    segments_saved: bool,
    /// Faults already told, by their reason: a locked file fails every batch alike.
    told: HashSet<String>,
}

impl Recording {
    pub(super) fn new(recorder: Recorder, base: url::Url) -> Recording {
        Recording {
            recorder,
            base,
            events: None,
            minutes: HashMap::new(),
            account: None,
            saved_at: None,
            devices_saved: false,
            segments_saved: false,
            told: HashSet::new(),
        }
    }

    /// The same history, following the account at `base` from now on (a profile switch): the
    /// faults already told stay told.
    pub(super) fn moved_to(self, base: url::Url) -> Recording {
        Recording {
            events: self.events,
            told: self.told,
            ..Recording::new(self.recorder, base)
        }
    }

    pub(super) fn set_events(&mut self, events: UnboundedReceiver<StoreEvent>) {
        self.events = Some(events);
    }

    /// Reads the last snapshot of the account last seen at this base URL (no answer has named
    /// the user yet), decoded on the writer thread.
    pub(super) fn read_saved(&self) -> impl Future<Output = Option<SavedList>> + Send + 'static {
        let account = Account::new(&self.base, None);
        let recorder = self.recorder.clone();
        async move {
            match recorder.query(move |s| s.saved_list(&account)).await {
                Some(Ok(saved)) => saved,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "the history's snapshot cannot be read");
                    None
                }
                None => None,
            }
        }
    }

    /// Hands the readings of a list that answered to the writer.
    pub(super) fn observe(&mut self, msg: &Msg, client: &Client) {
        let (flows, kind) = match msg {
            Msg::PageLoaded {
                result: Ok((page, kind)),
                ..
            } => (page.items.as_slice(), *kind),
            Msg::AllLoaded {
                result: Ok((flows, kind)),
                ..
            } => (flows.as_slice(), *kind),
            Msg::ChunkLoaded {
                result: Ok(page), ..
            } => (page.items.as_slice(), client.server_kind()),
            _ => return,
        };
        self.record(flows, kind, Timestamp::now());
    }

    fn record(&mut self, flows: &[Flow], kind: ServerKind, at: Timestamp) {
        let by_id = match kind {
            ServerKind::Documented | ServerKind::SparseList => true,
            ServerKind::Shipped => false,
            ServerKind::Unknown => return,
        };
        if flows.is_empty() {
            return;
        }
        if self.minutes.len() > MINUTES_KEPT {
            self.minutes.clear();
        }
        let minute = at.as_second().div_euclid(60);
        // A row whose id is 0 or repeated is no flow id's: it goes by creation time and name.
        let readings: Vec<Reading> = flows
            .iter()
            .map(|f| Reading::of(f, by_id && f.blocked.is_none()))
            .filter(|r| self.minutes.insert(r.flow.clone(), minute) != Some(minute))
            .collect();
        let account = Account::of_flows(&self.base, flows);
        if !readings.is_empty() {
            self.recorder.record(&account, at, readings);
        }
        // A list that names no user keeps the account an earlier one named.
        if account.user_id().is_some() || self.account.is_none() {
            self.account = Some(account);
        }
    }

    /// After a round: the list on screen becomes the snapshot when a new one answered (at most
    /// once a minute), or when devices or segments first arrive after it.
    pub(super) fn after_round(&mut self, state: &State, loaded_before: Option<Timestamp>) {
        if self.account.is_none() || state.snapshot_at.is_some() {
            return;
        }
        let list_new = state.loaded_at != loaded_before;
        let due = self.saved_at.is_none_or(|t| t.elapsed() >= SNAPSHOT_EVERY);
        let parts_new = (!self.devices_saved && !state.devices.is_empty())
            || (!self.segments_saved && !state.segments.is_empty());
        if (list_new && due) || (parts_new && self.saved_at.is_some()) {
            self.save(state);
        }
    }

    /// Saves the list on screen now (the end of the run), unless it is the snapshot itself.
    pub(super) fn save_now(&mut self, state: &State) {
        if self.account.is_some() && state.snapshot_at.is_none() && state.loaded_at.is_some() {
            self.save(state);
        }
    }

    /// The list on screen as the snapshot: only the first page or every flow, which is what the
    /// next start loads first (the snapshot's time is its rows' time, so another page is not
    /// saved at all).
    fn save(&mut self, state: &State) {
        let Some(account) = &self.account else {
            return;
        };
        if state.page != 1 && !state.all_loaded {
            return;
        }
        let flows = state.flows.clone();
        let total = state.total;
        let devices = state.devices.clone();
        let segments = state.segments.clone();
        let at = state.loaded_at.unwrap_or_else(Timestamp::now);
        self.devices_saved |= !devices.is_empty();
        self.segments_saved |= !segments.is_empty();
        self.saved_at = Some(Instant::now());
        self.recorder.snapshot_with(account, move || {
            snapshot_of(at, &flows, total, &devices, &segments)
        });
    }

    /// The next fault of the history to tell the operator; each reason once a run.
    pub(super) async fn next_fault(&mut self) -> Msg {
        loop {
            let Some(events) = self.events.as_mut() else {
                return std::future::pending().await;
            };
            match events.recv().await {
                Some(event) => {
                    let key = match &event {
                        StoreEvent::Dropped { reason, .. } => reason.clone(),
                        other => other.to_string(),
                    };
                    if self.told.insert(key) {
                        return Msg::HistoryFault(event);
                    }
                }
                None => self.events = None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fault_repeating_every_batch_is_told_once() {
        let (recorder, _) = Recorder::in_memory();
        let mut r = Recording::new(recorder, url::Url::parse("http://127.0.0.1:1/api").unwrap());
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        r.set_events(rx);
        let locked = |what: &str| StoreEvent::Dropped {
            what: what.to_owned(),
            reason: "the history file stayed locked for a second (another flowdash?)".to_owned(),
        };
        for event in [
            locked("25 readings"),
            locked("15 readings"),
            locked("the snapshot"),
            StoreEvent::Off {
                reason: "the disk is full".to_owned(),
            },
        ] {
            tx.send(event).unwrap();
        }
        drop(tx);
        let told = |m: Msg| match m {
            Msg::HistoryFault(e) => e.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            told(r.next_fault().await),
            "history: 25 readings not stored: the history file stayed locked for a second (another flowdash?)"
        );
        assert_eq!(told(r.next_fault().await), "history off: the disk is full");
        let more = tokio::time::timeout(Duration::from_millis(50), r.next_fault()).await;
        assert!(more.is_err(), "nothing more to tell");
    }
}
