//! The built binary against a demo server the test starts: what each command prints, its exit
//! status, and what the server received. Every run gets its own HOME and XDG directories so no
//! test reads the real config or writes the real log.

// The helpers below are test code too: a failed setup should stop the test loudly.
#![expect(clippy::unwrap_used)]

#[path = "cli/bulk.rs"]
mod bulk;
#[path = "cli/config.rs"]
mod config;
pub mod fixtures;
#[path = "cli/keys.rs"]
mod keys;

use std::path::PathBuf;
use std::process::Stdio;

use flowdash::sim::{Fault, LoggedRequest, Sim, SimConfig};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Command;

pub use fixtures::Run;
use fixtures::form;

/// A home directory of its own, with config, state and log under it.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Default for Home {
    fn default() -> Self {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }
}

impl Home {
    pub fn new() -> Home {
        Home::default()
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn log_file(&self) -> PathBuf {
        self.dir.path().join("state/flowdash/flowdash.log")
    }

    /// Writes the default config file with the given mode.
    pub fn write_config(&self, text: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let path = self.config_dir().join("flowdash/config.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    /// The binary with a clean environment: nothing of the caller's flowdash settings.
    pub fn command(&self) -> Command {
        fixtures::flowdash(self.dir.path())
    }

    pub async fn run_with(&self, envs: &[(&str, &str)], args: &[&str]) -> Run {
        fixtures::run(self.dir.path(), envs, args).await
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_with(&[], args).await
    }

    /// Runs against `sim` with its key, through the environment.
    pub async fn on(&self, sim: &Sim, args: &[&str]) -> Run {
        let url = sim.base_url();
        self.run_with(
            &[("FLOWDASH_BASE_URL", &url), ("FLOWDASH_API_KEY", "demo")],
            args,
        )
        .await
    }
}

/// A demo server with still counters, so runs are repeatable.
pub async fn sim() -> Sim {
    sim_with(SimConfig {
        traffic: false,
        ..SimConfig::default()
    })
    .await
}

pub async fn sim_with(cfg: SimConfig) -> Sim {
    Sim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

pub fn writes(sim: &Sim) -> Vec<LoggedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect()
}

/// The one line a failure prints.
fn assert_error(r: &Run, needle: &str) {
    assert!(!r.ok, "should fail: {r:?}");
    assert!(r.err.starts_with("error: "), "{r:?}");
    assert!(r.err.contains(needle), "expected {needle:?} in {:?}", r.err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_prints_an_aligned_table_of_one_page() {
    let sim = sim().await;
    let home = Home::new();
    let r = home.on(&sim, &["list"]).await;
    assert!(r.ok, "{r:?}");
    let lines: Vec<&str> = r.out.lines().collect();
    assert!(lines[0].starts_with("ID  STATUS  NAME"), "{}", lines[0]);
    assert_eq!(lines.len(), 26, "a header and 25 flows");
    let first = sim.flows()[0].clone();
    assert!(lines[1].contains(&first.name), "{}", lines[1]);
    assert!(lines[1].contains(&first.total_sent_sms.to_string()));
    // Aligned: every row puts its name where the header does.
    let at = lines[0].find("NAME").unwrap();
    assert!(lines[1..].iter().all(|l| l[..at].ends_with("  ")));
    assert!(r.err.contains("page 1 of 2 · 40 flows"), "{}", r.err);
    let reqs = sim.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/api/flows");
    assert!(reqs[0].query.contains("results_per_page=25"));

    let r = home
        .on(&sim, &["list", "--page", "2", "--per-page", "10"])
        .await;
    assert!(r.ok, "{r:?}");
    assert!(
        r.out
            .lines()
            .nth(1)
            .unwrap()
            .trim_start()
            .starts_with("11 ")
    );
    assert!(r.err.contains("page 2 of 4"), "{}", r.err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_fits_the_width() {
    let sim = sim().await;
    let home = Home::new();
    let r = home
        .run_with(
            &[
                ("FLOWDASH_BASE_URL", &sim.base_url()),
                ("FLOWDASH_API_KEY", "demo"),
                ("COLUMNS", "70"),
            ],
            &["list"],
        )
        .await;
    assert!(r.ok, "{r:?}");
    assert!(r.out.lines().all(|l| l.chars().count() <= 70), "{}", r.out);
    assert!(r.out.contains('…'), "a long name is cut: {}", r.out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_json_has_the_api_field_names() {
    let sim = sim().await;
    let home = Home::new();
    let r = home.on(&sim, &["list", "--json"]).await;
    assert!(r.ok, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 25);
    let stored = &sim.flows()[0];
    assert_eq!(items[0]["id"], stored.id);
    assert_eq!(items[0]["name"], stored.name.as_str());
    assert_eq!(items[0]["total_sent_sms"], stored.total_sent_sms);
    assert!(items[0].get("wait_time_type").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_all_reads_every_page_a_thousand_at_a_time() {
    let sim = sim_with(SimConfig {
        traffic: false,
        flows: 1200,
        ..SimConfig::default()
    })
    .await;
    let home = Home::new();
    let r = home.on(&sim, &["list", "--all"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.out.lines().count(), 1201);
    assert!(r.err.contains("loaded page 1 of 2"), "{}", r.err);
    assert!(r.err.contains("loaded page 2 of 2"), "{}", r.err);
    let reqs = sim.requests();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs.iter()
            .all(|q| q.query.contains("results_per_page=1000"))
    );

    let r = home.on(&sim, &["list", "--all", "--json"]).await;
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_prints_every_field() {
    let sim = sim().await;
    let home = Home::new();
    let stored = sim.flow(3).unwrap();
    let r = home.on(&sim, &["show", "3"]).await;
    assert!(r.ok, "{r:?}");
    assert!(
        r.out.contains(&format!("name        {}", stored.name)),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains(&format!("sent        {}", stored.total_sent_sms))
    );
    assert!(r.out.contains("SMS"), "length and parts: {}", r.out);
    // The device and SIM by name, with their ids.
    let device = stored.device_id.expect("flow 3 has a device");
    assert!(
        r.out
            .contains(&format!("device      Warehouse Pixel (#{device})")),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("SIM         SIM 1 (Vodafone) (#"),
        "{}",
        r.out
    );
    let r = home.on(&sim, &["show", "3", "--json"]).await;
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["id"], 3);
    assert_eq!(v["content"], stored.content.as_str());

    let r = home.on(&sim, &["show", "9999"]).await;
    assert_error(&r, "flow 9999 not found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_sends_only_is_enabled_and_enable_switches_back() {
    let sim = sim().await;
    let home = Home::new();
    let id = sim.flows().iter().find(|f| f.is_enabled).unwrap().id;
    let ids = id.to_string();

    let r = home.on(&sim, &["disable", &ids]).await;
    assert!(r.ok, "{r:?}");
    // It says what a switch off does not do.
    assert_eq!(
        r.out,
        format!(
            "flow {id} disabled · pending SMS still go out; contacts arriving while off never get it\n"
        )
    );
    assert!(!sim.flow(id).unwrap().is_enabled);
    let w = writes(&sim);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].path, format!("/api/flows/{id}"));
    assert_eq!(w[0].form, form(&[("is_enabled", "0")]));

    let r = home.on(&sim, &["show", &ids, "--json"]).await;
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["is_enabled"], false);

    let r = home.on(&sim, &["disable", &ids]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.out, format!("flow {id} already disabled\n"));
    assert_eq!(writes(&sim).len(), 1, "nothing sent for a flow already off");

    let r = home.on(&sim, &["enable", &ids, "9999"]).await;
    assert!(!r.ok, "one of the flows does not exist");
    assert_eq!(r.out, format!("flow {id} enabled\n"));
    assert_eq!(r.err, "error: flow 9999 not found\n");
    assert!(sim.flow(id).unwrap().is_enabled);
    assert_eq!(writes(&sim)[1].form, form(&[("is_enabled", "1")]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_prints_the_new_id_and_the_server_has_it() {
    let sim = sim().await;
    let home = Home::new();
    let r = home
        .on(
            &sim,
            &[
                "create",
                "--name",
                "From the CLI",
                "--content",
                "Hello {{NAME}}",
                "--device-id",
                "3",
                "--sim-subscription-id",
                "1",
                "--wait-time",
                "2",
                "--wait-time-type",
                "hours",
            ],
        )
        .await;
    assert!(r.ok, "{r:?}");
    let id: u64 = r
        .out
        .strip_prefix("created flow ")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("{r:?}"));
    let stored = sim.flow(id).unwrap();
    assert_eq!(stored.name, "From the CLI");
    assert_eq!(stored.content, "Hello {{NAME}}");
    assert_eq!(
        (stored.wait_time, stored.wait_time_type.as_str()),
        (2, "hours")
    );
    assert!(!stored.is_enabled, "a new flow starts switched off");
    assert_eq!(writes(&sim)[0].form["is_enabled"], "0");

    // --enabled starts one on; --disabled, the default, is still accepted.
    for (flag, on) in [("--enabled", true), ("--disabled", false)] {
        let r = home
            .on(
                &sim,
                &[
                    "create",
                    "--name",
                    "J",
                    "--content",
                    "c",
                    "--device-id",
                    "3",
                    "--sim-subscription-id",
                    "1",
                    flag,
                    "--json",
                ],
            )
            .await;
        let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
        assert_eq!(
            (&v["name"], &v["is_enabled"]),
            (&"J".into(), &on.into()),
            "{flag}"
        );
        let on_server = sim.flow(v["id"].as_u64().unwrap()).unwrap();
        assert_eq!(on_server.is_enabled, on, "{flag}");
    }

    // Checked before sending: the server is not asked.
    let before = sim.requests().len();
    let r = home
        .on(
            &sim,
            &[
                "create",
                "--name",
                " ",
                "--content",
                "c",
                "--device-id",
                "3",
                "--sim-subscription-id",
                "1",
            ],
        )
        .await;
    assert_error(&r, "--name: a name is required");
    assert_eq!(sim.requests().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_server_drops_the_device_and_changes_nothing() {
    let sim = sim_with(SimConfig {
        traffic: false,
        quirks: true,
        ..SimConfig::default()
    })
    .await;
    let home = Home::new();
    let r = home
        .on(
            &sim,
            &[
                "create",
                "--name",
                "N",
                "--content",
                "c",
                "--device-id",
                "3",
                "--sim-subscription-id",
                "1",
            ],
        )
        .await;
    assert!(r.ok, "{r:?}");
    let id = r.out.trim().strip_prefix("created flow ").unwrap();
    // Its strict database stores no flow sent switched off: created on, then switched off, and
    // both steps are said.
    assert_eq!(
        r.err,
        format!(
            "warning: the server stored no device for flow {id}; pick one in the web dashboard\n\
             note: the server stores no flow sent switched off (it answered `id: false`): \
             created flow {id} switched on\n\
             note: then switched flow {id} off\n"
        )
    );
    let steps: Vec<(String, Option<String>)> = writes(&sim)
        .into_iter()
        .map(|w| (w.path, w.form.get("is_enabled").cloned()))
        .collect();
    assert_eq!(
        steps,
        [
            ("/api/flows".to_owned(), Some("0".to_owned())),
            ("/api/flows".to_owned(), None),
            (format!("/api/flows/{id}"), Some("0".to_owned())),
        ]
    );
    assert!(!sim.flow(id.parse().unwrap()).unwrap().is_enabled);
    // Its ids are device ids: no existing flow is changed.
    let posts = writes(&sim).len();
    let r = home.on(&sim, &["disable", "3"]).await;
    assert_error(&r, "refused by flowdash");
    assert_eq!(writes(&sim).len(), posts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_sends_only_the_given_fields() {
    let sim = sim().await;
    let home = Home::new();
    let r = home.on(&sim, &["update", "4", "--name", "Renamed"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.out, "flow 4 updated\n");
    assert_eq!(sim.flow(4).unwrap().name, "Renamed");
    let w = writes(&sim);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].form, form(&[("name", "Renamed")]));

    let r = home
        .on(
            &sim,
            &[
                "update",
                "4",
                "--wait-time",
                "91",
                "--wait-time-type",
                "days",
            ],
        )
        .await;
    assert_error(&r, "--wait-time: between 1 and 90 days");
    let r = home.on(&sim, &["update", "4"]).await;
    assert_error(&r, "nothing to update");
    assert_eq!(writes(&sim).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_needs_yes_and_a_second_delete_is_not_found() {
    let sim = sim().await;
    let home = Home::new();
    let r = home.on(&sim, &["delete", "5"]).await;
    assert_error(&r, "--yes");
    assert!(sim.flow(5).is_some());

    let r = home.on(&sim, &["delete", "5", "--yes"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.out, "flow 5 deleted\n");
    assert!(sim.flow(5).is_none());

    let r = home.on(&sim, &["delete", "5", "--yes"]).await;
    assert_eq!(r.err, "error: flow 5 not found\n");
    assert!(!r.ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_named_and_never_shown() {
    let sim = sim().await;
    let home = Home::new();
    let url = sim.base_url();
    let r = home
        .run_with(
            &[
                ("FLOWDASH_BASE_URL", &url),
                ("FLOWDASH_API_KEY", "Xq7-wrong-key"),
            ],
            &["list"],
        )
        .await;
    assert_error(&r, "API key rejected");
    assert!(!r.err.contains("Xq7"));
    let log = std::fs::read_to_string(home.log_file()).unwrap_or_default();
    assert!(!log.contains("Xq7"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_is_a_connection_error() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let home = Home::new();
    let url = format!("http://127.0.0.1:{port}/api");
    let r = home
        .run_with(
            &[("FLOWDASH_BASE_URL", &url), ("FLOWDASH_API_KEY", "demo")],
            &["list"],
        )
        .await;
    assert_error(&r, "cannot reach the server");
    assert!(r.err.to_lowercase().contains("refused"), "{}", r.err);
    assert_eq!(r.err.lines().count(), 1, "{}", r.err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_says_for_how_long() {
    let sim = sim().await;
    sim.push_fault(Fault::RateLimitBurst, 1);
    let home = Home::new();
    let r = home.on(&sim, &["list"]).await;
    assert_error(&r, "rate limited for ");
    let secs: String = r.err["error: rate limited for ".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert!(secs.parse::<u64>().is_ok(), "{}", r.err);
    assert_eq!(sim.requests().len(), 1, "a 429 is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_answer_is_named() {
    let sim = sim().await;
    // Until cleared: reads are retried, so every try gets the proxy's page.
    sim.push_fault(Fault::Html502, 0);
    let home = Home::new();
    let r = home.on(&sim, &["show", "3"]).await;
    assert_error(&r, "HTML");
    assert!(r.err.contains("502"), "{}", r.err);
    assert_eq!(r.err.lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_another_host_is_refused_before_connecting() {
    let home = Home::new();
    let r = home
        .run(&[
            "--base-url",
            "http://sms.example.com/api",
            "--api-key",
            "k",
            "list",
        ])
        .await;
    assert_error(
        &r,
        "refusing plain http:// to sms.example.com: use https://",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_without_a_key_says_how_to_give_one() {
    let home = Home::new();
    let r = home.run(&["list"]).await;
    assert!(!r.ok);
    assert_eq!(
        r.err,
        "error: no API key: set FLOWDASH_API_KEY, pass --api-key, use a profile, or add --demo\n"
    );
    assert!(r.out.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_without_a_terminal_says_so() {
    let home = Home::new();
    let r = home.run(&["--demo"]).await;
    assert_error(&r, "the dashboard needs a terminal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_works_with_every_command() {
    let home = Home::new();
    let r = home.run(&["list", "--demo"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.out.lines().count(), 26);
    let r = home.run(&["--demo", "disable", "1"]).await;
    assert!(r.out.starts_with("flow 1 disabled · "), "{r:?}");
    let r = home.run(&["devices", "--demo"]).await;
    assert!(r.ok && r.out.contains("Front desk phone"), "{r:?}");
    let r = home.run(&["segments", "--demo"]).await;
    assert!(r.ok && r.out.contains("VIP customers"), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_writes_nothing() {
    let sim = sim().await;
    let home = Home::new();
    for args in [
        &["--read-only", "disable", "1"][..],
        &["--read-only", "update", "1", "--name", "x"],
        &["--read-only", "delete", "1", "--yes"],
        &[
            "--read-only",
            "create",
            "--name",
            "n",
            "--content",
            "c",
            "--device-id",
            "3",
            "--sim-subscription-id",
            "1",
        ],
    ] {
        let r = home.on(&sim, args).await;
        assert_error(&r, "read-only");
    }
    assert!(writes(&sim).is_empty(), "{:?}", writes(&sim));
    // An error that would only repeat stops the rest, and says which were not tried.
    let r = home
        .on(&sim, &["--read-only", "enable", "1", "2", "3"])
        .await;
    assert_eq!(
        r.err,
        "error: flow 1: refused by flowdash: read-only mode: flowdash does not write\nerror: not tried: flows 2, 3\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_production_profile_asks_for_the_name() {
    let sim = sim().await;
    let home = Home::new();
    home.write_config(
        &format!(
            "default_profile = \"prod\"\n[profiles.prod]\nbase_url = \"{}\"\napi_key = \"demo\"\nproduction = true\n",
            sim.base_url()
        ),
        0o600,
    );
    let name = sim.flow(6).unwrap().name;
    let r = home.run(&["delete", "6", "--yes"]).await;
    assert_error(&r, "--confirm NAME");
    let r = home
        .run(&["delete", "6", "--yes", "--confirm", "Not it"])
        .await;
    assert_error(&r, "nothing was deleted");
    assert!(writes(&sim).is_empty());
    assert!(sim.flow(6).is_some());
    let r = home
        .run(&["delete", "6", "--yes", "--confirm", &name])
        .await;
    assert!(r.ok, "{r:?}");
    assert!(sim.flow(6).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_prints_where_it_listens_first() {
    let home = Home::new();
    let mut child = home
        .command()
        .args(["serve-demo", "--port", "0", "--flows", "12"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let url = first.strip_prefix("listening on ").unwrap().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/api"),
        "{url}"
    );

    let r = home
        .run_with(
            &[("FLOWDASH_BASE_URL", &url), ("FLOWDASH_API_KEY", "demo")],
            &["list"],
        )
        .await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.out.lines().count(), 13);

    // SIGTERM ends it cleanly.
    let pid = child.id().unwrap().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(5), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}

/// A 429 whose `X-RateLimit-Reset` is 10^11 (an epoch in 1973 or 5138): the refusal names a wait
/// within the server's one-minute window, not a day or three thousand years.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_rate_limit_reset_says_at_most_a_minute() {
    let sim = sim().await;
    sim.push_fault(Fault::RateLimitReset(100_000_000_000), 1);
    let home = Home::new();
    let r = home.on(&sim, &["list"]).await;
    assert_error(&r, "rate limited for ");
    let secs: u64 = r.err["error: rate limited for ".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&secs), "{}", r.err);
    assert_eq!(sim.requests().len(), 1, "a 429 is not retried");
}

/// `list --all` against a server whose `meta` claims 10^9 pages and that answers a page past the
/// end with the last page again: it stops at the short page, or once the total is read, and
/// lists each flow once, in both outputs. `list` counts its pages from the total.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_all_stops_when_meta_claims_a_billion_pages() {
    for (flows, pages) in [(40, 1), (2000, 2)] {
        let sim = sim_with(SimConfig {
            flows,
            traffic: false,
            ..SimConfig::default()
        })
        .await;
        sim.push_fault(Fault::LyingMeta, 0);
        let home = Home::new();
        // One page: the footer counts the pages from the total, not from the claim.
        let r = home.on(&sim, &["list"]).await;
        assert!(r.ok, "{r:?}");
        let want = format!("page 1 of {} · {flows} flows", flows.div_ceil(25));
        assert!(r.err.contains(&want), "{}", r.err);
        for json in [false, true] {
            let args: &[&str] = if json {
                &["list", "--all", "--json"]
            } else {
                &["list", "--all"]
            };
            let before = sim.requests().len();
            // A limit, not a measurement: a reader that never stops fails here.
            let r = tokio::time::timeout(std::time::Duration::from_secs(30), home.on(&sim, args))
                .await
                .expect("list --all never stopped");
            assert!(r.ok, "{r:?}");
            let listed = if json {
                let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
                v.as_array().unwrap().len()
            } else {
                r.out.lines().count() - 1
            };
            assert_eq!(listed, flows, "json {json}");
            assert!(r.err.contains(&format!("{flows} flows")), "{}", r.err);
            assert!(
                r.err.contains(&format!("loaded page {pages} of {pages}")),
                "{}",
                r.err
            );
            assert!(!r.err.contains("1000000000"), "{}", r.err);
            let queries: Vec<String> = sim.requests()[before..]
                .iter()
                .map(|q| q.query.clone())
                .collect();
            let want: Vec<String> = (1..=pages)
                .map(|p| format!("page={p}&results_per_page=1000"))
                .collect();
            assert_eq!(queries, want, "json {json}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_that_drifted_below_zero_print_as_zero() {
    let sim = sim().await;
    assert!(sim.edit_flow(
        1,
        flowdash::sim::FlowEdit {
            total_sent_sms: Some(-5),
            total_pending_sms: Some(-7),
            total_failed_sms: Some(-3),
            ..Default::default()
        }
    ));
    let home = Home::new();
    let r = home.on(&sim, &["list", "--per-page", "10"]).await;
    assert!(r.ok, "{r:?}");
    let row = r.out.lines().nth(1).unwrap();
    assert!(row.trim_start().starts_with("1 "), "{row}");
    assert!(
        !row.split_whitespace()
            .any(|w| w.parse::<i64>().is_ok_and(|n| n < 0)),
        "a negative counter printed: {row}"
    );
    assert!(row.contains(" 0        0       0 "), "{row}");

    let r = home.on(&sim, &["show", "1"]).await;
    assert!(r.ok, "{r:?}");
    for field in ["sent", "pending", "failed"] {
        let line = r
            .out
            .lines()
            .find(|l| l.trim_start().starts_with(field))
            .unwrap();
        assert!(line.ends_with(" 0"), "{line}");
    }
    // --json keeps the counters as received (DESIGN §4).
    let r = home.on(&sim, &["show", "1", "--json"]).await;
    assert!(r.out.contains("-5"), "{}", r.out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_never_suggest_the_key_flag() {
    let home = Home::new();
    let r = home
        .run_with(
            &[
                ("FLOWDASH_API_KEY", "k-from-env"),
                ("FLOWDASH_BASE_URL", "http://127.0.0.1:9/api"),
            ],
            &["delete"],
        )
        .await;
    assert!(!r.ok);
    let usage = r.err.lines().find(|l| l.starts_with("Usage:")).unwrap();
    assert_eq!(usage, "Usage: flowdash delete <ID>...", "{}", r.err);
    assert!(!r.err.contains("--api-key"), "{}", r.err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_past_the_end_is_an_error_naming_the_last_page() {
    let sim = sim().await;
    let home = Home::new();
    let r = home.on(&sim, &["list", "--page", "99"]).await;
    assert!(!r.ok, "{r:?}");
    assert!(r.out.is_empty(), "no empty table: {}", r.out);
    assert!(
        r.err.contains("page 99 is past the end") && r.err.contains("the last page is 2"),
        "{}",
        r.err
    );
    let r = home.on(&sim, &["list", "--page", "99", "--json"]).await;
    assert!(!r.ok && r.out.is_empty(), "{r:?}");
    // The last page itself is fine.
    let r = home.on(&sim, &["list", "--page", "2"]).await;
    assert!(r.ok, "{r:?}");
}
// ---------------------------------------------------------------------------------------------
// Writes that land on the right flow, with the right values (issue 10)

/// `create` with a name, a content and these options.
fn create_args<'a>(name: &'a str, options: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["create", "--name", name, "--content", "Hello {{NAME}}"];
    args.extend_from_slice(options);
    args
}

/// `GET /api/PATH` requests the server received.
fn reads_of(sim: &Sim, path: &str) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == format!("/api/{path}"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_refuses_an_unknown_device_sim_or_segment_by_name() {
    let sim = sim().await;
    let home = Home::new();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--device-id", "9", "--sim-subscription-id", "1"],
            "device 9 does not exist on this account; devices: 3 Front desk phone, \
             7 Warehouse Pixel, 12 Sales team Moto, 15 Spare phone (never connected)",
        ),
        (
            // SIM 5 is the Warehouse Pixel's.
            &["--device-id", "3", "--sim-subscription-id", "5"],
            "SIM 5 is not a SIM of device 3 (Front desk phone); its SIMs: 1 SIM 1 (Orange), \
             2 SIM 2 (Free Mobile)",
        ),
        (
            &["--device-id", "15", "--sim-subscription-id", "1"],
            "SIM 1 is not a SIM of device 15 (Spare phone (never connected)); its SIMs: none",
        ),
        (
            &[
                "--device-id",
                "3",
                "--sim-subscription-id",
                "1",
                "--segment",
                "99",
            ],
            "segment 99 does not exist on this account; segments: all (all contacts), \
             4 VIP customers, 9 Newsletter sign-ups, 15 Lapsed 90 days",
        ),
    ];
    for (options, message) in cases {
        let r = home.on(&sim, &create_args("Unknown", options)).await;
        assert_error(&r, message);
        assert!(r.err.contains("nothing was sent"), "{}", r.err);
    }
    assert!(writes(&sim).is_empty(), "nothing was created");
    assert!(sim.flows().iter().all(|f| f.name != "Unknown"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_checks_only_the_device_sim_and_segment_it_sends() {
    let sim = sim().await;
    let home = Home::new();
    let before = sim.flow(1).unwrap();

    let r = home.on(&sim, &["update", "1", "--segment", "99"]).await;
    assert_error(&r, "segment 99 does not exist on this account");
    // Flow 1 sends from SIM 1 of device 3: moved to device 7 alone, it would keep a SIM the
    // Warehouse Pixel does not have.
    let r = home.on(&sim, &["update", "1", "--device-id", "7"]).await;
    assert_error(
        &r,
        "the flow's SIM 1 is not a SIM of device 7 (Warehouse Pixel); its SIMs: 5 SIM 1 (Vodafone)",
    );
    let r = home
        .on(&sim, &["update", "1", "--sim-subscription-id", "8"])
        .await;
    assert_error(&r, "SIM 8 is not a SIM of device 3 (Front desk phone)");
    assert!(writes(&sim).is_empty(), "nothing was sent");
    assert_eq!(sim.flow(1).unwrap(), before);

    // A name alone reads neither list: the budget is not spent on checks it does not need.
    let (devices, segments) = (reads_of(&sim, "devices"), reads_of(&sim, "segments"));
    let r = home.on(&sim, &["update", "1", "--name", "Renamed"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(reads_of(&sim, "devices"), devices);
    assert_eq!(reads_of(&sim, "segments"), segments);

    // Known values go through.
    let r = home
        .on(
            &sim,
            &[
                "update",
                "1",
                "--device-id",
                "7",
                "--sim-subscription-id",
                "5",
                "--segment",
                "4",
            ],
        )
        .await;
    assert!(r.ok, "{r:?}");
    let after = sim.flow(1).unwrap();
    assert_eq!(
        (
            after.device_id,
            after.sim_subscription_id.as_deref(),
            after.segment.as_str()
        ),
        (Some(7), Some("5"), "4")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_the_server_stored_otherwise_is_an_error() {
    let sim = sim().await;
    let home = Home::new();

    // The server keeps its first device, SIM and `all` contacts whatever it is sent.
    sim.push_write_fault(Fault::Substitute, 1);
    let r = home
        .on(
            &sim,
            &create_args(
                "Warehouse only",
                &[
                    "--device-id",
                    "7",
                    "--sim-subscription-id",
                    "5",
                    "--segment",
                    "4",
                ],
            ),
        )
        .await;
    assert_error(
        &r,
        "flow 41 was created, but the server stored device 3, not device 7; SIM 1, not SIM 5; \
         segment all, not segment 4",
    );
    assert_eq!(sim.flow(41).unwrap().segment, "all");

    sim.push_write_fault(Fault::Substitute, 1);
    let r = home.on(&sim, &["update", "2", "--segment", "4"]).await;
    assert_error(
        &r,
        "flow 2 was written, but the server stored segment all, not segment 4",
    );

    sim.push_write_fault(Fault::Substitute, 1);
    let r = home.on(&sim, &["disable", "6"]).await;
    assert!(!r.ok, "{r:?}");
    assert_eq!(
        r.err,
        "error: flow 6 was written, but the server stored switched on, not switched off: \
         check it before relying on it\n"
    );
    assert_eq!(r.out, "", "no success line");
    assert_eq!(writes(&sim).len(), 3, "each write sent once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_documented_cleaning_is_not_a_substitution() {
    let sim = sim().await;
    let home = Home::new();
    // A tag deleted, quotes as entities, curly quotes, spaces and ellipses normalised, a wait
    // above the maximum clamped.
    let r = home
        .on(
            &sim,
            &[
                "create",
                "--name",
                "Tom's <b>\"shop\"</b>",
                "--content",
                "Don’t  miss it…\nsee you",
                "--device-id",
                "3",
                "--sim-subscription-id",
                "2",
                "--segment",
                "9",
            ],
        )
        .await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.out, "created flow 41\n");
    let r = home
        .on(&sim, &["update", "41", "--name", "Tom's \"shop\" <i>2</i>"])
        .await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.out, "flow 41 updated\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_refuses_a_flow_answered_under_another_id() {
    let sim = sim_with(SimConfig {
        traffic: false,
        quirks: true,
        ..SimConfig::default()
    })
    .await;
    let home = Home::new();
    // The shipped build answers flow 5 under its device's id, 12.
    for args in [&["show", "5"][..], &["show", "5", "--json"]] {
        let r = home.on(&sim, args).await;
        assert_error(
            &r,
            "asked the server for flow 5 and it answered with flow 12",
        );
        assert_eq!(r.out, "", "nothing of the answer is printed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_answered_with_another_flow_is_an_error() {
    let sim = sim().await;
    let home = Home::new();
    sim.push_write_fault(Fault::OtherFlow, 1);
    let r = home.on(&sim, &["disable", "3"]).await;
    assert_error(&r, "the write to flow 3 was answered with flow 1");
    sim.push_write_fault(Fault::OtherFlow, 1);
    let r = home.on(&sim, &["update", "3", "--name", "Survey 2"]).await;
    assert_error(&r, "the write to flow 3 was answered with flow 1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_or_failed_answer_is_followed_by_a_read_that_says_whether_it_landed() {
    let sim = sim().await;
    let home = Home::new();
    let fast = |args: &[&'static str]| {
        let mut all = vec!["--timeout", "1"];
        all.extend_from_slice(args);
        all
    };

    // Stored, then answered after the time-out.
    sim.push_write_fault(Fault::LateAnswer(std::time::Duration::from_millis(2500)), 1);
    let r = home.on(&sim, &fast(&["disable", "6"])).await;
    assert!(r.ok, "{r:?}");
    assert!(
        r.out.starts_with(
            "flow 6 disabled (the answer was late; it landed) · pending SMS still go out"
        ),
        "{}",
        r.out
    );
    assert!(!sim.flow(6).unwrap().is_enabled);

    // Stored, then answered with a 500 page.
    sim.push_write_fault(Fault::StoredThen500, 1);
    let r = home.on(&sim, &["enable", "6"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(
        r.out,
        "flow 6 enabled (the answer was a server error 500; it landed)\n"
    );
    sim.push_write_fault(Fault::StoredThen500, 1);
    let r = home.on(&sim, &["update", "6", "--wait-time", "3"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(
        r.out,
        "flow 6 updated (the answer was a server error 500; it landed)\n"
    );
    assert_eq!(sim.flow(6).unwrap().wait_time, 3);

    // A 500 before anything was stored: it did not land, and says what the flow is.
    sim.push_write_fault(Fault::Html500, 1);
    let r = home.on(&sim, &["disable", "6"]).await;
    assert_error(&r, "did not land: flow 6 is still on");
    assert!(sim.flow(6).unwrap().is_enabled);
    sim.push_write_fault(Fault::Html500, 1);
    let r = home.on(&sim, &["update", "6", "--wait-time", "4"]).await;
    assert_error(&r, "did not land: flow 6 still has wait time 3");
    assert_eq!(writes(&sim).len(), 5, "no write was repeated");

    // Deletes: gone means landed.
    sim.push_write_fault(Fault::Html500, 1);
    let r = home.on(&sim, &["delete", "7", "--yes"]).await;
    assert_error(&r, "did not land: flow 7 is still there");
    sim.push_write_fault(Fault::StoredThen500, 1);
    let r = home.on(&sim, &["delete", "7", "--yes"]).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(
        r.out,
        "flow 7 deleted (the answer was a server error 500; it landed)\n"
    );
    assert!(sim.flow(7).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_answered_with_a_500_is_looked_for_before_anything_is_said() {
    let sim = sim().await;
    let home = Home::new();
    let options = ["--device-id", "3", "--sim-subscription-id", "1"];

    sim.push_write_fault(Fault::StoredThen500, 1);
    let r = home.on(&sim, &create_args("Stored anyway", &options)).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.out, "created flow 41\n");
    assert!(
        r.err.contains("flow 41 was found on the server afterwards"),
        "{}",
        r.err
    );

    sim.push_write_fault(Fault::Html500, 1);
    let r = home.on(&sim, &create_args("Never stored", &options)).await;
    assert_error(&r, "no such flow is on the server: it was not created");
    let posts = writes(&sim);
    assert_eq!(posts.len(), 2, "a create is never repeated");
    assert_eq!(sim.flows().len(), 41);

    // Stored, then the search fails too: neither "created" nor "not created".
    sim.push_write_fault(Fault::StoredThen500, 1);
    sim.push_fault(Fault::Html502, 0);
    let r = home.on(&sim, &create_args("Unknown fate", &options)).await;
    assert_error(&r, "whether it landed is unknown");
    assert!(!r.err.contains("not created"), "{}", r.err);
    assert_eq!(writes(&sim).len(), 3);
}

/// The lines of the log that record writes.
fn logged_writes(home: &Home) -> Vec<String> {
    let log = std::fs::read_to_string(home.log_file()).unwrap_or_default();
    log.lines()
        .filter_map(|l| {
            l.split_once("write to ")
                .map(|(_, w)| format!("write to {w}"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_is_logged_with_the_flow_the_fields_sent_and_the_result() {
    let key = "log-writes-Kq7-secret";
    let sim = sim_with(SimConfig {
        traffic: false,
        api_key: key.to_owned(),
        ..SimConfig::default()
    })
    .await;
    let home = Home::new();
    let url = sim.base_url();
    let env = [
        ("FLOWDASH_BASE_URL", url.as_str()),
        ("FLOWDASH_API_KEY", key),
    ];
    let id = sim.flows().iter().find(|f| f.is_enabled).unwrap().id;
    let ids = id.to_string();
    let long = "Hello {{NAME}}, this content is much longer than the excerpt the log keeps";
    for args in [
        vec!["update", &ids, "--name", "Renamed flow", "--content", long],
        vec!["disable", &ids],
        vec!["disable", &ids],
        vec![
            "create",
            "--name",
            "Logged",
            "--content",
            "Hi",
            "--device-id",
            "3",
            "--sim-subscription-id",
            "1",
            "--disabled",
        ],
    ] {
        let r = home.run_with(&env, &args).await;
        assert!(r.ok, "{args:?}: {r:?}");
    }
    let created = sim.flows().iter().find(|f| f.name == "Logged").unwrap().id;
    let r = home
        .run_with(&env, &["delete", &created.to_string(), "--yes"])
        .await;
    assert!(r.ok, "{r:?}");

    assert_eq!(
        logged_writes(&home),
        [
            format!(
                "write to flow {id}: sent name=\"Renamed flow\" \
                 content=\"Hello {{{{NAME}}}}, this con…\"; written"
            ),
            format!("write to flow {id}: sent is_enabled=0; written"),
            format!(
                "write to flow {id}: sent is_enabled=0; unchanged: the server already had it, \
                 nothing sent"
            ),
            format!(
                "write to flow {created} (new): sent name=\"Logged\" content=\"Hi\" device_id=3 \
                 sim_subscription_id=1 wait_time=1 wait_time_type=days segment=all \
                 is_enabled=0; created"
            ),
            format!("write to flow {created}: sent nothing; deleted"),
        ]
    );
    let whole = std::fs::read_to_string(home.log_file()).unwrap();
    assert!(!whole.contains(key), "the key is in the log");
    assert!(
        !whole.contains("the excerpt the log keeps"),
        "the whole content"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_all_reads_a_list_that_changed_between_pages_again_and_says_when_it_kept_changing() {
    // A flow deleted after each of the first two pages: the first reading misses one and is
    // read again, whole and steady.
    let sim = sim_with(SimConfig {
        traffic: false,
        flows: 1003,
        ..SimConfig::default()
    })
    .await;
    sim.push_fault(Fault::ListShifts, 2);
    let home = Home::new();
    let r = home.on(&sim, &["list", "--all", "--json"]).await;
    assert!(r.ok, "{r:?}");
    let listed: Vec<serde_json::Value> = serde_json::from_str(&r.out).unwrap();
    let ids: std::collections::BTreeSet<u64> =
        listed.iter().map(|f| f["id"].as_u64().unwrap()).collect();
    let stored: std::collections::BTreeSet<u64> = sim.flows().iter().map(|f| f.id).collect();
    assert_eq!(listed.len(), 1001, "every flow once");
    assert_eq!(ids, stored);
    assert!(r.err.lines().any(|l| l == "1001 flows"), "{}", r.err);
    let lists = sim
        .requests()
        .into_iter()
        .filter(|q| q.path == "/api/flows")
        .count();
    assert_eq!(lists, 4, "two pages, read twice");

    // A list that changes on every page: it says so rather than claiming all.
    let sim = sim_with(SimConfig {
        traffic: false,
        flows: 1003,
        ..SimConfig::default()
    })
    .await;
    sim.push_fault(Fault::ListShifts, 0);
    let r = home.on(&sim, &["list", "--all"]).await;
    assert!(r.ok, "{r:?}");
    assert!(
        r.err.contains(
            "warning: the list changed while it was read: 1000 flows loaded, some may be missing"
        ),
        "{}",
        r.err
    );
    assert!(!r.err.lines().any(|l| l == "1000 flows"), "{}", r.err);
}
