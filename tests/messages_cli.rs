//! `flowdash messages` (DESIGN §16): the built binary against a demo server the test starts,
//! in both list orders; what it prints, and the pages the server was asked for.

#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed setup must stop the test at once"
)]

pub mod fixtures;
pub mod support;

use fixtures::Run;
use flowdash::sim::{Fault, Sim, SimConfig};
use serde_json::Value;

/// `flowdash messages ARGS` against `sim`.
async fn messages(sim: &Sim, args: &[&str]) -> Run {
    fixtures::run_on(&sim.base_url(), &[&["messages"], args].concat()).await
}

/// The pages of `/api/sms` the server was asked for, in order, each asked 250 a page.
fn sms_pages(sim: &Sim) -> Vec<u32> {
    sim.requests()
        .iter()
        .filter(|r| r.path == "/api/sms")
        .map(|r| {
            assert!(r.query.contains("results_per_page=250"), "{}", r.query);
            let page = r.query.split('&').find_map(|kv| kv.strip_prefix("page="));
            page.unwrap().parse().unwrap()
        })
        .collect()
}

/// A still demo server with a few thousand SMS, the newest twelve failures of flow 3.
async fn busy(oldest_first: bool) -> Sim {
    let sim = support::start_sim(SimConfig {
        traffic: false,
        sms_oldest_first: oldest_first,
        ..SimConfig::default()
    })
    .await;
    sim.step(600.0);
    assert!(sim.messages().len() > 2000, "{}", sim.messages().len());
    assert!(sim.fail_messages(3, 12, "RESULT_ERROR_NO_SERVICE"));
    sim
}

/// Flow 3's SMS among the newest `n` rows of the server, newest first.
fn newest_of_flow(sim: &Sim, flow: u64, n: usize) -> Vec<u64> {
    sim.messages()
        .iter()
        .rev()
        .take(n)
        .filter(|m| m.flow_id == flow)
        .map(|m| m.sms_id)
        .collect()
}

fn json_ids(run: &Run) -> Vec<u64> {
    let list: Value = serde_json::from_str(&run.out).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["sms_id"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newest_first_reads_four_pages_and_groups_the_failures() {
    let sim = busy(false).await;
    let run = messages(&sim, &["3", "--limit", "500"]).await;
    assert!(run.ok, "{}", run.err);
    assert_eq!(sms_pages(&sim), vec![1, 2, 3, 4], "the page cap");
    assert!(run.err.contains("read the newest 4 pages"), "{}", run.err);
    let expected = newest_of_flow(&sim, 3, 1000);
    assert!(
        run.out.starts_with(&format!(
            "flow 3: {} messages among the newest 1000 SMS",
            expected.len()
        )),
        "{}",
        run.out
    );
    assert!(run.out.contains("· 4 requests"), "{}", run.out);
    assert!(
        run.out.contains(
            "RESULT_ERROR_NO_SERVICE × 12  the phone had no mobile network when it tried to send"
        ),
        "{}",
        run.out
    );
    assert!(run.out.contains("✗ failed"), "{}", run.out);

    let json = messages(&sim, &["3", "--json", "--limit", "500"]).await;
    assert!(json.ok, "{}", json.err);
    assert_eq!(json_ids(&json), expected);
    let failed = messages(&sim, &["3", "--json", "--status", "failed", "--limit", "5"]).await;
    let list: Value = serde_json::from_str(&failed.out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 5);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|m| m["status"] == "failed"
                && m["error"] == "RESULT_ERROR_NO_SERVICE"
                && m["flow_id"] == 3)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oldest_first_starts_from_the_last_page() {
    let sim = busy(true).await;
    let run = messages(&sim, &["3", "--json", "--limit", "500"]).await;
    assert!(run.ok, "{}", run.err);
    let last = u32::try_from(sim.messages().len().div_ceil(250)).unwrap();
    assert_eq!(
        sms_pages(&sim),
        vec![1, last, last - 1, last - 2],
        "page 1 tells the order, then the newest pages"
    );
    assert!(run.err.contains("read the newest 4 pages"), "{}", run.err);
    // The last page may be short: the newest three pages hold 500 to 750 rows.
    let rows = sim.messages().len() - 250 * (last as usize - 3);
    assert_eq!(json_ids(&run), newest_of_flow(&sim, 3, rows));
    let text = messages(&sim, &["3"]).await;
    assert!(
        text.out.contains("RESULT_ERROR_NO_SERVICE × 12"),
        "{}",
        text.out
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_list_is_read_in_one_request_without_a_note() {
    let sim = support::start_sim(SimConfig {
        traffic: false,
        ..SimConfig::default()
    })
    .await;
    sim.step(5.0);
    let run = messages(&sim, &[]).await;
    assert!(run.ok, "{}", run.err);
    assert_eq!(sms_pages(&sim), vec![1]);
    assert!(!run.err.contains("newest 4 pages"), "{}", run.err);
    let all = sim.messages().len();
    assert!(
        run.out.starts_with(&format!(
            "every flow: {all} messages among the newest {all} SMS"
        )),
        "{}",
        run.out
    );
    assert!(run.out.contains("· 1 request\n"), "{}", run.out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_content_and_error_are_cleaned() {
    let sim = support::start_sim(SimConfig {
        traffic: false,
        ..SimConfig::default()
    })
    .await;
    assert!(sim.fail_messages(2, 20, "RESULT_ERROR_RADIO_OFF"));
    sim.push_fault(Fault::HostileNames, 0);
    let text = messages(&sim, &["2", "--limit", "20"]).await;
    assert!(text.ok, "{}", text.err);
    assert_clean(&text.out);
    // JSON escapes control characters anyway: the values themselves must be clean.
    let json = messages(&sim, &["2", "--json", "--limit", "20"]).await;
    let list: Value = serde_json::from_str(&json.out).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 20);
    for m in list {
        assert_clean(m["content"].as_str().unwrap());
        assert_clean(m["error"].as_str().unwrap());
    }
}

/// No control character but the line break, no invisible or reordering one.
fn assert_clean(text: &str) {
    for c in text.chars() {
        assert!(
            c == '\n' || !(c.is_control() || matches!(c, '\u{200b}' | '\u{202e}' | '\u{2066}')),
            "{c:?} in {text:?}"
        );
    }
}
