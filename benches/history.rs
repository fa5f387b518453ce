//! The history file (DESIGN §11, §13): storing one reading of 1000 flows, the 30-day history of
//! one flow (queried, and drawn as the `H` view and the detail pane draw it, query included),
//! and the size of 1000 flows watched for 30 days.
//! `cargo bench --bench history`; the numbers are in BENCHMARKS.md.
//!
//! First a store is filled as 30 days of watching 1000 flows leave it: the worst case, where
//! every counter changes every minute, so every flow has a row a minute for the last 48 hours
//! and one an hour before that. The fill prints its time and the file's size; then criterion
//! measures the write and the query on that file.

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark: bad setup must stop it at once"
)]

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{BatchSize, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flowdash::api::{Page, ServerKind};
use flowdash::app::{Command, Context, Msg, State, update};
use flowdash::domain::{Flow, FlowId, SegmentRef, WaitUnit};
use flowdash::store::{Account, Every, FULL_RESOLUTION_HOURS, FlowKey, Reading, Store};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const FLOWS: u64 = 1000;
const DAYS: i64 = 30;

fn account() -> Account {
    Account::parse("https://sms.example.com/api", Some(1)).unwrap()
}

/// One reading of every flow at minute `m` of the fill; every counter moves every minute.
fn batch(m: i64) -> Vec<Reading> {
    (1..=FLOWS)
        .map(|id| {
            let i = id as i64;
            Reading {
                flow: FlowKey::Id(id),
                name: format!("Flow number {id} with a fairly long name"),
                sent: Some(1_000 * i + m * (1 + i % 7)),
                pending: Some((m + i) % 40),
                failed: Some(10 * i + m / (2 + i % 5)),
                enabled: i % 3 != 0,
            }
        })
        .collect()
}

fn file_size(path: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| {
            let mut p = path.as_os_str().to_owned();
            p.push(s);
            std::fs::metadata(p).ok().map(|m| m.len())
        })
        .sum()
}

/// Fills `path` with 30 days of 1000 flows as the store keeps them, in time order, thinning
/// once an hour as the writer does; prints the time taken and the size.
fn fill(path: &Path, now: Timestamp) -> Store {
    let mut store = Store::open(path).unwrap();
    let start = now - SignedDuration::from_hours(DAYS * 24);
    let full_from = DAYS * 24 * 60 - FULL_RESOLUTION_HOURS * 60;
    let t = Instant::now();
    let mut m = 0;
    while m <= DAYS * 24 * 60 {
        let at = start + SignedDuration::from_mins(m);
        store.write_readings(&account(), at, &batch(m)).unwrap();
        // Older than 48 h only the last reading of each hour is kept: write just that one.
        m += if m + 60 < full_from { 60 } else { 1 };
        if m % 60 == 0 && m >= full_from {
            store.prune(at).unwrap();
        }
    }
    store.prune(now).unwrap();
    store
        .connection()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let rows: i64 = store
        .connection()
        .query_row("SELECT count(*) FROM readings", [], |r| r.get(0))
        .unwrap();
    println!(
        "fill: {FLOWS} flows × {DAYS} days: {rows} rows in {:.1} s; file {:.1} MB (with -wal and -shm)",
        t.elapsed().as_secs_f64(),
        file_size(path) as f64 / 1_000_000.0
    );
    store
}

/// Flow 500 as the list shows it.
fn flow_500() -> Flow {
    Flow {
        id: FlowId(500),
        user_id: Some(1),
        name: "Flow number 500 with a fairly long name".to_owned(),
        content: Some("Hello {{NAME}}".to_owned()),
        device_id: Some(1),
        sim_subscription_id: Some(1),
        segment: Some(SegmentRef::All),
        wait_time: Some(2),
        wait_unit: Some(WaitUnit::Days),
        enabled: true,
        sent: Some(1),
        pending: Some(1),
        failed: Some(1),
        last_sent: None,
        last_changed: None,
        created: None,
        blocked: None,
    }
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// Answers every history question among `cmds` from the store, as the runner does.
fn answer(state: &mut State, store: &Store, cmds: Vec<Command>) {
    for cmd in cmds {
        if let Command::LoadHistory { req, ask } = cmd {
            let data = flowdash::tasks::read_history(store, &account(), &ask).unwrap();
            let more = update(
                state,
                Msg::HistoryLoaded {
                    req,
                    result: Ok(data),
                },
            );
            answer(state, store, more);
        }
    }
}

/// The dashboard at `now` with flow 500 selected and history kept, after `keys`, every
/// question of its charts answered.
fn dashboard(store: &Store, now: Timestamp, (w, h): (u16, u16), keys: &str) -> State {
    let mut state = State::new(Context::default(), 25);
    update(&mut state, Msg::Resize(w, h));
    update(
        &mut state,
        Msg::Tick {
            now,
            budget: None,
            poll_every: None,
        },
    );
    let Some(Command::LoadPage { req, .. }) = flowdash::app::start(&mut state).first().cloned()
    else {
        panic!("no first page asked for");
    };
    let page = Page {
        items: vec![flow_500()],
        page: 1,
        per_page: 25,
        total: Some(1),
        total_pages: Some(1),
    };
    state.stored.on = true;
    let cmds = update(
        &mut state,
        Msg::PageLoaded {
            req,
            result: Ok((page, ServerKind::Documented)),
        },
    );
    answer(&mut state, store, cmds);
    for c in keys.chars() {
        let cmds = update(&mut state, key(c));
        answer(&mut state, store, cmds);
    }
    state
}

/// Asks (with `ask`, a key or a tick), answers from the store as the runner does, draws.
fn ask_answer_draw(
    state: &mut State,
    terminal: &mut Terminal<TestBackend>,
    store: &Store,
    ask: Msg,
) {
    let cmds = update(state, ask);
    let Some(Command::LoadHistory { req, ask }) = cmds.into_iter().next() else {
        panic!("no history asked for");
    };
    let data = flowdash::tasks::read_history(store, &account(), &ask).unwrap();
    update(
        state,
        Msg::HistoryLoaded {
            req,
            result: Ok(data),
        },
    );
    terminal.draw(|f| flowdash::ui::draw(f, state)).unwrap();
}

fn drawing(c: &mut Criterion, store: &Store, until: Timestamp) {
    for size in [(80, 24), (160, 48)] {
        // `H`, then `4`: the 30 days; each round reads them again (`r`) and draws the view.
        let mut state = dashboard(store, until, size, "H4");
        let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
        c.bench_function(
            &format!(
                "30-day history of one flow, queried and drawn at {}x{}",
                size.0, size.1
            ),
            |b| b.iter(|| ask_answer_draw(&mut state, &mut terminal, store, key('r'))),
        );
    }
    // The detail pane: 24 hours by the hour and today against yesterday; each round forgets
    // its answer, so the next tick reads them again, and draws.
    let mut state = dashboard(store, until, (160, 48), "");
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    c.bench_function("detail pane's 24 hours, queried and drawn at 160x48", |b| {
        b.iter(|| {
            state.stored.detail = None;
            let tick = Msg::Tick {
                now: until,
                budget: None,
                poll_every: None,
            };
            ask_answer_draw(&mut state, &mut terminal, store, tick);
        });
    });
}

/// CPU time (user and system) of the calling thread, from `/proc/thread-self/stat`, in
/// seconds: what a batch costs whatever else the machine runs.
fn thread_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    (f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()) as f64 / 100.0
}

/// Stores `n` readings of 1000 flows from minute `m` on; prints the wall and CPU time a batch.
/// Returns the next minute.
fn per_batch(store: &mut Store, now: Timestamp, m: i64, n: i64) -> i64 {
    let batches: Vec<_> = (m..m + n)
        .map(|k| {
            (
                now + SignedDuration::from_mins(k),
                batch(DAYS * 24 * 60 + k),
            )
        })
        .collect();
    let (t, cpu) = (Instant::now(), thread_cpu());
    for (at, readings) in &batches {
        store.write_readings(&account(), *at, readings).unwrap();
    }
    let n_f = n as f64;
    println!(
        "store one reading of 1000 flows, {n} batches in a row: {:.1} ms a batch (wall), {:.1} ms of CPU a batch",
        t.elapsed().as_secs_f64() * 1000.0 / n_f,
        (thread_cpu() - cpu) * 1000.0 / n_f
    );
    m + n
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let now: Timestamp = "2026-11-30T12:00:00Z".parse().unwrap();
    let mut store = fill(&path, now);

    let mut m = per_batch(&mut store, now, 1, 200);
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("store one reading of 1000 flows", |b| {
        // The readings are built outside the measurement: the dashboard has them already.
        b.iter_batched(
            || {
                m += 1;
                (
                    now + SignedDuration::from_mins(m),
                    batch(DAYS * 24 * 60 + m),
                )
            },
            |(at, readings)| black_box(store.write_readings(&account(), at, &readings)).unwrap(),
            BatchSize::SmallInput,
        );
    });
    let until = now + SignedDuration::from_mins(m);
    let tz = TimeZone::UTC;
    for (name, every) in [
        ("30-day history of one flow, by hour", Every::Hours(1)),
        ("30-day history of one flow, by day", Every::Day),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    store
                        .series(
                            &account(),
                            &FlowKey::Id(500),
                            until - SignedDuration::from_hours(DAYS * 24),
                            until,
                            every,
                            &tz,
                        )
                        .unwrap(),
                )
            });
        });
    }
    drawing(&mut c, &store, until);
    c.bench_function("rank 1000 flows over 24 h", |b| {
        b.iter(|| {
            black_box(
                store
                    .ranking(&account(), until - SignedDuration::from_hours(24), until)
                    .unwrap(),
            )
        });
    });
    c.final_summary();
}
