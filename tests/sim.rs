//! The demo server over real HTTP, in both builds: what a client observes.
// The helpers below are test code too: a panic is the failure report.
#![expect(clippy::unwrap_used, reason = "test helpers")]

use std::collections::BTreeMap;
use std::time::Duration;

use flowdash::sim::{Fault, FlowEdit, Sim, SimConfig};
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Client, Response, StatusCode, multipart};
use serde_json::{Value, json};

const NO_ACCESS: &str = "You do not have access to the API.";
const NO_BEARER: &str = "The request is missing the Bearer Authentication header.";
const REQUIRED: &str = "You must fill all the required fields.";
const NOT_FOUND: &str = "The resource you are looking for does not exist.";
const RATE_LIMIT: &str = "You reached the limit of requests in one minute, please wait.";

fn documented() -> SimConfig {
    SimConfig {
        traffic: false,
        ..SimConfig::default()
    }
}

fn shipped() -> SimConfig {
    SimConfig {
        quirks: true,
        ..documented()
    }
}

fn new_client() -> Client {
    flowdash::install_tls_provider();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn start(cfg: SimConfig) -> (Sim, Client) {
    let sim = Sim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (sim, new_client())
}

fn url(sim: &Sim, path: &str) -> String {
    format!("{}{path}", sim.base_url())
}

async fn get(sim: &Sim, client: &Client, path: &str) -> Response {
    client
        .get(url(sim, path))
        .bearer_auth("demo")
        .send()
        .await
        .unwrap()
}

async fn json_of(response: Response) -> Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("not JSON ({err}): {text:.200}"))
}

async fn get_json(sim: &Sim, client: &Client, path: &str) -> (StatusCode, Value) {
    let response = get(sim, client, path).await;
    (response.status(), json_of(response).await)
}

async fn post_form(sim: &Sim, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
    client
        .post(url(sim, path))
        .bearer_auth("demo")
        .form(form)
        .send()
        .await
        .unwrap()
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn title(body: &Value) -> &str {
    body["errors"][0]["title"].as_str().unwrap()
}

const NEW_FLOW: [(&str, &str); 4] = [
    ("name", "Spring sale"),
    ("content", "Hello {{NAME}}"),
    ("device_id", "3"),
    ("sim_subscription_id", "2"),
];

#[tokio::test]
async fn documented_list_has_every_field_and_real_ids() {
    let (sim, client) = start(documented()).await;
    let (status, body) = get_json(&sim, &client, "/flows?results_per_page=10").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["meta"],
        json!({"page": 1, "results_per_page": 10, "total": 40, "total_pages": 4})
    );
    let base = sim.base_url();
    assert_eq!(
        body["links"]["first"],
        json!(format!("{base}/flows?results_per_page=10&page=1"))
    );
    assert_eq!(
        body["links"]["next"],
        json!(format!("{base}/flows?results_per_page=10&page=2"))
    );
    assert_eq!(body["links"]["prev"], Value::Null);
    let data = body["data"].as_array().unwrap();
    let ids: Vec<u64> = data.iter().map(|f| f["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=10).collect::<Vec<_>>());
    let first = &data[0];
    assert_eq!(first["name"], "Welcome series");
    assert_eq!(first["device_id"], 3);
    assert_eq!(first["sim_subscription_id"], 1);
    assert_eq!(first["settings"], json!({}));
    assert_eq!(first["segment"], "all");
    assert!(first["content"].as_str().unwrap().contains("{{NAME}}"));
    for key in [
        "user_id",
        "wait_time",
        "wait_time_type",
        "is_enabled",
        "total_sent_sms",
        "total_pending_sms",
        "total_failed_sms",
        "last_sent_datetime",
        "last_datetime",
        "datetime",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    // Quotes are stored as typed in the documented build.
    assert_eq!(data[6]["name"], "Black Friday \"early access\"");
}

#[tokio::test]
async fn shipped_list_has_the_quirks() {
    let (sim, client) = start(shipped()).await;
    let response = get(&sim, &client, "/flows?page=1").await;
    let raw = response.text().await.unwrap();
    // PHP's json_encode escapes slashes and writes non-ASCII as \u escapes.
    assert!(raw.contains(r"http:\/\/127.0.0.1"), "{raw:.300}");
    assert!(
        raw.contains(r"\ud83c\udf82"),
        "the birthday cake emoji, escaped"
    );
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        body["meta"],
        json!({"page": "1", "total_pages": 1, "results_per_page": 100, "total_results": 40})
    );
    assert_eq!(
        body["links"]["first"],
        json!(format!("{}/flows?&page=1", sim.base_url()))
    );
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 40);
    let first = &data[0];
    assert_eq!(
        first["id"], 3,
        "the device id stands where the flow id belongs"
    );
    assert_eq!(first["settings"], json!([]));
    for key in ["content", "device_id", "sim_subscription_id"] {
        assert!(first.get(key).is_none(), "{key} should be missing");
    }
    assert_eq!(data[12]["id"], 0, "a flow without a device shows id 0");
    assert_eq!(data[6]["name"], "Black Friday &#34;early access&#34;");
    assert_eq!(data[7]["name"], "Don&#39;t forget your cart");

    let (_, body) = get_json(&sim, &client, "/flows").await;
    assert_eq!(body["meta"]["page"], 1, "an integer when page is absent");
    let (_, body) = get_json(&sim, &client, "/flows?page=abc&results_per_page=10").await;
    assert_eq!(body["meta"]["page"], "abc");
    assert_eq!(
        body["links"]["self"],
        json!(format!(
            "{}/flows?results_per_page=10&page=0",
            sim.base_url()
        ))
    );
}

#[tokio::test]
async fn pagination_sizes_and_pages_past_the_end() {
    let (sim, client) = start(documented()).await;
    let (_, body) = get_json(&sim, &client, "/flows?results_per_page=7").await;
    assert_eq!(
        body["meta"]["results_per_page"], 25,
        "7 is not an allowed size"
    );
    assert_eq!(body["data"].as_array().unwrap().len(), 25);
    assert_eq!(body["meta"]["total_pages"], 2);
    let (_, body) = get_json(&sim, &client, "/flows?results_per_page=25abc").await;
    assert_eq!(body["meta"]["results_per_page"], 25);
    let (_, body) = get_json(&sim, &client, "/flows/?results_per_page=10.0&page=4").await;
    assert_eq!(body["meta"]["results_per_page"], 10);
    assert_eq!(body["data"][0]["id"], 31);
    assert_eq!(body["links"]["next"], Value::Null);

    let (status, body) = get_json(&sim, &client, "/flows?results_per_page=10&page=9").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!([]));
    assert_eq!(body["meta"]["total_pages"], 4);
    assert_eq!(body["links"]["next"], Value::Null);
    assert!(body["links"]["prev"].as_str().unwrap().ends_with("page=8"));
    assert!(body["links"]["last"].as_str().unwrap().ends_with("page=4"));

    let (sim, client) = start(SimConfig {
        flows: 120,
        ..shipped()
    })
    .await;
    let (_, body) = get_json(&sim, &client, "/flows?page=2").await;
    assert_eq!(body["meta"]["total_results"], 120);
    assert_eq!(body["meta"]["total_pages"], 2);
    assert_eq!(body["data"].as_array().unwrap().len(), 20);
    assert_eq!(sim.flows().len(), 120);
    assert!(sim.flows().iter().all(|f| !f.name.is_empty()));
}

#[tokio::test]
async fn single_reads_in_both_builds() {
    let (sim, client) = start(documented()).await;
    let (status, body) = get_json(&sim, &client, "/flows/5/").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["id"], 5);
    assert_eq!(body["data"]["name"], "Appointment reminder – 24 h");
    assert!(body.get("meta").is_none());
    for path in ["/flows/999", "/flows/abc", "/flows/0", "/nothing"] {
        let (status, body) = get_json(&sim, &client, path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(title(&body), NOT_FOUND);
        assert_eq!(body["errors"][0]["status"], 404);
    }

    let (sim, client) = start(shipped()).await;
    let (_, body) = get_json(&sim, &client, "/flows/5").await;
    assert_eq!(body["data"]["id"], 12, "flow 5 is on device 12");
    assert!(body["data"].get("content").is_none());
    assert_eq!(body["data"]["total_sent_sms"], 9876);
}

#[tokio::test]
async fn create_answers_201_with_the_whole_flow() {
    let (sim, client) = start(documented()).await;
    let form = multipart::Form::new()
        .text("name", "Spring sale")
        .text("content", "Hello  {{NAME}}, it\u{2019}s spring\u{2026}")
        .text("device_id", "3")
        .text("sim_subscription_id", "2");
    let response = client
        .post(url(&sim, "/flows"))
        .bearer_auth("demo")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body = json_of(response).await;
    let flow = &body["data"];
    assert_eq!(flow["id"], 41);
    assert_eq!(flow["device_id"], 3);
    assert_eq!(flow["sim_subscription_id"], 2);
    assert_eq!(flow["content"], "Hello {{NAME}}, it's spring...");
    assert_eq!(flow["wait_time"], 1);
    assert_eq!(flow["wait_time_type"], "days");
    assert_eq!(flow["is_enabled"], true);
    assert_eq!(flow["segment"], "all");
    assert_eq!(flow["total_sent_sms"], 0);
    assert_eq!(flow["last_datetime"], Value::Null);
    let stored = sim.flow(41).unwrap();
    assert_eq!(stored.device_id, Some(3));
    assert_eq!(stored.sim_subscription_id.as_deref(), Some("2"));

    let (sim, client) = start(shipped()).await;
    let form = [
        ("name", "It's \"new\""),
        ("content", "Hello"),
        ("device_id", "3"),
        ("sim_subscription_id", "7abc"),
    ];
    let response = post_form(&sim, &client, "/flows", &form).await;
    assert_eq!(response.status(), 201);
    let flow = json_of(response).await["data"].clone();
    assert_eq!(flow["id"], 41, "the create answer has the real id");
    assert_eq!(flow["device_id"], 0, "the shipped build drops the device");
    assert_eq!(flow["sim_subscription_id"], 7);
    assert_eq!(flow["settings"], json!([]));
    assert_eq!(flow["name"], "It&#39;s &#34;new&#34;");
    let stored = sim.flow(41).unwrap();
    assert_eq!(stored.device_id, None);
    assert_eq!(stored.sim_subscription_id.as_deref(), Some("7abc"));
}

#[tokio::test]
async fn create_without_required_fields_is_a_401() {
    let (sim, client) = start(documented()).await;
    for missing in ["name", "content", "device_id", "sim_subscription_id"] {
        let mut form: Vec<(&str, &str)> = NEW_FLOW.to_vec();
        form.retain(|(k, _)| *k != missing);
        let response = post_form(&sim, &client, "/flows", &form).await;
        assert_eq!(response.status(), 401, "{missing}");
        let body = json_of(response).await;
        assert_eq!(title(&body), REQUIRED);
        assert_eq!(body["errors"][0]["status"], 401);
    }
    let response = post_form(
        &sim,
        &client,
        "/flows",
        &[
            ("name", "  "),
            ("content", "x"),
            ("device_id", "3"),
            ("sim_subscription_id", "1"),
        ],
    )
    .await;
    assert_eq!(response.status(), 401, "a blank name is missing");
    // A JSON body is not read at all.
    let fields: BTreeMap<&str, &str> = NEW_FLOW.into_iter().collect();
    let response = client
        .post(url(&sim, "/flows"))
        .bearer_auth("demo")
        .json(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(title(&json_of(response).await), REQUIRED);
    assert_eq!(sim.flows().len(), 40);
}

/// Form fields to send.
type Fields<'a> = &'a [(&'a str, &'a str)];

async fn create_with(sim: &Sim, client: &Client, extra: &[(&str, &str)]) -> Value {
    let mut form = NEW_FLOW.to_vec();
    form.extend_from_slice(extra);
    let response = post_form(sim, client, "/flows", &form).await;
    assert_eq!(response.status(), 201, "{extra:?}");
    json_of(response).await["data"].clone()
}

#[tokio::test]
async fn create_clamps_and_defaults_like_the_server() {
    let (sim, client) = start(documented()).await;
    let cases: [(Fields, u64, &str); 6] = [
        (
            &[("wait_time", "999999"), ("wait_time_type", "minutes")],
            129_600,
            "minutes",
        ),
        (
            &[("wait_time", "abc"), ("wait_time_type", "hours")],
            1,
            "hours",
        ),
        (
            &[("wait_time", "1000"), ("wait_time_type", "days")],
            90,
            "days",
        ),
        (
            &[("wait_time", "5000"), ("wait_time_type", "hours")],
            2160,
            "hours",
        ),
        (
            &[("wait_time", "12abc"), ("wait_time_type", "weeks")],
            12,
            "days",
        ),
        (&[("wait_time", "-4")], 1, "days"),
    ];
    for (extra, wait, unit) in cases {
        let flow = create_with(&sim, &client, extra).await;
        assert_eq!(flow["wait_time"], wait, "{extra:?}");
        assert_eq!(flow["wait_time_type"], unit, "{extra:?}");
    }
    for (sent, enabled) in [
        ("false", true),
        ("no", true),
        ("0", false),
        ("", false),
        ("1", true),
    ] {
        let flow = create_with(&sim, &client, &[("is_enabled", sent)]).await;
        assert_eq!(flow["is_enabled"], enabled, "is_enabled={sent:?}");
    }
    for (sent, stored) in [
        ("4", "4"),
        ("4.0", "4.0"),
        ("5", "all"),
        ("vip", "all"),
        ("all", "all"),
    ] {
        let flow = create_with(&sim, &client, &[("segment", sent)]).await;
        assert_eq!(flow["segment"], stored, "segment={sent:?}");
    }
    let flow = create_with(
        &sim,
        &client,
        &[
            ("name", "Price < 5 today"),
            ("content", "a <b>bold</b> move"),
        ],
    )
    .await;
    assert_eq!(flow["name"], "Price");
    assert_eq!(flow["content"], "a bold move");
    let long = "x".repeat(300);
    let flow = create_with(&sim, &client, &[("name", &long)]).await;
    assert_eq!(flow["name"].as_str().unwrap().chars().count(), 256);
    let flow = create_with(&sim, &client, &[("device_id", "99")]).await;
    assert_eq!(flow["device_id"], 0, "an unknown device is dropped");
}

#[tokio::test]
async fn documented_update_answers_the_whole_flow() {
    let (sim, client) = start(documented()).await;
    let before = sim.flow(1).unwrap();
    let response = post_form(&sim, &client, "/flows/1", &[("is_enabled", "0")]).await;
    assert_eq!(response.status(), 200);
    let flow = json_of(response).await["data"].clone();
    assert_eq!(flow["id"], 1);
    assert_eq!(flow["is_enabled"], false);
    assert_eq!(flow["device_id"], 3);
    assert_eq!(flow["sim_subscription_id"], 1);
    assert_eq!(flow["name"], "Welcome series");
    let after = sim.flow(1).unwrap();
    assert!(!after.is_enabled);
    assert_eq!(after.name, before.name);
    assert_eq!(after.sim_subscription_id, before.sim_subscription_id);
    assert_ne!(after.last_datetime, before.last_datetime);
    assert_eq!(flow["last_datetime"], json!(after.last_datetime));

    let response = post_form(
        &sim,
        &client,
        "/flows/2",
        &[("wait_time", "1000"), ("wait_time_type", "nope")],
    )
    .await;
    let flow = json_of(response).await["data"].clone();
    assert_eq!(flow["wait_time"], 1000, "hours stay, 1000 is under 2160");
    assert_eq!(flow["wait_time_type"], "hours");
    let response = post_form(&sim, &client, "/flows/999", &[("name", "x")]).await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn shipped_update_fails_on_a_device_and_wipes_the_sim_otherwise() {
    let (sim, client) = start(shipped()).await;
    let before = sim.flow(1).unwrap();
    let response = post_form(&sim, &client, "/flows/1", &[("is_enabled", "0")]).await;
    assert_eq!(response.status(), 500);
    assert_eq!(
        header(&response, "content-type").as_deref(),
        Some("application/json")
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("Internal server error"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert_eq!(sim.flow(1).unwrap(), before, "nothing stored");

    // Flow 13 has no device and SIM "3".
    assert_eq!(
        sim.flow(13).unwrap().sim_subscription_id.as_deref(),
        Some("3")
    );
    let response = post_form(
        &sim,
        &client,
        "/flows/13",
        &[("name", "Referral thanks"), ("content", "a  b\u{2026}")],
    )
    .await;
    assert_eq!(response.status(), 200);
    let flow = json_of(response).await["data"].clone();
    assert_eq!(flow["id"], 13);
    assert_eq!(flow["sim_subscription_id"], 0);
    assert_eq!(flow["device_id"], 0);
    assert_eq!(
        flow["content"], "a  b\u{2026}",
        "update content is not normalised"
    );
    let stored = sim.flow(13).unwrap();
    assert_eq!(
        stored.sim_subscription_id, None,
        "omitting the SIM wipes it"
    );
    assert_eq!(stored.name, "Referral thanks");
}

#[tokio::test]
async fn delete_answers_empty_then_404() {
    let (sim, client) = start(documented()).await;
    let response = client
        .delete(url(&sim, "/flows/4"))
        .bearer_auth("demo")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(response.bytes().await.unwrap().len(), 0);
    assert!(sim.flow(4).is_none());
    let (status, body) = get_json(&sim, &client, "/flows/4").await;
    assert_eq!(status, 404);
    assert_eq!(title(&body), NOT_FOUND);
    let response = client
        .delete(url(&sim, "/flows/4"))
        .bearer_auth("demo")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    // PUT and PATCH are not routed: 404 after authentication, quota spent.
    for method in [reqwest::Method::PUT, reqwest::Method::PATCH] {
        let response = client
            .request(method, url(&sim, "/flows/1"))
            .bearer_auth("demo")
            .form(&[("name", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        assert!(header(&response, "x-ratelimit-remaining").is_some());
        assert_eq!(title(&json_of(response).await), NOT_FOUND);
    }
    assert_eq!(sim.flow(1).unwrap().name, "Welcome series");
}

#[tokio::test]
async fn authentication_errors_use_no_quota() {
    let (sim, client) = start(documented()).await;
    let response = client.get(url(&sim, "/flows")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(header(&response, "x-ratelimit-limit").is_none());
    let body = json_of(response).await;
    assert_eq!(title(&body), NO_BEARER);
    assert_eq!(body["errors"][0]["status"], "401", "a string here");
    for value in ["bearer demo", "Bearer", "Token demo"] {
        let response = client
            .get(url(&sim, "/flows"))
            .header("Authorization", value)
            .send()
            .await
            .unwrap();
        assert_eq!(title(&json_of(response).await), NO_BEARER, "{value}");
    }
    let response = client
        .get(url(&sim, "/flows"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(header(&response, "x-ratelimit-remaining").is_none());
    let body = json_of(response).await;
    assert_eq!(title(&body), NO_ACCESS);
    assert_eq!(body["errors"][0]["status"], 401, "an integer here");
    let response = get(&sim, &client, "/flows/1").await;
    assert_eq!(
        header(&response, "x-ratelimit-remaining").as_deref(),
        Some("59")
    );
}

#[tokio::test]
async fn the_61st_request_in_a_window_is_refused() {
    let (sim, client) = start(SimConfig {
        rate_limit: 60,
        ..documented()
    })
    .await;
    for expected in (0..60).rev() {
        let response = get(&sim, &client, "/flows/1").await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "x-ratelimit-limit").as_deref(),
            Some("60")
        );
        assert_eq!(
            header(&response, "x-ratelimit-remaining"),
            Some(expected.to_string())
        );
        assert!(header(&response, "x-ratelimit-reset").is_none());
    }
    for _ in 0..2 {
        let response = get(&sim, &client, "/flows/1").await;
        assert_eq!(response.status(), 429);
        assert!(header(&response, "x-ratelimit-remaining").is_none());
        let reset: u64 = header(&response, "x-ratelimit-reset")
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&reset), "{reset}");
        let body = json_of(response).await;
        assert_eq!(title(&body), RATE_LIMIT);
        assert_eq!(body["errors"][0]["status"], 429);
    }
    // Another key's failures do not touch the window, and control endpoints are free.
    let response = client
        .post(format!("http://{}/_demo/step", sim.addr()))
        .json(&json!({"seconds": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// id, enabled, has a device, sent, pending, failed
type Totals = (u64, bool, bool, i64, i64, i64);

fn totals(sim: &Sim) -> Vec<Totals> {
    sim.flows()
        .into_iter()
        .map(|f| {
            let has_device = f.device_id.is_some();
            (
                f.id,
                f.is_enabled,
                has_device,
                f.total_sent_sms,
                f.total_pending_sms,
                f.total_failed_sms,
            )
        })
        .collect()
}

#[tokio::test]
async fn counters_move_for_enabled_flows_only() {
    let (sim, _client) = start(documented()).await;
    let before = totals(&sim);
    let last_sent_before = sim.flow(1).unwrap().last_sent_datetime;
    sim.step(120.0);
    let after = totals(&sim);
    let mut scheduled_enabled = 0;
    let mut sent_enabled = 0;
    for (b, a) in before.iter().zip(&after) {
        let (id, enabled, has_device) = (b.0, b.1, b.2);
        let sum_before = b.3 + b.4 + b.5;
        let sum_after = a.3 + a.4 + a.5;
        if enabled {
            scheduled_enabled += sum_after - sum_before;
            sent_enabled += a.3 - b.3;
        } else {
            assert_eq!(
                sum_after, sum_before,
                "disabled flow {id} scheduled new SMS"
            );
        }
        if !has_device {
            assert_eq!(
                (a.3, a.5),
                (b.3, b.5),
                "flow {id} has no phone to send from"
            );
            assert!(a.4 >= b.4);
        }
    }
    assert!(scheduled_enabled > 50, "{scheduled_enabled}");
    assert!(sent_enabled > 50, "{sent_enabled}");
    assert_ne!(sim.flow(1).unwrap().last_sent_datetime, last_sent_before);
    // A disabled flow with a phone still sends what was pending.
    let rsvp = sim.flow(18).unwrap();
    assert!(!rsvp.is_enabled && rsvp.device_id.is_some() && rsvp.total_pending_sms > 0);
    sim.step(600.0);
    assert_eq!(sim.flow(18).unwrap().total_pending_sms, 0);

    // The same seed and steps give the same counters; pace 0 stops the engine.
    let (a, _) = start(SimConfig {
        seed: 5,
        ..documented()
    })
    .await;
    let (b, _) = start(SimConfig {
        seed: 5,
        ..documented()
    })
    .await;
    for s in [&a, &b] {
        s.step(30.0);
        s.step(2.5);
    }
    assert_eq!(totals(&a), totals(&b));
    let (still, _) = start(SimConfig {
        pace: 0.0,
        ..documented()
    })
    .await;
    let before = totals(&still);
    still.step(100.0);
    assert_eq!(totals(&still), before);
}

#[tokio::test]
async fn background_traffic_moves_counters_and_shutdown_stops_serving() {
    let (sim, client) = start(SimConfig {
        pace: 50.0,
        traffic: true,
        ..documented()
    })
    .await;
    let sent = |sim: &Sim| sim.flows().iter().map(|f| f.total_sent_sms).sum::<i64>();
    let before = sent(&sim);
    let mut moved = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if sent(&sim) > before {
            moved = true;
            break;
        }
    }
    assert!(moved, "counters never moved");
    assert_eq!(get(&sim, &client, "/flows/1").await.status(), 200);
    sim.shutdown();
    let mut refused = false;
    for _ in 0..50 {
        if new_client()
            .get(url(&sim, "/flows/1"))
            .bearer_auth("demo")
            .send()
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "still serving after shutdown");
}

fn demo_url(sim: &Sim, path: &str) -> String {
    format!("http://{}/_demo{path}", sim.addr())
}

#[tokio::test]
async fn transport_faults_answer_as_they_should() {
    let (sim, client) = start(documented()).await;

    sim.push_fault(Fault::Html502, 1);
    let response = get(&sim, &client, "/flows").await;
    assert_eq!(response.status(), 502);
    assert!(
        header(&response, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.text().await.unwrap().contains("502 Bad Gateway"));
    assert_eq!(
        get(&sim, &client, "/flows").await.status(),
        200,
        "count 1 is used up"
    );

    sim.push_fault(Fault::Html500, 1);
    let response = get(&sim, &client, "/flows").await;
    assert_eq!(response.status(), 500);
    assert_eq!(
        header(&response, "content-type").as_deref(),
        Some("application/json")
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );

    sim.push_fault(Fault::InvalidJson, 1);
    let response = get(&sim, &client, "/flows").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert!(text.contains("\"data\""));

    sim.push_fault(Fault::Truncated, 1);
    let response = get(&sim, &client, "/flows/1").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.starts_with("{\"data\""));
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    sim.push_fault(Fault::RateLimitBurst, 1);
    let response = get(&sim, &client, "/flows").await;
    assert_eq!(response.status(), 429);
    assert!(
        header(&response, "x-ratelimit-reset")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            <= 60
    );
    assert!(header(&response, "x-ratelimit-remaining").is_none());
    assert_eq!(title(&json_of(response).await), RATE_LIMIT);

    sim.push_fault(Fault::Redirect, 1);
    let response = get(&sim, &client, "/flows").await;
    assert_eq!(response.status(), 302);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(location, format!("http://{}/not-found", sim.addr()));
    assert!(!header(&response, "content-type").unwrap().contains("json"));
    let page = client.get(&location).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(
        page.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );

    sim.push_fault(Fault::Reset, 1);
    let err = new_client()
        .get(url(&sim, "/flows"))
        .bearer_auth("demo")
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert_eq!(sim.requests().last().unwrap().status, 0);

    sim.push_fault(Fault::Oversize, 1);
    let response = get(&sim, &client, "/flows").await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.len() > 16 * 1024 * 1024, "{}", bytes.len());
    assert!(serde_json::from_slice::<Value>(&bytes).is_ok());

    // Latency past the client's time-out.
    sim.push_fault(Fault::Latency(Duration::from_secs(3)), 1);
    let slow = new_client()
        .get(url(&sim, "/flows"))
        .bearer_auth("demo")
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(slow.unwrap_err().is_timeout());
    assert_eq!(get(&sim, &client, "/flows").await.status(), 200);
}

#[tokio::test]
async fn a_late_answer_still_stores_the_write() {
    let (sim, _) = start(documented()).await;
    sim.push_fault(Fault::LateAnswer(Duration::from_secs(3)), 1);
    let response = new_client()
        .post(url(&sim, "/flows"))
        .bearer_auth("demo")
        .form(&NEW_FLOW)
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(response.unwrap_err().is_timeout());
    let mut stored = false;
    for _ in 0..50 {
        if sim.flows().iter().any(|f| f.name == "Spring sale") {
            stored = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stored, "the create was not stored");
}

#[tokio::test]
async fn hostile_names_reach_the_client_and_faults_can_stick() {
    let (sim, client) = start(shipped()).await;
    sim.push_fault(Fault::HostileNames, 0);
    for _ in 0..2 {
        let (status, body) = get_json(&sim, &client, "/flows").await;
        assert_eq!(status, 200);
        let names: Vec<&str> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        for needle in [
            "\u{1b}]0;",
            "\u{1b}]52;",
            "\u{1b}[2J",
            "\u{1b}P",
            "\u{202e}",
            "\u{2066}",
            "\u{200b}",
            "\r",
            "\n",
            "\t",
            "\u{8}",
        ] {
            assert!(
                names.iter().any(|n| n.contains(needle)),
                "no name with {needle:?}"
            );
        }
        assert!(names.contains(&""));
        assert!(names.iter().any(|n| n.chars().count() >= 5000));
    }
    sim.clear_faults();
    let (_, body) = get_json(&sim, &client, "/flows/1").await;
    assert_eq!(body["data"]["name"], "Welcome series");
    assert_eq!(
        sim.flow(1).unwrap().name,
        "Welcome series",
        "the store is untouched"
    );
}

#[tokio::test]
async fn control_endpoints_set_faults_edit_flows_and_step() {
    let (sim, client) = start(documented()).await;
    let response = client
        .post(demo_url(&sim, "/fault"))
        .json(&json!({"kind": "html502", "count": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Control requests are not API requests: they neither use up faults nor need a key.
    let response = client
        .post(demo_url(&sim, "/step"))
        .json(&json!({"seconds": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(get(&sim, &client, "/flows").await.status(), 502);
    assert_eq!(get(&sim, &client, "/flows").await.status(), 502);
    assert_eq!(get(&sim, &client, "/flows").await.status(), 200);

    client
        .post(demo_url(&sim, "/fault"))
        .json(&json!({"kind": "late_answer", "count": 0, "ms": 10}))
        .send()
        .await
        .unwrap();
    client
        .post(demo_url(&sim, "/fault"))
        .json(&json!({"kind": "clear"}))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&sim, &client, "/flows").await.status(), 200);
    let response = client
        .post(demo_url(&sim, "/fault"))
        .json(&json!({"kind": "meteor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    let before = sim.flow(3).unwrap();
    let response = client
        .post(demo_url(&sim, "/flows/3"))
        .json(&json!({"name": "Survey v2", "is_enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, body) = get_json(&sim, &client, "/flows/3").await;
    assert_eq!(body["data"]["name"], "Survey v2");
    assert_eq!(body["data"]["is_enabled"], false);
    assert_ne!(body["data"]["last_datetime"], json!(before.last_datetime));
    assert_eq!(body["data"]["content"], json!(before.content));
    let response = client
        .post(demo_url(&sim, "/flows/999"))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(sim.edit_flow(
        1,
        FlowEdit {
            wait_time: Some(5),
            ..FlowEdit::default()
        }
    ));
    assert_eq!(sim.flow(1).unwrap().wait_time, 5);
    assert!(!sim.edit_flow(999, FlowEdit::default()));

    let sent = sim.flow(1).unwrap().total_sent_sms;
    let response = client
        .post(demo_url(&sim, "/step"))
        .json(&json!({"seconds": 300}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(sim.flow(1).unwrap().total_sent_sms > sent);
}

#[tokio::test]
async fn the_request_log_has_form_fields_and_never_the_key() {
    let key = "0123456789abcdef0123456789abcdef";
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.jsonl");
    let (sim, client) = start(SimConfig {
        api_key: key.to_owned(),
        log_path: Some(log.clone()),
        ..documented()
    })
    .await;
    let response = client
        .post(url(&sim, "/flows"))
        .bearer_auth(key)
        .form(&NEW_FLOW)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let form = multipart::Form::new()
        .text("is_enabled", "0")
        .text("api_key", key.to_owned());
    let response = client
        .post(url(&sim, "/flows/41"))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = client
        .get(url(&sim, &format!("/flows?page=2&api_key={key}")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    client
        .get(url(&sim, "/flows"))
        .bearer_auth("wrong-key")
        .send()
        .await
        .unwrap();

    let requests = sim.requests();
    assert_eq!(requests.len(), 4);
    let create = &requests[0];
    assert_eq!(
        (create.method.as_str(), create.path.as_str(), create.status),
        ("POST", "/api/flows", 201)
    );
    assert_eq!(create.form["name"], "Spring sale");
    assert_eq!(create.form["sim_subscription_id"], "2");
    assert_eq!(requests[1].form["is_enabled"], "0");
    assert_eq!(requests[2].path, "/api/flows");
    assert!(requests[2].query.contains("page=2"));
    assert_eq!(requests[3].status, 401);
    assert!(create.time.len() >= 19);
    let dump = format!("{requests:?} {sim:?}");
    assert!(!dump.contains(key), "{dump}");
    let cfg = SimConfig {
        api_key: key.to_owned(),
        ..SimConfig::default()
    };
    assert!(!format!("{cfg:?}").contains(key));

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(key));
    assert!(!text.to_lowercase().contains("bearer"));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(lines[0]["path"], "/api/flows");
    assert_eq!(lines[0]["status"], 201);
    assert_eq!(lines[0]["form"]["content"], "Hello {{NAME}}");
    assert!(lines[0]["time"].is_string());
}

#[tokio::test]
async fn devices_and_segments_for_the_pickers() {
    let (sim, client) = start(documented()).await;
    let (status, body) = get_json(&sim, &client, "/devices").await;
    assert_eq!(status, 200);
    let devices = body["data"].as_array().unwrap();
    assert_eq!(body["meta"]["total"], 4);
    let with_sims = devices
        .iter()
        .filter(|d| d["sims"].as_array().is_some_and(|s| !s.is_empty()))
        .count();
    assert_eq!(with_sims, 3);
    assert!(devices.iter().any(|d| d["sims"].is_null()));
    assert_eq!(devices[0]["name"], "Front desk phone");
    assert_eq!(
        devices[0]["sims"][1],
        json!({"subscription_id": 2, "phone_number": "+33798765432", "carrier_name": "Free Mobile", "display_name": "SIM 2", "slot_index": 1})
    );
    let (status, body) = get_json(&sim, &client, "/devices/7").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["sims"][0]["phone_number"], Value::Null);
    assert_eq!(get(&sim, &client, "/devices/8").await.status(), 404);

    let (_, body) = get_json(&sim, &client, "/segments").await;
    let segments = body["data"].as_array().unwrap();
    assert_eq!(segments.len(), 3);
    assert_eq!(segments[0]["total_contacts"], "312", "a string in lists");
    let (_, body) = get_json(&sim, &client, "/segments/4").await;
    assert_eq!(
        body["data"]["total_contacts"], 312,
        "an int in single reads"
    );
    assert_eq!(body["data"]["name"], "VIP customers");

    let (sim, client) = start(shipped()).await;
    let response = post_form(&sim, &client, "/segments/4", &[("name", "x")]).await;
    assert_eq!(response.status(), 500);
    let (_, body) = get_json(&sim, &client, "/devices").await;
    assert_eq!(body["meta"]["total_results"], 4);
}

#[tokio::test]
async fn faults_for_writes_let_reads_by_and_store_before_failing() {
    let (sim, client) = start(documented()).await;
    let response = client
        .post(demo_url(&sim, "/fault"))
        .json(&json!({"kind": "stored_then_500", "writes": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The read before the write passes the fault by.
    assert_eq!(get(&sim, &client, "/flows/1").await.status(), 200);
    let response = post_form(&sim, &client, "/flows/1", &[("is_enabled", "0")]).await;
    assert_eq!(response.status(), 500);
    assert!(!sim.flow(1).unwrap().is_enabled, "stored before the 500");

    // Substituted: what was sent is replaced by the server's own choice.
    sim.push_write_fault(Fault::Substitute, 1);
    let response = post_form(&sim, &client, "/flows/2", &[("segment", "4")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(sim.flow(2).unwrap().segment, "all");
    // Another flow's object in the answer of a write to flow 3.
    sim.push_write_fault(Fault::OtherFlow, 1);
    let response = post_form(&sim, &client, "/flows/3", &[("wait_time", "5")]).await;
    assert_eq!(json_of(response).await["data"]["id"], 1);
    assert_eq!(sim.flow(3).unwrap().wait_time, 5);
}

/// (sent, pending, failed) rows of flow `id` in the server's SMS table.
fn sms_rows(sim: &Sim, id: u64) -> (i64, i64, i64) {
    let mut rows = (0, 0, 0);
    for sms in sim.messages().iter().filter(|s| s.flow_id == id) {
        match sms.status.as_str() {
            "sent" => rows.0 += 1,
            "pending" => rows.1 += 1,
            "failed" => rows.2 += 1,
            other => panic!("status {other}"),
        }
    }
    rows
}

#[tokio::test]
async fn traffic_writes_a_message_for_every_count_it_moves() {
    let (sim, client) = start(documented()).await;
    assert!(sim.messages().is_empty());
    let before = totals(&sim);
    sim.step(120.0);
    let after = totals(&sim);
    let mut failed = 0;
    for (b, a) in before.iter().zip(&after) {
        let (sent, pending, fail) = sms_rows(&sim, b.0);
        assert_eq!(sent, a.3 - b.3, "sent rows of flow {}", b.0);
        assert_eq!(fail, a.5 - b.5, "failed rows of flow {}", b.0);
        assert!(pending <= a.4, "pending rows of flow {}", b.0);
        if !b.2 {
            // No phone: every new contact is a pending row, nothing else moves.
            assert_eq!(pending, a.4 - b.4, "pending rows of flow {}", b.0);
        }
        failed += fail;
    }
    assert!(failed > 0, "some SMS failed");
    let total = i64::try_from(sim.messages().len()).unwrap();
    assert!(total > 100, "{total}");

    // Newest first by default, paged like flows, every documented field.
    let (status, body) = get_json(&sim, &client, "/sms?results_per_page=250").await;
    assert_eq!(status, 200);
    let data = body["data"].as_array().unwrap();
    let ids: Vec<u64> = data.iter().map(|s| s["sms_id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(
        ids.first(),
        sim.messages().last().map(|s| s.sms_id).as_ref()
    );
    assert_eq!(body["meta"]["total"], json!(total));
    for key in [
        "sms_id",
        "device_id",
        "sim_subscription_id",
        "contact_id",
        "campaign_id",
        "flow_id",
        "rss_automation_id",
        "recurring_campaign_id",
        "user_id",
        "type",
        "content",
        "status",
        "error",
        "scheduled_datetime",
        "datetime",
    ] {
        assert!(data[0].get(key).is_some(), "no {key}");
    }
    assert!(data[0].get("id").is_none(), "the id key is sms_id");
    let failure = sim.messages().into_iter().find(|s| s.status == "failed");
    let failure = failure.unwrap();
    let (status, one) = get_json(&sim, &client, &format!("/sms/{}", failure.sms_id)).await;
    assert_eq!(status, 200);
    assert_eq!(one["data"]["flow_id"], json!(failure.flow_id));
    assert!(
        one["data"]["error"]
            .as_str()
            .unwrap()
            .starts_with("RESULT_ERROR_"),
        "{one}"
    );
    // No server filter by flow.
    let (_, filtered) = get_json(&sim, &client, "/sms?results_per_page=250&flow_id=1").await;
    assert_eq!(filtered["data"], body["data"]);
    let (status, _) = get_json(&sim, &client, "/sms/999999999").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_account_can_list_messages_oldest_first() {
    let (sim, client) = start(SimConfig {
        sms_oldest_first: true,
        ..documented()
    })
    .await;
    sim.step(60.0);
    let (_, body) = get_json(&sim, &client, "/sms?results_per_page=10&page=2").await;
    let ids: Vec<u64> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sms_id"].as_u64().unwrap())
        .collect();
    let oldest: Vec<u64> = sim
        .messages()
        .iter()
        .skip(10)
        .take(10)
        .map(|s| s.sms_id)
        .collect();
    assert_eq!(ids, oldest);
}

#[tokio::test]
async fn control_adds_failed_messages_to_one_flow() {
    let (sim, client) = start(documented()).await;
    let failed_before = sim.flow(3).unwrap().total_failed_sms;
    let response = client
        .post(demo_url(&sim, "/flows/3/fail"))
        .json(&json!({"count": 12, "error": "RESULT_ERROR_NO_SERVICE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(sim.flow(3).unwrap().total_failed_sms, failed_before + 12);
    assert_eq!(sms_rows(&sim, 3), (0, 0, 12));
    assert!(
        sim.messages()
            .iter()
            .all(|s| s.flow_id == 3 && s.error.as_deref() == Some("RESULT_ERROR_NO_SERVICE"))
    );
    let (_, body) = get_json(&sim, &client, "/sms").await;
    assert_eq!(body["data"][0]["status"], "failed");
    assert_eq!(body["data"][0]["error"], "RESULT_ERROR_NO_SERVICE");
    let unknown = client
        .post(demo_url(&sim, "/flows/4040/fail"))
        .json(&json!({"count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    // Hostile text reaches the client in content and error alike.
    sim.push_fault(Fault::HostileNames, 1);
    let (_, body) = get_json(&sim, &client, "/sms").await;
    let first = &body["data"][0];
    assert_ne!(first["error"], "RESULT_ERROR_NO_SERVICE");
    assert!(first["content"].as_str().unwrap().contains('\u{1b}'));
}
