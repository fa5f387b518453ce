//! One rate budget for every flowdash process on this machine (DESIGN §14): the built binary,
//! several processes at once, against one demo server, counted in the server's request log.
//! Debug builds read `FLOWDASH_BUDGET_WINDOW_MS`, so a "minute" here lasts two seconds.

#![expect(clippy::unwrap_used)]

pub mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use flowdash::sim::{Fault, Sim, SimConfig};
use support::Tui;

const WINDOW_MS: i64 = 2_000;
const BUDGET: usize = 6;

/// A demo server with still counters, on a runtime of its own so the test can block.
fn sim() -> (tokio::runtime::Runtime, Sim) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt.block_on(support::start_sim(SimConfig {
        traffic: false,
        ..SimConfig::default()
    }));
    (rt, sim)
}

/// The environment every process of one test shares: the demo server, its key, the budget and
/// the runtime directory where the shared file lives.
fn env(sim: &Sim, runtime: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("FLOWDASH_BASE_URL", sim.base_url()),
        ("FLOWDASH_API_KEY", "demo".to_owned()),
        ("FLOWDASH_BUDGET", BUDGET.to_string()),
        ("FLOWDASH_BUDGET_WINDOW_MS", WINDOW_MS.to_string()),
        ("XDG_RUNTIME_DIR", runtime.display().to_string()),
    ]
}

/// `flowdash ARGS` with a clean home of its own and the given environment.
fn flowdash(home: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flowdash"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("TZ", "UTC")
        .args(["--reserve", "2"])
        .args(args)
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Milliseconds of the day of a request-log time (`YYYY-MM-DD HH:MM:SS.mmm`, UTC).
fn ms_of(time: &str) -> i64 {
    let clock = time.split(' ').nth(1).unwrap();
    let (hms, ms) = clock.split_once('.').unwrap();
    let parts: Vec<i64> = hms.split(':').map(|p| p.parse().unwrap()).collect();
    ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000 + ms.parse::<i64>().unwrap()
}

/// The most requests the server saw in any window of `len` ms.
fn busiest_window(times: &[i64], len: i64) -> usize {
    times
        .iter()
        .map(|&t| times.iter().filter(|&&u| u >= t && u < t + len).count())
        .max()
        .unwrap_or(0)
}

#[test]
fn a_dashboard_and_two_loops_of_commands_share_one_budget() {
    let (_rt, sim) = sim();
    let runtime = tempfile::tempdir().unwrap();
    let env = env(&sim, runtime.path());
    let tui_env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tui = Tui::start(&["--reserve", "2"], &tui_env, 120, 30);
    support::eventually("the dashboard's first load", || {
        (!sim.requests().is_empty()).then_some(())
    });

    // Two shell loops of `flowdash list` beside the dashboard, for a few windows.
    let run_for = Duration::from_millis(4 * WINDOW_MS as u64);
    let loops: Vec<_> = (0..2)
        .map(|_| {
            let env = env.clone();
            std::thread::spawn(move || {
                let home = tempfile::tempdir().unwrap();
                let start = Instant::now();
                let mut outputs = Vec::new();
                while start.elapsed() < run_for {
                    outputs.push(flowdash(home.path(), &env, &["list"]));
                }
                outputs
            })
        })
        .collect();
    // The operator refreshes all the while.
    let start = Instant::now();
    while start.elapsed() < run_for {
        tui.send("r");
        std::thread::sleep(Duration::from_millis(150));
    }
    let outputs: Vec<Output> = loops.into_iter().flat_map(|l| l.join().unwrap()).collect();
    tui.send("q");
    tui.wait_exit();

    let log = sim.requests();
    assert!(log.iter().all(|r| r.status != 429), "the server said 429");
    for o in &outputs {
        assert!(o.status.success(), "{}", stderr(o));
    }
    assert!(
        outputs
            .iter()
            .any(|o| stderr(o).contains("waiting for the rate budget (")),
        "no command waited"
    );
    let mut times: Vec<i64> = log.iter().map(|r| ms_of(&r.time)).collect();
    times.sort_unstable();
    // The log holds arrival times, a little after each process counted its send; windows a
    // tenth shorter than the budget's leave room for that delay and nothing else.
    let busiest = busiest_window(&times, WINDOW_MS - WINDOW_MS / 10);
    assert!(
        busiest <= BUDGET,
        "{busiest} requests in one window: {times:?}"
    );
    // The budget was used, not just kept by sending little.
    assert!(times.len() >= 3 * BUDGET, "only {} requests", times.len());
}

#[test]
fn a_429_seen_by_one_process_stops_a_fresh_one() {
    let (_rt, sim) = sim();
    let runtime = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let env = env(&sim, runtime.path());
    sim.push_fault(Fault::RateLimitReset(30), 1);
    let first = flowdash(home.path(), &env, &["list"]);
    assert!(
        stderr(&first).contains("rate limited for 30 s"),
        "{}",
        stderr(&first)
    );

    // A new process, started after the 429, with a time-out shorter than the reset.
    let fresh = flowdash(home.path(), &env, &["--timeout", "2", "list"]);
    assert!(!fresh.status.success());
    assert!(
        stderr(&fresh).contains("rate limited"),
        "{}",
        stderr(&fresh)
    );
    assert_eq!(sim.requests().len(), 1, "the fresh process sent anyway");
}

#[test]
fn a_command_waits_out_another_process_s_429_then_sends() {
    let (_rt, sim) = sim();
    let runtime = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let env = env(&sim, runtime.path());
    sim.push_fault(Fault::RateLimitReset(2), 1);
    assert!(!flowdash(home.path(), &env, &["list"]).status.success());

    let fresh = flowdash(home.path(), &env, &["list"]);
    assert!(fresh.status.success(), "{}", stderr(&fresh));
    assert!(
        stderr(&fresh).contains("waiting for the rate budget (2 s)"),
        "{}",
        stderr(&fresh)
    );
    let log = sim.requests();
    assert_eq!(log.len(), 2);
    // The 429 was answered before its process stored the reset, so the next arrival is at
    // least the reset later (the log's milliseconds are truncated).
    let gap = ms_of(&log[1].time) - ms_of(&log[0].time);
    assert!(gap >= 1_999, "sent {gap} ms after the 429");
}

#[test]
fn a_file_locked_by_another_process_refuses_the_send() {
    let (_rt, sim) = sim();
    let runtime = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let env = env(&sim, runtime.path());
    assert!(flowdash(home.path(), &env, &["list"]).status.success());

    let path = runtime.path().join("flowdash/budget.sqlite3");
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let locked = flowdash(home.path(), &env, &["list"]);
    assert!(!locked.status.success());
    assert!(
        stderr(&locked)
            .contains("stayed locked by another flowdash process for a second; nothing was sent"),
        "{}",
        stderr(&locked)
    );
    assert_eq!(sim.requests().len(), 1, "sent while the file was locked");

    holder.execute_batch("COMMIT").unwrap();
    assert!(flowdash(home.path(), &env, &["list"]).status.success());
    assert_eq!(sim.requests().len(), 2);
}

#[test]
fn without_a_usable_file_commands_work_alone_with_one_warning() {
    let (_rt, sim) = sim();
    let runtime = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    // A file where the directory would go: nothing can be created there, not even by root.
    let blocked = runtime.path().join("not-a-dir");
    std::fs::write(&blocked, "").unwrap();
    let env = env(&sim, &blocked);
    let out = flowdash(home.path(), &env, &["list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(
        err.matches("warning: the shared rate budget is not available")
            .count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("this process counts its requests alone"),
        "{err}"
    );
    assert_eq!(sim.requests().len(), 1);
}

#[test]
fn a_dashboard_started_after_another_process_s_429_waits_for_the_reset() {
    let (_rt, sim) = sim();
    let runtime = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let env = env(&sim, runtime.path());
    sim.push_fault(Fault::RateLimitReset(30), 1);
    assert!(!flowdash(home.path(), &env, &["list"]).status.success());

    let tui_env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tui = Tui::start(&[], &tui_env, 120, 30);
    let screen = tui.wait_text("rate limited");
    // The countdown of the other process's 429, not a request of its own.
    assert_eq!(sim.requests().len(), 1, "{screen}");
    tui.send("q");
    tui.wait_exit();
    assert_eq!(
        sim.requests().len(),
        1,
        "the dashboard sent during the reset"
    );
}

#[test]
fn two_profiles_with_one_key_and_server_share_one_budget() {
    use std::os::unix::fs::PermissionsExt as _;
    let (_rt, sim) = sim();
    let runtime = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let url = sim.base_url();
    let config = home.path().join("config/flowdash/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    // The same server written two ways, and the same key.
    std::fs::write(
        &config,
        format!(
            "[profiles.a]\nbase_url = \"{}/\"\napi_key = \"demo\"\n\n[profiles.b]\nbase_url = \"{}\"\napi_key = \"demo\"\n",
            url.trim_end_matches('/'),
            url.trim_end_matches('/')
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    // A long window, so that a slot cannot free while the test runs.
    let env = vec![
        ("FLOWDASH_BUDGET", "3".to_owned()),
        ("FLOWDASH_BUDGET_WINDOW_MS", "60000".to_owned()),
        ("XDG_RUNTIME_DIR", runtime.path().display().to_string()),
    ];
    for profile in ["a", "b", "a"] {
        let o = flowdash(home.path(), &env, &["--profile", profile, "list"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let spent = flowdash(
        home.path(),
        &env,
        &["--profile", "b", "--timeout", "1", "list"],
    );
    assert!(!spent.status.success());
    assert!(
        stderr(&spent).contains(
            "the rate budget shared by every flowdash process using this key is spent for another"
        ),
        "{}",
        stderr(&spent)
    );
    assert_eq!(sim.requests().len(), 3, "a fourth request went out");
}
