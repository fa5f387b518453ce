//! The key line and the status line: errors (until dismissed), toasts, the spinner.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{dim, error_style, fit};
use crate::app::{Mode, State};

const SPINNER: [char; 8] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧'];

pub fn spinner(step: u8) -> char {
    SPINNER[usize::from(step) % SPINNER.len()]
}

pub fn keys(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let text = match &state.mode {
        Mode::Filter => "type to filter · Enter keeps · Esc clears",
        Mode::Form(_) => "Tab move · ←/→ change · Ctrl-S save · Esc cancel",
        Mode::ConfirmDelete { .. } => "answer the question above",
        Mode::Conflict { .. } => "m keep mine · t take theirs · Esc back to the form",
        Mode::Help => "any key closes the help",
        Mode::Browse => {
            "space on/off · e edit · n new · d delete · / filter · s sort · r refresh · p pause · ? help · q quit"
        }
    };
    frame.render_widget(
        Paragraph::new(Span::styled(fit(text, usize::from(area.width)), dim())),
        area,
    );
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let width = usize::from(area.width);
    let line = if let Some(e) = state.errors.front() {
        let more = if state.errors.len() > 1 {
            format!(" (+{} more)", state.errors.len() - 1)
        } else {
            String::new()
        };
        let tail = format!("{more} · x dismisses");
        let room = width.saturating_sub(tail.chars().count() + 7);
        Line::from(vec![
            Span::styled("error: ", error_style()),
            Span::styled(fit(e, room), Style::new().fg(Color::Red)),
            Span::styled(tail, dim()),
        ])
    } else if let Some(t) = &state.toast {
        Line::from(Span::raw(fit(&t.text, width)))
    } else if state.is_busy() {
        Line::from(Span::raw(format!("{} working…", spinner(state.spin))))
    } else {
        Line::from("")
    };
    let line = if state.is_busy() && (state.errors.front().is_some() || state.toast.is_some()) {
        let mut spans = vec![Span::raw(format!("{} ", spinner(state.spin)))];
        spans.extend(line.spans);
        Line::from(spans)
    } else {
        line
    };
    frame.render_widget(Paragraph::new(line), area);
}
