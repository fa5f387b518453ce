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
        fixtures::screen_of(&self.runner)
    }

    /// Runs the loop until the screen shows `text`.
    async fn wait_text(&mut self, text: &str) -> String {
        self.wait_for(text, |s| s.contains(text)).await
    }

    async fn wait_for(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        fixtures::wait_screen(&mut self.runner, what, PATIENCE, pred).await
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

/// `n`, a name and a content, Ctrl-S: the new-flow form saved.
async fn create_in_form(d: &mut Dash, name: &str) {
    // The form picks the first device: it opens once the devices are read.
    while d.runner.state.devices.is_empty() {
        d.step().await;
    }
    d.key(KeyCode::Char('n'));
    d.wait_text("New flow").await;
    d.keys(name);
    d.key(KeyCode::Tab);
    d.keys("Hello {{NAME}}");
    d.ctrl_s();
}

/// Whether the detail pane (the selected flow's) shows `name`.
fn detail_shows(screen: &str, name: &str) -> bool {
    screen
        .lines()
        .any(|l| l.split('│').nth(3).is_some_and(|p| p.contains(name)))
}

#[tokio::test(start_paused = true)]
async fn a_new_flow_on_page_two_is_shown_there_and_selected() {
    // 25 a page, oldest first: the 41st flow lands on page 2.
    let mut d = Dash::start();
    d.wait_text("page 1/2 (40 flows)").await;
    create_in_form(&mut d, "Lands on two").await;
    let screen = d
        .wait_for("page 2 with the new flow selected", |s| {
            s.contains("page 2/2 (41 flows)") && detail_shows(s, "Lands on two")
        })
        .await;
    let created = d.sim.flows().into_iter().last().unwrap();
    assert_eq!(created.name, "Lands on two");
    assert!(!created.is_enabled, "a new flow starts switched off");
    assert!(
        screen.contains(&format!("created flow {}", created.id)),
        "{screen}"
    );
    assert_eq!(d.runner.state.page, 2);
    let selected = d.runner.state.selected.as_ref().map(|k| k.id.0);
    assert_eq!(selected, Some(created.id));
}

#[tokio::test(start_paused = true)]
async fn c_duplicates_the_selected_flow_switched_off_and_selects_the_copy() {
    let mut d = Dash::start();
    d.wait_text("page 1/2 (40 flows)").await;
    while d.runner.state.devices.is_empty() {
        d.step().await;
    }
    let second = d.sim.flows()[1].clone();
    d.key(KeyCode::Char('j'));
    d.key(KeyCode::Char('c'));
    let copy = format!("Copy of {}", second.name);
    let screen = d.wait_text("New flow").await;
    assert!(screen.contains(&copy), "the form is filled:\n{screen}");
    assert!(screen.contains("[ ] disabled"), "switched off:\n{screen}");
    d.ctrl_s();
    d.wait_for("page 2 with the copy selected", |s| {
        s.contains("page 2/2 (41 flows)") && detail_shows(s, &copy)
    })
    .await;
    let posts: Vec<LoggedRequest> = d
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "one create: {posts:?}");
    assert_eq!(posts[0].path, "/api/flows");
    let sent = |k: &str| posts[0].form.get(k).cloned().unwrap_or_default();
    assert_eq!(sent("name"), copy);
    assert_eq!(sent("content"), second.content);
    assert_eq!(sent("wait_time"), second.wait_time.to_string());
    assert_eq!(sent("wait_time_type"), second.wait_time_type);
    assert_eq!(sent("segment"), second.segment);
    assert_eq!(
        Some(sent("device_id")),
        second.device_id.map(|d| d.to_string())
    );
    assert_eq!(
        Some(sent("sim_subscription_id")),
        second.sim_subscription_id
    );
    assert_eq!(sent("is_enabled"), "0");
    let stored = d.sim.flows().into_iter().last().unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.is_enabled),
        (copy.as_str(), false)
    );
}

#[tokio::test(start_paused = true)]
async fn the_strict_database_gets_the_create_then_a_switch_off_and_says_both() {
    let mut d = Dash::with(
        SimConfig {
            quirks: true,
            ..still()
        },
        BudgetConfig::default(),
    );
    d.wait_text("(40 flows)").await;
    create_in_form(&mut d, "Strict start").await;
    // The dropped device is said first; once it is dismissed, the two steps.
    d.wait_text("the server stored no device for flow \"Strict start\"")
        .await;
    d.key(KeyCode::Char('x'));
    let screen = d.wait_text("then switched it off").await;
    // Listed under its device's id (0), it is found by its name and creation time.
    d.wait_for("the new flow selected", |s| detail_shows(s, "Strict start"))
        .await;
    let created = d
        .sim
        .flows()
        .into_iter()
        .find(|f| f.name == "Strict start")
        .unwrap();
    assert!(!created.is_enabled, "the new flow ends up off");
    assert!(
        screen.contains(&format!(
            "created flow {} switched on (the server stores none sent off), then switched it off",
            created.id
        )),
        "{screen}"
    );
    let field = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    let all = field(&[
        "content",
        "device_id",
        "is_enabled",
        "name",
        "segment",
        "sim_subscription_id",
        "wait_time",
        "wait_time_type",
    ]);
    let mut without = all.clone();
    without.retain(|n| n != "is_enabled");
    let post = |path: String, fields| ("POST".to_owned(), path, fields);
    assert_eq!(
        d.writes(),
        [
            post("/api/flows".to_owned(), all),
            post("/api/flows".to_owned(), without),
            post(
                format!("/api/flows/{}", created.id),
                field(&["is_enabled", "sim_subscription_id"])
            ),
        ]
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_off_with_space_is_audited_and_raises_no_alert_unlike_one_behind_its_back() {
    let (recorder, _) = Recorder::in_memory();
    let sim = Sim::start_in_memory(still()).unwrap();
    let mut d = Dash::on(sim, BudgetConfig::default(), Some(recorder.clone()));
    d.runner.start_alerts(
        recorder.clone(),
        flowdash::domain::alerts::builtin_rules(),
        false,
    );
    d.wait_text("page 1/2 (40 flows)").await;
    let flows = d.sim.flows();
    let mut on = flows.iter().enumerate().filter(|(_, f)| f.is_enabled);
    let (row, mine) = on.next().unwrap();
    let (_, theirs) = on.next().unwrap();
    // The operator switches one off with space; the web dashboard switches another off.
    d.keys(&"j".repeat(row));
    d.key(KeyCode::Char(' '));
    d.wait_text(&format!("flow {} switched off", mine.id)).await;
    assert!(d.sim.edit_flow(
        theirs.id,
        FlowEdit {
            is_enabled: Some(false),
            ..FlowEdit::default()
        }
    ));
    d.key(KeyCode::Char('r'));
    let screen = d.wait_text("alerts 1").await;
    let table_row = |f: &flowdash::sim::StoredFlow| {
        let cells = format!(" {} {}", f.id, f.name);
        screen
            .lines()
            .find(|l| l.contains(&cells))
            .unwrap_or_else(|| panic!("no row of {}:\n{screen}", f.name))
            .to_owned()
    };
    assert!(table_row(theirs).contains("│ ○!"), "{screen}");
    assert!(!table_row(mine).contains('!'), "{screen}");
    assert_eq!(d.writes(), one_post(mine.id, "is_enabled"));
    // The audit has the operator's write: the flow, the field sent, the result.
    recorder.flush().await;
    let account = Account::parse(&d.sim.base_url(), None).unwrap();
    let entries = recorder
        .query(move |s| s.audit_entries(&account, jiff::Timestamp::UNIX_EPOCH))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].flow, Some(FlowKey::Id(mine.id)));
    assert_eq!(entries[0].flow_name.as_deref(), Some(mine.name.as_str()));
    assert_eq!(entries[0].fields, r#"{"is_enabled":"0"}"#);
    assert_eq!(entries[0].result, "written");
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

#[tokio::test(start_paused = true)]
async fn f_groups_the_latest_failures_of_every_flow_by_error_and_by_flow() {
    let mut d = Dash::start();
    let flows = d.sim.flows();
    let (first, third, far) = (flows[0].clone(), flows[2].clone(), flows[35].clone());
    assert!(d.sim.fail_messages(first.id, 4, "RESULT_ERROR_NO_SERVICE"));
    assert!(d.sim.fail_messages(third.id, 2, "RESULT_ERROR_NO_SERVICE"));
    assert!(d.sim.fail_messages(third.id, 1, "RESULT_ERROR_RADIO_OFF"));
    // A flow on page 2, whose name the dashboard has not loaded.
    assert!(d.sim.fail_messages(far.id, 1, "RESULT_ERROR_NULL_PDU"));
    d.wait_text("page 1/2 (40 flows)").await;
    d.key(KeyCode::Char('F'));
    let screen = d.wait_text("failures by flow:").await;
    assert!(screen.contains("Latest failures of every flow"), "{screen}");
    assert!(screen.contains("RESULT_ERROR_NO_SERVICE × 6"), "{screen}");
    assert!(screen.contains("RESULT_ERROR_RADIO_OFF × 1"), "{screen}");
    assert!(
        screen.contains(&format!("flow {} {} × 4", first.id, first.name)),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("flow {} {} × 3", third.id, third.name)),
        "{screen}"
    );
    assert!(screen.contains(&format!("flow {} × 1", far.id)), "{screen}");
    assert!(
        screen.contains("8 failed of the newest 8 messages"),
        "{screen}"
    );
    insta::assert_snapshot!("failures_view_120x40", without_times(&screen));

    // The newest failure whole, its flow named.
    d.key(KeyCode::Enter);
    let whole = d.wait_text("SMS 8 · flow 36").await;
    assert!(whole.contains("error: RESULT_ERROR_NULL_PDU"), "{whole}");
    d.key(KeyCode::Esc);
    d.wait_text("failures by flow:").await;
    d.key(KeyCode::Char('q'));
    d.wait_for("the list again", |s| !s.contains("Latest failures"))
        .await;
}

#[tokio::test(start_paused = true)]
async fn f_keeps_only_the_failed_among_what_it_read_and_says_how_much_it_read() {
    let mut d = Dash::start();
    // Traffic writes pending and sent messages (and some failed) on many flows.
    d.sim.step(4.0 * 3600.0);
    assert!(
        d.sim
            .fail_messages(d.sim.flows()[4].id, 3, "RESULT_ERROR_NO_SERVICE")
    );
    let rows = d.sim.messages();
    let newest: Vec<_> = rows.iter().rev().take(1000).collect();
    let failed = newest.iter().filter(|m| m.status == "failed").count();
    assert!(newest.iter().any(|m| m.status != "failed"));
    d.wait_text("page 1/2 (40 flows)").await;
    d.key(KeyCode::Char('F'));
    let want = format!(
        "{failed} failed of the newest {} messages",
        newest.len().min(1000)
    );
    let screen = d.wait_text(&want).await;
    assert!(!screen.contains("✓ sent"), "{screen}");
    assert!(!screen.contains("… pending"), "{screen}");
    let sms_reads = d
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/sms")
        .count();
    let pages = rows.len().div_ceil(250).min(4);
    assert!(screen.contains(&format!("· {pages} request")), "{screen}");
    assert_eq!(sms_reads, pages);
}

#[tokio::test(start_paused = true)]
async fn l_lists_the_calls_of_this_process_and_enter_copies_one_as_curl() {
    let mut d = Dash::start();
    d.wait_text("page 1/2 (40 flows)").await;
    let flow = d.sim.flows()[0].clone();
    d.key(KeyCode::Char(' '));
    let word = if flow.is_enabled { "off" } else { "on" };
    d.wait_text(&format!("flow {} switched {word}", flow.id))
        .await;
    d.key(KeyCode::Char('L'));
    d.wait_text("Request ledger").await;
    let screen = d
        .wait_for("the calls", |s| s.contains("API calls of this process"))
        .await;
    let sent = d.sim.requests();
    assert!(
        screen.contains(&format!("the last {} API calls", sent.len())),
        "{screen}"
    );
    // Newest first: the toggle's write, then the read before it.
    let lines: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("budget ") && l.contains(" ms "))
        .collect();
    assert!(
        lines[0].contains(&format!("POST   /api/flows/{}  200", flow.id)),
        "{screen}"
    );
    assert!(lines[0].contains("operator"), "{screen}");
    // The first page, the operator's (the dashboard opened); its answer's size.
    let first = lines.last().unwrap();
    assert!(
        first.contains("GET    /api/flows?page=1&results_per_page=25  200"),
        "{screen}"
    );
    assert!(first.contains(" kB  budget 29/30"), "{screen}");
    assert!(!screen.contains(KEY), "{screen}");
    d.key(KeyCode::Enter);
    let screen = d.wait_text(flowdash::app::clipboard::SENT).await;
    assert!(screen.contains("Request ledger"), "{screen}");
    d.key(KeyCode::Char('q'));
    d.wait_for("the list again", |s| !s.contains("Request ledger"))
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_key_remapped_in_the_config_acts_and_the_footer_and_help_show_it() {
    let mut d = Dash::start();
    let (keys, problems) = flowdash::app::keymap::Keymap::with_overrides(&[(
        "toggle".to_owned(),
        vec!["t".to_owned()],
    )]);
    assert!(problems.is_empty(), "{problems:?}");
    d.runner.state.ctx.keys = keys;
    let first = d.sim.flows()[0].clone();
    let screen = d.wait_text("page 1/2 (40 flows)").await;
    assert!(screen.contains("t on/off · e edit"), "{screen}");
    // The old key does nothing now; the new one switches the flow.
    d.key(KeyCode::Char(' '));
    d.key(KeyCode::Char('t'));
    let word = if first.is_enabled { "off" } else { "on" };
    d.wait_text(&format!("flow {} switched {word}", first.id))
        .await;
    assert_eq!(d.writes(), one_post(first.id, "is_enabled"));
    d.key(KeyCode::Char('?'));
    let screen = d.wait_text("switch the flow on / off").await;
    let line = screen
        .lines()
        .find(|l| l.contains("switch the flow on / off"))
        .unwrap();
    assert!(line.contains("│t "), "{line}");
}

#[tokio::test(start_paused = true)]
async fn slash_hash_id_goes_to_the_flow_reading_it_when_it_is_not_loaded() {
    let mut d = Dash::start();
    d.wait_text("page 1/2 (40 flows)").await;
    let flows = d.sim.flows();
    let page: Vec<u64> = d.runner.state.flows.iter().map(|f| f.id.0).collect();
    let here = page[5];
    let away = flows
        .iter()
        .map(|f| f.id)
        .find(|id| !page.contains(id))
        .unwrap();

    // A flow on the page: selected at once, nothing read.
    let before = d.sim.requests().len();
    d.key(KeyCode::Char('/'));
    d.keys(&format!("#{here}"));
    d.key(KeyCode::Enter);
    d.wait_for("the flow on the page selected", |_| true).await;
    assert_eq!(d.runner.state.selected_id().map(|i| i.0), Some(here));
    assert_eq!(d.sim.requests().len(), before);

    // A flow on the other page: read, then its page loaded and the flow selected.
    d.key(KeyCode::Char('/'));
    d.keys(&format!("#{away}"));
    d.key(KeyCode::Enter);
    let screen = d.wait_text("page 2/2").await;
    while d.runner.state.selected_id().map(|i| i.0) != Some(away) {
        d.step().await;
    }
    assert!(screen.contains(&away.to_string()), "{screen}");
    assert!(
        d.sim
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path == format!("/api/flows/{away}")),
        "the flow was read"
    );
    assert!(d.runner.state.filter.applied.is_empty());

    // No such flow: the server's answer says so.
    d.key(KeyCode::Char('/'));
    d.keys("#99999");
    d.key(KeyCode::Enter);
    d.wait_text("error: flow 99999").await;
}

// ---- marks, bulk switch, undo (DESIGN §15) -------------------------------------------------

impl Dash {
    /// Selects the row of flow `id` in the view and marks it with `v`.
    fn mark(&mut self, id: u64) {
        self.select(id);
        self.key(KeyCode::Char('v'));
    }

    /// Selects the row of flow `id` in the view.
    fn select(&mut self, id: u64) {
        let row = self
            .runner
            .state
            .view
            .iter()
            .position(|&i| self.runner.state.flows[i].id.0 == id)
            .unwrap();
        self.key(KeyCode::Char('g'));
        for _ in 0..row {
            self.key(KeyCode::Char('j'));
        }
    }

    /// Marks the rows of `ids` one after the other (see [`Dash::mark`]).
    fn mark_all(&mut self, ids: &[u64]) {
        for &id in ids {
            self.mark(id);
        }
    }

    /// Runs the loop until the bulk queue has a request at the server.
    async fn until_a_request_is_in_flight(&mut self) {
        while self
            .runner
            .state
            .queue
            .as_ref()
            .is_none_or(|q| q.in_flight.is_none())
        {
            self.step().await;
        }
    }

    /// Renames flow `id` on the server behind the dashboard's back (what
    /// `POST /_demo/flows/{id}` does).
    fn rename_behind_its_back(&self, id: u64) {
        assert!(self.sim.edit_flow(
            id,
            FlowEdit {
                name: Some("Renamed elsewhere".to_owned()),
                ..FlowEdit::default()
            }
        ));
    }

    /// Ids of the first `n` rows on screen whose flow is switched `on`.
    fn rows_switched(&self, on: bool, n: usize) -> Vec<u64> {
        let state = &self.runner.state;
        let ids: Vec<u64> = state
            .view
            .iter()
            .map(|&i| &state.flows[i])
            .filter(|f| f.enabled == on)
            .map(|f| f.id.0)
            .take(n)
            .collect();
        assert_eq!(ids.len(), n, "{n} rows switched {on} on the first page");
        ids
    }

    /// Waits for the dashboard to show its first page, then stops live updates (`p`), so that
    /// every request after this is the operator's.
    async fn loaded_and_paused(&mut self) {
        self.wait_text("page 1/2 (40 flows)").await;
        self.key(KeyCode::Char('p'));
        self.wait_text("live updates paused").await;
    }
}

/// A demo server whose answers each take a second of the paused clock.
fn slow() -> SimConfig {
    SimConfig {
        latency: Duration::from_secs(1),
        ..still()
    }
}

/// The number of requests a cost preview on `screen` announces.
fn announced(screen: &str) -> usize {
    let at = screen.find(" requests").unwrap();
    let digits: String = screen[..at]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.chars().rev().collect::<String>().parse().unwrap()
}

/// The POSTs of [`Dash::writes`] from the `skip`-th on: each flow's path, and whether it sent
/// `is_enabled` alone.
fn switches(d: &Dash, skip: usize) -> Vec<(String, bool)> {
    d.writes()
        .into_iter()
        .skip(skip)
        .map(|(method, path, fields)| {
            assert_eq!(method, "POST");
            (path, fields == ["is_enabled"])
        })
        .collect()
}

fn posts_to(ids: &[u64]) -> Vec<(String, bool)> {
    ids.iter()
        .map(|id| (format!("/api/flows/{id}"), true))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn three_marked_flows_are_switched_off_at_the_cost_shown_and_u_switches_them_back() {
    let mut d = Dash::start();
    d.loaded_and_paused().await;
    let ids = d.rows_switched(true, 3);
    d.mark_all(&ids);
    d.wait_text("3 marked").await;
    let before = d.sim.requests().len();
    d.key(KeyCode::Char(' '));
    d.wait_text("Switch 3 flows: o on · f off").await;
    assert!(d.writes().is_empty(), "nothing sent before the answer");
    d.key(KeyCode::Char('f'));
    let screen = d.wait_text("Switch off 3 flows: ").await;
    assert!(
        screen.contains("pending SMS are still sent · y/N"),
        "{screen}"
    );
    let cost = announced(&screen);
    assert_eq!(
        cost, 4,
        "one fresh list read stands for the re-reads, then three writes"
    );
    assert!(d.writes().is_empty(), "nothing sent before y");
    d.key(KeyCode::Char('y'));
    let screen = d.wait_text("switched off 3 flows").await;
    assert_eq!(switches(&d, 0), posts_to(&ids), "exactly those three");
    for &id in &ids {
        assert!(!d.sim.flow(id).unwrap().is_enabled);
    }
    assert!(
        !screen.contains("marked"),
        "done flows are unmarked:\n{screen}"
    );
    assert_eq!(
        d.sim.requests().len() - before,
        cost,
        "the preview's count is what was sent"
    );

    d.key(KeyCode::Char('u'));
    let screen = d.wait_text("Undo the last switch: switch on 3 flows").await;
    let cost = announced(&screen);
    let before = d.sim.requests().len();
    d.key(KeyCode::Char('y'));
    d.wait_text("undo: switched on 3 flows").await;
    assert_eq!(switches(&d, 3), posts_to(&ids));
    for &id in &ids {
        assert!(d.sim.flow(id).unwrap().is_enabled);
    }
    assert_eq!(d.sim.requests().len() - before, cost);
}

#[tokio::test(start_paused = true)]
async fn a_flow_already_off_costs_nothing_more_and_is_not_written() {
    let mut d = Dash::start();
    d.loaded_and_paused().await;
    let on = d.rows_switched(true, 2);
    let off = d.rows_switched(false, 1);
    d.mark_all(&[&on[..], &off[..]].concat());
    d.key(KeyCode::Char(' '));
    d.key(KeyCode::Char('f'));
    let screen = d.wait_text("Switch off 3 flows: ").await;
    assert!(screen.contains("(1 is already off)"), "{screen}");
    let cost = announced(&screen);
    let before = d.sim.requests().len();
    d.key(KeyCode::Char('y'));
    d.wait_text("switched off 2 flows, 1 already off").await;
    assert_eq!(d.sim.requests().len() - before, cost);
    assert_eq!(switches(&d, 0), posts_to(&on));
}

#[tokio::test(start_paused = true)]
async fn esc_stops_the_queue_after_the_request_in_flight() {
    // Every answer takes a second of the paused clock: the queue can be caught mid-way.
    let mut d = Dash::with(slow(), BudgetConfig::default());
    d.loaded_and_paused().await;
    let ids = d.rows_switched(true, 3);
    d.mark_all(&ids);
    d.keys(" fy");
    d.wait_text("switching off: 0 of 3 done").await;
    // The list read, then the first write goes out.
    d.until_a_request_is_in_flight().await;
    d.key(KeyCode::Esc);
    d.wait_text("stopping after the request in flight").await;
    let screen = d.wait_text("stopped: 2 not sent").await;
    assert!(screen.contains("switched off 1 flow"), "{screen}");
    assert_eq!(switches(&d, 0), posts_to(&ids[..1]));
    assert!(
        screen.contains("2 marked"),
        "the unsent stay marked:\n{screen}"
    );
    // Esc again clears the marks, one layer a press.
    d.key(KeyCode::Esc);
    let screen = d.wait_text("2 marks cleared").await;
    assert!(!screen.contains("marked ·"), "{screen}");
}

#[tokio::test(start_paused = true)]
async fn a_conflict_on_one_marked_flow_refuses_it_alone_and_keeps_it_marked() {
    let mut d = Dash::start();
    d.loaded_and_paused().await;
    let ids = d.rows_switched(false, 3);
    d.mark_all(&ids);
    d.wait_text("3 marked").await;
    d.rename_behind_its_back(ids[1]);
    d.key(KeyCode::Char(' '));
    d.key(KeyCode::Char('o'));
    d.wait_text("Switch on 3 flows: ").await;
    d.key(KeyCode::Char('y'));
    let screen = d.wait_text("switched on 2 flows").await;
    assert_eq!(switches(&d, 0), posts_to(&[ids[0], ids[2]]));
    assert!(!d.sim.flow(ids[1]).unwrap().is_enabled, "not switched");
    assert!(screen.contains("1 marked"), "{screen}");
    let error = d.runner.state.errors.back().unwrap().clone();
    assert!(
        error.contains(&format!(
            "refused (still marked): flow {}: it changed on the server (name",
            ids[1]
        )),
        "{error}"
    );
    assert!(
        d.runner
            .state
            .marks
            .contains(flowdash::domain::FlowId(ids[1]))
    );
}

#[tokio::test(start_paused = true)]
async fn on_the_shipped_build_marked_flows_are_never_sent() {
    let cfg = SimConfig {
        quirks: true,
        ..still()
    };
    let mut d = Dash::with(cfg, BudgetConfig::default());
    d.wait_text("READ-ONLY").await;
    // Its ids are device ids, shared by the flows of one device: no row can be marked.
    d.key(KeyCode::Char('V'));
    d.wait_text("nothing marked: the ids of these rows are 0 or repeated")
        .await;
    d.key(KeyCode::Char('v'));
    d.wait_text("cannot be marked: ").await;
    assert!(d.runner.state.marks.is_empty());
    for key in [' ', 'd', 'y', 'u'] {
        d.key(KeyCode::Char(key));
    }
    d.runner.round().unwrap();
    let toast = d.runner.state.toast.clone().unwrap().text;
    assert!(toast.starts_with("nothing to undo"), "{toast}");
    assert!(matches!(d.runner.state.mode, flowdash::app::Mode::Browse));
    assert!(d.writes().is_empty(), "{:?}", d.writes());
}

#[tokio::test(start_paused = true)]
async fn marks_survive_paging_sorting_and_refreshes_and_a_bulk_switch_reaches_every_page() {
    let mut d = Dash::start();
    d.loaded_and_paused().await;
    let first = d.rows_switched(true, 1)[0];
    d.mark(first);
    d.key(KeyCode::Char(']'));
    d.wait_text("page 2/2 (40 flows)").await;
    while d.runner.state.loading {
        d.step().await;
    }
    let second = d.rows_switched(true, 1)[0];
    d.mark(second);
    for key in ['s', 'r'] {
        d.key(KeyCode::Char(key));
    }
    d.runner.round().unwrap();
    while d.runner.state.loading || d.runner.state.busy > 0 {
        d.step().await;
    }
    let screen = d.wait_text("2 marked").await;
    assert!(screen.contains('▌'), "{screen}");
    d.key(KeyCode::Char(' '));
    d.key(KeyCode::Char('f'));
    let screen = d.wait_text("Switch off 2 flows: ").await;
    // One of them is on another page: each is read on its own before its write.
    assert!(screen.contains("1 of them are not on screen"), "{screen}");
    let cost = announced(&screen);
    assert_eq!(cost, 4);
    let before = d.sim.requests().len();
    d.key(KeyCode::Char('y'));
    d.wait_text("switched off 2 flows").await;
    let log: Vec<String> = d.sim.requests()[before..]
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.query))
        .collect();
    assert_eq!(log.len(), cost, "{log:?}");
    let mut sent = switches(&d, 0);
    sent.sort();
    let mut want = posts_to(&[first, second]);
    want.sort();
    assert_eq!(sent, want);
}

#[tokio::test(start_paused = true)]
async fn a_switch_off_goes_ahead_over_a_change_on_the_server_and_says_so() {
    let mut d = Dash::start();
    d.loaded_and_paused().await;
    let ids = d.rows_switched(true, 2);
    d.mark_all(&ids);
    d.wait_text("2 marked").await;
    d.rename_behind_its_back(ids[0]);
    d.keys(" fy");
    d.wait_text("switched off 2 flows").await;
    assert_eq!(
        switches(&d, 0),
        posts_to(&ids),
        "stopping sends is always safe"
    );
    let said = d.runner.state.errors.back().unwrap().clone();
    assert!(
        said.contains(&format!(
            "switched off over changes made on the server: flow {} (name)",
            ids[0]
        )),
        "{said}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_single_switch_made_while_a_bulk_runs_goes_before_its_next_flow() {
    let mut d = Dash::with(slow(), BudgetConfig::default());
    d.loaded_and_paused().await;
    let on = d.rows_switched(true, 4);
    let (marked, single) = (&on[..3], on[3]);
    d.mark_all(marked);
    d.select(single);
    d.keys(" fy");
    d.until_a_request_is_in_flight().await;
    while d.writes().is_empty() {
        d.step().await;
    }
    // The queue's first write is at the server; space now switches the selected flow alone,
    // and its re-read is slow: without waiting for it, the queue's next write would go first.
    d.sim
        .push_fault(flowdash::sim::Fault::Latency(Duration::from_secs(3)), 1);
    d.key(KeyCode::Char(' '));
    d.wait_text("switched off 3 flows").await;
    let order = [marked[0], single, marked[1], marked[2]];
    assert_eq!(switches(&d, 0), posts_to(&order));
}

#[tokio::test(start_paused = true)]
async fn u_undoes_a_single_switch_too() {
    let mut d = Dash::start();
    d.loaded_and_paused().await;
    let id = d.rows_switched(true, 1)[0];
    d.select(id);
    d.key(KeyCode::Char(' '));
    d.wait_text(&format!("flow {id} switched off")).await;
    d.key(KeyCode::Char('u'));
    d.wait_text("Undo the last switch: switch on 1 flow: 2 requests")
        .await;
    d.key(KeyCode::Char('y'));
    d.wait_text("undo: switched on 1 flow").await;
    assert!(d.sim.flow(id).unwrap().is_enabled);
    assert_eq!(switches(&d, 0), posts_to(&[id, id]));
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

/// The writes of a bulk queue are in the ledger's `bulk` lane; a single switch stays the
/// operator's (DESIGN §16).
#[tokio::test(start_paused = true)]
async fn the_ledger_puts_a_bulk_queues_writes_in_the_bulk_lane() {
    let mut d = Dash::start();
    d.loaded_and_paused().await;
    let ids = d.rows_switched(true, 3);
    d.select(ids[2]);
    d.key(KeyCode::Char(' '));
    d.wait_text(&format!("flow {} switched off", ids[2])).await;
    for &id in &ids[..2] {
        d.mark(id);
    }
    d.key(KeyCode::Char(' '));
    d.wait_text("Switch 2 flows: o on · f off").await;
    d.key(KeyCode::Char('f'));
    d.wait_text("Switch off 2 flows: ").await;
    d.key(KeyCode::Char('y'));
    d.wait_text("switched off 2 flows").await;
    d.key(KeyCode::Char('L'));
    let screen = d
        .wait_for("the calls", |s| s.contains("API calls of this process"))
        .await;
    let lane_of = |id: u64| {
        let line = screen
            .lines()
            .find(|l| l.contains(&format!("POST   /api/flows/{id} ")))
            .unwrap_or_else(|| panic!("no POST to {id}:\n{screen}"));
        ["bulk", "operator"]
            .into_iter()
            .find(|lane| line.contains(&format!("  {lane}  ")))
            .unwrap_or_else(|| panic!("no lane: {line}"))
    };
    assert_eq!(lane_of(ids[0]), "bulk", "{screen}");
    assert_eq!(lane_of(ids[1]), "bulk", "{screen}");
    assert_eq!(lane_of(ids[2]), "operator", "{screen}");
}
