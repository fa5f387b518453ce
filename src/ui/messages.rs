//! `m`: the selected flow's messages, failures grouped by error, one message whole on `Enter`
//! (DESIGN §16). Every text here was cleaned when it was read.

use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::theme::{Role, Theme};
use super::{dim, full_view};
use crate::app::State;
use crate::app::messages::MessagesView;
use crate::domain::message::{Message, SmsStatus};
use crate::domain::phone_error;

fn clock(t: Option<jiff::Timestamp>, tz: &TimeZone) -> String {
    t.map_or_else(
        || "--:--:--".to_owned(),
        |t| t.to_zoned(tz.clone()).strftime("%H:%M:%S").to_string(),
    )
}

fn status_style(status: &SmsStatus, th: &Theme) -> Style {
    match status {
        SmsStatus::Failed => th.style(Role::Failed),
        SmsStatus::Pending => th.style(Role::Warning),
        SmsStatus::Sent => th.style(Role::Enabled),
        _ => Style::new(),
    }
}

/// `36 of the newest 1000 messages, back to 10:42 · 4 requests`
fn summary(view: &MessagesView, tz: &TimeZone) -> String {
    let Some(read) = &view.read else {
        return view.error.as_ref().map_or_else(
            || "reading the newest messages…".to_owned(),
            |e| format!("could not read the messages: {e}"),
        );
    };
    let back = read
        .messages
        .last()
        .and_then(|m| m.time)
        .map(|t| format!(", back to {}", t.to_zoned(tz.clone()).strftime("%H:%M")))
        .unwrap_or_default();
    let plural = if read.requests == 1 { "" } else { "s" };
    let older = if read.capped {
        " (older ones not read)"
    } else {
        ""
    };
    format!(
        "{} of the newest {} messages{back} · {} request{plural}{older}",
        read.messages.len(),
        read.scanned,
        read.requests
    )
}

fn row<'a>(m: &'a Message, tz: &TimeZone, selected: bool, th: &Theme) -> Line<'a> {
    let mut spans = vec![
        Span::styled(format!("{}  ", clock(m.time, tz)), dim(th)),
        Span::raw(format!("contact {:<7} ", m.contact_id)),
        Span::styled(
            format!("{} {:<8} ", m.status.glyph(), m.status.word()),
            status_style(&m.status, th),
        ),
    ];
    if let Some(error) = m.error_explained() {
        spans.push(Span::raw(error));
    }
    let line = Line::from(spans);
    if selected {
        line.style(Style::new().add_modifier(Modifier::REVERSED))
    } else {
        line
    }
}

/// One message whole.
fn whole<'a>(m: &'a Message, tz: &TimeZone, th: &Theme) -> Vec<Line<'a>> {
    let time = |t: Option<jiff::Timestamp>| {
        t.map_or_else(
            || "—".to_owned(),
            |t| {
                t.to_zoned(tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string()
            },
        )
    };
    let mut lines = vec![
        Line::from(format!(
            "SMS {} · flow {} · contact {}",
            m.sms_id, m.flow_id, m.contact_id
        )),
        Line::styled(
            format!("{} {}", m.status.glyph(), m.status.word()),
            status_style(&m.status, th),
        ),
        Line::from(format!(
            "scheduled {} · last change {}",
            time(m.scheduled),
            time(m.time)
        )),
    ];
    if let Some(error) = m.error_explained() {
        lines.push(Line::from(format!("error: {error}")));
    }
    lines.push(Line::from(""));
    lines.extend(m.content.lines().map(Line::from));
    lines
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, view: &MessagesView) {
    let th = &state.theme;
    let r = full_view(frame, area);
    let title = format!(" Messages of flow {} {} ", view.flow, view.name);
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let tz = &state.ctx.tz;
    if view.open
        && let Some(m) = view.selected()
    {
        frame.render_widget(
            Paragraph::new(whole(m, tz, th)).wrap(Wrap { trim: false }),
            inner,
        );
        return;
    }
    let mut lines = vec![Line::styled(summary(view, tz), dim(th))];
    let failures = view.failures();
    if !failures.is_empty() {
        lines.push(Line::styled("failures by error:", th.style(Role::Error)));
        for (code, count) in &failures {
            let words = phone_error::explain(code)
                .map(|w| format!("  {w}"))
                .unwrap_or_default();
            lines.push(Line::from(format!("  {code} × {count}{words}")));
        }
    }
    lines.push(Line::from(""));
    let room = usize::from(inner.height).saturating_sub(lines.len()).max(1);
    let skip = view.cursor.saturating_sub(room - 1);
    lines.extend(
        view.messages()
            .iter()
            .enumerate()
            .skip(skip)
            .take(room)
            .map(|(i, m)| row(m, tz, i == view.cursor, th)),
    );
    frame.render_widget(Paragraph::new(lines), inner);
}
