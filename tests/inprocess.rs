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
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const KEY: &str = "inprocess-key";
/// How long a step may take before the test gives up (a limit, not a measurement).
const PATIENCE: Duration = Duration::from_secs(15);

struct Dash {
    runner: Runner<TestBackend, NoHost>,
    sim: Sim,
}

impl Dash {
    async fn start() -> Dash {
        let cfg = SimConfig {
            api_key: KEY.to_owned(),
            traffic: false,
            ..SimConfig::default()
        };
        let sim = Sim::start(cfg, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let mut client_config = ClientConfig::new(sim.base_url(), ApiKey::new(KEY));
        client_config.timeout = Duration::from_secs(5);
        let client = Client::new(client_config).unwrap();
        let state = State::new(Context::default(), 20);
        let terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        let runner = Runner::new(terminal, NoHost, client, state, Autosave::new(None)).unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerting_rows_carry_a_mark_the_header_counts_them_and_bang_lists_them() {
    let mut d = Dash::start().await;
    let (recorder, _) = flowdash::store::Recorder::in_memory();
    d.runner
        .start_alerts(recorder, flowdash::domain::alerts::builtin_rules(), false);
    let screen = d.wait_text("page 1/2 (40 flows)").await;
    assert!(!screen.contains("alerts"), "{screen}");
    // Sixty failures of flow 3, and flow 1 switched off in the web dashboard.
    let three = d.sim.flow(3).unwrap();
    let one = d.sim.flow(1).unwrap();
    assert!(one.is_enabled);
    let edit = |failed, enabled| FlowEdit {
        total_failed_sms: failed,
        is_enabled: enabled,
        ..FlowEdit::default()
    };
    assert!(
        d.sim
            .edit_flow(3, edit(Some(three.total_failed_sms + 60), None))
    );
    assert!(d.sim.edit_flow(1, edit(None, Some(false))));
    d.key(KeyCode::Char('r'));
    let screen = d.wait_text("alerts 2").await;
    let row = |screen: &str, name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no row of {name}:\n{screen}"))
            .to_owned()
    };
    // The table's rows, by id and name (the detail pane names the selected flow too).
    let table_row =
        |screen: &str, f: &flowdash::sim::StoredFlow| row(screen, &format!(" {} {}", f.id, f.name));
    assert!(table_row(&screen, &three).contains("│●!"), "{screen}");
    assert!(table_row(&screen, &one).contains("│○!"), "{screen}");
    let two = d.sim.flow(2).unwrap();
    assert!(table_row(&screen, &two).starts_with("│○  "), "{screen}");

    // On again: resolved, and `!` shows both kinds with their times.
    assert!(d.sim.edit_flow(1, edit(None, Some(true))));
    d.key(KeyCode::Char('r'));
    d.wait_text("alerts 1").await;
    d.key(KeyCode::Char('!'));
    let view = d.wait_text("Alerts: 1 firing").await;
    let firing = row(&view, "since ");
    assert!(
        firing.contains("firing") && firing.contains(&three.name),
        "{view}"
    );
    let resolved = row(&view, "resolved");
    assert!(
        resolved.contains(&one.name) && resolved.contains("on again"),
        "{view}"
    );
    assert!(view.contains("switched off, not by flowdash"), "{view}");
    d.key(KeyCode::Char('q'));
    let screen = d
        .wait_for("the list again", |s| !s.contains("Alerts:"))
        .await;
    assert!(screen.contains("alerts 1"), "{screen}");
    assert!(d.writes().is_empty());
}
