//! The history (DESIGN §13): one SQLite file that remembers every reading of the flows'
//! counters, the last snapshot of an account, alert events and the write audit.
//!
//! - [`Store`] is one connection: [`Store::open`] creates the file (0600, before SQLite opens it)
//!   and applies the migrations; [`Store::open_read_only`] is for the `history` command, which
//!   must not create or change anything. Queries live in `store::query`.
//! - [`Recorder`] is the handle the dashboard and `watch` hold: `record`, `snapshot`, `alert`
//!   and `audit` hand work to a writer thread and return at once; faults (a locked, corrupt,
//!   full or read-only file) come back as [`StoreEvent`]s and never as errors of the caller.
//!   `settle_alerts` hands over what the alert rules judged and answers with the changes of
//!   state it wrote (`store::alerts`): the alerts firing now live in the file, so that two
//!   processes, or one restarted, never fire an alert twice.
//! - The snapshot is kept as the API's own list answers and read back as a [`SavedList`]
//!   (`store::snapshot`), for the dashboard's offline start.
//!
//! Rows are keyed by an [`Account`]: the API base URL and the `user_id` the flows carry. No key
//! and no hash of a key is ever stored here, so a regenerated key keeps its history.
//!
//! Flows are keyed by a [`FlowKey`] that the caller chooses: the flow id where the server names
//! flows reliably, else (the shipped build, CONTRACT §12 item 9, whose ids are device ids) the
//! creation time and the name.

mod alerts;
mod audit;
mod query;
mod recorder;
mod schema;
mod snapshot;
mod write;

use std::fmt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::Connection;

pub use alerts::{FIRING, Judged, RESOLVED};
pub use audit::{AuditTrail, entry_of};
pub use query::{Comparison, Every, Interval, Rank, Since, Totals};
pub use recorder::{Recorder, StoreEvent};
pub use schema::{LATEST_VERSION, MIGRATIONS, create_at_version};
pub use snapshot::{SavedList, devices_json, flow_json, flows_json, segments_json, snapshot_of};
pub use write::Written;

use crate::domain::Flow;

/// Readings at full resolution are kept this long; older ones are thinned to one an hour.
pub const FULL_RESOLUTION_HOURS: i64 = 48;
/// A reading whose counters did not change is written again only after this many minutes.
pub const UNCHANGED_EVERY_MINUTES: i64 = 5;
/// Days of history kept unless the config says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// How long a write waits for a file that another process holds.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Where the history file is when neither `--history` nor a profile names one:
/// `$XDG_DATA_HOME/flowdash/history.sqlite3`, or the platform's data directory.
pub fn default_path() -> Option<PathBuf> {
    let dir = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
        .or_else(|| directories::BaseDirs::new().map(|d| d.data_dir().to_path_buf()))?;
    Some(dir.join("flowdash").join("history.sqlite3"))
}

/// An account: the API base URL (scheme, host, port and path) and the `user_id` its flows
/// carry. `user_id` is `None` until a flow has named one; then the account last seen at this
/// base URL is the one meant.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Account {
    base_url: String,
    user_id: Option<u64>,
}

impl Account {
    /// The account at `base_url`. User name, password, query and fragment are dropped: the URL
    /// may carry credentials, and nothing secret is stored.
    pub fn new(base_url: &url::Url, user_id: Option<u64>) -> Account {
        let port = base_url
            .port_or_known_default()
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        let path = base_url.path().trim_end_matches('/');
        Account {
            base_url: format!(
                "{}://{}{port}{path}",
                base_url.scheme(),
                base_url.host_str().unwrap_or_default()
            ),
            user_id,
        }
    }

    /// Parses `base_url` first; `None` when it is not a URL.
    pub fn parse(base_url: &str, user_id: Option<u64>) -> Option<Account> {
        url::Url::parse(base_url.trim())
            .ok()
            .map(|u| Account::new(&u, user_id))
    }

    /// The account of a page of flows: the first `user_id` any of them names.
    pub fn of_flows(base_url: &url::Url, flows: &[Flow]) -> Account {
        Account::new(base_url, flows.iter().find_map(|f| f.user_id))
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn user_id(&self) -> Option<u64> {
        self.user_id
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.user_id {
            Some(u) => write!(f, "{} (user {u})", self.base_url),
            None => f.write_str(&self.base_url),
        }
    }
}

/// How the history tells flows apart. The caller chooses: [`FlowKey::Id`] where ids name flows
/// (a server recognised as naming them correctly, or `trust_ids`), [`FlowKey::Created`] on the
/// shipped build, whose list ids are device ids (CONTRACT §12 item 9). The two never mix: a
/// flow recorded by id is not found by creation time and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowKey {
    Id(u64),
    /// Creation time (whole seconds) and name, as the server returns them.
    Created {
        created: Option<Timestamp>,
        name: String,
    },
}

impl FlowKey {
    /// The key of `flow`: by id when `by_id`, else by creation time and name.
    pub fn of(flow: &Flow, by_id: bool) -> FlowKey {
        if by_id {
            FlowKey::Id(flow.id.0)
        } else {
            FlowKey::Created {
                created: flow.created,
                name: flow.name.clone(),
            }
        }
    }

    /// The text stored in the `flows` table: `id:12` or `created:1761708732:Welcome`
    /// (`created::NAME` when the server gave no creation time).
    pub fn to_text(&self) -> String {
        match self {
            FlowKey::Id(id) => format!("id:{id}"),
            FlowKey::Created { created, name } => format!(
                "created:{}:{name}",
                created
                    .map(|t| t.as_second().to_string())
                    .unwrap_or_default()
            ),
        }
    }

    /// The inverse of [`FlowKey::to_text`].
    pub fn from_text(text: &str) -> Option<FlowKey> {
        if let Some(id) = text.strip_prefix("id:") {
            return id.parse().ok().map(FlowKey::Id);
        }
        let rest = text.strip_prefix("created:")?;
        let (secs, name) = rest.split_once(':')?;
        let created = if secs.is_empty() {
            None
        } else {
            Some(Timestamp::from_second(secs.parse().ok()?).ok()?)
        };
        Some(FlowKey::Created {
            created,
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for FlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowKey::Id(id) => write!(f, "{id}"),
            FlowKey::Created {
                created: Some(t),
                name,
            } => write!(f, "created {} · {name}", t.strftime("%Y-%m-%d %H:%M:%S")),
            FlowKey::Created {
                created: None,
                name,
            } => write!(f, "created ? · {name}"),
        }
    }
}

/// One reading of one flow's counters, as a list page showed them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub flow: FlowKey,
    /// The name as shown, kept for the ranking and the CLI.
    pub name: String,
    pub sent: Option<i64>,
    pub pending: Option<i64>,
    pub failed: Option<i64>,
    pub enabled: bool,
}

impl Reading {
    /// The reading of `flow`, keyed as [`FlowKey::of`] says.
    pub fn of(flow: &Flow, by_id: bool) -> Reading {
        Reading {
            flow: FlowKey::of(flow, by_id),
            name: flow.name.clone(),
            sent: flow.sent,
            pending: flow.pending,
            failed: flow.failed,
            enabled: flow.enabled,
        }
    }
}

/// The readings of one list answer: what the dashboard and `watch` hand to
/// [`Recorder::record`].
pub fn readings_of(flows: &[Flow], by_id: bool) -> Vec<Reading> {
    flows.iter().map(|f| Reading::of(f, by_id)).collect()
}

/// The last list seen of an account, as JSON text (a part left `None` keeps what was stored).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub at: Option<Timestamp>,
    pub flows: Option<String>,
    pub devices: Option<String>,
    pub segments: Option<String>,
}

/// One alert event (DESIGN §14): a rule that started or stopped firing.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertEvent {
    pub at: Timestamp,
    pub name: String,
    pub rule: String,
    /// `firing` or `resolved`.
    pub state: String,
    pub flow: Option<FlowKey>,
    pub flow_name: Option<String>,
    pub value: Option<f64>,
    pub text: String,
}

/// One write sent to the server (DESIGN §15): when, under which profile, to which flow, the
/// fields sent (JSON text: an object of the values as sent) and the result in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub profile: Option<String>,
    /// The flow written (a create's by the id its answer gave); `None` when not known.
    pub flow: Option<FlowKey>,
    pub flow_name: Option<String>,
    pub fields: String,
    pub result: String,
}

/// What went wrong in the store, in words; never holds a key (none is ever given to it).
#[derive(Debug)]
pub enum StoreError {
    Sqlite(rusqlite::Error),
    Io {
        path: PathBuf,
        err: std::io::Error,
    },
    /// The file was written by a newer flowdash.
    TooNew {
        version: i64,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sqlite(e) => write!(f, "{e}"),
            StoreError::Io { path, err } => write!(f, "{}: {err}", path.display()),
            StoreError::TooNew { version } => write!(
                f,
                "the history file is of version {version}, newer than this flowdash knows ({LATEST_VERSION})"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

impl StoreError {
    /// The SQLite error code, if this is an SQLite error.
    pub fn code(&self) -> Option<rusqlite::ErrorCode> {
        match self {
            StoreError::Sqlite(e) => e.sqlite_error_code(),
            _ => None,
        }
    }

    /// The file is damaged or is not a database: it is moved aside and a new one started.
    pub fn is_corrupt(&self) -> bool {
        matches!(
            self.code(),
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
        )
    }

    /// Another process held the file for longer than [`BUSY_TIMEOUT`].
    pub fn is_locked(&self) -> bool {
        matches!(
            self.code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }

    /// Writing cannot work at all: a full disk, a read-only file or disk, no permission.
    /// History is turned off, with this reason.
    pub fn off_reason(&self) -> Option<&'static str> {
        use rusqlite::ErrorCode as C;
        match self {
            StoreError::Sqlite(_) => match self.code()? {
                C::DiskFull => Some("the disk is full"),
                C::ReadOnly => Some("the file or its disk is read-only"),
                C::PermissionDenied | C::CannotOpen => {
                    Some("the file cannot be opened for writing")
                }
                C::SystemIoFailure => Some("the disk answered an I/O error"),
                _ => None,
            },
            StoreError::Io { err, .. } => Some(match err.kind() {
                std::io::ErrorKind::StorageFull => "the disk is full",
                std::io::ErrorKind::ReadOnlyFilesystem => "the disk is read-only",
                std::io::ErrorKind::PermissionDenied => "no permission to write there",
                _ => "the file cannot be created",
            }),
            StoreError::TooNew { .. } => Some("the file was written by a newer flowdash"),
        }
    }
}

/// An account's row id in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccountId(pub i64);

/// One connection to the history file.
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    retention_days: u32,
    /// Flow row ids by account and key, so that a batch of 1000 readings does not look up each
    /// flow twice. Rows of `flows` are never deleted, so an entry never goes stale.
    flow_ids: std::collections::HashMap<(AccountId, String), (i64, String)>,
    /// The last row written of each flow (minute and values), so that a batch does not read
    /// 1000 rows back. Another process may have written since; the worst that does is an extra
    /// row (the key keeps it to one a minute) or a reading skipped as unchanged for at most
    /// five minutes.
    last: std::collections::HashMap<(AccountId, i64), (i64, write::Values)>,
    /// Readings before this minute were thinned by this connection's last prune.
    thinned_before: Option<i64>,
}

impl Store {
    /// Opens (creating it 0600 first) the history file at `path` and brings it to the latest
    /// version. No integrity scan: a damaged file shows itself at the first query that fails.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let (conn, _) = schema::open_file(path, false)?;
        Ok(Store::wrap(conn, Some(path.to_path_buf())))
    }

    /// As [`Store::open`], but a file found damaged (not a database, or a damaged page met by
    /// the first statement) is moved aside with its `-wal` and `-shm` as
    /// `history.sqlite3.corrupt-TIME` and a new one started; the second value is where the
    /// damaged file went.
    pub fn open_replacing_damaged(path: &Path) -> Result<(Store, Option<PathBuf>), StoreError> {
        let (conn, aside) = schema::open_file(path, true)?;
        Ok((Store::wrap(conn, Some(path.to_path_buf())), aside))
    }

    /// Opens an existing history file without creating or changing anything (the `history`
    /// command). `Ok(None)` when there is no file.
    pub fn open_read_only(path: &Path) -> Result<Option<Store>, StoreError> {
        if !path.exists() {
            return Ok(None);
        }
        let conn = schema::open_read_only(path)?;
        Ok(Some(Store::wrap(conn, Some(path.to_path_buf()))))
    }

    /// A history kept in memory (the demo, tests): gone when the store is dropped.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = schema::open_memory()?;
        Ok(Store::wrap(conn, None))
    }

    fn wrap(conn: Connection, path: Option<PathBuf>) -> Store {
        Store {
            conn,
            path,
            retention_days: DEFAULT_RETENTION_DAYS,
            flow_ids: std::collections::HashMap::new(),
            last: std::collections::HashMap::new(),
            thinned_before: None,
        }
    }

    /// Days of history kept (the config's `retention_days`, 90 by default).
    pub fn set_retention_days(&mut self, days: u32) {
        self.retention_days = days.max(1);
    }

    /// The file, or `None` for a store in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the file (`PRAGMA user_version`).
    pub fn version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// The connection, for tests and benchmarks that look at the file directly.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Whole minutes since the Unix epoch: the key of a reading.
pub(crate) fn minute_of(t: Timestamp) -> i64 {
    t.as_second().div_euclid(60)
}

pub(crate) fn timestamp_of_minute(minute: i64) -> Timestamp {
    Timestamp::from_second(minute.saturating_mul(60)).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_keeps_scheme_host_port_and_path_and_drops_credentials() {
        let a = Account::parse("https://user:s3cret@SMS.example.com/api/?x=1#f", Some(4)).unwrap();
        assert_eq!(a.base_url(), "https://sms.example.com:443/api");
        assert_eq!(a.to_string(), "https://sms.example.com:443/api (user 4)");
        let b = Account::parse("http://127.0.0.1:8787/api", None).unwrap();
        assert_eq!(b.base_url(), "http://127.0.0.1:8787/api");
    }

    #[test]
    fn flow_keys_go_to_text_and_back() {
        let keys = [
            FlowKey::Id(12),
            FlowKey::Created {
                created: Some(Timestamp::from_second(1_761_708_732).unwrap()),
                name: "Tom's: deal".into(),
            },
            FlowKey::Created {
                created: None,
                name: String::new(),
            },
        ];
        for k in keys {
            assert_eq!(FlowKey::from_text(&k.to_text()), Some(k.clone()), "{k:?}");
        }
        assert_eq!(FlowKey::from_text("id:x"), None);
        assert_eq!(
            FlowKey::Created {
                created: Some(Timestamp::from_second(1_761_708_732).unwrap()),
                name: "Welcome".into()
            }
            .to_string(),
            "created 2025-10-29 03:32:12 · Welcome"
        );
    }
}
