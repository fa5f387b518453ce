//! Writes to many flows from the command line (DESIGN §15): `--match` and `--all` with the plan
//! and its cost first, `--dry-run`, `--yes`, a line a flow; and the audit of every write,
//! listed by `flowdash audit`.

use std::collections::BTreeSet;

use super::{Home, sim, writes};

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
    assert!(
        lines[1].ends_with("is_enabled=0 · written"),
        "{}",
        lines[1]
    );
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
