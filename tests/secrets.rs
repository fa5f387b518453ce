//! The key never shows (DESIGN §5): not on screen, not in a trace-level log of a whole dashboard
//! session, not in error messages or help, not in panic output, not in snapshots.

#![expect(
    clippy::expect_used,
    reason = "test helpers: a failed setup must stop the test at once"
)]

pub mod support;

use std::path::Path;
use std::process::{Command, Output};

use flowdash::sim::{Fault, SimConfig};
use support::Tui;

/// A key no message could contain by chance.
const KEY: &str = "fdk-Q7v3SecretKey-93c1e0b8a4";

/// Every run of ten characters of the key: a cut or shortened key is found too.
fn assert_no_key(what: &str, text: &str) {
    let chars: Vec<char> = KEY.chars().collect();
    for window in chars.windows(10) {
        let part: String = window.iter().collect();
        assert!(
            !text.contains(&part),
            "{what} holds {part:?} of the key:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_log_of_a_whole_session_holds_no_key() {
    let sim = support::still_sim(KEY).await;
    let url = sim.base_url();
    let mut tui = Tui::start(
        &[],
        &[
            ("FLOWDASH_BASE_URL", &url),
            ("FLOWDASH_API_KEY", KEY),
            ("RUST_LOG", "trace"),
        ],
        120,
        40,
    );
    tui.wait_text("page 1/2 (40 flows)");
    // A toggle: a re-read and a write.
    let first = sim.flows()[0].clone();
    tui.send(" ");
    let word = if first.is_enabled { "off" } else { "on" };
    tui.wait_text(&format!("flow {} switched {word}", first.id));
    // An error: a refresh against a failing server, retried and then shown.
    sim.push_fault(Fault::Html502, 0);
    tui.send("r");
    tui.wait_text("error: loading flows");
    sim.clear_faults();
    tui.send("x");
    tui.send("q");
    let status = tui.wait_exit();
    assert!(status.success(), "exit status {status:?}");

    assert_no_key("the terminal output", &tui.raw_text());
    let log = std::fs::read_to_string(tui.log_path()).expect("the log file");
    // The log really is at trace level and covers the session.
    for expected in [
        "TRACE",
        "request",
        "retrying a read",
        "shown to the operator",
    ] {
        assert!(log.contains(expected), "{expected:?} in the log:\n{log}");
    }
    assert!(
        log.contains(&format!("method=POST path=flows/{}", first.id)),
        "the toggle in the log:\n{log}"
    );
    assert_no_key("the trace log", &log);
    assert!(
        !log.to_lowercase().contains("bearer "),
        "no Authorization header in the log:\n{log}"
    );
    sim.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_report_holds_no_key() {
    let sim = support::still_sim(KEY).await;
    let url = sim.base_url();
    let mut tui = Tui::start(
        &[],
        &[
            ("FLOWDASH_BASE_URL", &url),
            ("FLOWDASH_API_KEY", KEY),
            ("RUST_LOG", "trace"),
            ("RUST_BACKTRACE", "full"),
            // Debug builds: F12 panics (see `dashboard::test_panic`).
            ("FLOWDASH_TEST_PANIC", "1"),
        ],
        120,
        40,
    );
    tui.wait_text("page 1/2 (40 flows)");
    tui.send("\x1b[24~");
    let status = tui.wait_exit();
    assert!(!status.success(), "a panic fails the process: {status:?}");
    // The report may still be on its way through the pseudo-terminal.
    let raw = support::eventually("the panic report", || {
        let raw = tui.raw_text();
        raw.contains("flowdash::main").then_some(raw)
    });
    let report = raw
        .find("\x1b[?1049l")
        .map(|left| &raw[left..])
        .expect("the alternate screen was left before the report");
    assert!(
        report.contains("deliberate panic for a test"),
        "the report is printed on the restored terminal:\n{report}"
    );
    assert!(
        report.contains("flowdash::dashboard"),
        "with the full backtrace:\n{report}"
    );
    assert_no_key("the panic report", &raw);
    let log = std::fs::read_to_string(tui.log_path()).expect("the log file");
    assert_no_key("the log of a run that panicked", &log);
    sim.shutdown();
}

/// The binary with a clean home, these variables and arguments.
fn flowdash(env: &[(&str, &str)], args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("a temporary home");
    flowdash_in(home.path(), env, args)
}

/// The binary in `home` (its config file, if one was written, is read); the log it writes is
/// checked for the key.
fn flowdash_in(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flowdash"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("RUST_LOG", "trace")
        .env("RUST_BACKTRACE", "full");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the binary runs");
    let log = std::fs::read_to_string(home.join("state/flowdash/flowdash.log")).unwrap_or_default();
    assert_no_key(&format!("the log of {args:?}"), &log);
    out
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_errors_never_show_the_key() {
    let sim = support::still_sim(KEY).await;
    let url = sim.base_url();
    let good = [
        ("FLOWDASH_BASE_URL", url.as_str()),
        ("FLOWDASH_API_KEY", KEY),
    ];

    // The server refuses the key (the key is right for another server).
    let other = support::start_sim(SimConfig {
        traffic: false,
        ..SimConfig::default()
    })
    .await;
    let other_url = other.base_url();
    let out = flowdash(
        &[("FLOWDASH_BASE_URL", &other_url), ("FLOWDASH_API_KEY", KEY)],
        &["list"],
    );
    assert!(text(&out).contains("API key rejected"), "{}", text(&out));
    assert_no_key("a rejected key's error", &text(&out));
    // The same, with the key on the command line.
    let out = flowdash(
        &[("FLOWDASH_BASE_URL", &other_url)],
        &["--api-key", KEY, "show", "1"],
    );
    assert!(!out.status.success());
    assert_no_key("a rejected --api-key's error", &text(&out));

    // Bad answers of every kind.
    for (fault, expected) in [
        (Fault::Html500, "server error 500"),
        (Fault::Redirect, "redirected"),
        (Fault::InvalidJson, "could not be read"),
        (Fault::Reset, "cannot reach the server"),
    ] {
        sim.push_fault(fault, 0);
        let out = flowdash(&good, &["list"]);
        sim.clear_faults();
        assert!(!out.status.success());
        assert!(text(&out).contains(expected), "{}", text(&out));
        assert_no_key(expected, &text(&out));
    }
    // A write refused by the server, and one refused by flowdash.
    let out = flowdash(&good, &["update", "999", "--name", "x"]);
    assert!(!out.status.success());
    assert_no_key("an update of an unknown flow", &text(&out));
    let out = flowdash(&good, &["--read-only", "disable", "1"]);
    assert!(!out.status.success());
    assert_no_key("a read-only refusal", &text(&out));

    // No server at all; plain http to another host.
    sim.shutdown();
    let out = flowdash(&good, &["list"]);
    assert!(!out.status.success());
    assert_no_key("a connection error", &text(&out));
    let out = flowdash(
        &[
            ("FLOWDASH_BASE_URL", "http://example.com/api"),
            ("FLOWDASH_API_KEY", KEY),
        ],
        &["list"],
    );
    assert!(text(&out).contains("https"), "{}", text(&out));
    assert_no_key("a refused plain http URL", &text(&out));

    // Mistakes on the command line, with the key beside them.
    for args in [
        &["--api-key", KEY, "list", "--page", "0"][..],
        &["--api-key", KEY, "lsit"],
        &["--api-key", KEY, "list", "--per-page", "30"],
        &["--api-key", KEY, "--timeout", "0", "list"],
    ] {
        let out = flowdash(&good, args);
        assert!(!out.status.success(), "{args:?}");
        assert_no_key(&format!("the usage error of {args:?}"), &text(&out));
    }
    other.shutdown();
}

#[test]
fn help_shows_no_key_and_warns_about_ps() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["list", "--help"],
        &["help", "delete"],
        &["serve-demo", "--help"],
    ] {
        let out = flowdash(&[("FLOWDASH_API_KEY", KEY)], args);
        assert!(out.status.success(), "{args:?}");
        let help = text(&out);
        assert!(help.contains("--api-key"), "{args:?}: {help}");
        assert_no_key(&format!("{args:?}"), &help);
    }
    let out = flowdash(&[("FLOWDASH_API_KEY", KEY)], &["--help"]);
    assert!(
        text(&out).contains("visible to other users in `ps`"),
        "{}",
        text(&out)
    );
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("the README");
    assert!(
        readme
            .lines()
            .any(|l| l.contains("--api-key") && l.contains("`ps`")),
        "the README says --api-key shows in ps"
    );
}

#[test]
fn snapshots_hold_no_key() {
    let keys = [
        KEY,
        "e2e-key",
        "live-key",
        "Xq7-wrong-key",
        "k3y-WRONG-999",
        "k-from-command",
    ];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("tests/snapshots") {
        let path = entry.expect("an entry").path();
        let snap = std::fs::read_to_string(&path).expect("a snapshot");
        seen += 1;
        for key in keys {
            assert!(!snap.contains(key), "{} holds {key}", path.display());
        }
        assert!(
            !snap.to_lowercase().contains("bearer"),
            "{} holds a Bearer header",
            path.display()
        );
    }
    assert!(seen > 0, "no snapshots found in {dir}");
}

/// Writes the config file of `home`, readable by its owner only.
fn write_config(home: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    let path = home.join("config/flowdash/config.toml");
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("the config folder");
    std::fs::write(&path, text).expect("the config file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("its mode");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_repeats_the_key_back_is_redacted() {
    let sim = support::still_sim(KEY).await;
    let url = sim.base_url();
    flowdash::install_tls_provider();
    let http = reqwest::Client::new();
    // Set through the control endpoint, as an outside tool would, for every request.
    let set = http
        .post(format!("http://{}/_demo/fault", sim.addr()))
        .body(r#"{"kind":"echo_credentials","count":0}"#)
        .send()
        .await
        .expect("the control endpoint");
    assert!(set.status().is_success(), "{set:?}");
    // The server really does repeat the header, in the title and the body.
    let answer = http
        .get(format!("{url}/flows"))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status().as_u16(), 401);
    let body = answer.text().await.expect("a body");
    assert_eq!(body.matches(KEY).count(), 2, "{body}");

    let good = [
        ("FLOWDASH_BASE_URL", url.as_str()),
        ("FLOWDASH_API_KEY", KEY),
    ];
    for args in [&["list"][..], &["show", "1"], &["disable", "1"]] {
        let out = flowdash(&good, args);
        assert!(!out.status.success(), "{args:?}");
        let text = text(&out);
        assert!(
            text.contains("the server refused (401): Invalid credentials: Bearer <redacted>"),
            "{args:?}: {text}"
        );
        assert_no_key(&format!("the error of {args:?}"), &text);
    }
    // The key given on the command line, and the log at its default level.
    let out = flowdash(
        &[("FLOWDASH_BASE_URL", &url), ("RUST_LOG", "info")],
        &["--api-key", KEY, "list"],
    );
    assert!(text(&out).contains("Bearer <redacted>"), "{}", text(&out));
    assert_no_key("the error with --api-key", &text(&out));
    assert!(
        sim.requests()
            .iter()
            .filter(|r| r.path.starts_with("/api"))
            .all(|r| r.status == 401),
        "every API request was answered with the fault"
    );
    sim.shutdown();
}

#[test]
fn a_failing_api_key_command_that_prints_the_key_is_redacted() {
    let home = tempfile::tempdir().expect("a temporary home");
    write_config(
        home.path(),
        &format!(
            "default_profile = \"p\"\n[profiles.p]\nbase_url = \"http://127.0.0.1:9/api\"\napi_key_command = \"echo {KEY}; echo 'token {KEY} has expired' >&2; exit 1\"\n"
        ),
    );
    let out = flowdash_in(home.path(), &[], &["list"]);
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: api_key_command of profile `p` failed (exit status 1): token <redacted> has expired\n"
    );
}

#[test]
fn a_config_error_that_quotes_the_key_is_redacted() {
    // The key pasted into the wrong setting of another profile: the parser quotes it.
    let home = tempfile::tempdir().expect("a temporary home");
    write_config(
        home.path(),
        &format!(
            "default_profile = \"p\"\n[profiles.p]\napi_key = \"{KEY}\"\n[profiles.q]\npage_size = \"{KEY}\"\n"
        ),
    );
    let out = flowdash_in(home.path(), &[], &["list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 5") && err.contains("<redacted>"),
        "{err}"
    );
    assert_no_key("a config error", &err);

    // The key from the environment, pasted into the file by mistake.
    write_config(
        home.path(),
        &format!("[profiles.p]\ntimeout_secs = \"{KEY}\"\n"),
    );
    let out = flowdash_in(home.path(), &[("FLOWDASH_API_KEY", KEY)], &["list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("<redacted>"), "{err}");
    assert_no_key("a config error", &err);
}

#[test]
fn the_log_file_is_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = tempfile::tempdir().expect("a temporary home");
    let log = home.path().join("state/flowdash/flowdash.log");
    let mode = || {
        std::fs::metadata(&log)
            .expect("the log file")
            .permissions()
            .mode()
            & 0o777
    };
    let out = flowdash_in(home.path(), &[], &["list", "--demo"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(mode(), 0o600, "a new log file");
    // One made by an older version, readable by all, is narrowed.
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = flowdash_in(home.path(), &[], &["list", "--demo"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(mode(), 0o600, "an existing log file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_repeated_back_never_reaches_the_screen() {
    let sim = support::still_sim(KEY).await;
    let url = sim.base_url();
    let mut tui = Tui::start(
        &[],
        &[
            ("FLOWDASH_BASE_URL", &url),
            ("FLOWDASH_API_KEY", KEY),
            ("RUST_LOG", "trace"),
        ],
        160,
        40,
    );
    tui.wait_text("page 1/2 (40 flows)");
    sim.push_fault(Fault::EchoCredentials, 0);
    tui.send("r");
    tui.wait_text("Invalid credentials: Bearer <redacted>");
    sim.clear_faults();
    tui.send("x");
    tui.send("q");
    let status = tui.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    assert_no_key("the terminal output", &tui.raw_text());
    let log = std::fs::read_to_string(tui.log_path()).expect("the log file");
    assert!(
        log.contains("Bearer <redacted>"),
        "the error is logged:\n{log}"
    );
    assert_no_key("the log", &log);
    sim.shutdown();
}
