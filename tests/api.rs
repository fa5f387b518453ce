//! The API client over real HTTP against the demo server, in both builds: every call, every error
//! class with its message, decoding of hostile pages, and the safety rules that keep writes on the
//! flow the operator chose (DESIGN §8). What the server received is read from its request log.
// The helpers below are test code too: a panic is the failure report.
#![expect(clippy::unwrap_used, reason = "test helpers")]

pub mod fixtures;

use std::collections::BTreeMap;
use std::time::Duration;

use fixtures::form;
use flowdash::api::{
    ApiError, ApiKey, Client, ClientConfig, ClientEvent, Created, DeleteOutcome, OffAfter, Refusal,
    ServerKind, ToggleOutcome, UpdateOutcome, check_base_url,
};
use flowdash::budget::{BudgetConfig, Priority};
use flowdash::domain::clean::is_clean;
use flowdash::domain::{Flow, FlowDraft, FlowId, FlowPatch, RowBlock, SegmentRef, WaitUnit};
use flowdash::sim::{Fault, FlowEdit, LoggedRequest, Sim, SimConfig};
use tokio::sync::mpsc;

/// Distinctive, so a leak into any message is easy to spot.
const KEY: &str = "k3y-SECRET-123";
const OP: Priority = Priority::Operator;

fn sim_config(quirks: bool) -> SimConfig {
    SimConfig {
        api_key: KEY.to_owned(),
        quirks,
        traffic: false,
        ..SimConfig::default()
    }
}

async fn start_with(cfg: SimConfig) -> Sim {
    Sim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn start(quirks: bool) -> Sim {
    start_with(sim_config(quirks)).await
}

fn config(sim: &Sim) -> ClientConfig {
    let mut cfg = ClientConfig::new(sim.base_url(), ApiKey::new(KEY));
    cfg.timeout = Duration::from_secs(5);
    cfg
}

fn client(sim: &Sim) -> Client {
    Client::new(config(sim)).unwrap()
}

/// The error, after checking that neither its message nor its `Debug` holds the key.
fn no_key(e: ApiError) -> ApiError {
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(
            !text.contains(KEY) && !text.contains("SECRET"),
            "the key leaked: {text}"
        );
    }
    e
}

fn api_requests(sim: &Sim) -> Vec<LoggedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api"))
        .collect()
}

/// `METHOD /path` of every API request, in order.
fn calls(sim: &Sim) -> Vec<String> {
    api_requests(sim)
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// Every request that could change something on the server.
fn writes(sim: &Sim) -> Vec<String> {
    calls(sim)
        .into_iter()
        .filter(|c| !c.starts_with("GET "))
        .collect()
}

fn draft(name: &str) -> FlowDraft {
    FlowDraft {
        name: name.to_owned(),
        content: "Hello {{NAME}}, welcome".to_owned(),
        device_id: Some(3),
        sim_subscription_id: Some(1),
        wait_time: 2,
        wait_unit: WaitUnit::Hours,
        segment: SegmentRef::All,
        enabled: true,
    }
}

fn mode(quirks: bool) -> &'static str {
    if quirks { "shipped" } else { "documented" }
}

// ---------------------------------------------------------------------------------------------
// Every call, in both builds

async fn list_and_read(quirks: bool) {
    let sim = start(quirks).await;
    let client = client(&sim);
    let m = mode(quirks);

    let page = client
        .list_flows(1, flowdash::api::DEFAULT_PAGE_SIZE, OP)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 25, "{m}");
    assert_eq!((page.page, page.per_page), (1, 25), "{m}");
    assert_eq!((page.total, page.pages()), (Some(40), Some(2)), "{m}");
    // Sizes the server would ignore are replaced by an allowed one; page 0 is page 1.
    let p2 = client.list_flows(2, 30, OP).await.unwrap();
    assert_eq!(
        p2.items.len(),
        0,
        "{m}: 40 flows, 50 a page, page 2 is past the end"
    );
    let p0 = client.list_flows(0, 0, OP).await.unwrap();
    assert_eq!((p0.page, p0.items.len()), (1, 10), "{m}");
    let queries: Vec<String> = api_requests(&sim).into_iter().map(|r| r.query).collect();
    assert_eq!(
        queries,
        [
            "page=1&results_per_page=25",
            "page=2&results_per_page=50",
            "page=1&results_per_page=10",
        ],
        "{m}"
    );

    let welcome = &page.items[0];
    assert_eq!(welcome.name, "Welcome series", "{m}");
    assert_eq!(welcome.wait_time, Some(2));
    assert_eq!(welcome.wait_unit, Some(WaitUnit::Days));
    assert_eq!(welcome.segment, Some(SegmentRef::All));
    assert!(welcome.created.is_some(), "{m}: datetime decoded");
    if quirks {
        // The shipped build names flows by their device: flow 1 is on device 3.
        assert_eq!(welcome.id, FlowId(3));
        assert_eq!(
            (welcome.content.as_deref(), welcome.device_id),
            (None, None)
        );
        assert_eq!(welcome.blocked, Some(RowBlock::RepeatedId));
        let zero = page.items.iter().find(|f| f.id == FlowId(0)).unwrap();
        assert_eq!(zero.blocked, Some(RowBlock::ZeroId));
        assert_eq!(zero.name, "Referral thank-you 🙏");
    } else {
        let ids: Vec<u64> = page.items.iter().map(|f| f.id.0).collect();
        assert_eq!(ids, (1..=25).collect::<Vec<_>>());
        assert_eq!(
            welcome.content.as_deref(),
            Some("Hi {{NAME}}, welcome aboard! Reply STOP to opt out.")
        );
        assert_eq!(
            (welcome.device_id, welcome.sim_subscription_id),
            (Some(3), Some(1))
        );
        assert!(page.items.iter().all(|f| f.blocked.is_none()));
    }

    // One flow by its real id (the single read looks up the real id in both builds).
    let five = client.get_flow(FlowId(5), OP).await.unwrap();
    assert_eq!(five.name, "Appointment reminder – 24 h", "{m}");
    if quirks {
        assert_eq!(five.id, FlowId(12), "answers with the device id");
        assert_eq!(five.content, None);
    } else {
        assert_eq!(five.id, FlowId(5));
        assert_eq!(five.device_id, Some(12));
        assert!(five.content.is_some());
    }
    let missing = no_key(client.get_flow(FlowId(4242), OP).await.unwrap_err());
    assert_eq!(
        missing,
        ApiError::NotFound {
            what: "flow 4242".to_owned()
        }
    );
    assert_eq!(missing.to_string(), "flow 4242 not found");

    // Which build is this?
    let fresh = Client::new(config(&sim)).unwrap();
    assert_eq!(fresh.server_kind(), ServerKind::Unknown);
    let expected = if quirks {
        ServerKind::Shipped
    } else {
        ServerKind::Documented
    };
    assert_eq!(fresh.identify(&page.items, OP).await, expected, "{m}");
    assert_eq!(fresh.server_kind(), expected);
}

#[tokio::test]
async fn reads_documented() {
    list_and_read(false).await;
}

#[tokio::test]
async fn reads_shipped() {
    list_and_read(true).await;
}

async fn pickers(quirks: bool) {
    let sim = start(quirks).await;
    let client = client(&sim);
    let m = mode(quirks);
    let devices = client.devices().await.unwrap();
    let ids: Vec<u64> = devices.iter().map(|d| d.id).collect();
    assert_eq!(ids, [3, 7, 12, 15], "{m}");
    assert_eq!(devices[0].name, "Front desk phone");
    assert_eq!(
        devices[0].sims.as_ref().unwrap()[0].label(),
        "SIM 1 (Orange)"
    );
    assert_eq!(devices[3].sims, None, "never connected");
    let segments = client.segments().await.unwrap();
    assert_eq!(segments.len(), 3, "{m}");
    assert!(segments.iter().all(|s| s.total_contacts.is_some()), "{m}");
    let asked: Vec<(String, String)> = api_requests(&sim)
        .iter()
        .map(|r| (r.path.clone(), r.query.clone()))
        .collect();
    assert_eq!(
        asked,
        [
            (
                "/api/devices".to_owned(),
                "page=1&results_per_page=100".to_owned()
            ),
            (
                "/api/segments".to_owned(),
                "page=1&results_per_page=100".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn devices_and_segments_documented() {
    pickers(false).await;
}

#[tokio::test]
async fn devices_and_segments_shipped() {
    pickers(true).await;
}

async fn every_page(quirks: bool) {
    let sim = start_with(SimConfig {
        flows: 1003,
        ..sim_config(quirks)
    })
    .await;
    let client = client(&sim);
    let mut progress = Vec::new();
    let flows = client
        .all_flows(Priority::Poll, |done, all| progress.push((done, all)))
        .await
        .unwrap()
        .flows;
    assert_eq!(progress, [(1, Some(2)), (2, Some(2))], "{}", mode(quirks));
    assert_eq!(flows.len(), 1003);
    let names: Vec<&str> = flows.iter().map(|f| f.name.as_str()).collect();
    let stored: Vec<String> = sim.flows().into_iter().map(|f| f.name).collect();
    assert_eq!(names.len(), stored.len());
    assert_eq!(names[1002], stored[1002].as_str());
    let queries: Vec<String> = api_requests(&sim).into_iter().map(|r| r.query).collect();
    assert_eq!(
        queries,
        [
            "page=1&results_per_page=1000",
            "page=2&results_per_page=1000"
        ]
    );
    if quirks {
        // Ids repeat across pages too: no row of the shipped build is addressable.
        assert!(flows.iter().all(|f| f.blocked.is_some()));
    } else {
        assert!(flows.iter().all(|f| f.blocked.is_none()));
    }
}

#[tokio::test]
async fn all_flows_documented() {
    every_page(false).await;
}

#[tokio::test]
async fn all_flows_shipped() {
    every_page(true).await;
}

async fn create(quirks: bool) {
    let sim = start(quirks).await;
    let client = client(&sim);
    let mut d = draft("Tom's \"deal\"");
    // The shipped build stores no flow sent switched off: that has its own test below.
    d.enabled = quirks;
    let created = client.create_flow(&d).await.unwrap();
    // The device and SIM are checked against the account's devices first; `all` needs no read.
    assert_eq!(calls(&sim), ["GET /api/devices", "POST /api/flows"]);
    let reqs: Vec<LoggedRequest> = api_requests(&sim)
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!((reqs[0].method.as_str(), reqs[0].status), ("POST", 201));
    assert_eq!(
        reqs[0].form,
        form(&[
            ("name", "Tom's \"deal\""),
            ("content", "Hello {{NAME}}, welcome"),
            ("device_id", "3"),
            ("sim_subscription_id", "1"),
            ("wait_time", "2"),
            ("wait_time_type", "hours"),
            ("segment", "all"),
            ("is_enabled", if quirks { "1" } else { "0" }),
        ])
    );
    let Created {
        flow,
        device_dropped,
        after_timeout,
        off_after,
    } = created;
    assert_eq!(off_after, None);
    assert_eq!(
        flow.id,
        FlowId(41),
        "the real id, even on the shipped build"
    );
    // The shipped build answers with entities; they are decoded.
    assert_eq!(flow.name, "Tom's \"deal\"");
    assert_eq!(flow.content.as_deref(), Some("Hello {{NAME}}, welcome"));
    assert_eq!(flow.enabled, quirks);
    assert_eq!(
        (flow.wait_time, flow.wait_unit),
        (Some(2), Some(WaitUnit::Hours))
    );
    assert!(!after_timeout);
    assert_eq!(device_dropped, quirks, "{}", mode(quirks));
    assert_eq!(flow.device_id, Some(if quirks { 0 } else { 3 }));
    assert!(sim.flow(41).is_some());

    // The server's refusal comes back with its own words.
    let e = no_key(client.create_flow(&draft("  ")).await.unwrap_err());
    assert_eq!(
        e,
        ApiError::Refused {
            status: 401,
            title: "You must fill all the required fields.".to_owned()
        }
    );
    assert_eq!(
        e.to_string(),
        "the server refused (401): You must fill all the required fields."
    );
}

#[tokio::test]
async fn create_documented() {
    create(false).await;
}

#[tokio::test]
async fn create_shipped() {
    create(true).await;
}

#[tokio::test]
async fn a_new_flow_the_strict_database_refuses_switched_off_is_created_then_switched_off() {
    let sim = start(true).await;
    let client = client(&sim);
    let mut d = draft("Quiet start");
    d.enabled = false;
    let created = client.create_flow(&d).await.unwrap();
    assert_eq!(
        calls(&sim),
        [
            "GET /api/devices",
            "POST /api/flows",
            "POST /api/flows",
            "POST /api/flows/41"
        ]
    );
    let posts: Vec<LoggedRequest> = api_requests(&sim)
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    // Sent off: refused with `"id": false` and nothing stored.
    assert_eq!(
        posts[0].form.get("is_enabled").map(String::as_str),
        Some("0")
    );
    assert_eq!(posts[0].status, 201);
    // Sent again without it, then switched off by the id that create answered, the SIM sent
    // along so that the update does not wipe it.
    assert_eq!(posts[1].form.get("is_enabled"), None);
    assert_eq!(
        posts[2].form,
        form(&[("is_enabled", "0"), ("sim_subscription_id", "1")])
    );
    assert_eq!(created.off_after, Some(OffAfter::SwitchedOff));
    assert_eq!(created.flow.id, FlowId(41));
    assert!(!created.flow.enabled);
    let stored = sim.flow(41).unwrap();
    assert!(!stored.is_enabled, "the new flow is off on the server");
    assert_eq!(stored.sim_subscription_id.as_deref(), Some("1"));
    assert_eq!(
        sim.flows()
            .iter()
            .filter(|f| f.name == "Quiet start")
            .count(),
        1
    );
}

#[tokio::test]
async fn update_sends_only_the_changed_fields() {
    let sim = start(false).await;
    let client = client(&sim);
    let seen = client.get_flow(FlowId(3), OP).await.unwrap();
    let before = seen.to_draft();
    let mut after = before.clone();
    after.name = "Survey (autumn)".to_owned();
    after.wait_time = 45;
    let patch = FlowPatch::between(&before, &after);
    let out = client.update_flow(FlowId(3), &seen, &patch).await.unwrap();
    let UpdateOutcome::Written(flow) = out else {
        panic!("not written: {out:?}");
    };
    assert_eq!(flow.id, FlowId(3));
    assert_eq!(
        (flow.name.as_str(), flow.wait_time),
        ("Survey (autumn)", Some(45))
    );
    assert!(flow.last_changed.is_some());
    let stored = sim.flow(3).unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.wait_time),
        ("Survey (autumn)", 45)
    );
    assert_eq!(stored.device_id, Some(7), "untouched");
    // The re-read, then one write with the two fields and nothing else.
    assert_eq!(
        calls(&sim),
        ["GET /api/flows/3", "GET /api/flows/3", "POST /api/flows/3"]
    );
    let post = api_requests(&sim).pop().unwrap();
    assert_eq!(post.status, 200);
    assert_eq!(
        post.form,
        form(&[("name", "Survey (autumn)"), ("wait_time", "45")])
    );

    // An empty patch sends nothing.
    let seen = flow;
    let out = client
        .update_flow(FlowId(3), &seen, &FlowPatch::default())
        .await
        .unwrap();
    assert!(matches!(out, UpdateOutcome::Unchanged(_)), "{out:?}");
    assert_eq!(writes(&sim).len(), 1);
}

#[tokio::test]
async fn toggle_sends_only_is_enabled_and_settles_when_already_there() {
    let sim = start(false).await;
    let client = client(&sim);
    let page = client.list_flows(1, 25, OP).await.unwrap();

    // Flow 1 is on: switch it off, then on again.
    let one = &page.items[0];
    assert!(one.enabled);
    let out = client
        .set_enabled(FlowId(1), Some(one), false)
        .await
        .unwrap();
    assert!(
        matches!(&out, ToggleOutcome::Written(f) if !f.enabled),
        "{out:?}"
    );
    assert!(!sim.flow(1).unwrap().is_enabled);
    let out = client.set_enabled(FlowId(1), None, true).await.unwrap();
    assert!(
        matches!(&out, ToggleOutcome::Written(f) if f.enabled),
        "{out:?}"
    );
    assert!(sim.flow(1).unwrap().is_enabled);
    let forms: Vec<BTreeMap<String, String>> = api_requests(&sim)
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.form)
        .collect();
    assert_eq!(
        forms,
        [form(&[("is_enabled", "0")]), form(&[("is_enabled", "1")])]
    );

    // Flow 2 is already off: nothing is sent but the re-read.
    let two = &page.items[1];
    assert!(!two.enabled);
    let n = api_requests(&sim).len();
    let out = client
        .set_enabled(FlowId(2), Some(two), false)
        .await
        .unwrap();
    assert!(
        matches!(&out, ToggleOutcome::Unchanged(f) if f.id == FlowId(2) && !f.enabled),
        "{out:?}"
    );
    assert_eq!(calls(&sim)[n..], ["GET /api/flows/2"]);
    assert_eq!(writes(&sim).len(), 2);
}

#[tokio::test]
async fn delete_then_delete_again() {
    let sim = start(false).await;
    let client = client(&sim);
    let seen = client.get_flow(FlowId(9), OP).await.unwrap();
    let out = client.delete_flow(FlowId(9), Some(&seen)).await.unwrap();
    assert_eq!(out, DeleteOutcome::Deleted);
    assert!(sim.flow(9).is_none());
    let deletes: Vec<LoggedRequest> = api_requests(&sim)
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1);
    assert_eq!(
        (deletes[0].path.as_str(), deletes[0].status),
        ("/api/flows/9", 200)
    );

    let e = no_key(client.delete_flow(FlowId(9), None).await.unwrap_err());
    assert_eq!(
        e,
        ApiError::NotFound {
            what: "flow 9".to_owned()
        }
    );
    assert_eq!(sim.flows().len(), 39);
    assert_eq!(
        writes(&sim),
        ["DELETE /api/flows/9"],
        "the second one is stopped by the re-read"
    );
}

// ---------------------------------------------------------------------------------------------
// Errors, one class at a time, produced by the demo server's fault knobs

#[tokio::test]
async fn wrong_or_missing_key() {
    let sim = start(false).await;
    let mut cfg = config(&sim);
    cfg.api_key = ApiKey::new("k3y-WRONG-999");
    let wrong = Client::new(cfg).unwrap();
    let e = no_key(wrong.list_flows(1, 25, OP).await.unwrap_err());
    assert_eq!(e, ApiError::KeyRejected);
    assert!(e.to_string().starts_with("API key rejected"), "{e}");
    assert!(!e.to_string().contains("WRONG"), "{e}");
    assert_eq!(api_requests(&sim).len(), 1, "a 401 is not retried");

    let mut cfg = config(&sim);
    cfg.api_key = ApiKey::new("   ");
    let empty = Client::new(cfg).unwrap();
    let e = no_key(empty.get_flow(FlowId(1), OP).await.unwrap_err());
    assert_eq!(e, ApiError::KeyMissing);
    assert!(e.to_string().contains("missing Bearer header"), "{e}");
    assert!(!format!("{:?}", config(&sim)).contains(KEY));
}

#[tokio::test]
async fn bad_bodies_are_undecodable() {
    let sim = start(false).await;
    let client = client(&sim);

    sim.push_fault(Fault::InvalidJson, 1);
    let e = no_key(client.list_flows(1, 25, OP).await.unwrap_err());
    assert!(matches!(&e, ApiError::Undecodable { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("the server's answer could not be read"),
        "{e}"
    );
    assert!(e.to_string().contains("Warning"), "the excerpt: {e}");

    sim.push_fault(Fault::Truncated, 1);
    let e = no_key(client.get_flow(FlowId(1), OP).await.unwrap_err());
    assert!(matches!(&e, ApiError::Undecodable { .. }), "{e:?}");
    assert!(e.to_string().contains("truncated"), "{e}");

    sim.push_fault(Fault::Truncated, 1);
    let e = no_key(client.devices().await.unwrap_err());
    assert!(matches!(&e, ApiError::Undecodable { .. }), "{e:?}");

    // A 200 is an answer: not retried.
    assert_eq!(api_requests(&sim).len(), 3);
}

#[tokio::test]
async fn rate_limited_with_the_seconds_left() {
    let sim = start_with(SimConfig {
        rate_limit: 2,
        ..sim_config(false)
    })
    .await;
    let client = client(&sim);
    client.list_flows(1, 25, OP).await.unwrap();

    sim.push_fault(Fault::RateLimitBurst, 1);
    let e = no_key(client.list_flows(1, 25, OP).await.unwrap_err());
    let ApiError::RateLimited { retry_in } = e else {
        panic!("{e:?}");
    };
    let secs = retry_in.as_secs();
    assert!((55..=60).contains(&secs), "{secs}");
    assert!(
        e.to_string()
            .starts_with(&format!("rate limited for {secs} s")),
        "{e}"
    );

    // While the countdown runs, flowdash refuses by itself: nothing more reaches the server.
    let before = api_requests(&sim).len();
    let e = no_key(client.get_flow(FlowId(1), OP).await.unwrap_err());
    assert!(matches!(e, ApiError::RateLimited { .. }), "{e:?}");
    assert_eq!(
        api_requests(&sim).len(),
        before,
        "sent during the countdown"
    );

    // The real window, with a fresh client (its own scheduler): the third request of a window
    // of two.
    let client = self::client(&sim);
    client.get_flow(FlowId(1), OP).await.unwrap();
    let e = no_key(client.get_flow(FlowId(1), OP).await.unwrap_err());
    assert!(
        matches!(e, ApiError::RateLimited { retry_in } if retry_in.as_secs() <= 60),
        "{e:?}"
    );
    assert!(e.to_string().starts_with("rate limited for "), "{e}");
    assert_eq!(api_requests(&sim).len(), 4, "a 429 is not retried");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let sim = start(false).await;
    let client = client(&sim);
    sim.push_fault(Fault::Redirect, 1);
    let e = no_key(client.list_flows(1, 25, OP).await.unwrap_err());
    let location = format!("http://{}/not-found", sim.addr());
    assert_eq!(
        e,
        ApiError::Redirect {
            status: 302,
            location: Some(location.clone())
        }
    );
    assert!(e.to_string().contains(&location), "{e}");
    assert!(e.to_string().contains("API may be disabled"), "{e}");
    assert_eq!(sim.requests().len(), 1, "not followed, not retried");
}

#[tokio::test]
async fn oversize_answers_are_refused() {
    let sim = start(false).await;
    let client = client(&sim);
    sim.push_fault(Fault::Oversize, 1);
    let e = no_key(client.list_flows(1, 25, OP).await.unwrap_err());
    assert_eq!(e, ApiError::TooLarge { limit_mb: 16 });
    assert_eq!(e.to_string(), "the server's answer is larger than 16 MB");
    assert_eq!(api_requests(&sim).len(), 1);
}

/// A read that keeps failing: the error, what the server saw, and the retry events.
struct Retried {
    error: ApiError,
    calls: Vec<String>,
    events: Vec<ClientEvent>,
}

async fn failing_read(sim: &Sim, timeout: Duration) -> Retried {
    let mut cfg = config(sim);
    cfg.timeout = timeout;
    let client = Client::new(cfg).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    client.set_events(tx);
    let error = no_key(client.list_flows(1, 25, Priority::Poll).await.unwrap_err());
    let mut events = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        events.push(ev);
    }
    Retried {
        error,
        calls: calls(sim),
        events,
    }
}

async fn with_fault(fault: Fault, count: u32, timeout: Duration) -> Retried {
    let sim = start(false).await;
    sim.push_fault(fault, count);
    failing_read(&sim, timeout).await
}

async fn stopped_server() -> Retried {
    let sim = start(false).await;
    let addr = sim.addr();
    sim.shutdown();
    // The listener closes on its own task.
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    failing_read(&sim, Duration::from_secs(2)).await
}

fn assert_retried(r: &Retried, what: &str) {
    assert_eq!(r.calls, ["GET /api/flows"; 4], "{what}: four attempts");
    let attempts: Vec<u32> = r
        .events
        .iter()
        .map(|ClientEvent::Retrying { attempt, .. }| *attempt)
        .collect();
    assert_eq!(attempts, [1, 2, 3], "{what}");
    for (ev, base) in r.events.iter().zip([500, 1000, 2000]) {
        let ClientEvent::Retrying { delay, error, .. } = ev;
        let ms = delay.as_millis();
        assert!(
            ms * 10 >= base * 8 && ms * 10 <= base * 12,
            "{what}: {ms} ms"
        );
        // Each attempt of a read that keeps timing out reports its own time-out; the answer
        // names them all.
        let each = match &r.error {
            ApiError::Timeouts { secs, .. } => &ApiError::Timeout { secs: *secs },
            other => other,
        };
        assert_eq!(error, each, "{what}");
    }
}

/// Every transient failure at once, so the back-off (0.5 + 1 + 2 s) is waited for only once.
#[tokio::test]
async fn transient_failures_are_retried_then_reported() {
    let short = Duration::from_millis(300);
    let two = Duration::from_secs(2);
    let (bad_gateway, fatal, reset, slow, stopped, recovered) = tokio::join!(
        with_fault(Fault::Html502, 4, two),
        with_fault(Fault::Html500, 4, two),
        with_fault(Fault::Reset, 4, two),
        with_fault(Fault::Latency(Duration::from_millis(900)), 4, short),
        stopped_server(),
        async {
            // Three failures, then the fourth attempt gets through.
            let sim = start(false).await;
            sim.push_fault(Fault::Html502, 3);
            let client = client(&sim);
            let page = client.list_flows(1, 25, Priority::Poll).await;
            (page.map(|p| p.items.len()), calls(&sim))
        },
    );

    assert_retried(&bad_gateway, "502");
    assert!(
        matches!(
            &bad_gateway.error,
            ApiError::Server {
                status: 502,
                html: true,
                ..
            }
        ),
        "{:?}",
        bad_gateway.error
    );
    assert_eq!(
        bad_gateway.error.to_string(),
        "server error 502: the server answered an HTML page"
    );

    assert_retried(&fatal, "500");
    assert!(
        matches!(
            &fatal.error,
            ApiError::Server {
                status: 500,
                html: true,
                ..
            }
        ),
        "{:?}",
        fatal.error
    );
    assert!(fatal.error.to_string().contains("HTML"), "{}", fatal.error);

    assert_retried(&reset, "reset");
    assert!(
        matches!(&reset.error, ApiError::Network { .. }),
        "{:?}",
        reset.error
    );
    assert!(
        reset
            .error
            .to_string()
            .starts_with("cannot reach the server: 127.0.0.1"),
        "{}",
        reset.error
    );

    assert_retried(&slow, "latency");
    let ApiError::Timeouts {
        secs,
        attempts,
        total_secs,
    } = slow.error
    else {
        panic!("{:?}", slow.error)
    };
    // 300 ms reads as 1 s, not 0 s; the time-out is per attempt, so the message names the
    // attempts and their time together: four of 0.3 s and waits of at least 0.4 + 0.8 + 1.6 s.
    assert_eq!((secs, attempts), (1, 4));
    assert!(total_secs >= 4, "{total_secs} s");
    assert_eq!(
        slow.error.to_string(),
        format!("no answer within 1 s, 4 attempts over {total_secs} s")
    );

    assert!(stopped.calls.is_empty());
    assert_eq!(stopped.events.len(), 3, "connection errors are retried too");
    assert!(
        matches!(&stopped.error, ApiError::Network { .. }),
        "{:?}",
        stopped.error
    );
    assert!(
        stopped
            .error
            .to_string()
            .contains("cannot connect to 127.0.0.1"),
        "{}",
        stopped.error
    );

    let (items, log) = recovered;
    assert_eq!(items, Ok(25));
    assert_eq!(log, ["GET /api/flows"; 4]);
}

#[tokio::test]
async fn writes_are_never_retried() {
    let sim = start(false).await;
    let client = client(&sim);

    sim.push_write_fault(Fault::Html502, 5);
    let e = no_key(client.create_flow(&draft("Once only")).await.unwrap_err());
    // A 5xx may come after the flow was stored: the list is searched, the create not repeated.
    let ApiError::CreateNotLanded { cause } = &e else {
        panic!("{e:?}");
    };
    assert!(
        matches!(**cause, ApiError::Server { status: 502, .. }),
        "{e:?}"
    );
    assert_eq!(writes(&sim), ["POST /api/flows"]);
    sim.clear_faults();

    // The re-read passes (a zero delay is no fault at all), the write meets a reset.
    let seen = client.get_flow(FlowId(1), OP).await.unwrap();
    sim.push_fault(Fault::Latency(Duration::ZERO), 1);
    sim.push_fault(Fault::Reset, 5);
    let e = no_key(
        client
            .set_enabled(FlowId(1), Some(&seen), false)
            .await
            .unwrap_err(),
    );
    assert!(matches!(e, ApiError::Network { .. }), "{e:?}");
    assert_eq!(writes(&sim), ["POST /api/flows", "POST /api/flows/1"]);
}

// ---------------------------------------------------------------------------------------------
// Decoding: documented, shipped and hostile pages

fn assert_clean_flow(f: &Flow, what: &str) {
    assert!(is_clean(&f.name), "{what}: {:?}", f.name);
    assert!(
        !f.name.contains(['\n', '\r', '\t', '\u{1b}']),
        "{what}: a name is one line: {:?}",
        f.name
    );
    if let Some(c) = &f.content {
        assert!(is_clean(c), "{what}: {c:?}");
        assert!(!c.contains(['\r', '\t', '\u{1b}']), "{what}: {c:?}");
    }
}

async fn hostile(quirks: bool) {
    let sim = start(quirks).await;
    let client = client(&sim);
    let m = mode(quirks);
    sim.push_fault(Fault::HostileNames, 3);
    let page = client.list_flows(1, 25, OP).await.unwrap();
    assert_eq!(page.items.len(), 25);
    for f in &page.items {
        assert_clean_flow(f, m);
    }
    let names: Vec<&str> = page.items.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names[0], "Window title",
        "{m}: the OSC title is dropped whole"
    );
    assert_eq!(names[1], "Clipboard write");
    assert_eq!(names[2], "Cleared blinking");
    assert_eq!(names[5], "desrever right-to-left override");
    assert_eq!(names[7], "zerowidthjoinerbom");
    assert_eq!(names[8], "carriage return");
    assert_eq!(names[9], "line feed");
    assert!(names.contains(&""), "{m}: an empty name is kept");
    assert!(names.iter().any(|n| n.len() == 5000));
    if !quirks {
        let content = page.items[0].content.as_deref().unwrap();
        assert!(
            content.contains('\n'),
            "content keeps its line breaks: {content:?}"
        );
    }

    let one = client.get_flow(FlowId(1), OP).await.unwrap();
    assert_clean_flow(&one, m);
    assert_eq!(one.name, "Window title");
    // The create's answer claims another name: reported as stored otherwise, in clean words.
    sim.clear_faults();
    sim.push_write_fault(Fault::HostileNames, 1);
    let e = no_key(client.create_flow(&draft("plain")).await.unwrap_err());
    assert!(
        matches!(e, ApiError::StoredOtherwise { created: true, .. }),
        "{m}: {e:?}"
    );
    let text = e.to_string();
    assert!(is_clean(&text), "{m}: {text:?}");
    assert!(
        text.contains("name \"Window title\", not name \"plain\""),
        "{m}: {text}"
    );
    assert_eq!(
        sim.flow(41).unwrap().name,
        "plain",
        "only the answer was hostile"
    );

    // Quotes: the shipped build stores and sends them as entities.
    let page = client.list_flows(1, 25, OP).await.unwrap();
    let names: Vec<&str> = page.items.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"Don't forget your cart"), "{m}: {names:?}");
    assert!(names.contains(&"Black Friday \"early access\""), "{m}");
    assert!(names.contains(&"Feedback: \"How did we do?\""), "{m}");
    assert!(names.iter().all(|n| !n.contains("&#")), "{m}");
    if quirks {
        assert!(
            sim.flow(8).unwrap().name.contains("&#39;"),
            "the raw form is an entity"
        );
    }
}

#[tokio::test]
async fn hostile_names_documented() {
    hostile(false).await;
}

#[tokio::test]
async fn hostile_names_shipped() {
    hostile(true).await;
}

// ---------------------------------------------------------------------------------------------
// Safety

#[tokio::test]
async fn shipped_build_changes_no_existing_flow() {
    let sim = start(true).await;
    let before = sim.flows();

    // Not yet identified: the re-read before the write shows what this server is.
    let client = client(&sim);
    let patch = FlowPatch {
        name: Some("Hijacked".to_owned()),
        ..FlowPatch::default()
    };
    for id in [5, 12, 13, 40] {
        let seen = client.get_flow(FlowId(id), OP).await.unwrap();
        let fresh = Client::new(config(&sim)).unwrap();
        let e = no_key(
            fresh
                .update_flow(FlowId(id), &seen, &patch)
                .await
                .unwrap_err(),
        );
        assert!(matches!(e, ApiError::Refusal(_)), "flow {id}: {e:?}");
        let fresh = Client::new(config(&sim)).unwrap();
        let e = no_key(
            fresh
                .set_enabled(FlowId(id), None, false)
                .await
                .unwrap_err(),
        );
        assert!(matches!(e, ApiError::Refusal(_)), "flow {id}: {e:?}");
        let fresh = Client::new(config(&sim)).unwrap();
        let e = no_key(fresh.delete_flow(FlowId(id), None).await.unwrap_err());
        assert!(matches!(e, ApiError::Refusal(_)), "flow {id}: {e:?}");
    }
    // Flow 5 is on device 12: the answer names another flow.
    let fresh = Client::new(config(&sim)).unwrap();
    let e = fresh.delete_flow(FlowId(5), None).await.unwrap_err();
    assert_eq!(
        e,
        ApiError::Refusal(Refusal::IdMismatch {
            asked: FlowId(5),
            got: FlowId(12)
        })
    );
    assert!(e.to_string().contains("nothing was changed"), "{e}");
    // Flow 12 is on device 12: the id matches by chance, the missing fields give it away.
    let fresh = Client::new(config(&sim)).unwrap();
    let e = fresh
        .set_enabled(FlowId(12), None, false)
        .await
        .unwrap_err();
    assert_eq!(e, ApiError::Refusal(Refusal::UnreliableIds));
    assert_eq!(fresh.server_kind(), ServerKind::Shipped);

    // Once identified, nothing at all is sent.
    let page = client.list_flows(1, 25, OP).await.unwrap();
    assert_eq!(client.identify(&page.items, OP).await, ServerKind::Shipped);
    let n = sim.requests().len();
    let e = client
        .set_enabled(FlowId(12), None, false)
        .await
        .unwrap_err();
    assert_eq!(e, ApiError::Refusal(Refusal::UnreliableIds));
    assert!(
        e.to_string()
            .contains("this server does not identify flows reliably"),
        "{e}"
    );
    let e = client
        .update_flow(FlowId(12), &page.items[0], &patch)
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Refusal(_)), "{e:?}");
    let e = client.delete_flow(FlowId(12), None).await.unwrap_err();
    assert_eq!(e, ApiError::Refusal(Refusal::UnreliableIds));
    assert_eq!(
        sim.requests().len(),
        n,
        "nothing sent once the build is known"
    );

    assert_eq!(writes(&sim), Vec::<String>::new());
    assert_eq!(sim.flows(), before, "nothing changed");

    // Creating stays possible.
    let created = client.create_flow(&draft("New on shipped")).await.unwrap();
    assert!(created.device_dropped);
}

#[tokio::test]
async fn a_flow_changed_behind_the_clients_back_is_a_conflict() {
    let sim = start(false).await;
    let client = client(&sim);
    let page = client.list_flows(1, 25, OP).await.unwrap();
    let seen = page.items[3].clone();
    assert_eq!(seen.id, FlowId(4));

    assert!(sim.edit_flow(
        4,
        FlowEdit {
            name: Some("Birthday (edited on the web)".to_owned()),
            ..FlowEdit::default()
        }
    ));
    let stored = sim.flow(4).unwrap();
    let patch = FlowPatch {
        wait_time: Some(3),
        ..FlowPatch::default()
    };
    let out = client.update_flow(FlowId(4), &seen, &patch).await.unwrap();
    let UpdateOutcome::Conflict(conflict) = out else {
        panic!("no conflict: {out:?}");
    };
    let name = conflict.changes.iter().find(|c| c.field == "name").unwrap();
    assert_eq!(name.seen, "Birthday greeting 🎂");
    assert_eq!(name.theirs, "Birthday (edited on the web)");
    assert_eq!(conflict.theirs.name, "Birthday (edited on the web)");
    assert!(
        conflict
            .changes
            .iter()
            .all(|c| c.field == "name" || c.field == "last edit")
    );

    // A delete of what the operator confirmed under the old name is a conflict too.
    let out = client.delete_flow(FlowId(4), Some(&seen)).await.unwrap();
    assert!(matches!(out, DeleteOutcome::Conflict(_)), "{out:?}");

    // A change the operator did not see in another field.
    let seen = client.get_flow(FlowId(6), OP).await.unwrap();
    assert!(sim.edit_flow(
        6,
        FlowEdit {
            wait_time: Some(31),
            ..FlowEdit::default()
        }
    ));
    let out = client
        .update_flow(FlowId(6), &seen, &FlowPatch::toggle(false))
        .await
        .unwrap();
    let UpdateOutcome::Conflict(conflict) = out else {
        panic!("no conflict: {out:?}");
    };
    assert!(
        conflict
            .changes
            .iter()
            .any(|c| c.field == "wait time" && c.theirs == "31")
    );

    assert_eq!(writes(&sim), Vec::<String>::new(), "nothing written");
    assert_eq!(sim.flow(4).unwrap(), stored);
    assert!(sim.flow(6).unwrap().is_enabled);
}

async fn late_create(quirks: bool) {
    let sim = start(quirks).await;
    let mut cfg = config(&sim);
    cfg.timeout = Duration::from_millis(400);
    let client = Client::new(cfg).unwrap();
    sim.push_write_fault(Fault::LateAnswer(Duration::from_millis(1500)), 1);
    // Text the server rewrites as it stores it: a quote it turns into an entity, a tag it
    // deletes, and (on create) the SMS normalisation of curly quotes, spaces and ellipses.
    let d = FlowDraft {
        content: "Don’t  miss   it…\r\nsee you".to_owned(),
        ..draft("Late answer for Tom's <b>shop</b>")
    };
    let created = client.create_flow(&d).await.unwrap();
    assert!(created.after_timeout, "{}", mode(quirks));
    assert_eq!(created.flow.name, "Late answer for Tom's shop");
    let posts: Vec<String> = writes(&sim);
    assert_eq!(posts, ["POST /api/flows"], "sent exactly once");
    let stored: Vec<_> = sim
        .flows()
        .into_iter()
        .filter(|f| f.name.starts_with("Late answer"))
        .collect();
    assert_eq!(stored.len(), 1);
    if quirks {
        // The list names the new flow by its (dropped) device: it is not addressable.
        assert_eq!(created.flow.blocked, Some(RowBlock::ZeroId));
    } else {
        assert_eq!(created.flow.id, FlowId(stored[0].id));
    }
}

#[tokio::test]
async fn a_create_answered_after_the_timeout_is_sent_once_and_found_documented() {
    late_create(false).await;
}

#[tokio::test]
async fn a_create_answered_after_the_timeout_is_sent_once_and_found_shipped() {
    late_create(true).await;
}

/// A create whose answer comes after the time-out, and the requests sent from then on.
async fn create_with_lost_answer(json: bool) -> (Sim, Created, serde_json::Value, Vec<String>) {
    let sim = start(false).await;
    let mut cfg = config(&sim);
    cfg.timeout = Duration::from_millis(400);
    let client = Client::new(cfg).unwrap();
    sim.push_write_fault(Fault::LateAnswer(Duration::from_millis(1500)), 1);
    let d = draft("Lost answer");
    let (created, json) = if json {
        let w = client.create_flow_json(&d).await.unwrap();
        (w.value, w.json)
    } else {
        (
            client.create_flow(&d).await.unwrap(),
            serde_json::Value::Null,
        )
    };
    assert!(created.after_timeout);
    let after_post: Vec<String> = calls(&sim)
        .into_iter()
        .skip_while(|c| c != "POST /api/flows")
        .skip(1)
        .collect();
    (sim, created, json, after_post)
}

#[tokio::test]
async fn a_create_found_in_the_list_after_a_lost_answer_is_not_read_again_for_json_nobody_prints() {
    let (_sim, created, _, after_post) = create_with_lost_answer(false).await;
    assert_eq!(created.flow.name, "Lost answer");
    assert!(!after_post.is_empty(), "the list was searched");
    assert!(
        after_post.iter().all(|c| c == "GET /api/flows"),
        "only the list is read: {after_post:?}"
    );
}

#[tokio::test]
async fn a_create_with_json_found_after_a_lost_answer_prints_the_flow_read_again() {
    let (sim, created, json, after_post) = create_with_lost_answer(true).await;
    let id = created.flow.id;
    assert_eq!(sim.flow(id.0).unwrap().name, "Lost answer");
    assert_eq!(
        after_post.last().map(String::as_str),
        Some(format!("GET /api/flows/{id}").as_str())
    );
    assert_eq!(json["name"], "Lost answer");
    assert_eq!(json["id"], id.0);
}

#[test]
fn plain_http_only_to_this_machine() {
    // `Client::new` refuses, so there is no client that could connect anywhere.
    for url in [
        "http://example.com/api",
        "http://192.0.2.10/api",
        "http://127.0.0.1.example.com/api",
        "http://localhost.example.com/api",
        "HTTP://EXAMPLE.COM/api",
        "http://localhost@example.com/api",
        "http://example.com\\@localhost/api",
        "http://[::ffff:7f00:1]/api",
        "http://0.0.0.0:8080/api",
    ] {
        let e = Client::new(ClientConfig::new(url, ApiKey::new(KEY)))
            .err()
            .unwrap_or_else(|| panic!("{url} accepted"));
        let e = no_key(e);
        assert!(
            matches!(&e, ApiError::Refusal(Refusal::InsecureUrl(_))),
            "{url}: {e:?}"
        );
        assert!(e.to_string().contains("use https://"), "{e}");
    }
    let e = Client::new(ClientConfig::new(
        "http://example.com/api",
        ApiKey::new(KEY),
    ))
    .err()
    .unwrap();
    assert_eq!(
        e,
        ApiError::Refusal(Refusal::InsecureUrl("example.com".to_owned()))
    );
    for url in [
        "http://127.0.0.1:9/api",
        "http://127.8.9.10/api",
        "http://localhost:8080/api/",
        "http://[::1]:8080/api",
        "https://sms.sociostacks.com/api",
    ] {
        assert!(check_base_url(url).is_ok(), "{url}");
        assert!(
            Client::new(ClientConfig::new(url, ApiKey::new(KEY))).is_ok(),
            "{url}"
        );
    }
    assert!(matches!(
        check_base_url("ftp://example.com/api"),
        Err(Refusal::BadUrl(_))
    ));
}

#[tokio::test]
async fn read_only_refuses_every_write_with_nothing_sent() {
    let sim = start(false).await;
    let mut cfg = config(&sim);
    cfg.read_only = true;
    let client = Client::new(cfg).unwrap();
    assert!(client.is_read_only());
    let seen = sim.flow(1).unwrap();
    let seen = Flow {
        enabled: seen.is_enabled,
        ..Flow::bare(seen.id, &seen.name)
    };
    let ro = ApiError::Refusal(Refusal::ReadOnly);
    assert_eq!(client.create_flow(&draft("No")).await.unwrap_err(), ro);
    let patch = FlowPatch::toggle(false);
    assert_eq!(
        client
            .update_flow(FlowId(1), &seen, &patch)
            .await
            .unwrap_err(),
        ro
    );
    assert_eq!(
        client
            .set_enabled(FlowId(1), Some(&seen), false)
            .await
            .unwrap_err(),
        ro
    );
    assert_eq!(client.delete_flow(FlowId(1), None).await.unwrap_err(), ro);
    assert_eq!(client.read_for_write(FlowId(1)).await.unwrap_err(), ro);
    assert!(ro.to_string().contains("read-only"), "{ro}");
    assert!(sim.requests().is_empty(), "{:?}", calls(&sim));
    // Reads still work.
    client.get_flow(FlowId(1), OP).await.unwrap();
    assert_eq!(sim.flows().len(), 40);
}

#[tokio::test]
async fn rows_with_id_0_or_a_repeated_id_are_refused() {
    let sim = start(true).await;
    let mut cfg = config(&sim);
    // Even a profile that trusts ids cannot address these rows.
    cfg.trust_ids = true;
    let client = Client::new(cfg).unwrap();
    let page = client.list_flows(1, 25, OP).await.unwrap();
    let zero = page
        .items
        .iter()
        .find(|f| f.blocked == Some(RowBlock::ZeroId))
        .unwrap();
    let repeated = page
        .items
        .iter()
        .find(|f| f.blocked == Some(RowBlock::RepeatedId))
        .unwrap();
    let n = sim.requests().len();
    let patch = FlowPatch::toggle(!zero.enabled);
    for row in [zero, repeated] {
        let want = ApiError::Refusal(Refusal::UnaddressableRow(row.id));
        assert_eq!(
            client
                .set_enabled(row.id, Some(row), !row.enabled)
                .await
                .unwrap_err(),
            want
        );
        assert_eq!(
            client.update_flow(row.id, row, &patch).await.unwrap_err(),
            want
        );
        assert_eq!(
            client.delete_flow(row.id, Some(row)).await.unwrap_err(),
            want
        );
    }
    // Id 0 is refused even without the row.
    let e = client.delete_flow(FlowId(0), None).await.unwrap_err();
    assert_eq!(e, ApiError::Refusal(Refusal::UnaddressableRow(FlowId(0))));
    assert!(e.to_string().contains("cannot be changed safely"), "{e}");
    assert_eq!(sim.requests().len(), n, "nothing sent");
}

// ---------------------------------------------------------------------------------------------
// The rate budget against a hostile server (issue 10)

fn epoch_now() -> std::time::Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
}

/// `X-RateLimit-Reset` as 10^11 (1973 in milliseconds, the year 5138 in seconds), as an epoch an
/// hour away in seconds and in milliseconds: the operator waits at most the server's minute.
#[tokio::test]
async fn an_absurd_rate_limit_reset_waits_at_most_the_servers_window() {
    let sim = start(false).await;
    let now = epoch_now();
    let hour_ms = u64::try_from(now.as_millis()).unwrap() + 3_600_000;
    for reset in [100_000_000_000, now.as_secs() + 3_600, hour_ms] {
        let client = client(&sim);
        sim.push_fault(Fault::RateLimitReset(reset), 1);
        let e = no_key(client.list_flows(1, 25, OP).await.unwrap_err());
        let ApiError::RateLimited { retry_in } = e else {
            panic!("{reset}: {e:?}");
        };
        assert!(retry_in.as_secs() <= 60, "{reset}: {retry_in:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "rate limited for {} s: the server allows 60 requests a minute for this key",
                retry_in.as_secs()
            )
        );

        // The countdown flowdash then refuses with comes from the same reading of the header.
        let before = api_requests(&sim).len();
        let e = no_key(client.get_flow(FlowId(1), OP).await.unwrap_err());
        assert!(
            matches!(e, ApiError::RateLimited { retry_in } if retry_in.as_secs() <= 60),
            "{reset}: {e:?}"
        );
        assert_eq!(
            api_requests(&sim).len(),
            before,
            "sent during the countdown"
        );
        let cooldown = client.scheduler().snapshot().cooldown.unwrap();
        assert!(cooldown.as_secs() <= 60, "{reset}: {cooldown:?}");
    }
}

/// `r` pressed during 5xx answers: the retries come out of the live share (here 2 of 12), so the
/// operator's reserve of 10 is whole and a switch right after goes at once.
#[tokio::test]
async fn retries_of_a_refresh_leave_the_operators_reserve_alone() {
    let sim = start(false).await;
    let mut cfg = config(&sim);
    cfg.budget = BudgetConfig {
        budget: 12,
        reserve: 10,
    };
    let client = Client::new(cfg).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    client.set_events(tx);
    sim.push_fault(Fault::Html502, 0);
    for _ in 0..3 {
        let e = no_key(client.list_flows(1, 25, OP).await.unwrap_err());
        assert!(matches!(e, ApiError::Server { status: 502, .. }), "{e:?}");
    }
    // The first refresh and its one retry fill the live share; the next two are not retried.
    assert_eq!(calls(&sim), ["GET /api/flows"; 4]);
    let mut retries = Vec::new();
    while let Ok(ClientEvent::Retrying { attempt, .. }) = rx.try_recv() {
        retries.push(attempt);
    }
    assert_eq!(retries, [1], "only the retry that was sent is announced");
    assert_eq!(client.scheduler().snapshot().left, 8);

    sim.clear_faults();
    // Bounded, so that a switch kept waiting for the budget fails the test instead of hanging it.
    let switched = tokio::time::timeout(Duration::from_secs(10), async {
        let seen = client.get_flow(FlowId(1), OP).await?;
        client
            .set_enabled(FlowId(1), Some(&seen), !seen.enabled)
            .await
    })
    .await
    .expect("the switch waited for the budget");
    assert!(switched.is_ok(), "{switched:?}");
    assert_eq!(writes(&sim), ["POST /api/flows/1"]);
}

/// A server whose `meta` claims 10^9 pages and that answers pages past the end with the last
/// page again: every flow once, and not a request more than the flows need.
#[tokio::test]
async fn every_flow_once_when_meta_claims_a_billion_pages() {
    for (flows, requests) in [(40, 1), (2000, 2), (2500, 3)] {
        let sim = start_with(SimConfig {
            flows,
            ..sim_config(false)
        })
        .await;
        sim.push_fault(Fault::LyingMeta, 0);
        let client = client(&sim);
        let mut progress = Vec::new();
        let all = tokio::time::timeout(
            Duration::from_secs(20),
            client.all_flows(OP, |done, pages| progress.push((done, pages))),
        )
        .await
        .expect("still reading pages")
        .unwrap()
        .flows;
        assert_eq!(all.len(), flows, "{flows} flows");
        let ids: std::collections::HashSet<FlowId> = all.iter().map(|f| f.id).collect();
        assert_eq!(ids.len(), flows, "no flow twice");
        assert_eq!(api_requests(&sim).len(), requests, "{flows} flows");
        let last = progress.last().copied();
        assert_eq!(last, Some((requests as u32, Some(requests as u32))));
    }
}
// The values sent are the values stored (issue 10): the client layer the form and the CLI share

#[tokio::test]
async fn an_update_with_an_unknown_segment_or_device_is_refused_before_sending() {
    let sim = start(false).await;
    let client = client(&sim);
    let seen = client.get_flow(FlowId(2), OP).await.unwrap();
    for patch in [
        FlowPatch {
            segment: Some(SegmentRef::Saved(99)),
            ..FlowPatch::default()
        },
        FlowPatch {
            device_id: Some(9),
            sim_subscription_id: Some(1),
            ..FlowPatch::default()
        },
    ] {
        let e = no_key(
            client
                .update_flow(FlowId(2), &seen, &patch)
                .await
                .unwrap_err(),
        );
        assert!(matches!(&e, ApiError::Refusal(Refusal::NoSuch(_))), "{e:?}");
        assert!(
            e.to_string().contains("does not exist on this account"),
            "{e}"
        );
    }
    assert_eq!(writes(&sim), Vec::<String>::new());
    // Segment 99 needed the segments, device 9 the devices; nothing else was read.
    assert_eq!(
        calls(&sim),
        [
            "GET /api/flows/2",
            "GET /api/flows/2",
            "GET /api/segments",
            "GET /api/flows/2",
            "GET /api/devices",
        ]
    );
}

#[tokio::test]
async fn a_delete_answered_late_is_read_again_and_reported_as_landed() {
    let sim = start(false).await;
    let mut cfg = config(&sim);
    cfg.timeout = Duration::from_millis(400);
    let client = Client::new(cfg).unwrap();
    let seen = client.get_flow(FlowId(8), OP).await.unwrap();
    sim.push_write_fault(Fault::LateAnswer(Duration::from_millis(1500)), 1);
    let out = client.delete_flow(FlowId(8), Some(&seen)).await.unwrap();
    assert_eq!(
        out,
        DeleteOutcome::DeletedLate {
            answer: "the answer was late".to_owned()
        }
    );
    assert!(sim.flow(8).is_none());
    assert_eq!(writes(&sim), ["DELETE /api/flows/8"]);
}

/// The demo server served in process answers as it does over HTTP, on tokio's paused clock:
/// the same page, the form sent as a form, the key checked from the header, a cut connection
/// and a slow answer told apart, the time-out kept (the clock moves by the time waited).
#[tokio::test(start_paused = true)]
async fn a_server_in_process_answers_as_over_http() {
    let sim = Sim::start_in_memory(sim_config(false)).unwrap();
    let in_process = |key: &str| {
        let mut cfg = ClientConfig::new(sim.base_url(), ApiKey::new(key));
        cfg.timeout = Duration::from_secs(5);
        cfg.in_process = Some(sim.in_process());
        Client::new(cfg).unwrap()
    };
    let client = in_process(KEY);
    let page = client.list_flows(1, 25, OP).await.unwrap();
    assert_eq!((page.items.len(), page.total), (25, Some(40)));
    let out = client
        .set_enabled(FlowId(1), Some(&page.items[0]), false)
        .await
        .unwrap();
    assert!(
        matches!(&out, ToggleOutcome::Written(f) if !f.enabled),
        "{out:?}"
    );
    let post = api_requests(&sim).pop().unwrap();
    assert_eq!(
        (post.method.as_str(), post.path.as_str(), post.status),
        ("POST", "/api/flows/1", 200)
    );
    assert_eq!(post.form, form(&[("is_enabled", "0")]));

    let e = no_key(
        in_process("another-key")
            .list_flows(1, 25, OP)
            .await
            .unwrap_err(),
    );
    assert_eq!(e, ApiError::KeyRejected);

    sim.push_fault(Fault::Reset, 0);
    let e = no_key(client.get_flow(FlowId(2), OP).await.unwrap_err());
    assert!(e.to_string().contains("broke off"), "{e}");
    sim.clear_faults();

    // Every attempt of the read waits 30 s for an answer that the 5 s time-out gives up on.
    sim.push_fault(Fault::Latency(Duration::from_secs(30)), 0);
    let before = tokio::time::Instant::now();
    let e = no_key(client.get_flow(FlowId(2), OP).await.unwrap_err());
    assert!(
        matches!(
            e,
            ApiError::Timeouts {
                secs: 5,
                attempts: 4,
                ..
            }
        ),
        "{e:?}"
    );
    let waited = before.elapsed();
    assert!(
        waited >= Duration::from_secs(20) && waited < Duration::from_secs(30),
        "{waited:?}"
    );
}
