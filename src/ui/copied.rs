//! The text `Y` sent to the clipboard, full screen and flush left with no border, so that it
//! can be selected by hand where the terminal ignored the copy.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{bold, dim, full_view};

pub fn draw(frame: &mut Frame<'_>, area: Rect, text: &str, scroll: u16) {
    let r = full_view(frame, area);
    let mut lines = vec![
        Line::styled("Sent to the terminal's clipboard:", bold()),
        Line::styled(
            "(nothing confirms a copy; if it did not arrive, select the text below)",
            dim(),
        ),
    ];
    lines.extend(
        text.lines()
            .skip(usize::from(scroll))
            .map(|l| Line::raw(l.to_owned())),
    );
    frame.render_widget(Paragraph::new(lines), r);
}
