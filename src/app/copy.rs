//! `y` and `Y` (DESIGN §17): the selected flow's id, or the flow as JSON under the API's field
//! names, to the terminal's clipboard through OSC 52. Nothing confirms a copy, so the toast says
//! it was sent; `Y` also shows the text full screen, to select by hand where the terminal
//! ignores OSC 52 (the id is on screen already, in the table and the detail).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::clipboard::{SENT, copy};
use super::{Command, Mode, State};
use crate::domain::clean;

/// `y`: the selected flow's id.
pub(super) fn copy_id(state: &mut State, out: &mut Vec<Command>) {
    let Some(id) = state.selected_id() else {
        state.toast("no flow selected".to_owned(), out);
        return;
    };
    out.push(copy(&id.to_string()));
    state.toast(format!("id {id}: {SENT}"), out);
}

/// `Y`: the selected flow as JSON (with the fields its single read added), then shown.
pub(super) fn copy_json(state: &mut State, out: &mut Vec<Command>) {
    let Some(flow) = state.selected_flow() else {
        state.toast("no flow selected".to_owned(), out);
        return;
    };
    let mut flow = state.detailed(flow);
    // Cleaned when read; cleaned again here, as the text goes to the terminal and elsewhere.
    flow.name = clean::one_line(&flow.name);
    flow.content = flow.content.as_deref().map(clean::multi_line);
    let text = crate::store::flow_json(&flow);
    out.push(copy(&text));
    state.toast(format!("flow {} as JSON: {SENT}", flow.id), out);
    state.mode = Mode::Copied { text, scroll: 0 };
}

/// The text shown after `Y`: it scrolls, `q` or Esc close it, Ctrl-C quits; every other key is
/// ignored, so nothing typed while selecting reaches the table.
pub(super) fn on_key(state: &mut State, key: KeyEvent, text: String, scroll: u16) {
    let lines = u16::try_from(text.lines().count()).unwrap_or(u16::MAX);
    let scroll = match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return,
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            state.quit = true;
            return;
        }
        code => super::geometry::scrolled(code, scroll, state.visible_rows),
    };
    state.mode = Mode::Copied {
        text,
        scroll: scroll.min(lines.saturating_sub(1)),
    };
}
