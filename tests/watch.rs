//! `flowdash watch` (DESIGN §14): the built binary against a demo server the test starts, with
//! failures injected and flows changed behind its back through the demo's `/_demo/` controls.
//! What is checked is what an operator sees: the lines it prints, the commands it runs, the
//! metrics it serves, what the server received and how it stops.

#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed setup must stop the test at once"
)]

pub mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flowdash::sim::{Sim, SimConfig};
use flowdash::store::{Account, Store};
use serde_json::Value;
use support::{PATIENCE, eventually, start_sim};
use tokio::io::{AsyncBufReadExt as _, BufReader};

const KEY: &str = "k-watch-5c1e9a-secret";

/// A demo server with still counters and room for fast polls.
async fn sim() -> Sim {
    start_sim(SimConfig {
        api_key: KEY.to_owned(),
        traffic: false,
        flows: 6,
        rate_limit: 10_000,
        ..SimConfig::default()
    })
    .await
}

/// `flowdash watch` running in the background, its output collected line by line.
struct Watching {
    child: tokio::process::Child,
    out: Arc<Mutex<Vec<String>>>,
    err: Arc<Mutex<Vec<String>>>,
}

fn collect(
    from: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    into: Arc<Mutex<Vec<String>>>,
) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(from).lines();
        while let Ok(Some(l)) = lines.next_line().await {
            into.lock().unwrap().push(l);
        }
    });
}

/// The environment every run gets: a home of its own in `home`, the server and its key.
fn command(home: &Path, sim: &Sim, args: &[&str]) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_flowdash"));
    for var in ["FLOWDASH_PROFILE", "FLOWDASH_CONFIG", "RUST_LOG", "CI"] {
        c.env_remove(var);
    }
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("TZ", "UTC")
        .env("FLOWDASH_BASE_URL", sim.base_url())
        .env("FLOWDASH_API_KEY", KEY)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .args(args);
    c
}

impl Watching {
    /// `flowdash watch ARGS` with a budget that lets it poll every `--every`.
    fn start(home: &Path, sim: &Sim, args: &[&str]) -> Watching {
        let mut all = vec!["--budget", "600", "--reserve", "10", "watch"];
        all.extend_from_slice(args);
        let mut c = command(home, sim, &all);
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        let err = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().unwrap(), out.clone());
        collect(child.stderr.take().unwrap(), err.clone());
        Watching { child, out, err }
    }

    fn out(&self) -> Vec<String> {
        self.out.lock().unwrap().clone()
    }

    fn err(&self) -> Vec<String> {
        self.err.lock().unwrap().clone()
    }

    /// The JSON objects printed so far.
    fn events(&self) -> Vec<Value> {
        self.out()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// Waits for an event of `name` in `state` for flow `id`.
    async fn wait_event(&self, name: &str, state: &str, id: u64) -> Value {
        let start = Instant::now();
        loop {
            let found = self
                .events()
                .into_iter()
                .find(|e| e["name"] == name && e["state"] == state && e["flow_id"] == id);
            if let Some(e) = found {
                return e;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "waited for {name} {state} of flow {id}; out: {:?}, err: {:?}",
                self.out(),
                self.err()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for a line on stderr that contains `text`.
    async fn wait_err(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(l) = self.err().into_iter().find(|l| l.contains(text)) {
                return l;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "waited for {text:?} on stderr: {:?}",
                self.err()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends `signal` and waits for the end; the exit status.
    async fn stop(mut self, signal: &str) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().unwrap().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-s", signal, &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("watch did not stop"))
            .unwrap();
        (status, self.out())
    }
}

/// Changes a flow behind flowdash's back through `/_demo/flows/{id}`.
async fn edit(sim: &Sim, id: u64, body: Value) {
    flowdash::install_tls_provider();
    let r = reqwest::Client::new()
        .post(format!("http://{}/_demo/flows/{id}", sim.addr()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

/// How many messages the watch has seen polls of: list requests the server received.
fn polls(sim: &Sim) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/flows"))
        .count()
}

/// Waits until the server has answered `n` more list requests than `from`.
async fn more_polls(sim: &Sim, from: usize, n: usize) {
    let start = Instant::now();
    while polls(sim) < from + n {
        assert!(start.elapsed() < PATIENCE, "watch stopped polling");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn history(home: &Path) -> PathBuf {
    home.join("data/flowdash/history.sqlite3")
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_json_tells_failures_and_a_flow_switched_off_behind_its_back() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    let w = Watching::start(home.path(), &sim, &["--every", "0.2", "--json"]);
    more_polls(&sim, 0, 2).await;
    // Nothing moved yet: no alert, whatever the counters the flows start with.
    assert_eq!(w.out(), Vec::<String>::new());

    // 60 failures of flow 3 in a moment, with no send: 100 % of what finished failed.
    let failed = sim.flow(3).unwrap().total_failed_sms;
    edit(
        &sim,
        3,
        serde_json::json!({ "total_failed_sms": failed + 60 }),
    )
    .await;
    let e = w.wait_event("failed_share", "firing", 3).await;
    assert_eq!(e["rule"], "failed_share");
    assert_eq!(e["value"], 1.0);
    assert_eq!(e["flow"], sim.flow(3).unwrap().name.as_str());
    // The fields of DESIGN §14, in its order.
    let raw = w
        .out()
        .into_iter()
        .find(|l| l.contains("\"flow_id\":3"))
        .unwrap();
    let at: Vec<usize> = [
        "time", "name", "rule", "state", "flow_id", "flow", "value", "text",
    ]
    .iter()
    .map(|k| raw.find(&format!("\"{k}\":")).unwrap())
    .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{raw}");
    assert_eq!(e.as_object().unwrap().len(), 8);
    assert!(
        e["text"]
            .as_str()
            .unwrap()
            .contains("100.0 % of the messages of the last 30 min failed"),
        "{e}"
    );

    // Flow 1 is on; someone switches it off in the web dashboard.
    assert!(sim.flow(1).unwrap().is_enabled);
    edit(&sim, 1, serde_json::json!({ "is_enabled": false })).await;
    let e = w.wait_event("switched_off", "firing", 1).await;
    assert!(e["value"].is_null());
    assert!(
        e["text"]
            .as_str()
            .unwrap()
            .ends_with("switched off, not by flowdash on this machine")
    );
    // And on again: resolved, once.
    edit(&sim, 1, serde_json::json!({ "is_enabled": true })).await;
    w.wait_event("switched_off", "resolved", 1).await;
    let before = polls(&sim);
    more_polls(&sim, before, 3).await;
    let (status, out) = w.stop("TERM").await;
    assert!(status.success(), "{status:?}");
    let count = |name: &str, state: &str, id: u64| {
        out.iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["name"] == name && e["state"] == state && e["flow_id"] == id)
            .count()
    };
    assert_eq!(count("failed_share", "firing", 3), 1, "{out:?}");
    assert_eq!(count("switched_off", "firing", 1), 1, "{out:?}");
    assert_eq!(count("switched_off", "resolved", 1), 1, "{out:?}");
    // The server received reads only (the test's own changes aside).
    let api: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| !r.path.starts_with("/_demo"))
        .collect();
    assert!(api.iter().all(|r| r.method == "GET"), "{api:?}");
    // The store was flushed before the end: the readings and the events are there.
    let store = Store::open_read_only(&history(home.path()))
        .unwrap()
        .unwrap();
    let account = Account::parse(&sim.base_url(), None).unwrap();
    let events = store
        .alert_events(&account, jiff::Timestamp::UNIX_EPOCH)
        .unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
    let firing = store.firing_alerts(&account).unwrap();
    assert_eq!(firing.len(), 1);
    assert_eq!(firing[0].name, "failed_share");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_watchers_side_by_side_and_a_restart_fire_an_alert_once() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    let a = Watching::start(home.path(), &sim, &["--every", "0.2", "--json"]);
    let b = Watching::start(home.path(), &sim, &["--every", "0.2", "--json"]);
    more_polls(&sim, 0, 4).await;
    let failed = sim.flow(4).unwrap().total_failed_sms;
    edit(
        &sim,
        4,
        serde_json::json!({ "total_failed_sms": failed + 40 }),
    )
    .await;
    let start = Instant::now();
    while a.out().len() + b.out().len() == 0 {
        assert!(start.elapsed() < PATIENCE, "no watcher told the alert");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Both keep polling and judging the same failures; neither tells them again.
    let now = polls(&sim);
    more_polls(&sim, now, 6).await;
    let (_, out_a) = a.stop("INT").await;
    let (_, out_b) = b.stop("INT").await;
    let all: Vec<&String> = out_a.iter().chain(&out_b).collect();
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].contains("\"state\":\"firing\"") && all[0].contains("\"flow_id\":4"));

    // A restart on the same history finds the alert firing and says nothing.
    let c = Watching::start(home.path(), &sim, &["--every", "0.2", "--json"]);
    let now = polls(&sim);
    more_polls(&sim, now, 4).await;
    let (status, out) = c.stop("TERM").await;
    assert!(status.success());
    assert_eq!(out, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flow_switched_off_from_this_machine_raises_no_alert() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    let w = Watching::start(home.path(), &sim, &["--every", "0.2", "--json"]);
    more_polls(&sim, 0, 2).await;
    // `flowdash disable` on this machine switches flow 1 off: its write is in the audit...
    let disabled = command(home.path(), &sim, &["disable", "1"])
        .output()
        .await
        .unwrap();
    assert!(disabled.status.success(), "{disabled:?}");
    assert!(!sim.flow(1).unwrap().is_enabled);
    // ...while flow 6 is switched off by someone else.
    assert!(sim.flow(6).unwrap().is_enabled);
    edit(&sim, 6, serde_json::json!({ "is_enabled": false })).await;
    w.wait_event("switched_off", "firing", 6).await;
    let now = polls(&sim);
    more_polls(&sim, now, 3).await;
    let (_, out) = w.stop("TERM").await;
    assert_eq!(out.len(), 1, "only flow 6: {out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_hook_gets_the_alert_and_never_the_key() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    let env_file = home.path().join("hook.env");
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "builtin_alerts = false\n\
             [[alerts]]\n\
             name = \"off\"\n\
             rule = \"switched_off\"\n\
             notify = [\"command\", \"desktop\"]\n\
             command = 'env > {}'\n",
            env_file.display()
        ),
    )
    .unwrap();
    let w = Watching::start(
        home.path(),
        &sim,
        &["--config", config.to_str().unwrap(), "--every", "0.2"],
    );
    more_polls(&sim, 0, 2).await;
    edit(&sim, 1, serde_json::json!({ "is_enabled": false })).await;
    let env = eventually("the hook's environment", || {
        std::fs::read_to_string(&env_file)
            .ok()
            .filter(|t| t.contains("FLOWDASH_ALERT_TEXT"))
    });
    let var = |name: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
    };
    assert_eq!(var("FLOWDASH_ALERT_NAME").as_deref(), Some("off"));
    assert_eq!(var("FLOWDASH_ALERT_RULE").as_deref(), Some("switched_off"));
    assert_eq!(var("FLOWDASH_ALERT_STATE").as_deref(), Some("firing"));
    assert_eq!(var("FLOWDASH_ALERT_FLOW_ID").as_deref(), Some("1"));
    assert_eq!(
        var("FLOWDASH_ALERT_FLOW"),
        Some(sim.flow(1).unwrap().name.clone())
    );
    assert_eq!(var("FLOWDASH_ALERT_VALUE").as_deref(), Some(""));
    assert_eq!(var("FLOWDASH_ALERT_COUNT").as_deref(), Some("1"));
    assert!(var("FLOWDASH_ALERT_TEXT").unwrap().contains("switched off"));
    assert_eq!(var("FLOWDASH_API_KEY"), None);
    assert!(!env.contains(KEY), "the key reached the hook");
    // The plain output: one line, with the time, the state, the name and the text.
    let line = eventually("the event line", || w.out().into_iter().next());
    assert!(
        line.contains("  firing    off: flow 1 \"")
            && line.ends_with("switched off, not by flowdash on this machine"),
        "{line}"
    );
    // Output that is not a terminal, and no notify-send on this PATH: said once.
    w.wait_err("desktop notifications need a terminal or notify-send")
        .await;
    let (status, out) = w.stop("TERM").await;
    assert!(status.success());
    assert!(!out.concat().contains('\x1b'), "no OSC into a pipe");
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_that_start_in_one_poll_make_one_notification() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    let runs = home.path().join("runs.txt");
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[alerts]]\n\
             name = \"switched_off\"\n\
             rule = \"switched_off\"\n\
             notify = [\"command\"]\n\
             command = 'printf \"%s|%s\\n\" \"$FLOWDASH_ALERT_COUNT\" \"$FLOWDASH_ALERT_FLOW_ID\" | tr \"\\n\" \" \" >> {}; echo >> {}'\n",
            runs.display(),
            runs.display()
        ),
    )
    .unwrap();
    let w = Watching::start(
        home.path(),
        &sim,
        &["--config", config.to_str().unwrap(), "--every", "1"],
    );
    more_polls(&sim, 0, 2).await;
    // Right after a poll: the next one is a second away, and sees both switched off.
    edit(&sim, 1, serde_json::json!({ "is_enabled": false })).await;
    edit(&sim, 6, serde_json::json!({ "is_enabled": false })).await;
    let text = eventually("the command's run", || {
        std::fs::read_to_string(&runs)
            .ok()
            .filter(|t| t.ends_with('\n'))
    });
    let now = polls(&sim);
    more_polls(&sim, now, 2).await;
    let (_, out) = w.stop("TERM").await;
    assert_eq!(out.len(), 2, "a line per alert: {out:?}");
    assert_eq!(
        std::fs::read_to_string(&runs).unwrap(),
        "2|1 6 \n",
        "one run for both: {text:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn polling_stays_inside_a_short_budget_and_never_bursts() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    // A budget of 3 a minute with 1 kept for the operator: 2 polls a minute, whatever
    // --every says.
    let mut c = command(
        home.path(),
        &sim,
        &["--budget", "3", "--reserve", "1", "watch", "--every", "0.1"],
    );
    let mut child = c
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    more_polls(&sim, 0, 2).await;
    // Ten times the pace --every asks for passes without a third request.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sim.requests().len(), 2, "{:?}", sim.requests());
    assert!(
        child.try_wait().unwrap().is_none(),
        "watch is still running"
    );
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_that_cannot_be_read_stops_watch_before_it_starts() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "[[alerts]]\nrule = \"failure_share\"\n").unwrap();
    let out = command(
        home.path(),
        &sim,
        &["--config", config.to_str().unwrap(), "watch"],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: config file {}, line 2: [[alerts]] `rule` is `failure_share`: use one of failed_share, pending_stuck, silent, switched_off\n",
            config.display()
        )
    );
    assert!(sim.requests().is_empty());
}

/// `promtool` on `PATH`. Absent: a failure when `CI=true` (`.ci/run` installs the Debian
/// `prometheus` package, which ships it), else a note and the check is left out.
fn promtool() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|d| d.join("promtool"))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "promtool is not installed: CI needs it (apt-get install prometheus)"
        );
        eprintln!("note: promtool is not installed; the check is left out");
    }
    found
}

/// Runs `promtool ARGS` with `input` on stdin; its output, after asserting success.
fn run_promtool(promtool: &Path, args: &[&str], input: &str) -> String {
    use std::io::Write as _;
    let mut child = std::process::Command::new(promtool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?}: {text}");
    text
}

async fn scrape(addr: &str) -> (String, String) {
    flowdash::install_tls_provider();
    let r = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert!(r.status().is_success());
    let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
    (kind, r.text().await.unwrap())
}

/// The value of the one series of `name` whose labels contain `labels`.
fn value(body: &str, name: &str, labels: &str) -> Option<f64> {
    body.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) && l.contains(labels))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .next()
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_follow_the_counters_hold_through_drift_and_drop_deleted_flows() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    let w = Watching::start(
        home.path(),
        &sim,
        &["--every", "0.2", "--metrics", "127.0.0.1:0"],
    );
    let line = w.wait_err("metrics at http://").await;
    let addr = line
        .trim_start_matches("metrics at http://")
        .trim_end_matches("/metrics")
        .to_owned();
    more_polls(&sim, 0, 2).await;
    let (kind, body) = scrape(&addr).await;
    assert_eq!(kind, "text/plain; version=0.0.4");
    assert!(!body.contains(KEY));
    let one = sim.flow(1).unwrap();
    let flow1 = "flow_id=\"1\"";
    assert_eq!(
        value(&body, "flowdash_flow_sms_sent_total", flow1),
        Some(one.total_sent_sms as f64)
    );
    assert_eq!(
        value(&body, "flowdash_flow_sms_pending", flow1),
        Some(one.total_pending_sms as f64)
    );
    assert_eq!(value(&body, "flowdash_flow_enabled", flow1), Some(1.0));
    let info: Vec<&str> = body
        .lines()
        .filter(|l| l.starts_with("flowdash_flow_info{") && l.contains(flow1))
        .collect();
    assert_eq!(info.len(), 1, "{info:?}");
    assert!(info[0].contains(&format!("flow=\"{}\"", one.name)));
    assert!(
        value(&body, "flowdash_api_requests_total", "status=\"200\"").unwrap() >= 2.0,
        "{body}"
    );

    // The server's counter falls by 100 (drift): the series holds...
    let sent = one.total_sent_sms;
    edit(&sim, 1, serde_json::json!({ "total_sent_sms": sent - 100 })).await;
    let now = polls(&sim);
    more_polls(&sim, now, 2).await;
    let (_, body) = scrape(&addr).await;
    assert_eq!(
        value(&body, "flowdash_flow_sms_sent_total", flow1),
        Some(sent as f64)
    );
    // ...and then adds only the rises.
    edit(&sim, 1, serde_json::json!({ "total_sent_sms": sent - 93 })).await;
    let now = polls(&sim);
    more_polls(&sim, now, 2).await;
    let (_, body) = scrape(&addr).await;
    assert_eq!(
        value(&body, "flowdash_flow_sms_sent_total", flow1),
        Some((sent + 7) as f64)
    );

    // Flow 5 is deleted: its series go.
    assert!(body.contains("flow_id=\"5\""));
    let r = reqwest::Client::new()
        .delete(format!("{}/flows/5", sim.base_url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let now = polls(&sim);
    more_polls(&sim, now, 2).await;
    let (_, body) = scrape(&addr).await;
    assert!(!body.contains("flow_id=\"5\""), "{body}");

    if let Some(promtool) = promtool() {
        let problems = run_promtool(&promtool, &["check", "metrics"], &body);
        assert_eq!(problems.trim(), "", "promtool found problems");
    }
    let (status, _) = w.stop("TERM").await;
    assert!(status.success());
}

#[test]
fn the_prometheus_files_are_valid_and_say_switched_off_has_no_form_there() {
    let rules = include_str!("../assets/alerts.yml");
    assert!(rules.contains("switched_off has no Prometheus form"));
    for rule in ["failed_share", "pending_stuck"] {
        assert!(rules.contains(&format!("rule: {rule}")), "{rule}");
    }
    let Some(promtool) = promtool() else {
        return;
    };
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let out = std::process::Command::new(&promtool)
        .args(["check", "rules", "alerts.yml"])
        .current_dir(&assets)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("SUCCESS: 3 rules found"));
    let out = std::process::Command::new(&promtool)
        .args(["check", "config", "prometheus.yml"])
        .current_dir(&assets)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn the_service_unit_reads_the_key_from_a_file_or_a_credential_never_from_environment() {
    let unit = include_str!("../assets/flowdash-watch.service");
    let active: Vec<&str> = unit
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(
        active.iter().all(|l| !l.starts_with("Environment=")),
        "{active:?}"
    );
    assert!(active.contains(&"EnvironmentFile=%h/.config/flowdash/watch.env"));
    assert!(unit.contains("install -Dm600 /dev/null ~/.config/flowdash/watch.env"));
    assert!(unit.contains("LoadCredential=flowdash-api-key:"));
    assert!(
        active
            .iter()
            .any(|l| l.starts_with("ExecStart=") && l.contains(" watch"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_key_stops_watch_with_status_1() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    let out = command(home.path(), &sim, &["watch", "--every", "0.2"])
        .env("FLOWDASH_API_KEY", "not-the-key")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines().last().unwrap().starts_with("error: ") && err.contains("key"),
        "{err}"
    );
    assert!(!err.contains("not-the-key"));
}

#[tokio::test(flavor = "multi_thread")]
async fn on_the_shipped_build_flows_are_told_apart_by_creation_time_and_name() {
    let sim = start_sim(SimConfig {
        api_key: KEY.to_owned(),
        traffic: false,
        flows: 6,
        rate_limit: 10_000,
        quirks: true,
        ..SimConfig::default()
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let w = Watching::start(home.path(), &sim, &["--every", "0.2", "--json"]);
    w.wait_err("does not identify flows reliably").await;
    let name = sim.flow(1).unwrap().name;
    edit(&sim, 1, serde_json::json!({ "is_enabled": false })).await;
    let start = Instant::now();
    let e = loop {
        if let Some(e) = w.events().into_iter().find(|e| e["flow"] == name.as_str()) {
            break e;
        }
        assert!(start.elapsed() < PATIENCE, "{:?} {:?}", w.out(), w.err());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(e["name"], "switched_off");
    assert!(e["flow_id"].is_null(), "{e}");
    assert!(
        e["text"]
            .as_str()
            .unwrap()
            .starts_with(&format!("flow \"{name}\": "))
    );
    let (status, _) = w.stop("TERM").await;
    assert!(status.success());
}
