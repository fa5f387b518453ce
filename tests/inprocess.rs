//! The whole dashboard in process: the runner on a `TestBackend`, a demo server on loopback, keys
//! pushed in, the screen and the server's request log read out. Real time with short waits (the
//! client's own time-outs must not fire on a paused clock). Signals, raw bytes and the terminal
//! itself stay with the PTY tests (`e2e.rs`, `signals.rs`).

#![expect(
    clippy::unwrap_used,
    reason = "tests: a failure must stop the test at once"
)]

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flowdash::api::{ApiKey, Client, ClientConfig};
use flowdash::app::{Context, Msg, State};
use flowdash::dashboard::{NoHost, Runner};
use flowdash::drafts::Autosave;
use flowdash::sim::{FlowEdit, LoggedRequest, Sim, SimConfig};
use flowdash::store::{Account, FlowKey, Recorder, snapshot_of};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const KEY: &str = "inprocess-key";
/// How long a step may take before the test gives up (a limit, not a measurement).
const PATIENCE: Duration = Duration::from_secs(15);

struct Dash {
    runner: Runner<TestBackend, NoHost>,
    sim: Sim,
}

/// A documented demo server with still counters.
fn still() -> SimConfig {
    SimConfig {
        api_key: KEY.to_owned(),
        traffic: false,
        ..SimConfig::default()
    }
}

fn client_of(base_url: &str) -> Client {
    let mut client_config = ClientConfig::new(base_url.to_owned(), ApiKey::new(KEY));
    client_config.timeout = Duration::from_secs(5);
    Client::new(client_config).unwrap()
}

/// The runner on a 120×40 test screen, against `base_url`, keeping its history in `history`.
fn runner_on(base_url: &str, history: Option<&Recorder>) -> Runner<TestBackend, NoHost> {
    let state = State::new(Context::default(), 20);
    let terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let runner = Runner::new(
        terminal,
        NoHost,
        client_of(base_url),
        state,
        Autosave::new(None),
    )
    .unwrap();
    match history {
        Some(r) => runner.with_history(r.clone()),
        None => runner,
    }
}

impl Dash {
    async fn start() -> Dash {
        Dash::start_with(still(), None).await
    }

    async fn start_with(cfg: SimConfig, history: Option<&Recorder>) -> Dash {
        let sim = Sim::start(cfg, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let runner = runner_on(&sim.base_url(), history);
        Dash { runner, sim }
    }

    fn screen(&self) -> String {
        let buf = self.runner.terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    /// Runs the loop until the screen shows `text`.
    async fn wait_text(&mut self, text: &str) -> String {
        self.wait_for(text, |s| s.contains(text)).await
    }

    async fn wait_for(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            assert!(self.runner.round().unwrap(), "the dashboard ended");
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            match tokio::time::timeout_at(deadline, self.runner.next_msg()).await {
                Ok(Some(msg)) => self.runner.push(msg),
                Ok(None) => {}
                Err(elapsed) => panic!("never saw {what} ({elapsed}):\n{screen}"),
            }
            self.runner.drain();
        }
    }

    /// Waits for one message (a result, a timer) and runs a round with it.
    async fn step(&mut self) {
        match tokio::time::timeout(PATIENCE, self.runner.next_msg()).await {
            Ok(Some(msg)) => self.runner.push(msg),
            Ok(None) => {}
            Err(elapsed) => panic!("nothing happened ({elapsed}):\n{}", self.screen()),
        }
        self.runner.drain();
        assert!(self.runner.round().unwrap(), "the dashboard ended");
    }

    fn key(&mut self, code: KeyCode) {
        self.runner
            .push(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn keys(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn ctrl_s(&mut self) {
        self.runner.push(Msg::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::CONTROL,
        )));
    }

    /// The requests that changed something: method, path and the form fields' names.
    fn writes(&self) -> Vec<(String, String, Vec<String>)> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r: &LoggedRequest| r.method != "GET")
            .map(|r| (r.method, r.path, r.form.keys().cloned().collect()))
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn space_switches_the_selected_flow_and_only_it() {
    let mut d = Dash::start().await;
    let second = d.sim.flows()[1].clone();
    d.wait_text("page 1/2 (40 flows)").await;
    d.key(KeyCode::Char('j'));
    d.key(KeyCode::Char(' '));
    let word = if second.is_enabled { "off" } else { "on" };
    d.wait_text(&format!("flow {} switched {word}", second.id))
        .await;
    assert_eq!(
        d.sim.flow(second.id).unwrap().is_enabled,
        !second.is_enabled
    );
    assert_eq!(
        d.writes(),
        vec![(
            "POST".to_owned(),
            format!("/api/flows/{}", second.id),
            vec!["is_enabled".to_owned()]
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_sends_the_changed_name_only() {
    let mut d = Dash::start().await;
    let first = d.sim.flows()[0].clone();
    d.wait_text("page 1/2 (40 flows)").await;
    d.key(KeyCode::Char('e'));
    d.wait_text(&format!("Edit flow {}", first.id)).await;
    d.key(KeyCode::End);
    d.keys(" v2");
    d.ctrl_s();
    d.wait_text(&format!("saved flow {}", first.id)).await;
    let after = d.sim.flow(first.id).unwrap();
    assert_eq!(after.name, format!("{} v2", first.name));
    assert_eq!(after.content, first.content);
    assert_eq!(
        d.writes(),
        vec![(
            "POST".to_owned(),
            format!("/api/flows/{}", first.id),
            vec!["name".to_owned()]
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_flow_is_created_and_shown() {
    let mut d = Dash::start().await;
    d.wait_text("page 1/2 (40 flows)").await;
    // The form picks the first device: it opens once the devices are read.
    while d.runner.state.devices.is_empty() {
        d.step().await;
    }
    d.key(KeyCode::Char('n'));
    d.wait_text("New flow").await;
    d.keys("Spring promo");
    d.key(KeyCode::Tab);
    d.keys("Hello {{NAME}}, spring is here");
    d.ctrl_s();
    let screen = d.wait_text("created flow").await;
    let created = d
        .sim
        .flows()
        .into_iter()
        .find(|f| f.name == "Spring promo")
        .unwrap();
    assert_eq!(created.content, "Hello {{NAME}}, spring is here");
    assert!(
        screen.contains(&format!("created flow {}", created.id)),
        "{screen}"
    );
    let screen = d.wait_text("(41 flows)").await;
    assert!(
        screen.contains("Spring promo"),
        "selected on its page:\n{screen}"
    );
    let posts: Vec<_> = d.writes().into_iter().filter(|w| w.0 == "POST").collect();
    assert_eq!(posts.len(), 1, "one create: {posts:?}");
    assert_eq!(posts[0].1, "/api/flows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_keeps_their_content_and_writes_my_change() {
    let mut d = Dash::start().await;
    let first = d.sim.flows()[0].clone();
    d.wait_text("page 1/2 (40 flows)").await;
    d.key(KeyCode::Char('e'));
    d.wait_text(&format!("Edit flow {}", first.id)).await;
    d.key(KeyCode::End);
    d.keys(" v2");
    assert!(d.sim.edit_flow(
        first.id,
        FlowEdit {
            content: Some("Changed elsewhere".to_owned()),
            ..FlowEdit::default()
        }
    ));
    d.ctrl_s();
    d.wait_text("Conflict: this flow changed on the server")
        .await;
    // An `m` typed before the dialog settled is dropped: nothing is written yet.
    d.key(KeyCode::Char('m'));
    d.runner.round().unwrap();
    assert!(d.screen().contains("Conflict:"), "{}", d.screen());
    assert!(d.writes().is_empty(), "{:?}", d.writes());
    // Once it has settled (the runner's settle timer), `m` keeps mine.
    while d.runner.state.gate != flowdash::app::Gate::Open {
        d.step().await;
    }
    d.key(KeyCode::Char('m'));
    d.wait_text(&format!("saved flow {}", first.id)).await;
    let after = d.sim.flow(first.id).unwrap();
    assert_eq!(after.name, format!("{} v2", first.name));
    assert_eq!(after.content, "Changed elsewhere", "their content stays");
    assert_eq!(
        d.writes(),
        vec![(
            "POST".to_owned(),
            format!("/api/flows/{}", first.id),
            vec!["name".to_owned()]
        )],
        "one write, of my change only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_reads_the_next_page_and_selects_its_first_row() {
    let mut d = Dash::start().await;
    d.wait_text("page 1/2 (40 flows)").await;
    d.key(KeyCode::Char('j'));
    d.runner.round().unwrap();
    let on_page_one = d.runner.state.selected_flow().unwrap().clone();
    d.key(KeyCode::Char(']'));
    d.wait_text("page 2/2 (40 flows)").await;
    // The header names the page at once; the rows follow with its answer.
    while d.runner.state.loading {
        d.step().await;
    }
    let screen = d.screen();
    // Another page selects its first row, not the row at the old index.
    let state = &d.runner.state;
    let first_row = &state.flows[state.view[0]];
    assert_eq!(state.selected_flow().unwrap().id, first_row.id);
    assert_ne!(first_row.id, on_page_one.id);
    assert!(screen.contains(&first_row.name), "{screen}");
    assert!(!screen.contains(&on_page_one.name), "{screen}");
    let pages: Vec<String> = d
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/flows")
        .map(|r| r.query)
        .collect();
    assert!(
        pages.iter().any(|q| q.contains("page=2")),
        "page 2 asked for: {pages:?}"
    );
    assert!(d.writes().is_empty());
}

// ---- the history: recording and the offline start -------------------------------------------

/// The flows the history has readings of since an hour ago, by key, with their names.
async fn recorded(history: &Recorder, base_url: &str) -> Vec<(FlowKey, String)> {
    history.flush().await;
    let account = Account::parse(base_url, None).unwrap();
    let now = jiff::Timestamp::now();
    let ranks = history
        .query(move |s| s.ranking(&account, now - jiff::SignedDuration::from_hours(1), now))
        .await
        .unwrap()
        .unwrap();
    ranks.into_iter().map(|r| (r.flow, r.name)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_that_answers_is_recorded_by_flow_id() {
    // In memory, as the demo keeps it.
    let (history, _events) = Recorder::in_memory();
    let mut d = Dash::start_with(still(), Some(&history)).await;
    d.wait_text("page 1/2 (40 flows)").await;
    let base = d.sim.base_url();
    let mut keys: Vec<FlowKey> = recorded(&history, &base)
        .await
        .into_iter()
        .map(|r| r.0)
        .collect();
    keys.sort();
    let first_page: Vec<FlowKey> = d.sim.flows()[..25]
        .iter()
        .map(|f| FlowKey::Id(f.id))
        .collect();
    assert_eq!(keys, first_page);
    // The next page is recorded too, and page 1 is the snapshot of the account.
    d.key(KeyCode::Char(']'));
    d.wait_text("page 2/2 (40 flows)").await;
    while d.runner.state.loading {
        d.step().await;
    }
    assert_eq!(recorded(&history, &base).await.len(), 40);
    let account = Account::parse(&base, None).unwrap();
    let saved = history
        .query(move |s| s.saved_list(&account))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let names: Vec<String> = saved.flows.iter().map(|f| f.name.clone()).collect();
    let expected: Vec<String> = d.sim.flows()[..25].iter().map(|f| f.name.clone()).collect();
    assert_eq!(names, expected);
    assert_eq!(saved.total, Some(40));
    assert!(d.writes().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_shipped_build_flows_are_recorded_by_creation_time_and_name_and_the_screen_says_so()
{
    let (history, _events) = Recorder::in_memory();
    let cfg = SimConfig {
        quirks: true,
        ..still()
    };
    let mut d = Dash::start_with(cfg, Some(&history)).await;
    d.wait_text("READ-ONLY").await;
    let screen = d
        .wait_text("history tells flows apart by creation time")
        .await;
    assert!(screen.contains("Welcome series"), "{screen}");
    let rows = recorded(&history, &d.sim.base_url()).await;
    assert_eq!(rows.len(), 25, "{rows:?}");
    for (key, name) in &rows {
        assert!(
            matches!(key, FlowKey::Created { name: n, created: Some(_) } if n == name),
            "{key:?}"
        );
    }
}

/// A history holding a snapshot of the first page of `sim`'s flows, taken `hours` ago.
async fn history_with_snapshot(sim: &Sim, hours: i64) -> Recorder {
    let (history, _events) = Recorder::in_memory();
    let page = client_of(&sim.base_url())
        .list_flows(1, 25, flowdash::budget::Priority::Operator)
        .await
        .unwrap();
    let at = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours);
    let base = url::Url::parse(&sim.base_url()).unwrap();
    history.snapshot(
        &Account::of_flows(&base, &page.items),
        snapshot_of(at, &page.items, page.total, &[], &[]),
    );
    history.flush().await;
    history
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_server_stopped_the_snapshot_is_shown_and_writes_are_refused() {
    let sim = Sim::start(still(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let history = history_with_snapshot(&sim, 3).await;
    let (first, second) = (sim.flows()[0].clone(), sim.flows()[1].clone());
    sim.shutdown();
    let runner = runner_on(&sim.base_url(), Some(&history));
    let mut d = Dash { runner, sim };
    // The first frame already shows the snapshot: nothing has answered.
    d.runner.wait_for_snapshot(PATIENCE).await;
    d.runner.round().unwrap();
    let screen = d.screen();
    assert!(screen.contains("offline · data 3 h old"), "{screen}");
    assert!(screen.contains(&first.name), "{screen}");
    assert!(screen.contains("page 1/2 (40 flows)"), "{screen}");
    d.key(KeyCode::Char(' '));
    d.wait_text("not connected yet").await;
    // No server: the error says so, and the dashboard stays usable on the snapshot.
    // (After the retries, which the status line counts.)
    d.wait_text("error: loading flows").await;
    d.key(KeyCode::Char('j'));
    let screen = d
        .wait_for("the second flow selected", |s| {
            s.lines().any(|l| {
                l.split('│')
                    .nth(3)
                    .is_some_and(|p| p.contains(&second.name))
            })
        })
        .await;
    assert!(screen.contains("offline · data 3 h old"), "{screen}");
    d.keys("e");
    d.wait_text("not connected: the server cannot be reached")
        .await;
    assert!(!d.screen().contains("Edit flow"));
    d.keys("/win");
    d.key(KeyCode::Enter);
    d.wait_text("1 of 25 on this page").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_stay_read_only_until_the_server_is_recognised_again() {
    let cfg = SimConfig {
        latency: Duration::from_millis(1500),
        ..still()
    };
    let sim = Sim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let history = history_with_snapshot(&sim, 27).await;
    let first = sim.flows()[0].clone();
    let runner = runner_on(&sim.base_url(), Some(&history));
    let mut d = Dash { runner, sim };
    d.runner.wait_for_snapshot(PATIENCE).await;
    d.wait_text("offline · data 1 d old").await;
    d.key(KeyCode::Char(' '));
    d.wait_text("not connected yet").await;
    // Once the first page has answered and the build is known, the rows are the server's.
    d.wait_for("live rows", |s| {
        s.contains("s old") && !s.contains("offline")
    })
    .await;
    d.key(KeyCode::Char(' '));
    let word = if first.is_enabled { "off" } else { "on" };
    d.wait_text(&format!("flow {} switched {word}", first.id))
        .await;
    assert_eq!(
        d.writes(),
        vec![(
            "POST".to_owned(),
            format!("/api/flows/{}", first.id),
            vec!["is_enabled".to_owned()]
        )],
        "one write, after the server answered"
    );
}

/// The runner against a fresh demo server, recording into the history file at `path`, with its
/// faults told on screen.
async fn with_history_file(path: &std::path::Path) -> (Dash, Recorder) {
    let sim = Sim::start(still(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (history, events) = Recorder::start(path.to_path_buf(), 90);
    let runner = runner_on(&sim.base_url(), Some(&history)).with_history_events(events);
    (Dash { runner, sim }, history)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_history_file_is_moved_aside_the_operator_told_and_recording_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    std::fs::write(&path, b"not an SQLite file at all ".repeat(100)).unwrap();
    let (mut d, history) = with_history_file(&path).await;
    d.wait_text("error: the history file was damaged: moved aside to")
        .await;
    d.wait_text("page 1/2 (40 flows)").await;
    assert_eq!(recorded(&history, &d.sim.base_url()).await.len(), 25);
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("history.sqlite3.corrupt-") && !n.ends_with("-wal"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_history_file_is_told_and_the_dashboard_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let (mut d, history) = with_history_file(&path).await;
    d.wait_text("page 1/2 (40 flows)").await;
    history.flush().await;
    // Another process holds the file longer than the writer waits.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    d.key(KeyCode::Char(']'));
    d.wait_text("history: 15 readings not stored: the history file stayed locked")
        .await;
    let second = d.sim.flows()[26].clone();
    d.key(KeyCode::Char('j'));
    d.wait_for("the second flow of page 2 selected", |s| {
        s.lines().any(|l| {
            l.split('│')
                .nth(3)
                .is_some_and(|p| p.contains(&second.name))
        })
    })
    .await;
    other.execute_batch("COMMIT").unwrap();
    assert_eq!(recorded(&history, &d.sim.base_url()).await.len(), 25);
}
