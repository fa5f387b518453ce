//! Acting on many flows (DESIGN §15): the marks' keys, the bulk switch and delete with their
//! cost shown before anything is sent, the queue that works through them one flow at a time,
//! and the undo of the last switch.
//!
//! The queue sends each flow through the single switch and delete of every other write
//! (`Command::Toggle`, `Command::Delete`), so every rule of DESIGN §8 holds for each flow: the
//! re-read, the echoed id, the conflict, only `is_enabled` sent. It runs in the operator lane
//! with at most one request of its own in flight, so a single action the operator makes
//! meanwhile is sent before the queue's next flow.

use std::collections::VecDeque;
use std::fmt::Write as _;

use crossterm::event::{Event, KeyCode, KeyEvent};
use tui_input::backend::crossterm::EventHandler;

use super::errors::push_error;
use super::{Command, Mode, State};
use crate::api::{ApiError, DeleteOutcome, ServerKind, ToggleOutcome};
use crate::budget::Priority;
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

/// The dialog of a bulk action. It takes every key and keeps those it does not use, so that
/// keys typed ahead never reach the table behind it.
#[derive(Clone, Debug)]
pub enum Dialog {
    /// `Switch N flows: o on · f off`.
    Choose { refusal: Option<String> },
    /// The cost, and `y/N` (on production, a delete's number of flows typed).
    Confirm {
        plan: Box<Plan>,
        typed: tui_input::Input,
        refusal: Option<String>,
    },
}

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

/// `v`: marks or unmarks the selected flow.
pub fn on_mark(state: &mut State, out: &mut Vec<Command>) {
    let Some(flow) = state.selected_flow().cloned() else {
        state.toast("no flow selected".to_owned(), out);
        return;
    };
    if let Some(block) = flow.blocked {
        let text = format!("flow {} cannot be marked: {}", flow.id, block.reason());
        return push_error(state, text);
    }
    let word = if state.marks.flip(&flow) {
        "marked"
    } else {
        "unmarked"
    };
    let text = format!(
        "flow {} {word} · {} marked{}",
        flow.id,
        state.marks.len(),
        note(state)
    );
    state.toast(text, out);
}

/// `V`: marks every loaded flow the filter matches, and says how many are off screen.
pub fn on_mark_all(state: &mut State, out: &mut Vec<Command>) {
    let shown = state.table_offset..state.table_offset + state.visible_rows.max(1);
    let (mut marked, mut hidden, mut skipped) = (0, 0, 0);
    for (row, &i) in state.view.iter().enumerate() {
        let flow = &state.flows[i];
        if flow.blocked.is_some() {
            skipped += 1;
            continue;
        }
        marked += 1;
        if !shown.contains(&row) {
            hidden += 1;
        }
        state.marks.mark(flow);
    }
    if marked == 0 {
        let why = if skipped > 0 {
            "the ids of these rows are 0 or repeated"
        } else {
            "no flow is loaded here"
        };
        return state.toast(format!("nothing marked: {why}{}", note(state)), out);
    }
    let what = if state.filter.is_active() {
        "the filter matches"
    } else {
        "loaded"
    };
    let mut text = format!("marked {marked} flows {what} ({hidden} of them off screen)");
    if skipped > 0 {
        let _ = write!(text, " · {skipped} rows whose id is 0 or repeated left out");
    }
    let _ = write!(text, " · {} marked{}", state.marks.len(), note(state));
    state.toast(text, out);
}

/// On the shipped build, ids are device ids: the marks say so.
fn note(state: &State) -> &'static str {
    if state.server == ServerKind::Shipped {
        " · this server's ids are device ids: nothing marked can be changed here"
    } else {
        ""
    }
}

/// Why no bulk action can start now, if none can.
fn refusal(state: &State) -> Option<String> {
    if state.queue.is_some() {
        return Some("a bulk action is running: Esc stops it after the request in flight".into());
    }
    if let Some(r) = state.offline_refusal() {
        return Some(r.to_owned());
    }
    let any = Flow::bare(1, "");
    state
        .row_block_reason(&any)
        .map(|r| format!("nothing sent: {r}"))
}

/// Refuses with the reason when no bulk action can start; true when one can.
fn may_start(state: &mut State, out: &mut Vec<Command>) -> bool {
    match refusal(state) {
        Some(r) if state.queue.is_some() => {
            state.toast(r, out);
            false
        }
        Some(r) => {
            push_error(state, r);
            false
        }
        None => true,
    }
}

/// `space` with marks: asks on or off.
pub fn open_switch(state: &mut State, out: &mut Vec<Command>) {
    if may_start(state, out) {
        state.mode = Mode::Bulk(Box::new(Dialog::Choose { refusal: None }));
    }
}

/// `d` with marks: the cost of deleting them, and the question.
pub fn open_delete(state: &mut State, out: &mut Vec<Command>) {
    if may_start(state, out) {
        let items = marked(state, true);
        confirm(state, plan(state, Kind::Delete, items));
    }
}

/// `u`: the cost of undoing the last switch, and the question.
pub fn open_undo(state: &mut State, out: &mut Vec<Command>) {
    let Some(last) = state.undo.clone() else {
        let text = "nothing to undo: no flow was switched since flowdash started".to_owned();
        return state.toast(text, out);
    };
    if !may_start(state, out) {
        return;
    }
    // Each flow as the operator last saw it: the row when it is loaded, else the write's answer.
    let items: Vec<Item> = last
        .into_iter()
        .map(|it| Item {
            flow: latest(state, &it.flow),
            target: it.target,
        })
        .collect();
    let on = items.first().is_some_and(|it| it.target);
    confirm(state, plan(state, Kind::Switch { on, undo: true }, items));
}

fn latest(state: &State, flow: &Flow) -> Flow {
    state
        .flows
        .iter()
        .find(|f| f.id == flow.id && f.blocked.is_none())
        .cloned()
        .unwrap_or_else(|| flow.clone())
}

/// The marked flows, as last seen, to switch to `target`.
fn marked(state: &State, target: bool) -> Vec<Item> {
    state
        .marks
        .flows()
        .map(|f| Item {
            flow: latest(state, f),
            target,
        })
        .collect()
}

fn confirm(state: &mut State, plan: Plan) {
    state.mode = Mode::Bulk(Box::new(Dialog::Confirm {
        plan: Box::new(plan),
        typed: tui_input::Input::default(),
        refusal: None,
    }));
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
    let left = usize::try_from(b.left).unwrap_or(usize::MAX);
    if requests <= left {
        return "within a minute at the budget left".to_owned();
    }
    let share = usize::try_from(b.share).unwrap_or(1).max(1);
    let mins = (requests - left).div_ceil(share);
    format!("about {mins} min at the budget left")
}

/// A key in a bulk dialog. Every key is taken: one the dialog cannot use keeps it open and
/// says why.
pub fn on_key(state: &mut State, dialog: Dialog, key: KeyEvent, out: &mut Vec<Command>) {
    match dialog {
        Dialog::Choose { .. } => match key.code {
            KeyCode::Char(c @ ('o' | 'O' | 'f' | 'F')) => {
                let on = c.eq_ignore_ascii_case(&'o');
                let items = marked(state, on);
                confirm(state, plan(state, Kind::Switch { on, undo: false }, items));
            }
            KeyCode::Esc | KeyCode::Char('n' | 'N') => {
                state.toast("nothing switched".to_owned(), out);
            }
            _ => {
                let refusal = Some("o switches them on, f off; Esc cancels".to_owned());
                state.mode = Mode::Bulk(Box::new(Dialog::Choose { refusal }));
            }
        },
        Dialog::Confirm {
            plan,
            mut typed,
            refusal: _,
        } => {
            let typing = plan.kind == Kind::Delete && state.ctx.production;
            let n = plan.items.len().to_string();
            let refusal = match key.code {
                KeyCode::Esc => return state.toast("nothing sent".to_owned(), out),
                KeyCode::Enter if typing && typed.value().trim() == n => {
                    return start(state, *plan, out);
                }
                KeyCode::Enter if typing => {
                    Some(format!("type the number of flows, {n}, then Enter; or Esc"))
                }
                _ if typing => {
                    typed.handle_event(&Event::Key(key));
                    None
                }
                KeyCode::Char('y' | 'Y') => return start(state, *plan, out),
                KeyCode::Char('n' | 'N') | KeyCode::Enter => {
                    return state.toast("nothing sent".to_owned(), out);
                }
                _ => Some("y starts; n or Esc cancels".to_owned()),
            };
            state.mode = Mode::Bulk(Box::new(Dialog::Confirm {
                plan,
                typed,
                refusal,
            }));
        }
    }
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
            let req = state.next_req();
            state.list_req = req;
            state.loading = true;
            state.busy += 1;
            out.push(Command::LoadAll {
                req,
                priority: Priority::Operator,
            });
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
        out.push(Command::Delete {
            id,
            seen: Box::new(item.flow),
        });
    } else {
        let listed = if listed { fresh_row(state, id) } else { None };
        out.push(Command::Toggle {
            id,
            seen: Box::new(item.flow),
            target: item.target,
            listed,
        });
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

/// The end of one switch of the queue.
pub fn toggled(
    state: &mut State,
    id: FlowId,
    target: bool,
    result: Result<ToggleOutcome, ApiError>,
    out: &mut Vec<Command>,
) {
    state.busy = state.busy.saturating_sub(1);
    state.toggling.remove(&id);
    let Some(mut q) = state.queue.take() else {
        return;
    };
    q.in_flight = None;
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
            q.reload |= landed_otherwise(&e);
            q.refused.push((id, e.to_string()));
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
    state.busy = state.busy.saturating_sub(1);
    state.toggling.remove(&id);
    let Some(mut q) = state.queue.take() else {
        return;
    };
    q.in_flight = None;
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
            q.reload |= landed_otherwise(&e);
            q.refused.push((id, e.to_string()));
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

    fn loaded(flows: Vec<Flow>) -> State {
        let mut state = State::new(Context::default(), 20);
        state.server = ServerKind::Documented;
        state.flows = flows;
        state.loaded_at = Some(state.now);
        state.rebuild_view();
        state
    }

    #[test]
    fn the_cost_is_a_list_read_and_a_write_a_flow_where_the_list_serves() {
        let off = Flow {
            enabled: false,
            ..Flow::bare(3, "c")
        };
        let mut state = loaded(vec![Flow::bare(1, "a"), Flow::bare(2, "b"), off]);
        let items = state
            .flows
            .iter()
            .map(|f| Item {
                flow: f.clone(),
                target: false,
            })
            .collect();
        let p = plan(
            &state,
            Kind::Switch {
                on: false,
                undo: false,
            },
            items,
        );
        assert!(p.listed);
        assert_eq!((p.requests, p.already), (3, 1));
        let text = preview(&state, &p);
        assert!(
            text.starts_with("Switch off 3 flows: 3 requests (1 is already off) · "),
            "{text}"
        );
        assert!(text.ends_with("pending SMS are still sent · y/N"), "{text}");
        // A server whose lists lack fields: every flow is read on its own.
        state.server = ServerKind::SparseList;
        let items = state
            .flows
            .iter()
            .map(|f| Item {
                flow: f.clone(),
                target: false,
            })
            .collect();
        let p = plan(
            &state,
            Kind::Switch {
                on: false,
                undo: false,
            },
            items,
        );
        assert_eq!((p.listed, p.requests), (false, 5));
    }

    #[test]
    fn on_production_a_bulk_delete_asks_for_the_number_of_flows() {
        use crossterm::event::KeyModifiers;
        let mut state = loaded(vec![Flow::bare(1, "a"), Flow::bare(2, "b")]);
        state.ctx.production = true;
        state.marks.flip(&Flow::bare(1, "a"));
        state.marks.flip(&Flow::bare(2, "b"));
        let mut out = Vec::new();
        open_delete(&mut state, &mut out);
        let press = |state: &mut State, code| {
            let Mode::Bulk(dialog) = std::mem::take(&mut state.mode) else {
                panic!("the dialog closed");
            };
            let mut out = Vec::new();
            on_key(
                state,
                *dialog,
                KeyEvent::new(code, KeyModifiers::NONE),
                &mut out,
            );
            out
        };
        // `y` is typed, not an answer; Enter refuses it and the dialog stays.
        for code in [KeyCode::Char('y'), KeyCode::Enter] {
            assert!(press(&mut state, code).is_empty());
        }
        let Mode::Bulk(dialog) = &state.mode else {
            panic!("the dialog closed");
        };
        assert!(
            matches!(&**dialog, Dialog::Confirm { refusal: Some(r), .. } if r.contains("type the number of flows, 2")),
            "{dialog:?}"
        );
        press(&mut state, KeyCode::Backspace);
        press(&mut state, KeyCode::Char('2'));
        let out = press(&mut state, KeyCode::Enter);
        assert!(
            matches!(out.as_slice(), [Command::Delete { id: FlowId(1), .. }]),
            "one flow at a time: {out:?}"
        );
    }

    #[test]
    fn a_read_only_profile_or_the_shipped_build_refuses_before_any_dialog_and_says_why() {
        for (read_only, server, why) in [
            (
                true,
                ServerKind::Documented,
                "read-only mode: flowdash does not write",
            ),
            (
                false,
                ServerKind::Shipped,
                "this server does not identify flows reliably; change flows in the web dashboard",
            ),
        ] {
            let mut state = loaded(vec![Flow::bare(1, "a")]);
            state.ctx.read_only = read_only;
            state.server = server;
            state.marks.flip(&Flow::bare(1, "a"));
            state.undo = Some(vec![Item {
                flow: Flow::bare(1, "a"),
                target: true,
            }]);
            let mut out = Vec::new();
            open_switch(&mut state, &mut out);
            open_delete(&mut state, &mut out);
            open_undo(&mut state, &mut out);
            assert!(matches!(state.mode, Mode::Browse));
            assert!(
                out.iter().all(|c| matches!(c, Command::ArmToast(_))),
                "{out:?}"
            );
            assert_eq!(
                state.errors.back().cloned(),
                Some(format!("nothing sent: {why}"))
            );
        }
    }
}
