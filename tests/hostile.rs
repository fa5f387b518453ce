//! Hostile text through the whole stack (DESIGN §8): a demo server whose flow names and contents
//! are full of terminal escapes, bidi controls, zero-width and control characters. Whatever the
//! dashboard and the command line write must hold none of the injected sequences, and the names
//! must stay readable.

#![expect(
    clippy::expect_used,
    reason = "test helpers: a failed setup must stop the test at once"
)]

pub mod support;

use flowdash::sim::{Fault, Sim, SimConfig};
use support::Tui;

/// The injected payloads, as they would reach a terminal if nothing cleaned them. The dashboard
/// writes CSI sequences of its own to draw, so these are the specific ones the server sends.
const INJECTED: &[(&str, &str)] = &[
    ("an OSC introducer (title, clipboard)", "\u{1b}]"),
    ("the OSC 0 title text", "pwned title"),
    ("the OSC 52 clipboard payload", "ZWNobyBoYWNrZWQ="),
    ("a DCS introducer", "\u{1b}P"),
    ("the DCS payload", "+q544e"),
    ("a clear screen", "\u{1b}[2J"),
    ("blink", "\u{1b}[5m"),
    ("a lone ESC inside a name", "lone \u{1b}"),
    ("a C1 CSI", "\u{9b}"),
    ("a C1 string terminator", "\u{9c}"),
    ("a right-to-left override", "\u{202e}"),
    ("a pop directional formatting", "\u{202c}"),
    ("a left-to-right isolate", "\u{2066}"),
    ("a right-to-left isolate", "\u{2067}"),
    ("a first strong isolate", "\u{2068}"),
    ("a pop directional isolate", "\u{2069}"),
    ("a zero-width space", "\u{200b}"),
    ("a zero-width joiner", "\u{200d}"),
    ("a word joiner", "\u{2060}"),
    ("a byte order mark", "\u{feff}"),
    ("a backspace", "\u{8}"),
    ("a CR inside a name", "carriage\r"),
    ("a LF inside a name", "line\nfeed"),
    ("a TAB inside a name", "tab\tbed"),
];

/// What the hostile names read as, once cleaned.
const READABLE: &[&str] = &[
    "Window title",
    "Clipboard write",
    "Cleared blinking",
    "Device control",
    "desrever right-to-left override",
    "left right first strong isolates",
    "zerowidthjoinerbom",
    "carriage return",
    "line feed",
    "tab bed",
    "backspace",
];

fn assert_nothing_injected(what: &str, out: &str) {
    for (name, payload) in INJECTED {
        assert!(
            !out.contains(payload),
            "{what} holds {name} ({payload:?}):\n{}",
            out.escape_debug()
        );
    }
}

async fn hostile_server() -> Sim {
    let sim = support::start_sim(SimConfig {
        traffic: false,
        ..SimConfig::default()
    })
    .await;
    // Every answer, for the whole test.
    sim.push_fault(Fault::HostileNames, 0);
    sim
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_writes_none_of_the_injected_sequences() {
    let sim = hostile_server().await;
    let mut tui = Tui::start(
        &[],
        &[
            ("FLOWDASH_BASE_URL", &sim.base_url()),
            ("FLOWDASH_API_KEY", "demo"),
            ("RUST_LOG", "debug"),
        ],
        160,
        48,
    );
    tui.wait_text("page 1/2 (40 flows)");
    // Walk down the page so every hostile name and content is drawn in the detail pane too,
    // then open the help over it: once it shows, every key before it was handled.
    for _ in 0..15 {
        tui.send("j");
    }
    tui.send("?");
    tui.wait_text("Help ");
    assert_nothing_injected("the dashboard's output", &tui.raw_text());
    tui.send("q");
    let screen = tui.wait_for("every cleaned name", |s| {
        !s.contains("Help ") && READABLE.iter().all(|name| s.contains(name))
    });
    assert!(
        screen.contains("WWWWWWWWWW"),
        "the long name shows:\n{screen}"
    );
    tui.send("q");
    let status = tui.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    assert_nothing_injected("the dashboard's output", &tui.raw_text());
    let log = std::fs::read_to_string(tui.log_path()).expect("the log file");
    assert_nothing_injected("the log", &log);
    sim.shutdown();
}

/// The binary with a clean environment, against `sim`.
fn flowdash(sim: &Sim, args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().expect("a temporary home");
    std::process::Command::new(env!("CARGO_BIN_EXE_flowdash"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("FLOWDASH_BASE_URL", sim.base_url())
        .env("FLOWDASH_API_KEY", "demo")
        .env("COLUMNS", "200")
        .output()
        .expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_table_is_clean_and_readable() {
    let sim = hostile_server().await;
    let out = flowdash(&sim, &["list"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert_nothing_injected("list", &stdout);
    assert_nothing_injected("list's stderr", &stderr);
    assert!(
        !stdout.contains('\u{1b}'),
        "no escape at all in a table written to a pipe:\n{}",
        stdout.escape_debug()
    );
    assert!(
        stdout.chars().all(|c| c == '\n' || !c.is_control()),
        "no control characters but line ends:\n{}",
        stdout.escape_debug()
    );
    // One line per flow: no name broke a row in two.
    assert_eq!(stdout.lines().count(), 26, "{stdout}");
    for name in READABLE {
        assert!(stdout.contains(name), "{name:?} in:\n{stdout}");
    }
    sim.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_json_is_clean_and_readable() {
    let sim = hostile_server().await;
    let out = flowdash(&sim, &["list", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert_nothing_injected("list --json", &stdout);
    // JSON would carry a control character as an escape: look for those too.
    for escaped in [
        "\\u001b", "\\u009b", "\\u202e", "\\u2066", "\\u200b", "\\b", "\\r",
    ] {
        assert!(
            !stdout.to_lowercase().contains(escaped),
            "list --json holds {escaped}"
        );
    }
    let items: Vec<serde_json::Value> = serde_json::from_str(&stdout).expect("a JSON list");
    assert_eq!(items.len(), 25);
    let names: Vec<&str> = items.iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(names.len(), 25, "every item has a name");
    for name in &names {
        assert!(
            flowdash::domain::clean::is_clean(name) && !name.contains('\n'),
            "{name:?}"
        );
    }
    for item in &items {
        let content = item["content"].as_str().expect("content");
        assert!(flowdash::domain::clean::is_clean(content), "{content:?}");
    }
    for name in READABLE {
        assert!(names.contains(name), "{name:?} among {names:?}");
    }
    sim.shutdown();
}
