//! The audit (DESIGN §15): every write a CLI command makes goes to the history file as well as
//! to the log, through the client's audit sink ([`Trail`]); `flowdash audit` lists what the
//! file keeps for the account, oldest first, read from the file alone (no request, no key).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Map, Value, json};

use super::table::{Align, Table, fit, output_width};
use super::{Failure, say, warn};
use crate::api::error::redact;
use crate::api::{Client, fields_in_words};
use crate::cli::{AuditArgs, Global};
use crate::config::Settings;
use crate::domain::clean::{multi_line, one_line};
use crate::store::{Account, AuditEntry, AuditTrail, FlowKey, Recorder, StoreEvent};

/// How wide a name is at most in the text listing.
const NAME_WIDTH: usize = 24;

/// The history's writer for one command's writes, set as the client's audit sink.
pub(super) struct Trail {
    recorder: Recorder,
    events: tokio::sync::mpsc::UnboundedReceiver<StoreEvent>,
}

impl Trail {
    /// Audits the writes `client` makes into the history file, unless history is off
    /// (`--no-history`) or the server is the embedded demo, whose flows are not the operator's.
    pub(super) fn start(settings: &Settings, client: &Client, demo: bool) -> Option<Trail> {
        let path = settings.history.clone().filter(|_| !demo)?;
        let (recorder, events) = Recorder::start(path, crate::store::DEFAULT_RETENTION_DAYS);
        let trail = AuditTrail::new(
            recorder.clone(),
            client.base_url().clone(),
            settings.profile.clone(),
        );
        client.set_audit(std::sync::Arc::new(trail));
        Some(Trail { recorder, events })
    }

    /// Writes what was handed over and closes the file; says on stderr what was not stored.
    pub(super) async fn finish(mut self) {
        self.recorder.close().await;
        while let Ok(e) = self.events.try_recv() {
            warn(&format!("warning: the audit: {e}"));
        }
    }
}

/// `flowdash audit`: the writes recorded for the account since `--since`, oldest first.
pub fn run(global: &Global, settings: &Settings, args: &AuditArgs) -> Result<(), Failure> {
    let Some(path) = &settings.history else {
        return Err(Failure::msg(if global.no_history {
            "history is off (--no-history): there is no audit to read"
        } else {
            "cannot tell where the history file is (no home directory): pass --history PATH"
        }));
    };
    let account = Account::parse(&settings.base_url, None)
        .ok_or_else(|| Failure::msg(format!("`{}` is not a URL", settings.base_url)))?;
    let fail = |e: crate::store::StoreError| {
        Failure::msg(format!(
            "cannot read the history file {}: {e}",
            path.display()
        ))
    };
    let entries = match crate::store::Store::open_read_only(path).map_err(fail)? {
        Some(store) => {
            let tz = TimeZone::system();
            let from = args.since.start(Timestamp::now(), &tz);
            store.audit_entries(&account, from).map_err(fail)?
        }
        None => Vec::new(),
    };
    if args.json {
        let tz = TimeZone::system();
        let items: Vec<Value> = entries.iter().map(|e| entry_json(e, &tz)).collect();
        say(&Value::Array(items).to_string());
    } else if entries.is_empty() {
        warn(&format!(
            "no writes recorded at {} in that time",
            account.base_url()
        ));
    } else {
        // The last column gives way first; a terminal narrower than the others cuts each line.
        let width = output_width();
        let lines: Vec<String> = table(&entries)
            .render(width)
            .into_iter()
            .map(|l| width.map_or_else(|| l.clone(), |w| fit(&l, w)))
            .collect();
        say(&lines.join("\n"));
    }
    Ok(())
}

/// Text from the file, as any text from outside: cleaned, the key redacted.
fn clean(text: &str) -> String {
    one_line(&redact(text))
}

/// The fields of an entry, in the order stored, cleaned.
fn fields_of(entry: &AuditEntry) -> Vec<(String, String)> {
    match serde_json::from_str::<Map<String, Value>>(&entry.fields) {
        Ok(map) => map
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                let v = if k == "content" {
                    multi_line(&redact(&v))
                } else {
                    clean(&v)
                };
                (clean(&k), v)
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn flow_text(flow: Option<&FlowKey>) -> String {
    flow.map_or_else(|| "—".to_owned(), |k| clean(&k.to_string()))
}

fn table(entries: &[AuditEntry]) -> Table {
    let mut t = Table::new(
        vec![
            ("TIME", Align::Left),
            ("PROFILE", Align::Left),
            ("FLOW", Align::Right),
            ("NAME", Align::Left),
            ("SENT · RESULT", Align::Left),
        ],
        4,
    );
    let tz = TimeZone::system();
    for e in entries {
        t.push(vec![
            e.at.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string(),
            e.profile.as_deref().map_or_else(|| "—".to_owned(), clean),
            flow_text(e.flow.as_ref()),
            fit(
                &e.flow_name.as_deref().map(clean).unwrap_or_default(),
                NAME_WIDTH,
            ),
            format!("{} · {}", fields_in_words(&fields_of(e)), clean(&e.result)),
        ]);
    }
    t
}

/// One entry for `--json`: stable field names, times in RFC 3339 with the local offset.
fn entry_json(e: &AuditEntry, tz: &TimeZone) -> Value {
    let flow = match &e.flow {
        Some(FlowKey::Id(id)) => json!(id),
        Some(other) => json!(clean(&other.to_string())),
        None => Value::Null,
    };
    let fields: Map<String, Value> = fields_of(e)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    json!({
        "at": e.at.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        "profile": e.profile.as_deref().map(clean),
        "flow": flow,
        "name": e.flow_name.as_deref().map(clean),
        "fields": fields,
        "result": clean(&e.result),
    })
}
