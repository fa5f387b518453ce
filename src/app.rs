//! The dashboard's state and the pure `update` that changes it.
//!
//! Input, task results and timers all arrive as a [`Msg`]; `update(&mut State, Msg)` changes the
//! state and returns [`Command`]s, the work for tasks. Nothing here does I/O, so every rule of the
//! screen is tested without a terminal or a server.

pub mod alerts;
pub mod bulk;
pub mod clipboard;
pub mod columns;
mod copy;
pub mod draft;
mod errors;
pub mod form;
pub mod geometry;
pub mod history;
mod jump;
pub mod keymap;
mod keys;
pub mod ledger;
pub mod marks;
pub mod messages;
pub mod profiles;
mod req;
mod state;
mod update;
pub mod view;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;

pub use form::FormState;
pub use geometry::{
    BELOW_TABLE, DETAIL_BELOW, MIN_HEIGHT, MIN_WIDTH, SIDE_BY_SIDE, TABLE_TOP, detail_width, fits,
    table_rows, table_width,
};
pub use keymap::Action;
pub use req::ReqId;
pub use update::{IDLE_AFTER, IDLE_POLL, poll_wait, start, update};

use crate::api::{
    ApiError, ClientEvent, Conflict, DeleteOutcome, Page, ServerKind, ToggleOutcome, UpdateOutcome,
};
use crate::budget::{BudgetSnapshot, Priority};
use crate::domain::{Device, Flow, FlowDraft, FlowId, FlowPatch, RowKey, Segment};
use view::{Filter, Sort};

/// Page sizes offered by `+` and `-`.
pub const PAGE_SIZES: [u32; 7] = crate::api::PAGE_SIZES;
/// How long a toast stays.
pub const TOAST_FOR: Duration = Duration::from_secs(4);
/// A detail read waits until the selection has rested this long.
pub const DETAIL_REST: Duration = Duration::from_millis(300);
/// Flows a request may ask for: a list of every flow is read in pages of this many.
pub const CHUNK: usize = 1000;

/// Errors kept for `E`.
pub const ERROR_LOG: usize = 500;
/// Readings kept per flow for the send-rate sparkline: 16 bars need 17 readings.
pub const HISTORY: usize = 17;
/// A dialog that opened by itself takes keys this long after it was first drawn: keys typed
/// for the screen before it may still be on their way (in the terminal, the event reader).
pub const SETTLE: Duration = Duration::from_millis(300);

/// Where the dashboard is connected and how; fixed for the session.
#[derive(Clone, Debug)]
pub struct Context {
    pub host: String,
    pub profile: Option<String>,
    pub demo: bool,
    pub production: bool,
    pub read_only: bool,
    pub log_path: Option<PathBuf>,
    /// The zone times are shown in (the system's; fixed in tests).
    pub tz: jiff::tz::TimeZone,
    /// The keys of the flow list: the defaults with the config's `[keys]` over them.
    pub keys: keymap::Keymap,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            host: String::new(),
            profile: None,
            demo: false,
            production: false,
            read_only: false,
            log_path: None,
            tz: jiff::tz::TimeZone::UTC,
            keys: keymap::Keymap::default(),
        }
    }
}

/// What the operator is doing.
#[derive(Debug, Default)]
pub enum Mode {
    #[default]
    Browse,
    /// Typing a filter.
    Filter,
    Form(Box<FormState>),
    /// `Delete flow N "name"? y/N`; on production the name must be typed.
    ConfirmDelete {
        flow: Box<Flow>,
        typed: tui_input::Input,
        /// Why the last answer was refused; the dialog stays open and shows it.
        refusal: Option<String>,
    },
    /// The server's flow differs from what the form (or row) showed.
    Conflict {
        form: Box<FormState>,
        conflict: Box<Conflict>,
    },
    /// `?`; `scroll` lines down from the top.
    Help {
        scroll: u16,
    },
    /// `E`: every error since start, in full, newest first; `scroll` lines down from the top.
    Errors {
        scroll: u16,
    },
    /// `!`: the alerts firing and those of the last day (DESIGN §14).
    Alerts {
        scroll: u16,
    },
    /// A draft kept from an earlier run: Enter restores it, x drops it.
    DraftOffer(Box<draft::DraftOffer>),
    /// `H`: the history of one flow, full screen.
    History(Box<history::HistoryView>),
    /// `m`: the messages of one flow; `F`: the latest failures of every flow.
    Messages(Box<messages::MessagesView>),
    /// `L`: the request ledger.
    Ledger(Box<ledger::LedgerView>),
    /// A bulk switch, delete or undo: the question, then its cost (DESIGN §15).
    Bulk(Box<bulk::Dialog>),
    /// `Y`: the text just sent to the clipboard, to select by hand where the terminal ignores
    /// OSC 52; `scroll` lines down from the top.
    Copied {
        text: String,
        scroll: u16,
    },
    /// `P`: the config's profiles, `cursor` on one of them.
    Profiles {
        cursor: usize,
    },
}

/// Shows problems found before the dashboard started (the config's `[keys]`) on the error line,
/// the newest on top, all of them kept for `E`.
pub fn report_at_start(state: &mut State, problems: &[String]) {
    for p in problems {
        errors::push_error(state, p.clone());
    }
}

/// Whether the latest refresh reached the server, for the header's live state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Link {
    /// The latest refresh answered (or none was made yet).
    #[default]
    Up,
    /// The latest refresh found no server: a network error or no answer in time.
    Offline,
    /// The server answered, but not with flows (5xx, HTML, an unreadable body).
    Failing,
}

impl Link {
    /// What a failed refresh says of the link.
    pub fn after(error: &ApiError) -> Link {
        match error {
            ApiError::Network { .. } | ApiError::Timeout { .. } | ApiError::Timeouts { .. } => {
                Link::Offline
            }
            // The budget's countdown and hold tell these; they are no fault of the link.
            ApiError::RateLimited { .. } | ApiError::Refusal(_) => Link::Up,
            _ => Link::Failing,
        }
    }
}

/// A created flow being looked for: its row, and the pages read for it so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seek {
    pub key: RowKey,
    /// The new flow's name and creation time: where the server lists it under another id (the
    /// shipped build lists the device id, CONTRACT §12 item 9), its row is found by them.
    pub namesake: (String, Option<Timestamp>),
    pub tried: Vec<u32>,
    /// Gone to with `/#42`, rather than just created.
    pub jump: bool,
}

/// Whether keys reach the dialog on screen. A dialog that opens by itself (the conflict after a
/// re-read, a draft offer) must not take keys the operator typed for the screen before it: a
/// table key like `m` typed ahead would land in the conflict dialog as "keep mine", a write.
/// Such a dialog opens with [`State::open_by_itself`]; it is `Undrawn` until the runner reports
/// a frame that shows it (`Msg::Drawn`), then `Settling` until [`SETTLE`] has passed on the
/// runner's clock (`Command::Settle`, answered by `Msg::Settled`). Keys before that are dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Gate {
    /// Keys go through.
    #[default]
    Open,
    /// Opened by itself and not drawn yet.
    Undrawn,
    /// Drawn; keys already on their way are dropped until `Msg::Settled` with this number.
    Settling(u64),
}

/// A message on the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub seq: u64,
}

/// A change of the sent counter, with when it was seen, for the highlight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delta {
    pub amount: i64,
    pub at: Timestamp,
}

/// Everything on screen.
#[derive(Debug, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent flags of the screen, not a state machine"
)]
pub struct State {
    pub ctx: Context,
    /// The profiles of the config file the dashboard started with, for `P`.
    pub profiles: Vec<String>,
    pub server: ServerKind,

    /// The loaded flows: one page, or every flow after `A`.
    pub flows: Vec<Flow>,
    /// Indices into `flows` after the filter and sort.
    pub view: Vec<usize>,
    pub page: u32,
    pub page_size: u32,
    pub total: Option<u64>,
    pub total_pages: Option<u32>,
    pub all_loaded: bool,
    /// Progress of `A`: pages done and in all.
    pub loading_all: Option<(u32, Option<u32>)>,
    pub loaded_at: Option<Timestamp>,
    pub loading: bool,
    /// Nothing has been loaded yet.
    pub first_load: bool,

    pub selected: Option<RowKey>,
    /// The row of the view that is selected (kept when the flow leaves).
    pub cursor: usize,
    pub filter: Filter,
    pub sort: Sort,

    pub devices: Vec<Device>,
    pub segments: Vec<Segment>,
    /// Single reads of flows whose list rows lack fields.
    pub details: HashMap<FlowId, Flow>,
    /// Toggles in flight: flow id → the target state.
    pub toggling: HashMap<FlowId, bool>,

    /// Sent counters at launch (or the last `b`), for "since launch".
    pub baseline: HashMap<RowKey, i64>,
    /// The latest change of each flow's sent counter.
    pub deltas: HashMap<RowKey, Delta>,
    /// Successive sent readings, for the sparkline.
    pub history: HashMap<RowKey, VecDeque<(Timestamp, i64)>>,
    /// What the history file holds for the detail pane, and whether there is one.
    pub stored: history::StoredHistory,
    /// The rows are the history's last snapshot, seen then, shown until the server answers
    /// (DESIGN §13): read-only, and the header says how old.
    pub snapshot_at: Option<Timestamp>,

    pub mode: Mode,
    /// Whether keys reach `mode` yet (see [`Gate`]).
    pub gate: Gate,
    pub errors: VecDeque<String>,
    /// Every error since start (at most [`ERROR_LOG`]), oldest first, with when it was shown.
    pub error_log: VecDeque<(Timestamp, String)>,
    /// The latest failed load, which a load failing alike joins (one message, not three).
    pub load_failure: Option<errors::LoadFailure>,
    /// Whether the latest refresh of the flows reached the server.
    pub link: Link,
    /// A page change waits for its page: then the first row is selected.
    pub top_on_load: bool,
    /// A flow just created, looked for on the pages where the server's order puts it.
    pub seek: Option<Seek>,
    /// The read of a flow `/#42` went to and did not find loaded.
    pub jump: Option<(ReqId, FlowId)>,
    /// With more than 1000 flows loaded: when each 1000-page (from 1) was last read, and which
    /// of the visible ones is polled next.
    pub chunk_at: HashMap<u32, Timestamp>,
    pub chunk_turn: usize,
    pub toast: Option<Toast>,
    /// Something is running: shows the spinner.
    pub busy: u32,
    pub paused: bool,
    pub idle: bool,
    pub mouse: bool,
    pub budget: Option<BudgetSnapshot>,
    pub poll_every: Option<Duration>,
    /// Advances with every tick, for the spinner.
    pub spin: u8,
    pub now: Timestamp,
    pub size: (u16, u16),
    pub quit: bool,

    next_id: u64,
    /// The current request of each slot; other results are stale.
    pub list_req: ReqId,
    pub detail_req: ReqId,
    pub save_req: ReqId,
    pub table_offset: usize,
    /// Rows of the table on screen, set by the drawing side through `Msg::Resize`.
    pub visible_rows: usize,
    /// How far the help can scroll on the terminal as it is, written by the frame that last
    /// drew it (`None`: not drawn yet), so that keys past its end do not pile up unseen.
    pub help_end: std::cell::Cell<Option<u16>>,
    /// Drafts kept from earlier runs, still to be offered (oldest first).
    pub draft_offers: Vec<crate::drafts::Draft>,
    /// The account's alerts, as the history last told them.
    pub alerts: alerts::Alerts,
    /// The marked flows (DESIGN §15), the bulk action at work, and the last switch written.
    pub marks: marks::Marks,
    pub queue: Option<bulk::Queue>,
    pub undo: Option<Vec<bulk::Item>>,
    /// The colours the screens are drawn in (DESIGN §17).
    pub theme: crate::ui::theme::Theme,
    /// The table's columns as the config chose them; `None`: as wide as the terminal allows.
    pub columns: Option<Vec<columns::Column>>,
}

/// Something that happened.
#[derive(Debug)]
pub enum Msg {
    /// A switch to this profile failed for this reason; the profile in use stays.
    ProfileRefused {
        name: String,
        why: String,
    },
    Key(crossterm::event::KeyEvent),
    Mouse(crossterm::event::MouseEvent),
    /// Text pasted into the terminal.
    Paste(String),
    Resize(u16, u16),
    /// The runner drew a frame of this size while a dialog waited to be seen
    /// ([`State::awaits_draw`]).
    Drawn {
        width: u16,
        height: u16,
    },
    /// The settle time of the dialog drawn (`Command::Settle`) ran out.
    Settled(u64),
    /// A second passed; carries the wall clock and the scheduler's state.
    Tick {
        now: Timestamp,
        budget: Option<BudgetSnapshot>,
        /// The live pace in force.
        poll_every: Option<Duration>,
    },
    /// Time for the next live refresh.
    PollDue,
    /// The selection rested: read the detail of this flow if it is still selected.
    DetailDue(FlowId),
    ToastExpired(u64),
    /// No key for ten minutes (or a key after that).
    Idle(bool),
    PageLoaded {
        req: ReqId,
        result: Result<(Page<Flow>, ServerKind), ApiError>,
    },
    AllProgress {
        req: ReqId,
        done: u32,
        pages: Option<u32>,
    },
    AllLoaded {
        req: ReqId,
        result: Result<(Vec<Flow>, ServerKind), ApiError>,
        /// False when the list changed while it was read (read twice): flows may be missing.
        steady: bool,
    },
    /// One 1000-page of a list loaded whole (more than 1000 flows), for live updates.
    ChunkLoaded {
        req: ReqId,
        page: u32,
        result: Result<Page<Flow>, ApiError>,
    },
    DevicesLoaded(Result<Vec<Device>, ApiError>),
    MessagesLoaded {
        req: ReqId,
        result: Result<crate::api::FlowMessages, ApiError>,
    },
    SegmentsLoaded(Result<Vec<Segment>, ApiError>),
    /// The client's ledger, oldest call first.
    LedgerLoaded(Vec<crate::api::Call>),
    DetailLoaded {
        req: ReqId,
        id: FlowId,
        result: Result<Flow, ApiError>,
    },
    Toggled {
        id: FlowId,
        target: bool,
        result: Result<ToggleOutcome, ApiError>,
    },
    Saved {
        req: ReqId,
        result: Result<SaveResult, ApiError>,
    },
    Deleted {
        id: FlowId,
        result: Result<DeleteOutcome, ApiError>,
    },
    Client(ClientEvent),
    /// The store answered a `Command::LoadHistory`.
    HistoryLoaded {
        req: ReqId,
        result: Result<history::HistoryData, history::HistoryError>,
    },
    /// The history's word on the alerts after a judgement: firing now, and the events of the
    /// last day.
    Alerts {
        firing: Vec<crate::store::AlertEvent>,
        recent: Vec<crate::store::AlertEvent>,
        /// The bell and desktop notifications the rules ask for, as terminal bytes (empty when
        /// there are none or the output is no terminal).
        terminal: String,
    },
    /// The history's last snapshot of this account, read at start.
    SnapshotRead(Box<crate::store::SavedList>),
    /// Something the history has to tell (a fault); the dashboard keeps working.
    HistoryFault(crate::store::StoreEvent),
}

/// What a save of the form ended with.
#[derive(Debug)]
pub enum SaveResult {
    Updated(UpdateOutcome),
    Created(crate::api::Created),
}

/// Work for a task or for the terminal.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `P`, Enter: load this profile of the config and connect to its account.
    SwitchProfile(String),
    LoadPage {
        req: ReqId,
        page: u32,
        per_page: u32,
        priority: Priority,
    },
    LoadAll {
        req: ReqId,
        priority: Priority,
    },
    /// A 1000-page of every flow, to refresh the rows it holds.
    LoadChunk {
        req: ReqId,
        page: u32,
    },
    LoadDevices,
    LoadSegments,
    LoadDetail {
        req: ReqId,
        id: FlowId,
    },
    /// One write of a bulk queue (a `Toggle` or a `Delete`): the ledger puts it in the `bulk`
    /// lane (DESIGN §16).
    Bulk(Box<Command>),
    Toggle {
        id: FlowId,
        seen: Box<Flow>,
        target: bool,
        /// The flow in a list read moments ago, standing for the re-read (a bulk switch).
        listed: Option<Box<Flow>>,
    },
    Update {
        req: ReqId,
        id: FlowId,
        seen: Box<Flow>,
        patch: FlowPatch,
    },
    Create {
        req: ReqId,
        draft: FlowDraft,
    },
    Delete {
        id: FlowId,
        seen: Box<Flow>,
    },
    /// Ask for `Msg::PollDue` when the next live refresh is due (replacing an earlier one): the
    /// runner knows the scheduler's pace and whether the operator is idle.
    SchedulePoll,
    /// Ask for `Msg::DetailDue` after the rest time.
    ArmDetail(FlowId),
    ArmToast(u64),
    /// Answer with `Msg::Settled` after [`SETTLE`].
    Settle(u64),
    SetMouse(bool),
    Suspend,
    /// Bytes for the terminal, written between two frames: an OSC 52 copy, the bell and the
    /// desktop notifications of alerts. They move no cell of the drawn screen.
    Emit(String),
    /// Read the messages of flow `flow`, of every flow with `None` (an operator read).
    LoadMessages {
        req: ReqId,
        flow: Option<FlowId>,
    },
    /// Read the client's request ledger; answered by `Msg::LedgerLoaded`.
    LoadLedger,
    /// Delete the kept draft of this flow (`None`: of a new flow); the operator dropped it.
    DropDraft(Option<FlowId>),
    /// Read a flow's history from the store, off the UI task; answered by `Msg::HistoryLoaded`.
    LoadHistory {
        req: ReqId,
        ask: Box<history::HistoryAsk>,
    },
    /// Run the alert rules over a reading of these flows (DESIGN §14); `whole`: every flow.
    JudgeAlerts {
        at: Timestamp,
        flows: Vec<Flow>,
        by_id: bool,
        whole: bool,
    },
}
