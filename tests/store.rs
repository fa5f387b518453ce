//! The history file (DESIGN §13): migrations, what is kept and for how long, counters that
//! fall, two writers, the file's mode, no key in the file, and the faults (damaged, locked,
//! read-only) seen through the writer the dashboard will hold.

#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed setup must stop the test at once"
)]

pub mod support;

use std::path::{Path, PathBuf};

use flowdash::api::{ApiKey, Client, ClientConfig};
use flowdash::budget::Priority;
use flowdash::sim::SimConfig;
use flowdash::store::{
    self, Account, AlertEvent, AuditEntry, Every, FlowKey, LATEST_VERSION, Reading, Recorder,
    Snapshot, Store, StoreEvent, Totals,
};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc::UnboundedReceiver;

/// A fixed "now" so that nothing depends on the clock.
fn now() -> Timestamp {
    "2026-11-30T12:00:00Z".parse().unwrap()
}

fn minutes(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

fn account() -> Account {
    Account::parse("http://127.0.0.1:8787/api", Some(1)).unwrap()
}

fn reading(id: u64, sent: i64, failed: i64, pending: i64) -> Reading {
    Reading {
        flow: FlowKey::Id(id),
        name: format!("Flow {id}"),
        sent: Some(sent),
        pending: Some(pending),
        failed: Some(failed),
        enabled: true,
    }
}

fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flowdash/history.sqlite3");
    (dir, path)
}

fn count(store: &Store, sql: &str) -> i64 {
    store.connection().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn events(rx: &mut UnboundedReceiver<StoreEvent>) -> Vec<StoreEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

#[test]
fn a_new_file_gets_every_migration_wal_and_incremental_vacuum() {
    let (_dir, path) = temp();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.version().unwrap(), LATEST_VERSION);
    assert_eq!(count(&store, "PRAGMA auto_vacuum"), 2, "2 is INCREMENTAL");
    assert_eq!(count(&store, "PRAGMA page_size"), 1024);
    let mode: String = store
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(count(&store, "PRAGMA journal_size_limit") > 0);
    drop(store);
    // Opening again applies nothing twice.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.version().unwrap(), LATEST_VERSION);
}

#[test]
fn a_version_1_file_is_migrated_and_keeps_its_readings() {
    let (_dir, path) = temp();
    store::create_at_version(&path, 1).unwrap();
    assert_eq!(
        Store::open_read_only(&path)
            .unwrap()
            .unwrap()
            .version()
            .unwrap(),
        1
    );
    // Readings written by a version-1 flowdash (the columns of step 1 only).
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "INSERT INTO accounts VALUES (1, 'http://127.0.0.1:8787/api', 1, 0, 0);
             INSERT INTO flows VALUES (1, 1, 'id:7', 'Old flow');
             INSERT INTO readings VALUES (1, 1, 29419900, 10, 0, 1, 1);
             INSERT INTO readings VALUES (1, 1, 29419910, 25, 0, 3, 1);",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.version().unwrap(), LATEST_VERSION);
    let from = Timestamp::from_second(29_419_900 * 60).unwrap();
    let t = store
        .totals(&account(), &FlowKey::Id(7), from, from + minutes(60))
        .unwrap();
    assert_eq!(
        t,
        Some(Totals {
            sent: 15,
            failed: 2
        })
    );
    // The tables of step 2 are there and work.
    let audit = AuditEntry {
        at: now(),
        profile: Some("prod".into()),
        flow: Some(FlowKey::Id(7)),
        flow_name: Some("Old flow".into()),
        fields: r#"{"is_enabled":"0"}"#.into(),
        result: "switched off".into(),
    };
    store.write_audit(&account(), &audit).unwrap();
    assert_eq!(
        store.audit_entries(&account(), now() - minutes(1)).unwrap(),
        [audit]
    );
}

#[test]
fn the_file_and_its_journal_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let (_dir, path) = temp();
    let mut store = Store::open(&path).unwrap();
    store
        .write_readings(&account(), now(), &[reading(1, 1, 0, 0)])
        .unwrap();
    for p in [path.clone(), with_suffix(&path, "-wal")] {
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", p.display());
    }
    let dir_mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700);
}

#[test]
fn a_loose_file_is_made_private_before_it_is_opened() {
    use std::os::unix::fs::PermissionsExt as _;
    let (_dir, path) = temp();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    Store::open(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn one_row_a_minute_and_unchanged_counters_only_every_five_minutes() {
    let (_dir, path) = temp();
    let mut store = Store::open(&path).unwrap();
    let t0 = now();
    let w = store
        .write_readings(&account(), t0, &[reading(1, 10, 0, 2)])
        .unwrap();
    assert_eq!((w.rows, w.unchanged), (1, 0));
    // Same minute, a counter changed: the row is replaced, not doubled.
    store
        .write_readings(
            &account(),
            t0 + SignedDuration::from_secs(20),
            &[reading(1, 12, 0, 2)],
        )
        .unwrap();
    // Nothing changed for four minutes: no rows; at five, one.
    for m in 1..5 {
        let w = store
            .write_readings(&account(), t0 + minutes(m), &[reading(1, 12, 0, 2)])
            .unwrap();
        assert_eq!(w.unchanged, 1, "minute {m}");
    }
    store
        .write_readings(&account(), t0 + minutes(5), &[reading(1, 12, 0, 2)])
        .unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM readings"), 2);
    assert_eq!(
        count(&store, "SELECT sent FROM readings ORDER BY minute LIMIT 1"),
        12
    );
}

#[test]
fn a_batch_of_many_flows_stores_each_with_its_own_values() {
    let (_dir, path) = temp();
    let mut store = Store::open(&path).unwrap();
    // More than one statement's worth, in no particular order, one flow listed twice.
    let mut batch: Vec<Reading> = (1..=450)
        .rev()
        .map(|id| reading(id, id as i64, 1, 2))
        .collect();
    batch.push(reading(7, 700, 1, 2));
    let w = store.write_readings(&account(), now(), &batch).unwrap();
    assert_eq!(w.rows, 450);
    assert_eq!(count(&store, "SELECT count(*) FROM readings"), 450);
    let summed = "SELECT sum(sent) FROM readings";
    assert_eq!(count(&store, summed), (1..=450).sum::<i64>() - 7 + 700);
    // The next minute, half of them moved: only those get a row.
    let next: Vec<Reading> = (1..=450)
        .map(|id| {
            let sent = if id % 2 == 0 {
                id as i64 + 1
            } else {
                id as i64
            };
            reading(id, if id == 7 { 700 } else { sent }, 1, 2)
        })
        .collect();
    let w = store
        .write_readings(&account(), now() + minutes(1), &next)
        .unwrap();
    assert_eq!((w.rows, w.unchanged), (225, 225));
    assert_eq!(count(&store, "SELECT count(*) FROM readings"), 675);
}

#[test]
fn two_writers_in_the_same_minute_make_one_row() {
    let (_dir, path) = temp();
    let mut a = Store::open(&path).unwrap();
    let mut b = Store::open(&path).unwrap();
    a.write_readings(&account(), now(), &[reading(1, 10, 0, 0)])
        .unwrap();
    b.write_readings(
        &account(),
        now() + SignedDuration::from_secs(30),
        &[reading(1, 11, 0, 0)],
    )
    .unwrap();
    a.write_readings(
        &account(),
        now() + SignedDuration::from_secs(40),
        &[reading(1, 12, 0, 0)],
    )
    .unwrap();
    assert_eq!(count(&a, "SELECT count(*) FROM readings"), 1);
    assert_eq!(count(&b, "SELECT sent FROM readings"), 12);
    assert_eq!(count(&b, "SELECT count(*) FROM accounts"), 1);
    assert_eq!(count(&b, "SELECT count(*) FROM flows"), 1);
}

#[test]
fn readings_older_than_48_hours_keep_the_last_of_each_hour_and_go_after_the_retention() {
    let (_dir, path) = temp();
    let mut store = Store::open(&path).unwrap();
    let start = now() - SignedDuration::from_hours(50);
    // A reading a minute for three hours, the counter rising each time: 180 rows.
    for m in 0..180 {
        store
            .write_readings(&account(), start + minutes(m), &[reading(1, m, m / 10, 1)])
            .unwrap();
    }
    // And one from 91 days ago, past the retention.
    store
        .write_readings(
            &account(),
            now() - SignedDuration::from_hours(91 * 24),
            &[reading(1, 0, 0, 0)],
        )
        .unwrap();
    // From the reading of minute 59, the last of the first hour, which thinning keeps.
    let before = store
        .totals(&account(), &FlowKey::Id(1), start + minutes(59), now())
        .unwrap();
    store.prune(now()).unwrap();
    // 50 h ago to 47 h ago: hours 50-49 and 49-48 are thinned to one row each, the rest of the
    // third hour is within 48 h and stays whole.
    let rows: Vec<(i64, i64)> = store
        .connection()
        .prepare("SELECT minute, sent FROM readings ORDER BY minute")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2 + 60, "{rows:?}");
    assert_eq!(rows[0].1, 59, "the last reading of the first hour stays");
    assert_eq!(rows[1].1, 119);
    assert_eq!(rows[2].1, 120);
    // Thinning loses no sends: the totals over the range are the same.
    let after = store
        .totals(&account(), &FlowKey::Id(1), start + minutes(59), now())
        .unwrap();
    assert_eq!(after, before);
    assert_eq!(
        after,
        Some(Totals {
            sent: 120,
            failed: 12
        })
    );
}

#[test]
fn a_counter_that_falls_starts_a_new_base_and_no_interval_is_negative() {
    let (_dir, path) = temp();
    let mut store = Store::open(&path).unwrap();
    let t0 = now() - SignedDuration::from_hours(3);
    // 100, 130 in the first hour; drift takes it down to 40, then it rises to 55.
    for (m, sent, failed) in [(0, 100, 9), (30, 130, 10), (70, 40, 2), (100, 55, 5)] {
        store
            .write_readings(&account(), t0 + minutes(m), &[reading(1, sent, failed, 0)])
            .unwrap();
    }
    let series = store
        .series(
            &account(),
            &FlowKey::Id(1),
            t0 - minutes(1),
            now(),
            Every::Hours(1),
            &TimeZone::UTC,
        )
        .unwrap();
    let got: Vec<(String, i64, i64)> = series
        .iter()
        .map(|i| (i.start.to_string(), i.sent, i.failed))
        .collect();
    assert_eq!(
        got,
        [
            ("2026-11-30T09:00:00Z".to_owned(), 30, 1),
            ("2026-11-30T10:00:00Z".to_owned(), 15, 3),
        ]
    );
    let rank = store.ranking(&account(), t0 - minutes(1), now()).unwrap();
    assert_eq!((rank[0].sent, rank[0].failed), (45, 4));
}

#[test]
fn today_so_far_against_the_same_time_yesterday() {
    let (_dir, path) = temp();
    let mut store = Store::open(&path).unwrap();
    let yesterday = now() - SignedDuration::from_hours(24);
    // Yesterday: 0 at midnight, 50 by noon, 80 by 18:00 (after the time of day compared).
    for (t, sent) in [
        (yesterday - SignedDuration::from_hours(12), 0),
        (yesterday, 50),
        (yesterday + SignedDuration::from_hours(6), 80),
        (now() - SignedDuration::from_hours(12), 80),
        (now() - minutes(1), 100),
    ] {
        store
            .write_readings(&account(), t, &[reading(1, sent, 0, 0)])
            .unwrap();
    }
    let c = store
        .today_vs_yesterday(&account(), &FlowKey::Id(1), now(), &TimeZone::UTC)
        .unwrap();
    assert_eq!(
        c.today,
        Some(Totals {
            sent: 20,
            failed: 0
        })
    );
    assert_eq!(
        c.yesterday,
        Some(Totals {
            sent: 50,
            failed: 0
        })
    );
}

#[test]
fn the_ranking_orders_flows_by_sent_with_the_failure_share() {
    let (_dir, path) = temp();
    let mut store = Store::open(&path).unwrap();
    let t0 = now() - SignedDuration::from_hours(2);
    store
        .write_readings(
            &account(),
            t0,
            &[
                reading(1, 0, 0, 0),
                reading(2, 0, 0, 0),
                reading(3, 5, 0, 0),
            ],
        )
        .unwrap();
    store
        .write_readings(
            &account(),
            t0 + minutes(60),
            &[
                reading(1, 10, 10, 0),
                reading(2, 30, 0, 0),
                reading(3, 5, 0, 0),
            ],
        )
        .unwrap();
    let rank = store.ranking(&account(), t0 - minutes(1), now()).unwrap();
    let got: Vec<(String, i64, i64, Option<f64>)> = rank
        .iter()
        .map(|r| (r.flow.to_string(), r.sent, r.failed, r.failure_share))
        .collect();
    assert_eq!(
        got,
        [
            ("2".to_owned(), 30, 0, Some(0.0)),
            ("1".to_owned(), 10, 10, Some(0.5)),
            ("3".to_owned(), 0, 0, None),
        ]
    );
}

#[test]
fn before_a_user_id_is_known_the_account_last_seen_at_the_base_url_is_used() {
    let (_dir, path) = temp();
    let mut store = Store::open(&path).unwrap();
    let base = "http://127.0.0.1:8787/api";
    let user7 = Account::parse(base, Some(7)).unwrap();
    let unknown = Account::parse(base, None).unwrap();
    store
        .write_readings(&user7, now() - minutes(10), &[reading(1, 1, 0, 0)])
        .unwrap();
    store
        .write_readings(&unknown, now(), &[reading(1, 5, 0, 0)])
        .unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM accounts"), 1);
    let t = store
        .totals(&user7, &FlowKey::Id(1), now() - minutes(20), now())
        .unwrap();
    assert_eq!(t, Some(Totals { sent: 4, failed: 0 }));
    // Another user at the same URL is another account.
    let user8 = Account::parse(base, Some(8)).unwrap();
    assert_eq!(
        store
            .totals(&user8, &FlowKey::Id(1), now() - minutes(20), now())
            .unwrap(),
        None
    );
}

#[test]
fn the_snapshot_and_alert_events_are_kept_per_account() {
    let (_dir, path) = temp();
    let mut store = Store::open(&path).unwrap();
    store
        .write_snapshot(
            &account(),
            &Snapshot {
                at: Some(now()),
                flows: Some("[1]".into()),
                devices: Some("[2]".into()),
                segments: None,
            },
        )
        .unwrap();
    // A later list of flows alone keeps the devices seen before.
    store
        .write_snapshot(
            &account(),
            &Snapshot {
                at: Some(now() + minutes(1)),
                flows: Some("[3]".into()),
                devices: None,
                segments: None,
            },
        )
        .unwrap();
    let snap = store.snapshot(&account()).unwrap().unwrap();
    assert_eq!(snap.at, Some(now() + minutes(1)));
    assert_eq!(snap.flows.as_deref(), Some("[3]"));
    assert_eq!(snap.devices.as_deref(), Some("[2]"));
    let other = Account::parse("https://elsewhere.example/api", Some(1)).unwrap();
    assert_eq!(store.snapshot(&other).unwrap(), None);

    let event = AlertEvent {
        at: now(),
        name: "failing".into(),
        rule: "failed_share".into(),
        state: "firing".into(),
        flow: Some(FlowKey::Created {
            created: Some(Timestamp::from_second(1_761_708_732).unwrap()),
            name: "Welcome".into(),
        }),
        flow_name: Some("Welcome".into()),
        value: Some(0.25),
        text: "Welcome: 25 % failed".into(),
    };
    store.write_alert(&account(), &event).unwrap();
    assert_eq!(
        store.alert_events(&account(), now() - minutes(1)).unwrap(),
        [event]
    );
    assert!(
        store
            .alert_events(&account(), now() + minutes(1))
            .unwrap()
            .is_empty()
    );
}

/// The readings of a real list answer, through the recorder the dashboard will hold, with a
/// known key configured: neither the file nor its journal holds the key.
#[tokio::test]
async fn the_key_is_never_in_the_file() {
    const KEY: &str = "k3y-8c1f0e5d-the-operators-secret";
    let sim = support::start_sim(SimConfig {
        api_key: KEY.into(),
        traffic: false,
        ..SimConfig::default()
    })
    .await;
    let client = Client::new(ClientConfig::new(sim.base_url(), ApiKey::new(KEY))).unwrap();
    let page = client.list_flows(1, 100, Priority::Operator).await.unwrap();
    assert!(!page.items.is_empty());
    let (_dir, path) = temp();
    let (rec, mut rx) = Recorder::start(path.clone(), 90);
    let account = Account::of_flows(client.base_url(), &page.items);
    rec.record(&account, now(), store::readings_of(&page.items, true));
    let names: Vec<&str> = page.items.iter().map(|f| f.name.as_str()).collect();
    rec.snapshot(
        &account,
        Snapshot {
            at: Some(now()),
            flows: Some(serde_json::to_string(&names).unwrap()),
            ..Snapshot::default()
        },
    );
    rec.flush().await;
    assert_eq!(events(&mut rx), []);
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(b) = std::fs::read(with_suffix(&path, suffix)) {
            bytes.extend(b);
        }
    }
    // The readings are there (so the check looks at a file that was written)...
    let first = page.items[0].name.as_bytes();
    assert!(bytes.windows(first.len()).any(|w| w == first));
    // ...and the key is not, whole or in part.
    for needle in [KEY, "8c1f0e5d", "operators-secret"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} found in the history file"
        );
    }
    sim.shutdown();
}

#[tokio::test]
async fn a_damaged_file_is_moved_aside_with_its_journal_and_a_new_one_works() {
    let (_dir, path) = temp();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let garbage = b"this is not an SQLite file, only garbage bytes ".repeat(200);
    std::fs::write(&path, &garbage).unwrap();
    std::fs::write(with_suffix(&path, "-wal"), b"garbage wal").unwrap();
    std::fs::write(with_suffix(&path, "-shm"), b"garbage shm").unwrap();

    let (rec, mut rx) = Recorder::start(path.clone(), 90);
    rec.record(&account(), now(), vec![reading(1, 42, 0, 0)]);
    rec.flush().await;

    let ev = events(&mut rx);
    let [StoreEvent::MovedAside { aside }] = ev.as_slice() else {
        panic!("{ev:?}")
    };
    assert!(ev[0].to_string().contains("moved aside"), "{}", ev[0]);
    let name = aside.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("history.sqlite3.corrupt-"), "{name}");
    assert!(
        std::fs::read(aside).unwrap() == garbage,
        "the damaged file is kept as it was"
    );
    assert!(std::fs::read(with_suffix(aside, "-wal")).unwrap() == b"garbage wal");
    // The -shm is SQLite's scratch index, rewritten when the file was opened: it moves too.
    assert!(with_suffix(aside, "-shm").exists());
    // The batch went to the new file.
    let store = Store::open_read_only(&path).unwrap().unwrap();
    let t = store
        .totals(&account(), &FlowKey::Id(1), now() - minutes(1), now())
        .unwrap();
    assert_eq!(t, Some(Totals::default()));
    assert_eq!(count(&store, "SELECT sent FROM readings"), 42);
}

#[tokio::test]
async fn a_locked_file_drops_the_batch_with_a_warning_and_the_next_one_is_written() {
    let (_dir, path) = temp();
    drop(Store::open(&path).unwrap());
    let (rec, mut rx) = Recorder::start(path.clone(), 90);
    rec.flush().await;

    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    rec.record(&account(), now(), vec![reading(1, 1, 0, 0)]);
    rec.flush().await;
    let ev = events(&mut rx);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(
        ev[0].to_string()
            == "history: 1 readings not stored: the history file stayed locked for a second (another flowdash?)",
        "{}",
        ev[0]
    );
    other.execute_batch("COMMIT").unwrap();

    rec.record(&account(), now() + minutes(1), vec![reading(1, 2, 0, 0)]);
    rec.flush().await;
    assert_eq!(events(&mut rx), []);
    let store = Store::open_read_only(&path).unwrap().unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM readings"), 1);
    assert_eq!(count(&store, "SELECT sent FROM readings"), 2);
}

#[tokio::test]
async fn a_lock_released_within_the_second_is_waited_for() {
    let (_dir, path) = temp();
    drop(Store::open(&path).unwrap());
    let (rec, mut rx) = Recorder::start(path.clone(), 90);
    rec.flush().await;
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        locked_rx.recv().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        other.execute_batch("COMMIT").unwrap();
    });
    rec.record(&account(), now(), vec![reading(1, 7, 0, 0)]);
    locked_tx.send(()).unwrap();
    rec.flush().await;
    holder.join().unwrap();
    assert_eq!(events(&mut rx), []);
    let store = Store::open_read_only(&path).unwrap().unwrap();
    assert_eq!(count(&store, "SELECT sent FROM readings"), 7);
}

/// Tests run as root, where permission bits do not stop a write. A file whose header says it
/// needs a newer writer (write version 3 at byte 18) is one SQLite itself opens read-only.
#[tokio::test]
async fn a_read_only_file_turns_history_off_with_a_message() {
    let (_dir, path) = temp();
    drop(Store::open(&path).unwrap());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[18] = 3;
    std::fs::write(&path, bytes).unwrap();

    let (rec, mut rx) = Recorder::start(path.clone(), 90);
    rec.record(&account(), now(), vec![reading(1, 1, 0, 0)]);
    rec.flush().await;
    let ev = events(&mut rx);
    let [StoreEvent::Off { reason }] = ev.as_slice() else {
        panic!("{ev:?}")
    };
    assert!(reason.contains("read-only"), "{reason}");
    assert!(ev[0].to_string().starts_with("history off: "));
    // Later work is dropped without another word, and the caller never waits on it.
    rec.record(&account(), now() + minutes(1), vec![reading(1, 2, 0, 0)]);
    rec.flush().await;
    assert_eq!(events(&mut rx), []);
    assert!(rec.query(Store::version).await.is_none());
}

#[tokio::test]
async fn a_folder_that_cannot_be_made_turns_history_off() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the folder should be.
    std::fs::write(dir.path().join("flowdash"), b"").unwrap();
    let (rec, mut rx) = Recorder::start(dir.path().join("flowdash/history.sqlite3"), 90);
    rec.record(&account(), now(), vec![reading(1, 1, 0, 0)]);
    rec.flush().await;
    let ev = events(&mut rx);
    assert!(matches!(ev.as_slice(), [StoreEvent::Off { .. }]), "{ev:?}");
}

#[tokio::test]
async fn queries_run_on_the_writer_after_the_work_before_them() {
    let (rec, mut rx) = Recorder::in_memory();
    rec.record(&account(), now() - minutes(2), vec![reading(1, 1, 0, 0)]);
    rec.record(&account(), now(), vec![reading(1, 4, 1, 0)]);
    let t = rec
        .query(|s| s.totals(&account(), &FlowKey::Id(1), now() - minutes(10), now()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t, Some(Totals { sent: 3, failed: 1 }));
    assert_eq!(events(&mut rx), []);
}

#[tokio::test]
async fn a_closed_history_leaves_no_journal_to_read_back() {
    let (_dir, path) = temp();
    let (rec, mut rx) = Recorder::start(path.clone(), 90);
    rec.record(&account(), now(), vec![reading(1, 5, 0, 0)]);
    rec.flush().await;
    assert!(with_suffix(&path, "-wal").exists());
    rec.close().await;
    assert!(!with_suffix(&path, "-wal").exists(), "copied back and gone");
    // Work after the end is dropped without a word.
    rec.record(&account(), now() + minutes(1), vec![reading(1, 6, 0, 0)]);
    rec.flush().await;
    assert_eq!(events(&mut rx), []);
    let store = Store::open_read_only(&path).unwrap().unwrap();
    assert_eq!(count(&store, "SELECT sent FROM readings"), 5);
}
