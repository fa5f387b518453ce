//! `P` (DESIGN §17): the dashboard switches to another profile of its config without
//! restarting. Two demo servers in memory, one a profile; the runner on a `TestBackend` on
//! tokio's paused clock, as in `inprocess.rs`.

#![expect(
    clippy::unwrap_used,
    reason = "tests: a failure must stop the test at once"
)]

pub mod fixtures;

use std::time::Duration;

use crossterm::event::KeyCode;
use flowdash::api::{ApiKey, Client, ClientConfig};
use flowdash::app::{Context, Msg, State};
use flowdash::cli::Global;
use flowdash::dashboard::{NoHost, Runner, Switcher};
use flowdash::drafts::Autosave;
use flowdash::sim::{Sim, SimConfig};
use flowdash::store::{Account, FlowKey, Recorder};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use fixtures::{ch, press};

const PATIENCE: Duration = Duration::from_secs(15);
const URL_A: &str = "http://127.0.0.1:1001/api";
const URL_B: &str = "http://127.0.0.1:1002/api";

fn sim(key: &str, flows: usize) -> Sim {
    Sim::start_in_memory(SimConfig {
        api_key: key.to_owned(),
        traffic: false,
        flows,
        ..SimConfig::default()
    })
    .unwrap()
}

/// Two profiles, `alpha` (40 flows) and `beta` (12 flows, another key), the dashboard on `alpha`.
struct Two {
    runner: Runner<TestBackend, NoHost>,
    a: Sim,
    b: Sim,
    _dir: tempfile::TempDir,
}

impl Two {
    fn start(beta: &str) -> Two {
        Two::recording(beta, None)
    }

    /// [`Two::start`], the history and the audit kept in `history`.
    fn recording(beta: &str, history: Option<&Recorder>) -> Two {
        let (a, b) = (sim("key-alpha", 40), sim("key-beta", 12));
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        let text = format!(
            "[profiles.alpha]\nbase_url = \"{URL_A}\"\napi_key = \"key-alpha\"\n\n[profiles.beta]\nbase_url = \"{URL_B}\"\n{beta}\n"
        );
        std::fs::write(&config, text).unwrap();
        let mut cfg = ClientConfig::new(URL_A, ApiKey::new("key-alpha"));
        cfg.in_process = Some(a.in_process());
        let client = Client::new(cfg).unwrap();
        let ctx = Context {
            host: "127.0.0.1:1001".to_owned(),
            profile: Some("alpha".to_owned()),
            ..Context::default()
        };
        let terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        let state = State::new(ctx, 20);
        let switcher = Switcher {
            global: Global {
                config: Some(config),
                profile: Some("alpha".to_owned()),
                ..Global::default()
            },
            shared_budget: None,
            drafts: false,
            in_process: vec![
                (URL_A.to_owned(), a.in_process()),
                (URL_B.to_owned(), b.in_process()),
            ],
        };
        let mut runner = Runner::new(terminal, NoHost, client, state, Autosave::new(None))
            .unwrap()
            .with_profiles(switcher);
        if let Some(history) = history {
            runner = runner.with_history(history.clone());
        }
        Two {
            runner,
            a,
            b,
            _dir: dir,
        }
    }

    fn screen(&self) -> String {
        fixtures::screen_of(&self.runner)
    }

    async fn wait_text(&mut self, text: &str) -> String {
        fixtures::wait_screen(&mut self.runner, text, PATIENCE, |s| s.contains(text)).await
    }

    fn keys(&mut self, keys: impl IntoIterator<Item = Msg>) {
        for k in keys {
            self.runner.push(k);
        }
    }

    fn writes(sim: &Sim) -> Vec<String> {
        sim.requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

#[tokio::test(start_paused = true)]
async fn p_then_enter_on_the_second_profile_shows_its_flows_and_writes_go_to_it_alone() {
    let mut d = Two::start("api_key = \"key-beta\"");
    d.wait_text("page 1/2 (40 flows)").await;
    d.keys([ch('P')]);
    let screen = d.wait_text("Profiles").await;
    assert!(screen.contains("alpha  (in use)"), "{screen}");
    assert!(screen.contains("beta"), "{screen}");
    d.keys([ch('j'), press(KeyCode::Enter)]);
    let screen = d.wait_text("page 1/1 (12 flows)").await;
    assert!(screen.contains("127.0.0.1:1002"), "{screen}");
    assert!(!screen.contains("127.0.0.1:1001"), "{screen}");
    let first = d.runner.state.selected_id().unwrap();
    d.keys([ch(' ')]);
    d.wait_text(&format!("flow {first} switched")).await;
    assert_eq!(Two::writes(&d.b), vec![format!("POST /api/flows/{first}")]);
    assert_eq!(Two::writes(&d.a), Vec::<String>::new());
}

#[tokio::test(start_paused = true)]
async fn a_failing_switch_keeps_the_profile_in_use_and_says_why() {
    // beta's key is not the one its server takes.
    let mut d = Two::start("api_key = \"wrong\"");
    d.wait_text("page 1/2 (40 flows)").await;
    d.keys([ch('P'), ch('j'), press(KeyCode::Enter)]);
    let screen = d.wait_text("profile `beta` not switched to").await;
    assert!(screen.contains("127.0.0.1:1001"), "{screen}");
    assert!(screen.contains("page 1/2 (40 flows)"), "{screen}");
    assert!(!screen.contains("wrong"), "{screen}");
    d.keys([ch('x')]);
    let first = d.runner.state.selected_id().unwrap();
    d.keys([ch(' ')]);
    d.wait_text(&format!("flow {first} switched")).await;
    assert_eq!(Two::writes(&d.a), vec![format!("POST /api/flows/{first}")]);
    assert_eq!(Two::writes(&d.b), Vec::<String>::new());
}

#[tokio::test(start_paused = true)]
async fn p_is_refused_while_a_bulk_queue_runs() {
    let mut d = Two::start("api_key = \"key-beta\"");
    d.wait_text("page 1/2 (40 flows)").await;
    d.keys([ch('v'), ch('j'), ch('v'), ch(' '), ch('f')]);
    d.wait_text("Switch off 2 flows").await;
    d.keys([ch('y'), ch('P')]);
    d.runner.round().unwrap();
    assert!(d.runner.state.queue.is_some());
    let toast = d.runner.state.toast.clone().unwrap().text;
    assert_eq!(
        toast,
        "a bulk action is running: let it finish or stop it (Esc) before switching profile"
    );
    assert!(!d.screen().contains("Profiles"), "{}", d.screen());
    assert!(d.b.requests().is_empty(), "{:?}", Two::writes(&d.b));
}

/// The audit entries of the account at `base_url`: (flow, result).
async fn audited(history: &Recorder, base_url: &str) -> Vec<(Option<FlowKey>, String)> {
    history.flush().await;
    let account = Account::parse(base_url, None).unwrap();
    let entries = history
        .query(move |s| s.audit_entries(&account, jiff::Timestamp::UNIX_EPOCH))
        .await
        .unwrap()
        .unwrap();
    entries.into_iter().map(|e| (e.flow, e.result)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_switch_the_history_keeps_the_writes_under_the_new_account() {
    let (history, _events) = Recorder::in_memory();
    let mut d = Two::recording("api_key = \"key-beta\"", Some(&history));
    d.wait_text("page 1/2 (40 flows)").await;
    d.keys([ch('P'), ch('j'), press(KeyCode::Enter)]);
    d.wait_text("page 1/1 (12 flows)").await;
    let first = d.runner.state.selected_id().unwrap();
    d.keys([ch(' ')]);
    d.wait_text(&format!("flow {first} switched")).await;
    assert_eq!(
        audited(&history, URL_B).await,
        vec![(Some(FlowKey::Id(first.0)), "written".to_owned())]
    );
    assert_eq!(audited(&history, URL_A).await, Vec::new());
}
