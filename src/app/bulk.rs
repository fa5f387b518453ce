//! Acting on many flows (DESIGN §15): the marks' keys, the bulk switch and delete with their
//! cost shown before anything is sent, the queue that works through them one flow at a time,
//! and the undo of the last switch.
//!
//! The queue sends each flow through the single switch and delete of every other write
//! (`Command::Toggle`, `Command::Delete`), so every rule of DESIGN §8 holds for each flow: the
//! re-read, the echoed id, the conflict, only `is_enabled` sent. It runs in the operator lane
//! with at most one request of its own in flight, so a single action the operator makes
//! meanwhile is sent before the queue's next flow.

mod dialog;
mod plan;

use std::collections::VecDeque;
use std::fmt::Write as _;

use crossterm::event::{KeyCode, KeyEvent};

use super::errors::push_error;
use super::{Command, Mode, State};
use crate::api::{ApiError, DeleteOutcome, ToggleOutcome};
use crate::budget::Priority;
use crate::domain::{Flow, FlowId};

pub use dialog::{Dialog, on_key, on_mark, on_mark_all, open_delete, open_switch, open_undo};
pub use plan::{FRESH_SECS, Item, Kind, Plan, plan, preview};

/// A bulk action at work.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Queue {
    pub kind: Option<Kind>,
    pub pending: VecDeque<Item>,
    pub in_flight: Option<FlowId>,
    /// The flow in flight as the operator saw it.
    pub in_flight_seen: Option<Flow>,
    /// The fresh list read that serves as the re-reads has not answered yet.
    pub awaiting_list: bool,
    pub listed: bool,
    /// Flows left unsent by Esc.
    pub not_sent: usize,
    pub done: Vec<FlowId>,
    pub already: Vec<FlowId>,
    pub refused: Vec<(FlowId, String)>,
    /// Switches off that went ahead over a change on the server, with the fields changed.
    pub over_changes: Vec<(FlowId, String)>,
    /// The switches written, as answered, with the state each had before: what `u` undoes.
    pub written: Vec<Item>,
    /// A write may have landed otherwise, or flows were deleted: read the rows again at the end.
    pub reload: bool,
}

/// Starts the queue: the rows show ◐, and either the fresh list read goes first or the first
/// flow does.
fn start(state: &mut State, plan: Plan, out: &mut Vec<Command>) {
    for it in &plan.items {
        state.toggling.insert(it.flow.id, it.target);
    }
    let awaiting_list = plan.listed;
    state.queue = Some(Queue {
        kind: Some(plan.kind),
        pending: plan.items.into(),
        awaiting_list,
        listed: plan.listed,
        ..Queue::default()
    });
    if awaiting_list {
        if state.all_loaded {
            state.load_all(Priority::Operator, out);
        } else {
            state.load_page(Priority::Operator, out);
        }
    } else {
        next(state, out);
    }
}

/// A list answered (or failed): the queue waiting for it goes on. A flow the list no longer
/// holds, or a list that failed, is read again on its own.
pub fn after_list(state: &mut State, out: &mut Vec<Command>) {
    if let Some(q) = state.queue.as_mut()
        && q.awaiting_list
    {
        q.awaiting_list = false;
        next(state, out);
    }
}

/// The flow as a list read at most [`FRESH_SECS`] ago has it, to stand for its re-read.
fn fresh_row(state: &State, id: FlowId) -> Option<Box<Flow>> {
    let at = state.loaded_at?;
    if (state.now.as_second() - at.as_second()) > FRESH_SECS {
        return None;
    }
    state
        .flows
        .iter()
        .find(|f| f.id == id && f.blocked.is_none())
        .map(|f| Box::new(f.clone()))
}

/// Sends the next flow of the queue, or ends it.
fn next(state: &mut State, out: &mut Vec<Command>) {
    let Some(q) = state.queue.as_mut() else {
        return;
    };
    if q.in_flight.is_some() || q.awaiting_list {
        return;
    }
    // A single switch the operator made meanwhile goes first: the queue waits for its answer.
    let single = state
        .toggling
        .keys()
        .any(|id| q.pending.iter().all(|it| it.flow.id != *id));
    if single {
        return;
    }
    let Some(item) = q.pending.pop_front() else {
        return finish(state, out);
    };
    let (kind, listed) = (q.kind, q.listed);
    let id = item.flow.id;
    q.in_flight = Some(id);
    q.in_flight_seen = Some(item.flow.clone());
    state.busy += 1;
    if kind == Some(Kind::Delete) {
        out.push(Command::Bulk(Box::new(Command::Delete {
            id,
            seen: Box::new(item.flow),
        })));
    } else {
        let listed = if listed { fresh_row(state, id) } else { None };
        out.push(Command::Bulk(Box::new(Command::Toggle {
            id,
            seen: Box::new(item.flow),
            target: item.target,
            listed,
        })));
    }
}

/// The status line while the queue runs: `switching off: 3 of 14 done · Esc stops`.
pub fn progress(state: &State) -> Option<String> {
    let q = state.queue.as_ref()?;
    let verb = match q.kind? {
        Kind::Switch { on: true, .. } => "switching on",
        Kind::Switch { on: false, .. } => "switching off",
        Kind::Delete => "deleting",
    };
    let settled = q.done.len() + q.already.len() + q.refused.len();
    let all = settled + q.pending.len() + usize::from(q.in_flight.is_some()) + q.not_sent;
    let tail = if q.not_sent > 0 {
        "stopping after the request in flight"
    } else if q.awaiting_list {
        "reading the list · Esc stops"
    } else {
        "Esc stops"
    };
    Some(format!("{verb}: {settled} of {all} done · {tail}"))
}

/// A single switch ended: the queue, if it waited for it, goes on.
pub fn resume(state: &mut State, out: &mut Vec<Command>) {
    next(state, out);
}

/// Whether the answer for flow `id` is the queue's.
pub fn owns(state: &State, id: FlowId) -> bool {
    state
        .queue
        .as_ref()
        .is_some_and(|q| q.in_flight == Some(id))
}

/// An error after which the write may have landed all the same.
fn landed_otherwise(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::StoredOtherwise { .. }
            | ApiError::AnsweredOther { .. }
            | ApiError::LandingUnknown { .. }
    )
}

/// The answer to the queue's flow `id` came: the flow is no longer in flight. The queue, taken
/// out of `state` to be brought up to date, when one runs.
fn answered(state: &mut State, id: FlowId) -> Option<Queue> {
    state.busy = state.busy.saturating_sub(1);
    state.toggling.remove(&id);
    let mut q = state.queue.take()?;
    q.in_flight = None;
    Some(q)
}

impl Queue {
    /// The write to flow `id` failed with `e`: it is refused, and the rows are read again at
    /// the end where the write may have landed all the same.
    fn failed(&mut self, id: FlowId, e: &ApiError) {
        self.reload |= landed_otherwise(e);
        self.refused.push((id, e.to_string()));
    }
}

/// The end of one switch of the queue.
pub fn toggled(
    state: &mut State,
    id: FlowId,
    target: bool,
    result: Result<ToggleOutcome, ApiError>,
    out: &mut Vec<Command>,
) {
    let Some(mut q) = answered(state, id) else {
        return;
    };
    let seen = q.in_flight_seen.take();
    let shown = match result {
        Ok(ToggleOutcome::Written(f) | ToggleOutcome::WrittenLate { flow: f, .. }) => {
            // A switch off goes ahead over a change on the server (DESIGN §8), and says so.
            let changed = seen.map(|s| changed_fields(&s, &f)).unwrap_or_default();
            if !changed.is_empty() {
                q.over_changes.push((id, changed));
            }
            q.done.push(id);
            q.written.push(Item {
                flow: f.clone(),
                target: !target,
            });
            state.marks.unmark(id);
            Some(f)
        }
        Ok(ToggleOutcome::Unchanged(f)) => {
            q.already.push(id);
            state.marks.unmark(id);
            Some(f)
        }
        Ok(ToggleOutcome::Conflict(c)) => {
            let fields: Vec<&str> = c.changes.iter().map(|ch| ch.field).collect();
            let why = format!("it changed on the server ({})", fields.join(", "));
            q.refused.push((id, why));
            Some(c.theirs)
        }
        Err(e) => {
            q.failed(id, &e);
            None
        }
    };
    state.queue = Some(q);
    if let Some(f) = shown {
        state.replace_flow(id, &f);
    }
    next(state, out);
}

/// The fields the operator saw that the server has otherwise, besides the switch itself and
/// the edit time it moves.
fn changed_fields(seen: &Flow, theirs: &Flow) -> String {
    let fields: Vec<&str> = crate::api::changes(seen, theirs)
        .into_iter()
        .map(|c| c.field)
        .filter(|f| !matches!(*f, "enabled" | "last edit"))
        .collect();
    fields.join(", ")
}

/// The end of one delete of the queue.
pub fn deleted(
    state: &mut State,
    id: FlowId,
    result: Result<DeleteOutcome, ApiError>,
    out: &mut Vec<Command>,
) {
    let Some(mut q) = answered(state, id) else {
        return;
    };
    match result {
        Ok(DeleteOutcome::Deleted | DeleteOutcome::DeletedLate { .. }) => {
            q.done.push(id);
            q.reload = true;
            state.marks.unmark(id);
            state.flows.retain(|f| f.id != id);
            state.total = state.total.map(|t| t.saturating_sub(1));
            state.rebuild_view();
        }
        Ok(DeleteOutcome::Conflict(c)) => {
            let why = format!("it changed on the server (now \"{}\")", c.theirs.name);
            q.refused.push((id, why));
        }
        Err(e) => {
            q.failed(id, &e);
        }
    }
    state.queue = Some(q);
    next(state, out);
}

/// A single switch that was written: it becomes what `u` undoes.
pub fn remember(state: &mut State, target: bool, result: &Result<ToggleOutcome, ApiError>) {
    if let Ok(ToggleOutcome::Written(f) | ToggleOutcome::WrittenLate { flow: f, .. }) = result {
        state.undo = Some(vec![Item {
            flow: f.clone(),
            target: !target,
        }]);
    }
}

/// Esc, one layer a press (DESIGN §3): a running queue stops first (from the list or a view),
/// then a view closes (its own key), then the marks clear, then the filter. True when the key
/// was used here.
pub fn on_esc(state: &mut State, key: &KeyEvent, out: &mut Vec<Command>) -> bool {
    if key.code != KeyCode::Esc || !state.takes_input() {
        return false;
    }
    let list_or_view = matches!(
        state.mode,
        Mode::Browse
            | Mode::Help { .. }
            | Mode::Errors { .. }
            | Mode::Alerts { .. }
            | Mode::History(_)
            | Mode::Messages(_)
    );
    let stoppable = state
        .queue
        .as_ref()
        .is_some_and(|q| !q.pending.is_empty() || q.awaiting_list);
    if list_or_view && stoppable {
        stop(state, out);
        return true;
    }
    if matches!(state.mode, Mode::Browse) && !state.marks.is_empty() {
        let n = state.marks.len();
        state.marks.clear();
        state.toast(format!("{n} marks cleared"), out);
        return true;
    }
    false
}

/// Esc while the queue runs: what is not sent yet stays unsent, the request in flight ends.
fn stop(state: &mut State, out: &mut Vec<Command>) {
    let Some(q) = state.queue.as_mut() else {
        return;
    };
    q.not_sent = q.pending.len();
    for it in std::mem::take(&mut q.pending) {
        state.toggling.remove(&it.flow.id);
    }
    if q.awaiting_list {
        q.awaiting_list = false;
        return finish(state, out);
    }
    if q.in_flight.is_some() {
        state.toast("stopping after the request in flight".to_owned(), out);
    } else {
        finish(state, out);
    }
}

/// The queue is done (or stopped): the summary names every flow refused and why (those stay
/// marked), and the switches written become what `u` undoes.
fn finish(state: &mut State, out: &mut Vec<Command>) {
    let Some(q) = state.queue.take() else {
        return;
    };
    let text = summary(&q);
    if !q.written.is_empty() && q.kind != Some(Kind::Delete) {
        state.undo = Some(q.written);
    }
    // Refusals, and switches made over changes, stay on the status line until dismissed.
    if q.refused.is_empty() && q.over_changes.is_empty() {
        state.toast(text, out);
    } else {
        push_error(state, text);
    }
    if q.reload && !state.all_loaded && !state.loading {
        state.load_page(Priority::Operator, out);
    }
}

fn summary(q: &Queue) -> String {
    let n = q.done.len();
    let flows = if n == 1 { "flow" } else { "flows" };
    let mut parts = vec![match q.kind {
        Some(Kind::Switch { on, undo }) => {
            let word = if on { "on" } else { "off" };
            let lead = if undo { "undo: " } else { "" };
            let mut s = format!("{lead}switched {word} {n} {flows}");
            if !q.already.is_empty() {
                let _ = write!(s, ", {} already {word}", q.already.len());
            }
            if !on && n > 0 {
                let _ = write!(s, " ({})", crate::domain::flow::SWITCH_OFF_NOTE);
            }
            s
        }
        _ => format!("deleted {n} {flows}"),
    }];
    if !q.over_changes.is_empty() {
        let named: Vec<String> = q
            .over_changes
            .iter()
            .map(|(id, fields)| format!("flow {id} ({fields})"))
            .collect();
        parts.push(format!(
            "switched off over changes made on the server: {}",
            named.join(", ")
        ));
    }
    if q.not_sent > 0 {
        parts.push(format!("stopped: {} not sent", q.not_sent));
    }
    if !q.refused.is_empty() {
        let named: Vec<String> = q
            .refused
            .iter()
            .map(|(id, why)| format!("flow {id}: {why}"))
            .collect();
        parts.push(format!("refused (still marked): {}", named.join("; ")));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Context;

    #[test]
    fn a_list_older_than_five_seconds_no_longer_stands_for_the_re_read() {
        let mut state = State::new(Context::default(), 20);
        state.flows = vec![Flow::bare(1, "a")];
        state.now = jiff::Timestamp::from_second(1_000).unwrap_or_default();
        state.loaded_at = Some(jiff::Timestamp::from_second(995).unwrap_or_default());
        assert!(fresh_row(&state, FlowId(1)).is_some());
        assert!(fresh_row(&state, FlowId(2)).is_none(), "not in the list");
        state.loaded_at = Some(jiff::Timestamp::from_second(994).unwrap_or_default());
        assert!(fresh_row(&state, FlowId(1)).is_none());
    }
}
