//! The built binary in a pseudo-terminal against a demo server the test starts: what the operator
//! sees, and what the server ends up with.

pub mod support;

use flowdash::sim::{Fault, FlowEdit, Sim, SimConfig};
use support::{Tui, eventually};

async fn demo_server() -> Sim {
    support::still_sim("e2e-key").await
}

fn start_dashboard(sim: &Sim) -> Tui {
    support::dashboard_on(sim, "e2e-key", &[])
}

/// The value of `field` in the create the server received.
fn sent_on_create(sim: &Sim, field: &str) -> Option<String> {
    sim.requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/flows"))?
        .form
        .get(field)
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_session() {
    let sim = demo_server().await;
    let first = sim.flows()[0].clone();
    let second = sim.flows()[1].clone();
    let mut tui = start_dashboard(&sim);

    // The first page, with the first flow selected and detailed.
    let screen = tui.wait_text("page 1/2 (40 flows)");
    assert!(screen.contains(&first.name), "{screen}");
    assert!(
        !screen.contains("DEMO"),
        "a configured key is not the demo:\n{screen}"
    );

    // j moves to the second flow; space switches it to the other state.
    tui.send("j");
    tui.wait_for("the detail of the second flow", |s| {
        s.lines().any(|l| {
            l.contains('│')
                && l.split('│')
                    .nth(3)
                    .is_some_and(|d| d.contains(&second.name))
        })
    });
    tui.send(" ");
    let target = !second.is_enabled;
    eventually("the toggle on the server", || {
        (sim.flow(second.id)?.is_enabled == target).then_some(())
    });
    let word = if target { "on" } else { "off" };
    tui.wait_text(&format!("flow {} switched {word}", second.id));
    let toggles: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(&format!("/flows/{}", second.id)))
        .collect();
    assert_eq!(toggles.len(), 1);
    assert_eq!(
        toggles[0].form.keys().collect::<Vec<_>>(),
        vec!["is_enabled"],
        "a toggle sends only is_enabled"
    );

    // e, a changed name, Ctrl-S: the server has the new name and nothing else changed.
    tui.send("e");
    tui.wait_text(&format!("Edit flow {}", second.id));
    tui.send("\x1b[F"); // End
    tui.type_text(" v2");
    tui.send("\x13"); // Ctrl-S
    tui.wait_text(&format!("saved flow {}", second.id));
    let after = sim.flow(second.id).unwrap();
    assert_eq!(after.name, format!("{} v2", second.name));
    assert_eq!(after.content, second.content);
    assert_eq!(after.wait_time, second.wait_time);
    assert_eq!(after.segment, second.segment);
    assert_eq!(after.is_enabled, target);

    // n, name, Tab, content, Ctrl-S: the server has the new flow.
    tui.send("n");
    tui.wait_text("New flow");
    tui.wait_text("[ ] disabled");
    tui.type_text("Spring promo");
    tui.send("\t");
    tui.type_text("Hello {{NAME}}, spring is here");
    tui.send("\x13");
    let created = eventually("the new flow on the server", || {
        sim.flows().into_iter().find(|f| f.name == "Spring promo")
    });
    assert_eq!(created.content, "Hello {{NAME}}, spring is here");
    assert!(!created.is_enabled, "a new flow starts switched off");
    assert_eq!(sent_on_create(&sim, "is_enabled").as_deref(), Some("0"));
    tui.wait_text(&format!("created flow {}", created.id));

    // The new flow is on page 2; d, y deletes it from the server.
    tui.send("]");
    let screen = tui.wait_text("page 2/2 (41 flows)");
    assert!(screen.contains("Spring promo"), "{screen}");
    tui.send("G");
    tui.wait_for("the new flow selected", |s| {
        s.lines().any(|l| {
            l.split('│')
                .nth(3)
                .is_some_and(|d| d.contains("Spring promo"))
        })
    });
    tui.send("d");
    tui.wait_text(&format!("Delete flow {} \"Spring promo\"? y/N", created.id));
    tui.send("y");
    eventually("the flow gone from the server", || {
        sim.flow(created.id).is_none().then_some(())
    });
    tui.wait_text(&format!("deleted flow {}", created.id));

    // / filters the loaded flows by name.
    tui.send("[");
    tui.wait_text("page 1/2 (40 flows)");
    tui.send("/");
    tui.type_text("welcome");
    tui.send("\r");
    let screen = tui.wait_text("on this page · Esc clears");
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with("│ ●") || l.starts_with("│ ○"))
        .collect();
    assert!(!rows.is_empty(), "{screen}");
    for r in &rows {
        let name = r.split('│').nth(1).unwrap_or_default().to_lowercase();
        assert!(name.contains("welcome"), "a row that does not match: {r}");
    }

    tui.send("q");
    let status = tui.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    sim.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_restores_the_terminal() {
    let sim = demo_server().await;
    let mut tui = start_dashboard(&sim);
    tui.wait_text("page 1/2");
    let pid = tui.child.process_id().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    tui.wait_exit();
    let raw = tui.raw_text();
    let entered = raw
        .rfind("\x1b[?1049h")
        .expect("the alternate screen was entered");
    let left = raw
        .rfind("\x1b[?1049l")
        .expect("the alternate screen was left");
    assert!(
        left > entered,
        "left the alternate screen after entering it"
    );
    assert!(
        raw[left..].contains("\x1b[?25h") || raw[entered..].contains("\x1b[?25h"),
        "cursor shown again"
    );
    sim.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_name_keeps_the_production_delete_dialog_and_the_keys_typed_after_it() {
    let sim = demo_server().await;
    let first = sim.flows()[0].clone();
    // A production profile for the demo server: deletes ask for the flow's name.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_profile = \"prod\"\n[profiles.prod]\nbase_url = \"{}\"\napi_key = \"e2e-key\"\nproduction = true\n",
            sim.base_url()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let mut tui = Tui::start(
        &[],
        &[("FLOWDASH_CONFIG", config.to_str().unwrap())],
        120,
        40,
    );
    let screen = tui.wait_text("page 1/2 (40 flows)");
    assert!(screen.contains("PRODUCTION"), "{screen}");

    tui.send("d");
    tui.wait_text(&format!("Delete flow {} \"{}\"?", first.id, first.name));
    tui.type_text("Not the name");
    tui.send("\r");
    tui.wait_text("the name does not match");
    // An operator who missed the refusal goes on with table keys: switch, move, switch, delete.
    tui.type_text(" j dy ");
    tui.send("\r");
    let screen = tui.wait_for("the keys in the name field, or a write", |s| {
        s.contains("Not the name j dy") || s.contains("switched") || s.contains("deleting")
    });
    let writes: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {} {:?}", r.method, r.path, r.form))
        .collect();
    assert!(
        writes.is_empty(),
        "the server received writes: {writes:?}\n{screen}"
    );
    assert!(
        screen.contains(&format!("Delete flow {} \"{}\"?", first.id, first.name)),
        "the dialog stays open:\n{screen}"
    );

    // Esc closes it; the flow is still there, as it was.
    tui.send("\x1b");
    tui.wait_for("the dialog closed", |s| !s.contains("Delete flow"));
    assert_eq!(sim.flow(first.id), Some(first));
    tui.send("q");
    let status = tui.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    sim.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conflict_dialog_takes_its_keys_once_it_is_on_screen() {
    let sim = demo_server().await;
    let first = sim.flows()[0].clone();
    let mut tui = start_dashboard(&sim);
    tui.wait_text("page 1/2 (40 flows)");
    tui.send("e");
    tui.wait_text(&format!("Edit flow {}", first.id));
    tui.send("\x1b[F"); // End
    tui.type_text(" v2");
    // Someone changes the content in the web dashboard meanwhile.
    assert!(sim.edit_flow(
        first.id,
        FlowEdit {
            content: Some("Changed elsewhere".to_owned()),
            ..FlowEdit::default()
        }
    ));
    tui.send("\x13"); // Ctrl-S
    tui.wait_text("Conflict: this flow changed on the server");

    // It opened by itself, so it takes keys only once drawn and settled: an `m` before that is
    // dropped, and the operator presses it again.
    let start = std::time::Instant::now();
    'keep_mine: loop {
        assert!(
            start.elapsed() < support::PATIENCE,
            "the dialog never took m:\n{}",
            tui.screen()
        );
        tui.send("m");
        for _ in 0..10 {
            std::thread::sleep(std::time::Duration::from_millis(50));
            if !tui.screen().contains("Conflict:") {
                break 'keep_mine;
            }
        }
    }
    tui.wait_text(&format!("saved flow {}", first.id));
    let after = sim.flow(first.id).unwrap();
    assert_eq!(after.name, format!("{} v2", first.name));
    assert_eq!(after.content, "Changed elsewhere", "their content stays");
    let writes: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| (r.path, r.form.keys().cloned().collect::<Vec<_>>()))
        .collect();
    assert_eq!(
        writes,
        vec![(format!("/api/flows/{}", first.id), vec!["name".to_owned()])],
        "one write, of my change only"
    );
    tui.send("q");
    tui.wait_exit();
    sim.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_all_on_a_list_that_keeps_changing_says_so() {
    let sim = support::start_sim(SimConfig {
        api_key: "e2e-key".to_owned(),
        traffic: false,
        flows: 1003,
        ..SimConfig::default()
    })
    .await;
    let mut tui = start_dashboard(&sim);
    tui.wait_text("page 1/41 (1003 flows)");
    // From now on a flow is deleted after every page of the list is answered.
    sim.push_fault(Fault::ListShifts, 0);
    tui.send("A");
    let screen = tui.wait_text("the list changed while it was read");
    assert!(!screen.contains("loaded all"), "{screen}");
    tui.send("q");
    tui.wait_exit();
    sim.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_start_with_the_server_stopped_shows_the_last_snapshot() {
    let sim = demo_server().await;
    let first = sim.flows()[0].clone();
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.sqlite3");
    let args = ["--history", history.to_str().unwrap()];
    let env = [
        ("FLOWDASH_BASE_URL", sim.base_url()),
        ("FLOWDASH_API_KEY", "e2e-key".to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // A session that reads the first page, then ends: the page is kept as the snapshot.
    let mut tui = Tui::start(&args, &env, 120, 40);
    tui.wait_text("page 1/2 (40 flows)");
    tui.send("q");
    assert!(tui.wait_exit().success());

    // The server is gone; the next start shows what the last one saw, and says how old it is.
    sim.shutdown();
    let mut tui = Tui::start(&args, &env, 120, 40);
    let screen = tui.wait_text("offline · data");
    assert!(screen.contains(&first.name), "{screen}");
    assert!(screen.contains("page 1/2 (40 flows)"), "{screen}");
    tui.wait_text("error: loading flows");
    tui.send(" ");
    tui.wait_text("not connected: the server cannot be reached");
    tui.send("q");
    assert!(tui.wait_exit().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_never_writes_a_history_file() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let mut tui = Tui::start(&[], &[("XDG_DATA_HOME", data.to_str().unwrap())], 120, 40);
    tui.wait_text("DEMO");
    tui.wait_text("page 1/2 (40 flows)");
    tui.send("q");
    assert!(tui.wait_exit().success());
    let made: Vec<_> = walk(&data)
        .chain(walk(&tui.home.path().join(".local")))
        .collect();
    assert!(made.is_empty(), "files made by the demo: {made:?}");
}

/// Every file under `dir` (none when it does not exist).
fn walk(dir: &std::path::Path) -> impl Iterator<Item = std::path::PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                found.push(p);
            }
        }
    }
    found.into_iter()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn y_writes_the_osc52_copy_of_the_id_and_a_keys_problem_shows_at_start() {
    use base64::Engine as _;
    let sim = demo_server().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[keys]\ncopy_id = [\"y\", \"f5\"]\nsrot = \"o\"\n").unwrap();
    let config = config.display().to_string();
    let mut tui = support::dashboard_on(&sim, "e2e-key", &[("FLOWDASH_CONFIG", &config)]);
    tui.wait_text("`srot` is no action");
    tui.send("x");
    tui.wait_text("page 1/2");
    let second = sim.flows()[1].clone();
    tui.send("j");
    tui.send("y");
    tui.wait_text("sent to the terminal's clipboard");
    let id = second.id.to_string();
    let b64 = base64::engine::general_purpose::STANDARD.encode(id.as_bytes());
    let osc = format!("\x1b]52;c;{b64}\x07");
    eventually("the OSC 52 bytes", || {
        tui.raw_text().contains(&osc).then_some(())
    });
    assert_eq!(tui.raw_text().matches("\x1b]52;").count(), 1);
    tui.send("q");
    tui.wait_exit();
    sim.shutdown();
}
