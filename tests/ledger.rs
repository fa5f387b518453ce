//! The request ledger (DESIGN §16) from outside: the built binary in a pseudo-terminal, whose
//! raw bytes show the `L` screen and the OSC 52 copy of a call, and `--verbose` on a command;
//! and the client's own record, in process. The key is in none of them.

#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed setup must stop the test at once"
)]

pub mod fixtures;
pub mod support;

use base64::Engine as _;
use flowdash::api::{ApiKey, Client, ClientConfig, Lane};
use flowdash::budget::Priority;
use flowdash::sim::{Fault, Sim, SimConfig};

/// A key no output could contain by chance.
const KEY: &str = "fdk-ledger-Zq81Secret-5be0";

/// The texts the program asked the terminal to copy (OSC 52), decoded.
fn copies(raw: &str) -> Vec<String> {
    raw.split("\x1b]52;c;")
        .skip(1)
        .map(|rest| {
            let b64 = rest.split('\x07').next().unwrap();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            String::from_utf8(bytes).unwrap()
        })
        .collect()
}

/// The words `sh` makes of a command line, with `$FLOWDASH_API_KEY` set to `key`.
fn words(cmd: &str, key: &str) -> Vec<String> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("set -- {cmd}; printf '%s\\0' \"$@\""))
        .env_clear()
        .env("FLOWDASH_API_KEY", key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{cmd}");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_terminator('\0')
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l_shows_the_calls_and_enter_copies_one_as_curl_without_the_key() {
    let sim = support::still_sim(KEY).await;
    let first = sim.flows()[0].clone();
    let mut tui = support::dashboard_on(&sim, KEY, &[]);
    tui.wait_text("page 1/2 (40 flows)");
    tui.send(" ");
    let word = if first.is_enabled { "off" } else { "on" };
    tui.wait_text(&format!("flow {} switched {word}", first.id));
    tui.send("L");
    let screen = tui.wait_text("Request ledger");
    let screen = if screen.contains("POST") {
        screen
    } else {
        tui.wait_text("POST")
    };
    assert!(
        screen.contains(&format!("POST   /api/flows/{}  200", first.id)),
        "{screen}"
    );
    tui.send("\r");
    tui.wait_text(flowdash::app::clipboard::SENT);
    tui.send("q");
    tui.wait_for("the list again", |s| !s.contains("Request ledger"));
    tui.send("q");
    let status = tui.wait_exit();
    assert!(status.success(), "exit status {status:?}");

    let raw = tui.raw_text();
    assert!(!raw.contains(KEY), "the key reached the terminal");
    let copied = copies(&raw);
    assert_eq!(copied.len(), 1, "{copied:?}");
    let curl = &copied[0];
    assert!(!curl.contains(KEY), "{curl}");
    assert!(
        curl.contains(" -H \"Authorization: Bearer $FLOWDASH_API_KEY\""),
        "{curl}"
    );
    // What a shell makes of it: the call the server received, the key from the environment.
    let sent = sim
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST")
        .unwrap();
    let mut want = vec![
        "curl".to_owned(),
        format!("{}/flows/{}", sim.base_url(), first.id),
        "-H".to_owned(),
        "Authorization: Bearer from-the-environment".to_owned(),
    ];
    for (name, value) in &sent.form {
        want.push("--data-urlencode".to_owned());
        want.push(format!("{name}={value}"));
    }
    assert_eq!(words(curl, "from-the-environment"), want, "{curl}");
    sim.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_prints_a_line_per_request_on_stderr_and_never_the_key() {
    let sim = support::still_sim(KEY).await;
    let home = tempfile::tempdir().unwrap();
    let url = sim.base_url();
    let envs = [
        ("FLOWDASH_BASE_URL", url.as_str()),
        ("FLOWDASH_API_KEY", KEY),
    ];
    let run = fixtures::run(home.path(), &envs, &["--verbose", "list", "--all"]).await;
    assert!(run.ok, "{}", run.err);
    let sent = sim.requests();
    let lines: Vec<&str> = run.err.lines().filter(|l| l.contains(" ms ")).collect();
    assert_eq!(lines.len(), sent.len(), "{}", run.err);
    for (line, req) in lines.iter().zip(&sent) {
        let path = if req.query.is_empty() {
            req.path.clone()
        } else {
            format!("{}?{}", req.path, req.query)
        };
        assert!(
            line.contains(&format!("{:<6} {path}  200", req.method)),
            "{line} for {path}"
        );
    }
    assert!(!run.out.contains(KEY) && !run.err.contains(KEY));
    assert!(!run.out.contains(" ms "), "the ledger stays off stdout");

    // Without the flag, nothing of it.
    let quiet = fixtures::run(home.path(), &envs, &["list"]).await;
    assert!(quiet.ok, "{}", quiet.err);
    assert!(!quiet.err.contains(" ms "), "{}", quiet.err);
    sim.shutdown();
}

#[tokio::test(start_paused = true)]
async fn the_client_records_every_attempt_in_its_lane_and_clones_share_the_ledger() {
    let sim = Sim::start_in_memory(SimConfig {
        api_key: KEY.to_owned(),
        traffic: false,
        ..SimConfig::default()
    })
    .unwrap();
    let mut cfg = ClientConfig::new(sim.base_url(), ApiKey::new(KEY));
    cfg.in_process = Some(sim.in_process());
    let client = Client::new(cfg).unwrap();
    // An operator's read that meets a 502: the retry goes in the live lane's share.
    sim.push_fault(Fault::Html502, 1);
    client
        .get_flow(flowdash::domain::FlowId(2), Priority::Operator)
        .await
        .unwrap();
    // A watch handle, a clone: its call lands in the same ledger.
    let watch = client.in_lane(Lane::Watch);
    watch.list_flows(2, 25, Priority::Poll).await.unwrap();
    let seen: Vec<_> = client
        .ledger()
        .calls()
        .into_iter()
        .map(|c| (c.method, c.path, c.status, c.lane))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "GET".to_owned(),
                "/api/flows/2".to_owned(),
                Some(502),
                Lane::Operator
            ),
            (
                "GET".to_owned(),
                "/api/flows/2".to_owned(),
                Some(200),
                Lane::Live
            ),
            (
                "GET".to_owned(),
                "/api/flows?page=2&results_per_page=25".to_owned(),
                Some(200),
                Lane::Watch
            ),
        ]
    );
    let calls = client.ledger().calls();
    assert!(calls.iter().all(|c| c.bytes > 0), "{calls:?}");
    assert!(!format!("{calls:?}").contains(KEY));
}
