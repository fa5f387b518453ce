//! The whole dashboard in process: the runner on a `TestBackend`, the demo server's router
//! served in memory behind the client (no socket), keys pushed in, the screen and the server's
//! request log read out. Everything runs on tokio's paused clock, which moves only when every
//! task waits for a timer: the runner's ticks and polls, the demo server's traffic, the budget.
//! Minutes of live updates take a moment. Signals, raw bytes and the terminal itself stay with
//! the PTY tests (`e2e.rs`, `signals.rs`).

#![expect(
    clippy::unwrap_used,
    reason = "tests: a failure must stop the test at once"
)]

pub mod fixtures;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flowdash::api::{ApiKey, Client, ClientConfig};
use flowdash::app::{Context, Msg, State};
use flowdash::budget::BudgetConfig;
use flowdash::dashboard::{NoHost, Runner};
use flowdash::drafts::Autosave;
use flowdash::sim::{FlowEdit, LoggedRequest, Sim, SimConfig};
use flowdash::store::{Account, FlowKey, Recorder, snapshot_of};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const KEY: &str = "inprocess-key";
/// How long a step may take on the paused clock before the test gives up (a limit, not a
/// measurement).
const PATIENCE: Duration = Duration::from_secs(15);

/// A demo server whose traffic stands still.
fn still() -> SimConfig {
    SimConfig {
        api_key: KEY.to_owned(),
        traffic: false,
        ..SimConfig::default()
    }
}

struct Dash {
    runner: Runner<TestBackend, NoHost>,
    sim: Sim,
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
    /// The dashboard against a demo server whose traffic stands still.
    fn start() -> Dash {
        Dash::with(still(), BudgetConfig::default())
    }

    fn with(cfg: SimConfig, budget: BudgetConfig) -> Dash {
        Dash::on(Sim::start_in_memory(cfg).unwrap(), budget, None)
    }

    /// The dashboard on `sim`, keeping history in `history` when given.
    fn on(sim: Sim, budget: BudgetConfig, history: Option<Recorder>) -> Dash {
        let mut client_config = ClientConfig::new(sim.base_url(), ApiKey::new(KEY));
        client_config.timeout = Duration::from_secs(5);
        client_config.budget = budget;
        client_config.in_process = Some(sim.in_process());
        let client = Client::new(client_config).unwrap();
        let state = State::new(Context::default(), 20);
        let terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        let mut runner = Runner::new(terminal, NoHost, client, state, Autosave::new(None)).unwrap();
        if let Some(recorder) = history {
            runner = runner.with_history(recorder);
        }
        Dash { runner, sim }
    }

    /// The dashboard against a demo server on a socket, recording into `history` when given.
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

/// [`Dash::writes`] of one POST to flow `id` that sent `field` alone.
fn one_post(id: u64, field: &str) -> Vec<(String, String, Vec<String>)> {
    vec![(
        "POST".to_owned(),
        format!("/api/flows/{id}"),
        vec![field.to_owned()],
    )]
}

#[tokio::test(start_paused = true)]
async fn space_switches_the_selected_flow_and_only_it() {
    let mut d = Dash::start();
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
    assert_eq!(d.writes(), one_post(second.id, "is_enabled"));
}

#[tokio::test(start_paused = true)]
async fn an_edit_sends_the_changed_name_only() {
    let mut d = Dash::start();
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
    assert_eq!(d.writes(), one_post(first.id, "name"));
}

#[tokio::test(start_paused = true)]
async fn a_new_flow_is_created_and_shown() {
    let mut d = Dash::start();
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

#[tokio::test(start_paused = true)]
async fn a_conflict_keeps_their_content_and_writes_my_change() {
    let mut d = Dash::start();
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
        one_post(first.id, "name"),
        "one write, of my change only"
    );
}

#[tokio::test(start_paused = true)]
async fn paging_reads_the_next_page_and_selects_its_first_row() {
    let mut d = Dash::start();
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

/// The sent counters of the rows on screen.
fn sent_column(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.starts_with("│ ●") || l.starts_with("│ ○"))
        .map(|l| l.split('│').nth(1).unwrap_or_default().to_owned())
        .collect()
}

/// Sixteen minutes of live updates on the paused clock, with `--budget 10 --reserve 3` and the
/// demo server's traffic at 20 times its pace: no sliding minute of the server's log holds more
/// than the budget, nothing is answered 429, the counters on screen move, and the polls keep
/// their pace until ten minutes without a key slow them to one a minute.
#[tokio::test(start_paused = true)]
async fn sixteen_minutes_of_live_updates_stay_within_the_budget_and_counters_move() {
    const BUDGET: usize = 10;
    const MINUTE: Duration = Duration::from_secs(60);
    let cfg = SimConfig {
        api_key: KEY.to_owned(),
        pace: 20.0,
        ..SimConfig::default()
    };
    let budget = BudgetConfig {
        budget: BUDGET as u32,
        reserve: 3,
    };
    let mut d = Dash::with(cfg, budget);
    let first = sent_column(&d.wait_text("page 1/2").await);
    let started = tokio::time::Instant::now();
    let mut moved = false;
    while started.elapsed() < 16 * MINUTE {
        d.step().await;
        moved |= sent_column(&d.screen()) != first;
    }
    let screen = d.screen();
    assert!(moved, "the counters on screen never changed:\n{screen}");
    assert!(screen.contains("idle: slowed"), "{screen}");

    let api: Vec<LoggedRequest> = d
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api"))
        .collect();
    let answered_429: Vec<&LoggedRequest> = api.iter().filter(|r| r.status == 429).collect();
    assert!(
        answered_429.is_empty(),
        "flowdash caused a 429: {answered_429:?}"
    );
    let times: Vec<Duration> = api.iter().map(|r| r.at).collect();
    for (i, &t) in times.iter().enumerate() {
        let in_minute = times[i..].iter().take_while(|&&u| u < t + MINUTE).count();
        assert!(
            in_minute <= BUDGET,
            "{in_minute} requests in the minute from {t:?}: {times:?}"
        );
    }
    // The live pace (60 s over the 7 polls a minute the budget leaves) until the idle time,
    // then the idle pace. Counted in whole minutes from the first request.
    let in_minute = |m: u32| {
        times
            .iter()
            .filter(|&&t| t >= MINUTE * m && t < MINUTE * (m + 1))
            .count()
    };
    for m in 0..9 {
        assert!(
            in_minute(m) >= 5,
            "minute {m}: {} requests: {times:?}",
            in_minute(m)
        );
    }
    for m in 11..15 {
        assert!(
            in_minute(m) <= 2,
            "minute {m}: {} requests: {times:?}",
            in_minute(m)
        );
    }
}

/// The number after `sent ` on the line that holds `line`.
fn sent_on(screen: &str, line: &str) -> i64 {
    let row = screen.lines().find(|r| r.contains(line)).unwrap();
    let after = &row[row.find("sent ").unwrap() + 5..];
    let digits: String = after
        .split(" ·")
        .next()
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h_shows_the_recorded_history_and_4_switches_to_30_days() {
    let sim = Sim::start_in_memory(still()).unwrap();
    let first = sim.flows()[0].clone();
    // 31 days of the first flow, recorded as the dashboard records them, up to now.
    let (recorder, _events) = Recorder::in_memory();
    let account = Account::new(
        &url::Url::parse(&sim.base_url()).unwrap(),
        Some(first.user_id),
    );
    let readings = fixtures::readings(first.id, &first.name, jiff::Timestamp::now(), 31);
    for chunk in readings.chunks(32) {
        for (at, reading) in chunk {
            recorder.record(&account, *at, vec![reading.clone()]);
        }
        recorder.flush().await;
    }
    let mut d = Dash::on(sim, BudgetConfig::default(), Some(recorder));
    d.wait_text("page 1/2 (40 flows)").await;
    // The detail pane charts the selected flow's last 24 hours.
    d.wait_text("Last 24 hours · sent").await;
    d.key(KeyCode::Char('H'));
    let screen = d.wait_text("last 24 h to").await;
    assert!(
        screen.contains(&format!("History · flow {} · {}", first.id, first.name)),
        "{screen}"
    );
    let day = sent_on(&screen, "last 24 h to");
    assert!(day > 0, "{screen}");
    d.key(KeyCode::Char('4'));
    let screen = d.wait_text("last 30 d to").await;
    assert!(screen.contains("[30 d]"), "{screen}");
    let month = sent_on(&screen, "last 30 d to");
    assert!(month > 10 * day, "30 d: {month}, 24 h: {day}\n{screen}");
    d.key(KeyCode::Esc);
    d.wait_for("the list", |s| s.contains("page 1/2 (40 flows)"))
        .await;
    assert!(d.writes().is_empty());
}

/// The screen with every clock time (`12:34` or `12:34:56`) as `hh:mm`, for a snapshot.
fn without_times(screen: &str) -> String {
    let chars: Vec<char> = screen.chars().collect();
    let mut out = chars.clone();
    let digit = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
    for (i, &c) in chars.iter().enumerate() {
        if c == ':' && i >= 2 && digit(i - 1) && digit(i - 2) && digit(i + 1) && digit(i + 2) {
            for (at, c) in [(i - 2, 'h'), (i - 1, 'h'), (i + 1, 'm'), (i + 2, 'm')] {
                out[at] = c;
            }
        }
    }
    out.into_iter().collect()
}

#[tokio::test(start_paused = true)]
async fn m_shows_the_flows_messages_with_failures_grouped_and_one_whole() {
    let mut d = Dash::start();
    let flow = d.sim.flows()[0].clone();
    assert!(d.sim.fail_messages(flow.id, 12, "RESULT_ERROR_NO_SERVICE"));
    assert!(d.sim.fail_messages(flow.id, 3, "RESULT_ERROR_RADIO_OFF"));
    // A phone's error is text from outside like any other.
    assert!(
        d.sim
            .fail_messages(flow.id, 1, "\u{1b}]52;c;aGk=\u{7}\u{1b}[2JBAD")
    );
    d.wait_text("page 1/2 (40 flows)").await;
    d.key(KeyCode::Char('m'));
    let screen = d.wait_text("RESULT_ERROR_NO_SERVICE × 12").await;
    assert!(screen.contains("RESULT_ERROR_RADIO_OFF × 3"), "{screen}");
    assert!(screen.contains("16 of the newest 16 messages"), "{screen}");
    assert!(screen.contains("· 1 request"), "{screen}");
    assert!(
        screen.contains("no mobile network when it tried to send"),
        "{screen}"
    );
    assert!(!screen.contains('\u{1b}'), "{screen}");
    let sms_reads: Vec<String> = d
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/sms")
        .map(|r| r.query)
        .collect();
    assert_eq!(sms_reads, vec!["page=1&results_per_page=250".to_owned()]);
    insta::assert_snapshot!("messages_view_120x40", without_times(&screen));

    // The newest, the hostile one, whole; then one down, a failure explained.
    d.key(KeyCode::Enter);
    let whole = d.wait_text("SMS 16 · flow 1").await;
    assert!(!whole.contains('\u{1b}'), "{whole}");
    assert!(whole.contains(&flow.content[..20]), "{whole}");
    d.key(KeyCode::Esc);
    d.key(KeyCode::Down);
    d.key(KeyCode::Enter);
    let whole = d.wait_text("SMS 15 · flow 1").await;
    assert!(
        whole.contains("error: RESULT_ERROR_RADIO_OFF: the phone's radio was off"),
        "{whole}"
    );
    d.key(KeyCode::Char('q'));
    d.wait_for("the list of messages again", |s| {
        s.contains("failures by error:") && !s.contains("SMS 15 · flow 1")
    })
    .await;
    d.key(KeyCode::Char('q'));
    d.wait_for("the list again", |s| !s.contains("Messages of flow"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerting_rows_carry_a_mark_the_header_counts_them_and_bang_lists_them() {
    let mut d = Dash::start();
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
    assert!(table_row(&screen, &three).contains("│ ●!"), "{screen}");
    assert!(table_row(&screen, &one).contains("│ ○!"), "{screen}");
    let two = d.sim.flow(2).unwrap();
    assert!(table_row(&screen, &two).starts_with("│ ○  "), "{screen}");

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

/// The numbers of one column of the table, read from the screen under its title.
fn column_values(screen: &str, title: &str) -> Vec<i64> {
    let header = screen.lines().find(|l| l.contains(" name ")).unwrap();
    let end = header.find(title).unwrap() + title.len();
    let end = header[..end].chars().count();
    screen
        .lines()
        .filter(|l| l.starts_with("│ ●") || l.starts_with("│ ○"))
        .map(|l| {
            let cells: String = l.chars().take(end).collect();
            let n = cells.split_whitespace().last().unwrap_or_default();
            n.parse().unwrap_or(-1)
        })
        .collect()
}

/// With mouse capture on, a click on a column's title sorts by that column; a second click
/// turns the order round. The columns are a profile's own choice.
#[tokio::test(start_paused = true)]
async fn a_click_on_a_columns_title_sorts_by_it() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    use flowdash::app::columns::Column;
    let mut d = Dash::start();
    d.runner.state.columns = Some(vec![Column::Name, Column::Pending, Column::Failed]);
    let screen = d.wait_text("page 1/2 (40 flows)").await;
    let header_row = screen.lines().position(|l| l.contains(" name ")).unwrap();
    let header = screen.lines().nth(header_row).unwrap();
    assert!(
        !header.contains("sent"),
        "the profile's columns only: {header}"
    );
    let x = header[..header.find("failed").unwrap()].chars().count() + 2;
    d.keys("M");
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: u16::try_from(x).unwrap(),
        row: u16::try_from(header_row).unwrap(),
        modifiers: KeyModifiers::NONE,
    };
    d.runner.push(Msg::Mouse(click));
    let screen = d.wait_text("sort: failed ↓").await;
    let failed = column_values(&screen, "failed");
    assert!(failed.len() > 5, "{screen}");
    assert!(
        failed.windows(2).all(|w| w[0] >= w[1]),
        "{failed:?}\n{screen}"
    );
    assert_ne!(failed.first(), failed.last(), "{screen}");
    d.runner.push(Msg::Mouse(click));
    let screen = d.wait_text("sort: failed ↑").await;
    let failed = column_values(&screen, "failed");
    assert!(
        failed.windows(2).all(|w| w[0] <= w[1]),
        "{failed:?}\n{screen}"
    );
}
