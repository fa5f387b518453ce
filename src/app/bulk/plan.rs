//! What a bulk action will do and cost (DESIGN §15): the flows and their target, the
//! requests it sends when nothing is retried, and the preview that says so before anything
//! is sent.

use crate::api::ServerKind;
use crate::app::State;
use crate::domain::{Flow, FlowId};

/// A list read no older than this serves as the re-read of the flows it holds.
pub const FRESH_SECS: i64 = 5;

/// What a bulk action does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Switch every flow on (`on`) or off; `undo` when it undoes the last switch.
    Switch {
        on: bool,
        undo: bool,
    },
    Delete,
}

/// One flow of a plan: as the operator last saw it, and the state to switch it to (for a
/// delete, unused).
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub flow: Flow,
    pub target: bool,
}

/// What a bulk action will do and cost, shown before anything is sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub kind: Kind,
    pub items: Vec<Item>,
    /// Flows already in the target state: a re-read each, or nothing when a list serves.
    pub already: usize,
    /// One fresh list read serves as the re-read of every flow.
    pub listed: bool,
    /// Requests it sends when nothing is retried and no answer is late.
    pub requests: usize,
    /// Flows of the plan not on screen (another page, filtered out, scrolled away).
    pub off_screen: usize,
}

/// What `items` will cost: a re-read and, where needed, a write a flow; on a server whose
/// lists carry every field and name flows reliably, one fresh list read in place of the
/// re-reads of switches whose flows it holds.
pub fn plan(state: &State, kind: Kind, items: Vec<Item>) -> Plan {
    let shown: Vec<FlowId> = state
        .view
        .iter()
        .skip(state.table_offset)
        .take(state.visible_rows.max(1))
        .map(|&i| state.flows[i].id)
        .collect();
    let off_screen = items
        .iter()
        .filter(|it| !shown.contains(&it.flow.id))
        .count();
    let already = match kind {
        Kind::Switch { .. } => items
            .iter()
            .filter(|it| it.flow.enabled == it.target)
            .count(),
        Kind::Delete => 0,
    };
    let one_list = !state.all_loaded || state.live_all();
    let listed = matches!(kind, Kind::Switch { .. })
        && state.server == ServerKind::Documented
        && one_list
        && items.iter().all(|it| {
            state
                .flows
                .iter()
                .any(|f| f.id == it.flow.id && f.blocked.is_none())
        });
    let n = items.len();
    let requests = match kind {
        Kind::Switch { .. } if listed => 1 + n - already,
        Kind::Switch { .. } => 2 * n - already,
        // Each flow read and deleted, then the rows read again.
        Kind::Delete => 2 * n + usize::from(!state.all_loaded),
    };
    Plan {
        kind,
        items,
        already,
        listed,
        requests,
        off_screen,
    }
}

/// The first line of the cost preview, e.g. `Switch off 14 flows: 25 requests (3 are already
/// off) · about 1 min at the budget left · pending SMS are still sent · y/N`.
pub fn preview(state: &State, plan: &Plan) -> String {
    let n = plan.items.len();
    let flows = if n == 1 { "flow" } else { "flows" };
    let requests = format!(
        "{} {}",
        plan.requests,
        if plan.requests == 1 {
            "request"
        } else {
            "requests"
        }
    );
    let time = eta(state, plan.requests);
    match plan.kind {
        Kind::Switch { on, undo } => {
            let word = if on { "on" } else { "off" };
            let head = if undo {
                format!("Undo the last switch: switch {word} {n} {flows}")
            } else {
                format!("Switch {word} {n} {flows}")
            };
            let already = if plan.already > 0 {
                let verb = if plan.already == 1 { "is" } else { "are" };
                format!(" ({} {verb} already {word})", plan.already)
            } else {
                String::new()
            };
            let off = if on {
                ""
            } else {
                " · pending SMS are still sent"
            };
            format!("{head}: {requests}{already} · {time}{off} · y/N")
        }
        Kind::Delete => {
            let answer = if state.ctx.production {
                format!("type {n}, then Enter")
            } else {
                "y/N".to_owned()
            };
            format!(
                "Delete {n} {flows}: {requests} · {time} · their pending SMS are not cancelled · {answer}"
            )
        }
    }
}

/// How long `requests` take at the budget left: what fits in this minute goes at once, the
/// rest at the budget's share a minute.
fn eta(state: &State, requests: usize) -> String {
    let Some(b) = state.budget.as_ref().filter(|b| b.share > 0) else {
        return "paced by the rate budget".to_owned();
    };
    match b.minutes_for(u32::try_from(requests).unwrap_or(u32::MAX)) {
        None => "within a minute at the budget left".to_owned(),
        Some(mins) => format!("about {mins} min at the budget left"),
    }
}
