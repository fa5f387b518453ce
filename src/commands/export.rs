//! `flowdash export [--csv|--json]`: every flow with its counters, read as `list --all` reads
//! (1000 a page, paced under the budget, the one read path), written to stdout.
//!
//! The CSV has a header row of the API's own field names. A text cell that begins with `=`, `+`,
//! `-` or `@` gets a leading `'`, so that a spreadsheet shows it instead of running it as a
//! formula; numbers stay numbers. Cells holding a comma, a quote or a line break are quoted
//! (RFC 4180). On the shipped build, whose ids are device ids (CONTRACT §12 item 9), the id
//! column's header says so.

use serde_json::{Map, Value};

use super::{Failure, say, warn};
use crate::api::{Client, ServerKind};
use crate::budget::Priority;
use crate::cli::ExportArgs;

/// The API's flow fields, in the order the columns take; any other field the server sends
/// follows them, by name.
const FIELDS: [&str; 16] = [
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
    "total_failed_sms",
    "last_sent_datetime",
    "last_datetime",
    "datetime",
    "user_id",
];

/// The id column's header where the server lists device ids as ids.
pub(crate) const DEVICE_ID_HEADER: &str = "id (device id)";

pub async fn run(client: &Client, args: &ExportArgs) -> Result<(), Failure> {
    let progress = |done: u32, pages: Option<u32>| match pages {
        Some(n) => warn(&format!("loaded page {done} of {n}")),
        None => warn(&format!("loaded page {done}")),
    };
    let all = client.all_flows_json(Priority::Operator, progress).await?;
    let shipped =
        client.identify(&all.value.flows, Priority::Operator).await == ServerKind::Shipped;
    let items = match all.json {
        Value::Array(items) => items,
        _ => Vec::new(),
    };
    if args.json {
        say(&serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_owned()));
    } else {
        let objects: Vec<&Map<String, Value>> = items.iter().filter_map(Value::as_object).collect();
        let text = csv(&objects, shipped);
        say(text.strip_suffix('\n').unwrap_or(&text));
    }
    let total = items.len();
    if all.value.steady {
        warn(&format!("{total} flows exported"));
    } else {
        warn(&format!(
            "warning: the list changed while it was read: {total} flows exported, some may be missing"
        ));
    }
    if shipped {
        warn("note: this server lists device ids as ids: the id column holds them, not flow ids");
    }
    Ok(())
}

/// The columns: the API's fields any flow has, in [`FIELDS`] order, then the others by name.
fn columns(items: &[&Map<String, Value>]) -> Vec<String> {
    let has = |key: &str| items.iter().any(|m| m.contains_key(key));
    let mut out: Vec<String> = FIELDS
        .iter()
        .filter(|k| has(k))
        .map(|k| (*k).to_owned())
        .collect();
    let mut extra: Vec<String> = items
        .iter()
        .flat_map(|m| m.keys())
        .filter(|k| !FIELDS.contains(&k.as_str()))
        .cloned()
        .collect();
    extra.sort();
    extra.dedup();
    out.extend(extra);
    out
}

/// The whole CSV: the header row, then a row a flow.
pub(crate) fn csv(items: &[&Map<String, Value>], shipped: bool) -> String {
    let columns = columns(items);
    let header: Vec<String> = columns
        .iter()
        .map(|c| {
            if shipped && c == "id" {
                quote(DEVICE_ID_HEADER)
            } else {
                quote(c)
            }
        })
        .collect();
    let mut out = header.join(",");
    out.push('\n');
    for item in items {
        let row: Vec<String> = columns.iter().map(|c| cell(item.get(c))).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// One value as a cell: text guarded and quoted, numbers and booleans as they are, nothing for
/// null, anything else (the `settings` array) as its JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => quote(&guard(s)),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(other) => quote(&other.to_string()),
    }
}

/// A text a spreadsheet would run as a formula gets a leading `'`.
fn guard(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Quotes a cell that holds a comma, a quote or a line break, its quotes doubled.
fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rows(items: &[Value], shipped: bool) -> String {
        let maps: Vec<&Map<String, Value>> = items.iter().filter_map(Value::as_object).collect();
        csv(&maps, shipped)
    }

    #[test]
    fn formulas_are_guarded_and_breaks_commas_and_quotes_quoted() {
        let items = [json!({
            "id": 7,
            "name": "=HYPERLINK(\"http://x\")",
            "content": "line one\nline, two",
            "segment": "+1",
            "wait_time_type": "-days",
            "is_enabled": false,
            "total_sent_sms": -3,
            "last_sent_datetime": null,
            "settings": [],
            "user_id": 1,
        })];
        let text = rows(&items, false);
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "id,name,content,segment,wait_time_type,is_enabled,total_sent_sms,\
                 last_sent_datetime,user_id,settings"
            )
        );
        assert_eq!(
            text.split_once('\n').map(|(_, rest)| rest),
            Some(
                "7,\"'=HYPERLINK(\"\"http://x\"\")\",\"line one\nline, two\",'+1,'-days,false,-3,,1,[]\n"
            )
        );
        assert!(guard("@SUM(A1)").starts_with("'@"));
        assert_eq!(guard("Welcome"), "Welcome");
    }

    #[test]
    fn the_shipped_builds_id_column_says_it_holds_device_ids() {
        let text = rows(&[json!({"id": 3, "name": "a"})], true);
        assert_eq!(text, "id (device id),name\n3,a\n");
    }
}
