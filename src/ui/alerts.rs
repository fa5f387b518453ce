//! `!`: the alerts of the account (DESIGN §14): those firing now, with when they started, then
//! the events of the last day, newest first, with their times.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::theme::Role;
use super::{dim, popup};
use crate::app::State;
use crate::store::{AlertEvent, FIRING};

fn when(state: &State, e: &AlertEvent) -> String {
    let local = e.at.to_zoned(state.ctx.tz.clone());
    let today = state.now.to_zoned(state.ctx.tz.clone()).date() == local.date();
    if today {
        local.strftime("%H:%M:%S").to_string()
    } else {
        local.strftime("%m-%d %H:%M").to_string()
    }
}

fn line<'a>(state: &State, e: &'a AlertEvent, lead: &str) -> Line<'a> {
    let th = &state.theme;
    let style = if e.state == FIRING {
        th.style(Role::Alert)
    } else {
        th.style(Role::Enabled)
    };
    Line::from(vec![
        Span::styled(format!("{lead}{}  ", when(state, e)), dim(th)),
        Span::styled(format!("{:<8}", e.state), style),
        Span::raw(format!("  {}: ", e.name)),
        Span::raw(e.text.as_str()),
    ])
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, scroll: u16) {
    let th = &state.theme;
    let r = popup(frame, area, area.width, area.height.saturating_sub(2));
    let alerts = &state.alerts;
    let title = format!(
        " Alerts: {} firing · events of the last day, newest first ",
        alerts.firing.len()
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(th.style(Role::Warning));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let mut lines: Vec<Line<'_>> = Vec::new();
    if alerts.firing.is_empty() {
        lines.push(Line::styled("no alert is firing", dim(th)));
    } else {
        lines.extend(alerts.firing.iter().map(|e| line(state, e, "since ")));
    }
    lines.push(Line::raw(""));
    if alerts.recent.is_empty() {
        lines.push(Line::styled(
            "no alert started or resolved in the last day",
            dim(th),
        ));
    } else {
        lines.extend(alerts.recent.iter().map(|e| line(state, e, "")));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}
