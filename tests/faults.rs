//! Bad answers in the dashboard (DESIGN §8): after the first page loaded, each fault on a refresh
//! gives one clear message on the status line, the last good rows stay on screen, and the app
//! still answers keys.
//!
//! One dashboard session goes through every fault, to keep the run short. Reads are retried
//! three times (0.5, 1, 2 s) on network errors and 5xx, so the faults that are retried stick
//! (count 0) until their message shows and are cleared then.

pub mod support;

use flowdash::sim::{Fault, Sim, SimConfig, StoredFlow};
use std::time::Duration;
use support::Tui;

const COLS: u16 = 200;
const ROWS: u16 = 50;

/// The rows of the flow table on the screen.
fn table_rows(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .filter(|l| {
            let mut c = l.chars();
            // The cell after the border is the mark's (▌), the state glyph follows.
            c.next() == Some('│') && c.nth(1).is_some_and(|m| "●○◐⊘".contains(m))
        })
        .collect()
}

/// The first line of the detail pane: the selected flow's name.
fn detail_title(screen: &str) -> &str {
    screen
        .lines()
        .nth(3)
        .and_then(|l| l.split('│').nth(3))
        .unwrap_or_default()
}

/// The status line, at the bottom.
fn status_line(screen: &str) -> &str {
    screen.lines().last().unwrap_or_default()
}

struct Session {
    tui: Tui,
    sim: Sim,
    flows: Vec<StoredFlow>,
    /// The row selected now, from 0.
    selected: usize,
}

impl Session {
    async fn start() -> Session {
        let sim = support::start_sim(SimConfig {
            traffic: false,
            // Retries of every fault add up; neither the server's window nor flowdash's share
            // is what this test is about.
            rate_limit: 1000,
            ..SimConfig::default()
        })
        .await;
        let flows = sim.flows();
        let mut tui = Tui::start(
            &["--timeout", "1", "--budget", "300"],
            &[
                ("FLOWDASH_BASE_URL", &sim.base_url()),
                ("FLOWDASH_API_KEY", "demo"),
            ],
            COLS,
            ROWS,
        );
        tui.wait_text("page 1/2 (40 flows)");
        // Live updates off: each fault goes to the refresh the test asks for.
        tui.send("p");
        tui.wait_text("live updates paused");
        Session {
            tui,
            sim,
            flows,
            selected: 0,
        }
    }

    /// The last good page is still drawn: every row of page 1, the first flow by name.
    fn assert_last_good_rows(&self, screen: &str, fault: &str) {
        let rows = table_rows(screen);
        assert_eq!(
            rows.len(),
            25,
            "after {fault}, the rows of page 1:\n{screen}"
        );
        assert!(
            rows[0].contains(&self.flows[0].name),
            "after {fault}, the first flow:\n{screen}"
        );
        assert!(
            screen.contains("page 1/2 (40 flows)"),
            "after {fault}:\n{screen}"
        );
    }

    /// `j` selects the next flow: the detail pane follows.
    fn assert_answers_keys(&mut self, fault: &str) {
        self.selected += 1;
        let next = self.flows[self.selected].name.clone();
        self.tui.send("j");
        self.tui
            .wait_for(&format!("j to select {next:?} after {fault}"), |s| {
                detail_title(s).contains(&next)
            });
    }

    /// Refreshes with `fault` waiting on the server; the status line must say `expected`.
    fn refresh_into(&mut self, fault: Fault, count: u32, expected: &[&str]) {
        let what = format!("{fault:?}");
        self.sim.push_fault(fault, count);
        self.tui.send("r");
        // The refresh reads the flows, the devices and the segments; they fail alike and say
        // so in one message.
        let screen = self.tui.wait_for(&format!("the message for {what}"), |s| {
            let status = status_line(s);
            status.starts_with("error: loading flows, devices and segments: ")
                && expected.iter().all(|e| status.contains(e))
        });
        self.sim.clear_faults();
        let status = status_line(&screen).to_owned();
        eprintln!("{what}: {status}");
        assert!(
            !status.contains(" older"),
            "one message, not several: {status}"
        );
        assert!(
            !status.contains('<') && !status.contains('{'),
            "no HTML or JSON on the status line: {status}"
        );
        self.assert_last_good_rows(&screen, &what);
        self.assert_answers_keys(&what);
        // x dismisses the message; the next fault must bring its own.
        self.tui.send("x");
        self.tui
            .wait_for(&format!("{what}'s message dismissed"), |s| {
                !status_line(s).starts_with("error: ")
            });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_answer_is_one_clear_message_and_the_rows_stay() {
    let mut s = Session::start().await;

    s.refresh_into(
        Fault::Html502,
        0,
        &["server error 502", "the server answered an HTML page"],
    );
    s.refresh_into(
        Fault::Html500,
        0,
        &["server error 500", "the server answered an HTML page"],
    );
    s.refresh_into(
        Fault::InvalidJson,
        4,
        &["the server's answer could not be read"],
    );
    s.refresh_into(
        Fault::Truncated,
        4,
        &["the server's answer could not be read"],
    );
    s.refresh_into(Fault::Oversize, 4, &["larger than 16 MB"]);
    s.refresh_into(
        Fault::Redirect,
        4,
        &["redirected (302)", "the API may be disabled"],
    );
    s.refresh_into(Fault::Reset, 0, &["cannot reach the server"]);

    // A slow server: while the refresh waits, keys still work.
    s.sim.push_fault(Fault::Latency(Duration::from_secs(3)), 0);
    s.tui.send("r");
    s.assert_answers_keys("a refresh to a slow server");
    s.tui.send("?");
    s.tui.wait_text("Help ");
    s.tui.send("?");
    s.tui
        .wait_for("the help closed", |sc| !sc.contains("Help "));
    s.sim.clear_faults();
    s.refresh_into(
        Fault::Latency(Duration::from_secs(3)),
        0,
        &["no answer within 1 s"],
    );

    // Last, since flowdash then holds back every request until the server's window ends.
    s.refresh_into(Fault::RateLimitBurst, 0, &["rate limited for"]);

    s.tui.send("?");
    s.tui.wait_text("Help ");
    s.tui.send("?");
    s.tui
        .wait_for("the help closed", |sc| !sc.contains("Help "));
    s.tui.send("q");
    let status = s.tui.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    s.sim.shutdown();
}
