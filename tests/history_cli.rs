//! `flowdash history` (DESIGN §13): the built binary reading a history file that a test filled
//! from a demo server's answers, through the recorder the dashboard will hold. The command
//! reads the file alone: no key, no request.

#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed setup must stop the test at once"
)]

pub mod fixtures;
pub mod support;

use std::path::{Path, PathBuf};

use fixtures::Run;
use flowdash::api::{ApiKey, Client, ClientConfig};
use flowdash::budget::Priority;
use flowdash::domain::Flow;
use flowdash::sim::{Sim, SimConfig};
use flowdash::store::{self, Account, Every, Recorder};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// The binary with a home of its own and nothing of the caller's flowdash settings.
async fn flowdash(home: &Path, envs: &[(&str, &str)], args: &[&str]) -> Run {
    fixtures::run(home, envs, args).await
}

/// Three readings of every flow of a demo server, an hour apart (the traffic engine moved on
/// by half an hour between them), written where the default path puts them. Returns the lists
/// read and when each was taken.
async fn fill(sim: &Sim, path: PathBuf) -> Vec<(Timestamp, Vec<Flow>)> {
    let client = Client::new(ClientConfig::new(sim.base_url(), ApiKey::new("demo"))).unwrap();
    let (rec, mut events) = Recorder::start(path, 90);
    // Five minutes into each of the last three whole hours.
    let this_hour = Every::Hours(1).start_of(Timestamp::now(), &TimeZone::UTC);
    let mut lists = Vec::new();
    for k in 0..3 {
        let at = this_hour - SignedDuration::from_hours(3 - k) + SignedDuration::from_mins(5);
        let page = client.list_flows(1, 100, Priority::Operator).await.unwrap();
        let account = Account::of_flows(client.base_url(), &page.items);
        rec.record(&account, at, store::readings_of(&page.items, true));
        lists.push((at, page.items));
        sim.step(1800.0);
    }
    rec.flush().await;
    assert!(events.try_recv().is_err(), "the recorder reported a fault");
    lists
}

fn counter(list: &[Flow], id: u64, f: fn(&Flow) -> Option<i64>) -> i64 {
    list.iter().find(|x| x.id.0 == id).and_then(f).unwrap()
}

#[tokio::test]
async fn history_prints_each_hour_of_a_flow_and_ranks_every_flow_without_a_request() {
    let sim = support::start_sim(SimConfig {
        traffic: false,
        flows: 6,
        ..SimConfig::default()
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("data/flowdash/history.sqlite3");
    let lists = fill(&sim, path).await;
    let requests_before = sim.requests().len();

    // The flow that sent most between the first and the last reading.
    let rise =
        |id: u64| counter(&lists[2].1, id, |f| f.sent) - counter(&lists[0].1, id, |f| f.sent);
    let busiest = lists[0]
        .1
        .iter()
        .map(|f| f.id.0)
        .max_by_key(|&id| rise(id))
        .unwrap();
    assert!(rise(busiest) > 0, "the traffic engine sent nothing");
    let url = sim.base_url();
    let env = [("FLOWDASH_BASE_URL", url.as_str())];

    let id = busiest.to_string();
    let r = flowdash(
        home.path(),
        &env,
        &["history", &id, "--every", "1h", "--csv"],
    )
    .await;
    assert!(r.ok, "{}", r.err);
    let mut expected = vec!["time,sent,failed,pending".to_owned()];
    for k in 0..3 {
        let (at, list) = &lists[k];
        let (sent, failed) = if k == 0 {
            // The first reading is the base: nothing is known to have been sent before it.
            (0, 0)
        } else {
            let prev = &lists[k - 1].1;
            (
                counter(list, busiest, |f| f.sent) - counter(prev, busiest, |f| f.sent),
                counter(list, busiest, |f| f.failed) - counter(prev, busiest, |f| f.failed),
            )
        };
        let hour = Every::Hours(1).start_of(*at, &TimeZone::UTC);
        expected.push(format!(
            "{},{sent},{failed},{}",
            hour.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            counter(list, busiest, |f| f.pending)
        ));
    }
    assert_eq!(r.out.lines().collect::<Vec<_>>(), expected);

    // The table, in local time, with a total.
    let r = flowdash(home.path(), &env, &["history", &id, "--every", "1h"]).await;
    assert!(r.ok, "{}", r.err);
    let last = r.out.lines().last().unwrap();
    let words: Vec<&str> = last.split_whitespace().collect();
    assert_eq!(words[0], "total");
    assert_eq!(words[1], rise(busiest).to_string(), "{}", r.out);
    let first_hour = Every::Hours(1).start_of(lists[0].0, &TimeZone::UTC);
    assert!(
        r.out
            .contains(&first_hour.strftime("%Y-%m-%d %H:%M").to_string()),
        "{}",
        r.out
    );

    // Every flow, by sent over the last 24 hours.
    let r = flowdash(home.path(), &env, &["history", "--json"]).await;
    assert!(r.ok, "{}", r.err);
    let ranks: Vec<serde_json::Value> = serde_json::from_str(&r.out).unwrap();
    assert_eq!(ranks.len(), lists[0].1.len());
    assert_eq!(ranks[0]["sent"], rise(busiest));
    for r in &ranks {
        let id = r["flow_id"].as_u64().unwrap();
        assert_eq!(r["sent"], rise(id), "{r}");
    }
    let sents: Vec<i64> = ranks.iter().map(|r| r["sent"].as_i64().unwrap()).collect();
    assert!(sents.windows(2).all(|w| w[0] >= w[1]), "{sents:?}");

    // Nothing was asked of the server, and no key was needed.
    assert_eq!(sim.requests().len(), requests_before);
    sim.shutdown();
}

#[tokio::test]
async fn history_says_since_when_flowdash_has_been_recording() {
    let home = tempfile::tempdir().unwrap();
    let env = [("FLOWDASH_BASE_URL", "http://127.0.0.1:9/api")];
    // No file at all.
    let r = flowdash(home.path(), &env, &["history", "12"]).await;
    assert!(r.ok, "{}", r.err);
    assert_eq!(r.out, "");
    assert!(
        r.err.contains("flowdash has not recorded any history yet"),
        "{}",
        r.err
    );

    // A file with another flow of this account, and nothing of flow 12.
    let path = home.path().join("data/flowdash/history.sqlite3");
    let mut s = store::Store::open(&path).unwrap();
    let account = Account::parse("http://127.0.0.1:9/api", Some(1)).unwrap();
    let at: Timestamp = "2026-11-20T08:30:00Z".parse().unwrap();
    let reading = store::Reading {
        flow: store::FlowKey::Id(3),
        name: "Other".into(),
        sent: Some(1),
        pending: Some(0),
        failed: Some(0),
        enabled: true,
    };
    s.write_readings(&account, at, &[reading]).unwrap();
    drop(s);
    let r = flowdash(home.path(), &env, &["history", "12", "--since", "2h"]).await;
    assert!(r.ok, "{}", r.err);
    assert!(
        r.err.contains("no readings of flow 12 since ")
            && r.err.contains(
                "flowdash has been recording at http://127.0.0.1:9/api since 2026-11-20 08:30"
            ),
        "{}",
        r.err
    );

    // Another address: nothing recorded there yet.
    let r = flowdash(
        home.path(),
        &[("FLOWDASH_BASE_URL", "https://elsewhere.example/api")],
        &["history"],
    )
    .await;
    assert!(r.ok, "{}", r.err);
    assert!(
        r.err.contains(
            "flowdash has not recorded anything at https://elsewhere.example:443/api yet"
        ),
        "{}",
        r.err
    );

    // --history names the file; --no-history refuses.
    let r = flowdash(
        home.path(),
        &env,
        &[
            "history",
            "--history",
            path.to_str().unwrap(),
            "--since",
            "30d",
        ],
    )
    .await;
    assert!(r.out.contains("Other"), "{} {}", r.out, r.err);
    let r = flowdash(home.path(), &env, &["history", "--no-history"]).await;
    assert!(!r.ok);
    assert_eq!(r.err.trim(), "error: history is off (--no-history)");
}

#[tokio::test]
async fn a_profile_names_its_history_file() {
    let home = tempfile::tempdir().unwrap();
    let custom = home.path().join("elsewhere/prod.sqlite3");
    let mut s = store::Store::open(&custom).unwrap();
    let account = Account::parse("https://sms.example.com/api", Some(1)).unwrap();
    let now = Timestamp::now();
    for (m, sent) in [(30, 5), (10, 9)] {
        let reading = store::Reading {
            flow: store::FlowKey::Id(4),
            name: "Welcome".into(),
            sent: Some(sent),
            pending: Some(0),
            failed: Some(0),
            enabled: true,
        };
        s.write_readings(&account, now - SignedDuration::from_mins(m), &[reading])
            .unwrap();
    }
    drop(s);
    let config = home.path().join("config/flowdash/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!(
            "default_profile = \"prod\"\n[profiles.prod]\nbase_url = \"https://sms.example.com/api\"\nhistory = \"{}\"\n",
            custom.display()
        ),
    )
    .unwrap();
    let r = flowdash(home.path(), &[], &["history", "--csv"]).await;
    assert!(r.ok, "{}", r.err);
    assert_eq!(
        r.out,
        "flow_id,created,name,sent,failed,failure_share\n4,,Welcome,4,0,0.0000\n"
    );
}
