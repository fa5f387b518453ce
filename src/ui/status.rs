//! The key line and the status line: errors (until dismissed), toasts, the spinner.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Role;
use super::{dim, fit};
use crate::app::keymap::BINDINGS;
use crate::app::{Action, Mode, State};

const SPINNER: [char; 8] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧'];

pub fn spinner(step: u8) -> char {
    SPINNER[usize::from(step) % SPINNER.len()]
}

pub fn keys(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let th = &state.theme;
    let width = usize::from(area.width);
    let text = match &state.mode {
        Mode::Filter => "type to filter · Enter keeps · Esc clears",
        Mode::Form(_) => "Tab move · ←/→ change · Ctrl-S save · Esc cancel",
        Mode::ConfirmDelete { .. } => "answer the question above",
        Mode::Conflict { .. } => "m keep mine · t take theirs · Esc back to the form",
        Mode::Help { .. } => "↑/↓ PgUp/PgDn scroll · q or Esc closes the help",
        Mode::Errors { .. } => "↑/↓ PgUp/PgDn scroll · q or Esc closes",
        Mode::Alerts { .. } => "↑/↓ scroll · q or Esc closes",
        Mode::Copied { .. } => {
            "select the text by hand if the terminal ignored the copy · q or Esc closes"
        }
        Mode::Profiles { .. } => "↑/↓ choose · Enter switches · q or Esc closes",
        Mode::DraftOffer(_) => "Enter restores the draft · x drops it",
        Mode::Bulk(_) => "answer the question above · Esc cancels",
        Mode::History(_) => "1–4 range · ←/→ h/l cursor · r read again · q or Esc closes",
        Mode::Messages(v) if v.open => "q or Esc back to the list",
        Mode::Messages(_) => "↑/↓ move · Enter shows the message whole · q or Esc closes",
        Mode::Ledger(_) => {
            "↑/↓ move · Enter copies the call as curl · r read again · q or Esc closes"
        }
        Mode::Browse => &browse_keys(state, width),
    };
    frame.render_widget(
        Paragraph::new(Span::styled(fit(text, width), dim(th))),
        area,
    );
}

/// The list's keys that fit in `width`, from the bindings' footer words and the keys in
/// force. Keys that cannot act here (writes on a read-only server) are left out; when the line
/// is too long the highest rank goes first, so `? help` and `q quit` always show.
fn browse_keys(state: &State, width: usize) -> String {
    let write = state.can_write_existing();
    let create = !state.ctx.read_only && state.snapshot_at.is_none();
    let items: Vec<(String, u8)> = BINDINGS
        .iter()
        .filter(|b| match b.action {
            Action::Toggle | Action::Edit | Action::Delete => write,
            Action::New => create,
            _ => true,
        })
        .filter_map(|b| {
            let (word, rank) = b.footer?;
            let key = state.ctx.keys.keys_of(b.action).first()?.label();
            Some((format!("{key} {word}"), rank))
        })
        .collect();
    let mut shown: Vec<_> = items.iter().collect();
    loop {
        let text = shown
            .iter()
            .map(|i| i.0.as_str())
            .collect::<Vec<_>>()
            .join(" · ");
        if text.chars().count() <= width || shown.len() <= 2 {
            return text;
        }
        if let Some(i) = (0..shown.len()).max_by_key(|&i| shown[i].1) {
            shown.remove(i);
        }
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let th = &state.theme;
    let width = usize::from(area.width);
    // The newest error shows: an older one must not hide what just went wrong.
    let line = if let Some(e) = state.errors.back() {
        let more = if state.errors.len() > 1 {
            format!(" (+{} older · E lists)", state.errors.len() - 1)
        } else {
            String::new()
        };
        let tail = format!("{more} · x dismisses");
        // "error: ", and the spinner put in front below when something runs.
        let lead = 7 + if state.is_busy() { 2 } else { 0 };
        let room = width.saturating_sub(tail.chars().count() + lead);
        Line::from(vec![
            Span::styled("error: ", th.style(Role::Error)),
            Span::styled(
                fit(e, room),
                th.style(Role::Error).remove_modifier(Modifier::BOLD),
            ),
            Span::styled(tail, dim(th)),
        ])
    } else if let Some(text) = crate::app::bulk::progress(state) {
        Line::from(Span::raw(fit(&text, width)))
    } else if let Some(t) = &state.toast {
        Line::from(Span::raw(fit(&t.text, width)))
    } else if state.is_busy() {
        Line::from(Span::raw(format!("{} working…", spinner(state.spin))))
    } else {
        Line::from("")
    };
    let line = if state.is_busy() && (!state.errors.is_empty() || state.toast.is_some()) {
        let mut spans = vec![Span::raw(format!("{} ", spinner(state.spin)))];
        spans.extend(line.spans);
        Line::from(spans)
    } else {
        line
    };
    frame.render_widget(Paragraph::new(line), area);
}
