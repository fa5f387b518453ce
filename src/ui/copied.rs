//! The text `Y` sent to the clipboard, full screen and flush left with no border, so that it
//! can be selected by hand where the terminal ignored the copy.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{bold, dim, full_view};
use crate::app::State;

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, text: &str, scroll: u16) {
    let r = full_view(frame, area);
    let how = if state.mouse {
        "(nothing confirms a copy; to select the text by hand, close this, press M to give the mouse back to the terminal, then Y)"
    } else {
        "(nothing confirms a copy; if it did not arrive, select the text below)"
    };
    let mut lines = vec![
        Line::styled("Sent to the terminal's clipboard:", bold()),
        Line::styled(how, dim(&state.theme)),
    ];
    lines.extend(
        text.lines()
            .skip(usize::from(scroll))
            .map(|l| Line::raw(l.to_owned())),
    );
    frame.render_widget(Paragraph::new(lines), r);
}
