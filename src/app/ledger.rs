//! `L`: the request ledger (DESIGN §16), the last API calls of this process, newest first, as
//! the client recorded them (`api::ledger`). `Enter` copies the call under the cursor as a
//! `curl` command through OSC 52, the key written as `"$FLOWDASH_API_KEY"`.

use crossterm::event::{KeyCode, KeyEvent};

use super::{Command, Mode, State, clipboard};
use crate::api::{Call, ledger};

/// The view's state: the calls read when it opened (or `r`), newest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LedgerView {
    /// `None` until the client's ledger has been read.
    pub calls: Option<Vec<Call>>,
    pub cursor: usize,
}

impl LedgerView {
    pub fn calls(&self) -> &[Call] {
        self.calls.as_deref().unwrap_or(&[])
    }

    pub fn selected(&self) -> Option<&Call> {
        self.calls().get(self.cursor)
    }
}

/// Opens the view and asks for the ledger.
pub(super) fn open(state: &mut State, out: &mut Vec<Command>) {
    state.mode = Mode::Ledger(Box::default());
    out.push(Command::LoadLedger);
}

/// The client's calls, oldest first as it keeps them.
pub(super) fn loaded(state: &mut State, mut calls: Vec<Call>) {
    if let Mode::Ledger(view) = &mut state.mode {
        calls.reverse();
        view.cursor = view.cursor.min(calls.len().saturating_sub(1));
        view.calls = Some(calls);
    }
}

pub(super) fn on_key(
    state: &mut State,
    mut view: Box<LedgerView>,
    key: KeyEvent,
    out: &mut Vec<Command>,
) {
    let last = view.calls().len().saturating_sub(1);
    match key.code {
        KeyCode::Esc | KeyCode::Char('q' | 'L') => return,
        KeyCode::Enter => {
            if let Some(call) = view.selected() {
                out.push(clipboard::copy(&ledger::curl(call)));
                state.toast(clipboard::SENT.to_owned(), out);
            }
        }
        KeyCode::Char('r') => out.push(Command::LoadLedger),
        code => view.cursor = super::geometry::cursor_after(code, view.cursor, last),
    }
    state.mode = Mode::Ledger(view);
}
