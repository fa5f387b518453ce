//! `P`: the config's profiles in a small box, the one in use marked, the cursor on one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme::Role;
use super::{dim, fit, popup};
use crate::app::State;
use crate::domain::clean;

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, cursor: usize) {
    let th = &state.theme;
    let rows = u16::try_from(state.profiles.len()).unwrap_or(u16::MAX);
    let r = popup(frame, area, 48, rows.saturating_add(4));
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Profiles: Enter switches account ");
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line<'_>> = state
        .profiles
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let in_use = Some(name) == state.ctx.profile.as_ref();
            let mark = if i == cursor { "▌ " } else { "  " };
            let note = if in_use { "  (in use)" } else { "" };
            let text = fit(&format!("{mark}{}{note}", clean::one_line(name)), width);
            let style = if i == cursor {
                th.style(Role::Selection)
            } else {
                ratatui::style::Style::new()
            };
            Line::from(Span::styled(text, style))
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        fit("marks, undo and the filter start afresh", width),
        dim(th),
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}
