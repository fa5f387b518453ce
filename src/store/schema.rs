//! Opening the history file and bringing it to the latest version.
//!
//! The versions are `PRAGMA user_version`; [`MIGRATIONS`] holds one step per version, each
//! applied once, in its own transaction, in order. A step is never edited once shipped: a
//! change is a new step.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::{BUSY_TIMEOUT, StoreError};

/// Step `n` (from 0) takes the file from version `n` to `n + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: accounts, flows, readings and the snapshot.
    "CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        base_url TEXT NOT NULL,
        -- 0 until a flow has named the user: user ids start at 1.
        user_id INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        UNIQUE (base_url, user_id)
    );
    CREATE TABLE flows (
        id INTEGER PRIMARY KEY,
        account INTEGER NOT NULL REFERENCES accounts (id),
        key TEXT NOT NULL,
        name TEXT NOT NULL,
        UNIQUE (account, key)
    );
    -- One row per account, flow and minute, whichever process wrote it. Whole minutes since
    -- the epoch keep the rows small (1000 flows for 30 days must fit in 120 MB).
    CREATE TABLE readings (
        account INTEGER NOT NULL,
        flow INTEGER NOT NULL,
        minute INTEGER NOT NULL,
        sent INTEGER,
        pending INTEGER,
        failed INTEGER,
        enabled INTEGER NOT NULL,
        PRIMARY KEY (account, flow, minute)
    ) WITHOUT ROWID;
    CREATE TABLE snapshots (
        account INTEGER PRIMARY KEY REFERENCES accounts (id),
        at INTEGER NOT NULL,
        flows TEXT,
        devices TEXT,
        segments TEXT
    );",
    // 2: alert events (DESIGN §14) and the write audit (DESIGN §15).
    "CREATE TABLE alert_events (
        id INTEGER PRIMARY KEY,
        account INTEGER NOT NULL REFERENCES accounts (id),
        at INTEGER NOT NULL,
        name TEXT NOT NULL,
        rule TEXT NOT NULL,
        state TEXT NOT NULL,
        flow TEXT,
        flow_name TEXT,
        value REAL,
        text TEXT NOT NULL
    );
    CREATE INDEX alert_events_at ON alert_events (account, at);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        account INTEGER NOT NULL REFERENCES accounts (id),
        at INTEGER NOT NULL,
        profile TEXT,
        flow TEXT,
        flow_name TEXT,
        fields TEXT NOT NULL,
        result TEXT NOT NULL
    );
    CREATE INDEX audit_at ON audit (account, at);",
    // 3: the alerts firing now (DESIGN §14), one row per account, alert and flow: made when the
    // alert fires, deleted when it resolves, so that no two processes fire one twice.
    "CREATE TABLE alert_state (
        account INTEGER NOT NULL REFERENCES accounts (id),
        name TEXT NOT NULL,
        -- The flow's key text, '' for an alert of no one flow.
        flow TEXT NOT NULL,
        rule TEXT NOT NULL,
        flow_name TEXT,
        since INTEGER NOT NULL,
        value REAL,
        text TEXT NOT NULL,
        PRIMARY KEY (account, name, flow)
    ) WITHOUT ROWID;",
];

/// The version a file has once every step is applied.
pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// Bytes a page; set on a new file only (SQLite cannot change it in WAL mode).
const PAGE_SIZE: i64 = 1024;

/// The WAL is cut back to this size after a checkpoint, so a burst does not leave a big file;
/// it is also how much journal builds up between checkpoints. A batch of 1000 flows writes
/// about 1 MiB of it (one leaf page a flow), so a checkpoint comes every 16 or so batches (every
/// quarter of an hour at one batch a minute) and copies each of those pages back once, where
/// 4 MiB copied them four times as often.
const JOURNAL_SIZE_LIMIT: i64 = 16 * 1024 * 1024;

/// Creates the folder (0700) and the file (0600) before SQLite sees it, so that the history is
/// never readable by others, not even for a moment. SQLite gives `-wal` and `-shm` the mode of
/// the database file.
fn create_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
    let io = |err| StoreError::Io {
        path: path.to_path_buf(),
        err,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    // A file made by hand or by an older tool may be looser: tighten it.
    let mode = file.metadata().map_err(io)?.permissions().mode();
    if mode & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))
            .map_err(io)?;
    }
    Ok(())
}

/// Opens the file; with `replace_damaged`, a file found damaged is moved aside (with the path
/// it went to) and a new one started.
pub(super) fn open_file(
    path: &Path,
    replace_damaged: bool,
) -> Result<(Connection, Option<PathBuf>), StoreError> {
    create_private(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    match prepare(&conn, true) {
        Ok(()) => Ok((conn, None)),
        Err(e) if replace_damaged && e.is_corrupt() => {
            // Renamed while still open: closing the connection deletes the `-wal` it opened,
            // and the damaged set is kept whole for a look later.
            let aside = move_aside(path, jiff::Timestamp::now()).map_err(|err| StoreError::Io {
                path: path.to_path_buf(),
                err,
            })?;
            drop(conn);
            let (conn, _) = open_file(path, false)?;
            Ok((conn, Some(aside)))
        }
        Err(e) => Err(e),
    }
}

/// Renames `path` to `PATH.corrupt-TIME`, with its `-wal` and `-shm` beside it under the same
/// name, so that SQLite would read them together again.
pub(super) fn move_aside(path: &Path, now: jiff::Timestamp) -> std::io::Result<PathBuf> {
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".corrupt-{stamp}"));
    let aside = PathBuf::from(aside);
    std::fs::rename(path, &aside)?;
    for suffix in ["-wal", "-shm"] {
        let mut from = path.as_os_str().to_owned();
        from.push(suffix);
        let mut to = aside.as_os_str().to_owned();
        to.push(suffix);
        match std::fs::rename(&from, &to) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(aside)
}

pub(super) fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > LATEST_VERSION {
        return Err(StoreError::TooNew { version });
    }
    Ok(conn)
}

pub(super) fn open_memory() -> Result<Connection, StoreError> {
    let conn = Connection::open_in_memory()?;
    prepare(&conn, false)?;
    Ok(conn)
}

/// The pragmas, then the migrations. `auto_vacuum` only takes effect before the first table
/// is made, so it is set while the file is still empty.
fn prepare(conn: &Connection, file: bool) -> Result<(), StoreError> {
    // Small pages: a batch touches one leaf page of each flow (the key is account, flow,
    // minute), so 1000 flows write 1000 pages a minute. At 1 KiB that is 1 MiB of journal
    // instead of 4, and the pages a batch needs fit SQLite's default 2 MiB cache, which keeps
    // the dashboard's memory in its budget. It must come before anything reads the file (that
    // fixes the size of a new one), and it changes nothing in a file that exists.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    // This is the first statement that reads the file: a file that is not a database fails here.
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > LATEST_VERSION {
        return Err(StoreError::TooNew { version });
    }
    if version == 0 {
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    }
    if file {
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "the history file is not in WAL mode");
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)?;
        // A checkpoint every many batches rather than after each: a leaf page changed by
        // several batches is copied back once.
        conn.pragma_update(None, "wal_autocheckpoint", JOURNAL_SIZE_LIMIT / PAGE_SIZE)?;
        conn.pragma_update(None, "cache_size", -4096)?;
    }
    migrate(conn, version)
}

/// Applies every step after `from`, each in its own `IMMEDIATE` transaction. Another process
/// may be migrating the same file: the version is read again inside the transaction, so a step
/// is never applied twice.
pub(super) fn migrate(conn: &Connection, from: i64) -> Result<(), StoreError> {
    if from >= LATEST_VERSION {
        return Ok(());
    }
    for (n, step) in MIGRATIONS.iter().enumerate() {
        let target = n as i64 + 1;
        if target <= from {
            continue;
        }
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        let now: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if now < target {
            tx.execute_batch(step)?;
            tx.pragma_update(None, "user_version", target)?;
            tracing::info!(version = target, "history file migrated");
        }
        tx.commit()?;
    }
    Ok(())
}

/// Applies only the first `version` steps: for tests of a migration from an older file.
pub fn create_at_version(path: &Path, version: i64) -> Result<(), StoreError> {
    create_private(path)?;
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    for (n, step) in MIGRATIONS.iter().enumerate().take(version as usize) {
        let tx = rusqlite::Transaction::new_unchecked(&conn, TransactionBehavior::Immediate)?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", n as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
