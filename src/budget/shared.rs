//! One rate budget for every flowdash process on this machine (DESIGN §14).
//!
//! The dashboard, `watch` and every CLI command that use one key spend one budget: the phones
//! sharing the key do not care how many flowdash processes there are. The sends of the last
//! window live in a small `SQLite` file on local disk, keyed by a fingerprint of base URL and key.
//! Before each send a process counts and records its own in one short `BEGIN IMMEDIATE`
//! transaction and commits before the request goes out, so no lock is held across a request.
//! A 429 seen by any process is stored as a "blocked until" time that every process, a new one
//! included, honours.
//!
//! Times in the file are wall-clock milliseconds: processes share no monotonic clock.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

/// How long a process waits for another one's transaction before it gives up on a send.
pub const LOCK_WAIT: Duration = Duration::from_secs(1);

/// Bytes of the SHA-256 kept in the fingerprint: enough that two keys never meet, too few to
/// be worth anything as a hash of the key.
const FINGERPRINT_BYTES: usize = 12;

/// The length of both the server's fixed window and the sliding ones counted here and in each
/// process's scheduler.
pub const WINDOW: Duration = Duration::from_secs(60);

/// The shared sliding window: [`WINDOW`], like the server's. Debug builds read
/// `FLOWDASH_BUDGET_WINDOW_MS` so that tests of several processes run in seconds; release
/// builds never shorten it.
pub fn window() -> Duration {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("FLOWDASH_BUDGET_WINDOW_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&ms| ms > 0)
    {
        return Duration::from_millis(ms);
    }
    WINDOW
}

/// `$XDG_RUNTIME_DIR/flowdash/budget.sqlite3`, or `budget.sqlite3` in the state directory when
/// there is no runtime directory. Apart from the history file, so that a history path per
/// profile cannot split the budget.
pub fn default_path(state_dir: Option<&Path>) -> Option<PathBuf> {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
        .map(|d| d.join("flowdash"));
    Some(
        runtime
            .or_else(|| state_dir.map(Path::to_path_buf))?
            .join("budget.sqlite3"),
    )
}

/// The truncated SHA-256 of base URL and key, in hex. The base URL is taken as the client
/// normalised it, so two profiles with the same key and server share one budget.
pub fn fingerprint(base_url: &str, key: &str) -> String {
    let mut h = Sha256::new();
    // A label and a separator, so that this hash is of no use for anything else and "ab" + "c"
    // is not "a" + "bc".
    h.update(b"flowdash shared budget v1\0");
    h.update(base_url.trim_end_matches('/').as_bytes());
    h.update(b"\0");
    h.update(key.trim().as_bytes());
    hex(&h.finalize()[..FINGERPRINT_BYTES])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// What the shared count says about one send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Recorded: the request may go.
    Granted,
    /// The limit for this lane is reached; a slot frees in `retry_in`.
    Full { retry_in: Duration },
    /// A process saw a 429; nothing may be sent for `retry_in`.
    Blocked { retry_in: Duration },
}

/// The file could not be used for this send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SharedError {
    /// Another process held the file for longer than [`LOCK_WAIT`].
    Locked,
    /// Anything else `SQLite` said (a disk error, a damaged file).
    Failed(String),
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

impl From<rusqlite::Error> for SharedError {
    fn from(e: rusqlite::Error) -> Self {
        if is_busy(&e) {
            SharedError::Locked
        } else {
            SharedError::Failed(e.to_string())
        }
    }
}

/// The shared count for one fingerprint.
pub struct SharedBudget {
    conn: Mutex<Connection>,
    /// The tables exist (they could not be made while another process held the file).
    ready: AtomicBool,
    fingerprint: String,
    window: Duration,
    /// The send times (wall-clock ms) of every process that the last claim saw in the window,
    /// so the screen can show the shared count without reading the file on every frame.
    seen: Mutex<Vec<i64>>,
}

impl std::fmt::Debug for SharedBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedBudget")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

fn now_ms(wall: SystemTime) -> i64 {
    wall.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn duration_ms(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS sends (fp TEXT NOT NULL, at_ms INTEGER NOT NULL);
         CREATE INDEX IF NOT EXISTS sends_by_fp ON sends (fp, at_ms);
         CREATE TABLE IF NOT EXISTS blocks (fp TEXT PRIMARY KEY, until_ms INTEGER NOT NULL);",
    )
}

/// Creates the directory 0700 and the file 0600 before `SQLite` opens it, so that the file is never
/// readable by others, not even for a moment.
fn create_private(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        let mut b = fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(dir)?;
    }
    let mut o = fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map(drop)
}

impl SharedBudget {
    /// Opens (or creates) the file at `path` for the budget of `fingerprint`.
    pub fn open(path: &Path, fingerprint: String) -> Result<Self, String> {
        let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        create_private(path).map_err(|e| fail(&e))?;
        let conn = Connection::open(path).map_err(|e| fail(&e))?;
        conn.busy_timeout(LOCK_WAIT).map_err(|e| fail(&e))?;
        // A file another process holds locked is still this machine's budget: the schema is
        // then made before the first send, which waits for the lock like any send (and is
        // refused when it stays locked). Only a file that cannot be used at all falls back.
        let ready = match create_schema(&conn) {
            Ok(()) => true,
            Err(e) if is_busy(&e) => false,
            Err(e) => return Err(fail(&e)),
        };
        Ok(Self {
            conn: Mutex::new(conn),
            ready: AtomicBool::new(ready),
            fingerprint,
            window: window(),
            seen: Mutex::new(Vec::new()),
        })
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic inside a transaction rolls it back when the statement drops; the connection
        // itself stays usable.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The connection, with the tables made if opening could not make them.
    fn ready_conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, SharedError> {
        let conn = self.conn();
        if !self.ready.load(Ordering::Acquire) {
            create_schema(&conn)?;
            self.ready.store(true, Ordering::Release);
        }
        Ok(conn)
    }

    /// Counts the sends of the last window and, when fewer than `limit`, records this one; all
    /// in one `IMMEDIATE` transaction, committed before returning. Blocks up to [`LOCK_WAIT`].
    pub fn claim(&self, limit: u32) -> Result<Claim, SharedError> {
        self.claim_at(limit, SystemTime::now())
    }

    fn claim_at(&self, limit: u32, wall: SystemTime) -> Result<Claim, SharedError> {
        let now = now_ms(wall);
        let start = now - ms(self.window);
        let mut conn = self.ready_conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let fp = self.fingerprint.as_str();
        // Rows of every fingerprint go: a key nobody uses any more leaves nothing behind.
        tx.execute("DELETE FROM sends WHERE at_ms <= ?1", params![start])?;
        tx.execute("DELETE FROM blocks WHERE until_ms <= ?1", params![now])?;
        let blocked: Option<i64> = tx
            .query_row(
                "SELECT until_ms FROM blocks WHERE fp = ?1",
                params![fp],
                |r| r.get(0),
            )
            .optional()?;
        let claim = if let Some(until) = blocked {
            Claim::Blocked {
                retry_in: duration_ms(until - now),
            }
        } else {
            // Newest first: the limit-th newest is the send that must leave for a slot to free.
            let mut times: Vec<i64> = tx
                .prepare_cached(
                    "SELECT at_ms FROM sends WHERE fp = ?1 AND at_ms > ?2 ORDER BY at_ms DESC",
                )?
                .query_map(params![fp, start], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let claim = if let Some(&at) = times.get(limit.max(1) as usize - 1) {
                Claim::Full {
                    retry_in: duration_ms(at + ms(self.window) - now).max(Duration::from_millis(1)),
                }
            } else {
                tx.execute(
                    "INSERT INTO sends (fp, at_ms) VALUES (?1, ?2)",
                    params![fp, now],
                )?;
                times.push(now);
                Claim::Granted
            };
            *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = times;
            claim
        };
        tx.commit()?;
        Ok(claim)
    }

    /// The sends of every process in the window as the last claim saw them, those that have
    /// left it since not counted. No file access: for the screen.
    pub fn seen_in_window(&self) -> u32 {
        let start = now_ms(SystemTime::now()) - ms(self.window);
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        u32::try_from(seen.iter().filter(|&&at| at > start).count()).unwrap_or(u32::MAX)
    }

    /// Stores that the server answered 429: no process sends for this key before `wait` has
    /// passed. A later time already stored stays.
    pub fn block_for(&self, wait: Duration) -> Result<(), SharedError> {
        let until = now_ms(SystemTime::now()) + ms(wait);
        let conn = self.ready_conn()?;
        conn.execute(
            "INSERT INTO blocks (fp, until_ms) VALUES (?1, ?2)
             ON CONFLICT (fp) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)",
            params![self.fingerprint, until],
        )?;
        Ok(())
    }

    /// The sends of the last window for this fingerprint, every process counted.
    pub fn count(&self) -> Result<u32, SharedError> {
        let start = now_ms(SystemTime::now()) - ms(self.window);
        let n: i64 = self.ready_conn()?.query_row(
            "SELECT count(*) FROM sends WHERE fp = ?1 AND at_ms > ?2",
            params![self.fingerprint, start],
            |r| r.get(0),
        )?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{BudgetConfig, Priority, Scheduler};

    const KEY: &str = "sk-live-3f9a1c7e5b2d4068";

    fn open(path: &Path, base: &str, key: &str) -> SharedBudget {
        SharedBudget::open(path, fingerprint(base, key)).unwrap()
    }

    fn scheduler(path: &Path, key: &str) -> Scheduler {
        Scheduler::with_shared(
            BudgetConfig {
                budget: 5,
                reserve: 2,
            },
            Some(open(path, "https://sms.example/api/", key)),
        )
    }

    #[tokio::test]
    async fn two_schedulers_on_one_file_share_the_count() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flowdash/budget.sqlite3");
        let (a, b) = (scheduler(&path, KEY), scheduler(&path, KEY));
        // Polls of both stop together at budget − reserve = 3.
        for s in [&a, &b, &a] {
            assert_eq!(s.claim_shared(Priority::Poll).await, Ok(Claim::Granted));
        }
        assert!(matches!(
            b.claim_shared(Priority::Poll).await,
            Ok(Claim::Full { retry_in }) if retry_in <= WINDOW
        ));
        // Operators may use the reserve, and no more, whichever process asks.
        assert_eq!(b.claim_shared(Priority::Operator).await, Ok(Claim::Granted));
        assert_eq!(a.claim_shared(Priority::Operator).await, Ok(Claim::Granted));
        assert!(matches!(
            a.claim_shared(Priority::Operator).await,
            Ok(Claim::Full { .. })
        ));
        // Another key on the same server has a budget of its own.
        let other = scheduler(&path, "another-key-entirely");
        assert_eq!(other.claim_shared(Priority::Poll).await, Ok(Claim::Granted));
    }

    #[tokio::test]
    async fn the_budget_shown_counts_the_other_processes_sends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budget.sqlite3");
        let (a, b) = (scheduler(&path, KEY), scheduler(&path, KEY));
        for _ in 0..3 {
            assert_eq!(a.claim_shared(Priority::Operator).await, Ok(Claim::Granted));
        }
        assert_eq!(b.claim_shared(Priority::Operator).await, Ok(Claim::Granted));
        // b sent once itself, but four of the five are spent.
        assert_eq!(b.snapshot().left, 1);
    }

    #[tokio::test]
    async fn a_429_stored_by_one_stops_the_other_and_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budget.sqlite3");
        let a = scheduler(&path, KEY);
        a.share_429(Duration::from_secs(30)).await.unwrap();
        let fresh = scheduler(&path, KEY);
        let claim = fresh.claim_shared(Priority::Operator).await.unwrap();
        assert!(
            matches!(claim, Claim::Blocked { retry_in } if retry_in > Duration::from_secs(25)),
            "{claim:?}"
        );
        // The fresh process counts down too, so its screen shows it.
        assert!(fresh.snapshot().cooldown.is_some());
        assert_eq!(open(&path, "https://sms.example/api", KEY).count(), Ok(0));
    }

    #[test]
    fn the_fingerprint_is_of_base_and_key_and_holds_neither() {
        let fp = fingerprint("https://sms.example/api/", KEY);
        assert_eq!(fp.len(), FINGERPRINT_BYTES * 2);
        assert!(fp.chars().all(|c| c.is_ascii_hexdigit()));
        // Two profiles naming one server and key meet; another server or key does not.
        assert_eq!(fp, fingerprint("https://sms.example/api", KEY));
        assert_ne!(fp, fingerprint("https://sms.example/api2", KEY));
        assert_ne!(fp, fingerprint("https://sms.example/api/", "sk-live-other"));
        // The separator keeps base and key apart.
        assert_ne!(fingerprint("ab", "c"), fingerprint("a", "bc"));
    }

    #[test]
    fn the_key_is_not_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budget.sqlite3");
        let shared = open(&path, "https://sms.example/api/", KEY);
        shared.claim(5).unwrap();
        shared.block_for(Duration::from_secs(5)).unwrap();
        drop(shared);
        let bytes = fs::read(&path).unwrap();
        let full = Sha256::digest(KEY.as_bytes());
        let hex = hex(&full);
        for needle in [
            KEY.as_bytes(),
            &KEY.as_bytes()[..8],
            hex.as_bytes(),
            &full[..],
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "found {needle:?} in the file"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_file_and_its_directory_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flowdash/budget.sqlite3");
        open(&path, "https://sms.example/api/", KEY);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }

    #[test]
    fn old_sends_leave_the_window_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budget.sqlite3");
        let shared = open(&path, "https://sms.example/api/", KEY);
        let t0 = SystemTime::now();
        assert_eq!(shared.claim_at(1, t0), Ok(Claim::Granted));
        let w = shared.window();
        assert_eq!(
            shared.claim_at(1, t0 + w / 2),
            Ok(Claim::Full { retry_in: w / 2 })
        );
        assert_eq!(shared.claim_at(1, t0 + w), Ok(Claim::Granted));
        let rows: i64 = shared
            .conn()
            .query_row("SELECT count(*) FROM sends", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1, "the send that left the window was pruned");
    }

    #[test]
    fn a_file_locked_for_a_second_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budget.sqlite3");
        let shared = open(&path, "https://sms.example/api/", KEY);
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN EXCLUSIVE").unwrap();
        assert_eq!(shared.claim(5), Err(SharedError::Locked));
        other.execute_batch("COMMIT").unwrap();
        assert_eq!(shared.claim(5), Ok(Claim::Granted));
    }

    #[test]
    fn a_file_locked_while_opening_is_still_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budget.sqlite3");
        drop(open(&path, "https://sms.example/api/", KEY));
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN EXCLUSIVE").unwrap();
        // Opened, not fallen back to counting alone: the send waits for the lock and is refused.
        let shared = open(&path, "https://sms.example/api/", KEY);
        assert_eq!(shared.claim(5), Err(SharedError::Locked));
        other.execute_batch("COMMIT").unwrap();
        assert_eq!(shared.claim(5), Ok(Claim::Granted));
        assert_eq!(shared.count(), Ok(1));
    }
}
