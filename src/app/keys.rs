//! What keys and the mouse do: the flow list's actions, the filter line, the form and the
//! dialogs.

use crossterm::event::{Event, KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use tui_input::backend::crossterm::EventHandler;

use super::errors::push_error;
use super::form::{FormEvent, FormKind, FormState};
use super::geometry::{self, TABLE_TOP};
use super::keymap::{self, Action};
use super::messages::ViewKey;
use super::{Command, Gate, Mode, PAGE_SIZES, State};
use crate::budget::Priority;
use crate::domain::{Flow, validate};

pub(super) fn on_key(state: &mut State, key: KeyEvent, out: &mut Vec<Command>) {
    if state.gate != Gate::Open {
        // A dialog that opened by itself is not on screen yet, or only just: this key was
        // typed for what was there before.
        return;
    }
    if !state.fits() {
        // Only the size warning is on screen: a key would act on rows the operator cannot
        // see. Quitting and suspending stay possible from the list.
        if matches!(state.mode, Mode::Browse)
            && let Some(a @ (Action::Quit | Action::Suspend)) = state.ctx.keys.action(&key)
        {
            on_action(state, a, out);
        }
        return;
    }
    if super::bulk::on_esc(state, &key, out) {
        return;
    }
    // Every mode but the list takes its own keys and keeps the ones it does not use: a key
    // meant for a dialog must never fall through to the table behind it.
    match std::mem::take(&mut state.mode) {
        Mode::Browse => {
            if let Some(a) = state.ctx.keys.action(&key) {
                on_action(state, a, out);
            }
        }
        Mode::Help { scroll } => on_help_key(state, key, scroll),
        Mode::Errors { scroll } => on_errors_key(state, key, scroll),
        Mode::Messages(mut view) => {
            if view.key(&key) == ViewKey::Stay {
                state.mode = Mode::Messages(view);
            }
        }
        Mode::Alerts { scroll } => super::alerts::on_key(state, key, scroll),
        Mode::Ledger(view) => super::ledger::on_key(state, view, key, out),
        Mode::Copied { text, scroll } => super::copy::on_key(state, key, text, scroll),
        Mode::Profiles { cursor } => super::profiles::on_key(state, key, cursor, out),
        Mode::Filter => on_filter_key(state, key, out),
        Mode::Form(mut form) => {
            if form.saving.is_some() && key.code != KeyCode::Esc && !form.confirm_discard {
                // While the save runs, the form is frozen: keys would change what was sent.
                // Esc and the answer to its `Discard changes? y/n` still go through, or the
                // question could never be answered.
                state.mode = Mode::Form(form);
                return;
            }
            match form.key(key, &state.devices, &state.segments) {
                FormEvent::None => state.mode = Mode::Form(form),
                FormEvent::Close => {}
                FormEvent::Save => {
                    save(state, &mut form, out);
                    state.mode = Mode::Form(form);
                }
            }
        }
        Mode::ConfirmDelete {
            flow,
            typed,
            refusal,
        } => on_delete_key(state, key, flow, typed, refusal, out),
        Mode::DraftOffer(offer) => super::draft::on_key(state, offer, key, out),
        Mode::Bulk(dialog) => super::bulk::on_key(state, *dialog, key, out),
        Mode::History(view) => super::history::on_key(state, view, key, out),
        Mode::Conflict { mut form, conflict } => match key.code {
            KeyCode::Char('m' | 'M') => {
                // Keep mine: the operator has now seen theirs; write the form's changes over it.
                if let FormKind::Edit { seen, .. } = &mut form.kind {
                    **seen = conflict.theirs.clone();
                }
                save(state, &mut form, out);
                state.mode = Mode::Form(form);
            }
            KeyCode::Char('t' | 'T') => {
                form.reload(&conflict.theirs);
                state.replace_flow(conflict.theirs.id, &conflict.theirs);
                state.toast("loaded the server's version".to_owned(), out);
                state.mode = Mode::Form(form);
            }
            KeyCode::Esc => state.mode = Mode::Form(form),
            _ => state.mode = Mode::Conflict { form, conflict },
        },
    }
}

/// The runner drew a frame while a dialog that opened by itself waited to be seen: from now
/// on the operator can see it, and after the settle time its keys count.
pub(super) fn on_drawn(state: &mut State, width: u16, height: u16, out: &mut Vec<Command>) {
    // A frame too small shows only the size warning, not the dialog.
    if state.gate == Gate::Undrawn && geometry::fits(width, height) {
        let n = state.next_req().0;
        state.gate = Gate::Settling(n);
        out.push(Command::Settle(n));
    }
}

pub(super) fn on_settled(state: &mut State, n: u64) {
    if state.gate == Gate::Settling(n) {
        state.gate = Gate::Open;
    }
}

fn on_help_key(state: &mut State, key: KeyEvent, scroll: u16) {
    let scroll = match state.ctx.keys.action(&key) {
        // Ctrl-C quits from anywhere; q closes the help, as it closes every view.
        Some(Action::Quit) if key.code != KeyCode::Char('q') => {
            state.quit = true;
            return;
        }
        Some(Action::Quit | Action::Help) => return,
        _ => match key.code {
            KeyCode::Esc => return,
            // Any other key leaves the help up: it was not meant for the table behind it.
            code => geometry::scrolled(code, scroll, state.visible_rows),
        },
    };
    let end = state.help_end.get().unwrap_or_else(keymap::help_lines_max);
    state.mode = Mode::Help {
        scroll: scroll.min(end),
    };
}

/// The delete dialog. `y` deletes and `n`, Enter or Esc keep the flow; on production the typed
/// name and Enter delete, and only Esc cancels. An answer it cannot take keeps it open with the
/// reason, so the keys typed after it land here and not on the table.
fn on_delete_key(
    state: &mut State,
    key: KeyEvent,
    flow: Box<Flow>,
    mut typed: tui_input::Input,
    mut refusal: Option<String>,
    out: &mut Vec<Command>,
) {
    let production = state.ctx.production;
    match key.code {
        KeyCode::Esc => {
            state.toast("not deleted".to_owned(), out);
            return;
        }
        KeyCode::Enter if production && typed.value() == flow.name => {
            delete(state, *flow, out);
            return;
        }
        KeyCode::Enter if production => {
            refusal = Some(format!(
                "the name does not match: type {} exactly, or Esc",
                flow.name
            ));
        }
        _ if production => {
            let before = typed.value().to_owned();
            typed.handle_event(&Event::Key(key));
            if typed.value() != before {
                refusal = None;
            }
        }
        KeyCode::Char('y' | 'Y') => {
            delete(state, *flow, out);
            return;
        }
        KeyCode::Char('n' | 'N') | KeyCode::Enter => {
            state.toast("not deleted".to_owned(), out);
            return;
        }
        _ => refusal = Some("y deletes the flow; n or Esc keeps it".to_owned()),
    }
    state.mode = Mode::ConfirmDelete {
        flow,
        typed,
        refusal,
    };
}

fn on_filter_key(state: &mut State, key: KeyEvent, out: &mut Vec<Command>) {
    match key.code {
        KeyCode::Enter => {
            if let Some(id) = super::jump::target(&state.filter.applied) {
                super::jump::start(state, id, out);
            }
        }
        KeyCode::Esc => {
            state.filter.input.reset();
            state.filter.applied.clear();
            state.rebuild_view();
        }
        _ => {
            state.filter.input.handle_event(&Event::Key(key));
            state.filter.applied = state.filter.input.value().trim().to_lowercase();
            state.rebuild_view();
            state.mode = Mode::Filter;
        }
    }
}

fn save(state: &mut State, form: &mut FormState, out: &mut Vec<Command>) {
    form.checked = true;
    form.problems = form.check();
    if !validate::is_savable(&form.problems) {
        return;
    }
    // The form stays open with every input; it can be saved once the server has answered.
    if let Some(refusal) = state.offline_refusal() {
        form.server_error = Some(refusal.to_owned());
        return;
    }
    form.server_error = None;
    let req = state.next_req();
    state.save_req = req;
    form.saving = Some(req);
    state.busy += 1;
    match &form.kind {
        FormKind::New => out.push(Command::Create {
            req,
            draft: form.draft(),
        }),
        FormKind::Edit { id, seen } => out.push(Command::Update {
            req,
            id: *id,
            seen: seen.clone(),
            patch: form.patch(),
        }),
    }
}

fn delete(state: &mut State, flow: Flow, out: &mut Vec<Command>) {
    state.busy += 1;
    state.toast(format!("deleting flow {}…", flow.id), out);
    out.push(Command::Delete {
        id: flow.id,
        seen: Box::new(flow),
    });
}

/// The selected flow, or a toast saying why there is none to act on; also refuses rows that
/// cannot be changed, with the reason.
fn writable_selection(state: &mut State, out: &mut Vec<Command>) -> Option<Flow> {
    let Some(flow) = state.selected_flow().cloned() else {
        state.toast("no flow selected".to_owned(), out);
        return None;
    };
    if let Some(reason) = state.row_block_reason(&flow) {
        push_error(
            state,
            format!("flow {} cannot be changed: {reason}", flow.id),
        );
        return None;
    }
    Some(flow)
}

/// `c`: the new-flow form, filled from the selected flow. A copy is a create, which stays
/// possible where existing flows cannot be changed (the shipped build, DESIGN §8); its content is
/// read first where the list leaves it out and a single read has it.
fn duplicate(state: &mut State, out: &mut Vec<Command>) {
    if state.ctx.read_only {
        push_error(state, "read-only mode: flowdash does not write".to_owned());
        return;
    }
    let Some(flow) = state.selected_flow().cloned() else {
        state.toast("no flow selected".to_owned(), out);
        return;
    };
    if flow.blocked.is_none() && state.needs_detail(flow.id) {
        state.toast(
            "reading the flow first; press c again in a moment".to_owned(),
            out,
        );
        out.push(Command::ArmDetail(flow.id));
        return;
    }
    let full = state.detailed(&flow);
    state.mode = Mode::Form(Box::new(FormState::duplicate(&full, &state.devices)));
}

/// Hands each action to the function of its kind.
fn on_action(state: &mut State, action: Action, out: &mut Vec<Command>) {
    match action {
        Action::Down
        | Action::Up
        | Action::HalfDown
        | Action::HalfUp
        | Action::First
        | Action::Last => on_move(state, action, out),
        Action::NextPage
        | Action::PrevPage
        | Action::BiggerPages
        | Action::SmallerPages
        | Action::LoadAll => on_paging(state, action, out),
        // While a bulk action runs, space and d act on the selected flow alone, ahead of it.
        Action::Toggle | Action::Delete if !state.marks.is_empty() && state.queue.is_none() => {
            if action == Action::Toggle {
                super::bulk::open_switch(state, out);
            } else {
                super::bulk::open_delete(state, out);
            }
        }
        Action::Toggle | Action::Edit | Action::New | Action::Duplicate | Action::Delete => {
            on_write(state, action, out);
        }
        Action::Mark => super::bulk::on_mark(state, out),
        Action::MarkAll => super::bulk::on_mark_all(state, out),
        Action::Undo => super::bulk::open_undo(state, out),
        Action::Filter | Action::ClearFilter | Action::Sort | Action::ReverseSort => {
            on_view(state, action, out);
        }
        Action::Refresh => {
            if state.all_loaded {
                on_action(state, Action::LoadAll, out);
            } else {
                state.load_page(Priority::Operator, out);
            }
            state.details.clear();
            state.busy += 2;
            out.push(Command::LoadDevices);
            out.push(Command::LoadSegments);
        }
        Action::Pause => {
            state.paused = !state.paused;
            if !state.paused {
                out.push(Command::SchedulePoll);
            }
            let word = if state.paused { "paused" } else { "resumed" };
            state.toast(format!("live updates {word}"), out);
        }
        Action::ResetBaseline => {
            state.baseline = state
                .flows
                .iter()
                .filter_map(|f| Some((f.row_key(), f.sent?)))
                .collect();
            state.toast("counting from now".to_owned(), out);
        }
        Action::Dismiss => {
            // The newest is the one shown.
            state.errors.pop_back();
        }
        Action::Mouse => {
            state.mouse = !state.mouse;
            out.push(Command::SetMouse(state.mouse));
            let word = if state.mouse {
                "on (click selects, wheel scrolls)"
            } else {
                "off"
            };
            state.toast(format!("mouse {word}"), out);
        }
        Action::Help => state.mode = Mode::Help { scroll: 0 },
        Action::Errors => state.mode = Mode::Errors { scroll: 0 },
        Action::History => super::history::open(state, out),
        Action::Messages => super::messages::open(state, false, out),
        Action::Failures => super::messages::open(state, true, out),
        Action::Ledger => super::ledger::open(state, out),
        Action::Alerts => state.mode = Mode::Alerts { scroll: 0 },
        Action::Profiles => super::profiles::open(state, out),
        Action::CopyId => super::copy::copy_id(state, out),
        Action::CopyJson => super::copy::copy_json(state, out),
        Action::Quit => state.quit = true,
        Action::Suspend => out.push(Command::Suspend),
    }
}

/// Moves the selection.
fn on_move(state: &mut State, action: Action, out: &mut Vec<Command>) {
    let rows = state.view.len();
    match action {
        Action::Down => state.select_row((state.cursor + 1).min(rows.saturating_sub(1)), out),
        Action::Up => state.select_row(state.cursor.saturating_sub(1), out),
        Action::HalfDown => {
            let half = (state.visible_rows / 2).max(1);
            state.select_row((state.cursor + half).min(rows.saturating_sub(1)), out);
        }
        Action::HalfUp => {
            let half = (state.visible_rows / 2).max(1);
            state.select_row(state.cursor.saturating_sub(half), out);
        }
        Action::First => state.select_row(0, out),
        Action::Last => state.select_row(rows.saturating_sub(1), out),
        _ => {}
    }
}

/// Another page, another page size, or every flow.
fn on_paging(state: &mut State, action: Action, out: &mut Vec<Command>) {
    match action {
        Action::NextPage => {
            if state.all_loaded {
                state.toast("every flow is loaded: one page".to_owned(), out);
            } else if state.pages().is_some_and(|n| state.page >= n) {
                state.toast("this is the last page".to_owned(), out);
            } else {
                state.page += 1;
                state.top_on_load = true;
                state.load_page(Priority::Operator, out);
            }
        }
        Action::PrevPage => {
            if state.page > 1 && !state.all_loaded {
                state.page -= 1;
                state.top_on_load = true;
                state.load_page(Priority::Operator, out);
            } else {
                state.toast("this is the first page".to_owned(), out);
            }
        }
        Action::BiggerPages | Action::SmallerPages => {
            let i = PAGE_SIZES
                .iter()
                .position(|&s| s == state.page_size)
                .unwrap_or(1);
            let j = if action == Action::BiggerPages {
                (i + 1).min(PAGE_SIZES.len() - 1)
            } else {
                i.saturating_sub(1)
            };
            if i == j {
                state.toast(format!("{} flows a page is the limit", PAGE_SIZES[i]), out);
            } else {
                state.page_size = PAGE_SIZES[j];
                state.page = 1;
                state.top_on_load = true;
                state.load_page(Priority::Operator, out);
            }
        }
        Action::LoadAll => {
            state.loading_all = Some((0, None));
            state.load_all(Priority::Operator, out);
        }
        _ => {}
    }
}

/// The actions that lead to a write: each refuses a row that cannot be changed.
fn on_write(state: &mut State, action: Action, out: &mut Vec<Command>) {
    if let Some(refusal) = state.offline_refusal() {
        // With the server failing, its error holds the status line, which a toast would not
        // show through: the refusal goes above it.
        if state.link == super::Link::Up {
            state.toast(refusal.to_owned(), out);
        } else {
            push_error(state, refusal.to_owned());
        }
        return;
    }
    match action {
        Action::Toggle => {
            if let Some(flow) = writable_selection(state, out) {
                if state.toggling.contains_key(&flow.id) {
                    return;
                }
                let target = !flow.enabled;
                state.toggling.insert(flow.id, target);
                state.busy += 1;
                out.push(Command::Toggle {
                    id: flow.id,
                    seen: Box::new(flow),
                    target,
                    listed: None,
                });
            }
        }
        Action::Edit => {
            if let Some(flow) = writable_selection(state, out) {
                if state.needs_detail(flow.id) {
                    state.toast(
                        "reading the flow first; press e again in a moment".to_owned(),
                        out,
                    );
                    out.push(Command::ArmDetail(flow.id));
                    return;
                }
                let full = state.detailed(&flow);
                state.mode = Mode::Form(Box::new(FormState::edit(&full)));
            }
        }
        Action::New => {
            if state.ctx.read_only {
                push_error(state, "read-only mode: flowdash does not write".to_owned());
            } else {
                state.mode = Mode::Form(Box::new(FormState::new_flow(&state.devices)));
            }
        }
        Action::Duplicate => duplicate(state, out),
        Action::Delete => {
            if let Some(flow) = writable_selection(state, out) {
                state.mode = Mode::ConfirmDelete {
                    flow: Box::new(flow),
                    typed: tui_input::Input::default(),
                    refusal: None,
                };
            }
        }
        _ => {}
    }
}

/// The filter and the order of the rows.
fn on_view(state: &mut State, action: Action, out: &mut Vec<Command>) {
    match action {
        Action::Filter => {
            state.filter.input = tui_input::Input::new(state.filter.applied.clone());
            state.mode = Mode::Filter;
        }
        Action::ClearFilter if state.filter.is_active() => {
            state.filter.input.reset();
            state.filter.applied.clear();
            state.rebuild_view();
            state.toast("filter cleared".to_owned(), out);
        }
        Action::Sort => {
            state.sort.next(&super::columns::sort_keys(state));
            state.rebuild_view();
        }
        Action::ReverseSort => {
            if state.sort.key.is_some() {
                state.sort.descending = !state.sort.descending;
                state.rebuild_view();
            } else {
                state.toast(
                    "the server's order has no reverse: choose a column with s".to_owned(),
                    out,
                );
            }
        }
        _ => {}
    }
}

pub(super) fn on_mouse(state: &mut State, m: MouseEvent, out: &mut Vec<Command>) {
    if !matches!(state.mode, Mode::Browse) || !state.takes_input() {
        return;
    }
    match m.kind {
        MouseEventKind::ScrollDown => on_action(state, Action::Down, out),
        MouseEventKind::ScrollUp => on_action(state, Action::Up, out),
        // A click on a column's title sorts by it (again: the other way).
        MouseEventKind::Down(MouseButton::Left)
            if m.row + 1 == TABLE_TOP && m.column < geometry::table_width(state.size.0) =>
        {
            let inner = geometry::table_width(state.size.0).saturating_sub(2);
            let at = m.column.checked_sub(1);
            if let Some(c) = at.and_then(|x| super::columns::at(state, inner, x)) {
                super::columns::sort_by(&mut state.sort, c);
                state.rebuild_view();
            }
        }
        // A click in the detail pane beside the table selects nothing.
        MouseEventKind::Down(MouseButton::Left)
            if m.row >= TABLE_TOP && m.column < geometry::table_width(state.size.0) =>
        {
            let row = state.table_offset + usize::from(m.row - TABLE_TOP);
            if row < state.view.len() && row < state.table_offset + state.visible_rows {
                state.select_row(row, out);
            }
        }
        _ => {}
    }
}

/// The error list: it scrolls, and `q`, Esc or `E` close it. Every other key is ignored, so
/// nothing typed while reading reaches the table.
fn on_errors_key(state: &mut State, key: KeyEvent, scroll: u16) {
    let scroll = match key.code {
        KeyCode::Esc | KeyCode::Char('q' | 'E') => return,
        KeyCode::Char('c')
            if key
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL) =>
        {
            state.quit = true;
            return;
        }
        // Space pages down here, as in a pager.
        KeyCode::Char(' ') => geometry::scrolled(KeyCode::PageDown, scroll, state.visible_rows),
        code => geometry::scrolled(code, scroll, state.visible_rows),
    };
    state.mode = Mode::Errors { scroll };
}
