//! `E`: every error since flowdash started, in full and wrapped, newest first (DESIGN §16).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::theme::Role;
use super::{dim, popup};
use crate::app::State;

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, scroll: u16) {
    let th = &state.theme;
    // The whole screen but the header and the status line: long messages need the room.
    let r = popup(frame, area, area.width, area.height.saturating_sub(2));
    let title = format!(
        " Errors: {} since start, newest first ",
        state.error_log.len()
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(th.style(Role::Error));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let lines: Vec<Line<'_>> = if state.error_log.is_empty() {
        vec![Line::styled("no errors since flowdash started", dim(th))]
    } else {
        state
            .error_log
            .iter()
            .rev()
            .map(|(at, text)| {
                let time = at.to_zoned(state.ctx.tz.clone()).strftime("%H:%M:%S");
                let shown = if state.errors.contains(text) {
                    ""
                } else {
                    " (dismissed)"
                };
                Line::from(vec![
                    Span::styled(format!("{time}{shown}  "), dim(th)),
                    Span::raw(text.as_str()),
                ])
            })
            .collect()
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}
