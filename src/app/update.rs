//! `update`: every change of the dashboard's state, and the work it asks for. Keys and the
//! mouse are handled in `keys`.

use std::collections::HashMap;
use std::time::Duration;

use crossterm::event::KeyEventKind;

use super::errors::{Load, push_error, push_load_error};
use super::form::FormKind;
use super::geometry::table_rows;
use super::{Command, Delta, HISTORY, Link, Mode, Msg, SaveResult, State};
use crate::api::{DeleteOutcome, ToggleOutcome, UpdateOutcome};
use crate::budget::Priority;
use crate::domain::{Flow, RowKey};

/// After this long without a key, live updates slow down (the runner measures it and says so
/// with `Msg::Idle(true)`).
pub const IDLE_AFTER: Duration = Duration::from_secs(600);
/// The live pace while idle.
pub const IDLE_POLL: Duration = Duration::from_secs(60);

/// How long after now the next live refresh is due: the scheduler's pace (`pace`), or the idle
/// pace while the operator is away, and never before the scheduler has a slot (`free_in`).
pub fn poll_wait(state: &State, pace: Duration, free_in: Option<Duration>) -> Duration {
    let every = if state.idle { IDLE_POLL } else { pace };
    free_in.map_or(every, |free| every.max(free))
}

/// Hands each message to its own function.
pub fn update(state: &mut State, msg: Msg) -> Vec<Command> {
    let mut out = Vec::new();
    // The history charts follow the selection and the clock. Not after the draw reports: the
    // runner goes round again for what those ask, and they change neither.
    let follows = !matches!(msg, Msg::Drawn { .. } | Msg::Settled(_));
    match msg {
        Msg::Key(key) => on_key_msg(state, key, &mut out),
        Msg::Mouse(m) => super::keys::on_mouse(state, m, &mut out),
        Msg::Drawn { width, height } => super::keys::on_drawn(state, width, height, &mut out),
        Msg::Settled(n) => super::keys::on_settled(state, n),
        Msg::Paste(text) => on_paste(state, &text),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            state.visible_rows = table_rows(w, h);
            state.keep_cursor_visible();
        }
        Msg::Tick {
            now,
            budget,
            poll_every,
        } => on_tick(state, now, budget, poll_every),
        Msg::PollDue => on_poll_due(state, &mut out),
        Msg::ChunkLoaded { req, page, result } => on_chunk(state, req, page, result, &mut out),
        Msg::DetailDue(id) => {
            if state.selected_id() == Some(id) && state.needs_detail(id) {
                let req = state.next_req();
                state.detail_req = req;
                state.busy += 1;
                out.push(Command::LoadDetail { req, id });
            }
        }
        Msg::ToastExpired(seq) => {
            if state.toast.as_ref().is_some_and(|t| t.seq == seq) {
                state.toast = None;
            }
        }
        Msg::Idle(idle) => state.idle = idle,
        Msg::PageLoaded { req, result } => on_page_loaded(state, req, result, &mut out),
        Msg::AllProgress { req, done, pages } => {
            if req == state.list_req {
                state.loading_all = Some((done, pages));
            }
        }
        Msg::AllLoaded {
            req,
            result,
            steady,
        } => on_all_loaded(state, req, result, steady, &mut out),
        Msg::DevicesLoaded(r) => {
            state.busy = state.busy.saturating_sub(1);
            match r {
                Ok(d) => state.devices = d,
                Err(e) => push_load_error(state, Load::Devices, e),
            }
        }
        Msg::SegmentsLoaded(r) => {
            state.busy = state.busy.saturating_sub(1);
            match r {
                Ok(s) => state.segments = s,
                Err(e) => push_load_error(state, Load::Segments, e),
            }
        }
        Msg::DetailLoaded { req, id, result } => on_detail_loaded(state, req, id, result, &mut out),
        Msg::MessagesLoaded { req, result } => super::messages::loaded(state, req, result),
        Msg::LedgerLoaded(calls) => super::ledger::loaded(state, calls),
        Msg::Toggled { id, target, result } => on_toggled(state, id, target, result, &mut out),
        Msg::Saved { req, result } => {
            state.busy = state.busy.saturating_sub(1);
            on_saved(state, req, result, &mut out);
        }
        Msg::Deleted { id, result } => on_deleted(state, id, result, &mut out),
        Msg::ProfileRefused { name, why } => super::profiles::refused(state, &name, &why),
        Msg::Alerts {
            firing,
            recent,
            terminal,
        } => {
            super::alerts::on_alerts(state, firing, recent);
            if !terminal.is_empty() {
                out.push(Command::Emit(terminal));
            }
        }
        Msg::Client(crate::api::ClientEvent::Retrying {
            attempt,
            delay,
            error,
        }) => state.toast(
            format!(
                "retrying ({attempt}/3) in {:.1} s: {error}",
                delay.as_secs_f64()
            ),
            &mut out,
        ),
        Msg::HistoryLoaded { req, result } => super::history::on_loaded(state, req, result),
        Msg::SnapshotRead(saved) => on_snapshot(state, *saved),
        Msg::HistoryFault(event) => push_error(state, event.to_string()),
    }
    if follows {
        super::history::follow(state, &mut out);
    }
    out
}

/// The history's last snapshot, read at start: shown until the server answers, and only if
/// nothing has answered yet (it never replaces live rows).
fn on_snapshot(state: &mut State, saved: crate::store::SavedList) {
    if state.loaded_at.is_some() {
        return;
    }
    state.total = saved.total.or(Some(saved.flows.len() as u64));
    state.flows = saved.flows;
    // Devices or segments that answered already are newer than the snapshot's.
    if state.devices.is_empty() {
        state.devices = saved.devices;
    }
    if state.segments.is_empty() {
        state.segments = saved.segments;
    }
    state.snapshot_at = Some(saved.at);
    state.rebuild_view();
}

/// A key. Any key ends the idle pace, whatever it then does; only presses act.
fn on_key_msg(state: &mut State, key: crossterm::event::KeyEvent, out: &mut Vec<Command>) {
    if state.idle {
        state.idle = false;
        out.push(Command::SchedulePoll);
    }
    // Only presses: release and repeat kinds would double every key on some terminals.
    if key.kind == KeyEventKind::Press {
        super::keys::on_key(state, key, out);
    }
}

fn on_paste(state: &mut State, text: &str) {
    // Like a key, a paste waits until what it lands in can be seen.
    if !state.takes_input() {
        return;
    }
    match &mut state.mode {
        Mode::Form(form) if form.saving.is_none() => {
            form.paste(text);
            if form.checked {
                form.problems = form.check();
            }
        }
        Mode::Filter => {
            let one = crate::domain::clean::one_line(text);
            let value = format!("{}{one}", state.filter.input.value());
            state.filter.input = tui_input::Input::new(value);
            state.filter.applied = state.filter.input.value().trim().to_lowercase();
            state.rebuild_view();
        }
        Mode::ConfirmDelete { typed, refusal, .. } if state.ctx.production => {
            let value = format!("{}{}", typed.value(), crate::domain::clean::one_line(text));
            *typed = tui_input::Input::new(value);
            *refusal = None;
        }
        _ => {}
    }
}

fn on_tick(
    state: &mut State,
    now: jiff::Timestamp,
    budget: Option<crate::budget::BudgetSnapshot>,
    pace: Option<Duration>,
) {
    state.now = now;
    state.budget = budget;
    // The header shows the pace in force: the idle one while the operator is away.
    state.poll_every = pace.map(|p| if state.idle { IDLE_POLL } else { p });
    state.spin = state.spin.wrapping_add(1);
}

fn on_poll_due(state: &mut State, out: &mut Vec<Command>) {
    if state.paused || state.loading || state.loading_all.is_some() {
        return;
    }
    if state.live_all() {
        // Every flow in one request of 1000: the same cost as a page.
        state.load_all(Priority::Poll, out);
    } else if state.all_loaded {
        // More than 1000: the 1000-pages that hold the visible rows, one a poll, in turn.
        let pages = state.visible_chunks();
        if !pages.is_empty() {
            let page = pages[state.chunk_turn % pages.len()];
            state.chunk_turn = state.chunk_turn.wrapping_add(1);
            let req = state.list_read();
            out.push(Command::LoadChunk { req, page });
        }
    } else {
        state.load_page(Priority::Poll, out);
    }
}

fn on_page_loaded(
    state: &mut State,
    req: super::ReqId,
    result: Result<(crate::api::Page<Flow>, crate::api::ServerKind), crate::api::ApiError>,
    out: &mut Vec<Command>,
) {
    state.busy = state.busy.saturating_sub(1);
    // A newer request replaced this one (page change, refresh): its answer is stale.
    if req != state.list_req {
        return;
    }
    state.loading = false;
    match result {
        Ok((page, kind)) => {
            state.server = kind;
            let past_end = page.items.is_empty() && state.page > 1;
            state.total = page.total;
            state.total_pages = page.total_pages;
            state.page_size = page.per_page;
            state.all_loaded = false;
            if std::mem::take(&mut state.top_on_load) {
                // Another page: its first row, not the old row's index (DESIGN §3).
                state.selected = None;
                state.cursor = 0;
                state.table_offset = 0;
            }
            let before = state.selected.clone();
            let next = seek_on(state, &page.items, out);
            super::alerts::judge(state, &page.items, false, out);
            apply_flows(state, page.items);
            arm_detail_if_moved(state, before.as_ref(), out);
            if let Some(page) = next {
                state.page = page;
                state.load_page(Priority::Operator, out);
                return;
            }
            if past_end {
                // Flows were deleted under us: show the last page that has rows.
                state.page = state.pages().unwrap_or(1).clamp(1, state.page - 1);
                state.load_page(Priority::Operator, out);
                return;
            }
        }
        Err(e) => failed_load(state, Load::Flows, e),
    }
    super::bulk::after_list(state, out);
    out.push(Command::SchedulePoll);
}

fn on_all_loaded(
    state: &mut State,
    req: super::ReqId,
    result: Result<(Vec<Flow>, crate::api::ServerKind), crate::api::ApiError>,
    steady: bool,
    out: &mut Vec<Command>,
) {
    state.busy = state.busy.saturating_sub(1);
    if req != state.list_req {
        return;
    }
    state.loading = false;
    let asked = state.loading_all.take().is_some();
    match result {
        Ok((flows, kind)) => {
            state.server = kind;
            state.total = Some(flows.len() as u64);
            state.total_pages = Some(1);
            state.page = 1;
            state.all_loaded = true;
            let n = flows.len();
            super::alerts::judge(state, &flows, steady, out);
            apply_flows(state, flows);
            state.chunk_at = (1..=n.div_ceil(super::CHUNK).max(1))
                .map(|p| (u32::try_from(p).unwrap_or(u32::MAX), state.now))
                .collect();
            if !steady {
                push_error(
                    state,
                    format!(
                        "the list changed while it was read: {n} flows loaded, some may be missing"
                    ),
                );
            } else if asked {
                state.toast(format!("loaded all {n} flows"), out);
            }
        }
        Err(e) => failed_load(state, Load::EveryPage, e),
    }
    super::bulk::after_list(state, out);
    if state.all_loaded {
        out.push(Command::SchedulePoll);
    }
}

fn on_detail_loaded(
    state: &mut State,
    req: super::ReqId,
    id: crate::domain::FlowId,
    result: Result<Flow, crate::api::ApiError>,
    out: &mut Vec<Command>,
) {
    if super::jump::on_read(state, req, &result, out) {
        return;
    }
    state.busy = state.busy.saturating_sub(1);
    if req == state.detail_req {
        match result {
            Ok(f) if f.id == id => {
                state.details.insert(id, f);
            }
            Ok(_) => {}
            Err(e) => push_error(state, format!("reading flow {id}: {e}")),
        }
    }
}

fn on_toggled(
    state: &mut State,
    id: crate::domain::FlowId,
    target: bool,
    result: Result<ToggleOutcome, crate::api::ApiError>,
    out: &mut Vec<Command>,
) {
    if super::bulk::owns(state, id) {
        return super::bulk::toggled(state, id, target, result, out);
    }
    super::bulk::remember(state, target, &result);
    state.busy = state.busy.saturating_sub(1);
    state.toggling.remove(&id);
    let word = if target { "on" } else { "off" };
    match result {
        Ok(ToggleOutcome::Written(f)) => {
            state.replace_flow(id, &f);
            let note = if target {
                String::new()
            } else {
                format!(" · {}", crate::domain::flow::SWITCH_OFF_NOTE)
            };
            state.toast(format!("flow {id} switched {word}{note}"), out);
        }
        Ok(ToggleOutcome::WrittenLate { flow, answer }) => {
            state.replace_flow(id, &flow);
            let text = format!("flow {id} switched {word} ({answer}; it landed)");
            state.toast(text, out);
        }
        Ok(ToggleOutcome::Unchanged(f)) => {
            state.replace_flow(id, &f);
            state.toast(format!("flow {id} was already {word}"), out);
        }
        Ok(ToggleOutcome::Conflict(c)) => {
            let fields: Vec<&str> = c.changes.iter().map(|ch| ch.field).collect();
            state.replace_flow(id, &c.theirs);
            let text = format!(
                "flow {id} not switched {word}: it changed on the server ({})",
                fields.join(", ")
            );
            push_error(state, text);
        }
        Err(e) if landed_otherwise(&e) => {
            push_error(state, e.to_string());
            reload(state, out);
        }
        Err(e) => push_error(state, format!("flow {id} not switched {word}: {e}")),
    }
    super::bulk::resume(state, out);
}

fn on_deleted(
    state: &mut State,
    id: crate::domain::FlowId,
    result: Result<DeleteOutcome, crate::api::ApiError>,
    out: &mut Vec<Command>,
) {
    if super::bulk::owns(state, id) {
        return super::bulk::deleted(state, id, result, out);
    }
    state.busy = state.busy.saturating_sub(1);
    let text = match result {
        Ok(DeleteOutcome::Deleted) => format!("deleted flow {id}"),
        Ok(DeleteOutcome::DeletedLate { answer }) => {
            format!("deleted flow {id} ({answer}; it landed)")
        }
        Ok(DeleteOutcome::Conflict(c)) => {
            let text = format!(
                "flow {id} not deleted: it changed on the server (now \"{}\")",
                c.theirs.name
            );
            return push_error(state, text);
        }
        Err(e) => return push_error(state, format!("flow {id} not deleted: {e}")),
    };
    state.flows.retain(|f| f.id != id);
    state.total = state.total.map(|t| t.saturating_sub(1));
    state.rebuild_view();
    state.toast(text, out);
    if !state.all_loaded {
        state.load_page(Priority::Operator, out);
    }
}

/// A write error after which the write may have landed all the same (another value stored,
/// another flow answered, or its fate unknown): said as it is, never as "not switched".
fn landed_otherwise(e: &crate::api::ApiError) -> bool {
    use crate::api::ApiError;
    matches!(
        e,
        ApiError::StoredOtherwise { .. }
            | ApiError::AnsweredOther { .. }
            | ApiError::LandingUnknown { .. }
    )
}

/// A read of the flows failed: the header's link says how, the error is shown (joining a load
/// that failed alike), and the rows on screen stay as they were.
fn failed_load(state: &mut State, load: Load, e: crate::api::ApiError) {
    state.link = Link::after(&e);
    push_load_error(state, load, e);
}

/// Reads the rows again after a write whose result is not what was asked, so that they show
/// what the server has.
fn reload(state: &mut State, out: &mut Vec<Command>) {
    if !state.all_loaded && !state.loading {
        state.load_page(Priority::Operator, out);
    }
}

/// The first commands: the first page, devices and segments.
pub fn start(state: &mut State) -> Vec<Command> {
    let mut out = Vec::new();
    state.load_page(Priority::Operator, &mut out);
    state.busy += 2;
    out.push(Command::LoadDevices);
    out.push(Command::LoadSegments);
    out
}

/// A load that moved the selection to another flow (the first load, a page change, the selected
/// flow gone) reads the new one's detail, as a key that moved it would.
fn arm_detail_if_moved(state: &State, before: Option<&RowKey>, out: &mut Vec<Command>) {
    if let Some(key) = &state.selected
        && before != Some(key)
        && state.needs_detail(key.id)
    {
        out.push(Command::ArmDetail(key.id));
    }
}

/// Takes a new list of flows: counter changes, history, baseline, then the view and selection.
fn apply_flows(state: &mut State, flows: Vec<Flow>) {
    let now = state.now;
    state.link = Link::Up;
    // Counters of the snapshot are hours old: a change since then is no change seen live.
    let before: HashMap<RowKey, i64> = if state.snapshot_at.take().is_some() {
        HashMap::new()
    } else {
        state
            .flows
            .iter()
            .filter_map(|o| Some((o.row_key(), o.sent?)))
            .collect()
    };
    for f in &flows {
        record_reading(state, f, before.get(&f.row_key()).copied());
    }
    state.flows = flows;
    state.first_load = false;
    state.loaded_at = Some(now);
    state.rebuild_view();
}

/// Takes a new reading of one flow: its sent counter's change since `old`, the baseline, the
/// sparkline's readings; a detail read of an older version is dropped.
fn record_reading(state: &mut State, f: &Flow, old: Option<i64>) {
    let now = state.now;
    if let Some(d) = state.details.get(&f.id)
        && d.last_changed != f.last_changed
    {
        state.details.remove(&f.id);
    }
    let Some(sent) = f.sent else { return };
    let key = f.row_key();
    if let Some(old) = old
        && old != sent
    {
        state.deltas.insert(
            key.clone(),
            Delta {
                amount: sent - old,
                at: now,
            },
        );
    }
    state.baseline.entry(key.clone()).or_insert(sent);
    let h = state.history.entry(key).or_default();
    if h.back().is_none_or(|&(at, _)| at != now) {
        h.push_back((now, sent));
    }
    while h.len() > HISTORY {
        h.pop_front();
    }
}

/// One 1000-page of a list loaded whole: its rows are replaced where they are, the others stay
/// as they were read (each row shows its own age).
fn on_chunk(
    state: &mut State,
    req: super::ReqId,
    page: u32,
    result: Result<crate::api::Page<Flow>, crate::api::ApiError>,
    out: &mut Vec<Command>,
) {
    state.busy = state.busy.saturating_sub(1);
    if req != state.list_req {
        return;
    }
    state.loading = false;
    match result {
        Ok(p) => {
            state.link = Link::Up;
            super::alerts::judge(state, &p.items, false, out);
            let at: HashMap<RowKey, usize> = state
                .flows
                .iter()
                .enumerate()
                .map(|(i, f)| (f.row_key(), i))
                .collect();
            for f in p.items {
                // Flows new since `A` wait for the next `A`: their place in the list is unknown.
                let Some(&i) = at.get(&f.row_key()) else {
                    continue;
                };
                let old = state.flows[i].sent;
                record_reading(state, &f, old);
                state.flows[i] = f;
            }
            state.chunk_at.insert(page, state.now);
            state.rebuild_view();
        }
        Err(e) => failed_load(state, Load::Flows, e),
    }
    out.push(Command::SchedulePoll);
}

fn on_saved(
    state: &mut State,
    req: super::ReqId,
    result: Result<SaveResult, crate::api::ApiError>,
    out: &mut Vec<Command>,
) {
    let mut form = match std::mem::take(&mut state.mode) {
        Mode::Form(form) if form.saving == Some(req) => form,
        other => {
            // Whatever is on screen now (another dialog, a new form) stays. A form closed while
            // its save ran was sent all the same, so its result is still reported: unlike a
            // read, a write's answer is never stale, even after a newer save started.
            state.mode = other;
            saved_without_form(state, result, out);
            return;
        }
    };
    form.saving = None;
    match result {
        Ok(SaveResult::Updated(UpdateOutcome::Written(f))) => {
            let id = f.id;
            if let FormKind::Edit { id, .. } = form.kind {
                state.replace_flow(id, &f);
            }
            state.toast(format!("saved flow {id}"), out);
        }
        Ok(SaveResult::Updated(UpdateOutcome::WrittenLate { flow, answer })) => {
            let id = flow.id;
            if let FormKind::Edit { id, .. } = form.kind {
                state.replace_flow(id, &flow);
            }
            state.toast(format!("saved flow {id} ({answer}; it landed)"), out);
        }
        Ok(SaveResult::Updated(UpdateOutcome::Unchanged(_))) => {
            state.toast("nothing changed; nothing sent".to_owned(), out);
        }
        Ok(SaveResult::Updated(UpdateOutcome::Conflict(c))) => {
            state.open_by_itself(Mode::Conflict {
                form,
                conflict: Box::new(c),
            });
        }
        Ok(SaveResult::Created(c)) => created(state, &c, out),
        Err(e @ crate::api::ApiError::StoredOtherwise { .. }) => {
            // The write landed: a new flow exists (saving again would create a second one), an
            // edit is stored. The error names each value the server stored otherwise beside the
            // one the operator chose, so the form closes without losing what was typed.
            push_error(state, e.to_string());
            reload(state, out);
        }
        Err(e) => {
            // The form stays open with every input, and the server's words. When the write
            // landed otherwise, the row is read again so that it shows what the server has.
            if landed_otherwise(&e) {
                reload(state, out);
            }
            form.server_error = Some(e.to_string());
            state.mode = Mode::Form(form);
        }
    }
}

/// The result of a save whose form the operator closed while it ran.
fn saved_without_form(
    state: &mut State,
    result: Result<SaveResult, crate::api::ApiError>,
    out: &mut Vec<Command>,
) {
    match result {
        Ok(SaveResult::Updated(
            UpdateOutcome::Written(f) | UpdateOutcome::WrittenLate { flow: f, .. },
        )) => {
            let id = f.id;
            state.replace_flow(id, &f);
            state.toast(format!("saved flow {id}"), out);
        }
        // Nothing was sent and nothing changed; with the form gone there is nothing to show.
        Ok(SaveResult::Updated(UpdateOutcome::Unchanged(_))) => {}
        Ok(SaveResult::Updated(UpdateOutcome::Conflict(c))) => push_error(
            state,
            format!(
                "flow {} not saved: it changed on the server (now \"{}\")",
                c.theirs.id, c.theirs.name
            ),
        ),
        Ok(SaveResult::Created(c)) => created(state, &c, out),
        Err(e) if landed_otherwise(&e) => {
            push_error(state, e.to_string());
            reload(state, out);
        }
        Err(e) => push_error(state, format!("not saved: {e}")),
    }
}

fn created(state: &mut State, c: &crate::api::Created, out: &mut Vec<Command>) {
    let id = c.flow.id;
    let mut text = format!("created flow {id}");
    if c.after_timeout {
        text.push_str(" (the answer was late; found it in the list)");
    }
    match &c.off_after {
        None => {}
        // The server stores no flow sent switched off: both steps are named (DESIGN §15).
        Some(crate::api::OffAfter::SwitchedOff) => {
            text.push_str(" switched on (the server stores none sent off), then switched it off");
        }
        Some(crate::api::OffAfter::Failed(e)) => push_error(
            state,
            format!(
                "flow {id} was created switched ON (the server stores none sent off); \
                 switching it off failed: {e}"
            ),
        ),
    }
    state.toast(text, out);
    if c.device_dropped {
        push_error(
            state,
            format!(
                "the server stored no device for flow \"{}\"; pick one in the web dashboard",
                c.flow.name
            ),
        );
    }
    let key = c.flow.row_key();
    if state.all_loaded {
        // Every flow is here: add it at once, the next refresh puts it in the server's place.
        if !state.flows.iter().any(|f| f.row_key() == key) {
            state.flows.push(c.flow.clone());
        }
        state.selected = Some(key);
        state.rebuild_view();
        return;
    }
    // The new flow is selected on whatever page it is on (DESIGN §15): first the page the
    // server's order most likely puts it on.
    let page = likely_page_of_new(state);
    state.seek_from(page, &c.flow, Vec::new(), false, out);
}

/// Where a new flow most likely is: ids that fall down the page mean newest first (page 1),
/// ids that rise mean oldest first (the last page, counting the new one); any other order (by
/// name, by counters) gives no hint, so the page on screen.
fn likely_page_of_new(state: &State) -> u32 {
    let ids: Vec<u64> = state.flows.iter().map(|f| f.id.0).collect();
    if ids.len() >= 2 && ids.windows(2).all(|w| w[0] > w[1]) {
        1
    } else if ids.len() >= 2 && ids.windows(2).all(|w| w[0] < w[1]) {
        let total = state.total.unwrap_or(ids.len() as u64) + 1;
        u32::try_from(total.div_ceil(u64::from(state.page_size.max(1)))).unwrap_or(1)
    } else {
        state.page
    }
}

/// While a created flow is looked for: selects it when `items` hold it, or names the next page
/// to read (the first, then the last), or gives up with a toast after those.
fn seek_on(state: &mut State, items: &[Flow], out: &mut Vec<Command>) -> Option<u32> {
    let mut seek = state.seek.take()?;
    let (name, created) = &seek.namesake;
    let found = items.iter().find(|f| {
        f.row_key() == seek.key || (f.blocked.is_some() && f.created == *created && f.name == *name)
    });
    if let Some(f) = found {
        state.selected = Some(f.row_key());
        return None;
    }
    seek.tried.push(state.page);
    let last = state.pages().unwrap_or(1).max(1);
    let next = [1, last].into_iter().find(|p| !seek.tried.contains(p));
    if next.is_none() {
        let id = seek.key.id;
        let text = if seek.jump {
            format!("flow {id} is not on the pages read: A loads every page, then /#{id} finds it")
        } else {
            format!("created flow {id}; it is not on the first or last page in the server's order")
        };
        state.toast(text, out);
    } else {
        state.seek = Some(seek);
    }
    next
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::app::Context;

    #[test]
    fn a_key_after_the_idle_time_resumes_the_live_pace() {
        let mut state = State::new(Context::default(), 20);
        update(&mut state, Msg::Idle(true));
        let pace = Some(Duration::from_secs(3));
        let tick = |pace| Msg::Tick {
            now: jiff::Timestamp::UNIX_EPOCH,
            budget: None,
            poll_every: pace,
        };
        update(&mut state, tick(pace));
        assert_eq!(
            state.poll_every,
            Some(IDLE_POLL),
            "the header shows the idle pace"
        );
        let key = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        let cmds = update(&mut state, Msg::Key(key));
        assert!(!state.idle);
        assert!(cmds.contains(&Command::SchedulePoll), "{cmds:?}");
        update(&mut state, tick(pace));
        assert_eq!(state.poll_every, pace);
    }

    #[test]
    fn the_next_poll_waits_for_the_idle_pace_and_for_a_free_slot() {
        let mut state = State::new(Context::default(), 20);
        let pace = Duration::from_secs(3);
        assert_eq!(poll_wait(&state, pace, None), pace);
        assert_eq!(
            poll_wait(&state, pace, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        state.idle = true;
        assert_eq!(
            poll_wait(&state, pace, Some(Duration::from_secs(7))),
            IDLE_POLL
        );
    }
}
