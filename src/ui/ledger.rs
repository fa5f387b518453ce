//! `L`: the request ledger, newest call first (DESIGN §16). The lines are the ones
//! `--verbose` prints, cleaned and with the key redacted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{dim, full_view};
use crate::api::ledger::LEDGER_CALLS;
use crate::app::State;
use crate::app::ledger::LedgerView;

fn summary(view: &LedgerView) -> String {
    match &view.calls {
        None => "reading the ledger…".to_owned(),
        Some(calls) if calls.is_empty() => "no API call yet".to_owned(),
        Some(calls) => {
            let plural = if calls.len() == 1 { "" } else { "s" };
            format!(
                "the last {} API call{plural} of this process, newest first (at most {LEDGER_CALLS} kept)",
                calls.len()
            )
        }
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, view: &LedgerView) {
    let r = full_view(frame, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Request ledger ");
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let mut lines = vec![
        Line::styled(summary(view), dim(&state.theme)),
        Line::styled(
            "time · method · path · status · time taken · lane · answer size · budget left · Enter copies as curl",
            dim(&state.theme),
        ),
    ];
    let room = usize::from(inner.height).saturating_sub(lines.len()).max(1);
    let skip = view.cursor.saturating_sub(room - 1);
    let tz = &state.ctx.tz;
    lines.extend(
        view.calls()
            .iter()
            .enumerate()
            .skip(skip)
            .take(room)
            .map(|(i, call)| {
                let line = Line::from(call.line(tz));
                if i == view.cursor {
                    line.style(Style::new().add_modifier(Modifier::REVERSED))
                } else {
                    line
                }
            }),
    );
    frame.render_widget(Paragraph::new(lines), inner);
}
