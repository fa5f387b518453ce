//! The messages of one flow (DESIGN §16): `/api/sms` has no filter by flow (CONTRACT §9), so the
//! newest pages are read, 250 a page and at most [`MESSAGE_PAGES`] of them, and the flow's rows
//! kept. The list runs in the account's direction: newest first, or oldest first, where the
//! newest are on the last page and reading starts there.

use std::collections::HashSet;

use serde_json::Value;

use super::paging::Pager;
use super::raw::{Decoding, MESSAGES};
use super::{ApiError, Client, WithJson};
use crate::budget::Priority;
use crate::domain::FlowId;
use crate::domain::message::Message;

/// SMS a page: the largest size the list takes for so many rows.
pub const MESSAGE_PAGE: u32 = 250;
/// Pages read at most: a big account's SMS table is far larger than anyone wants to pay for.
pub const MESSAGE_PAGES: u32 = 4;

/// What a reading of one flow's messages found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlowMessages {
    /// The flow's messages, newest first, each `sms_id` once.
    pub messages: Vec<Message>,
    /// Their objects as listed (cleaned), in the same order, when JSON was asked for.
    pub json: Vec<Value>,
    /// Pages asked for.
    pub requests: u32,
    /// SMS rows read in all (every flow's), duplicates dropped.
    pub scanned: usize,
    /// True when older pages were left unread because of the page cap.
    pub capped: bool,
    /// True when the account lists oldest first.
    pub oldest_first: bool,
}

/// The account's direction, from the ids of a page: `None` when a page cannot tell.
fn oldest_first(items: &[Message]) -> Option<bool> {
    let (first, last) = (items.first()?, items.last()?);
    (first.sms_id != last.sms_id).then_some(first.sms_id < last.sms_id)
}

impl Client {
    /// The messages of flow `flow` (every flow's with `None`) among the newest `MESSAGE_PAGES`
    /// pages of `/api/sms`.
    pub async fn flow_messages(
        &self,
        flow: Option<FlowId>,
        priority: Priority,
    ) -> Result<FlowMessages, ApiError> {
        self.read_messages(flow, priority, Decoding::Typed)
            .await
            .map(|w| w.value)
    }

    /// [`Client::flow_messages`] with the listed objects.
    pub async fn flow_messages_json(
        &self,
        flow: Option<FlowId>,
        priority: Priority,
    ) -> Result<FlowMessages, ApiError> {
        self.read_messages(flow, priority, Decoding::Json)
            .await
            .map(|w| w.value)
    }

    async fn read_messages(
        &self,
        flow: Option<FlowId>,
        priority: Priority,
        decoding: Decoding,
    ) -> Result<WithJson<FlowMessages>, ApiError> {
        let mut rows: Vec<(Message, Value)> = Vec::new();
        let mut pager = Pager::default();
        let first = self
            .fetch_page(&MESSAGES, 1, MESSAGE_PAGE, priority, decoding)
            .await?;
        let mut requests = 1;
        let backwards = oldest_first(&first.value.items) == Some(true);
        let mut more = pager.more(1, &first.value);
        let last = first.value.pages().unwrap_or(1);
        keep(&mut rows, first);
        let mut capped = false;
        if backwards && last > 1 {
            // Oldest first: the newest are on the last page, read from there towards page 1,
            // which is already here.
            let stop = last.saturating_sub(MESSAGE_PAGES - 2).max(2);
            capped = stop > 2;
            if capped {
                // Page 1 is far older than the rest: it would leave a gap in the list.
                rows.clear();
            }
            for page in (stop..=last).rev() {
                let w = self
                    .fetch_page(&MESSAGES, page, MESSAGE_PAGE, priority, decoding)
                    .await?;
                requests += 1;
                keep(&mut rows, w);
            }
        } else {
            let mut page = 1;
            while more {
                if page == MESSAGE_PAGES {
                    capped = true;
                    break;
                }
                page += 1;
                let w = self
                    .fetch_page(&MESSAGES, page, MESSAGE_PAGE, priority, decoding)
                    .await?;
                requests += 1;
                let so_far: Vec<Message> = rows.iter().map(|r| r.0.clone()).collect();
                if pager.is_repeat(&so_far, &w.value) {
                    break;
                }
                more = pager.more(page, &w.value);
                keep(&mut rows, w);
            }
        }
        Ok(WithJson {
            value: select(rows, flow, requests, capped, backwards),
            json: Value::Null,
        })
    }
}

/// The rows of a page with their objects (`Null` when no JSON was asked for).
fn keep(rows: &mut Vec<(Message, Value)>, page: WithJson<super::Page<Message>>) {
    let mut json = match page.json {
        Value::Array(a) => a.into_iter(),
        _ => Vec::new().into_iter(),
    };
    for m in page.value.items {
        rows.push((m, json.next().unwrap_or(Value::Null)));
    }
}

/// The flow's rows (every row without a flow), newest first, each id once (pages shift while new SMS arrive).
fn select(
    mut rows: Vec<(Message, Value)>,
    flow: Option<FlowId>,
    requests: u32,
    capped: bool,
    oldest_first: bool,
) -> FlowMessages {
    let mut seen = HashSet::new();
    rows.retain(|(m, _)| seen.insert(m.sms_id));
    let scanned = rows.len();
    rows.retain(|(m, _)| flow.is_none_or(|f| m.flow_id == f.0));
    rows.sort_by_key(|r| std::cmp::Reverse(r.0.sms_id));
    let (messages, json) = rows.into_iter().unzip();
    FlowMessages {
        messages,
        json,
        requests,
        scanned,
        capped,
        oldest_first,
    }
}
