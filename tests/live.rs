//! Live updates under the budget, for real: the built binary against a demo server whose traffic
//! runs fast, with `--budget 10`, watched for about ninety seconds.

pub mod support;

use std::time::{Duration, Instant};

use flowdash::sim::SimConfig;
use support::Tui;

fn sent_column(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.starts_with("│●") || l.starts_with("│○"))
        .map(|l| l.split('│').nth(1).unwrap_or_default().to_owned())
        .collect()
}

#[expect(clippy::expect_used, reason = "a helper of the test")]
/// Parses the log's times ("YYYY-MM-DD HH:MM:SS.mmm" or RFC 3339) into seconds.
fn seconds(time: &str) -> f64 {
    let t: jiff::civil::DateTime = time
        .trim_end_matches('Z')
        .replace(' ', "T")
        .parse()
        .unwrap_or_else(|e| panic!("log time {time:?}: {e}"));
    let ts = t
        .to_zoned(jiff::tz::TimeZone::UTC)
        .expect("a UTC time")
        .timestamp();
    ts.as_millisecond() as f64 / 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ninety_seconds_stay_within_the_budget_and_counters_move() {
    let cfg = SimConfig {
        api_key: "live-key".to_owned(),
        pace: 20.0,
        ..SimConfig::default()
    };
    let sim = support::start_sim(cfg).await;
    let mut tui = Tui::start(
        &["--budget", "10", "--reserve", "3"],
        &[
            ("FLOWDASH_BASE_URL", &sim.base_url()),
            ("FLOWDASH_API_KEY", "live-key"),
        ],
        120,
        40,
    );
    let first = tui.wait_text("page 1/2");
    let first_rows = sent_column(&first);
    let started = Instant::now();
    let mut changed = false;
    while started.elapsed() < Duration::from_secs(90) {
        tokio::time::sleep(Duration::from_secs(5)).await;
        if sent_column(&tui.screen()) != first_rows {
            changed = true;
        }
    }
    let screen = tui.screen();
    assert!(changed, "the counters on screen never changed:\n{screen}");
    assert!(screen.contains("budget "), "{screen}");
    tui.send("q");
    tui.wait_exit();

    let api: Vec<f64> = sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/api"))
        .inspect(|r| assert_ne!(r.status, 429, "flowdash caused a 429: {r:?}"))
        .map(|r| seconds(&r.time))
        .collect();
    assert!(
        api.len() >= 10,
        "live updates made only {} requests",
        api.len()
    );
    for (i, &t) in api.iter().enumerate() {
        let in_window = api[i..].iter().take_while(|&&u| u - t < 60.0).count();
        assert!(
            in_window <= 10,
            "{in_window} requests in the minute from {t}"
        );
    }
    sim.shutdown();
}
