//! The dialog of a bulk switch, delete or undo (DESIGN §15): the question, then the cost of
//! the work before anything is sent.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::theme::{Role, Theme};
use super::{bold, dim, popup};
use crate::app::State;
use crate::app::bulk::{Dialog, Kind, Plan, preview};

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, dialog: &Dialog) {
    let th = &state.theme;
    let (title, role, lines) = match dialog {
        Dialog::Choose { refusal } => {
            let n = state.marks.len();
            let mut lines = vec![Line::styled(
                format!("Switch {n} flows: o on · f off"),
                bold(),
            )];
            lines.push(Line::styled("Esc cancels", dim(th)));
            lines.push(refused(refusal.as_deref(), th));
            (" Marked flows ", Role::Warning, lines)
        }
        Dialog::Confirm {
            plan,
            typed,
            refusal,
        } => {
            let role = if plan.kind == Kind::Delete {
                Role::Error
            } else {
                Role::Warning
            };
            let mut lines = vec![Line::styled(preview(state, plan), bold())];
            lines.extend(details(plan).into_iter().map(|t| Line::styled(t, dim(th))));
            if plan.kind == Kind::Delete && state.ctx.production {
                lines.push(Line::from(vec![
                    Span::styled("number of flows: ", dim(th)),
                    Span::raw(typed.value().to_owned()),
                ]));
            }
            lines.push(refused(refusal.as_deref(), th));
            (" Marked flows ", role, lines)
        }
    };
    // As high as its lines once wrapped to the popup's inner width.
    let inner_w = usize::from(area.width.min(76).saturating_sub(4)).max(1);
    let height: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let r = popup(
        frame,
        area,
        76,
        u16::try_from(height + 2).unwrap_or(u16::MAX),
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(th.style(role));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}

/// How the work goes: the re-reads, and the flows the operator cannot see.
fn details(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    out.push(if plan.kind == Kind::Delete {
        "each flow is read again, then deleted, one flow at a time; then the rows are read again"
    } else if plan.listed {
        "one fresh list read stands for the re-reads; then one flow at a time"
    } else {
        "each flow is read again before its write, one flow at a time"
    }
    .to_owned());
    if plan.off_screen > 0 {
        out.push(format!("{} of them are not on screen", plan.off_screen));
    }
    out
}

fn refused(text: Option<&str>, th: &Theme) -> Line<'static> {
    Line::styled(
        text.unwrap_or_default().to_owned(),
        th.style(Role::Error).add_modifier(Modifier::BOLD),
    )
}
