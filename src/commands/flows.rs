//! The commands that read and change flows, devices and segments.
//!
//! Every request is an operator action (`Priority::Operator`). Writes to existing flows go
//! through the client's checks (re-read, same id, reliable server, read-only), so a command can
//! never change a flow other than the one named.

use std::fmt::Write as _;

use serde_json::Value;

use super::bulk::{self, Act};
use super::table::{self, Align, Table};
use super::{Failure, say, warn};
use crate::api::{
    ApiError, Client, DeleteOutcome, OffAfter, Page, ServerKind, ToggleOutcome, UpdateOutcome,
};
use crate::budget::Priority;
use crate::cli::{CreateArgs, ListArgs, Pick, UpdateArgs, Verb};
use crate::config::Settings;
use crate::domain::validate::{self, Field, Problem};
use crate::domain::{Device, Flow, FlowDraft, FlowId, FlowPatch, Segment, SegmentRef, sms};

const OP: Priority = Priority::Operator;

pub async fn run(client: &Client, settings: &Settings, cmd: Verb) -> Result<(), Failure> {
    match cmd {
        Verb::List(args) => list(client, settings, &args).await,
        Verb::Show { id, json } => show(client, FlowId(id), json).await,
        Verb::Enable { pick } => switch_picked(client, &pick, true).await,
        Verb::Disable { pick } => switch_picked(client, &pick, false).await,
        Verb::Create(args) => create(client, &args).await,
        Verb::Update(args) => update(client, &args).await,
        Verb::Delete { pick, confirm } => {
            let act = Act::Delete {
                confirm: confirm.is_some(),
            };
            match bulk::choose(client, &pick, act).await? {
                Some(ids) => delete(client, settings, &ids, pick.yes, confirm.as_deref()).await,
                None => Ok(()),
            }
        }
        Verb::Devices { json } => devices(client, json).await,
        Verb::Segments { json } => segments(client, json).await,
        // Handled before connecting, or by their own module.
        Verb::ServeDemo(_)
        | Verb::Config(_)
        | Verb::History(_)
        | Verb::Messages(_)
        | Verb::Watch(_)
        | Verb::Export(_)
        | Verb::Audit(_) => Ok(()),
    }
}

fn print_json(v: &Value) {
    say(&serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".to_owned()));
}

/// Says so on stderr when the server is the shipped build, whose ids are not flow ids.
async fn note_server(client: &Client, page: &Page<Flow>) {
    if client.identify(&page.items, OP).await == ServerKind::Shipped {
        warn(
            "note: this server does not identify flows reliably (its ids may be device ids); \
             flowdash will not change existing flows here: change them in the web dashboard",
        );
    }
    if page.items.iter().any(|f| f.blocked.is_some()) {
        warn("note: flows marked ⊘ have id 0 or an id another flow has: they cannot be changed");
    }
}

async fn list(client: &Client, settings: &Settings, args: &ListArgs) -> Result<(), Failure> {
    if args.all {
        let progress = |done: u32, pages: Option<u32>| match pages {
            Some(n) => warn(&format!("loaded page {done} of {n}")),
            None => warn(&format!("loaded page {done}")),
        };
        let (all, json) = if args.json {
            let w = client.all_flows_json(OP, progress).await?;
            (w.value, Some(w.json))
        } else {
            (client.all_flows(OP, progress).await?, None)
        };
        let flows = all.flows;
        let total = flows.len() as u64;
        let page = Page {
            items: flows,
            page: 1,
            per_page: 1000,
            total: Some(total),
            total_pages: Some(1),
        };
        match json {
            Some(j) => print_json(&j),
            None => print_table(&table::flow_table(&page.items)),
        }
        if all.steady {
            warn(&format!("{total} flows"));
        } else {
            warn(&format!(
                "warning: the list changed while it was read: {total} flows loaded, some may be missing"
            ));
        }
        note_server(client, &page).await;
        return Ok(());
    }
    let number = args.page.unwrap_or(1);
    let per_page = args.per_page.unwrap_or(settings.page_size);
    let (page, json) = if args.json {
        let w = client.list_flows_json(number, per_page, OP).await?;
        (w.value, Some(w.json))
    } else {
        (client.list_flows(number, per_page, OP).await?, None)
    };
    // An empty page past the end is not an empty account: say where the flows end.
    if page.items.is_empty() && number > 1 {
        let last = page.pages().map_or_else(
            || "the server did not say how many pages there are".to_owned(),
            |n| format!("the last page is {}", n.max(1)),
        );
        return Err(Failure::msg(format!(
            "page {number} is past the end ({per_page} flows a page): {last}"
        )));
    }
    match json {
        Some(j) => print_json(&j),
        None => print_table(&table::flow_table(&page.items)),
    }
    let mut footer = match page.pages() {
        Some(n) => format!("page {} of {n}", page.page),
        None => format!("page {}", page.page),
    };
    if let Some(t) = page.total {
        let _ = write!(footer, " · {t} flows");
    }
    warn(&footer);
    note_server(client, &page).await;
    Ok(())
}

fn print_table(t: &Table) {
    say(&t.render(table::output_width()).join("\n"));
}

const NOT_PROVIDED: &str = "not provided by this server";

fn field<T>(v: Option<T>, show: impl FnOnce(T) -> String) -> String {
    v.map_or_else(|| NOT_PROVIDED.to_owned(), show)
}

/// Every field of a flow, one per line, a multi-line content indented under its label.
/// Every field of a flow, one a line; devices, SIMs and segments by name when known.
fn describe(f: &Flow, devices: &[Device], segments: &[Segment]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut add = |label: &str, value: String| {
        let mut parts = value.split('\n');
        lines.push(format!("{label:<12}{}", parts.next().unwrap_or_default()));
        lines.extend(parts.map(|p| format!("{:<12}{p}", "")));
    };
    add("id", f.id.to_string());
    add("name", f.name.clone());
    add("status", if f.enabled { "on" } else { "off" }.to_owned());
    add("content", field(f.content.clone(), |c| c));
    if let Some(c) = &f.content {
        let m = sms::measure(c);
        let enc = match m.encoding {
            sms::Encoding::Gsm7 => "GSM-7",
            sms::Encoding::Ucs2 => "UCS-2",
        };
        let parts = if m.parts == 1 { "SMS" } else { "SMS parts" };
        add(
            "length",
            format!("{} characters, {} {parts} ({enc})", m.chars, m.parts),
        );
    }
    add(
        "device",
        field(f.device_id, |d| {
            if d == 0 {
                "none (the server stored no device)".to_owned()
            } else {
                devices
                    .iter()
                    .find(|x| x.id == d)
                    .map_or_else(|| d.to_string(), |x| format!("{} (#{d})", x.name))
            }
        }),
    );
    let sims = f
        .device_id
        .and_then(|d| devices.iter().find(|x| x.id == d))
        .and_then(|x| x.sims.as_deref())
        .unwrap_or_default();
    add(
        "SIM",
        field(f.sim_subscription_id, |s| {
            sims.iter()
                .find(|x| x.subscription_id == s)
                .map_or_else(|| s.to_string(), |x| format!("{} (#{s})", x.label()))
        }),
    );
    add(
        "segment",
        field(f.segment, |s| match s {
            SegmentRef::All => "all contacts".to_owned(),
            SegmentRef::Saved(n) => segments
                .iter()
                .find(|x| x.id == n)
                .map_or_else(|| format!("segment {n}"), |x| format!("{} (#{n})", x.name)),
        }),
    );
    add(
        "wait",
        match (f.wait_time, f.wait_unit) {
            (Some(n), Some(u)) => table::long_wait(n, u),
            (n, _) => field(n, |n| n.to_string()),
        },
    );
    add("sent", field(f.sent, |n| n.max(0).to_string()));
    add("pending", field(f.pending, |n| n.max(0).to_string()));
    let share = f
        .failure_share()
        .map(|s| format!(" ({:.1} %)", s * 100.0))
        .unwrap_or_default();
    add(
        "failed",
        field(f.failed, |n| format!("{}{share}", n.max(0))),
    );
    add("last sent", table::opt_time(f.last_sent));
    add("last edit", table::opt_time(f.last_changed));
    add("created", field(f.created, table::local_time));
    if let Some(b) = f.blocked {
        add("note", b.reason().to_owned());
    }
    lines
}

/// A read answered under another id may be another flow altogether (the shipped build names
/// flows by their device id): nothing of it is printed.
fn same_flow(asked: FlowId, got: &Flow) -> Result<(), Failure> {
    if got.id == asked {
        return Ok(());
    }
    Err(Failure::msg(format!(
        "asked the server for flow {asked} and it answered with flow {}: this server may name          flows by their device id, so the answer is not shown",
        got.id
    )))
}

async fn show(client: &Client, id: FlowId, json: bool) -> Result<(), Failure> {
    if json {
        let w = client.get_flow_json(id, OP).await?;
        same_flow(id, &w.value)?;
        print_json(&w.json);
    } else {
        let flow = client.get_flow(id, OP).await?;
        same_flow(id, &flow)?;
        // Names are a courtesy: when the lists cannot be read, the ids still say it all.
        let devices = client.devices().await.unwrap_or_default();
        let segments = client.segments().await.unwrap_or_default();
        say(&describe(&flow, &devices, &segments).join("\n"));
    }
    Ok(())
}

/// `flow 12 not found` and the messages about what the server stored already name the flow;
/// other messages get the id in front.
fn about(id: FlowId, e: &ApiError) -> String {
    match e {
        ApiError::NotFound { .. }
        | ApiError::StoredOtherwise { .. }
        | ApiError::AnsweredOther { .. } => e.to_string(),
        _ => format!("flow {id}: {e}"),
    }
}

/// Whether the next flows of the same command are worth trying after this error: not after
/// the key, the network, the rate limit or the read-only switch, which would fail them all.
fn per_flow(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::NotFound { .. } | ApiError::Refused { .. } | ApiError::Refusal(_)
    ) && !matches!(e, ApiError::Refusal(crate::api::Refusal::ReadOnly))
}

/// `enable` / `disable`: the flows chosen by id, `--match` or `--all`, after the plan.
async fn switch_picked(client: &Client, pick: &Pick, on: bool) -> Result<(), Failure> {
    match bulk::choose(client, pick, Act::Switch { on }).await? {
        Some(ids) => switch(client, &ids, on).await,
        None => Ok(()),
    }
}

async fn switch(client: &Client, ids: &[u64], on: bool) -> Result<(), Failure> {
    let word = if on { "enabled" } else { "disabled" };
    let mut failed = false;
    for (i, &raw) in ids.iter().enumerate() {
        let id = FlowId(raw);
        match client.set_enabled(id, None, on).await {
            Ok(ToggleOutcome::Written(_)) => say(&format!("flow {id} {word}{}", off_note(on))),
            Ok(ToggleOutcome::WrittenLate { answer, .. }) => {
                say(&format!(
                    "flow {id} {word} ({answer}; it landed){}",
                    off_note(on)
                ));
            }
            Ok(ToggleOutcome::Unchanged(_)) => say(&format!("flow {id} already {word}")),
            // Only a switch that names what the operator saw meets a conflict; this one does not.
            Ok(ToggleOutcome::Conflict(_)) => {
                warn(&format!(
                    "error: flow {id} not {word}: it changed on the server"
                ));
                failed = true;
            }
            Err(e) => {
                warn(&format!("error: {}", about(id, &e)));
                failed = true;
                if !per_flow(&e) && i + 1 < ids.len() {
                    warn(&format!("error: not tried: {}", rest(&ids[i + 1..])));
                    break;
                }
            }
        }
    }
    if failed {
        Err(Failure::Reported)
    } else {
        Ok(())
    }
}

/// What a switch off does not do, after its line (nothing after a switch on).
fn off_note(on: bool) -> String {
    if on {
        String::new()
    } else {
        format!(" · {}", crate::domain::flow::SWITCH_OFF_NOTE)
    }
}

/// `flow 13` or `flows 13, 14`.
fn rest(ids: &[u64]) -> String {
    let list: Vec<String> = ids.iter().map(u64::to_string).collect();
    let noun = if ids.len() == 1 { "flow" } else { "flows" };
    format!("{noun} {}", list.join(", "))
}

/// The flag a form field is set with, for messages.
fn flag(field: Field) -> &'static str {
    match field {
        Field::Name => "--name",
        Field::Content => "--content",
        Field::Device => "--device-id",
        Field::Sim => "--sim-subscription-id",
        Field::WaitTime => "--wait-time",
        Field::WaitUnit => "--wait-time-type",
        Field::Segment => "--segment",
        Field::Enabled => "--enabled/--disabled",
    }
}

/// Prints warnings; fails with the first error.
fn report(problems: &[Problem]) -> Result<(), Failure> {
    for p in problems.iter().filter(|p| p.warning) {
        warn(&format!("warning: {}: {}", flag(p.field), p.message));
    }
    match problems.iter().find(|p| !p.warning) {
        Some(p) => Err(Failure::msg(format!("{}: {}", flag(p.field), p.message))),
        None => Ok(()),
    }
}

async fn create(client: &Client, args: &CreateArgs) -> Result<(), Failure> {
    let draft = FlowDraft {
        name: args.name.clone(),
        content: args.content.clone(),
        device_id: Some(args.device_id),
        sim_subscription_id: Some(args.sim_subscription_id),
        wait_time: args.wait_time,
        wait_unit: args.wait_time_type,
        segment: args.segment,
        enabled: args.enabled,
    };
    report(&validate::check(&draft))?;
    let w = if args.json {
        client.create_flow_json(&draft).await?
    } else {
        let value = client.create_flow(&draft).await?;
        crate::api::WithJson {
            value,
            json: Value::Null,
        }
    };
    let created = w.value;
    let id = created.flow.id;
    if args.json {
        print_json(&w.json);
    } else {
        say(&format!("created flow {id}"));
    }
    if created.after_timeout {
        warn(&format!(
            "note: the server's answer was lost; flow {id} was found on the server afterwards"
        ));
    }
    if created.device_dropped {
        warn(&format!(
            "warning: the server stored no device for flow {id}; pick one in the web dashboard"
        ));
    }
    match &created.off_after {
        None => Ok(()),
        Some(off) => {
            warn(&format!(
                "note: the server stores no flow sent switched off (it answered `id: false`): \
                 created flow {id} switched on"
            ));
            match off {
                OffAfter::SwitchedOff => {
                    warn(&format!("note: then switched flow {id} off"));
                    Ok(())
                }
                OffAfter::Failed(e) => Err(Failure::msg(format!(
                    "flow {id} is switched ON: switching it off failed: {e}; \
                     switch it off in the web dashboard"
                ))),
            }
        }
    }
}

fn patch_of(args: &UpdateArgs) -> FlowPatch {
    FlowPatch {
        name: args.name.clone(),
        content: args.content.clone(),
        device_id: args.device_id,
        sim_subscription_id: args.sim_subscription_id,
        wait_time: args.wait_time,
        wait_unit: args.wait_time_type,
        segment: args.segment,
        enabled: match (args.enabled, args.disabled) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
    }
}

/// The checks of the fields the patch sets, on the flow as it will be.
fn check_patch(seen: &Flow, patch: &FlowPatch) -> Vec<Problem> {
    let mut draft = seen.to_draft();
    if let Some(v) = &patch.name {
        draft.name.clone_from(v);
    }
    if let Some(v) = &patch.content {
        draft.content.clone_from(v);
    }
    draft.device_id = patch.device_id.or(draft.device_id);
    draft.sim_subscription_id = patch.sim_subscription_id.or(draft.sim_subscription_id);
    draft.wait_time = patch.wait_time.unwrap_or(draft.wait_time);
    draft.wait_unit = patch.wait_unit.unwrap_or(draft.wait_unit);
    let touched = |f: Field| match f {
        Field::Name => patch.name.is_some(),
        Field::Content => patch.content.is_some(),
        Field::WaitTime | Field::WaitUnit => patch.wait_time.is_some() || patch.wait_unit.is_some(),
        // Device, SIM and segment are checked against the account's lists by the client.
        Field::Device | Field::Sim | Field::Segment | Field::Enabled => false,
    };
    validate::check(&draft)
        .into_iter()
        .filter(|p| touched(p.field))
        .collect()
}

async fn update(client: &Client, args: &UpdateArgs) -> Result<(), Failure> {
    let id = FlowId(args.id);
    let patch = patch_of(args);
    if patch.is_empty() {
        return Err(Failure::msg(
            "nothing to update: give at least one of --name, --content, --device-id, \
             --sim-subscription-id, --wait-time, --wait-time-type, --segment, --enabled, --disabled",
        ));
    }
    let seen = client
        .get_flow(id, OP)
        .await
        .map_err(|e| Failure::msg(about(id, &e)))?;
    report(&check_patch(&seen, &patch))?;
    let w = client
        .update_flow_json(id, &seen, &patch)
        .await
        .map_err(|e| Failure::msg(about(id, &e)))?;
    match w.value {
        UpdateOutcome::Written(_) | UpdateOutcome::WrittenLate { .. } if args.json => {
            print_json(&w.json);
        }
        UpdateOutcome::Written(_) => say(&format!("flow {id} updated")),
        UpdateOutcome::WrittenLate { answer, .. } => {
            say(&format!("flow {id} updated ({answer}; it landed)"));
        }
        UpdateOutcome::Unchanged(_) if args.json => {
            print_json(&client.get_flow_json(id, OP).await?.json);
        }
        UpdateOutcome::Unchanged(_) => say(&format!("flow {id} unchanged")),
        UpdateOutcome::Conflict(c) => {
            let fields: Vec<&str> = c.changes.iter().map(|c| c.field).collect();
            return Err(Failure::msg(format!(
                "flow {id} changed on the server while it was being updated ({}); nothing was sent",
                fields.join(", ")
            )));
        }
    }
    Ok(())
}

async fn delete(
    client: &Client,
    settings: &Settings,
    ids: &[u64],
    yes: bool,
    confirm: Option<&str>,
) -> Result<(), Failure> {
    if !yes {
        return Err(Failure::msg(
            "delete needs --yes to go ahead (nothing was deleted)",
        ));
    }
    if settings.production {
        let Some(_) = confirm else {
            return Err(Failure::msg(
                "this is a production profile: add --confirm NAME with the flow's name (nothing was deleted)",
            ));
        };
        if ids.len() > 1 {
            return Err(Failure::msg(
                "a production profile deletes one flow at a time, with --confirm NAME (nothing was deleted)",
            ));
        }
    }
    let mut failed = false;
    for (i, &raw) in ids.iter().enumerate() {
        let id = FlowId(raw);
        let outcome = match confirm {
            Some(name) => match client.read_for_write(id).await {
                Ok(theirs) if theirs.name.trim() == name.trim() => {
                    client.delete_flow(id, Some(&theirs)).await
                }
                Ok(theirs) => {
                    warn(&format!(
                        "error: flow {id} is named \"{}\", not \"{}\": nothing was deleted",
                        theirs.name,
                        crate::domain::clean::one_line(name)
                    ));
                    failed = true;
                    continue;
                }
                Err(e) => Err(e),
            },
            None => client.delete_flow(id, None).await,
        };
        match outcome {
            Ok(DeleteOutcome::Deleted) => say(&format!("flow {id} deleted")),
            Ok(DeleteOutcome::DeletedLate { answer }) => {
                say(&format!("flow {id} deleted ({answer}; it landed)"));
            }
            Ok(DeleteOutcome::Conflict(_)) => {
                warn(&format!(
                    "error: flow {id} was renamed on the server just now: nothing was deleted"
                ));
                failed = true;
            }
            Err(e) => {
                warn(&format!("error: {}", about(id, &e)));
                failed = true;
                if !per_flow(&e) && i + 1 < ids.len() {
                    warn(&format!("error: not tried: {}", rest(&ids[i + 1..])));
                    break;
                }
            }
        }
    }
    if failed {
        Err(Failure::Reported)
    } else {
        Ok(())
    }
}

async fn devices(client: &Client, json: bool) -> Result<(), Failure> {
    if json {
        print_json(&client.devices_json().await?.json);
        return Ok(());
    }
    let mut t = Table::new(
        vec![
            ("ID", Align::Right),
            ("NAME", Align::Left),
            ("MODEL", Align::Left),
            ("SIMS (subscription id: label)", Align::Left),
        ],
        1,
    );
    for d in client.devices().await? {
        let model = [d.brand.as_deref(), d.model.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let sims = match &d.sims {
            None => "none (never connected)".to_owned(),
            Some(s) if s.is_empty() => "none".to_owned(),
            Some(s) => s
                .iter()
                .map(|s| format!("{}: {}", s.subscription_id, s.label()))
                .collect::<Vec<_>>()
                .join(", "),
        };
        t.push(vec![d.id.to_string(), d.name, model, sims]);
    }
    print_table(&t);
    Ok(())
}

async fn segments(client: &Client, json: bool) -> Result<(), Failure> {
    if json {
        print_json(&client.segments_json().await?.json);
        return Ok(());
    }
    let mut t = Table::new(
        vec![
            ("ID", Align::Right),
            ("NAME", Align::Left),
            ("TYPE", Align::Left),
            ("CONTACTS", Align::Right),
        ],
        1,
    );
    for s in client.segments().await? {
        t.push(vec![
            s.id.to_string(),
            s.name,
            s.kind.unwrap_or_default(),
            s.total_contacts.map(|n| n.to_string()).unwrap_or_default(),
        ]);
    }
    print_table(&t);
    Ok(())
}
