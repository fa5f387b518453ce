//! `flowdash history [ID]`: what the history file remembers, read from it alone (no request,
//! no key), in local time. With an ID, sent, failed and pending per interval of that flow;
//! without, every flow of the account ranked by what it sent.
//!
//! The account is the base URL of the chosen profile or flags, and the user last seen there.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::table::{Align, Table, local_time, output_width};
use super::{Failure, say, warn};
use crate::cli::{Global, HistoryArgs};
use crate::config::Settings;
use crate::store::{Account, Every, FlowKey, Interval, Rank, Store};

/// The interval when none is asked for: about a screenful of lines for the range.
fn default_every(from: Timestamp, to: Timestamp) -> Every {
    let hours = to.duration_since(from).as_hours();
    if hours <= 2 {
        Every::Minutes(5)
    } else if hours <= 72 {
        Every::Hours(1)
    } else {
        Every::Day
    }
}

/// RFC 3339 with the local offset, for CSV and JSON.
fn rfc3339(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

pub fn run(global: &Global, settings: &Settings, args: &HistoryArgs) -> Result<(), Failure> {
    let Some(path) = &settings.history else {
        return Err(Failure::msg(if global.no_history {
            "history is off (--no-history)"
        } else {
            "cannot tell where the history file is (no home directory): pass --history PATH"
        }));
    };
    let account = Account::parse(&settings.base_url, None)
        .ok_or_else(|| Failure::msg(format!("`{}` is not a URL", settings.base_url)))?;
    let store = match Store::open_read_only(path) {
        Ok(Some(s)) => s,
        Ok(None) => {
            warn(&format!(
                "flowdash has not recorded any history yet (there is no {})",
                path.display()
            ));
            return Ok(());
        }
        Err(e) => {
            return Err(Failure::msg(format!(
                "cannot read the history file {}: {e}",
                path.display()
            )));
        }
    };
    let fail = |e: crate::store::StoreError| {
        Failure::msg(format!(
            "cannot read the history file {}: {e}",
            path.display()
        ))
    };
    let tz = TimeZone::system();
    let now = Timestamp::now();
    let from = args.since.start(now, &tz);
    if store.find_account(&account).map_err(fail)?.is_none() {
        warn(&not_recorded(&store, &account, None).map_err(fail)?);
        return Ok(());
    }
    if let Some(id) = args.id {
        let flow = FlowKey::Id(id);
        let every = args.every.unwrap_or_else(|| default_every(from, now));
        let rows = store
            .series(&account, &flow, from, now, every, &tz)
            .map_err(fail)?;
        if rows.is_empty() {
            warn(&not_recorded(&store, &account, Some((id, from))).map_err(fail)?);
        }
        print_series(&rows, args, &tz);
        return Ok(());
    }
    let ranks = store.ranking(&account, from, now).map_err(fail)?;
    if ranks.is_empty() {
        warn(&not_recorded(&store, &account, None).map_err(fail)?);
    }
    if ranks
        .iter()
        .any(|r| matches!(r.flow, FlowKey::Created { .. }))
    {
        warn(
            "this server gives no usable flow ids: its flows are told apart by creation time and name",
        );
    }
    print_ranking(&ranks, args, &tz);
    Ok(())
}

/// Says what there is not, and since when flowdash has been recording at this address.
fn not_recorded(
    store: &Store,
    account: &Account,
    flow: Option<(u64, Timestamp)>,
) -> Result<String, crate::store::StoreError> {
    let what = match flow {
        Some((id, from)) => format!("no readings of flow {id} since {}", local_time(from)),
        None => "no readings".to_owned(),
    };
    Ok(match store.recording_since(Some(account))? {
        Some(t) => format!(
            "{what}: flowdash has been recording at {} since {}",
            account.base_url(),
            local_time(t)
        ),
        None => format!(
            "{what}: flowdash has not recorded anything at {} yet",
            account.base_url()
        ),
    })
}

fn print_series(rows: &[Interval], args: &HistoryArgs, tz: &TimeZone) {
    if args.json {
        let items: Vec<_> = rows
            .iter()
            .map(|i| {
                serde_json::json!({
                    "time": rfc3339(i.start, tz),
                    "sent": i.sent,
                    "failed": i.failed,
                    "pending": i.pending,
                })
            })
            .collect();
        say(&serde_json::Value::Array(items).to_string());
        return;
    }
    if args.csv {
        say("time,sent,failed,pending");
        for i in rows {
            let pending = i.pending.map(|p| p.to_string()).unwrap_or_default();
            say(&format!(
                "{},{},{},{pending}",
                rfc3339(i.start, tz),
                i.sent,
                i.failed
            ));
        }
        return;
    }
    if rows.is_empty() {
        return;
    }
    let mut t = Table::new(
        vec![
            ("time", Align::Left),
            ("sent", Align::Right),
            ("failed", Align::Right),
            ("pending", Align::Right),
        ],
        0,
    );
    for i in rows {
        t.push(vec![
            local_time(i.start),
            i.sent.to_string(),
            i.failed.to_string(),
            i.pending.map_or_else(|| "—".to_owned(), |p| p.to_string()),
        ]);
    }
    t.push(vec![
        "total".to_owned(),
        rows.iter().map(|i| i.sent).sum::<i64>().to_string(),
        rows.iter().map(|i| i.failed).sum::<i64>().to_string(),
        String::new(),
    ]);
    for line in t.render(output_width()) {
        say(&line);
    }
}

/// The flow column of the ranking: its id, or its creation time where ids are not usable.
fn flow_cell(key: &FlowKey) -> String {
    match key {
        FlowKey::Id(id) => id.to_string(),
        FlowKey::Created {
            created: Some(t), ..
        } => format!("created {}", local_time(*t)),
        FlowKey::Created { created: None, .. } => "created ?".to_owned(),
    }
}

fn share(r: &Rank) -> String {
    r.failure_share
        .map_or_else(|| "—".to_owned(), |s| format!("{:.1}%", s * 100.0))
}

fn print_ranking(ranks: &[Rank], args: &HistoryArgs, tz: &TimeZone) {
    let created = |r: &Rank| match &r.flow {
        FlowKey::Created {
            created: Some(t), ..
        } => Some(rfc3339(*t, tz)),
        _ => None,
    };
    let id = |r: &Rank| match r.flow {
        FlowKey::Id(id) => Some(id),
        FlowKey::Created { .. } => None,
    };
    if args.json {
        let items: Vec<_> = ranks
            .iter()
            .map(|r| {
                serde_json::json!({
                    "flow_id": id(r),
                    "created": created(r),
                    "name": r.name,
                    "sent": r.sent,
                    "failed": r.failed,
                    "failure_share": r.failure_share,
                })
            })
            .collect();
        say(&serde_json::Value::Array(items).to_string());
        return;
    }
    if args.csv {
        say("flow_id,created,name,sent,failed,failure_share");
        for r in ranks {
            say(&format!(
                "{},{},{},{},{},{}",
                id(r).map(|i| i.to_string()).unwrap_or_default(),
                created(r).unwrap_or_default(),
                csv_cell(&r.name),
                r.sent,
                r.failed,
                r.failure_share
                    .map(|s| format!("{s:.4}"))
                    .unwrap_or_default()
            ));
        }
        return;
    }
    if ranks.is_empty() {
        return;
    }
    let mut t = Table::new(
        vec![
            ("flow", Align::Left),
            ("name", Align::Left),
            ("sent", Align::Right),
            ("failed", Align::Right),
            ("failed%", Align::Right),
        ],
        1,
    );
    for r in ranks {
        t.push(vec![
            flow_cell(&r.flow),
            r.name.clone(),
            r.sent.to_string(),
            r.failed.to_string(),
            share(r),
        ]);
    }
    for line in t.render(output_width()) {
        say(&line);
    }
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break; a leading `=`, `+`,
/// `-` or `@` gets a `'` so that a spreadsheet does not take the name for a formula.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("Welcome"), "Welcome");
        assert_eq!(csv_cell("a, \"b\""), "\"a, \"\"b\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
