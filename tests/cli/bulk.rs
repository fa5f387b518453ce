//! Writes to many flows from the command line (DESIGN §15): `--match` and `--all` with the plan
//! and its cost first, `--dry-run`, `--yes`, a line a flow; and the audit of every write,
//! listed by `flowdash audit`.

use std::collections::BTreeSet;

use super::{Home, sim, sim_with, writes};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_writes_are_listed_by_audit_oldest_first_and_as_json() {
    let sim = sim().await;
    let home = Home::new();
    let flow = sim.flows().into_iter().find(|f| f.is_enabled).unwrap();
    let id = flow.id.to_string();
    for args in [["disable", &id], ["enable", &id]] {
        let r = home.on(&sim, &args).await;
        assert!(r.ok, "{r:?}");
    }
    // Already on: nothing sent, and the audit says so.
    let r = home.on(&sim, &["enable", &id]).await;
    assert!(r.ok, "{r:?}");
    // --no-history keeps this write out of the file.
    let r = home.on(&sim, &["--no-history", "disable", &id]).await;
    assert!(r.ok, "{r:?}");

    let r = home.on(&sim, &["audit"]).await;
    assert!(r.ok, "{r:?}");
    let lines: Vec<&str> = r.out.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three writes: {}", r.out);
    assert!(lines[0].starts_with("TIME"), "{}", lines[0]);
    let short: String = flow.name.chars().take(10).collect();
    assert!(lines[1].contains(&short), "{}", lines[1]);
    assert!(lines[1].ends_with("is_enabled=0 · written"), "{}", lines[1]);
    assert!(lines[2].ends_with("is_enabled=1 · written"), "{}", lines[2]);
    assert!(
        lines[3].contains("is_enabled=1 · unchanged"),
        "{}",
        lines[3]
    );

    let r = home.on(&sim, &["audit", "--json", "--since", "1h"]).await;
    assert!(r.ok, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 3, "{v}");
    let keys: BTreeSet<&str> = items[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["at", "profile", "flow", "name", "fields", "result"])
    );
    assert_eq!(items[0]["flow"], flow.id);
    assert_eq!(items[0]["name"], flow.name.as_str());
    assert_eq!(items[0]["fields"], serde_json::json!({ "is_enabled": "0" }));
    assert_eq!(items[0]["result"], "written");
    assert_eq!(items[0]["profile"], serde_json::Value::Null);
    assert_eq!(items[1]["fields"]["is_enabled"], "1");
    // Three writes reached the server, the one without history too.
    assert_eq!(writes(&sim).len(), 3);

    // Narrow terminals get a table that fits.
    let url = sim.base_url();
    let r = home
        .run_with(
            &[
                ("FLOWDASH_BASE_URL", &url),
                ("FLOWDASH_API_KEY", "demo"),
                ("COLUMNS", "60"),
            ],
            &["audit"],
        )
        .await;
    assert!(r.ok, "{r:?}");
    assert!(r.out.lines().all(|l| l.chars().count() <= 60), "{}", r.out);
}

/// The flows whose name contains `text`, case-insensitive, as the server has them.
fn matching(sim: &flowdash::sim::Sim, text: &str) -> Vec<flowdash::sim::StoredFlow> {
    let text = text.to_lowercase();
    sim.flows()
        .into_iter()
        .filter(|f| f.name.to_lowercase().contains(&text))
        .collect()
}

/// The requests the plan says it will send: `cost: N requests`.
fn planned(out: &str) -> usize {
    let line = out.lines().find(|l| l.starts_with("cost: ")).unwrap();
    line["cost: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn match_with_dry_run_prints_the_plan_and_sends_nothing() {
    let sim = sim().await;
    let home = Home::new();
    let chosen = matching(&sim, "RE");
    assert!(chosen.len() > 3, "the demo has flows to match");
    let r = home
        .on(&sim, &["disable", "--match", "RE", "--dry-run"])
        .await;
    assert!(r.ok, "{r:?}");
    let off = chosen.iter().filter(|f| !f.is_enabled).count();
    let head = format!(
        "plan: switch off {} flows, every flow whose name contains \"RE\" ({off} already off)",
        chosen.len()
    );
    assert_eq!(r.out.lines().next(), Some(head.as_str()), "{}", r.out);
    for f in &chosen {
        let line = format!(" {}  ", f.id);
        assert!(
            r.out
                .lines()
                .any(|l| l.contains(&line) && l.contains(&f.name)),
            "{}: {}",
            f.name,
            r.out
        );
    }
    assert!(r.out.contains("pending SMS are still sent"), "{}", r.out);
    assert!(r.out.ends_with("dry run: nothing was sent\n"), "{}", r.out);
    assert_eq!(planned(&r.out), chosen.len() * 2 - off);
    assert!(writes(&sim).is_empty());
    let reads = sim.requests();
    assert_eq!(reads.len(), 1, "one list page of 1000");
    assert!(reads[0].query.contains("results_per_page=1000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn match_with_yes_switches_exactly_the_matching_flows_and_the_plan_counts_the_requests() {
    let sim = sim().await;
    let home = Home::new();
    let chosen = matching(&sim, "re");
    let before: Vec<_> = sim.flows();
    let r = home.on(&sim, &["disable", "--match", "re"]).await;
    assert_eq!(r.code, Some(1), "more than one flow needs --yes: {r:?}");
    assert!(
        r.out.starts_with("plan: switch off"),
        "the plan first: {}",
        r.out
    );
    assert!(r.err.contains("add --yes to go ahead"), "{}", r.err);
    assert!(writes(&sim).is_empty());

    let listed = sim.requests().len();
    let r = home.on(&sim, &["disable", "--match", "re", "--yes"]).await;
    assert!(r.ok, "{r:?}");
    // Exactly the matching flows that were on got a POST, of `is_enabled` alone.
    let posts = writes(&sim);
    let was_on: BTreeSet<String> = chosen
        .iter()
        .filter(|f| f.is_enabled)
        .map(|f| format!("/api/flows/{}", f.id))
        .collect();
    let posted: BTreeSet<String> = posts.iter().map(|p| p.path.clone()).collect();
    assert_eq!(posted, was_on);
    assert_eq!(posts.len(), was_on.len());
    for p in &posts {
        assert_eq!(p.method, "POST");
        assert_eq!(
            p.form,
            super::fixtures::form(&[("is_enabled", "0")]),
            "{p:?}"
        );
    }
    for f in &before {
        let now = sim.flow(f.id).unwrap();
        let expected = f.is_enabled && !chosen.iter().any(|c| c.id == f.id);
        assert_eq!(now.is_enabled, expected, "flow {} {}", f.id, f.name);
    }
    // A line a flow, and the plan's count is what was sent after the list.
    for f in &chosen {
        let word = if f.is_enabled {
            format!("flow {} disabled", f.id)
        } else {
            format!("flow {} already disabled", f.id)
        };
        assert!(
            r.out.lines().any(|l| l.starts_with(&word)),
            "{word}: {}",
            r.out
        );
    }
    let sent = sim.requests().len() - listed - 1;
    assert_eq!(planned(&r.out), sent);

    // Every write is in the audit.
    let r = home.on(&sim, &["audit", "--json"]).await;
    assert!(r.ok, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    let audited = v.as_array().unwrap();
    assert_eq!(audited.len(), chosen.len(), "written and unchanged: {v}");
    let written = audited.iter().filter(|e| e["result"] == "written").count();
    assert_eq!(written, was_on.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_switches_every_flow_on_and_a_single_match_needs_no_yes() {
    // Few flows: the re-reads and writes fit in the budget's minute.
    let sim = sim_with(flowdash::sim::SimConfig {
        traffic: false,
        flows: 8,
        ..flowdash::sim::SimConfig::default()
    })
    .await;
    let home = Home::new();
    let off: Vec<u64> = sim
        .flows()
        .iter()
        .filter(|f| !f.is_enabled)
        .map(|f| f.id)
        .collect();
    let r = home.on(&sim, &["enable", "--all", "--yes"]).await;
    assert!(r.ok, "{r:?}");
    assert!(sim.flows().iter().all(|f| f.is_enabled));
    assert_eq!(writes(&sim).len(), off.len());
    assert!(!off.is_empty());
    assert_eq!(
        r.out.lines().filter(|l| l.starts_with("flow ")).count(),
        sim.flows().len()
    );

    // One flow by name: the plan, then its line, no --yes needed.
    let one = sim.flow(1).unwrap();
    let r = home.on(&sim, &["disable", "--match", &one.name]).await;
    assert!(r.ok, "{r:?}");
    assert!(
        r.out.contains(&format!("flow {} disabled", one.id)),
        "{}",
        r.out
    );
    assert!(!sim.flow(1).unwrap().is_enabled);

    // --all with ids is a usage error.
    let r = home.on(&sim, &["disable", "3", "--all"]).await;
    assert!(!r.ok);
    assert!(r.err.contains("cannot be used with"), "{}", r.err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_flow_has_its_error_line_and_the_exit_status_is_1() {
    let sim = sim().await;
    let home = Home::new();
    let chosen: Vec<_> = matching(&sim, "re")
        .into_iter()
        .filter(|f| f.is_enabled)
        .collect();
    sim.push_write_fault(flowdash::sim::Fault::Html500, 1);
    let r = home.on(&sim, &["disable", "--match", "re", "--yes"]).await;
    assert!(!r.ok, "{r:?}");
    assert_eq!(r.code, Some(1), "{r:?}");
    let first = chosen[0].id;
    assert!(
        r.err
            .lines()
            .any(|l| l.starts_with("error: ") && l.contains(&format!("flow {first}"))),
        "{}",
        r.err
    );
    assert!(sim.flow(first).unwrap().is_enabled, "not stored");
    // The audit says it failed.
    let r = home.on(&sim, &["audit", "--json"]).await;
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    let failed = &v.as_array().unwrap()[0];
    assert_eq!(failed["flow"], first);
    assert!(
        failed["result"].as_str().unwrap().starts_with("failed: "),
        "{failed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_match_deletes_the_matching_flows_and_production_keeps_one_at_a_time() {
    let sim = sim_with(flowdash::sim::SimConfig {
        traffic: false,
        flows: 12,
        ..flowdash::sim::SimConfig::default()
    })
    .await;
    let home = Home::new();
    let chosen = matching(&sim, "re");
    assert!(chosen.len() > 1, "{chosen:?}");
    let r = home
        .on(&sim, &["delete", "--match", "re", "--dry-run"])
        .await;
    assert!(r.ok, "{r:?}");
    assert!(r.out.starts_with("plan: delete"), "{}", r.out);
    assert_eq!(planned(&r.out), chosen.len() * 2);
    assert!(writes(&sim).is_empty());

    // A production profile deletes one flow at a time, by its name.
    home.write_config(
        &format!(
            "[profiles.prod]\nbase_url = \"{}\"\napi_key = \"demo\"\nproduction = true\n",
            sim.base_url()
        ),
        0o600,
    );
    let r = home
        .run(&["--profile", "prod", "delete", "--match", "re", "--yes"])
        .await;
    assert!(!r.ok, "{r:?}");
    assert!(r.err.contains("production profile"), "{}", r.err);
    assert!(writes(&sim).is_empty());

    let r = home.on(&sim, &["delete", "--match", "re", "--yes"]).await;
    assert!(r.ok, "{r:?}");
    let deleted: BTreeSet<u64> = writes(&sim)
        .iter()
        .filter(|w| w.method == "DELETE")
        .map(|w| w.path.rsplit('/').next().unwrap().parse().unwrap())
        .collect();
    let expected: BTreeSet<u64> = chosen.iter().map(|f| f.id).collect();
    assert_eq!(deleted, expected);
    assert!(matching(&sim, "re").is_empty());
    assert_eq!(sim.flows().len(), 12 - chosen.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_prints_hostile_names_cleaned() {
    let sim = sim().await;
    let home = Home::new();
    // Every answer carries names full of terminal escapes and controls.
    sim.push_fault(flowdash::sim::Fault::HostileNames, 0);
    let id = sim.flows().iter().find(|f| f.is_enabled).unwrap().id;
    let r = home.on(&sim, &["disable", &id.to_string()]).await;
    assert!(r.ok, "{r:?}");
    sim.clear_faults();
    for args in [&["audit"][..], &["audit", "--json"][..]] {
        let r = home.on(&sim, args).await;
        assert!(r.ok, "{r:?}");
        assert!(r.out.contains("is_enabled"), "{}", r.out);
        // The name the server answered, without its title-setting escape.
        assert!(r.out.contains("Window title"), "{}", r.out);
        assert!(
            !r.out.chars().any(|c| c == '\u{1b}'
                || c == '\u{7}'
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)),
            "{:?}",
            r.out
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_the_server_fails_is_in_the_audit_by_its_name() {
    let sim = sim().await;
    let home = Home::new();
    sim.push_write_fault(flowdash::sim::Fault::Html500, 1);
    let r = home
        .on(
            &sim,
            &[
                "create",
                "--name",
                "Never stored",
                "--content",
                "Hi",
                "--device-id",
                "3",
                "--sim-subscription-id",
                "1",
            ],
        )
        .await;
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(!sim.flows().iter().any(|f| f.name == "Never stored"));
    let r = home.on(&sim, &["audit", "--json"]).await;
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    let entries = v.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{v}");
    assert_eq!(entries[0]["name"], "Never stored", "{v}");
    assert!(
        entries[0]["result"]
            .as_str()
            .unwrap()
            .starts_with("failed: "),
        "{v}"
    );
}
