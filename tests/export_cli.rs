//! `flowdash export` (DESIGN §15): the built binary against a demo server the test starts; the
//! rows it writes, the cells a spreadsheet would run guarded, and the pages it read.

pub mod fixtures;
pub mod support;

use fixtures::Run;
use flowdash::sim::{FlowEdit, Sim, SimConfig};
use serde_json::Value;

/// `flowdash export ARGS` against `sim`.
async fn export(sim: &Sim, args: &[&str]) -> Run {
    fixtures::run_on(&sim.base_url(), &[&["export"], args].concat()).await
}

async fn still(flows: usize, quirks: bool) -> Sim {
    support::start_sim(SimConfig {
        traffic: false,
        flows,
        quirks,
        ..SimConfig::default()
    })
    .await
}

/// The records of a CSV text, read as a spreadsheet reads them: quoted cells may hold commas,
/// doubled quotes and line breaks.
fn records(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                out.push(std::mem::take(&mut row));
            }
            (_, c) => cell.push(c),
        }
    }
    out
}

/// The pages of the flow list the server was asked for, as `page=N&results_per_page=M`.
fn list_reads(sim: &Sim) -> Vec<String> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/api/flows")
        .map(|r| {
            let mut q: Vec<&str> = r.query.split('&').collect();
            q.sort_unstable();
            q.join("&")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_has_a_header_and_a_row_a_flow_with_formulas_guarded_and_breaks_quoted() {
    let sim = still(1200, false).await;
    assert!(sim.edit_flow(
        3,
        FlowEdit {
            name: Some("=cmd|' /C calc'!A0\nsecond line".to_owned()),
            content: Some("@SUM(1)\nline two, \"quoted\"".to_owned()),
            total_failed_sms: Some(-2),
            ..FlowEdit::default()
        }
    ));
    let r = export(&sim, &[]).await;
    assert!(r.ok, "{r:?}");
    let rows = records(&r.out);
    assert_eq!(rows.len(), 1 + 1200, "a header and a row a flow");
    let header = &rows[0];
    assert_eq!(
        header[..12],
        [
            "id",
            "name",
            "content",
            "device_id",
            "sim_subscription_id",
            "segment",
            "wait_time",
            "wait_time_type",
            "is_enabled",
            "total_sent_sms",
            "total_pending_sms",
            "total_failed_sms"
        ]
    );
    assert!(rows.iter().all(|row| row.len() == header.len()));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let three = rows.iter().find(|row| row[0] == "3").unwrap();
    // The name's line break is cleaned to a space; a formula gets its leading '.
    assert_eq!(three[col("name")], "'=cmd|' /C calc'!A0 second line");
    assert_eq!(three[col("content")], "'@SUM(1)\nline two, \"quoted\"");
    // A number is a number: no guard for a negative counter.
    assert_eq!(three[col("total_failed_sms")], "-2");
    let ids: std::collections::BTreeSet<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids.len(), 1200, "every flow once");
    // 1000 a page, through the one read path.
    assert_eq!(
        list_reads(&sim),
        [
            "page=1&results_per_page=1000",
            "page=2&results_per_page=1000"
        ]
    );
    assert!(r.err.contains("1200 flows exported"), "{}", r.err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_is_one_valid_array_of_the_apis_objects() {
    let sim = still(40, false).await;
    assert!(sim.edit_flow(
        5,
        FlowEdit {
            name: Some("Two\nlines".to_owned()),
            ..FlowEdit::default()
        }
    ));
    let r = export(&sim, &["--json"]).await;
    assert!(r.ok, "{r:?}");
    let v: Value = serde_json::from_str(&r.out).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 40);
    let five = items.iter().find(|f| f["id"] == 5).unwrap();
    assert_eq!(five["name"], "Two lines");
    assert!(five["total_sent_sms"].is_number());
    assert!(
        export(&sim, &["--json", "--csv"])
            .await
            .err
            .contains("cannot be used with")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_shipped_build_the_id_column_says_it_holds_the_device_id() {
    let sim = still(40, true).await;
    let r = export(&sim, &["--csv"]).await;
    assert!(r.ok, "{r:?}");
    let rows = records(&r.out);
    assert_eq!(rows.len(), 41);
    assert_eq!(rows[0][0], "id (device id)");
    assert!(
        r.err.contains("the id column holds them, not flow ids"),
        "{}",
        r.err
    );
}
