//! `messages [ID]`: the SMS of a flow among the newest pages of the account (DESIGN §16), the
//! failures grouped by the phone's error and explained, then the messages themselves.

use serde_json::Value;

use super::table::{self, Align, Table};
use super::{Failure, say, warn};
use crate::api::{Client, FlowMessages, MESSAGE_PAGE, MESSAGE_PAGES};
use crate::budget::Priority;
use crate::cli::{MessagesArgs, StatusFilter};
use crate::domain::FlowId;
use crate::domain::message::{Message, SmsStatus, failures_by_error};
use crate::domain::phone_error;

fn wanted(filter: Option<StatusFilter>, status: &SmsStatus) -> bool {
    match filter {
        None => true,
        Some(StatusFilter::Sent) => *status == SmsStatus::Sent,
        Some(StatusFilter::Pending) => *status == SmsStatus::Pending,
        Some(StatusFilter::Failed) => *status == SmsStatus::Failed,
    }
}

pub async fn run(client: &Client, args: &MessagesArgs) -> Result<(), Failure> {
    let flow = args.id.map(FlowId);
    let read = if args.json {
        client.flow_messages_json(flow, Priority::Operator).await?
    } else {
        client.flow_messages(flow, Priority::Operator).await?
    };
    if read.capped {
        warn(&format!(
            "note: read the newest {MESSAGE_PAGES} pages ({MESSAGE_PAGE} SMS a page) and \
             stopped there: older messages were not read"
        ));
    }
    let chosen: Vec<(&Message, &Value)> = read
        .messages
        .iter()
        .zip(read.json.iter().chain(std::iter::repeat(&Value::Null)))
        .filter(|(m, _)| wanted(args.status, &m.status))
        .take(args.limit)
        .collect();
    if args.json {
        let list: Vec<Value> = chosen.iter().map(|(_, j)| (*j).clone()).collect();
        say(&serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".to_owned()));
        return Ok(());
    }
    say(&summary(flow, &read));
    let groups = failures_by_error(&read.messages);
    if !groups.is_empty() {
        say("failures by error:");
        for (code, count) in &groups {
            let words = phone_error::explain(code).unwrap_or("");
            say(format!("  {code} × {count}  {words}").trim_end());
        }
    }
    if chosen.is_empty() {
        return Ok(());
    }
    let mut t = Table::new(
        vec![
            ("TIME", Align::Left),
            ("SMS", Align::Right),
            ("FLOW", Align::Right),
            ("CONTACT", Align::Right),
            ("STATUS", Align::Left),
            ("ERROR", Align::Left),
            ("CONTENT", Align::Left),
        ],
        6,
    );
    for (m, _) in chosen {
        t.push(vec![
            table::opt_time(m.time),
            m.sms_id.to_string(),
            m.flow_id.to_string(),
            m.contact_id.to_string(),
            format!("{} {}", m.status.glyph(), m.status.word()),
            m.error.clone().unwrap_or_default(),
            m.content.replace('\n', " "),
        ]);
    }
    say(&t.render(table::output_width()).join("\n"));
    Ok(())
}

/// `flow 3: 36 messages among the newest 1000 SMS, back to 2026-12-02 00:10 · 4 requests`
fn summary(flow: Option<FlowId>, read: &FlowMessages) -> String {
    let whose = flow.map_or_else(|| "every flow".to_owned(), |f| format!("flow {f}"));
    let back = read
        .messages
        .last()
        .and_then(|m| m.time)
        .map(|t| format!(", back to {}", table::local_time(t)))
        .unwrap_or_default();
    let requests = if read.requests == 1 {
        "1 request".to_owned()
    } else {
        format!("{} requests", read.requests)
    };
    format!(
        "{whose}: {} messages among the newest {} SMS{back} · {requests}",
        read.messages.len(),
        read.scanned
    )
}
